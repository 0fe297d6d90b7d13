from konfigctl.main import main

raise SystemExit(main())
