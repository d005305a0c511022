"""Sky pictures: an all-sky map of every target (``/sky.svg``) and a target's field (``/targets/<slug>/sky.svg``)."""

from functools import lru_cache

from flask import Blueprint, current_app

from ...queries import prologue
from .. import get_store
from ...vocab import RDFS
from .records import record_iri

bp = Blueprint("sky", __name__)


@lru_cache(maxsize=4)
def _all_sky(store_id, count):
    import astropy.units as u
    import numpy as np

    from ...skyplot import sky_map

    rows = get_store().select(prologue(["sw"]) + "SELECT ?ra ?dec WHERE { ?s a sw:Target ; sw:ra ?ra ; sw:dec ?dec }")
    ra = np.array([float(r["ra"]) for r in rows]) * u.deg
    dec = np.array([float(r["dec"]) for r in rows]) * u.deg
    return sky_map(ra, dec, title=f"{len(rows)} targets")


@bp.get("/sky.svg")
def all_sky():
    """An all-sky map (Galactic coordinates) of every target."""
    store = get_store()
    if getattr(store, "index", None) is not None:
        from ...indexes.lists import count

        n = count(store.index, "targets")
    else:
        n = store.select(prologue(["sw"]) + "SELECT (COUNT(?s) AS ?n) WHERE { ?s a sw:Target }")[0]["n"]
    body = _all_sky(id(store), int(n))
    return current_app.response_class(body, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=300"})


@bp.get("/targets/<slug>/sky.svg")
def target_sky(slug):
    """A zoomed sky picture of one target with its catalogued neighbours."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    from ...pages import target_extra
    from ...skyplot import position_plot

    iri = record_iri("targets", slug)
    store = get_store()
    graph = store.get(iri)
    extra = target_extra(store, current_app.config["BASE_IRI"], iri, graph)
    center = SkyCoord(extra["ra_deg"] * u.deg, extra["dec_deg"] * u.deg)
    near = extra["neighbours"]
    neighbours = SkyCoord([n["ra_deg"] for n in near] * u.deg, [n["dec_deg"] for n in near] * u.deg) if near else None
    body = position_plot(center, neighbours=neighbours, radius=2 * u.deg, labels=[n["label"] for n in near] or None,
                         center_label=str(graph.value(iri, RDFS.label)))
    return current_app.response_class(body, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=300"})
