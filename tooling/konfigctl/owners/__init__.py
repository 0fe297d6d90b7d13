"""Owners: who owns each path, the CODEOWNERS files that say the same, and the review verdict.

``ownership`` answers ``konfig owners PATH`` with one precedence (the
nearest stack's owners, else the project's, else the last matching
``konfig.yaml`` rule) and checks the map; ``codeowners`` writes it as GitHub
and GitLab CODEOWNERS files that mean exactly that, or names the path a
platform cannot express; ``review`` judges a change against the review rules
read from the base revision and suggests a smallest set of reviewers. The
teams behind owner names are ``repo.teams``.

May import (tests/test_architecture.py checks it): ``errors``, ``escaping``, ``files``,
``yamlio``, ``keypath``, ``formats``, ``repo``, ``output``, ``change``.
"""
