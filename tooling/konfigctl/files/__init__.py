"""Files: where a revision's bytes come from, and the one way konfig writes them.

Holds repo-relative paths and globs (``paths``), the sources a ``Repository``
reads through (``source``: the work tree, a git commit, an in-memory overlay),
git itself (``git``: refs, merge-bases, changed names, blobs), the directory
listings discovery keeps between runs (``listings``) and every write into a
work tree (``transaction``: all files of a change or none; ``atomic_write``
for one file).

The bottom layer: it knows nothing of YAML, stacks or models; what it reads
and writes is bytes.

May import (tests/test_architecture.py checks it): ``errors``.
"""
