"""Content negotiation: which format a client gets, and reading RDF request bodies.

An explicit suffix (``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``) wins; otherwise the ``Accept`` header
chooses, with HTML offered first so browsers get pages. Responses always carry ``Vary: Accept``.
"""

import json

from flask import current_app, request
from rdflib import XSD, Graph, Literal, plugin
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.serializer import Serializer

from .errors import BadRequest, NotAcceptable, NotFound
from .vocab import PREFIXES

__all__ = ["FORMATS", "SUFFIXES", "split_suffix", "choose_format", "parse_body", "parse_rdf", "rdf_response"]

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
_BY_MIME = {mime: name for name, (mime, _) in FORMATS.items()}
_BY_MIME.update({"application/json": "jsonld", "application/x-turtle": "ttl", "text/plain": "nt"})


def split_suffix(name):
    """Split a path segment into ``(slug, suffix)``.

    Parameters
    ----------
    name : str
        E.g. ``"crab-nebula.ttl"``.

    Returns
    -------
    (str, str or None)

    Raises
    ------
    NotFound
        If the suffix is not one of `SUFFIXES`.

    Examples
    --------
    >>> split_suffix("crab-nebula.ttl")
    ('crab-nebula', 'ttl')
    >>> split_suffix("crab-nebula")
    ('crab-nebula', None)
    """
    if "." not in name:
        return name, None
    slug, suffix = name.rsplit(".", 1)
    if suffix not in SUFFIXES:
        raise NotFound(f"No format {suffix!r} here; use one of: {', '.join('.' + s for s in SUFFIXES)}.")
    return slug, suffix


def choose_format(suffix=None, offered=tuple(FORMATS)):
    """Pick the response format for the current request.

    Parameters
    ----------
    suffix : str or None
        The URL's suffix, if any; it wins over ``Accept``.
    offered : tuple of str
        Format names this route can produce, preferred first.

    Returns
    -------
    str
        A key of `FORMATS`.

    Raises
    ------
    NotAcceptable
        If the client accepts none of the offered media types.

    References
    ----------
    .. [1] RFC 9110 §12.5.1 (Accept); Cool URIs for the Semantic Web, https://www.w3.org/TR/cooluris/
    """
    if suffix:
        return suffix
    accept = request.accept_mimetypes
    if not accept:
        return offered[0]
    mimes = [FORMATS[f][0] for f in offered]
    if "application/ld+json" in mimes:
        mimes.append("application/json")
    best = accept.best_match(mimes)
    if best is None:
        raise NotAcceptable(
            "None of the media types you accept is offered here. Offered: " + ", ".join(FORMATS[f][0] for f in offered)
        )
    return _BY_MIME[best]


def bind_prefixes(graph):
    """Bind the catalog's usual prefixes on ``graph`` (for readable Turtle) and return it."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


def rdf_response(graph, fmt, status=200, headers=None):
    """Serialise ``graph`` in format ``fmt`` as a Flask response with ``Vary: Accept``.

    Parameters
    ----------
    graph : rdflib.Graph
    fmt : str
        A key of `FORMATS` other than ``html``.
    status : int
    headers : dict or None

    Returns
    -------
    flask.Response
    """
    mime, rdflib_format = FORMATS[fmt]
    if fmt != "nt":  # N-Triples has no prefixes
        bind_prefixes(graph)
    if fmt == "jsonld":
        body = graph.serialize(format="json-ld", context={k: v for k, v in PREFIXES.items()}, auto_compact=True)
    else:
        body = graph.serialize(format=rdflib_format)
    response = current_app.response_class(body, status=status, mimetype=mime)
    response.headers["Vary"] = "Accept"
    if headers:
        response.headers.update(headers)
    if mime.startswith("text/"):
        response.charset = "utf-8"
    return response


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
        message (with its line number where the parser gives one) is kept.
    """
    name = _BY_MIME.get((mime or "").split(";")[0].strip().lower())
    if name in (None, "html"):
        raise BadRequest(
            f"Cannot read a body of type {mime or 'unknown'!r}; send text/turtle, application/ld+json, "
            "application/n-triples or application/rdf+xml."
        )
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest(f"The body is not UTF-8 text: {exc}") from None
    graph = Graph()
    try:
        if name == "jsonld":
            json.loads(data)  # report JSON syntax errors with line and column
        graph.parse(data=data, format=_PARSERS.get(name, FORMATS[name][1]), publicID=base)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"Invalid JSON-LD: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    except Exception as exc:  # rdflib raises parser-specific exception types
        message = " ".join(str(exc).split())
        raise BadRequest(f"Invalid {FORMATS[name][0]}: {message}") from None
    return graph


def parse_body(base=None):
    """Parse the current request's body as RDF according to its ``Content-Type``.

    Returns
    -------
    rdflib.Graph

    Raises
    ------
    BadRequest
        See `parse_rdf`.
    """
    return parse_rdf(request.get_data(), request.mimetype, base=base)


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


plugin.register("skyweave-turtle", Serializer, "catalog.negotiate", "ExactTurtleSerializer")
