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

__all__ = ["ListPage", "list_page", "newest", "read_newest", "count", "facet_counts"]


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

    Without ``q`` and with at most two filters the number is read from the counts every write
    maintains; otherwise it is counted once per index generation.

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
    filters = sorted((filters or {}).items())
    if not q and len(filters) <= 2:
        if not filters:
            rows = index.execute("SELECT n FROM list_counts WHERE coll = ?", (collection,))
        elif len(filters) == 1:
            rows = index.execute("SELECT n FROM facet_counts WHERE coll = ? AND facet = ? AND value = ?",
                                 (collection, *filters[0]))
        else:
            rows = index.execute("SELECT n FROM facet_pairs WHERE coll = ? AND facet = ? AND value = ? AND facet2 = ? "
                                 "AND value2 = ?", (collection, *filters[0], *filters[1]))
        return int(rows[0][0]) if rows else 0
    joins, where, params = _where(collection, dict(filters), q)
    return index.cached(("count", joins, where, tuple(params)), lambda: index.execute(
        f"SELECT COUNT(*) FROM records r {joins} WHERE {where}", params)[0][0])


def facet_counts(index, collection, facet, filters=None, q="", limit=30):
    """Return the most frequent values of one facet among the matching records.

    Without ``q`` and with at most one other facet's value active, the counts are the maintained
    ones (a range of an index ordered by count: the cost of ``limit`` rows); otherwise they are
    counted once per index generation.

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
    others = sorted((k, v) for k, v in (filters or {}).items() if k != facet)
    if not q and not others:
        return [(v, n) for v, n in index.execute(
            "SELECT value, n FROM facet_counts WHERE coll = ? AND facet = ? ORDER BY n DESC, value LIMIT ?",
            (collection, facet, int(limit)))]
    if not q and len(others) == 1:
        return [(v, n) for v, n in index.execute(
            "SELECT value2, n FROM facet_pairs WHERE coll = ? AND facet = ? AND value = ? AND facet2 = ? "
            "ORDER BY n DESC, value2 LIMIT ?", (collection, *others[0], facet, int(limit)))]
    joins, where, params = _where(collection, dict(others), q)
    sql = (f"SELECT g.value, COUNT(*) AS n FROM facets g JOIN records r ON r.coll = g.coll AND r.iri = g.iri {joins} "
           f"WHERE g.coll = ? AND g.facet = ? AND {where} GROUP BY g.value ORDER BY n DESC, g.value LIMIT ?")
    args = [*params[:2 * len(others)], collection, facet, *params[2 * len(others):], int(limit)]
    return index.cached(("facets", sql, tuple(args)), lambda: index.execute(sql, args))


def _rarest_first(index, collection, filters):
    """The active ``(facet, value)`` pairs, the one with the fewest records first."""
    def n(item):
        rows = index.execute("SELECT n FROM facet_counts WHERE coll = ? AND facet = ? AND value = ?", (collection, *item))
        return (rows[0][0] if rows else 0, item)

    return sorted(filters.items(), key=n)


def _facet_range(index, collection, filters):
    """Return the SQL conditions and parameters of a filtered list over ``facets d``: the range of the
    rarest active value's rows (they carry the list's order), the other values checked by key."""
    (facet, value), *others = _rarest_first(index, collection, filters)
    where, params = ["d.coll = ?", "d.facet = ?", "d.value = ?"], [collection, facet, value]
    for f, v in others:
        where.append("EXISTS (SELECT 1 FROM facets o WHERE o.coll = d.coll AND o.facet = ? AND o.value = ? "
                     "AND o.sort = d.sort AND o.iri = d.iri)")
        params += [f, v]
    return where, params


def list_page(index, collection, filters=None, q="", size=50, after=None, before=None, offset=0):
    """Return one page of a list, cut by keyset after (or before) a record, else at ``offset``.

    An unfiltered page is a range of the records' ordering index; a filtered one is a range of the
    rarest active facet value's rows, which are kept in the same order, with the other values
    checked by key. Either way a page reads about ``size`` rows, whatever the catalog holds.

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
    filters = filters or {}
    if filters:
        where, params = _facet_range(index, collection, filters)
        # CROSS JOIN keeps the driving facet range outermost, in its (sort, iri) order.
        source = "facets d CROSS JOIN records r ON r.coll = d.coll AND r.iri = d.iri"
        key_sort, key_iri = "d.sort", "d.iri"
    else:
        source, where, params = "records r", ["r.coll = ?"], [collection]
        key_sort, key_iri = "r.sort", "r.iri"
    if q:
        where.append("instr(lower(r.label), lower(?)) > 0")
        params.append(q)
    where = " AND ".join(where)
    cursor = after or before
    key = None
    if cursor:
        found = index.execute("SELECT sort FROM records WHERE coll = ? AND iri = ?", (collection, cursor))
        key = (found[0][0], cursor) if found else None
    if key and before and not after:
        rows = index.execute(
            f"SELECT r.iri, r.label FROM {source} WHERE {where} AND ({key_sort}, {key_iri}) < (?, ?) "
            f"ORDER BY {key_sort} DESC, {key_iri} DESC LIMIT ?", [*params, *key, size + 1])
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        more_after = True
    else:
        extra, args = "", []
        if key:
            extra, args = f" AND ({key_sort}, {key_iri}) > (?, ?)", list(key)
        rows = index.execute(
            f"SELECT r.iri, r.label FROM {source} WHERE {where}{extra} ORDER BY {key_sort}, {key_iri} LIMIT ? OFFSET ?",
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


def newest(index, collection, filters=None, size=50, before=None, since=None):
    """Return the IRIs of a collection's records in reverse list order: the newest first.

    The reverse of `list_page`'s order, ``(sort, iri)`` descending, for the lists a user reads from
    the latest end (alerts, a workflow's runs). Like `list_page`, it reads a range of the records'
    ordering index, or of the rarest active facet value's rows with the other values checked by
    key: about ``size`` rows, whatever the collection holds.

    Parameters
    ----------
    index : skyweave.catalog.indexes.CatalogIndex
    collection : str
    filters : dict of str to str or None
        Facet name -> value (IRI or literal text); a record must have every one.
    size : int
        Most IRIs returned.
    before : str or None
        IRI of a record: only the records after it in this order (older ones) are returned. An IRI
        the collection does not hold starts from the newest.
    since : str or None
        Only records whose ordering key sorts after this text (see
        `skyweave.catalog.indexes.extract.sort_text`: for date-times, strictly later instants).

    Returns
    -------
    list of str
    """
    filters = filters or {}
    if filters:
        where, params = _facet_range(index, collection, filters)
        source = "facets d"
    else:
        source, where, params = "records d", ["d.coll = ?"], [collection]
    if before:
        found = index.execute("SELECT sort FROM records WHERE coll = ? AND iri = ?", (collection, before))
        if found:
            where.append("(d.sort, d.iri) < (?, ?)")
            params += [found[0][0], before]
    if since is not None:
        where.append("d.sort > ?")
        params.append(since)
    return [r[0] for r in index.execute(
        f"SELECT d.iri FROM {source} WHERE {' AND '.join(where)} ORDER BY d.sort DESC, d.iri DESC LIMIT ?",
        [*params, int(size)])]


def read_newest(index, collection, read, limit, filters=None, before=None, since=None, step=None):
    """Return the first ``limit`` items that the newest records give, reading `newest` pages until enough.

    For lists that show only some of the records the index orders (an alert without what the list
    shows, a result without a picture): each page of IRIs is handed to ``read`` (one query bound to
    them, typically), and the walk goes on from the last IRI until ``limit`` items are found or the
    list ends. The cost is that of the records looked at, not of the collection.

    Parameters
    ----------
    index : skyweave.catalog.indexes.CatalogIndex
    collection : str
    read : callable
        ``read(iris) -> dict of str to list``: the items each IRI gives, newest first (an IRI absent
        from the dict, or with an empty list, gives none).
    limit : int
        Most items returned.
    filters, before, since
        As for `newest`.
    step : int or None
        IRIs read per page; by default as many as items are still missing.

    Returns
    -------
    list
        The items in the order of their records, newest first; those of one record in the order
        ``read`` gives them.
    """
    out, cursor = [], before
    while len(out) < int(limit):
        want = int(step or int(limit) - len(out))
        iris = newest(index, collection, filters, size=want, before=cursor, since=since)
        found = read(iris) if iris else {}
        out += [item for iri in iris for item in found.get(iri, ())]
        if len(iris) < want:
            break
        cursor = iris[-1]
    return out[:int(limit)]
