"""``konfig resolve STACK [-O path=value]...``: the merged configuration."""
from __future__ import annotations

from ..errors import EXIT_OK, UsageError
from ..output import Output
from ..repo.repository import Repository
from ..resolve.merge import resolve as resolve_stack


def resolve(repo: Repository, name: str, overrides: list[str], fmt: str, out: Output,
            cwd: str | None = None) -> int:
    stack = repo.find_stack(name, cwd)
    res = resolve_stack(repo, stack, overrides)
    if fmt == "json":
        out.json(res.config)
    elif fmt in ("yaml", "text"):
        out.yaml(res.config)
    else:
        raise UsageError(f"--format {fmt} is not available for resolve (use yaml or json)")
    return EXIT_OK
