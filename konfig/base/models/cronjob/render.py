"""The cronjob model's renderer: a CronJob when `schedule` is set, otherwise a one-off Job.

Pure: konfig calls it with copies of the resolved config and the stack's info.
Named after the project, in the project's namespace, with app.kubernetes.io/*
labels plus `env` and the config's `labels`.
"""
from __future__ import annotations

from konfiglib import kube


def render(config, stack):
    name = stack.project
    labels = kube.app_labels(stack, config)
    annotations = config.get("annotations") or {}
    metadata = kube.metadata(name, stack, labels, annotations)

    container = {"name": name, "image": config["image"], "command": list(config["command"])}
    if config.get("args"):
        container["args"] = list(config["args"])
    env = [kube.env_var(e) for e in config.get("env") or []]
    if env:
        container["env"] = env
    container["resources"] = kube.container_resources(config["resources"])

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

