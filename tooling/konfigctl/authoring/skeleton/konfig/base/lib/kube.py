"""Shapes every model renders the same way: labels, metadata, env vars, container resources.

Renderers import it as `from konfiglib import kube`. Like a renderer, it is a
pure function of its arguments (konfig runs it under the same rules).
"""
from __future__ import annotations

from konfigctl import quantity


def app_labels(stack, config, **extra):
    """app.kubernetes.io/* labels of a workload, then `env`, `extra`, and the config's `labels`."""
    labels = {
        "app.kubernetes.io/name": stack.project,
        "app.kubernetes.io/instance": f"{stack.project}-{stack.name}",
        "app.kubernetes.io/part-of": stack.org or stack.project,
        "app.kubernetes.io/managed-by": "konfig",
    }
    return _finish(labels, stack, config, extra)


def cloud_labels(stack, config):
    """Labels of a cloud resource (they become cloud labels: no `/` or dots in keys)."""
    return _finish({"app": stack.project, "managed-by": "konfig"}, stack, config, {})


def _finish(labels, stack, config, extra):
    if stack.env:
        labels["env"] = stack.env
    labels.update({k: v for k, v in extra.items() if v})
    labels.update(config.get("labels") or {})
    return labels


def metadata(name, stack, labels, annotations=None):
    """A namespaced object's metadata; its own copies of the labels and annotations."""
    out = {"name": name, "namespace": stack.namespace, "labels": dict(labels)}
    if annotations:
        out["annotations"] = dict(annotations)
    return out


def env_var(e):
    """A container env var from a config `env` item: `value`, or `secret: {name, key}`."""
    if "secret" in e:
        ref = e["secret"]
        return {"name": e["name"], "valueFrom": {"secretKeyRef": {"name": ref["name"], "key": ref["key"]}}}
    return {"name": e["name"], "value": e["value"]}


def container_resources(res):
    """Requests and limits from the shared `resources` schema (common.yaml).

    A limit below its request is an error Kubernetes would report only at
    apply time; `disk` is scratch space, asked for and capped (a pod using
    more is evicted).
    """
    for req, lim in (("cpu", "cpu_limit"), ("memory", "memory_limit")):
        if lim in res and quantity.parse(res[lim]) < quantity.parse(res[req]):
            raise ValueError(f"resources.{lim} {res[lim]} is below the request resources.{req} {res[req]}")
    requests = {"cpu": str(res["cpu"]), "memory": str(res["memory"])}
    limits = {}
    if "cpu_limit" in res:
        limits["cpu"] = str(res["cpu_limit"])
    if "memory_limit" in res:
        limits["memory"] = str(res["memory_limit"])
    if "disk" in res:
        requests["ephemeral-storage"] = str(res["disk"])
        limits["ephemeral-storage"] = str(res["disk"])
    out = {"requests": requests}
    if limits:
        out["limits"] = limits
    return out
