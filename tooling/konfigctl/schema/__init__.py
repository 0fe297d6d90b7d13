"""JSON Schema as konfig uses it: compiled validators, unit-aware keywords, ECMA-262 patterns.

``validator`` builds a model's or policy's validator (a compiled valid/invalid
check first, jsonschema for the messages), adds ``x-quantity``, ``x-minimum``
and ``x-maximum`` (bounds written in units), and refuses at load a schema that
cannot work (``lint``: a pattern that is not ECMA-262, a ``$ref`` cycle);
``fastschema`` is the compiled check; ``ecma.search`` is the one regular
expression function (the ``regress`` engine), used by both.

It knows schemas, not repositories: references are fetched through the
``retrieve`` callable the caller (``repo.repository.Repository.build_validator``)
passes in.

May import (tests/test_architecture.py checks it): ``errors``, ``quantity``.
"""
