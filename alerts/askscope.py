"""Which follow-up rule ASKs can be answered from the alert's own record alone.

A rule's ``sw:matchQuery`` is a SPARQL ASK about ``$alert``, meant for the whole catalog. Many only
look at the alert itself (``ASK { $alert sw:localization/sw:errorRadius ?r }``): those give the same
answer over the alert's own named graph as over the union of every record, and are answered there,
in the calling process, without the endpoint's query workers. `bounded_to_alert` decides it from the
query's algebra (rdflib's SPARQL parser), conservatively: it says yes only when

- the query is an ``ASK`` without ``FROM``/``GRAPH``/``SERVICE``, made of basic graph patterns, joins
  and filters without ``EXISTS``, with property paths that are sequences of IRIs only; and
- every triple pattern's subject is ``$alert`` or a node reached from it through a property whose
  values in an alert record are always nodes of that record (`skyweave.alerts.records.OWN_LINKS`:
  its localisation, cross-matches, origins, distributions).

No other record may make statements about an alert's IRI or its ``#fragment`` nodes, and blank
nodes belong to one graph (`skyweave.catalog.content.check_ownership`), so every triple such a
pattern can match lies in the alert's own graph. Every other ASK runs over the whole catalog as before.

References
----------
.. [1] SPARQL 1.1 Query Language, §18 (translation to the algebra), https://www.w3.org/TR/sparql11-query/#sparqlQuery
"""

from functools import lru_cache

from rdflib import BNode, URIRef, Variable
from rdflib.paths import Path, SequencePath

from .records import OWN_LINKS

__all__ = ["bounded_to_alert"]

_ALLOWED = {"AskQuery", "Project", "Filter", "BGP", "Join", "ToMultiSet"}


def _triples(node, out):
    """Collect the triple patterns of an algebra node into ``out``; False if it holds anything else."""
    name = getattr(node, "name", None)
    if name not in _ALLOWED:
        return False
    if name == "AskQuery" and node.get("datasetClause"):
        return False
    if name == "Filter" and not _plain_expression(node.get("expr")):
        return False
    if name == "BGP":
        out.extend(node["triples"])
        return True
    return all(_triples(node[key], out) for key in ("p", "p1", "p2") if key in node)


def _plain_expression(expr):
    """True if a filter expression holds no graph pattern (``EXISTS``, ``NOT EXISTS``)."""
    if hasattr(expr, "name"):
        if "EXISTS" in expr.name:
            return False
        return all(_plain_expression(value) for value in expr.values())
    if isinstance(expr, (list, tuple)):
        return all(_plain_expression(value) for value in expr)
    return True


def _expand(triples):
    """Replace sequence paths of IRIs by chains of patterns; None if another kind of path is used."""
    out = []
    for i, (s, p, o) in enumerate(triples):
        if isinstance(p, SequencePath):
            if not all(isinstance(step, URIRef) for step in p.args):
                return None
            nodes = [s] + [Variable(f"_step{i}_{k}") for k in range(len(p.args) - 1)] + [o]
            out.extend((nodes[k], step, nodes[k + 1]) for k, step in enumerate(p.args))
        elif isinstance(p, Path):
            return None
        else:
            out.append((s, p, o))
    return out


@lru_cache(maxsize=256)
def bounded_to_alert(text, root="alert"):
    """Return True if the ASK ``text`` has the same answer over the alert's own graph as over the catalog.

    Parameters
    ----------
    text : str
        The rule's ASK, with the variable ``$alert`` (``?alert``) standing for the alert.
    root : str
        Name of that variable.

    Returns
    -------
    bool
        False also for a query that does not parse (it then runs, and fails, as before).

    Examples
    --------
    >>> bounded_to_alert("ASK { $alert <https://skyweave.org/ns#localization>/<https://skyweave.org/ns#errorRadius> ?r }")
    True
    >>> bounded_to_alert("ASK { $alert <https://skyweave.org/ns#about> ?e . ?e <https://skyweave.org/ns#retracted> true }")
    False
    """
    from rdflib.plugins.sparql import prepareQuery

    try:
        algebra = prepareQuery(text).algebra
    except Exception:  # pyparsing's and rdflib's errors alike: not ours to judge
        return False
    if getattr(algebra, "name", None) != "AskQuery":
        return False
    found = []
    if not _triples(algebra, found):
        return False
    triples = _expand(found)
    if triples is None:
        return False
    local, grown = {Variable(root)}, True
    while grown:
        grown = False
        for s, p, o in triples:
            if s in local and p in OWN_LINKS and isinstance(o, (Variable, BNode)) and o not in local:
                local.add(o)
                grown = True
    return all(s in local for s, _, _ in triples)
