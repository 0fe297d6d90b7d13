"""The cronjob model's renderer: a CronJob when `schedule` is set, otherwise a one-off Job.

Pure: konfig calls it with copies of the resolved config and the stack's info.
Named after the project, in the project's namespace, with app.kubernetes.io/*
labels plus `env` and the config's `labels`.
"""
from __future__ import annotations

from konfigctl import quantity


def render(config, stack):
    name = stack.project
    labels = {
        "app.kubernetes.io/name": stack.project,
        "app.kubernetes.io/instance": f"{stack.project}-{stack.name}",
        "app.kubernetes.io/part-of": stack.org or stack.project,
        "app.kubernetes.io/managed-by": "konfig",
    }
    if stack.env:
        labels["env"] = stack.env
    labels.update(config.get("labels") or {})
    metadata = {"name": name, "namespace": stack.namespace, "labels": labels}
    annotations = dict(config.get("annotations") or {})
    if annotations:
        metadata["annotations"] = annotations

    container = {"name": name, "image": config["image"], "command": list(config["command"])}
    if config.get("args"):
        container["args"] = list(config["args"])
    env = [_env_var(e) for e in config.get("env") or []]
    if env:
        container["env"] = env
    container["resources"] = _resources(config["resources"])

    pod_spec = {"restartPolicy": "Never"}
    if config.get("service_account"):
        pod_spec["serviceAccountName"] = config["service_account"]
    pod_spec["containers"] = [container]
    pod_meta = {"labels": dict(labels)}
    if annotations:
        pod_meta["annotations"] = dict(annotations)

    job_spec = {"backoffLimit": config.get("backoff_limit", 3)}
    if "active_deadline_seconds" in config:
        job_spec["activeDeadlineSeconds"] = config["active_deadline_seconds"]
    parallelism = config.get("parallelism", 1)
    if parallelism != 1:
        job_spec["parallelism"] = parallelism
    job_spec["template"] = {"metadata": pod_meta, "spec": pod_spec}

    if "schedule" not in config:
        return [{"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": job_spec}]

    history = config.get("history") or {}
    spec = {
        "schedule": config["schedule"],
        "timeZone": config.get("timezone", "Etc/UTC"),
        "suspend": bool(config.get("suspend", False)),
        "concurrencyPolicy": config.get("concurrency_policy", "Forbid"),
        "successfulJobsHistoryLimit": history.get("successful", 3),
        "failedJobsHistoryLimit": history.get("failed", 1),
        "jobTemplate": {"metadata": {"labels": dict(labels)}, "spec": job_spec},
    }
    return [{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": metadata, "spec": spec}]


def _env_var(e):
    if "secret" in e:
        ref = e["secret"]
        return {"name": e["name"], "valueFrom": {"secretKeyRef": {"name": ref["name"], "key": ref["key"]}}}
    return {"name": e["name"], "value": e["value"]}


def _resources(res):
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
