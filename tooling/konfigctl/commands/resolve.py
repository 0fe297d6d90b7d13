"""``konfig resolve STACK [-O path=value]...``: the merged configuration."""
from __future__ import annotations

from .. import engine
from ..errors import EXIT_OK, UsageError
from ..output import Output
from ..repo.repository import Repository


def resolve(repo: Repository, name: str, overrides: list[str], fmt: str, out: Output,
            cwd: str | None = None) -> int:
    stack = repo.find_stack(name, cwd)
    eng = engine.of(stack)
    config = eng.resolve(repo, stack, overrides)
    if fmt == "json":
        out.json(config)
    elif fmt in ("yaml", "text") and getattr(eng, "resolved_documents", False):
        from ..yamlio import dump_all

        out.echo(dump_all(config), nl=False)  # kcl-lib's output: a stream of documents
    elif fmt in ("yaml", "text"):
        out.yaml(config)
    else:
        raise UsageError(f"--format {fmt} is not available for resolve (use yaml or json)")
    return EXIT_OK
