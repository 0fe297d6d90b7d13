"""One module per command; each exposes a plain function that returns its exit code.

A command function is ``(repo, ..., out) -> exit code``: it takes parsed
values (never typer objects), calls the domain, and prints through the
``output.Output`` it is given; the CLI (``cli/``) parses and maps errors.
Tests call these functions directly with an ``Output`` on a buffer.

May import (tests/test_architecture.py checks it): ``errors``, ``quantity``, ``escaping``,
``files``, ``yamlio``, ``keypath``, ``schema``, ``formats``, ``repo``, ``resolve``,
``render``, ``engine``, ``output``, ``check``, ``change``, ``owners``, ``authoring``, ``imports``, ``targets``.
"""
