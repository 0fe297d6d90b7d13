"""Errors and problems.

Two kinds of failure, matching the exit codes of DESIGN.md:

* ``KonfigError`` -- the input or the command is wrong (exit 2). Raised, caught
  once in ``main`` and printed as one line.
* ``Problem`` -- a check ran and found something (exit 1 when any is an error).
  Collected, never raised, so one bad stack does not hide the others.
"""
from __future__ import annotations

import dataclasses
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_SIGPIPE = 141  # stdout closed early (`| head`): 128 + SIGPIPE, as shell tools report it


def location(file: str | None, line: int | None = None, col: int | None = None) -> str:
    """``file:line:col`` with the parts that are known."""
    if not file:
        return ""
    out = file
    if line:
        out += f":{line}"
        if col:
            out += f":{col}"
    return out


QUOTE_LIMIT = 200  # characters of an offending value a message quotes
MESSAGE_LIMIT = 2000  # the net under every message: no quoting site can make a line longer
KEYPATH_LIMIT = 400


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` as it goes into a message: past ``limit`` characters, cut and its length said.

    A 50 MB scalar in a stack must not become a 50 MB error line (a terminal,
    a CI log, a PR comment all choke on it); its start identifies it.
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def quote(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """A value quoted into a message as Python's ``repr`` would (``'a b'``), at most ~``limit`` characters.

    The one place values are quoted: the ``shown`` form below, the schema
    messages and every ``{value!r}`` of konfig's own modules go through it
    (``KonfigError`` and ``Problem`` clip whole messages as the last net).
    """
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value):,} characters)"
    text = repr(value)
    if len(text) > limit + 2 and not isinstance(value, str):
        return clip(text, limit)
    return text


def shown(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """A value as a message about config reads it: strings bare (quoted when blank or
    padded), ``true``/``false``/``null``, containers as compact JSON, all clipped."""
    if isinstance(value, str):
        if value and value.strip() == value and value.isprintable() and len(value) <= limit:
            return value
        return quote(value, limit)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        import json

        text = json.dumps(value, sort_keys=False, default=str)
        return text if len(text) <= 60 else text[:57] + "..."
    return clip(str(value), limit)


def _clip_message(text: str | None, limit: int) -> Any:
    if text is None or len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]} ... [{len(text) - 2 * half:,} characters cut] ... {text[-half:]}"


def kind_of(value: Any) -> str:
    """How a value's type reads in a message about YAML: "a mapping", "a list", "null"..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__


class KonfigError(Exception):
    """Bad input or usage: printed as a single line, exit code 2."""

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        col: int | None = None,
        keypath: str | None = None,
        stack: str | None = None,
        hint: str | None = None,
    ) -> None:
        message = _clip_message(message, MESSAGE_LIMIT)
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.keypath = _clip_message(keypath, KEYPATH_LIMIT)
        self.stack = stack
        self.hint = hint

    def __str__(self) -> str:
        parts = []
        loc = location(self.file, self.line, self.col)
        if loc:
            parts.append(loc)
        if self.keypath:
            parts.append(self.keypath)
        parts.append(self.message)
        out = ": ".join(parts)
        if self.stack and (not self.file or not self.file.startswith(self.stack + "/")):
            out += f" [stack {self.stack}]"
        if self.hint:
            out += f" ({self.hint})"
        return out


class YamlError(KonfigError):
    """A YAML file cannot be read safely."""


class UsageError(KonfigError):
    """The command line is wrong (unknown stack, bad key path, bad selector...)."""


@dataclasses.dataclass(frozen=True)
class Problem:
    """One finding of a check, located at the layer file and line that caused it."""

    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    keypath: str = ""
    stack: str | None = None
    source: str = ""  # "model webapp", "policy prod-replicas", "stack.yaml", ...
    severity: str = "error"  # error | warning
    check: str = "validate"  # validate | render | kubernetes | golden | ...

    def __post_init__(self) -> None:
        if len(self.message) > MESSAGE_LIMIT:
            object.__setattr__(self, "message", _clip_message(self.message, MESSAGE_LIMIT))
        if len(self.keypath) > KEYPATH_LIMIT:
            object.__setattr__(self, "keypath", _clip_message(self.keypath, KEYPATH_LIMIT))

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def format(self) -> str:
        """The one-line form: ``file:line:col: key.path: message (source)``."""
        parts = []
        loc = location(self.file, self.line, self.col) or (self.stack or "")
        if loc:
            parts.append(loc)
        if self.keypath:
            parts.append(self.keypath)
        msg = self.message
        if self.severity == "warning":
            msg = "warning: " + msg
        parts.append(msg)
        out = ": ".join(parts)
        if self.source:
            out += f" ({self.source})"
        # The file does not always name the stack (a shared defaults.yaml does not).
        if self.stack and self.file and not self.file.startswith(self.stack + "/"):
            out += f" [stack {self.stack}]"
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "stack": self.stack,
            "file": self.file,
            "line": self.line,
            "column": self.col,
            "keypath": self.keypath,
            "message": self.message,
            "source": self.source,
            "check": self.check,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Problem":
        """The problem ``to_json`` gave (results cache); ``KeyError``/``TypeError`` for another shape."""
        return cls(message=data["message"], file=data["file"], line=data["line"], col=data["column"],
                   keypath=data["keypath"], stack=data["stack"], source=data["source"],
                   severity=data["severity"], check=data["check"])

    @classmethod
    def from_error(cls, err: KonfigError, **kw: Any) -> "Problem":
        return cls(
            message=err.message,
            file=err.file,
            line=err.line,
            col=err.col,
            keypath=err.keypath or "",
            stack=kw.pop("stack", err.stack),
            **kw,
        )
