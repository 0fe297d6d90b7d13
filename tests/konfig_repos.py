"""Konfig repositories for the graph/affected/diff/pipeline tests, built on the ``mini`` fixture.

``two_models(root)`` adds a second model (``job``, with its own shared schema
and a dev profile), a project using it and a base env profile for dev, so
that every rule of DESIGN.md "Affected stacks" has an answer that differs
from "everything".
"""
from __future__ import annotations

from pathlib import Path

API = ["konfig/appops/acme/api/dev", "konfig/appops/acme/api/prod/eu", "konfig/appops/acme/api/prod/us"]
WEB = ["konfig/appops/acme/web/dev", "konfig/appops/acme/web/prod"]
DB = ["konfig/infra/data/db/prod"]
BATCH = ["konfig/appops/acme/batch/dev", "konfig/appops/acme/batch/prod"]
APP = API + WEB + DB  # stacks of model app
ALL = sorted(APP + BATCH)
PROD = ["konfig/appops/acme/api/prod/eu", "konfig/appops/acme/api/prod/us",
        "konfig/appops/acme/batch/prod", "konfig/appops/acme/web/prod", "konfig/infra/data/db/prod"]
DEV = ["konfig/appops/acme/api/dev", "konfig/appops/acme/batch/dev", "konfig/appops/acme/web/dev"]

FILES = {
    "konfig/base/models/job/schema.yaml": """\
$schema: https://json-schema.org/draft/2020-12/schema
title: job
type: object
additionalProperties: false
required: [image, schedule]
properties:
  image: {type: string}
  schedule: {$ref: ../../schemas/cron.yaml#/$defs/schedule}
  retries: {type: integer, minimum: 0}
  labels: {type: object}
""",
    "konfig/base/models/job/defaults.yaml": "retries: 1\nschedule: '0 * * * *'\n",
    "konfig/base/models/job/envs/dev.yaml": "retries: 0\n",
    "konfig/base/schemas/cron.yaml": "$defs:\n  schedule: {type: string, pattern: '^\\S+( \\S+){4}$'}\n",
    "konfig/base/envs/dev.yaml": "{}\n",
    "konfig/base/templates/project/project.yaml": "model: app\n",
    "konfig/appops/acme/batch/project.yaml": "model: job\nowners: [web]\n",
    "konfig/appops/acme/batch/defaults.yaml": "image: example/batch:1.0.0\n",
    "konfig/appops/acme/batch/dev/stack.yaml": "env: dev\nconfig: {}\n",
    "konfig/appops/acme/batch/prod/stack.yaml": "env: prod\nconfig:\n  retries: 3\n",
    "konfig/appops/acme/README.md": "The acme org.\n",
    "docs/index.md": "docs\n",
    "tooling/tool.py": "# the tool\n",
}


def two_models(root: Path) -> Path:
    for rel, text in FILES.items():
        p = Path(root) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return Path(root)


def edit(root: Path, rel: str, text: str | None = None, append: str = "# edited\n") -> None:
    """Change a file (append a comment), write it anew, or delete it (``text=""`` deletes)."""
    p = Path(root) / rel
    if text == "":
        p.unlink()
        return
    p.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        p.write_text(text)
    else:
        p.write_text(p.read_text() + append)
