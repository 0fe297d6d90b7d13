"""Resolution: a stack's layers merged into one configuration, with provenance.

``layers.for_stack`` lists a stack's layers lowest first (model defaults, env
profiles, the ``defaults.yaml`` chain, ``stack.yaml``); ``merge.resolve``
merges them (``merge.merge``: mappings by key, ``null`` deletes, ``!replace``,
``!append``, ``x-merge-key`` lists by item) into a ``merge.Resolution`` that
can say which layer set each value. Key paths themselves are ``keypath``
(a flat module: formats and error messages need them below this layer).

May import (tests/test_architecture.py checks it): ``errors``, ``files``, ``yamlio``,
``keypath``, ``formats``, ``repo``.
"""
