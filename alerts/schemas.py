"""GCN's unified JSON schemas: find the pinned ``@nasa-gcn/schema`` package and validate notices with it.

The schemas (and their example notices) come from the npm package ``@nasa-gcn/schema``. It has no
licence file, so the project never commits it: the project's setup (``.ci/dev.py``) fetches the
pinned version `GCN_SCHEMA_VERSION` with npm into ``.cache/npm`` and names it in the setting
``GCN_SCHEMA_DIR`` (shared with `skyweave.publishers.gcn_schema`).
Notices are validated with ``jsonschema-rs`` (JSON Schema draft 2020-12, compiled in Rust: about
0.01 ms a notice where the pure-Python ``jsonschema`` takes 4 ms), the relative ``$ref`` between
schema files resolved through a registry of every file of the package.

References
----------
.. [1] GCN schema, https://github.com/nasa-gcn/gcn-schema
.. [2] JSON Schema 2020-12, https://json-schema.org/draft/2020-12
"""

import json
import re
import threading
from functools import lru_cache
from pathlib import Path

from .model import Unusable

__all__ = ["GCN_SCHEMA_VERSION", "schema_dir", "SchemaSet"]

GCN_SCHEMA_VERSION = "7.2.3"
"""The pinned version of the ``@nasa-gcn/schema`` npm package."""

_VERSIONED = re.compile(r"^https://gcn\.nasa\.gov/schema/(v\d+\.\d+\.\d+|main)/(gcn/.+\.schema\.json)$")


def schema_dir(configured=""):
    """Return the folder of the ``@nasa-gcn/schema`` package (holding ``gcn/``), or None if absent.

    Parameters
    ----------
    configured : str
        Setting ``GCN_SCHEMA_DIR``: the package folder, or a folder where ``npm install`` put it
        (``node_modules/@nasa-gcn/schema`` below it). Empty means not configured.

    Returns
    -------
    pathlib.Path or None
    """
    if not configured:
        return None
    for folder in (Path(configured), Path(configured) / "node_modules" / "@nasa-gcn" / "schema"):
        if (folder / "gcn" / "notices").is_dir():
            return folder
    return None


class SchemaSet:
    """The GCN schemas of one package folder, validating notices against the schema they name.

    Parameters
    ----------
    folder : str or pathlib.Path
        The package folder (holding ``gcn/notices/...``).
    """

    def __init__(self, folder):
        import jsonschema_rs

        self.folder = Path(folder)
        self.schemas, self.paths = {}, {}
        for path in sorted(self.folder.glob("gcn/**/*.schema.json")):
            contents = json.loads(path.read_text(encoding="utf-8"))
            self.schemas[contents["$id"]] = contents
            self.paths[path.relative_to(self.folder).as_posix()] = contents["$id"]
        self.registry = jsonschema_rs.Registry(list(self.schemas.items()))
        self._validators, self._lock = {}, threading.Lock()

    def validator(self, url):
        """Return the validator of the schema that ``$schema`` ``url`` names.

        A versioned URL whose version is not the one held here is validated against the held
        version of the same schema file (GCN keeps schema versions backward compatible).

        Raises
        ------
        Unusable
            If the URL is not a GCN schema URL, or names a schema file this version does not have.
        """
        import jsonschema_rs

        match = _VERSIONED.match(str(url or ""))
        if not match:
            raise Unusable(f"The $schema {url!r} is not a versioned GCN schema URL "
                           "(https://gcn.nasa.gov/schema/vX.Y.Z/gcn/....schema.json).")
        schema_id = self.paths.get(match.group(2))
        if schema_id is None:
            raise Unusable(f"Unknown $schema {url!r}: @nasa-gcn/schema {GCN_SCHEMA_VERSION} has no {match.group(2)}.")
        with self._lock:
            if schema_id not in self._validators:
                self._validators[schema_id] = jsonschema_rs.Draft202012Validator(
                    self.schemas[schema_id], registry=self.registry)
            return self._validators[schema_id]

    def check(self, data):
        """Validate a parsed notice against the schema its ``$schema`` names.

        Raises
        ------
        Unusable
            With the first few schema errors (path and message), if it does not conform.
        """
        validator = self.validator(data.get("$schema"))
        if validator.is_valid(data):
            return
        errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.instance_path])[:3]
        if errors:
            where = "; ".join(f"{'/'.join(map(str, e.instance_path)) or '(top)'}: {e.message[:200]}" for e in errors)
            raise Unusable(f"The notice does not conform to {data.get('$schema')}: {where}")

    def examples(self):
        """Return the paths of the package's example notices (``*.example.json``), sorted."""
        return sorted(self.folder.glob("gcn/notices/**/*.example.json"))


@lru_cache(maxsize=4)
def load(folder):
    """Return the (cached) `SchemaSet` of ``folder``."""
    return SchemaSet(folder)
