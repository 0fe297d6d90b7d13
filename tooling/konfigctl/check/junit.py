"""JUnit XML for CI systems (GitHub, GitLab, Jenkins show it as a test report).

One ``testcase`` per stack and check: ``classname`` is the stack's path,
``name`` the check (``validate``, ``render``, ``kubernetes``, ``golden``), so
reports group the checks under each stack.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from ..files.transaction import atomic_write

if TYPE_CHECKING:
    from .stack_test import StackResult

# Characters XML 1.0 cannot carry, even escaped.
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID.sub("?", text)


def document(results: list["StackResult"], extra_failures: list[tuple[str, str]] = (),  # type: ignore[assignment]
             suite: str = "konfig test", seconds: float = 0.0) -> str:
    """The XML text; ``extra_failures`` are (name, message) of repository-level problems."""
    tests = failures = skipped = 0
    cases: list[ET.Element] = []
    for r in results:
        for c in r.checks:
            tests += 1
            case = ET.Element("testcase", {
                "classname": _clean(r.stack),
                "name": c.name,
                "file": _clean(r.stack + "/stack.yaml"),
                "time": f"{c.seconds:.3f}",
            })
            if c.failed:
                failures += 1
                fail = ET.SubElement(case, "failure", {
                    "message": _clean(f"{c.name} failed (model {r.model}): {c.message}"),
                    "type": c.name,
                })
                body = "\n".join(c.details)
                if c.diff:
                    body = (body + "\n" if body else "") + c.diff
                fail.text = _clean(body or c.message)
            elif c.status == "skipped":
                skipped += 1
                ET.SubElement(case, "skipped", {"message": _clean(c.message)})
            cases.append(case)
    for name, message in extra_failures:
        tests += 1
        failures += 1
        case = ET.Element("testcase", {"classname": "repository", "name": _clean(name), "time": "0"})
        ET.SubElement(case, "failure", {"message": _clean(message), "type": "repository"}).text = _clean(message)
        cases.append(case)
    attrs: dict[str, Any] = {"name": suite, "tests": str(tests), "failures": str(failures),
                             "errors": "0", "skipped": str(skipped), "time": f"{seconds:.3f}"}
    root = ET.Element("testsuites", attrs)
    ts = ET.SubElement(root, "testsuite", attrs)
    ts.extend(cases)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(path: str, results: list["StackResult"], extra_failures: list[tuple[str, str]] = (),  # type: ignore[assignment]
          seconds: float = 0.0) -> None:
    """Write the report (missing parent directories are made, as CI report paths expect)."""
    from ..errors import KonfigError

    try:
        atomic_write(path, document(results, extra_failures, seconds=seconds))
    except OSError as e:
        raise KonfigError(f"cannot write the JUnit report {path}: {e.strerror or e}") from None
    except KonfigError as e:  # the writer refused the target (a directory, a link out of the repo)
        raise KonfigError(f"cannot write the JUnit report {path}: {e.message}") from None
