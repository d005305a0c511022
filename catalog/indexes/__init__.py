"""Side indexes kept in step with the record store: list order and facets, sky pixels, full text.

One SQLite database (standard library; a file beside the on-disk store, or in memory) holds
what the store's SPARQL cannot answer without scanning a whole class:

- ``records``: each listed record with its display label and ordering key (keyset pagination);
- ``facets``: its facet values with its ordering key (a filtered page is one range of this table);
- ``list_counts``, ``facet_counts``, ``facet_pairs``: how many records each list, facet value and
  pair of values of two facets has, maintained by every write (no request counts a class);
- ``positions``: its ICRS position and HEALPix pixel (cone searches, `skyweave.catalog.indexes.sky`);
- ``texts``: its names and descriptions in an FTS5 trigram index (`skyweave.catalog.indexes.text`).

Writes: the store calls `CatalogIndex.begin` with the IRIs it is about to write (a journal row each,
committed before the store changes) and `CatalogIndex.refresh` after its update committed, which
re-reads those records from the store and replaces their rows in one SQLite transaction (or
`CatalogIndex.write`, given the content of records it has just written as plain triples). A process
killed between the two leaves journal rows, and the next `CatalogIndex.open` re-reads those records:
the index is never older than the store for longer than a restart. Every refresh bumps a generation
number, which keys the cache of the rarer counts that are not maintained (`CatalogIndex.cached`), so
counts are exact after every write and delete, and a rejected write (which never reaches the store)
changes nothing.
"""

import sqlite3
import threading
from collections import Counter, OrderedDict
from pathlib import Path

from .extract import record_rows

__all__ = ["CatalogIndex", "SCHEMA_VERSION"]

SCHEMA_VERSION = "4"
"""Bumped when the tables or the rules of `skyweave.catalog.indexes.extract` change; an index of
another version is rebuilt from the store."""

_TEXT_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS text_rows_ai AFTER INSERT ON text_rows BEGIN
    INSERT INTO texts (rowid, text) VALUES (new.id, new.text); END;
