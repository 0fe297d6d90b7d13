"""Authoring: how people and bots change a Konfig, and how it stays tidy and documented.

``edit`` applies ``set`` specs to one layer file, comments kept, checked and
re-rendered in memory and written as one transaction; ``templates`` and
``scaffold`` make a new project or stack from a model's template; ``fmt`` is
the canonical layout; ``docs`` the model reference and published schemas;
``init`` a new repository from the shipped ``skeleton/``.

May import (tests/test_architecture.py checks it): ``errors``, ``quantity``, ``escaping``,
``files``, ``yamlio``, ``keypath``, ``schema``, ``formats``, ``repo``, ``resolve``,
``render``, ``engine``, ``check``, ``change``, ``owners``.
"""
