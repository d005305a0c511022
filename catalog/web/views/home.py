"""The home page: what the catalog holds, a sky map of its targets, and where to start."""

from flask import Blueprint, current_app, request

from ...pages import href_for
from ...queries import examples, prologue
from .. import get_store
from .records import render_page

bp = Blueprint("home", __name__)


def catalog_summary(store, base):
    """Count the records of each kind and list instruments by messenger.

    Parameters
    ----------
    store : catalog.store.Store
    base : str

    Returns
    -------
    dict
        ``{"counts": {collection: n}, "messengers": [{label, instruments: [{href, text}]}]}``.
    """
    classes = {
        "targets": "sw:Target", "observations": "sw:Observation", "instruments": "sw:Instrument",
        "catalogs": "sw:SourceCatalog", "workflows": "schema:ComputationalWorkflow", "runs": "sw:Run",
        "results": "sw:DataProduct",
    }
    counts = {k: 0 for k in classes}
    if getattr(store, "index", None) is not None:
        from ...indexes.lists import count

        counts.update({k: count(store.index, k) for k in classes})
    else:
        values = " ".join(f'("{k}" {v})' for k, v in classes.items())
        rows = store.select(
            prologue() + f"SELECT ?k (COUNT(?s) AS ?n) WHERE {{ VALUES (?k ?c) {{ {values} }} ?s a ?c }} GROUP BY ?k"
        )
        counts.update({str(r["k"]): int(r["n"]) for r in rows})
    rows = store.select(
        prologue() + "SELECT ?m ?ml ?i ?il WHERE { ?i a sw:Instrument ; rdfs:label ?il ; sw:messenger ?m . "
        "?m skos:prefLabel ?ml } ORDER BY ?ml ?il"
    )
    messengers = {}
    for r in rows:
        entry = messengers.setdefault(str(r["m"]), {"label": str(r["ml"]), "slug": str(r["m"]).rsplit("#", 1)[-1], "instruments": []})
        entry["instruments"].append({"href": href_for(base, r["i"]), "text": str(r["il"])})
    return {"counts": counts, "messengers": list(messengers.values())}


def latest_results(store, base, limit=6):
    """Return the newest results that have a picture (a PNG file), for the gallery.

    With the side index, the results are read newest first from its list (ordered by
    ``prov:generatedAtTime``), a few pages at a time, until ``limit`` pictures are found: the cost is
    that of the results looked at, not of all the catalog holds. Without it (remote store), one
    SPARQL query sorts every result.

    Parameters
    ----------
    store : catalog.store.Store
    base : str
    limit : int

    Returns
    -------
    list of dict
        ``{href, label, image, generated}``, newest first (ties by IRI, descending).
    """
    pattern = ("?r rdfs:label ?label ; prov:generatedAtTime ?t ; dcat:distribution ?d . "
               "?d dcat:mediaType \"image/png\" ; dcat:downloadURL ?url")
    prefixes = prologue(["sw", "prov", "dcat", "rdfs"])
    if getattr(store, "index", None) is None:
        rows = store.select(prefixes + f"SELECT ?r ?label ?url ?t WHERE {{ ?r a sw:DataProduct . {pattern} }} "
                            f"ORDER BY DESC(?t) DESC(?r) LIMIT {int(limit)}")
    else:
        from ...indexes.lists import read_newest

        def pictures(iris):
            found = {}
            for r in store.select(prefixes + "SELECT ?r ?label ?url ?t WHERE { VALUES ?r { "
                                  + " ".join(f"<{iri}>" for iri in iris) + f" }} {pattern} }} ORDER BY ?url"):
                found.setdefault(str(r["r"]), []).append(r)
            return found

        rows = read_newest(store.index, "results", pictures, limit, step=4 * limit)
    return [{"href": href_for(base, r["r"]), "label": str(r["label"]), "image": href_for(base, r["url"]),
             "generated": str(r["t"])} for r in rows]


@bp.get("/")
def index():
    """The home page."""
    store = get_store()
    base = current_app.config["BASE_IRI"]
    summary = catalog_summary(store, base)
    return render_page("home.html", summary=summary, results=latest_results(store, base), examples=examples()[:4],
                       section="home", endpoint=request.host_url + "sparql")
