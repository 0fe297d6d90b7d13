"""GitLab CI: the ``konfig`` pipeline, its child pipeline of test shards, and the merge request note."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ...errors import KonfigError
from .base import GENERATED_MARK, HEADER, _install, settings
from .base import precise_flag as _precise

if TYPE_CHECKING:
    from ...repo.repository import Repository
    from ..affected import Affected

NAME = "gitlab"
GITLAB_MAX_PARALLEL = 200  # `parallel:` accepts at most 200
GITLAB_FILE = "pipelines/gitlab/konfig.gitlab-ci.yml"
GITLAB_ROOT = ".gitlab-ci.yml"
DIRS = (os.path.dirname(GITLAB_FILE),)
ROOT_FILES = (GITLAB_ROOT,)

# -- GitLab CI --------------------------------------------------------------------------------

GITLAB_BASE_SCRIPT = """\
# The commit the change is compared with: the MR's base, or what the push replaced.
if [ -n "$CI_MERGE_REQUEST_DIFF_BASE_SHA" ]; then
  KONFIG_BASE="$CI_MERGE_REQUEST_DIFF_BASE_SHA"
elif [ -n "$CI_COMMIT_BEFORE_SHA" ] && git cat-file -e "$CI_COMMIT_BEFORE_SHA^{commit}" 2>/dev/null; then
  KONFIG_BASE="$CI_COMMIT_BEFORE_SHA"
else
  KONFIG_BASE="$(git rev-parse HEAD^1 2>/dev/null || git rev-parse HEAD)"
fi
"""

# The GitLab API from a job, in Python (the image has it: konfig runs on it): no JSON parsing in shell,
# pagination followed, and an HTTP error said in words naming the variable to fix.
GITLAB_API_PY = """\
import json, os, sys, urllib.error, urllib.parse, urllib.request
API = os.environ["CI_API_V4_URL"]
MR = "%s/projects/%s/merge_requests/%s" % (API, os.environ["CI_PROJECT_ID"], os.environ["CI_MERGE_REQUEST_IID"])
def call(method, url, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"PRIVATE-TOKEN": os.environ["KONFIG_GITLAB_TOKEN"]})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.load(resp), resp.headers.get("X-Next-Page")
    except urllib.error.HTTPError as e:
        sys.exit("%s %s: GitLab answered %s %s: KONFIG_GITLAB_TOKEN must be a token of a member of this "
                 "project with the %s scope" % (method, url.split("?")[0], e.code, e.reason, SCOPE))
    except urllib.error.URLError as e:
        sys.exit("%s %s: %s" % (method, url.split("?")[0], e.reason))
def pages(url):
    page = "1"
    while page:
        items, page = call("GET", "%s%sper_page=100&page=%s" % (url, "&" if "?" in url else "?", page))
        yield from items
"""

GITLAB_NOTE_SCRIPT = """\
# The MR note is this job's own (its author's, starting with the marker): updated in place on every push.
# It needs a CI/CD variable KONFIG_GITLAB_TOKEN (a token with the api scope).
if [ -z "${KONFIG_GITLAB_TOKEN:-}" ]; then
  echo "KONFIG_GITLAB_TOKEN is not set: the diff is in the job's artifacts only (add that CI/CD variable, a token with the api scope, to get it as a merge request note)"
  exit 0
fi
python - konfig-diff.md <<'EOF'
SCOPE = "api"
""" + GITLAB_API_PY + """\
MARK = "<!-- konfig-diff -->"
body = MARK + "\\n" + open(sys.argv[1], encoding="utf-8").read()
me = call("GET", API + "/user")[0]["id"]
own = [n["id"] for n in pages(MR + "/notes?sort=asc&order_by=created_at")
       if (n.get("author") or {}).get("id") == me and str(n.get("body", "")).startswith(MARK)]
if own:
    call("PUT", "%s/notes/%s" % (MR, own[-1]), {"body": body})
    print("updated the konfig diff note of the merge request")
else:
    call("POST", MR + "/notes", {"body": body})
    print("added the konfig diff note to the merge request")
