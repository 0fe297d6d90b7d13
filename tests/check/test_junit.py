"""JUnit XML: one testcase per stack and check, failures with their message and diff."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from konfigctl.check import junit
from konfigctl.check.stack_test import CheckResult, StackResult
from konfigctl.errors import KonfigError


def _results():
    return [
        StackResult("konfig/appops/a/web/dev", "app", [
            CheckResult("validate", "passed", seconds=0.0125),
            CheckResult("render", "failed", message="boom \x01 in render", details=["line one"]),
            CheckResult("golden", "skipped", message="nothing rendered"),
        ]),
        StackResult("konfig/appops/a/web/prod", "app", [
            CheckResult("golden", "failed", message="differs", diff="--- a\n+++ b\n"),
        ]),
    ]


def test_document_counts_and_names_every_check():
    root = ET.fromstring(junit.document(_results(), [("konfig.yaml", "bad roots")], seconds=1.5))
    assert root.attrib | {} == {"name": "konfig test", "tests": "5", "failures": "3", "errors": "0",
                                "skipped": "1", "time": "1.500"}
    cases = root.find("testsuite").findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("konfig/appops/a/web/dev", "validate"), ("konfig/appops/a/web/dev", "render"),
        ("konfig/appops/a/web/dev", "golden"), ("konfig/appops/a/web/prod", "golden"),
        ("repository", "konfig.yaml")]
    assert cases[0].get("time") == "0.013" and cases[0].get("file") == "konfig/appops/a/web/dev/stack.yaml"
    fail = cases[1].find("failure")
    # a character XML cannot carry is replaced, not written (the report would not parse)
    assert fail.get("message") == "render failed (model app): boom ? in render"
    assert fail.text == "line one"
    assert cases[2].find("skipped").get("message") == "nothing rendered"
    assert cases[3].find("failure").text == "--- a\n+++ b\n"


def test_write_makes_missing_directories(tmp_path):
    path = tmp_path / "reports" / "deep" / "junit.xml"
    junit.write(str(path), _results())
    assert ET.parse(path).getroot().get("tests") == "4"


def test_write_to_a_directory_is_bad_input(tmp_path):
    with pytest.raises(KonfigError, match="cannot write the JUnit report"):
        junit.write(str(tmp_path), _results())
