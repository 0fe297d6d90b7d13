"""Importing models: a CRD version or an OpenAPI definition becomes a working model.

``source`` reads the input (a CRD, or an OpenAPI v2/v3 document: YAML or
JSON, one line and exit 2 for anything that is not one) and picks the schema
to import (a CRD's version, by default its storage version; an OpenAPI
definition, with the resource it renders); ``convert`` turns that OpenAPI
schema into the JSON Schema (2020-12) konfig checks with -- the
``x-kubernetes-*`` extensions that have a konfig meaning mapped to it, the
others named with their JSON pointer -- once for the model's config and once,
strict, for the rendered resource; ``model`` writes the model directory, its
renderer, the resource's schema in ``<base>/crds/``, the template of ``konfig
new project`` and the docs page, checked in memory first and written as one
transaction.

May import (tests/test_architecture.py checks it): ``errors``, ``files``, ``yamlio``,
``keypath``, ``schema``, ``repo``, ``resolve``, ``render``, ``authoring``.
"""
