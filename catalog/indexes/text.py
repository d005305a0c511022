"""Full-text search over record names and descriptions with SQLite FTS5 (trigram tokenizer).

The trigram tokenizer indexes every three-character sequence, case-folded, so a query matches
exactly the literals that contain it as a substring (what ``CONTAINS(LCASE(...))`` over every
literal finds, without reading them all), prefixes included. Two-character queries, shorter than
a trigram, fall back to a scan of the indexed texts. Matches are ranked by BM25.

References
----------
.. [1] SQLite FTS5, https://www.sqlite.org/fts5.html#the_trigram_tokenizer and #the_bm25_function
"""

__all__ = ["search_texts"]


def search_texts(index, q, limit=1000):
    """Find the indexed literals that contain ``q`` (case-insensitive), best ranked first.

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
        ``(iri, label, matched_text)``, by BM25 rank (for two-character queries, by label).

    Raises
    ------
    ValueError
        If ``q`` is shorter than 2 characters.
    """
    if len(q) < 2:
        raise ValueError("search for at least 2 characters")
    if len(q) >= 3:
        phrase = '"' + q.replace('"', '""') + '"'
        return index.execute(
            "SELECT r.iri, r.label, r.text FROM texts JOIN text_rows r ON r.id = texts.rowid "
            "WHERE texts MATCH ? ORDER BY bm25(texts) LIMIT ?", (phrase, int(limit)))
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return index.execute(
        "SELECT iri, label, text FROM text_rows WHERE text LIKE ? ESCAPE '\\' ORDER BY label LIMIT ?",
        (pattern, int(limit)))
