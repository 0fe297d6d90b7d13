"""The webapp model's renderer: Deployment, Service, HorizontalPodAutoscaler, ConfigMap.

A pure function of the resolved config and the stack's info (konfig runs it
with copies, without files, network or clock). Conventions:

* every resource is named after the project and lives in the project's
  namespace; labels follow app.kubernetes.io/* plus `env` and the config's
  `labels`; pods are selected by name and instance (immutable selectors never
  depend on labels people edit);
* a stack labelled `track: <t>` other than `stable` (a canary) is a second
  Deployment `<project>-<t>` beside the stable one, with no Service of its
  own: the stable stack's Service selects the pods of every track, and the
  mesh weights them by their `track` label;
* config files are mounted from a ConfigMap whose content hash is a pod
  annotation, so changing a file rolls the pods.
"""
from __future__ import annotations

import hashlib
import json

from konfiglib import kube

CONFIG_DIR = "/etc/config"


def render(config, stack):
    project = stack.project
    track = stack.labels.get("track")
    name = project if track in (None, "stable") else f"{project}-{track}"
    meta = _metadata(name, stack, config, track)
    selector = {
        "app.kubernetes.io/name": project,
        "app.kubernetes.io/instance": meta["labels"]["app.kubernetes.io/instance"],
    }
    ports = config["ports"]
    port_names = [p["name"] for p in ports]
    autoscaling = config.get("autoscaling") or {}
    scaling = bool(autoscaling.get("enabled"))
    config_files = config.get("config_files") or {}

    out = []
    pod_annotations = dict(config.get("annotations") or {})
    if config_files:
        config_map = f"{name}-config"
        out.append({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _named(meta, config_map),
            "data": dict(sorted(config_files.items())),
        })
        digest = hashlib.sha256(json.dumps(config_files, sort_keys=True).encode()).hexdigest()
        pod_annotations["konfig.dev/config-hash"] = digest[:16]

    container = {"name": project, "image": config["image"]}
    if config.get("command"):
        container["command"] = list(config["command"])
    if config.get("args"):
        container["args"] = list(config["args"])
    container["ports"] = [
        {"name": p["name"], "containerPort": p["port"], "protocol": p.get("protocol", "TCP")}
        for p in ports
    ]
    env = [kube.env_var(e) for e in config.get("env") or []]
    if env:
        container["env"] = env
    container["resources"] = kube.container_resources(config["resources"])
    for kind, probe in (config.get("probes") or {}).items():
        container[f"{kind}Probe"] = _probe(kind, probe, port_names)
    if config_files:
        container["volumeMounts"] = [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}]

    pod_spec = {}
    if config.get("service_account"):
        pod_spec["serviceAccountName"] = config["service_account"]
    pod_spec["containers"] = [container]
    if config_files:
        pod_spec["volumes"] = [{"name": "config", "configMap": {"name": f"{name}-config"}}]

    template_meta = {"labels": dict(meta["labels"])}
    if pod_annotations:
        template_meta["annotations"] = pod_annotations

    rollout = config.get("rollout") or {}
    strategy = {"type": "RollingUpdate"}
    rolling = {}
    if "max_surge" in rollout:
        rolling["maxSurge"] = rollout["max_surge"]
    if "max_unavailable" in rollout:
        rolling["maxUnavailable"] = rollout["max_unavailable"]
    if rolling:
        strategy["rollingUpdate"] = rolling

    spec = {}
    if not scaling:  # with an autoscaler, a fixed count would fight it on every sync
        spec["replicas"] = config["replicas"]
    spec["selector"] = {"matchLabels": selector}
    spec["strategy"] = strategy
    spec["template"] = {"metadata": template_meta, "spec": pod_spec}
    out.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _named(meta, name),
                "spec": spec})

    exposed = [p for p in ports if p.get("expose", True)]
    if exposed and track in (None, "stable"):
        service = config.get("service") or {}
        svc_spec = {
            "type": service.get("type", "ClusterIP"),
            "selector": {"app.kubernetes.io/name": project},
            "ports": [
                {"name": p["name"], "port": p["port"], "targetPort": p["name"],
                 "protocol": p.get("protocol", "TCP")}
                for p in exposed
            ],
        }
        if service.get("session_affinity"):
            svc_spec["sessionAffinity"] = "ClientIP"
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": _named(meta, project),
                    "spec": svc_spec})

    if scaling:
        low, high = autoscaling["min_replicas"], autoscaling["max_replicas"]
        if low > high:
            raise ValueError(f"autoscaling.min_replicas {low} is above autoscaling.max_replicas {high}")
        out.append({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": _named(meta, name),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": low,
                "maxReplicas": high,
                "metrics": [{
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization",
                                   "averageUtilization": autoscaling.get("target_cpu_percent", 70)},
                    },
                }],
            },
        })
    return out


def _metadata(name, stack, config, track):
    return kube.metadata(name, stack, kube.app_labels(stack, config, track=track), config.get("annotations"))


def _named(meta, name):
    out = {"name": name, "namespace": meta["namespace"], "labels": dict(meta["labels"])}
    if "annotations" in meta:
        out["annotations"] = dict(meta["annotations"])
    return out


def _probe(kind, probe, port_names):
    out = {}
    port = probe.get("port")
    if port is not None and port not in port_names:
        raise ValueError(f"probes.{kind}.port: no port named {port!r} (ports: {', '.join(port_names)})")
    if probe["type"] == "http":
        out["httpGet"] = {"path": probe["path"], "port": port}
    elif probe["type"] == "tcp":
        out["tcpSocket"] = {"port": port}
    else:
        out["exec"] = {"command": list(probe["command"])}
    for key, field in (("initial_delay_seconds", "initialDelaySeconds"), ("period_seconds", "periodSeconds"),
                       ("timeout_seconds", "timeoutSeconds"), ("failure_threshold", "failureThreshold")):
        if key in probe:
            out[field] = probe[key]
    return out
