"""Read a SPARQL query's tokens to find what would reach outside the catalog, before it runs.

Oxigraph answers ``SERVICE <url>`` by sending the sub-query to that URL (a server-side request
on the client's behalf). `check_query` refuses ``SERVICE`` unless its endpoint is trusted by the
``SPARQL_TRUSTED_SERVICES`` setting. (``FROM`` / ``FROM NAMED`` never fetch: they select among the
store's own graphs, see `skyweave.catalog.dataset`.)

The scan follows the SPARQL 1.1 grammar's terminals (§19.8): comments, strings, IRI references,
prefixed names and variables are read as whole tokens, so a keyword inside a string, an IRI or a
comment is not mistaken for one. Codepoint escapes (``\\u0053``), which §19.2 processes before
parsing, are decoded first.

References
----------
.. [1] SPARQL 1.1 Query Language §13.2 (FROM), §19.8 (grammar), https://www.w3.org/TR/sparql11-query/
.. [2] SPARQL 1.1 Federated Query, https://www.w3.org/TR/sparql11-federated-query/
"""

import re
from urllib.parse import urljoin

from .exceptions import BadRequest

__all__ = ["tokens", "check_query"]

_TOKEN = re.compile(
    r'''(?P<comment>\#[^\r\n]*)
      | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
                   |"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*')
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$][\w\u00b7\u00c0-\U000effff]+)
      | (?P<name>[\w\u00b7\u00c0-\U000effff][\w\-.\u00b7\u00c0-\U000effff]*:?[\w\-.:%\\\u00b7\u00c0-\U000effff]*
                 |:[\w\-.:%\\\u00b7\u00c0-\U000effff]*)
      | (?P<space>\s+)
      | (?P<other>.)''',
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _unescape(text):
    def one(match):
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group(0)

    return _ESCAPE.sub(one, text)


def tokens(text):
    """Return the significant tokens of a query as ``(kind, text)`` pairs (no spaces or comments).

    Parameters
    ----------
    text : str

    Returns
    -------
    list of (str, str)
        ``kind`` is one of ``string``, ``iri``, ``var``, ``name`` (keywords and prefixed names),
        ``other`` (punctuation).

    Examples
    --------
    >>> tokens('SELECT ?s { ?s <urn:x> "SERVICE" } # SERVICE')
    [('name', 'SELECT'), ('var', '?s'), ('other', '{'), ('var', '?s'), ('iri', '<urn:x>'), ('string', '"SERVICE"'), ('other', '}')]
    """
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text) if m.lastgroup not in ("space", "comment")]


def _resolve(kind, value, prefixes, base):
    """The IRI a token names (an IRI reference or a prefixed name), or None."""
    if kind == "iri":
        return urljoin(base, value[1:-1]) if base else value[1:-1]
    if kind == "name" and ":" in value:
        prefix, _, local = value.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local.replace("\\", "")
    return None


def _scan(text, trusted):
    toks = tokens(text)
    prefixes, base = {}, ""
    for n, (kind, value) in enumerate(toks):
        if kind != "name":
            continue
        word = value.upper()
        following = toks[n + 1:n + 4]
        if word == "PREFIX" and len(following) >= 2 and following[1][0] == "iri":
            prefixes[following[0][1].rstrip(":")] = _resolve("iri", following[1][1], {}, base)
        elif word == "BASE" and following and following[0][0] == "iri":
            base = _resolve("iri", following[0][1], {}, base)
        elif word == "SERVICE":
            rest = following[1:] if following and following[0][1].upper() == "SILENT" else following
            endpoint = _resolve(*rest[0], prefixes, base) if rest else None
            if endpoint is None or endpoint not in trusted:
                shown = f"<{endpoint}>" if endpoint else (rest[0][1] if rest else "")
                raise BadRequest(
                    f"SPARQL federated queries (SERVICE {shown}) are refused: this endpoint never sends requests "
                    "on a client's behalf. Query that endpoint yourself"
                    + (f"; trusted endpoints: {', '.join(sorted(trusted))}." if trusted else "."),
                    title="SERVICE not allowed",
                )


def check_query(text, trusted_services=()):
    """Refuse a query that would make the server send a request (``SERVICE``).

    A query whose text holds neither ``SERVICE`` (in any case) nor a codepoint escape cannot have
    the keyword, and is passed without tokenizing it: most queries cost one ``str.upper``.

    Parameters
    ----------
    text : str
        The SPARQL query.
    trusted_services : iterable of str
        Endpoint IRIs ``SERVICE`` may name (the ``SPARQL_TRUSTED_SERVICES`` setting; empty by default).

    Raises
    ------
    BadRequest
        (400) If the query uses ``SERVICE`` with an endpoint not in ``trusted_services`` (or a
        variable endpoint).

    Examples
    --------
    >>> check_query("SELECT * FROM <http://x/targets/a> WHERE { ?s ?p 'SERVICE <http://x/>' }")
    >>> check_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    Traceback (most recent call last):
    ...
    skyweave.catalog.exceptions.BadRequest: SPARQL federated queries (SERVICE <http://127.0.0.1:9/sparql>) are refused: ...
    """
    upper = text.upper()  # the scan compares keywords upper-cased, so a token SERVICE is a substring of this
    if "SERVICE" not in upper and "\\U" not in upper:  # nor an escape that could spell it (§19.2)
        return
    trusted = frozenset(trusted_services or ())
    _scan(text, trusted)
    decoded = _unescape(text)
    if decoded != text:
        _scan(decoded, trusted)
