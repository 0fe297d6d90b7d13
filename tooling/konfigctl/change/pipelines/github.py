"""GitHub Actions: the ``konfig`` workflow (detect, test matrix, diff, checks, one gate) and ``konfig review``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...files import paths
from .base import HEADER, _install
from .base import precise_flag as _precise

if TYPE_CHECKING:
    from ...repo.repository import Repository

NAME = "github"
GITHUB_DIR = "pipelines/github"
GITHUB_WORKFLOWS = ".github/workflows"
DIRS = (GITHUB_DIR, GITHUB_WORKFLOWS)
ROOT_FILES: tuple[str, ...] = ()

CHECKOUT = "actions/checkout@v4"
# every run: step under `bash --noprofile --norc -eo pipefail {0}` (the default shell has no pipefail)
def _run_defaults() -> dict[str, Any]:
    return {"run": {"shell": "bash"}}  # a fresh dict per file: a shared one would dump as a YAML alias
SETUP_PYTHON = "actions/setup-python@v5"
UPLOAD = "actions/upload-artifact@v4"
# -- GitHub Actions ------------------------------------------------------------------------------

def _gh_setup(conf: dict[str, Any]) -> list[dict[str, Any]]:
    """Checkout with history (merge-bases need it), Python, konfig."""
    return [
        {"uses": CHECKOUT, "with": {"fetch-depth": 0, "persist-credentials": False}},
        {"uses": SETUP_PYTHON, "with": {"python-version": str(conf["python"])}},
        {"name": "Install konfig", "run": _install(conf)},
    ]


def _gh_job(conf: dict[str, Any], name: str, steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    job: dict[str, Any] = {"name": name}
    for key in ("needs", "if", "permissions", "outputs", "strategy"):
        if key in extra:
            job[key] = extra.pop(key)
    job["runs-on"] = str(conf["runs_on"])
    job["timeout-minutes"] = extra.pop("timeout", conf["timeout_minutes"])
    job.update(extra)
    job["steps"] = _gh_setup(conf) + steps
    return job


BASE_SCRIPT = """\
# The commit the change is compared with: the PR's base, or what the push replaced.
if [ "$EVENT_NAME" = pull_request ]; then
  base="$PR_BASE_SHA"
elif [ -n "$PUSH_BEFORE" ] && git cat-file -e "$PUSH_BEFORE^{commit}" 2>/dev/null; then
  base="$PUSH_BEFORE"
else
  base="$(git rev-parse HEAD^1 2>/dev/null || git rev-parse HEAD)"
fi
printf 'base=%s\\n' "$base" >> "$GITHUB_OUTPUT"
"""

DETECT_SCRIPT = """\
konfig affected --base "$KONFIG_BASE" --why{precise}
konfig affected --base "$KONFIG_BASE"{precise} --format github-matrix > "$RUNNER_TEMP/matrix.json"
printf 'matrix=%s\\n' "$(cat "$RUNNER_TEMP/matrix.json")" >> "$GITHUB_OUTPUT"
python -c 'import json, sys; print("shards=%d" % len(json.load(sys.stdin)["include"]))' \\
  < "$RUNNER_TEMP/matrix.json" >> "$GITHUB_OUTPUT"
"""

NOTE_MARK = "<!-- konfig-diff -->"  # finds the comment/note this job owns, to update it in place

DIFF_SCRIPT = """\
konfig diff --base "$KONFIG_BASE" --format markdown > "$RUNNER_TEMP/konfig-diff.md"
# kept in the run whatever happens to the comment: a fork's read-only token cannot post one
cat "$RUNNER_TEMP/konfig-diff.md" >> "$GITHUB_STEP_SUMMARY"
"""

COMMENT_SCRIPT = """\
# The job's own comment (a bot's, starting with the marker) is updated; a new one only the first time.
body="$RUNNER_TEMP/konfig-comment.md"
{ printf '%s\\n' '<!-- konfig-diff -->'; cat "$RUNNER_TEMP/konfig-diff.md"; } > "$body"
id="$(gh api --paginate "repos/$GH_REPO/issues/$PR_NUMBER/comments" \\
  --jq '.[] | select(.user.type == "Bot" and (.body | startswith("<!-- konfig-diff -->"))) | .id' \\
  | tail -n 1)" || id=""