EOF
"""

GITLAB_REVIEW_SCRIPT = """\
# Approvals and the author come from the API: a CI/CD variable KONFIG_GITLAB_TOKEN (read_api scope).
if [ -z "${KONFIG_GITLAB_TOKEN:-}" ]; then
  echo "KONFIG_GITLAB_TOKEN is not set: add that CI/CD variable (a token with the read_api scope) so that this job can read the merge request's author and approvals" >&2
  exit 1
fi
tmp="${TMPDIR:-/tmp}"
python - > "$tmp/review.txt" <<'EOF'
SCOPE = "read_api"
""" + GITLAB_API_PY + """\
print(call("GET", MR)[0]["author"]["username"])
approved = call("GET", MR + "/approvals")[0].get("approved_by") or []
print(",".join(sorted(a["user"]["username"] for a in approved)))
EOF
{ read -r author; read -r approvers; } < "$tmp/review.txt"
konfig review --base "$KONFIG_BASE" --author "$author" --approved-by "$approvers"
"""


def gitlab_pipeline(repo: "Repository", conf: dict[str, Any]) -> dict[str, Any]:
    jobs_on = conf["jobs"]
    mr_only = [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    doc: dict[str, Any] = {
        "workflow": {"rules": [
            {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
            {"if": "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", "when": "never"},
            {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"},
        ]},
        "stages": ["detect", "test", "check"],
        "variables": {"GIT_DEPTH": "0"},  # merge-bases need the history
        "default": {
            "image": str(conf["image"]),
            "interruptible": True,
            "timeout": f"{int(conf['timeout_minutes'])} minutes",
            "before_script": [_install(conf)],
        },
        "konfig-detect": {
            "stage": "detect",
            # files are written only after konfig ran: untracked files would make the tree dirty
            "script": [
                GITLAB_BASE_SCRIPT,
                f'konfig affected --base "$KONFIG_BASE" --why{_precise(conf)}',
                f'konfig affected --base "$KONFIG_BASE"{_precise(conf)} --format gitlab'
                ' > "${TMPDIR:-/tmp}/konfig-child.yml"',
                'mv "${TMPDIR:-/tmp}/konfig-child.yml" konfig-child.yml',
                "printf 'KONFIG_BASE=%s\\n' \"$KONFIG_BASE\" > konfig.env",
            ],
            "artifacts": {"paths": ["konfig-child.yml"], "reports": {"dotenv": "konfig.env"}},
        },
        # the shards: a child pipeline made by the detect job (one no-op job if nothing is affected)
        "konfig-test": {
            "stage": "test",
            "needs": ["konfig-detect"],
            "inherit": {"default": False},  # a trigger job runs no script
            "trigger": {
                "include": [{"artifact": "konfig-child.yml", "job": "konfig-detect"}],
                "strategy": "depend",
            },
        },
    }
    if jobs_on.get("diff"):
        doc["konfig-diff"] = {
            "stage": "check",
            "needs": ["konfig-detect"],
            "rules": mr_only,
            "script": ['konfig diff --base "$KONFIG_BASE" --format markdown '
                       '> "${TMPDIR:-/tmp}/konfig-diff.md"',
                       'mv "${TMPDIR:-/tmp}/konfig-diff.md" konfig-diff.md',
                       GITLAB_NOTE_SCRIPT],
            "artifacts": {"when": "always", "paths": ["konfig-diff.md"], "expose_as": "konfig diff"},
        }
    if jobs_on.get("review"):
        doc["konfig-review"] = {
            "stage": "check",
            "needs": ["konfig-detect"],
            "rules": mr_only,
            "script": [GITLAB_REVIEW_SCRIPT],
        }
    if jobs_on.get("owners"):
        doc["konfig-owners"] = {"stage": "check", "needs": [], "script": ["konfig owners check"]}
    if jobs_on.get("fmt"):
        # only the files the change touches (all of them when the tool or konfig.yaml changed)
        doc["konfig-fmt"] = {"stage": "check", "needs": [], "script": [
            GITLAB_BASE_SCRIPT, 'konfig fmt --check --changed "$KONFIG_BASE"']}
    if jobs_on.get("drift"):
        doc["konfig-drift"] = {"stage": "check", "needs": [], "script": [
            "konfig pipeline emit --check",
            "konfig owners codeowners --target gitlab --check",
            "konfig docs --check",
        ]}
    return doc


def gitlab_child(repo: "Repository", result: "Affected", shard_size: int | None = None,
                 max_shards: int | None = None) -> str:
    """The child pipeline ``konfig affected --format gitlab`` writes: test jobs over the shards.

    It names no stack: each job selects its slice with ``--shard
    $CI_NODE_INDEX/$CI_NODE_TOTAL`` from the merge-base recorded here.
    """
    from ...yamlio import dump
    from ..shards import shard_count

    conf = settings(repo)
    size = shard_size or int(conf["shard_size"])
    limit = min(max_shards or int(conf["max_shards"]), GITLAB_MAX_PARALLEL)
    n = len(result.paths())  # with --precise: only what really changes
    shards = shard_count(n, size, limit)
    precise = " --precise" if result.precise else ""
    doc: dict[str, Any] = {
        "variables": {"KONFIG_BASE": result.change.merge_base, "GIT_DEPTH": "0"},
        "default": {"image": str(conf["image"]), "interruptible": True},
    }
    if shards == 0:
        doc["konfig-nothing-affected"] = {
            "variables": {"GIT_STRATEGY": "none"},
            "script": ["echo 'No stack is affected: nothing to test.'"],
        }
    else:
        job: dict[str, Any] = {
            "timeout": f"{int(conf['timeout_minutes'])} minutes",
            "before_script": [_install(conf)],
            "script": [f'konfig test --affected "$KONFIG_BASE"{precise} '
                       '--shard "${CI_NODE_INDEX:-1}/${CI_NODE_TOTAL:-1}" --junit junit.xml'],
            "artifacts": {"when": "always", "reports": {"junit": "junit.xml"}},
        }
        if shards > 1:
            job = {"parallel": shards, **job}
        doc["konfig-test"] = job
    head = (f"# Generated by `konfig affected --format gitlab`: {n} affected "
            f"stack{'s' if n != 1 else ''} in {shards} shard{'s' if shards != 1 else ''}.\n")
    return head + dump(doc)



def _includes(text: str, target: str) -> bool:
    """Whether a ``.gitlab-ci.yml`` of the user's includes ``target`` (local include)."""
    from ...yamlio import load

    try:
        data = load(text, GITLAB_ROOT).data
    except KonfigError:
        return False
    inc = data.get("include") if isinstance(data, dict) else None
    items = inc if isinstance(inc, list) else [inc]
    for item in items:
        if isinstance(item, str) and item.lstrip("/") == target:
            return True
        if isinstance(item, dict) and str(item.get("local", "")).lstrip("/") == target:
            return True
    return False



def files(repo: "Repository", conf: dict[str, Any], read) -> list:
    """The pipeline file, and a ``.gitlab-ci.yml`` including it (one of the user's must include it)."""
    from ...yamlio import dump
    from .base import Emitted

    head = HEADER.format(target=NAME)
    out = [Emitted(GITLAB_FILE, head + dump(gitlab_pipeline(repo, conf)), read(repo, GITLAB_FILE))]
    include = head + dump({"include": [{"local": GITLAB_FILE}]})
    current = read(repo, GITLAB_ROOT)
    if current is None or current.startswith(GENERATED_MARK):
        out.append(Emitted(GITLAB_ROOT, include, current))
    else:
        problem = None if _includes(current, GITLAB_FILE) else (
            f"{GITLAB_ROOT} is your own and does not include {GITLAB_FILE}: add "
            f"`include: [{{local: {GITLAB_FILE}}}]` to it")
        out.append(Emitted(GITLAB_ROOT, include, current, owned=False, problem=problem))
    return out
