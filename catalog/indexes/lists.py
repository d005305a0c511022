"""Pages of a collection in its list order, their counts and facet counts, from the side index.

Pages are cut by keyset (``(sort, iri) > (last sort, last iri)`` on the index's ordering key), so
a deep page costs what the first one costs, and a record written while someone pages appears
once or not at all, never twice. Counts are remembered per index generation (exact after every
write).

References
----------
.. [1] M. Winand, "We need tool support for keyset pagination", https://use-the-index-luke.com/no-offset
"""

from dataclasses import dataclass

__all__ = ["ListPage", "list_page", "count", "facet_counts"]


@dataclass(frozen=True)
class ListPage:
    """One page of a list.

    Attributes
    ----------
    iris : list of (str, str)
        The records' IRIs and labels, in list order.
    total : int
        Records matching the filters.
    next_after, prev_before : str or None
        Cursor (an IRI) of the next and previous pages, None at the ends.
    """

    iris: list
    total: int
    next_after: str | None
    prev_before: str | None


def _where(collection, filters, q):
    """Return ``(joins, where, params)``: records ``r`` of the collection with every facet value (one join each)."""
    joins, sql, params = [], [], []
    for n, (facet, value) in enumerate(sorted(filters.items())):
        joins.append(f"JOIN facets f{n} ON f{n}.coll = r.coll AND f{n}.iri = r.iri AND f{n}.facet = ? AND f{n}.value = ?")
        params += [facet, value]
    sql.append("r.coll = ?")
    params.append(collection)
    if q:
        sql.append("instr(lower(r.label), lower(?)) > 0")
        params.append(q)
    return " ".join(joins), " AND ".join(sql), params


def count(index, collection, filters=None, q=""):
    """Return the number of records of ``collection`` matching facet ``filters`` and label text ``q``.

    Parameters
    ----------
    index : skyweave.catalog.indexes.CatalogIndex
    collection : str
    filters : dict of str to str or None
        Facet name -> value (IRI or literal text).
    q : str
        Substring of the label, case-insensitive (ASCII case folding); empty for none.

    Returns
    -------
    int
    """
    joins, where, params = _where(collection, filters or {}, q)
    return index.cached(("count", joins, where, tuple(params)), lambda: index.execute(
        f"SELECT COUNT(*) FROM records r {joins} WHERE {where}", params)[0][0])


def facet_counts(index, collection, facet, filters=None, q="", limit=30):
    """Return the most frequent values of one facet among the matching records.

    Parameters
    ----------
    index : skyweave.catalog.indexes.CatalogIndex
    collection, facet : str
    filters : dict of str to str or None
        The other facets' active values (this facet's own is ignored).
    q : str
    limit : int

    Returns
    -------
    list of (str, int)
        ``(value, count)``, most records first, then by value.
    """
    others = {k: v for k, v in (filters or {}).items() if k != facet}
    joins, where, params = _where(collection, others, q)
    sql = (f"SELECT g.value, COUNT(*) AS n FROM facets g JOIN records r ON r.coll = g.coll AND r.iri = g.iri {joins} "
           f"WHERE g.coll = ? AND g.facet = ? AND {where} GROUP BY g.value ORDER BY n DESC, g.value LIMIT ?")
    args = [*params[:2 * len(others)], collection, facet, *params[2 * len(others):], int(limit)]
    return index.cached(("facets", sql, tuple(args)), lambda: index.execute(sql, args))


def list_page(index, collection, filters=None, q="", size=50, after=None, before=None, offset=0):
    """Return one page of a list, cut by keyset after (or before) a record, else at ``offset``.

    Parameters
    ----------
    index : skyweave.catalog.indexes.CatalogIndex
    collection : str
    filters : dict of str to str or None
    q : str
    size : int
        Records per page.
    after, before : str or None
        IRI of the record the page starts after (ends before); unknown IRIs start from the top.
    offset : int
        Records skipped when neither cursor is given (``?page=`` links).

    Returns
    -------
    ListPage
    """
    joins, where, params = _where(collection, filters or {}, q)
    cursor = after or before
    key = None
    if cursor:
        found = index.execute("SELECT sort FROM records WHERE coll = ? AND iri = ?", (collection, cursor))
        key = (found[0][0], cursor) if found else None
    if key and before and not after:
        rows = index.execute(
            f"SELECT r.iri, r.label FROM records r {joins} WHERE {where} AND (r.sort, r.iri) < (?, ?) "
            f"ORDER BY r.sort DESC, r.iri DESC LIMIT ?", [*params, *key, size + 1])
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        more_after = True
    else:
        extra, args = "", []
        if key:
            extra, args = " AND (r.sort, r.iri) > (?, ?)", list(key)
        rows = index.execute(
            f"SELECT r.iri, r.label FROM records r {joins} WHERE {where}{extra} ORDER BY r.sort, r.iri LIMIT ? OFFSET ?",
            [*params, *args, size + 1, 0 if key else max(0, int(offset))])
        more_after = len(rows) > size
        rows = rows[:size]
        more_before = bool(key) or offset > 0
    iris = [(r[0], r[1]) for r in rows]
    return ListPage(
        iris=iris, total=count(index, collection, filters, q),
        next_after=iris[-1][0] if iris and more_after else None,
        prev_before=iris[0][0] if iris and more_before else None,
    )
