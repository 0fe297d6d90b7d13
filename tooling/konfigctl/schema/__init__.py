"""JSON Schema as konfig uses it: compiled validators, unit-aware keywords, ECMA-262 patterns.

``validator`` builds a model's or policy's validator (jsonschema-rs's
valid/invalid check first, jsonschema -- the reference -- for the messages),
adds ``x-quantity``, ``x-minimum`` and ``x-maximum`` (bounds written in units)
to both, and refuses at load a schema that cannot work (``lint``: a pattern
that is not ECMA-262, a ``$ref`` cycle); ``ecma.search`` is jsonschema's
regular expression function (the ``regress`` engine); jsonschema-rs reads
patterns as ECMA-262 itself (tests/schema/test_ecma.py holds the two alike).

It knows schemas, not repositories: references are fetched through the
``retrieve`` callable the caller (``repo.repository.Repository.build_validator``)
passes in.

May import (tests/test_architecture.py checks it): ``errors``, ``quantity``.
"""
