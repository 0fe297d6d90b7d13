"""The bucket model's renderer: a Config Connector StorageBucket.

Pure: konfig calls it with copies of the resolved config and the stack's info.
The bucket is `bucket_name`, or `<project>-<stack>`; labels become cloud
labels, so their keys avoid `/` and dots.
"""
from __future__ import annotations

import re

from konfiglib import kube

# Storage classes from hot to cold: lifecycle rules may only move objects colder.
CLASSES = ("STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def render(config, stack):
    bucket = config.get("bucket_name") or f"{stack.project}-{stack.name}"
    metadata = kube.metadata(bucket, stack, kube.cloud_labels(stack, config), config.get("annotations"))

    spec = {}
    if not DNS_SUBDOMAIN.match(bucket):  # bucket names may hold `_`, object names may not
        metadata["name"] = bucket.replace("_", "-")
        spec["resourceID"] = bucket
    storage_class = config["storage_class"]
    spec.update({
        "location": config["location"],
        "storageClass": storage_class,
        "versioning": {"enabled": bool(config.get("versioning", False))},
        "publicAccessPrevention": config.get("public_access_prevention", "enforced"),
        "uniformBucketLevelAccess": bool(config.get("uniform_access", True)),
    })
    if "retention_days" in config:
        spec["retentionPolicy"] = {"retentionPeriod": config["retention_days"] * 86400}
    rules = []
    for rule in config.get("lifecycle") or []:
        action = {"type": rule["action"]}
        if rule["action"] == "SetStorageClass":
            target = rule["storage_class"]
            if CLASSES.index(target) <= CLASSES.index(storage_class):
                raise ValueError(
                    f"lifecycle[name={rule['name']}]: SetStorageClass to {target} does not move objects "
                    f"colder than the bucket's {storage_class}"
                )
            action["storageClass"] = target
        rules.append({"action": action, "condition": {"age": rule["age_days"]}})
    if rules:
        spec["lifecycleRule"] = rules
    cors = []
    for c in config.get("cors") or []:
        entry = {"origin": list(c["origins"])}
        if c.get("methods"):
            entry["method"] = list(c["methods"])
        if "max_age_seconds" in c:
            entry["maxAgeSeconds"] = c["max_age_seconds"]
        cors.append(entry)
    if cors:
        spec["cors"] = cors
    return [{"apiVersion": "storage.cnrm.cloud.google.com/v1beta1", "kind": "StorageBucket",
             "metadata": metadata, "spec": spec}]
