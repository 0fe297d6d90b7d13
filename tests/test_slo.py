"""The slo model's rules, checked by Prometheus itself (promtool), not only by schema.

Every SLO stack of this repository renders rules that pass ``promtool check
rules``. And ``promtool test rules`` replays synthetic traffic through rules the
model renders with its own defaults (the SRE workbook's burn rates): a full
outage pages within the time the windows and ``for`` allow, a slow burn opens
a ticket and never pages, a healthy service (with a short blip) never alerts --
for an availability SLI (good/total counters) and a latency SLI (histogram
buckets). The expected times are computed from the rendered alerting policy,
so a change of the defaults changes the expectations, not the test.

promtool comes from Debian's ``prometheus`` package. Without it these tests
FAIL (a skipped check would read as a pass in CI): ``.ci/run`` installs it.
"""
from __future__ import annotations

import math
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT

SERVICE = "shop"
TEAM = "payments"
INSTALL = "apt-get install -y --no-install-recommends prometheus"
EVAL = 1  # minutes between evaluations (and between samples)
TRAFFIC = 1000  # requests a minute


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(f"promtool is not installed: it comes from Debian's prometheus package ({INSTALL}); "
                    ".ci/run installs it")
    return path


@pytest.fixture(scope="module")
def repo() -> Any:
    from konfigctl.repo.repository import Repository

    return Repository.discover(repo=str(REPO_ROOT))


def rules_file(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The Prometheus rules file a PrometheusRule's ``spec`` is (what the operator writes)."""
    (rule,) = [r for r in resources if r["kind"] == "PrometheusRule"]
    return {"groups": rule["spec"]["groups"]}


def check_rules(promtool: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)


def test_every_slo_stack_renders_rules_promtool_accepts(repo, promtool, tmp_path):
    from konfigctl.render.renderer import render_stack

    stacks = [s for s in repo.stacks() if s.model_name == "slo"]
    assert len({s.project.path for s in stacks}) >= 4, "several app projects have SLO stacks"
    for stack in stacks:
        path = tmp_path / (stack.path.replace("/", "_") + ".yaml")
        path.write_text(yaml.safe_dump(rules_file(render_stack(repo, stack))))
        proc = check_rules(promtool, path)
        assert proc.returncode == 0, (stack.path, proc.stdout + proc.stderr)
        assert "SUCCESS" in proc.stdout


def test_promtool_check_rules_can_fail(promtool, tmp_path):
    """The check above means something: a broken expression is refused."""
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [
        {"record": "slo:sli_error:ratio_rate5m", "expr": "1 - (sum(rate(x[5m]) / "}]}]}))
    assert check_rules(promtool, path).returncode != 0


# -- promtool test rules ------------------------------------------------------------------

OBJECTIVES = {
    "availability": {
        "name": "availability", "target": 99.9, "pages_within": 5,
        "availability": {"good": 'http_requests_total{job="shop",code!~"5.."}',
                         "total": 'http_requests_total{job="shop"}'},
    },
    "latency": {
        "name": "latency", "target": 99, "pages_within": 15,
        "latency": {"histogram": 'http_request_duration_seconds{job="shop"}', "le": "0.3"},
    },
}


