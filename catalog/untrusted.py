"""Checks on request bodies before any parser sees them: nothing expands, nothing is fetched.

Two parser features would let a client make the server do work or requests on its behalf:

- XML document type declarations: internal entities expand a few hundred bytes into gigabytes
  ("billion laughs"), external entities name files and URLs. An RDF/XML body with a ``<!DOCTYPE``
  or ``<!ENTITY`` is refused before parsing.
- JSON-LD remote contexts: rdflib fetches every ``@context`` (and ``@import``) given as a URL.
  A body naming a remote context is refused; our own context (``/ns/context.jsonld``) is replaced
  by the bundled copy, so it is never fetched either.

References
----------
.. [1] XML 1.0 §2.8 (document type declaration), https://www.w3.org/TR/xml/#sec-prolog-dtd
.. [2] JSON-LD 1.1 §4.1 (contexts) and §4.1.10 (``@import``), https://www.w3.org/TR/json-ld11/
"""

import json
import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from .exceptions import BadRequest
from .resources import bundled

__all__ = ["OWN_CONTEXT_PATH", "refuse_doctype", "local_contexts"]

OWN_CONTEXT_PATH = "/ns/context.jsonld"
"""Path of the catalog's JSON-LD context on every skyweave server."""

_OWN_CONTEXT_HOSTS = ("skyweave.org",)
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def refuse_doctype(data):
    """Refuse an XML body that declares a document type or entities.

    Parameters
    ----------
    data : bytes or str
        The body as received.

    Raises
    ------
    BadRequest
        If the body contains ``<!DOCTYPE`` or ``<!ENTITY`` (in any case, with or without spaces);
        XML in UTF-16 or UTF-32 is refused too, since the check could not read it.

    Examples
    --------
    >>> refuse_doctype(b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    >>> refuse_doctype('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    Traceback (most recent call last):
    ...
    skyweave.catalog.exceptions.BadRequest: XML document type and entity declarations (<!DOCTYPE, <!ENTITY) are refused: ...
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(raw) > 1 and b"\x00" in raw[:4]):
        raise BadRequest("XML bodies must be UTF-8 encoded.")
    if _DOCTYPE.search(raw):
        raise BadRequest(
            "XML document type and entity declarations (<!DOCTYPE, <!ENTITY) are refused: they can expand "
            "without bound or name outside resources. Send the RDF/XML without a DOCTYPE."
        )


@lru_cache(maxsize=1)
def _own_context():
    """The bundled JSON-LD context (the value of its ``@context`` key)."""
    return json.loads((bundled("ontology") / "context.jsonld").read_text(encoding="utf-8"))["@context"]


def _is_own(url, base):
    """True if ``url`` names the catalog's context: on this server (``base``'s host) or skyweave.org."""
    resolved = urljoin(base or "", url)
    parts = urlsplit(resolved)
    if parts.path != OWN_CONTEXT_PATH or parts.query or parts.fragment:
        return False
    if not parts.netloc:  # relative, and no base to resolve against
        return True
    hosts = set(_OWN_CONTEXT_HOSTS)
    if base:
        hosts.add(urlsplit(base).netloc)
    return parts.netloc in hosts


def _resolve_context(value, base, where):
    """Return a context value with our own context inlined; refuse any other remote reference."""
    if isinstance(value, str):
        if _is_own(value, base):
            return _own_context()
        raise BadRequest(
            f"Remote JSON-LD context <{value}> at {where} refused: the server never fetches anything on a "
            f"client's behalf. Inline the context, or use our own ({OWN_CONTEXT_PATH}), which is resolved locally."
        )
    if isinstance(value, list):
        return [_resolve_context(v, base, where) for v in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "@import":
                if not isinstance(item, str):
                    raise BadRequest(f"@import at {where} must be a context IRI.")
                out.update(_resolve_context(item, base, where))  # @import merges the imported context
            else:
                out[key] = _walk(item, base, f"{where}/{key}")
        return out
    return value


def _walk(node, base, where):
    if isinstance(node, list):
        return [_walk(item, base, f"{where}/{n}") for n, item in enumerate(node)]
    if isinstance(node, dict):
        return {
            key: (_resolve_context(value, base, f"{where}/{key}") if key == "@context" else _walk(value, base, f"{where}/{key}"))
            for key, value in node.items()
        }
    return node


def local_contexts(document, base=None):
    """Return a JSON-LD document whose contexts need no fetch, or refuse it.

    Every ``@context`` value, at any depth (including scoped contexts in term definitions and
    ``@import``), must be inline or name our own context, which is replaced by the bundled copy.

    Parameters
    ----------
    document : object
        The parsed JSON (dict, list, ...).
    base : str or None
        The IRI the document is read against (a record IRI): relative context IRIs resolve against
        it, and its host counts as ours.

    Returns
    -------
    object
        A copy of ``document`` with our context inlined.

    Raises
    ------
    BadRequest
        If any context names a remote document; the detail gives its IRI and JSON path.

    Examples
    --------
    >>> doc = local_contexts({"@context": "https://skyweave.org/ns/context.jsonld", "label": "x"})
    >>> doc["@context"]["label"]
    'rdfs:label'
    >>> local_contexts({"@context": "http://127.0.0.1:9/ctx"})
    Traceback (most recent call last):
    ...
    skyweave.catalog.exceptions.BadRequest: Remote JSON-LD context <http://127.0.0.1:9/ctx> at /@context refused: ...
    """
    return _walk(document, base, "")
