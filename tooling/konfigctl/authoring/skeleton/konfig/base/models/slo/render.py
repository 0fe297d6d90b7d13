"""The slo model's renderer: one PrometheusRule with a rule group per objective.

Pure: konfig calls it with copies of the resolved config and the stack's info.
Each group holds, in evaluation order (rules of a group run one after the
other, so the alerts read SLIs recorded in the same evaluation):

* ``slo:sli_error:ratio_rate<w>`` -- the error ratio (1 - good/total) over
  every window an enabled alert uses (5m, 30m, 1h, 6h, 3d by default);
* ``slo:objective:ratio``, ``slo:error_budget:ratio``, the error ratio over the
  objective's own window and ``slo:period_error_budget_remaining:ratio`` (1:
  untouched, 0: spent, below 0: overspent);
* the page and ticket alerts: any of their windows' conditions, each "the
  error ratio over ``long`` AND over ``short`` is above ``factor`` x budget".

Rule names and the ``service``/``slo`` labels follow Sloth's, so dashboards
made for Sloth read these series. Numbers are exact decimals (0.001, never
0.0010000000000000009): reviewers read the thresholds in golden.yaml.
"""
from __future__ import annotations

from konfiglib import kube, promql

KIND = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule"}
SEVERITIES = ("page", "ticket")


def render(config, stack):
    service = config.get("service") or stack.project
    groups = [_group(service, obj, config) for obj in config["objectives"]]
    labels = kube.app_labels(stack, config)
    metadata = kube.metadata(f"{service}-slos", stack, labels, config.get("annotations"))
    return [{**KIND, "metadata": metadata, "spec": {"groups": groups}}]


def _group(service, obj, config):
    name = obj["name"]
    where = f"objectives[name={name}]"
    window = obj.get("window") or config.get("window", "30d")
    budget = 1 - promql.ratio(obj["target"])
    alerting = _merged(config.get("alerting") or {}, obj.get("alerting") or {})
    alerts = {sev: alerting.get(sev) or {} for sev in SEVERITIES}
    enabled = [sev for sev in SEVERITIES if alerts[sev].get("enabled", True) and alerts[sev].get("windows")]
    for sev in SEVERITIES:
        for i, w in enumerate(alerts[sev].get("windows") or []):
            _check_window(f"{where}.alerting.{sev}.windows[{i}]", w, window, budget, sev in enabled)

    ids = {"service": service, "slo": name}
    match = promql.selector("", "", **ids)  # {service="...",slo="..."}
    # every window of the alerting policy, enabled or not: the same series for
    # every objective (dashboards), and dev records SLIs it does not alert on
    windows = sorted({w[k] for sev in SEVERITIES for w in alerts[sev].get("windows") or []
                      for k in ("long", "short")}, key=promql.seconds)
    rules = [_record(f"slo:sli_error:ratio_rate{w}", _error_ratio(obj, w), ids) for w in windows]
    rules += [
        _record("slo:objective:ratio", f"vector({promql.number(promql.ratio(obj['target']))})", ids),
        _record("slo:error_budget:ratio", f"vector({promql.number(budget)})", ids),
    ]
    if window not in windows:
        rules.append(_record(f"slo:sli_error:ratio_rate{window}", _error_ratio(obj, window), ids))
    rules.append(_record(
        "slo:period_error_budget_remaining:ratio",
        f"1 - (slo:sli_error:ratio_rate{window}{match} / {promql.number(budget)})", ids))
    for sev in enabled:
        rules.append(_alert(service, obj, window, budget, match, alerting, sev))
    return {"name": f"slo-{service}-{name}", "rules": rules}


def _check_window(where, w, window, budget, alerts):
    """Cross-field rules the schema cannot say: windows that could never fire or never end."""
    long_s, short_s = promql.seconds(w["long"]), promql.seconds(w["short"])
    if short_s >= long_s:
        raise ValueError(f"{where}: short {w['short']} must be shorter than long {w['long']}")
    if long_s > promql.seconds(window):
        raise ValueError(f"{where}: long {w['long']} is longer than the objective's window {window}")
    if alerts and promql.decimal(w["factor"]) * budget >= 1:
        raise ValueError(
            f"{where}: a {promql.number(w['factor'])}x burn of a {promql.number(budget * 100)}% budget is "
            f"an error ratio of {promql.number(promql.decimal(w['factor']) * budget * 100)}%: it could "
            "never fire (raise the target or lower the factor)")


def _error_ratio(obj, window):
    """1 - good/total over ``window``: the share of events that broke the objective."""
    if "availability" in obj:
        good, total = obj["availability"]["good"], obj["availability"]["total"]
    else:
        hist = obj["latency"]
        name, matchers = promql.split(hist["histogram"])
        good = promql.selector(f"{name}_bucket", matchers, le=_le(hist["le"]))
        total = promql.selector(f"{name}_count", matchers)
    return f"1 - (sum(rate({good}[{window}])) / sum(rate({total}[{window}])))"


def _le(value):
    """A bucket's ``le`` as the stack writes it (``1`` and ``1.0`` are different label values)."""
    return value if isinstance(value, str) else repr(value)


def _alert(service, obj, window, budget, match, alerting, sev):
    conf = alerting[sev]
    conditions = []
    for w in conf["windows"]:
        threshold = f"({promql.number(w['factor'])} * {promql.number(budget)})"
        conditions.append(
            f"(\n  slo:sli_error:ratio_rate{w['long']}{match} > {threshold}\n"
            f"and\n  slo:sli_error:ratio_rate{w['short']}{match} > {threshold}\n)")
    # service and slo come with the series too; written out, and with slo_severity (page or
    # ticket, as Sloth's sloth_severity), every rule is distinct to promtool's lint even
    # where page and ticket share a severity (staging)
    labels = {"severity": conf["severity"], "slo_severity": sev, "service": service, "slo": obj["name"]}
    if alerting.get("team"):
        labels["team"] = alerting["team"]
    labels.update(alerting.get("labels") or {})
    speed = "fast" if sev == "page" else "slowly"
    target = promql.number(obj["target"])
    description = (obj["description"].strip() + " ") if obj.get("description") else ""
    annotations = {
        "summary": f"{service} {obj['name']}: the error budget is burning {speed} "
                   f"(objective {target}% over {window})",
        "description": description + "{{ $value | humanizePercentage }} of events are bad over the "
                       f"long window; the objective allows {promql.number(budget * 100)}%.",
    }
    if alerting.get("runbook"):
        annotations["runbook_url"] = alerting["runbook"]
    if alerting.get("dashboard"):
        annotations["dashboard_url"] = alerting["dashboard"]
    rule = {"alert": alerting.get("name", "ErrorBudgetBurn"), "expr": "\nor\n".join(conditions) + "\n"}
    if conf.get("for"):
        rule["for"] = conf["for"]
    rule["labels"] = labels
    rule["annotations"] = annotations
    return rule


def _record(name, expr, labels):
    return {"record": name, "expr": expr, "labels": dict(labels)}


def _merged(lower, upper):
    """An objective's alerting over the stack's: mappings merge, anything else is replaced."""
    out = dict(lower)
    for k, v in upper.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
