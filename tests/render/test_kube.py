from __future__ import annotations

from konfigctl.render import kubernetes as kube


def test_version_maps_to_the_nearest_shipped_one():
    shipped = kube.shipped_versions()
    assert "1.31.0" in shipped
    assert kube.schema_version("1.31") == "1.31.0"
    assert kube.schema_version("v1.31.7") == "1.31.0"
    assert kube.schema_version("1.99") == shipped[-1]
    assert kube.schema_version("1.2") == shipped[0]


def test_builtin_groups():
    assert kube.is_builtin_group("v1") and kube.is_builtin_group("apps/v1")
    assert kube.is_builtin_group("rbac.authorization.k8s.io/v1")
    assert not kube.is_builtin_group("sql.cnrm.cloud.google.com/v1beta1")
