"""Content negotiation: which format a client gets, and reading RDF request bodies.

An explicit suffix (``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``) wins; otherwise the ``Accept`` header
chooses, with HTML offered first so browsers get pages. Responses always carry ``Vary: Accept``.
"""

from flask import current_app, request

from ..exceptions import NotAcceptable, NotFound
from ..formats import BY_MIME, FORMATS, SUFFIXES, parse_rdf, serialize

__all__ = ["FORMATS", "SUFFIXES", "split_suffix", "choose_format", "parse_body", "rdf_response"]

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
    return BY_MIME[best]


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
    mime = FORMATS[fmt][0]
    body = serialize(graph, fmt)
    response = current_app.response_class(body, status=status, mimetype=mime)
    response.headers["Vary"] = "Accept"
    if headers:
        response.headers.update(headers)
    if mime.startswith("text/"):
        response.charset = "utf-8"
    return response


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
