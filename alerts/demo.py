"""The demo's alerts: a follow-up rule for the bundled cone-search workflow, and real example notices.

The notices are GCN's own examples from the ``@nasa-gcn/schema`` package the setup fetched (an
IceCube track, a Swift-BAT GUANO notice with its located update and its retraction, and a
Super-Kamiokande test notice), replayed through the same pipeline as a live stream, without a broker.
"""

from rdflib import BNode, Graph, Literal, URIRef

from skyweave.catalog.vocab import PROV, RDF, RDFS, SDO, SW

from . import Message

__all__ = ["DEMO_NOTICES", "demo_rule", "demo_messages"]

DEMO_NOTICES = (
    "icecube/single_neutrino_alerts.gold_bronze_track_alerts.example.json",
    "swift/bat/Guano.example.json",
    "swift/bat/guano.loc_arc_min.example.json",
    "swift/bat/Guano.Retraction.example.json",
    "superk/sn_alert.test.example.json",
)
"""GCN example notices the demo replays (paths below ``gcn/notices/``)."""


def demo_rule(base, workflow_iri):
    """Return the demo's rule: catalogued gamma-ray sources in the error circle of a current neutrino or
    gamma-ray alert, found by the bundled ``catalog-cone-search`` workflow.

    Parameters
    ----------
    base : str
        BASE_IRI.
    workflow_iri : str
        The ``catalog-cone-search`` workflow version.

    Returns
    -------
    (rdflib.URIRef, rdflib.Graph)
    """
    iri = URIRef(f"{base}rules/sources-in-error-region")
    g = Graph()
    g.add((iri, RDF.type, SW.FollowUpRule))
    g.add((iri, RDF.type, PROV.Plan))
    g.add((iri, RDFS.label, Literal("HGPS and 3FHL sources in the error region of a neutrino or gamma-ray alert")))
    g.add((iri, SW.workflow, URIRef(workflow_iri)))
    g.add((iri, SW.enabled, Literal(True)))
    for kind in ("initial", "update"):
        g.add((iri, SW.alertType, Literal(kind)))
    g.add((iri, SW.alertTense, Literal("current")))
    for messenger in (SW.Neutrinos, SW.Photons):
        g.add((iri, SW.messenger, messenger))
    g.add((iri, SW.matchQuery, Literal("ASK { $alert <https://skyweave.org/ns#localization>/"
                                       "<https://skyweave.org/ns#errorRadius> ?r }")))
    for name, field in (("ra", "ra"), ("dec", "dec"), ("radius", "radius")):
        node = BNode()
        g.add((iri, SW.parameterMapping, node))
        g.add((node, SW.parameterName, Literal(name)))
        g.add((node, SW.alertField, Literal(field)))
    node = BNode()
    g.add((iri, SW.parameterMapping, node))
    g.add((node, SW.parameterName, Literal("catalog")))
    g.add((node, SDO.value, Literal("both")))
    return iri, g


def demo_messages(schemas):
    """Return the demo's notices as messages (topic ``replay:<example file>``).

    Parameters
    ----------
    schemas : skyweave.alerts.schemas.SchemaSet
        The fetched ``@nasa-gcn/schema`` package.

    Returns
    -------
    list of skyweave.alerts.Message
    """
    folder = schemas.folder / "gcn" / "notices"
    return [Message((folder / name).read_bytes(), f"replay:{name.rsplit('/', 1)[-1]}") for name in DEMO_NOTICES]
