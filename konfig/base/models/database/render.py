"""The database model's renderer: Config Connector SQLInstance, SQLDatabase and SQLUser.

The cluster's Config Connector controller converges these into a Cloud SQL
instance. Pure: konfig calls it with copies of the resolved config and the
stack's info. The instance is `<project>-<stack>` (Cloud SQL names are global
to the cloud project, so each stack's differs); labels become cloud labels,
so their keys avoid `/` and dots.
"""
from __future__ import annotations

import math

from konfigctl import quantity
from konfiglib import kube

DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
API = "sql.cnrm.cloud.google.com/v1beta1"


def render(config, stack):
    instance = f"{stack.project}-{stack.name}"
    labels = kube.cloud_labels(stack, config)
    annotations = dict(config.get("annotations") or {})
    if config.get("deletion_protection", True):
        # Deleting the Kubernetes object (or the whole stack) leaves the database alone.
        annotations["cnrm.cloud.google.com/deletion-policy"] = "abandon"

    def meta(name, with_annotations=False):
        return kube.metadata(name, stack, labels, annotations if with_annotations else None)

    backups = config.get("backups") or {}
    if config.get("high_availability") and not backups.get("enabled"):
        raise ValueError("high_availability needs backups.enabled: Cloud SQL fails over only with backups on")
    if backups.get("point_in_time_recovery") and config["engine"] == "mysql":
        raise ValueError("backups.point_in_time_recovery on mysql needs binary logging, which this model "
                         "does not manage; use postgres or turn it off")

    settings = {
        "tier": config["tier"],
        "availabilityType": "REGIONAL" if config.get("high_availability") else "ZONAL",
        "diskType": "PD_SSD",
        "diskSize": _gigabytes(config["storage"]),
        "diskAutoresize": bool(config.get("storage_autoresize", True)),
        "deletionProtectionEnabled": bool(config.get("deletion_protection", True)),
    }
    backup = {}
    if "enabled" in backups:
        backup["enabled"] = backups["enabled"]
    if "start_time" in backups:
        backup["startTime"] = backups["start_time"]
    if "point_in_time_recovery" in backups:
        backup["pointInTimeRecoveryEnabled"] = backups["point_in_time_recovery"]
    if "retained_backups" in backups:
        backup["backupRetentionSettings"] = {"retainedBackups": backups["retained_backups"],
                                             "retentionUnit": "COUNT"}
    if backup:
        settings["backupConfiguration"] = backup
    window = config.get("maintenance_window")
    if window:
        settings["maintenanceWindow"] = {"day": DAYS[window["day"]], "hour": window["hour"]}
    flags = config.get("flags") or []
    if flags:
        settings["databaseFlags"] = [{"name": f["name"], "value": f["value"]} for f in flags]

    version = str(config["version"]).replace(".", "_")
    out = [{
        "apiVersion": API,
        "kind": "SQLInstance",
        "metadata": meta(instance, with_annotations=True),
        "spec": {
            "databaseVersion": f"{config['engine'].upper()}_{version}",
            "region": config["region"],
            "settings": settings,
        },
    }]
    charset = "UTF8" if config["engine"] == "postgres" else "utf8mb4"
    for db in config.get("databases") or []:
        out.append({
            "apiVersion": API,
            "kind": "SQLDatabase",
            "metadata": meta(f"{instance}-{db}", with_annotations=True),
            "spec": {"instanceRef": {"name": instance}, "resourceID": db, "charset": charset},
        })
    for user in config.get("users") or []:
        secret = user["password_secret"]
        out.append({
            "apiVersion": API,
            "kind": "SQLUser",
            "metadata": meta(f"{instance}-{user['name'].replace('_', '-')}"),
            "spec": {
                "instanceRef": {"name": instance},
                "resourceID": user["name"],
                "password": {"valueFrom": {"secretKeyRef": {"name": secret["name"], "key": secret["key"]}}},
            },
        })
    return out


def _gigabytes(size):
    """Cloud SQL sizes disks in whole GB (of 2^30 bytes); round up, never below 10."""
    return max(10, math.ceil(quantity.parse(size) / 2**30))
