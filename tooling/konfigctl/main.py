"""Entry point of the ``konfig`` console script (and ``python -m konfigctl``)."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from .cli import build_app

    app = build_app()
    try:
        app(args=argv, prog_name="konfig", standalone_mode=True)
    except SystemExit as e:
        code = e.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
