"""RDF formats: the media types the catalog reads and writes, and parsing and serialising them.

No web here: `skyweave.catalog.web.negotiate` chooses a format for a request; this module does the
reading and writing, for the web app, the CLI and the loaders alike.
"""

import json

from rdflib import XSD, Graph, Literal, plugin
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.serializer import Serializer

from .exceptions import BadRequest
from .untrusted import local_contexts, refuse_doctype
from .vocab import PREFIXES

__all__ = ["FORMATS", "SUFFIXES", "BY_MIME", "bind_prefixes", "serialize", "parse_rdf"]

FORMATS = {
    "html": ("text/html", None),
    "ttl": ("text/turtle", "skyweave-turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}
"""Format name -> (media type, rdflib format name)."""

SUFFIXES = tuple(f for f in FORMATS if f != "html")
"""The suffixes a record URL may end with."""

_PARSERS = {"ttl": "turtle"}
BY_MIME = {mime: name for name, (mime, _) in FORMATS.items()}
BY_MIME.update({"application/json": "jsonld", "application/x-turtle": "ttl", "text/plain": "nt"})


def bind_prefixes(graph):
    """Bind the catalog's usual prefixes on ``graph`` (for readable Turtle) and return it."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


def serialize(graph, fmt):
    """Serialise ``graph`` in format ``fmt``, with the catalog's prefixes where the format has them.

    Parameters
    ----------
    graph : rdflib.Graph
    fmt : str
        A key of `FORMATS` other than ``html``.

    Returns
    -------
    bytes

    Examples
    --------
    >>> from rdflib import Graph, URIRef
    >>> g = Graph().add((URIRef("urn:a"), URIRef("urn:b"), URIRef("urn:c")))
    >>> serialize(g, "nt").strip()
    b'<urn:a> <urn:b> <urn:c> .'
    """
    rdflib_format = FORMATS[fmt][1]
    if fmt != "nt":  # N-Triples has no prefixes
        bind_prefixes(graph)
    if fmt == "jsonld":
        return graph.serialize(format="json-ld", context=dict(PREFIXES), auto_compact=True, encoding="utf-8")
    return graph.serialize(format=rdflib_format, encoding="utf-8")


def parse_rdf(data, mime, base=None):
    """Parse RDF text into a graph, with a clear error on bad input.

    Parameters
    ----------
    data : str or bytes
    mime : str
        Media type: ``text/turtle``, ``application/ld+json``, ``application/n-triples`` or
        ``application/rdf+xml``.
    base : str or None
        Base IRI for relative IRIs.

    Returns
    -------
    rdflib.Graph

    Raises
    ------
    BadRequest
        If the media type is not an RDF syntax we read, or the text does not parse; the parser's
        message (with its line number where the parser gives one) is kept. Also, before any
        parsing, for RDF/XML with a DOCTYPE or entity declarations and for JSON-LD naming a remote
        ``@context`` (`skyweave.catalog.untrusted`): nothing is expanded or fetched.
    """
    name = BY_MIME.get((mime or "").split(";")[0].strip().lower())
    if name in (None, "html"):
        raise BadRequest(
            f"Cannot read a body of type {mime or 'unknown'!r}; send text/turtle, application/ld+json, "
            "application/n-triples or application/rdf+xml."
        )
    if name == "rdf":
        refuse_doctype(data)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest(f"The body is not UTF-8 text: {exc}") from None
    graph = Graph()
    try:
        if name == "jsonld":
            document = json.loads(data)  # report JSON syntax errors with line and column
            data = json.dumps(local_contexts(document, base))
        graph.parse(data=data, format=_PARSERS.get(name, FORMATS[name][1]), publicID=base)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"Invalid JSON-LD: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    except BadRequest:
        raise
    except Exception as exc:  # rdflib raises parser-specific exception types
        message = " ".join(str(exc).split())
        raise BadRequest(f"Invalid {FORMATS[name][0]}: {message}") from None
    return graph


class ExactTurtleSerializer(TurtleSerializer):
    """rdflib's Turtle serialiser, writing ``xsd:double`` literals in full instead of rounded.

    rdflib 7 writes doubles in Turtle's short form with ``f"{value:e}"``, which keeps 7 significant
    digits (``329.71667`` becomes ``3.297167e+02``); a catalog position must round-trip exactly, so
    doubles are written as typed literals with their lexical form unchanged.
    """

    def label(self, node, position):
        """Return the Turtle text of ``node`` (see `rdflib.plugins.serializers.turtle.TurtleSerializer`)."""
        if isinstance(node, Literal) and node.datatype == XSD.double:
            return node._literal_n3(use_plain=False, qname_callback=lambda dt: self.get_pname(dt, True))
        return super().label(node, position)


plugin.register("skyweave-turtle", Serializer, "skyweave.catalog.formats", "ExactTurtleSerializer")
