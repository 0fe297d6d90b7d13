from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Not implemented yet: registered by its own issue."""
