"""Checks on what a record may hold, made on every write before anything is stored.

- **Ownership.** A record's graph describes its own IRI and its own nodes only: blank nodes and
  fragment IRIs ``{iri}#...``. A statement whose subject is another IRI of the catalog (another
  record, a version of one, a run) or of our vocabulary would add facts to that resource in every
  query, so it is refused; links to them as objects stay allowed. IRIs outside the catalog and its
  vocabulary (a creator's ORCID iD with its ``schema:name``) may be described.
- **Characters.** Every term must serialise in every format we offer: no lone surrogates (not
  encodable as UTF-8) and no characters XML 1.0 forbids (NUL and the other C0 controls except
  tab, newline and carriage return; U+FFFE, U+FFFF), which would make RDF/XML not well-formed.
- **Size.** A literal larger than ``MAX_LITERAL_BYTES`` (UTF-8) is refused.

References
----------
.. [1] XML 1.0 §2.2 (characters), https://www.w3.org/TR/xml/#charsets
.. [2] RDF 1.1 Concepts §3.3 (literals: Unicode strings), https://www.w3.org/TR/rdf11-concepts/#section-Graph-Literal
"""

import re

from rdflib import BNode, Literal, URIRef

from .exceptions import InvalidContent, PayloadTooLarge

__all__ = ["owns", "check_ownership", "check_terms", "check_record"]

_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def owns(iri, node):
    """Return True if record ``iri`` may hold statements about ``node``.

    Parameters
    ----------
    iri : str
        The record's IRI.
    node : rdflib term

    Returns
    -------
    bool
        True for the record's IRI, its fragment IRIs (``{iri}#...``) and blank nodes.

    Examples
    --------
    >>> from rdflib import URIRef
    >>> owns("http://x/targets/a", URIRef("http://x/targets/a#pos"))
    True
    >>> owns("http://x/targets/a", URIRef("http://x/targets/ab"))
    False
    """
    if isinstance(node, BNode):
        return True
    text, iri = str(node), str(iri)
    return text == iri or text.startswith(iri + "#")


PROTECTED = ("https://skyweave.org/",)
"""Namespaces no record may make statements in, besides the catalog's own ``BASE_IRI``."""


def check_ownership(iri, graph, base=None):
    """Refuse a record graph that makes statements about catalog resources it does not own.

    Parameters
    ----------
    iri : str
    graph : rdflib.Graph
    base : str or None
        The catalog's ``BASE_IRI``; when None, the scheme and host of ``iri`` (``http://host/``).

    Raises
    ------
    InvalidContent
        (422) Naming each foreign subject (up to ten), when a triple's subject is not owned (see
        `owns`) and lies under ``base`` or a `PROTECTED` namespace.
    """
    if base is None:
        base = "/".join(str(iri).split("/", 3)[:3]) + "/"
    protected = (str(base), *PROTECTED)
    foreign = sorted({str(s) for s in graph.subjects(unique=True)
                      if not owns(iri, s) and str(s).startswith(protected)})
    if foreign:
        shown = ", ".join(f"<{s}>" for s in foreign[:10]) + (" ..." if len(foreign) > 10 else "")
        raise InvalidContent(
            f"The record <{iri}> may only describe itself, its blank nodes and its fragment IRIs (<{iri}#...>); "
            f"it makes statements about {shown}. Write those to their own records; links to them as objects "
            "are allowed. Nothing was stored.",
            errors=[{"path": None, "focus": s, "message": "statement about a resource this record does not own"}
                    for s in foreign[:100]],
            title="Statements about other resources",
        )


def _describe(char):
    return f"U+{ord(char):04X}"


def check_terms(graph, max_literal_bytes=None):
    """Refuse terms that cannot be stored and served in every format.

    Parameters
    ----------
    graph : rdflib.Graph
    max_literal_bytes : int or None
        Largest literal, in bytes of UTF-8; None for no limit.

    Raises
    ------
    InvalidContent
        (422) If an IRI or literal holds a lone surrogate or a character XML 1.0 forbids.
    PayloadTooLarge
        (413) If a literal is longer than ``max_literal_bytes``.

    Examples
    --------
    >>> from rdflib import Graph, Literal, URIRef
    >>> g = Graph().add((URIRef("urn:a"), URIRef("urn:b"), Literal("nul\\x00here")))
    >>> check_terms(g)
    Traceback (most recent call last):
    ...
    skyweave.catalog.exceptions.InvalidContent: A literal of <urn:a> <urn:b> holds the character U+0000, ...
    """
    for s, p, o in graph:
        for position, term in (("subject", s), ("predicate", p), ("object", o)):
            if isinstance(term, BNode):
                continue
            text = str(term)
            bad = _BAD_CHAR.search(text)
            if bad:
                what = "A literal" if isinstance(term, Literal) else f"The {position} IRI"
                raise InvalidContent(
                    f"{what} of <{_safe(s)}> <{_safe(p)}> holds the character {_describe(bad.group())}, which "
                    "cannot be written in every RDF format (lone surrogates are not Unicode text; XML 1.0 forbids "
                    "NUL and most control characters). Nothing was stored.",
                    title="Character not allowed",
                )
            if isinstance(term, URIRef) and len(text) > 4096:
                raise InvalidContent(f"An IRI of <{_safe(s)}> is longer than 4096 characters.")
            if (max_literal_bytes and isinstance(term, Literal) and len(text) * 4 > max_literal_bytes
                    and len(text.encode("utf-8")) > max_literal_bytes):
                raise PayloadTooLarge(
                    f"A literal of <{_safe(s)}> <{_safe(p)}> is {len(text.encode('utf-8'))} bytes long, over the "
                    f"limit of {max_literal_bytes} bytes (setting MAX_LITERAL_BYTES). Nothing was stored."
                )


def _safe(term):
    """The term as text with bad characters replaced, for messages."""
    return _BAD_CHAR.sub("\N{REPLACEMENT CHARACTER}", str(term))[:200]


def check_record(iri, graph, max_literal_bytes=None, base=None):
    """Run every content check of this module on one record (see `check_ownership`, `check_terms`).

    Parameters
    ----------
    iri : str
    graph : rdflib.Graph
    max_literal_bytes : int or None
    base : str or None
        The catalog's ``BASE_IRI`` (see `check_ownership`).

    Raises
    ------
    InvalidContent, PayloadTooLarge
    """
    check_terms(graph, max_literal_bytes)
    check_ownership(iri, graph, base)