def rendered(repo: Any, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(resolved config, rules file) of a prod SLO stack of ``kind`` (the model's defaults).

    The checkout SLO stack lends its layers (the model's defaults, the prod
    profiles); its objectives are replaced by one over the synthetic series.
    """
    from konfigctl.render.renderer import render_stack
    from konfigctl.resolve.merge import resolve

    stack = repo.find_stack("payments/checkout/slo", cwd=repo.root)
    config = resolve(repo, stack).config
    config["service"] = SERVICE
    config["alerting"]["team"] = TEAM
    config["objectives"] = [{k: v for k, v in OBJECTIVES[kind].items() if k != "pages_within"}]
    return config, rules_file(render_stack(repo, stack, config=config))


def series(kind: str, bad_per_minute: list[float]) -> list[dict[str, str]]:
    """Input series of ``kind`` for TRAFFIC requests a minute, ``bad_per_minute[i]`` of them bad
    in minute i (counters, one sample a minute from 0)."""
    good, bad = [0.0], [0.0]
    for b in bad_per_minute:
        good.append(good[-1] + TRAFFIC - b)
        bad.append(bad[-1] + b)
    fmt = (lambda xs: " ".join(f"{x:.12g}" for x in xs))
    if kind == "availability":
        return [{"series": 'http_requests_total{job="shop",code="200"}', "values": fmt(good)},
                {"series": 'http_requests_total{job="shop",code="500"}', "values": fmt(bad)}]
    total = [g + b for g, b in zip(good, bad)]
    return [{"series": 'http_request_duration_seconds_bucket{job="shop",le="0.3"}', "values": fmt(good)},
            {"series": 'http_request_duration_seconds_bucket{job="shop",le="+Inf"}', "values": fmt(total)},
            {"series": 'http_request_duration_seconds_count{job="shop"}', "values": fmt(total)}]


def minutes(duration: str) -> Decimal:
    units = {"m": 1, "h": 60, "d": 1440}
    return Decimal(duration[:-1]) * units[duration[-1]]


def budget(objective: dict[str, Any]) -> Decimal:
    return 1 - Decimal(str(objective["target"])) / 100


def expected_alert(config: dict[str, Any], rules: dict[str, Any], kind: str, sev: str) -> dict[str, Any]:
    """The alert promtool must see: labels, and the annotations as rendered."""
    alerting = config["alerting"]
    (rule,) = [r for g in rules["groups"] for r in g["rules"]
               if r.get("labels", {}).get("slo_severity") == sev]
    return {"exp_labels": {"severity": alerting[sev]["severity"], "slo_severity": sev, "service": SERVICE,
                           "slo": kind, "team": TEAM},
            "exp_annotations": rule["annotations"]}


def fixed_value_text(rules: dict[str, Any]) -> dict[str, Any]:
    """The rules with ``{{ $value }}`` out of the descriptions: its digits depend on rate()'s
    extrapolation, which the timing under test does not (the template itself is checked by
    ``promtool check rules`` on every stack above)."""
    for g in rules["groups"]:
        for r in g["rules"]:
            if "annotations" in r:
                assert "{{ $value | humanizePercentage }}" in r["annotations"]["description"]
                r["annotations"]["description"] = r["annotations"]["description"].replace(
                    "{{ $value | humanizePercentage }}", "N%")
    return rules


def run_promtool(promtool: str, tmp_path: Path, rules: dict[str, Any],
                 tests: list[dict[str, Any]]) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(fixed_value_text(rules), sort_keys=False))
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(
        {"rule_files": ["rules.yaml"], "evaluation_interval": f"{EVAL}m", "tests": tests}, sort_keys=False))
    proc = subprocess.run([promtool, "test", "rules", "test.yaml"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def at(minute: float) -> str:
    return f"{int(minute)}m"


@pytest.mark.parametrize("kind", ["availability", "latency"])
def test_a_full_outage_pages_within_the_windows_and_for(repo, promtool, tmp_path, kind):
    config, rules = rendered(repo, kind)
    page = config["alerting"]["page"]
    b = budget(OBJECTIVES[kind])
    # A full outage after a healthy history longer than every window: the error ratio over a
    # window of L minutes is (minutes of outage) / (L - 1) -- it holds L samples, L - 1 minutes
    # apart -- so a condition (long, short, factor) holds from the first minute m with
    # m > factor x budget x (L - 1) for both windows; the earliest condition wins.
    def first_minute(w: dict[str, Any]) -> int:
        f = Decimal(str(w["factor"]))
        return max(math.floor(f * b * (minutes(w[k]) - EVAL)) + 1 for k in ("long", "short"))

    detect = min(first_minute(w) for w in page["windows"])
    wait = int(minutes(page["for"]))
    # the workbook's page: minutes after a full outage (99.9%: 1 minute of errors is 1.7% of an
    # hour, above 14.4 x 0.1%; 99%: 14.4% of an hour, 9 minutes)
    assert 2 <= detect + wait <= OBJECTIVES[kind]["pages_within"]
    start = int(max(minutes(w["long"]) for w in page["windows"])) + 30  # healthy, longer than them
    bad = [0.0] * start + [float(TRAFFIC)] * 30
    alert = expected_alert(config, rules, kind, "page")
    run_promtool(promtool, tmp_path, rules, [{
        "name": f"{kind}: full outage from minute {start}",
        "interval": f"{EVAL}m",
        "input_series": series(kind, bad),
        "alert_rule_test": [
            {"eval_time": at(start), "alertname": "ErrorBudgetBurn", "exp_alerts": []},
            # pending, not firing yet: `for` has not passed since the burn was first seen
            {"eval_time": at(start + detect + wait - 1), "alertname": "ErrorBudgetBurn", "exp_alerts": []},
            {"eval_time": at(start + detect + wait), "alertname": "ErrorBudgetBurn", "exp_alerts": [alert]},
            # the ticket's 1x is long exceeded too: it follows once its own `for` has passed
            {"eval_time": at(start + 25), "alertname": "ErrorBudgetBurn",
             "exp_alerts": [alert, expected_alert(config, rules, kind, "ticket")]},
        ],
    }])


@pytest.mark.parametrize("kind", ["availability", "latency"])
def test_a_slow_burn_opens_a_ticket_and_never_pages(repo, promtool, tmp_path, kind):
    config, rules = rendered(repo, kind)
    ticket = config["alerting"]["ticket"]
    (w,) = ticket["windows"]
    b = budget(OBJECTIVES[kind])
    rate = 4  # x budget: above the ticket's 1x, below the page's 6x and 14.4x
    assert Decimal(w["factor"]) < rate < min(Decimal(str(p["factor"])) for p in config["alerting"]["page"]["windows"])
    healthy = 12 * 60  # minutes without errors, inside the long window
    assert healthy < minutes(w["long"])
    # the long window holds the healthy part and the burn: its error ratio is rate x b x
    # burn / (healthy + burn), above factor x b once burn > healthy x factor / (rate - factor)
    cross = healthy * Decimal(str(w["factor"])) / (rate - Decimal(str(w["factor"])))
    assert cross > minutes(w["short"]) * Decimal(str(w["factor"])) / rate, "the short window is not what waits"
    wait = int(minutes(ticket["for"]))
    fires = healthy + int(cross) + wait
    burn = int(cross) + wait + 60
    bad = [0.0] * healthy + [float(TRAFFIC * rate * b)] * burn
    ticket_alert = expected_alert(config, rules, kind, "ticket")
    checks: list[dict[str, Any]] = [
        {"eval_time": at(t), "alertname": "ErrorBudgetBurn", "exp_alerts": []}
        for t in (healthy, healthy + 60, healthy + int(cross) // 2, fires - 5)
    ]
    checks += [{"eval_time": at(t), "alertname": "ErrorBudgetBurn", "exp_alerts": [ticket_alert]}
               for t in (fires + 5, healthy + burn)]  # a ticket, and no page with it
    run_promtool(promtool, tmp_path, rules, [{
        "name": f"{kind}: a {rate}x burn after {healthy} healthy minutes",
        "interval": f"{EVAL}m",
        "input_series": series(kind, bad),
        "alert_rule_test": checks,
    }])


@pytest.mark.parametrize("kind", ["availability", "latency"])
def test_a_healthy_service_never_alerts(repo, promtool, tmp_path, kind):
    config, rules = rendered(repo, kind)
    b = budget(OBJECTIVES[kind])
    hours = 8
    # half the budget's error rate all along, and a one-minute blip at 5x the page's burn
    # rate in the middle (a bad deploy rolled back): an hour dilutes it below the threshold
    bad = [float(TRAFFIC * b / 2)] * (hours * 60)
    bad[hours * 30] = float(TRAFFIC * b * Decimal("14.4") * 5)
    checks = [{"eval_time": at(t), "alertname": "ErrorBudgetBurn", "exp_alerts": []}
              for t in range(10, hours * 60, 10)]
    remaining = f'slo:period_error_budget_remaining:ratio{{service="{SERVICE}",slo="{kind}"}}'
    # what is left of the budget: 1 - (bad / all) / budget, over the window (all the data here)
    left = 1 - Decimal(str(sum(bad))) / (TRAFFIC * len(bad)) / b
    assert Decimal("0.2") < left < Decimal("0.5")  # half of it at the steady rate, the blip took more
    run_promtool(promtool, tmp_path, rules, [{
        "name": f"{kind}: {hours} healthy hours with a blip",
        "interval": f"{EVAL}m",
        "input_series": series(kind, bad),
        "alert_rule_test": checks,
        "promql_expr_test": [{
            "expr": f"({remaining} > bool {left - Decimal('0.01')}) * ({remaining} < bool {left + Decimal('0.01')})",
            "eval_time": at(hours * 60 - 1),
            "exp_samples": [{"labels": f'{{service="{SERVICE}",slo="{kind}"}}', "value": 1}],
        }],
    }])


# -- the model: what its schema and renderer refuse, at which key path ----------------------

CHECKOUT = "payments/checkout/slo"
CHECKOUT_FILE = "konfig/appops/payments/checkout/slo/stack.yaml"


@pytest.mark.parametrize("override, where, message", [
    ("objectives[name=availability].target=100", "objectives[name=availability].target", "100 must be below 100"),
    ("objectives[name=availability].target=0", "objectives[name=availability].target", "0 must be above 0"),
    ("objectives[name=latency].window=30", "objectives[name=latency].window", "expected string, got integer"),
    ("objectives[name=latency].window=1y", "objectives[name=latency].window", "does not match the pattern"),
    ("window=91d", "window", "does not match the pattern"),
    ("objectives[name=availability].availability.good=", "objectives[name=availability].availability.good",
     "is required but not set"),
    ("objectives[name=availability].availability.total=''", "objectives[name=availability].availability.total",
     "is shorter than 1 characters"),
    ('objectives[name=availability].availability.good="sum(rate(x[5m]))"',
     "objectives[name=availability].availability.good", "does not match the pattern"),
    ("objectives[name=latency].latency.histogram=x_bucket", "objectives[name=latency].latency.histogram",
     "must not match the pattern"),
    ("objectives[1].name=availability", "objectives[name=availability].name",
     "is the name of an earlier item too"),
    ("objectives[name=latency].availability={good: a, total: b}", "objectives[name=latency]",
     "availability or latency, not both"),
    ("alerting.team=null", "alerting.team", "is required but not set"),
    ("alerting.page.windows[0].factor=0", "alerting.page.windows[0].factor", "must be above 0"),
    ("alerting.labels.severity=x", "alerting.labels", "severity must not be one of"),
    ("alerting.runbook=runbooks/checkout", "alerting.runbook", "does not match the pattern"),
])
def test_the_schema_refuses_bad_objectives_at_their_key_path(cli, override, where, message):
    res = cli("validate", CHECKOUT, "-O", override, repo=REPO_ROOT)
    assert res.exit_code == 1, res.output
    assert f": {where}: " in res.stdout and message in res.stdout, res.stdout


def test_prod_targets_stay_within_sane_bounds(cli):
    res = cli("validate", CHECKOUT, "-O", "objectives[name=latency].target=90", repo=REPO_ROOT)
    assert res.exit_code == 1
    assert ("objectives[name=latency].target: 90 is below the minimum 95 (policy prod-slo-targets)"
            in res.stdout)
    res = cli("validate", CHECKOUT, "-O", "objectives[name=availability].target=99.999", repo=REPO_ROOT)
    assert "99.999 is above the maximum 99.99 (policy prod-slo-targets)" in res.stdout
    # staging may try what it likes
    assert cli("validate", "payments/checkout/slo-staging", "-O", "objectives[name=latency].target=90",
               repo=REPO_ROOT).exit_code == 0


@pytest.mark.parametrize("overrides, message", [
    (["alerting.page.windows=[{long: 5m, short: 1h, factor: 14.4}]"],
     "objectives[name=availability].alerting.page.windows[0]: short 1h must be shorter than long 5m"),
    (["alerting.ticket.windows=[{long: 40d, short: 6h, factor: 1}]"],
     "objectives[name=availability].alerting.ticket.windows[0]: long 40d is longer than the objective's "
     "window 30d"),
    (["objectives[name=latency].target=93", "objectives[name=latency].alerting.page.enabled=true"],
     "objectives[name=latency].alerting.page.windows[0]: a 14.4x burn of a 7% budget is an error ratio of "
     "100.8%: it could never fire"),
])
def test_the_renderer_refuses_windows_that_cannot_work(cli, overrides, message):
    res = cli("render", CHECKOUT, *[a for o in overrides for a in ("-O", o)], repo=REPO_ROOT)
    assert res.exit_code == 1, res.output
    assert message in res.stderr, res.stderr
    assert "konfig/base/models/slo/render.py:" in res.stderr
    assert "[stack konfig/appops/payments/checkout/slo]" in res.stderr


def test_a_window_that_cannot_fire_is_fine_when_it_does_not_alert(cli):
    # checkout's latency objective does not page: 14.4 x a 7% budget is nothing to refuse there
    assert cli("render", CHECKOUT, "-O", "objectives[name=latency].target=93", repo=REPO_ROOT).exit_code == 0


def test_rendered_numbers_are_exact_and_labels_route(repo):
    from konfigctl.render.renderer import render_stack

    (rule,) = render_stack(repo, repo.find_stack("payments/ledger/slo", cwd=repo.root))
    assert rule["metadata"]["labels"]["prometheus"] == "k8s"  # the ruleSelector of our Prometheus
    rules = {(r.get("record") or r["alert"], r["labels"].get("slo_severity")): r
             for g in rule["spec"]["groups"] if g["name"] == "slo-ledger-availability" for r in g["rules"]}
    assert rules[("slo:error_budget:ratio", None)]["expr"] == "vector(0.0005)"  # 99.95, not 0.000499999...
    page = rules[("ErrorBudgetBurn", "page")]
    assert "> (14.4 * 0.0005)" in page["expr"] and "> (6 * 0.0005)" in page["expr"]
    assert page["labels"] == {"severity": "critical", "slo_severity": "page", "service": "ledger",
                              "slo": "availability", "team": "payments", "escalation": "finance-ops"}
    assert page["annotations"]["runbook_url"] == "https://runbooks.acme.io/payments/ledger/slo"
    remaining = rules[("slo:period_error_budget_remaining:ratio", None)]["expr"]
    assert remaining == '1 - (slo:sli_error:ratio_rate30d{service="ledger",slo="availability"} / 0.0005)'


# imported by `konfig import crd --schema-only` from the CRD beside it (tests/imports/test_repository_crds.py)
PROMETHEUS_RULE_SCHEMA = "crds/monitoring.coreos.com_prometheusrule_v1.yaml"
PROMETHEUS_RULE_CRD = "crd-sources/prometheusrules.monitoring.coreos.com.yaml"


def test_the_skeleton_ships_this_repositorys_slo_model():
    """``konfig init`` gives new Konfigs the same model (getting-started.md uses it)."""
    skeleton = REPO_ROOT / "tooling" / "konfigctl" / "authoring" / "skeleton" / "konfig" / "base"
    ours = REPO_ROOT / "konfig" / "base"
    files = [p.relative_to(ours) for p in (ours / "models" / "slo").rglob("*") if p.is_file()]
    files += [Path("lib/promql.py"), Path("lib/kube.py"), Path(PROMETHEUS_RULE_SCHEMA),
              Path(PROMETHEUS_RULE_CRD)]
    assert len(files) >= 7
    for rel in files:
        assert (skeleton / rel).read_text() == (ours / rel).read_text(), rel