"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journal (iri TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (coll TEXT, iri TEXT, label TEXT, sort TEXT, PRIMARY KEY (coll, iri)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_order ON records (coll, sort, iri);
CREATE INDEX IF NOT EXISTS records_iri ON records (iri);
CREATE TABLE IF NOT EXISTS facets (coll TEXT, facet TEXT, value TEXT, sort TEXT, iri TEXT,
                                   PRIMARY KEY (coll, facet, value, sort, iri)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS facets_iri ON facets (iri);
CREATE TABLE IF NOT EXISTS list_counts (coll TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS facet_counts (coll TEXT, facet TEXT, value TEXT, n INTEGER,
                                         PRIMARY KEY (coll, facet, value)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS facet_counts_top ON facet_counts (coll, facet, n DESC, value);
CREATE TABLE IF NOT EXISTS facet_pairs (coll TEXT, facet TEXT, value TEXT, facet2 TEXT, value2 TEXT, n INTEGER,
                                        PRIMARY KEY (coll, facet, value, facet2, value2)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS facet_pairs_top ON facet_pairs (coll, facet, value, facet2, n DESC, value2);
CREATE TABLE IF NOT EXISTS positions (coll TEXT, hpix INTEGER, iri TEXT, ra REAL, dec REAL,
                                      PRIMARY KEY (coll, hpix, iri)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS positions_iri ON positions (iri);
CREATE TABLE IF NOT EXISTS text_rows (id INTEGER PRIMARY KEY, iri TEXT, label TEXT, text TEXT);
CREATE INDEX IF NOT EXISTS text_rows_iri ON text_rows (iri);
CREATE INDEX IF NOT EXISTS text_rows_lower ON text_rows (lower(text));
CREATE VIRTUAL TABLE IF NOT EXISTS texts USING fts5 (
    text, content='text_rows', content_rowid='id', tokenize='trigram case_sensitive 0');
""" + _TEXT_TRIGGER + """
CREATE TRIGGER IF NOT EXISTS text_rows_ad AFTER DELETE ON text_rows BEGIN
    INSERT INTO texts (texts, rowid, text) VALUES ('delete', old.id, old.text); END;
"""


class CatalogIndex:
    """The side indexes of one store (see the module's description).

    Parameters
    ----------
    path : str or pathlib.Path or None
        SQLite file; None keeps the index in memory (for an in-memory store).

    Notes
    -----
    One connection serves every thread of the process, behind a lock: each statement is short
    (an index range, a pixel range, an FTS lookup). Other processes open their own connection to
    the same file (WAL mode) and see each commit.

    References
    ----------
    .. [1] SQLite FTS5, https://www.sqlite.org/fts5.html (trigram tokenizer, external content tables)
    """

    def __init__(self, path=None):
        self.path = None if path is None else Path(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(":memory:" if path is None else str(path), check_same_thread=False,
                                   isolation_level=None)
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._cache = OrderedDict()
        fresh = not self._has_tables() or self._meta("schema") != SCHEMA_VERSION
        if fresh:
            self._db.executescript(
                "DROP TABLE IF EXISTS texts; DROP TABLE IF EXISTS text_rows; DROP TABLE IF EXISTS records; "
                "DROP TABLE IF EXISTS facets; DROP TABLE IF EXISTS positions; DROP TABLE IF EXISTS journal; "
                "DROP TABLE IF EXISTS list_counts; DROP TABLE IF EXISTS facet_counts; DROP TABLE IF EXISTS facet_pairs; "
                "DROP TABLE IF EXISTS meta;" + _SCHEMA)
        else:  # indexes added within a schema version are built on the first open that lacks them
            self._db.execute("CREATE INDEX IF NOT EXISTS text_rows_lower ON text_rows (lower(text))")
        self.needs_rebuild = fresh

    # -- plumbing -----------------------------------------------------------------------
    def _has_tables(self):
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is not None

    def _meta(self, key):
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def execute(self, sql, params=()):
        """Run one read statement and return all its rows (list of tuples)."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    @property
    def generation(self):
        """A number that changes with every committed change of the index (int)."""
        with self._lock:
            return int(self._meta("generation") or 0)

    def cached(self, key, compute):
        """Return ``compute()``, remembered under ``key`` until the index next changes.

        Parameters
        ----------
        key : hashable
        compute : callable
            Called without arguments on a miss.
        """
        key = (self.generation, key)
        try:
            return self._cache[key]
        except KeyError:
            value = compute()
            self._cache[key] = value
            while len(self._cache) > 512:
                self._cache.popitem(last=False)
            return value

    # -- writing ------------------------------------------------------------------------
    def begin(self, iris):
        """Journal ``iris`` as about to be written (committed before the store changes)."""
        with self._lock:
            self._db.executemany("INSERT OR IGNORE INTO journal (iri) VALUES (?)", [(str(i),) for i in iris])

    def refresh(self, store, iris):
        """Re-read records ``iris`` from ``store`` and replace their rows, clearing their journal rows.

        Parameters
        ----------
        store : skyweave.catalog.store.Store
            Must provide ``record_pairs(iris)`` (dict IRI -> list of (predicate, object), see
            `skyweave.catalog.indexes.extract.record_rows`).
        iris : iterable of str
        """
        iris = [str(i) for i in iris]
        pairs = store.record_pairs(iris)
        self._replace([record_rows(i, pairs.get(i, ())) for i in iris], clear=iris)

    def write(self, pairs, new=()):
        """Replace the rows of records whose content the caller holds (no read of the store).

        The write path of `skyweave.catalog.store.Store.put_triples`: after its update committed, it
        hands over the pairs of the records it wrote, as `refresh` would read them back, and the
        journal rows of those records are cleared.

        Parameters
        ----------
        pairs : dict of str to list of (str, object)
            Record IRI -> the (predicate, object) pairs of its own subject (see
            `skyweave.catalog.indexes.extract.record_rows`).
        new : collection of str
            Records that did not exist before this write: they hold no rows yet, so there is
            nothing of theirs to delete or to subtract from the counts.
        """
        rows = [record_rows(iri, p) for iri, p in pairs.items()]
        self._replace(rows, clear=list(pairs), new=frozenset(new))

    def _replace(self, rows, clear=(), fresh=False, new=frozenset()):
        positions = [(c, r.iri, ra, dec) for r in rows for c, ra, dec in r.positions]
        pixels = []
        if positions:  # astropy loads with the first position written, not with the index
            from .sky import pixels_of

            pixels = pixels_of([p[2] for p in positions], [p[3] for p in positions])
        sorts = {(r.iri, c): sort for r in rows for c, _, sort in r.lists}
        facet_rows = sorted({(c, f, v, sorts[r.iri, c], r.iri) for r in rows for c, f, v in r.facets})
        db = self._db
        with self._lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                if not fresh:
                    old = [(r.iri,) for r in rows if r.iri not in new]
                    old_lists = [row for key in old for row in db.execute(
                        "SELECT coll, iri FROM records WHERE iri = ?", key)]
                    old_facets = [row for key in old for row in db.execute(
                        "SELECT coll, facet, value, sort, iri FROM facets WHERE iri = ?", key)]
                    if old:
                        for table in ("records", "facets", "positions"):
                            db.executemany(f"DELETE FROM {table} WHERE iri = ?", old)
                    self._count(old_lists, old_facets, -1)
                    self._count([(c, r.iri) for r in rows for c, _, _ in r.lists], facet_rows, +1)
                texts = self._text_changes(rows, new if not fresh else None)
                db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?)",
                               [(c, r.iri, label, sort) for r in rows for c, label, sort in r.lists])
                db.executemany("INSERT OR IGNORE INTO facets VALUES (?, ?, ?, ?, ?)", facet_rows)
                db.executemany("INSERT OR REPLACE INTO positions VALUES (?, ?, ?, ?, ?)",
                               [(c, pix, iri, ra, dec) for (c, iri, ra, dec), pix in zip(positions, pixels)])
                db.executemany("INSERT INTO text_rows (iri, label, text) VALUES (?, ?, ?)", texts)
                db.executemany("DELETE FROM journal WHERE iri = ?", [(i,) for i in clear])
                db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', "
                           "COALESCE((SELECT value FROM meta WHERE key = 'generation'), 0) + 1)")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _text_changes(self, rows, new):
        """Delete the text rows the records no longer have; return the rows to insert.

        A record rewritten with mostly the same names (an event that gathers one more alternative
        name per batch) keeps its unchanged rows: the full-text index is only touched where the
        texts changed. Inside the caller's transaction.

        Parameters
        ----------
        rows : list of RecordRows
        new : collection of str or None
            Records with no rows yet; None when no record of ``rows`` has any (a rebuild).

        Returns
        -------
        list of (str, str, str)
            ``(iri, label, text)`` rows to insert.
        """
        db, inserts, gone = self._db, [], []
        for r in rows:
            wanted = set(r.texts)
            if new is not None and r.iri not in new:
                for row_id, label, text in db.execute("SELECT id, label, text FROM text_rows WHERE iri = ?", (r.iri,)):
                    if (label, text) in wanted:
                        wanted.discard((label, text))  # kept as it is (a second copy of it goes)
                    else:
                        gone.append((row_id,))
            inserts += [(r.iri, label, text) for label, text in r.texts if (label, text) in wanted]
        db.executemany("DELETE FROM text_rows WHERE id = ?", gone)
        return inserts

    def _count(self, lists, facets, sign):
        """Add ``sign`` times the given rows to the maintained counts (inside the caller's transaction).

        Parameters
        ----------
        lists : list of (str, str)
            ``(collection, iri)`` rows of ``records``.
        facets : list of (str, str, str, str, str)
            ``(collection, facet, value, sort, iri)`` rows of ``facets``.
        sign : int
            +1 for rows written, -1 for rows removed.
        """
        db = self._db
        per_list = Counter(c for c, _ in lists)
        per_value = Counter((c, f, v) for c, f, v, _, _ in facets)
        of_record = {}
        for c, f, v, _, iri in facets:
            of_record.setdefault((c, iri), []).append((f, v))
        per_pair = Counter((c, f, v, f2, v2) for (c, _), values in of_record.items()
                           for f, v in values for f2, v2 in values if f2 != f)
        db.executemany("INSERT INTO list_counts VALUES (?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
                       [(c, sign * n) for c, n in per_list.items()])
        db.executemany("INSERT INTO facet_counts VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
                       [(*k, sign * n) for k, n in per_value.items()])
        db.executemany("INSERT INTO facet_pairs VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
                       [(*k, sign * n) for k, n in per_pair.items()])
        if sign < 0:
            db.executemany("DELETE FROM facet_counts WHERE coll = ? AND facet = ? AND value = ? AND n <= 0",
                           list(per_value))
            db.executemany("DELETE FROM facet_pairs WHERE coll = ? AND facet = ? AND value = ? AND facet2 = ? "
                           "AND value2 = ? AND n <= 0", list(per_pair))

    def recover(self, store):
        """Re-read the records journalled by writes a killed process left unfinished.

        Returns
        -------
        int
            How many records were re-read.
        """
        iris = [r[0] for r in self.execute("SELECT iri FROM journal")]
        if iris:
            self.refresh(store, iris)
        return len(iris)

    def rebuild(self, store, progress=None):
        """Fill an empty index from every record of ``store`` (after a bulk load, or a new schema).

        Parameters
        ----------
        store : skyweave.catalog.store.Store
            Must provide ``all_record_pairs()`` yielding (IRI, list of (predicate, object)).
        progress : callable or None
            Called with the number of records indexed after each batch.

        Returns
        -------
        int
            Number of records read.
        """
        with self._lock:
            # The full-text index is built once at the end ('rebuild'), not row by row.
            # Until it ends, the index counts as missing: a crash mid-way means a rebuild on the next start.
            self._db.executescript(
                "DELETE FROM meta WHERE key = 'schema'; DROP TRIGGER IF EXISTS text_rows_ai; DELETE FROM records; "
                "DELETE FROM facets; DELETE FROM list_counts; DELETE FROM facet_counts; DELETE FROM facet_pairs; "
                "DELETE FROM positions; DELETE FROM text_rows; DELETE FROM journal; "
                "INSERT INTO texts (texts) VALUES ('delete-all');")
        batch, n = [], 0
        for iri, pairs in store.all_record_pairs():
            batch.append(record_rows(iri, pairs))
            if len(batch) >= 5000:
                self._replace(batch, fresh=True)
                n += len(batch)
                batch = []
                if progress:
                    progress(n)
        self._replace(batch, fresh=True)
        n += len(batch)
        with self._lock:
            # The maintained counts, once over the filled tables; from here on every write adjusts them.
            self._db.executescript(
                "BEGIN; INSERT INTO list_counts SELECT coll, COUNT(*) FROM records GROUP BY coll; "
                "INSERT INTO facet_counts SELECT coll, facet, value, COUNT(*) FROM facets GROUP BY coll, facet, value; "
                "INSERT INTO facet_pairs SELECT a.coll, a.facet, a.value, b.facet, b.value, COUNT(*) FROM facets a "
                "JOIN facets b ON b.iri = a.iri AND b.coll = a.coll AND b.facet <> a.facet "
                "GROUP BY a.coll, a.facet, a.value, b.facet, b.value; COMMIT;")
            self._db.executescript("INSERT INTO texts (texts) VALUES ('rebuild');" + _TEXT_TRIGGER)
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            self._db.execute("ANALYZE")
        self.needs_rebuild = False
        return n

    def close(self):
        """Close the database."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
