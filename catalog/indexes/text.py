"""Full-text search over record names and descriptions with SQLite FTS5 (trigram tokenizer).

The trigram tokenizer indexes every three-character sequence, case-folded, so a query matches
exactly the literals that contain it as a substring (what ``CONTAINS(LCASE(...))`` over every
literal finds, without reading them all), prefixes included. Two-character queries, shorter than
a trigram, fall back to a scan of the indexed texts that stops at the limit.

A search costs what it returns, not what the catalog holds: the literals equal to or starting with
the query come first, from an index on their lower-case text (a range, cut at the limit); then the
FTS matches, the `WINDOW` newest ranked as BM25 ranks a phrase found once in each (shorter literals
first: with the same terms at frequency one, the score depends only on the length), then older
matches. SQLite's ``bm25()`` itself is not used: it reads every query term's whole list of
documents for its statistics, which for a name such as "SWC J1930.5+2556" (trigrams like " j1" in
tens of thousands of names) costs what the catalog holds, not what the search returns; for the same
reason the FTS query asks for a few of the query's trigrams (`_candidate_terms`), not the whole
phrase, and each candidate is checked for the whole text.

References
----------
.. [1] SQLite FTS5, https://www.sqlite.org/fts5.html#the_trigram_tokenizer and #the_bm25_function
.. [2] S. Robertson and H. Zaragoza 2009, "The Probabilistic Relevance Framework: BM25 and Beyond",
   Found. Trends Inf. Retr. 3, 333 (the length normalisation of the BM25 term weight)
"""

__all__ = ["search_texts", "WINDOW"]

WINDOW = 200
"""FTS matches (the newest) ranked per search; names that start with the query always come first."""


def _candidate_terms(ql):
    """The query's trigrams most likely to be rare, for a cheap AND query (a superset of the matches).

    Without statistics (FTS5's vocabulary table counts a term by reading its whole list), trigrams
    with digits and punctuation go first: in names like "SWC J1930.5+2556" the letter trigrams
    ("swc", " j1") are shared by thousands of names, the digit ones by a few.
    """
    grams = {ql[i:i + 3] for i in range(len(ql) - 2)}
    return sorted(grams, key=lambda g: (-sum(not ch.isalpha() and not ch.isspace() for ch in g), g))[:3]


def _matches(index, ql, n, chunk=500):
    """The newest ``n`` indexed literals containing ``ql`` (case-insensitive), as ``(id, iri, label, text)``.

    Candidates come from an FTS5 AND query over a few of the query's trigrams, newest first, in
    chunks cut by rowid; each is checked for the whole text (the AND query is a superset).
    """
    match = " AND ".join('"' + g.replace('"', '""') + '"' for g in _candidate_terms(ql))
    out, below = [], None
    while len(out) < n:
        rows = index.execute(
            "SELECT r.id, r.iri, r.label, r.text FROM (SELECT rowid AS id FROM texts WHERE texts MATCH ? "
            + ("AND rowid < ? " if below is not None else "") + "ORDER BY rowid DESC LIMIT ?) m "
            "JOIN text_rows r ON r.id = m.id ORDER BY r.id DESC",
            (match, below, chunk) if below is not None else (match, chunk))
        out += [r for r in rows if ql in r[3].lower()]
        if len(rows) < chunk:
            break
        below = rows[-1][0]
    return out[:n]


def search_texts(index, q, limit=1000):
    """Find the indexed literals that contain ``q`` (case-insensitive), best first.

    Parameters
    ----------
    index : skyweave.catalog.indexes.CatalogIndex
    q : str
        The text, at least 2 characters.
    limit : int
        Most literals returned.

    Returns
    -------
    list of (str, str, str)
        ``(iri, label, matched_text)``: literals equal to ``q`` or starting with it (ASCII case
        folding) in text order, then the other matches, the `WINDOW` newest shortest first (see
        the module's description), then older matches newest first (for two-character queries, in index order). A
        literal appears once; the order does not depend on ``limit``, so pages never overlap.

    Raises
    ------
    ValueError
        If ``q`` is shorter than 2 characters.
    """
    if len(q) < 2:
        raise ValueError("search for at least 2 characters")
    ql = q.lower()
    limit = int(limit)
    named = index.execute(
        "SELECT id, iri, label, text FROM text_rows WHERE lower(text) >= ? AND lower(text) < ? "
        "ORDER BY lower(text), id LIMIT ?", (ql, ql + "\U0010ffff", limit))
    seen = {row[0] for row in named}
    out = [row[1:] for row in named]
    if len(named) >= limit:
        return out[:limit]  # the names starting with the query fill the page: no FTS query at all
    if len(q) >= 3:
        want = limit  # the matches left after the names, plus room for the names found again
        found = _matches(index, ql, want if want > WINDOW else WINDOW)
        window = sorted(found[:WINDOW], key=lambda r: (len(r[3]), r[3], r[0]))
        rest = (window + found[WINDOW:])[:want]
    else:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rest = index.execute("SELECT id, iri, label, text FROM text_rows WHERE text LIKE ? ESCAPE '\\' LIMIT ?",
                             (pattern, limit + len(named)))  # may return the names again
    out += [row[1:] for row in rest if row[0] not in seen]
    return out[:limit]
