"""The namespaces of the catalog: our own terms and the standard vocabularies we reuse.

Our namespace is a closed rdflib ``DefinedNamespace`` (``_fail = True``), so a misspelt term
raises ``AttributeError`` instead of minting a new IRI. ``ontology/skyweave.ttl`` declares every
term listed here, and a test keeps the two in step.
"""

from rdflib import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SDO, SH, SKOS, SOSA, XSD, Namespace, URIRef
from rdflib.namespace import DefinedNamespace

__all__ = [
    "SW", "SDO_INPUT", "SDO_OUTPUT", "ODA", "ODA_UNIT", "SDO", "PROV", "DCAT", "DCTERMS", "SKOS", "SOSA", "SH", "RDF", "RDFS",
    "OWL", "XSD", "PREFIXES", "COLLECTIONS", "iri_for", "split_iri",
]


class SW(DefinedNamespace):
    """The skyweave vocabulary, ``https://skyweave.org/ns#`` (see ``ontology/skyweave.ttl``)."""

    _NS = Namespace("https://skyweave.org/ns#")
    _fail = True

    # classes
    Observatory: URIRef
    Instrument: URIRef
    SourceCatalog: URIRef
    Target: URIRef
    Observation: URIRef
    Run: URIRef
    DataProduct: URIRef
    Publication: URIRef
    ParameterValue: URIRef
    RecordVersion: URIRef
    Alert: URIRef
    Event: URIRef
    Localization: URIRef
    CrossMatch: URIRef
    QuarantinedMessage: URIRef
    FollowUpRule: URIRef
    Reference: URIRef
    Verification: URIRef
    # concept schemes and concepts
    Messengers: URIRef
    Photons: URIRef
    Radio: URIRef
    Optical: URIRef
    XRays: URIRef
    GammaRays: URIRef
    HighEnergyGammaRays: URIRef
    VeryHighEnergyGammaRays: URIRef
    Neutrinos: URIRef
    GravitationalWaves: URIRef
    CosmicRays: URIRef
    ProductTypes: URIRef
    Image: URIRef
    Spectrum: URIRef
    LightCurve: URIRef
    Table: URIRef
    # properties
    messenger: URIRef
    energyRange: URIRef
    frequencyRange: URIRef
    ra: URIRef
    dec: URIRef
    objectClass: URIRef
    obsId: URIRef
    target: URIRef
    instrument: URIRef
    pointingRa: URIRef
    pointingDec: URIRef
    liveTime: URIRef
    commit: URIRef
    phase: URIRef
    parameterValue: URIRef
    parameter: URIRef
    cacheKey: URIRef
    abortKeyDigest: URIRef
    log: URIRef
    productType: URIRef
    service: URIRef
    state: URIRef
    snapshot: URIRef
    unit: URIRef
    testStatus: URIRef
    testLog: URIRef
    notebook: URIRef
    requirements: URIRef
    condaEnvironment: URIRef
    helpPage: URIRef
    acknowledgements: URIRef
    extraData: URIRef
    refusal: URIRef
    error: URIRef
    outputName: URIRef
    # alerts and events
    about: URIRef
    localization: URIRef
    crossMatch: URIRef
    alertType: URIRef
    alertTense: URIRef
    topic: URIRef
    partition: URIRef
    offset: URIRef
    receivedAt: URIRef
    payloadFormat: URIRef
    contentKey: URIRef
    triggerTime: URIRef
    triggerTimeText: URIRef
    issuedTimeText: URIRef
    retracted: URIRef
    basedOnRetractedAlert: URIRef
    origin: URIRef
    MessageOrigin: URIRef
    noticeKey: URIRef
    errorRadius: URIRef
    errorSemiMajor: URIRef
    errorSemiMinor: URIRef
    errorAngle: URIRef
    containmentProbability: URIRef
    area50: URIRef
    area90: URIRef
    separation: URIRef
    probabilityDensity: URIRef
    reason: URIRef
    workflow: URIRef
    enabled: URIRef
    matchQuery: URIRef
    parameterMapping: URIRef
    parameterName: URIRef
    alertField: URIRef
    offsetSeconds: URIRef
    codeUsed: URIRef
    softwareUsed: URIRef
    uncertainty: URIRef
    workflowName: URIRef
    publishedValue: URIRef
    reference: URIRef
    verifiedRun: URIRef
    outcome: URIRef


SDO_INPUT = URIRef("https://schema.org/input")
"""Bioschemas ComputationalWorkflow ``input`` (pending in schema.org, so not in rdflib's SDO)."""
SDO_OUTPUT = URIRef("https://schema.org/output")
"""Bioschemas ComputationalWorkflow ``output``."""

ODA = Namespace("http://odahub.io/ontology#")
ODA_UNIT = Namespace("http://odahub.io/ontology/unit#")

PREFIXES = {
    "sw": str(SW._NS),
    "oda": str(ODA),
    "unit": str(ODA_UNIT),
    "schema": str(SDO),
    "prov": str(PROV),
    "dcat": str(DCAT),
    "dcterms": str(DCTERMS),
    "skos": str(SKOS),
    "sosa": str(SOSA),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "sh": str(SH),
}
"""Prefix -> namespace IRI, used for serialisations, the SPARQL query page and parsing queries."""

COLLECTIONS = (
    "instruments", "observatories", "targets", "catalogs", "observations",
    "workflows", "runs", "results", "publications", "repositories", "alerts", "events", "quarantine", "rules",
)
"""The URL path segments under which records live: ``{base}{collection}/{slug}``."""


def iri_for(base, collection, slug):
    """Return the IRI of a record.

    Parameters
    ----------
    base : str
        The catalog's base IRI, ending in ``/`` (setting ``BASE_IRI``).
    collection : str
        One of `COLLECTIONS`.
    slug : str
        The record's URL path segment, ``[a-z0-9-]+``.

    Returns
    -------
    iri : rdflib.URIRef

    Raises
    ------
    ValueError
        If ``collection`` is unknown or ``slug`` is not a valid slug.

    Examples
    --------
    >>> iri_for("http://127.0.0.1:5000/", "targets", "crab-nebula")
    rdflib.term.URIRef('http://127.0.0.1:5000/targets/crab-nebula')
    """
    import re

    if collection not in COLLECTIONS:
        raise ValueError(f"unknown collection {collection!r}; expected one of {', '.join(COLLECTIONS)}")
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug or ""):
        raise ValueError(f"invalid slug {slug!r}: use lowercase letters, digits and single hyphens")
    return URIRef(f"{base}{collection}/{slug}")


def split_iri(base, iri):
    """Split a record IRI into ``(collection, slug)``, or return None if it is not one of ours.

    Parameters
    ----------
    base : str
        The catalog's base IRI.
    iri : str
        Any IRI.

    Returns
    -------
    tuple of (str, str) or None

    Examples
    --------
    >>> split_iri("http://x/", "http://x/targets/crab-nebula")
    ('targets', 'crab-nebula')
    >>> split_iri("http://x/", "http://elsewhere/targets/crab") is None
    True
    """
    if not str(iri).startswith(base):
        return None
    parts = str(iri)[len(base):].split("/")
    if len(parts) != 2 or parts[0] not in COLLECTIONS:
        return None
    return parts[0], parts[1].split("#")[0]
