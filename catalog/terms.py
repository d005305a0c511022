"""Plain RDF terms for batch write paths: cheap to build, to index and to write as N-Triples.

rdflib's terms cost several microseconds each to create (a ``Literal`` normalises its value) and a
``Graph`` tens more per triple; a write path that builds tens of thousands of triples a second (the
alert intake) spends most of its time there. These terms are plain Python values instead:

- `Iri` and `Blank` are `str` (the IRI; the blank node's label), hashed and compared as text;
- `Lit` is a ``(lexical form, datatype IRI, language)`` tuple (datatype ``xsd:string`` or
  ``rdf:langString`` as RDF 1.1 gives every literal one).

A record is an IRI and a list of ``(subject, predicate, object)`` tuples of these terms. `nt_line`
writes one as an N-Triples line (also valid inside SPARQL ``INSERT DATA``), `to_rdflib` converts
a term for the slow paths (pySHACL reports, pages), `from_rdflib` the other way.

References
----------
.. [1] RDF 1.1 N-Triples, https://www.w3.org/TR/n-triples/ (IRIREF, STRING_LITERAL_QUOTE, ECHAR)
.. [2] RDF 1.1 Concepts §3.3 (every literal has a datatype), https://www.w3.org/TR/rdf11-concepts/#section-Graph-Literal
"""

import itertools
import os
import re

from rdflib import BNode, Graph, Literal, URIRef

__all__ = ["Iri", "Blank", "Lit", "XSD_STRING", "RDF_LANGSTRING", "string", "typed", "fresh_blank", "nt_term",
           "nt_line", "nt_text", "to_rdflib", "from_rdflib", "to_graph", "BAD_IRI", "referenced", "check_content"]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
"""Characters N-Triples' IRIREF does not allow unescaped (an IRI holding one is refused)."""


class Iri(str):
    """An IRI (its text)."""

    __slots__ = ()


class Blank(str):
    """A blank node (its label, unique within a write: see `fresh_blank`)."""

    __slots__ = ()


class Lit(tuple):
    """A literal: ``(lexical form, datatype IRI, language tag or None)``.

    Examples
    --------
    >>> Lit("1.5", "http://www.w3.org/2001/XMLSchema#double")
    Lit('1.5', 'http://www.w3.org/2001/XMLSchema#double', None)
    >>> string("a") == Lit("a", XSD_STRING)
    True
    """

    __slots__ = ()

    def __new__(cls, lexical, datatype=XSD_STRING, language=None):
        return tuple.__new__(cls, (lexical, datatype, language))

    def __repr__(self):
        return f"Lit{tuple.__repr__(self)}"

    lexical = property(lambda self: self[0], doc="The lexical form (str).")
    datatype = property(lambda self: self[1], doc="The datatype IRI (str).")
    language = property(lambda self: self[2], doc="The language tag (str or None).")


def string(text):
    """Return the ``xsd:string`` literal of ``text``."""
    return tuple.__new__(Lit, (text, XSD_STRING, None))


def typed(lexical, datatype):
    """Return the literal of lexical form ``lexical`` and datatype IRI ``datatype`` (both str)."""
    return tuple.__new__(Lit, (lexical, datatype, None))


_PREFIX = f"n{os.getpid():x}x{int.from_bytes(os.urandom(4), 'big'):x}x"
_COUNTER = itertools.count(1)


def fresh_blank():
    """Return a blank node whose label no other call of this process returns."""
    return Blank(f"{_PREFIX}{next(_COUNTER)}")


def _escape(text):
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def nt_term(term):
    """Return a term in N-Triples syntax.

    Raises
    ------
    ValueError
        If an IRI holds a character N-Triples does not allow in one (see `BAD_IRI`).

    Examples
    --------
    >>> nt_term(Iri("http://x/a")), nt_term(Lit('say "hi"\\n')), nt_term(Lit("1", "http://x/int"))
    ('<http://x/a>', '"say \\\\"hi\\\\"\\\\n"', '"1"^^<http://x/int>')
    """
    if type(term) is Iri and BAD_IRI.search(term):
        raise ValueError(f"The IRI {term[:200]!r} holds a character N-Triples does not allow.")
    return _nt_checked(term)


def nt_line(triple):
    """Return a triple as one N-Triples statement (with its final `` .``)."""
    s, p, o = triple
    return f"{nt_term(s)} {nt_term(p)} {nt_term(o)} ."


def _nt_checked(term):
    """`nt_term` for a term `check_content` has passed (its IRIs are known to be writable)."""
    kind = type(term)
    if kind is Iri:
        return f"<{term}>"
    if kind is Blank:
        return f"_:{term}"
    lexical, datatype, language = term
    if "\\" in lexical or '"' in lexical or "\n" in lexical or "\r" in lexical:
        lexical = _escape(lexical)
    if language:
        return f'"{lexical}"@{language}'
    if datatype == XSD_STRING:
        return f'"{lexical}"'
    return f'"{lexical}"^^<{datatype}>'


