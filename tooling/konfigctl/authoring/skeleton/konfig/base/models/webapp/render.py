"""Render a webapp stack to Kubernetes resources: a Deployment and a Service.

`render(config, stack)` is a pure function: the resolved configuration (see
schema.yaml) and what konfig knows about the stack (name, env, project,
namespace, labels) in, a list of Kubernetes objects out. `konfig test` checks
them against the cluster's API schemas and compares them with golden.yaml.
"""
from __future__ import annotations

from typing import Any


def _info(stack: Any, key: str) -> Any:
    return stack[key] if isinstance(stack, dict) else getattr(stack, key)


def render(config: dict, stack: Any) -> list[dict]:
    app = _info(stack, "project")
    name = f"{app}-{_info(stack, 'name')}".replace("/", "-")
    namespace = _info(stack, "namespace")
    labels = {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/managed-by": "konfig",
        **{k: str(v) for k, v in (config.get("labels") or {}).items()},
    }
    if _info(stack, "env"):
        labels["konfig.dev/env"] = str(_info(stack, "env"))
    selector = {"app.kubernetes.io/instance": name}
    resources = config["resources"]
    container: dict[str, Any] = {
        "name": "app",
        "image": config["image"],
        "ports": [{"name": "http", "containerPort": config["port"]}],
        "resources": {"requests": {"cpu": str(resources["cpu"]), "memory": str(resources["memory"])}},
    }
    if resources.get("memory_limit"):
        container["resources"]["limits"] = {"memory": str(resources["memory_limit"])}
    if config.get("env"):
        container["env"] = [{"name": e["name"], "value": e["value"]} for e in config["env"]]
    if config.get("health_path"):
        container["readinessProbe"] = {"httpGet": {"path": config["health_path"], "port": "http"}}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": config["replicas"],
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": {**labels, **selector}}, "spec": {"containers": [container]}},
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "type": "LoadBalancer" if config.get("expose") == "public" else "ClusterIP",
            "selector": selector,
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }
    return [deployment, service]
