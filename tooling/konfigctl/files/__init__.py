"""Files: where a revision's bytes come from, and the one way konfig writes them.

Holds repo-relative paths and globs (``paths``), the sources a ``Repository``
reads through (``source``: the work tree, a git commit, an in-memory overlay),
git itself (``git``: refs, merge-bases, changed names, blobs) and every write
into a work tree (``transaction``: all files of a change or none).

The bottom layer: it imports nothing of konfigctl but ``errors``. It knows
nothing of YAML, stacks or models; what reads and writes here is bytes.
"""