def nt_text(triples):
    """Return the N-Triples text of a record's triples, one statement a line, once `check_content` has passed them.

    Examples
    --------
    >>> a = Iri("http://x/a")
    >>> print(nt_text([(a, Iri("http://x/p"), string("1")), (a, Iri("http://x/q"), a)]))
    <http://x/a> <http://x/p> "1" .
    <http://x/a> <http://x/q> <http://x/a> .
    """
    seen, lines = {}, []
    for s, p, o in triples:
        ns = seen.get(s)
        if ns is None:
            ns = seen[s] = _nt_checked(s)
        np_ = seen.get(p)
        if np_ is None:
            np_ = seen[p] = f"<{p}>"
        lines.append(f"{ns} {np_} {_nt_checked(o)} .")
    return "\n".join(lines)


def to_rdflib(term):
    """Return the rdflib term equal to a plain term (an ``xsd:string`` literal without datatype, as rdflib reads it)."""
    kind = type(term)
    if kind is Iri:
        return URIRef(term)
    if kind is Blank:
        return BNode(term)
    lexical, datatype, language = term
    if language:
        return Literal(lexical, lang=language)
    if datatype == XSD_STRING:
        return Literal(lexical)
    return Literal(lexical, datatype=URIRef(datatype))


def from_rdflib(term):
    """Return the plain term equal to an rdflib term.

    Examples
    --------
    >>> from rdflib import Literal, URIRef
    >>> from_rdflib(URIRef("http://x/a")), from_rdflib(Literal("a"))
    ('http://x/a', Lit('a', 'http://www.w3.org/2001/XMLSchema#string', None))
    """
    if isinstance(term, URIRef):
        return Iri(term)
    if isinstance(term, BNode):
        return Blank(term)
    if term.language:
        return Lit(str(term), RDF_LANGSTRING, term.language)
    return Lit(str(term), str(term.datatype) if term.datatype is not None else XSD_STRING)


def to_graph(triples):
    """Return an rdflib graph of plain triples."""
    graph = Graph()
    for s, p, o in triples:
        graph.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))
    return graph


def referenced(triples):
    """Return the IRIs a record's plain triples point to but do not describe (as
    `skyweave.catalog.validate.referenced_iris`: objects other than ``rdf:type`` classes that are not subjects).

    Returns
    -------
    set of Iri
    """
    subjects = {s for s, _, _ in triples}
    return {o for _, p, o in triples if type(o) is Iri and p != _RDF_TYPE and o not in subjects}


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def check_content(iri, triples, max_literal_bytes=None, base=None):
    """Make `skyweave.catalog.content.check_record`'s checks on a record of plain triples.

    A cheap scan of the whole record (ownership of every subject, forbidden characters, sizes, and
    IRIs that N-Triples cannot hold); only a record it doubts is converted to rdflib and given to
    `check_record`, so the error raised is that function's, word for word.

    Parameters
    ----------
    iri : str
    triples : list of (Iri, Iri, term)
    max_literal_bytes : int or None
    base : str or None
        The catalog's ``BASE_IRI`` (see `skyweave.catalog.content.check_ownership`).

    Raises
    ------
    InvalidContent, PayloadTooLarge
        As `check_record` does; `InvalidContent` also for an IRI holding a character of `BAD_IRI`.
    """
    from .content import _BAD_CHAR, PROTECTED, check_record
    from .exceptions import InvalidContent

    iri = str(iri)
    if base is None:
        base = "/".join(iri.split("/", 3)[:3]) + "/"
    protected, fragment = (str(base), *PROTECTED), iri + "#"
    subjects = {s for s, _, _ in triples}
    doubt = any(type(s) is not Blank and s != iri and not s.startswith(fragment) and s.startswith(protected)
                for s in subjects)
    lexicals = [o[0] for _, _, o in triples if type(o) is Lit]
    iris = {p for _, p, _ in triples}
    iris.update(o for _, _, o in triples if type(o) is Iri)
    iris.update(s for s in subjects if type(s) is Iri)
    if not doubt:
        limit = max_literal_bytes // 4 if max_literal_bytes else None
        doubt = ((limit is not None and any(len(t) > limit for t in lexicals))
                 or _BAD_CHAR.search("\n".join(lexicals)) is not None
                 or _BAD_CHAR.search("\n".join(iris)) is not None or any(len(t) > 4096 for t in iris))
    if doubt:
        check_record(iri, to_graph(triples), max_literal_bytes, base)
    if BAD_IRI.search("".join(iris)):
        bad = next(t for t in iris if BAD_IRI.search(t))
        raise InvalidContent(f"The IRI <{bad[:200]}> of record <{iri}> holds a character an IRI may not hold "
                             "(space, <, >, \", {, }, |, ^, ` or \\). Nothing was stored.", title="Bad IRI")
