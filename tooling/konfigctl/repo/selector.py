"""Selecting stacks by model, env, labels, project and path.

One mechanism for the command line (``--selector env=prod,label=tier=web``),
policies (``when:``) and review rules (``when:``).
"""
from __future__ import annotations

import dataclasses
import fnmatch
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..files import paths

if TYPE_CHECKING:
    from .view import Selectable

KEYS = ("model", "env", "project", "path", "name", "org", "label")


@dataclasses.dataclass(frozen=True)
class Selector:
    """All given terms must match; a term matches if any of its values does (globs allowed)."""

    model: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    project: tuple[str, ...] = ()
    path: tuple[str, ...] = ()
    name: tuple[str, ...] = ()
    org: tuple[str, ...] = ()
    labels: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.model or self.env or self.project or self.path or self.name
                    or self.org or self.labels)

    def matches(self, stack: "Selectable") -> bool:
        """Whether ``stack`` -- anything with a stack's selectable attributes -- is selected."""
        # model and env decide most policies: check them before computing labels and names
        if self.model and not _any_fn(self.model, stack.model_name):
            return False
        if self.env and not _any_fn(self.env, stack.env):
            return False
        if not (self.name or self.org or self.project or self.path or self.labels):
            return True
        return self.matches_values(
            model=stack.model_name,
            env=stack.env,
            project=stack.project.path,
            path=stack.path,
            name=stack.name,
            org=stack.project.org,
            labels=stack.labels,
        )

    def matches_values(
        self,
        *,
        model: str | None,
        env: str | None,
        project: str,
        path: str,
        name: str,
        org: str | None,
        labels: dict[str, Any],
    ) -> bool:
        if self.model and not _any_fn(self.model, model):
            return False
        if self.env and not _any_fn(self.env, env):
            return False
        if self.name and not _any_fn(self.name, name):
            return False
        if self.org and not _any_fn(self.org, org):
            return False
        if self.project and not any(_path_match(p, project) for p in self.project):
            return False
        if self.path and not any(_path_match(p, path) for p in self.path):
            return False
        for key, values in self.labels:
            if key not in labels:
                return False
            if values and "*" not in values and not _any_fn(values, _label_str(labels[key])):
                return False
        return True

    @classmethod
    def parse(cls, texts: list[str] | tuple[str, ...] | str | None) -> "Selector":
        """The command-line form: ``env=prod,model=webapp,label=tier=web,path=konfig/appops/pay/**``.

        Several ``--selector`` options and comma-separated terms are all ANDed;
        ``|`` separates alternatives: ``env=staging|prod``.
        """
        if texts is None:
            return cls()
        if isinstance(texts, str):
            texts = [texts]
        fields: dict[str, list[str]] = {}
        labels: dict[str, list[str]] = {}
        for text in texts:
            terms = _split_terms(text)
            if not terms:  # `-l "$UNSET"` must not quietly select every stack
                raise UsageError(f"empty selector {text!r}: expected KEY=VALUE, e.g. env=prod")
            for term in terms:
                key, sep, value = term.partition("=")
                key = key.strip()
                if not sep or not key:
                    raise UsageError(
                        f"bad selector term {term!r}: expected KEY=VALUE with KEY one of {', '.join(KEYS)}"
                    )
                if key in ("label", "labels"):
                    lkey, _, lval = value.partition("=")
                    _no_double_eq(term, f"{key}={lkey}", lval)
                else:
                    _no_double_eq(term, key, value)
                alternatives = [v.strip() for v in value.split("|") if v.strip()]
                if key in ("label", "labels"):
                    lkey, lsep, lval = value.partition("=")
                    lkey = lkey.strip()
                    if not lkey:
                        raise UsageError(f"bad selector term {term!r}: expected label=KEY or label=KEY=VALUE")
                    vals = [v.strip() for v in lval.split("|") if v.strip()] if lsep else ["*"]
                    labels.setdefault(lkey, []).extend(vals)
                elif key.startswith("label.") or key.startswith("labels."):
                    labels.setdefault(key.split(".", 1)[1], []).extend(alternatives or ["*"])
                elif key in KEYS:
                    if not alternatives:
                        raise UsageError(f"bad selector term {term!r}: empty value")
                    fields.setdefault(key, []).extend(alternatives)
                else:
                    raise UsageError(
                        f"unknown selector key {key!r} in {term!r} (use one of {', '.join(KEYS)})"
                    )
        return cls(
            **{k: tuple(v) for k, v in fields.items()},
            labels=tuple((k, tuple(v)) for k, v in sorted(labels.items())),
        )

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> "Selector":
        """The file form (``when:`` in policies and review rules)."""
        if not data:
            return cls()

        def strs(v: Any) -> tuple[str, ...]:
            if v is None:
                return ()
            if isinstance(v, (list, tuple)):
                return tuple(str(x) for x in v)
            return (str(v),)

        labels = data.get("labels") or {}
        return cls(
            model=strs(data.get("model")),
            env=strs(data.get("env")),
            project=strs(data.get("project")),
            path=strs(data.get("path")),
            name=strs(data.get("name")),
            org=strs(data.get("org")),
            labels=tuple((str(k), strs(v)) for k, v in sorted(labels.items())),
        )

    def describe(self) -> str:
        parts = []
        for key in ("model", "env", "org", "project", "path", "name"):
            vals = getattr(self, key)
            if vals:
                parts.append(f"{key}={'|'.join(vals)}")
        for k, vals in self.labels:
            parts.append(f"label={k}" + ("" if vals == ("*",) else f"={'|'.join(vals)}"))
        return ",".join(parts) or "all stacks"


def _no_double_eq(term: str, key: str, value: str) -> None:
    """``env==prod`` would select nothing, silently (no env is called ``=prod``): a typo, said so."""
    alternatives = value.split("|")
    if any(v.strip().startswith("=") for v in alternatives):
        fixed = "|".join(v.strip().lstrip("=") for v in alternatives)
        raise UsageError(f"bad selector term {term!r}: one '=' separates key and value (e.g. {key}={fixed})")


def _split_terms(text: str) -> list[str]:
    # commas separate terms, except inside a glob's braces
    out, buf, depth = [], [], 0
    for c in text:
        if c == "{":
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
        if c == "," and depth == 0:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(c)
    out.append("".join(buf))
    return [t.strip() for t in out if t.strip()]


def _any_fn(patterns: tuple[str, ...], value: str | None) -> bool:
    if value is None:
        return False
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _path_match(pattern: str, path: str) -> bool:
    pattern = pattern.rstrip("/")
    return paths.match(pattern, path) or paths.is_within(path, pattern)


def _label_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
