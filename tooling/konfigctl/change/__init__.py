"""Change: what a git change does to a Konfig, and the CI that checks it.

``graph`` is the one dependency graph of a revision (which files each stack
is made of, and the reverse, rule by rule); ``affected`` maps a change's files
to the stacks they affect at head and at the merge-base; ``diff`` compares
each affected stack's resolved config and rendered resources on both sides;
``pipelines`` emits the GitHub and GitLab definitions that run all of this on
every pull request.

May import (tests/test_architecture.py checks it): ``errors``, ``escaping``, ``files``,
``yamlio``, ``keypath``, ``schema``, ``formats``, ``repo``, ``resolve``, ``render``, ``engine``,
``output``, ``check``.
"""
