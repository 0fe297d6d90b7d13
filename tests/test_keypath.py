from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from konfigctl import keypath as kp
from konfigctl.errors import UsageError


def test_parse_forms():
    assert kp.parse("resources.disk") == ("resources", "disk")
    assert kp.parse("ports[0]") == ("ports", 0)
    assert kp.parse("ports[-1].port") == ("ports", -1, "port")
    assert kp.parse("env[name=LOG_LEVEL].value") == ("env", kp.Select("name", "LOG_LEVEL"), "value")
    assert kp.parse('labels."app.kubernetes.io/name"') == ("labels", "app.kubernetes.io/name")
    assert kp.parse("env[name='A B']") == ("env", kp.Select("name", "A B"))


@pytest.mark.parametrize("bad, where", [
    ("", "empty"),
    ("a..b", "column 3"),
    ("a.", "trailing"),
    ("a[", "unclosed"),
    ("a[x]", "[index] or [field=value]"),
    ('a."b', "unterminated"),
    ("a b", "unexpected"),
])
def test_parse_errors_are_usage_errors(bad, where):
    with pytest.raises(UsageError) as ei:
        kp.parse(bad)
    assert where in ei.value.message


_key = st.text(alphabet="abcXYZ_-./ :", min_size=1, max_size=6)
_seg = st.one_of(_key, st.integers(min_value=0, max_value=20),
                 st.builds(kp.Select, st.sampled_from(["name", "id"]), st.text(alphabet="abc12", min_size=1, max_size=4)))


@given(st.lists(_seg, min_size=1, max_size=5).filter(lambda p: isinstance(p[0], str)))
def test_format_parse_round_trip(path):
    assert kp.parse(kp.format(tuple(path))) == tuple(path)


def test_get_resolve_and_missing():
    data = {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "n": {"x": 1}}
    assert kp.get(data, kp.parse("env[name=B].value")) == "2"
    assert kp.resolve(data, kp.parse("env[name=B]"))[1] == ("env", 1)
    with pytest.raises(kp.PathNotFound, match="no value at key path env\\[name=C\\]"):
        kp.get(data, kp.parse("env[name=C].value"))
    with pytest.raises(kp.PathNotFound):
        kp.get(data, kp.parse("n.x.y"))


def test_set_creates_path_and_keyed_items():
    data: dict = {}
    kp.set_value(data, kp.parse("a.b.c"), 1)
    kp.set_value(data, kp.parse("env[name=X].value"), "v")
    kp.set_value(data, kp.parse("env[name=X].value"), "w")
    kp.set_value(data, kp.parse("lst[0]"), "first")
    assert data == {"a": {"b": {"c": 1}}, "env": [{"name": "X", "value": "w"}], "lst": ["first"]}
    with pytest.raises(UsageError, match="out of range"):
        kp.set_value(data, kp.parse("lst[5]"), 1)
    with pytest.raises(UsageError, match="not a mapping"):
        kp.set_value(data, kp.parse("a.b.c.d"), 1)


def test_delete_and_append():
    data = {"env": [{"name": "A"}, {"name": "B"}], "args": ["x"]}
    assert kp.delete(data, kp.parse("env[name=A]")) == {"name": "A"}
    kp.append(data, kp.parse("args"), "y")
    kp.append(data, kp.parse("new"), 1)
    assert data == {"env": [{"name": "B"}], "args": ["x", "y"], "new": [1]}
    with pytest.raises(UsageError, match="not a list"):
        kp.append(data, kp.parse("env[0]"), 1)


# -- key globs (review rules' keys) ------------------------------------------------------------

@pytest.mark.parametrize("glob, path, matches", [
    ("resources.**", "resources.cpu", True),
    ("resources.**", "resources", True),  # ** is any number, none included
    ("resources.*", "resources.limits.cpu", False),  # * is one segment
    ("resources.*", "resources.cpu", True),
    ("image", "image", True),
    ("image", "images", False),
    ("**.image", "sidecars[name=proxy].image", True),
    ("**.image", "image", True),
    ("env[name=LOG_LEVEL].value", "env[name=LOG_LEVEL].value", True),
    ("env[name=LOG_*].value", "env[name=LOG_FORMAT].value", True),
    ("env[name=LOG_*].value", "env[name=MODE].value", False),
    ("env[*].value", "env[name=MODE].value", True),
    ("env.*.value", "env[name=MODE].value", True),  # * is any one segment, an item too
    ("ports[*]", "ports[0]", True),
    ("ports", "ports[0]", False),
    ("*", "ports[0]", False),
    ('labels."app.kubernetes.io/name"', 'labels."app.kubernetes.io/name"', True),
    ('labels."app.*"', 'labels."app.kubernetes.io/name"', False),  # a quoted name is literal
    ("res*.cpu", "resources.cpu", True),
])
def test_key_globs_match_key_paths(glob, path, matches):
    assert kp.KeyGlob.parse(glob).matches(path) is matches


@pytest.mark.parametrize("glob, message", [
    ("resources..cpu", "an empty segment at character 11"),
    (".image", "an empty segment at character 1"),
    ("image.", "it ends with a dot"),
    ("env[name=X", "'[' at character 4 is never closed"),
    ("env]", "']' at character 4 closes nothing"),
    ("env[]", "a bad item"),
    ("a**b", "'**' must be a whole segment"),
    ("", "empty"),
    ("a b", "a space in a name"),
])
def test_key_globs_that_cannot_work_are_refused(glob, message):
    with pytest.raises(UsageError) as e:
        kp.KeyGlob.parse(glob)
    assert message in str(e.value)
