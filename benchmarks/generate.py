"""Write a synthetic but realistic Konfig of a given size, committed to git.

    python benchmarks/generate.py --size full --out DIR [--kcl]     # 1,500 projects / 5,000 stacks
    python benchmarks/generate.py --size huge --out DIR             # 15,000 / 50,000, no goldens
    python benchmarks/generate.py --projects 1500 --stacks 5000 --seed 42 --out DIR
    python benchmarks/generate.py --repo DIR --change NAME          # a named change, as a commit

What it holds, so that every code path of a real Konfig is exercised:

* this repository's ``konfig/base`` (the real models, schemas, policies, env
  profiles, renderers; not the SLO policies, see ``SKIPPED_POLICIES``),
  ``konfig.yaml``, and a ``teams.yaml`` with a team per org;
* app orgs under ``konfig/appops`` (webapp and cronjob projects) and infra
  domains under ``konfig/infra`` (database and bucket projects), each with an
  org ``defaults.yaml``; most projects have a project ``defaults.yaml``;
* stacks per env (dev, staging, prod), prod split by region in bigger projects
  with a shared ``prod/defaults.yaml``;
* keyed lists merged across layers (env, ports, flags, users, lifecycle),
  ``!append`` and ``!replace``, ``depends_on``;
* about 1.5% of stacks break a schema bound or a policy (some in shared
  layers), and warnings, so the report and locate path run too.

The same seed gives the same repository. With ``--kcl`` the same stacks are
also written as KCL under ``DIR/kcl`` (``benchmarks/kcl``), for the comparison
with KCL's own engine. When ``konfig test`` exists, golden files are written
with ``konfig test --all --update`` before the commit -- up to 10,000 stacks
by default (``--goldens`` at any size): at "huge" (50,000 stacks) they would
be most of the generation time, and what is measured there (validate,
affected, list, memory) does not read them.

Org and domain names repeat with a number once there are more than the lists
below (about 100 projects an org: "payments2" at "huge").

``benchmarks/changes.py`` holds the named changes (``--change NAME``): edits
of a generated Konfig committed on a branch, semantically empty ones (a
comment, a reordered mapping, a model default every stack overrides) and real
ones, each with the stacks whose resolved configuration it changes.

konfig itself is only run through its command line (``konfig`` next to this
Python, or on PATH): nothing here imports its package.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.yamltext import AppendList, ReplaceDict, ReplaceList, load, to_yaml

REPO_ROOT = Path(__file__).resolve().parent.parent

# The named sizes (projects, stacks). At "huge" no golden files are written by
# default (``konfig test --all --update`` of 50,000 stacks would be most of the
# generation time): see ``GOLDENS_UP_TO``.
SIZES = {"tiny": (8, 20), "small": (20, 50), "full": (1500, 5000), "huge": (15000, 50000)}
GOLDENS_UP_TO = 10_000  # stacks: above, goldens only when asked for


def konfig_command() -> list[str]:
    """How to run konfig: its console script (next to this Python, or on PATH).

    The benchmark drives konfig only through its command line, so that it keeps
    working whatever the package's module layout.
    """
    script = Path(sys.executable).parent / "konfig"
    if script.is_file():
        return [str(script)]
    found = shutil.which("konfig")
    if found:
        return [found]
    return [sys.executable, "-m", "konfigctl"]  # a checkout without the script installed


KONFIG = konfig_command()

ENVS = ("dev", "staging", "prod")
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-1", "us-west-2", "eu-central-1", "sa-east-1")
GCP_REGIONS = ("europe-west1", "us-east1", "asia-southeast1", "us-central1", "europe-north1")
APP_ORGS = ("payments", "commerce", "identity", "search", "media", "logistics", "growth", "ads",
            "messaging", "risk", "catalog", "support", "maps", "travel", "social", "music")
INFRA_DOMAINS = ("data", "storage", "analytics", "platform-infra")
NOUNS = ("checkout", "cart", "orders", "ledger", "invoice", "billing", "profile", "session", "token",
         "catalog", "pricing", "inventory", "shipping", "tracking", "search", "ranking", "feed",
         "upload", "thumbs", "video", "chat", "notify", "email", "sms", "fraud", "scoring", "audit",
         "report", "export", "import", "sync", "geo", "routing", "booking", "review", "rating")
SUFFIXES = ("api", "web", "svc", "gateway", "worker", "backend", "frontend", "edge", "admin", "core")
JOB_SUFFIXES = ("cleanup", "rollup", "backfill", "export", "reindex", "digest", "compact", "sweep")
DB_SUFFIXES = ("db", "store", "pg", "sql", "meta")
BUCKET_SUFFIXES = ("assets", "uploads", "backups", "exports", "logs", "media", "archive")

VIOLATION_RATE = 0.015


@dataclasses.dataclass
class StackSpec:
    path: str  # repo-relative directory
    model: str
    env: str
    project: str  # the project's directory
    labels: dict[str, Any]  # project labels overlaid by the stack's
    layers: list[str]  # repo-relative files, lowest first (as konfigctl.resolve.layers orders them)
    broken: str | None = None  # the kind of problem planted, if any


@dataclasses.dataclass
class Generated:
    root: Path
    projects: int
    stacks: list[StackSpec]
    files: int
    seconds: float
    kcl_dir: Path | None = None
    goldens: bool = False
    phases: dict[str, float] = dataclasses.field(default_factory=dict)  # seconds per step

    def summary(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "projects": self.projects,
            "stacks": len(self.stacks),
            "files": self.files,
            "broken_stacks": sum(1 for s in self.stacks if s.broken),
            "seconds": round(self.seconds, 2),
            "kcl": str(self.kcl_dir) if self.kcl_dir else None,
            "goldens": self.goldens,
            "phases": self.phases,
        }


# -- content --------------------------------------------------------------------

def _names(base: tuple[str, ...], n: int) -> list[str]:
    """``n`` org names: ``base`` in order, then numbered rounds of it (payments2, commerce2...)."""
    return [base[i] if i < len(base) else f"{base[i % len(base)]}{i // len(base) + 1}"
            for i in range(n)]


class Generator:
    def __init__(self, root: Path, projects: int, stacks: int, seed: int,
                 violation_rate: float = VIOLATION_RATE) -> None:
        if projects < 1 or stacks < projects:
            raise ValueError("need at least one project and at least one stack per project")
        self.root = root
        self.n_projects = projects
        self.n_stacks = stacks
        self.rng = random.Random(seed)
        self.violation_rate = violation_rate
        self.files: dict[str, str] = {}  # rel -> text
        self.data: dict[str, Any] = {}  # rel -> config data of a layer file (for KCL)
        self.stacks: list[StackSpec] = []
        self.base = "konfig/base"
        self.db_stacks: list[str] = []

    # helpers
    def pick(self, seq: Any) -> Any:
        return seq[self.rng.randrange(len(seq))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def write(self, rel: str, data: dict[str, Any], comment: str | None = None) -> None:
        self.files[rel] = to_yaml(data, comment)

    def layer(self, rel: str, config: dict[str, Any], comment: str | None = None) -> None:
        """A ``defaults.yaml`` layer file."""
        self.data[rel] = config
        self.write(rel, config, comment)

    # the whole repository
    def build(self) -> None:
        counts = self._stack_counts()
        n_infra = max(1, round(self.n_projects * 0.2)) if self.n_projects > 1 else 0
        n_app = self.n_projects - n_infra
        # orgs and domains of about 100 projects (numbered once the names run out: "payments2")
        n_orgs = max(1, n_app // 100 or 1)
        n_domains = max(1, n_infra // 100 or 1) if n_infra else 0
        orgs = _names(APP_ORGS, n_orgs)
        domains = _names(INFRA_DOMAINS, n_domains)
        for org in orgs:
            self._org_defaults("konfig/appops", org, app=True)
        for dom in domains:
            self._org_defaults("konfig/infra", dom, app=False)
        names: set[str] = set()
        # infra first, so app stacks can depend on databases
        for i in range(n_infra):
            dom = domains[i % len(domains)]
            # every model shows up even in a tiny Konfig; then 55/45
            model = ("database", "bucket")[i] if i < 2 else "database" if self.chance(0.55) else "bucket"
            name = self._name(names, dom, DB_SUFFIXES if model == "database" else BUCKET_SUFFIXES)
            self._project(f"konfig/infra/{dom}/{name}", dom, name, model, counts[n_app + i])
        for i in range(n_app):
            org = orgs[i % len(orgs)]
            model = ("webapp", "cronjob")[i] if i < 2 else "webapp" if self.chance(0.75) else "cronjob"
            name = self._name(names, org, SUFFIXES if model == "webapp" else JOB_SUFFIXES)
            self._project(f"konfig/appops/{org}/{name}", org, name, model, counts[i])
        self._teams(orgs + domains)
        self.files["konfig.yaml"] = (REPO_ROOT / "konfig.yaml").read_text().replace(
            "name: acme-konfig", "name: synthetic-konfig")
        self.files[".gitignore"] = ".konfig-cache/\nkcl/\n"
        self.files["README.md"] = (
            "# A synthetic Konfig\n\nGenerated by konfig's `benchmarks/generate.py` "
            f"({self.n_projects} projects, {self.n_stacks} stacks).\n")

    def _stack_counts(self) -> list[int]:
        """Stacks per project: 1 to 8, most 3 or 4, summing to exactly the total asked for."""
        weights = [(1, 8), (2, 14), (3, 38), (4, 18), (5, 12), (6, 10)]
        pool = [n for n, w in weights for _ in range(w)]
        counts = [self.pick(pool) for _ in range(self.n_projects)]
        diff = self.n_stacks - sum(counts)
        while diff:
            i = self.rng.randrange(self.n_projects)
            if diff > 0 and counts[i] < 8:
                counts[i] += 1
                diff -= 1
            elif diff < 0 and counts[i] > 1:
                counts[i] -= 1
                diff += 1
        return counts

    def _name(self, used: set[str], org: str, suffixes: tuple[str, ...]) -> str:
        for _ in range(50):
            name = f"{self.pick(NOUNS)}-{self.pick(suffixes)}"
            if (org, name) not in used:
                used.add((org, name))  # type: ignore[arg-type]
                return name
        n = 2
        while (org, f"{name}-{n}") in used:
            n += 1
        used.add((org, f"{name}-{n}"))  # type: ignore[arg-type]
        return f"{name}-{n}"

    def _org_defaults(self, root: str, org: str, app: bool) -> None:
        cfg: dict[str, Any] = {"labels": {"org": org, "cost-center": f"cc-{self.rng.randrange(1000, 9999)}"}}
        if app:
            cfg["env"] = [
                {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"},
                {"name": "ORG", "value": org},
            ]
        self.layer(f"{root}/{org}/defaults.yaml", cfg, f"Every {org} project: org labels"
                   + (" and the shared tracing endpoint." if app else "."))

    def _teams(self, orgs: list[str]) -> None:
        teams_file = f"{self.base}/teams.yaml"
        doc = load((REPO_ROOT / teams_file).read_bytes()) or {}
        teams = doc.setdefault("teams", {})
        for org in orgs:
            if org not in teams:
                teams[org] = {"members": [f"@{org}-lead", f"@{org}-dev"], "github": f"@acme/{org}",
                              "gitlab": f"@acme/{org}"}
        self.write(teams_file, doc, "Teams and their members (base teams plus one per generated org).")

    # projects and stacks
    def _project(self, path: str, org: str, name: str, model: str, n_stacks: int) -> None:
        meta: dict[str, Any] = {
            "name": name,
            "description": f"The {name.replace('-', ' ')} {model} of {org}.",
            "model": model,
            "owners": [org] + (["@" + org + "-oncall"] if self.chance(0.1) else []),
            "labels": {"tier": {"webapp": "web", "cronjob": "batch", "database": "data",
                                "bucket": "storage"}[model],
                       "cost-center": f"cc-{self.rng.randrange(1000, 9999)}"},
        }
        if self.chance(0.1):
            meta["review"] = {"approvals": 2}
        self.write(f"{path}/project.yaml", meta)
        self.project_labels = meta["labels"]
        project_cfg = getattr(self, f"_{model}_project")(org, name)
        org_defaults = f"{'/'.join(path.split('/')[:3])}/defaults.yaml"
        chain = [org_defaults] if org_defaults in self.files else []
        if project_cfg is not None:
            self.layer(f"{path}/defaults.yaml", project_cfg, f"All {name} stacks.")
            chain.append(f"{path}/defaults.yaml")
        for rel_stack, env in self._stack_layout(n_stacks):
            stack_chain = list(chain)
            if rel_stack.startswith("prod/"):
                prod_defaults = f"{path}/prod/defaults.yaml"
                if prod_defaults not in self.files:
                    self.layer(prod_defaults, getattr(self, f"_{model}_prod")(org, name),
                               "Every prod region of this project.")
                stack_chain.append(prod_defaults)
            self._stack(f"{path}/{rel_stack}", org, name, model, env, stack_chain,
                        project_cfg is not None)

    def _stack_layout(self, n: int) -> list[tuple[str, str]]:
        if n == 1:
            return [("prod", "prod")]
        if n == 2:
            return [("dev", "dev"), ("prod", "prod")]
        if n == 3:
            return [("dev", "dev"), ("staging", "staging"), ("prod", "prod")]
        regions = REGIONS[:n - 2]
        return [("dev", "dev"), ("staging", "staging")] + [(f"prod/{r}", "prod") for r in regions]

    def _stack(self, path: str, org: str, project: str, model: str, env: str, chain: list[str],
               has_defaults: bool) -> None:
        meta: dict[str, Any] = {"env": env}
        region = path.rsplit("/", 1)[-1] if "/prod/" in path else None
        if region:
            meta["labels"] = {"region": region}
        cfg = getattr(self, f"_{model}_stack")(org, project, env, region, has_defaults)
        broken = None
        if self.chance(self.violation_rate):
            broken = self._break(model, env, cfg)
        if model == "webapp" and self.db_stacks and self.chance(0.05):
            meta["depends_on"] = [self.pick(self.db_stacks)]
        meta["config"] = cfg
        rel = f"{path}/stack.yaml"
        self.write(rel, meta)
        self.data[rel] = cfg
        if model == "database":
            self.db_stacks.append(path)
        base_layers = [f"{self.base}/models/{model}/defaults.yaml",
                       f"{self.base}/envs/{env}.yaml", f"{self.base}/models/{model}/envs/{env}.yaml"]
        layers = [f for f in base_layers if (REPO_ROOT / f).is_file()] + chain + [rel]
        labels = {**self.project_labels, **meta.get("labels", {})}
        self.stacks.append(StackSpec(path, model, env, path.rsplit("/", 2 if region else 1)[0],
                                     labels, layers, broken))

    def _break(self, model: str, env: str, cfg: dict[str, Any]) -> str:
        """Plant one problem (schema bound, enum, unknown key, or a policy) in a stack."""
        kinds = {
            "webapp": ["disk-above-max", "replicas-enum", "unknown-key", "image-latest"]
            + (["prod-replicas"] if env == "prod" else []),
            "cronjob": ["memory-above-max", "image-latest", "unknown-key"],
            "database": ["storage-below-min", "tier-enum"] + (["prod-no-ha"] if env == "prod" else []),
            "bucket": ["public-unlabelled", "retention-above-max"],
        }[model]
        kind = self.pick(kinds)
        if kind == "disk-above-max":
            cfg.setdefault("resources", {})["disk"] = "200Gi"
        elif kind == "memory-above-max":
            cfg.setdefault("resources", {})["memory"] = "96Gi"
        elif kind == "replicas-enum":
            cfg["replicas"] = 5
        elif kind == "unknown-key":
            cfg["replica"] = 2
        elif kind == "image-latest":
            cfg["image"] = re.sub(r":[^:/]+$", ":latest", cfg.get("image") or "registry.acme.io/x/y:1")
        elif kind == "prod-replicas":
            cfg["replicas"] = 1
            cfg["autoscaling"] = {"enabled": False}
        elif kind == "storage-below-min":
            cfg["storage"] = "5Gi"
        elif kind == "tier-enum":
            cfg["tier"] = "db-huge"
        elif kind == "prod-no-ha":
            cfg["high_availability"] = False
        elif kind == "public-unlabelled":
            cfg["public_access_prevention"] = "inherited"
            cfg.pop("labels", None)
        elif kind == "retention-above-max":
            cfg["retention_days"] = 5000
        return kind

    # -- webapp
    def _image(self, org: str, name: str) -> str:
        return (f"registry.acme.io/{org}/{name}:{self.rng.randrange(1, 6)}."
                f"{self.rng.randrange(0, 30)}.{self.rng.randrange(0, 20)}")

    def _webapp_project(self, org: str, name: str) -> dict[str, Any] | None:
        if self.chance(0.15):
            return None  # every stack sets its own image
        cfg: dict[str, Any] = {
            "image": self._image(org, name),
            "resources": {"cpu": self.pick(["250m", "500m", "1"]), "memory": self.pick(["256Mi", "512Mi", "1Gi"])},
            "ports": [{"name": "http", "port": 8080}],
            "env": [{"name": "SERVICE_NAME", "value": name}],
        }
        if self.chance(0.4):
            cfg["ports"].append({"name": "grpc", "port": 9000})
        if self.chance(0.6):
            cfg["ports"].append({"name": "metrics", "port": 9090, "expose": False})
        if self.chance(0.5):
            cfg["env"].append({"name": "DB_PASSWORD", "secret": {"name": f"{name}-db", "key": "password"}})
        if self.chance(0.3):
            cfg["args"] = ["--port=8080", "--log-format=json"]
        if self.chance(0.15):
            cfg["config_files"] = {"features.yaml": "one_click: true\nsaved_cards: false\n"}
        if self.chance(0.05):
            cfg["service"] = {"type": "LoadBalancer"}
        return cfg

    def _webapp_prod(self, org: str, name: str) -> dict[str, Any]:
        return {
            "resources": {"cpu": self.pick(["1", "2"]), "memory": self.pick(["1Gi", "2Gi"]),
                          "memory_limit": "4Gi"},
            "autoscaling": {"enabled": True, "min_replicas": 3, "max_replicas": self.pick([12, 24, 48])},
        }

    def _webapp_stack(self, org: str, name: str, env: str, region: str | None,
                      has_defaults: bool) -> dict[str, Any]:
        cfg: dict[str, Any] = {}
        if not has_defaults or self.chance(0.6):
            cfg["image"] = self._image(org, name)  # image bumps: the most common change
        if env == "prod" and self.chance(0.3):
            cfg["replicas"] = self.pick([3, 4, 6])
        if env == "dev" and self.chance(0.2):
            cfg["env"] = [{"name": "LOG_LEVEL", "value": "trace"}]
        if region:
            cfg.setdefault("env", []).append({"name": "REGION", "value": region})
        if self.chance(0.15):
            cfg["resources"] = {"memory": self.pick(["512Mi", "1Gi", "3Gi"])}
            if cfg["resources"]["memory"] == "3Gi":  # renderers refuse a limit below the request
                cfg["resources"]["memory_limit"] = "4Gi"
        if env == "prod" and not region and self.chance(0.3):
            cfg["autoscaling"] = {"enabled": True, "min_replicas": 3, "max_replicas": 20}
        if has_defaults and self.chance(0.05):
            cfg["args"] = AppendList(["--verbose"])  # appended to the project's (or a new list)
        if env == "dev" and self.chance(0.03):
            cfg["resources"] = ReplaceDict({"cpu": "100m", "memory": "128Mi"})
        if self.chance(0.03):
            cfg["ports"] = ReplaceList([{"name": "http", "port": 8081}])
        return cfg

    # -- cronjob
    def _cronjob_project(self, org: str, name: str) -> dict[str, Any] | None:
        cfg: dict[str, Any] = {
            "image": self._image(org, name),
            "command": ["/app/bin/" + name.split("-")[0], "run"],
            "resources": {"cpu": self.pick(["100m", "250m", "500m"]), "memory": self.pick(["128Mi", "256Mi", "1Gi"])},
            "env": [{"name": "JOB_NAME", "value": name}],
        }
        if self.chance(0.75):
            cfg["schedule"] = self.pick(["*/15 * * * *", "0 * * * *", "30 2 * * *", "@daily", "@hourly"])
        else:
            cfg["active_deadline_seconds"] = self.pick([600, 3600, 7200])
        if self.chance(0.7):
            cfg["resources"]["memory_limit"] = "2Gi"
        if self.chance(0.3):
            cfg["args"] = ["--batch-size=500"]
        return cfg

    def _cronjob_prod(self, org: str, name: str) -> dict[str, Any]:
        return {"resources": {"cpu": "1", "memory": "2Gi", "memory_limit": "4Gi"}, "parallelism": 4}

    def _cronjob_stack(self, org: str, name: str, env: str, region: str | None,
                       has_defaults: bool) -> dict[str, Any]:
        cfg: dict[str, Any] = {}
        if self.chance(0.5):
            cfg["image"] = self._image(org, name)
        if env == "dev" and self.chance(0.3):
            cfg["suspend"] = False
        if region:
            cfg["env"] = [{"name": "REGION", "value": region}]
        if self.chance(0.1):
            cfg["args"] = AppendList(["--dry-run=false"])
        if env == "prod" and self.chance(0.2):
            cfg["backoff_limit"] = 6
        return cfg

    # -- database
    def _database_project(self, org: str, name: str) -> dict[str, Any] | None:
        # postgres only: every project has a prod stack, and prod needs point-in-time
        # recovery, which the database model's renderer refuses for mysql
        engine = "postgres"
        cfg: dict[str, Any] = {
            "engine": engine,
            "version": self.pick(["15", "16"]),
            "databases": [name.split("-")[0]],
            "users": [{"name": "app", "password_secret": {"name": f"{name}-app", "key": "password"}}],
        }
        if self.chance(0.4):
            cfg["flags"] = [{"name": "log_connections", "value": "on"}]
        if self.chance(0.3):
            cfg["maintenance_window"] = {"day": self.pick(["sat", "sun"]), "hour": self.rng.randrange(0, 6)}
        return cfg

    def _database_prod(self, org: str, name: str) -> dict[str, Any]:
        return {"tier": "db-custom-4-15360", "storage": "200Gi"}

    def _database_stack(self, org: str, name: str, env: str, region: str | None,
                        has_defaults: bool) -> dict[str, Any]:
        cfg: dict[str, Any] = {"region": self.pick(GCP_REGIONS)}
        if env == "prod" and not region:
            cfg["tier"] = self.pick(["db-custom-2-7680", "db-custom-4-15360", "db-custom-8-30720"])
            cfg["storage"] = self.pick(["100Gi", "500Gi", "1Ti"])
        if self.chance(0.3):
            cfg["users"] = [{"name": "readonly", "password_secret": {"name": f"{name}-ro", "key": "password"}}]
        if self.chance(0.2):
            cfg["flags"] = [{"name": "log_min_duration_statement", "value": "250"}]
        return cfg

    # -- bucket
    def _bucket_project(self, org: str, name: str) -> dict[str, Any] | None:
        cfg: dict[str, Any] = {
            "location": self.pick(["EU", "US", "europe-west1"]),
            "lifecycle": [{"name": "expire-tmp", "action": "Delete", "age_days": 30}],
        }
        if self.chance(0.3):
            cfg["storage_class"] = "NEARLINE"
        return cfg

    def _bucket_prod(self, org: str, name: str) -> dict[str, Any]:
        return {"retention_days": 30}

    def _bucket_stack(self, org: str, name: str, env: str, region: str | None,
                      has_defaults: bool) -> dict[str, Any]:
        cfg: dict[str, Any] = {}
        if env == "prod" and self.chance(0.5):
            cfg["lifecycle"] = [{"name": "archive", "action": "SetStorageClass",
                                 "storage_class": "COLDLINE", "age_days": 365}]
        if env == "prod" and self.chance(0.3):
            cfg["retention_days"] = self.pick([7, 30, 90])
        if self.chance(0.05):
            cfg["public_access_prevention"] = "inherited"
            cfg["labels"] = {"exposure": "public"}
        if env == "dev":
            cfg["lifecycle"] = [{"name": "expire-tmp", "action": "Delete", "age_days": 7}]
        return cfg


# -- writing --------------------------------------------------------------------

# The SLO policies are left out: the synthetic Konfig has no SLO stacks (so every prod
# webapp would fail prod-services-have-slos), and its KCL twin has no cross-stack check.
SKIPPED_POLICIES = ("prod-services-have-slos.yaml", "prod-slo-targets.yaml")


def _copy_base(root: Path) -> int:
    src = REPO_ROOT / "konfig" / "base"
    dest = root / "konfig" / "base"
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", *SKIPPED_POLICIES))
    return sum(1 for p in dest.rglob("*") if p.is_file())


def git(root: Path, *args: str, **kw: Any) -> str:
    """``git -C root ARGS`` (plain git: the benchmark needs no git library); its stdout."""
    proc = subprocess.run(["git", "-C", str(root), "-c", "user.name=Konfig Benchmark",
                           "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false", *args],
                          capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.strip()[-1000:]}")
    return proc.stdout


def _git_commit(root: Path, message: str) -> str:
    git(root, "init", "-q", "-b", "main")
    for key, value in (("user.name", "Konfig Benchmark"), ("user.email", "bench@example.com"),
                       ("commit.gpgsign", "false")):
        git(root, "config", key, value)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def _konfig_has(command: str) -> bool:
    """Whether the installed konfig implements ``command`` (not a placeholder)."""
    proc = subprocess.run(KONFIG + [command, "--help"],
                          capture_output=True, text=True)
    return proc.returncode == 0 and "not implemented" not in (proc.stdout + proc.stderr).lower()


def generate(out: str | Path, projects: int = 1500, stacks: int = 5000, seed: int = 42, *,
             kcl: bool = False, goldens: bool | None = None, commit: bool = True,
             violation_rate: float = VIOLATION_RATE) -> Generated:
    """Write the synthetic Konfig into ``out`` (which must not exist or be empty).

    ``goldens``: write golden files with ``konfig test --all --update``; by
    default only up to ``GOLDENS_UP_TO`` stacks (not at "huge").
    """
    start = time.perf_counter()
    phases: dict[str, float] = {}

    def lap(name: str, t0: float) -> float:
        t = time.perf_counter()
        phases[name] = round(t - t0, 2)
        return t

    root = Path(out).resolve()
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty")
    root.mkdir(parents=True, exist_ok=True)
    gen = Generator(root, projects, stacks, seed, violation_rate)
    gen.build()
    t = lap("build", start)
    n_files = _copy_base(root)
    made: set[Path] = set()
    for rel, text in gen.files.items():
        p = root / rel
        if p.parent not in made:
            p.parent.mkdir(parents=True, exist_ok=True)
            made.add(p.parent)
        p.write_text(text)
    n_files += len(gen.files)
    t = lap("write", t)
    result = Generated(root, projects, gen.stacks, n_files, 0.0)
    if kcl:
        from benchmarks.kcl import emit

        result.kcl_dir = emit.write(root, gen.stacks, gen.data)
        t = lap("kcl", t)
    if goldens is None:
        goldens = stacks <= GOLDENS_UP_TO
    if goldens and _konfig_has("test"):
        proc = subprocess.run(KONFIG + ["--repo", str(root), "test", "--all", "--update"],
                              capture_output=True, text=True)
        # exit 1 is expected: the planted problems fail their stacks
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"konfig test --update failed: {proc.stderr.strip()[-2000:]}")
        result.goldens = True
        t = lap("goldens", t)
    if commit:
        _git_commit(root, f"Synthetic Konfig: {projects} projects, {stacks} stacks (seed {seed})")
        t = lap("commit", t)
    result.seconds = time.perf_counter() - start
    result.phases = phases
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=_EPILOG,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=list(SIZES),
                    help="a named size: " + ", ".join(f"{k} ({p:,} projects / {s:,} stacks)"
                                                     for k, (p, s) in SIZES.items())
                    + "; at huge no golden files unless --goldens (default: full)")
    ap.add_argument("--projects", type=int, help="number of projects (default: the size's)")
    ap.add_argument("--stacks", type=int, help="number of stacks (default: the size's)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", help="directory to create (must be empty)")
    ap.add_argument("--kcl", action="store_true", help="also write the stacks as KCL under OUT/kcl")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--goldens", dest="goldens", action="store_true", default=None,
                   help=f"write golden files (`konfig test --all --update`) at any size "
                        f"(default: only up to {GOLDENS_UP_TO:,} stacks)")
    g.add_argument("--no-goldens", dest="goldens", action="store_false", help="no golden files")
    ap.add_argument("--change", metavar="NAME", action="append",
                    help="apply the named change to the Konfig in --repo as a commit on branch "
                         "change/NAME (repeatable; see --list-changes)")
    ap.add_argument("--repo", type=Path, help="with --change: a Konfig this script generated")
    ap.add_argument("--list-changes", action="store_true", help="print the named changes and exit")
    args = ap.parse_args(argv)
    from benchmarks import changes

    if args.list_changes:
        for c in changes.CHANGES.values():
            print(f"{c.name:<26} {'real ' if c.semantic else 'empty'}  {c.description}")
        return 0
    if args.change:
        if not args.repo:
            ap.error("--change needs --repo")
        out = [changes.apply_change(args.repo, name) for name in args.change]
        print(json.dumps(out, indent=2))
        return 0
    if not args.out:
        ap.error("--out is required (or --change/--list-changes)")
    projects, stacks = SIZES[args.size or "full"]
    if args.stacks and not args.size:
        projects = max(1, round(args.stacks * 0.3))
    projects = args.projects or projects
    stacks = args.stacks or stacks
    res = generate(args.out, projects, stacks, args.seed, kcl=args.kcl, goldens=args.goldens)
    print(json.dumps(res.summary(), indent=2))
    return 0


_EPILOG = """\
examples:
  generate.py --size full --out DIR --kcl       1,500 projects / 5,000 stacks, with goldens and KCL twin
  generate.py --size huge --out DIR             15,000 / 50,000, no goldens (--goldens: with them)
  generate.py --projects 12 --stacks 40 --out DIR
  generate.py --list-changes
  generate.py --repo DIR --change stack-image   commit the change on branch change/stack-image
"""


if __name__ == "__main__":
    sys.exit(main())
