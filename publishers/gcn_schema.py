"""Validate GCN Kafka notices against the unified schema of the npm package ``@nasa-gcn/schema``.

The package is fetched by the project's setup (``python3 .ci/dev.py test`` runs ``npm install`` into
``.cache/npm``; it is not committed) or by anyone with ``npm install @nasa-gcn/schema``; the setting
``GCN_SCHEMA_DIR`` names its folder. Our notices use the core blocks only (Alert, Event, Reporter,
DateTime, Localization, AdditionalInfo); `notice_validator` combines them with ``allOf`` and
``unevaluatedProperties: false`` (so a field that is in no block is an error, not silently sent), and
resolves every ``$ref`` inside the package (nothing is fetched).

References
----------
.. [1] GCN unified schema, https://github.com/nasa-gcn/gcn-schema (JSON Schema draft 2020-12);
   ``specs/external-apis.md`` §4.1, §4.3.
"""

import json
from pathlib import Path

from skyweave.catalog.exceptions import NotConfigured

__all__ = ["CORE_BLOCKS", "NOTICE_SCHEMA_ID", "schema_root", "notice_validator", "notice_problems"]

CORE_BLOCKS = ("Alert", "Event", "Reporter", "DateTime", "Localization", "AdditionalInfo")
"""Core blocks of the unified schema our notices are built from."""

NOTICE_SCHEMA_ID = "https://skyweave.org/schema/v1/gcn/notices/skyweave/analysis.schema.json"
"""``$schema`` of our notices: the core blocks combined, version 1 (changes get a new version)."""


def schema_root(folder):
    """Return the package folder (the one holding ``gcn/notices/core``) found at or under ``folder``.

    Raises
    ------
    skyweave.catalog.exceptions.NotConfigured
        If ``folder`` is empty or holds no ``@nasa-gcn/schema``.
    """
    for candidate in ([Path(folder), Path(folder) / "node_modules" / "@nasa-gcn" / "schema"] if folder else []):
        if (candidate / "gcn" / "notices" / "core" / "Alert.schema.json").is_file():
            return candidate
    raise NotConfigured(f"The GCN schema (npm @nasa-gcn/schema) is not at {folder!r}: run `npm install "
                        "@nasa-gcn/schema` (the test setup does it into .cache/npm) and set SKYWEAVE_GCN_SCHEMA_DIR "
                        "to that folder.", title="GCN schema not available")


def notice_validator(folder):
    """Build a `jsonschema` validator of our notices from the package at ``folder``.

    Returns
    -------
    jsonschema.Draft202012Validator
        Its schema is ``{"$id": NOTICE_SCHEMA_ID, "allOf": [core blocks], "unevaluatedProperties": false}``,
        with the package version in ``schema["x-gcn-schema-version"]``.
    """
    import jsonschema
    from referencing import Registry, Resource

    root = schema_root(folder)
    resources, ids = [], {}
    for path in sorted((root / "gcn").rglob("*.schema.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if "$id" in document:
            resources.append((document["$id"], Resource.from_contents(document)))
            ids[path.name.removesuffix(".schema.json")] = document["$id"]
    version = json.loads((root / "package.json").read_text(encoding="utf-8")).get("version") \
        if (root / "package.json").is_file() else None
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": NOTICE_SCHEMA_ID,
              "type": "object", "required": ["$schema", "alert_datetime", "event_name", "ra", "dec"],
              "properties": {"$schema": {"const": NOTICE_SCHEMA_ID}},
              "allOf": [{"$ref": ids[name]} for name in CORE_BLOCKS], "unevaluatedProperties": False,
              "x-gcn-schema-version": version}
    registry = Registry().with_resources(resources)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def notice_problems(validator, notice):
    """Return one message per schema violation of ``notice`` (an empty list when it is valid)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '(notice)'}: {e.message}"
            for e in sorted(validator.iter_errors(notice), key=lambda e: list(map(str, e.absolute_path)))]