if [ -n "$id" ]; then
  posted=0; gh api --method PATCH "repos/$GH_REPO/issues/comments/$id" -F "body=@$body" > /dev/null || posted=$?
else
  posted=0; gh pr comment "$PR_NUMBER" --body-file "$body" || posted=$?
fi
if [ "$posted" != 0 ]; then
  echo "::warning::could not comment on the pull request (a fork's read-only token?): the diff is in this run's summary and in its konfig-diff artifact"
  exit 1
fi
"""

GATE_SCRIPT = """\
echo "results: $RESULTS"
case " $RESULTS " in
  *" failure "*|*" cancelled "*) exit 1 ;;
esac
"""

APPROVALS_SCRIPT = """\
gh api --paginate "repos/$GH_REPO/pulls/$PR_NUMBER/reviews" \\
  --jq '.[] | [.user.login, .state] | @tsv' > "$RUNNER_TEMP/reviews.tsv"
python - "$RUNNER_TEMP/reviews.tsv" >> "$GITHUB_OUTPUT" <<'EOF'
import sys
last = {}  # a reviewer's latest decision counts
for line in open(sys.argv[1], encoding="utf-8"):
    user, _, state = line.rstrip("\\n").partition("\\t")
    if state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
        last[user] = state
print("approvers=" + ",".join(sorted(u for u, s in last.items() if s == "APPROVED")))
EOF
"""

REVIEW_SCRIPT = """\
konfig review --base "$KONFIG_BASE" --author "$PR_AUTHOR" --approved-by "$APPROVERS"
"""


def github_workflow(repo: "Repository", conf: dict[str, Any]) -> dict[str, Any]:
    jobs_on = conf["jobs"]
    jobs: dict[str, Any] = {}
    jobs["detect"] = _gh_job(
        conf, "Detect affected stacks", [
            {"name": "Base commit", "id": "base", "env": {
                "EVENT_NAME": "${{ github.event_name }}",
                "PR_BASE_SHA": "${{ github.event.pull_request.base.sha }}",
                "PUSH_BEFORE": "${{ github.event.before }}",
            }, "run": BASE_SCRIPT},
            {"name": "Affected stacks", "id": "affected",
             "env": {"KONFIG_BASE": "${{ steps.base.outputs.base }}"}, "run": DETECT_SCRIPT.replace("{precise}", _precise(conf))},
        ],
        outputs={
            "base": "${{ steps.base.outputs.base }}",
            "matrix": "${{ steps.affected.outputs.matrix }}",
            "shards": "${{ steps.affected.outputs.shards }}",
        },
        timeout=min(15, int(conf["timeout_minutes"])),
    )
    jobs["test"] = _gh_job(
        conf, "Test ${{ matrix.shard }}", [
            {"name": "konfig test", "env": {
                "KONFIG_BASE": "${{ needs.detect.outputs.base }}",
                "KONFIG_SHARD": "${{ matrix.shard }}",
            }, "run": f'konfig test --affected "$KONFIG_BASE"{_precise(conf)} --shard "$KONFIG_SHARD" '
                      '--junit "$RUNNER_TEMP/junit.xml"\n'},
            {"name": "Upload the test report", "if": "always()", "uses": UPLOAD, "with": {
                "name": "junit-${{ matrix.index }}",
                "path": "${{ runner.temp }}/junit.xml",
                "if-no-files-found": "ignore",
            }},
        ],
        needs="detect",
        # no job with an empty matrix: nothing affected, nothing to run
        **{"if": "needs.detect.outputs.shards != '0'"},
        strategy={"fail-fast": False, "matrix": "${{ fromJSON(needs.detect.outputs.matrix) }}"},
    )
    if jobs_on.get("diff"):
        jobs["diff"] = _gh_job(
            conf, "Config diff comment", [
                {"name": "konfig diff", "env": {"KONFIG_BASE": "${{ needs.detect.outputs.base }}"},
                 "run": DIFF_SCRIPT},
                {"name": "Keep the diff", "if": "always()", "uses": UPLOAD, "with": {
                    "name": "konfig-diff",
                    "path": "${{ runner.temp }}/konfig-diff.md",
                    "if-no-files-found": "ignore",
                }},
                {"name": "Comment on the pull request", "continue-on-error": True, "env": {
                    "GH_TOKEN": "${{ github.token }}",
                    "GH_REPO": "${{ github.repository }}",
                    "PR_NUMBER": "${{ github.event.pull_request.number }}",
                }, "run": COMMENT_SCRIPT},
            ],
            needs="detect",
            permissions={"contents": "read", "pull-requests": "write"},
            **{"if": "github.event_name == 'pull_request'"},
        )
    if jobs_on.get("owners"):
        jobs["owners"] = _gh_job(conf, "Ownership", [
            {"name": "konfig owners check", "run": "konfig owners check\n"}])
    if jobs_on.get("fmt"):
        # only the files the change touches (all of them when the tool or konfig.yaml changed)
        jobs["fmt"] = _gh_job(conf, "Format", [
            {"name": "konfig fmt --check", "env": {"KONFIG_BASE": "${{ needs.detect.outputs.base }}"},
             "run": 'konfig fmt --check --changed "$KONFIG_BASE"\n'}], needs="detect")
    if jobs_on.get("drift"):
        jobs["drift"] = _gh_job(conf, "Generated files are current", [
            {"name": "Pipelines", "run": "konfig pipeline emit --check\n"},
            {"name": "CODEOWNERS", "run": "konfig owners codeowners --target github --check\n"},
            {"name": "Model docs", "run": "konfig docs --check\n"},
        ])
    needs = [j for j in jobs]
    jobs["konfig"] = {
        "name": "konfig",
        "needs": needs,
        "if": "always()",
        "runs-on": str(conf["runs_on"]),
        "timeout-minutes": 5,
        "steps": [{"name": "All konfig jobs passed (or had nothing to do)",
                   "env": {"RESULTS": "${{ join(needs.*.result, ' ') }}"}, "run": GATE_SCRIPT}],
    }
    return {
        "name": "konfig",
        "on": {
            "pull_request": None,
            "push": {"branches": [str(conf["default_branch"])]},
        },
        "permissions": {"contents": "read"},
        "defaults": _run_defaults(),
        "concurrency": {
            "group": "konfig-${{ github.event.pull_request.number || github.sha }}",
            "cancel-in-progress": True,
        },
        "jobs": jobs,
    }


def github_review_workflow(repo: "Repository", conf: dict[str, Any]) -> dict[str, Any]:
    """``konfig review`` again on every review, without rerunning the tests."""
    return {
        "name": "konfig review",
        "on": {
            "pull_request": {"types": ["opened", "synchronize", "reopened", "ready_for_review"]},
            "pull_request_review": {"types": ["submitted", "dismissed"]},
        },
        "permissions": {"contents": "read", "pull-requests": "read"},
        "defaults": _run_defaults(),
        "concurrency": {
            "group": "konfig-review-${{ github.event.pull_request.number }}",
            "cancel-in-progress": True,
        },
        "jobs": {
            "review": _gh_job(conf, "Review rules", [
                {"name": "Approvals", "id": "approvals", "env": {
                    "GH_TOKEN": "${{ github.token }}",
                    "GH_REPO": "${{ github.repository }}",
                    "PR_NUMBER": "${{ github.event.pull_request.number }}",
                }, "run": APPROVALS_SCRIPT},
                {"name": "konfig review", "env": {
                    "KONFIG_BASE": "${{ github.event.pull_request.base.sha }}",
                    "PR_AUTHOR": "${{ github.event.pull_request.user.login }}",
                    "APPROVERS": "${{ steps.approvals.outputs.approvers }}",
                }, "run": REVIEW_SCRIPT},
            ]),
        },
    }



def files(repo: "Repository", conf: dict[str, Any], read) -> list:
    """The workflow files, each in ``pipelines/github/`` and in ``.github/workflows/``."""
    from ...yamlio import dump
    from .base import Emitted

    head = HEADER.format(target=NAME)
    docs = [("konfig.yml", github_workflow(repo, conf))]
    if conf["jobs"].get("review"):
        docs.append(("konfig-review.yml", github_review_workflow(repo, conf)))
    out = []
    for name, doc in docs:
        text = head + dump(doc)
        for where in DIRS:
            rel = paths.join(where, name)
            out.append(Emitted(rel, text, read(repo, rel)))
    return out
