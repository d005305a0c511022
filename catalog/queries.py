"""The named example queries kept as ``ontology/queries/*.rq`` (shown on the query page, used in tests)."""

from dataclasses import dataclass
from functools import lru_cache

from .resources import bundled
from .vocab import PREFIXES

__all__ = ["ExampleQuery", "examples", "prologue"]

QUERIES_DIR = bundled("ontology") / "queries"


@dataclass(frozen=True)
class ExampleQuery:
    """A named SPARQL query from ``ontology/queries/``.

    Attributes
    ----------
    name : str
        File stem, e.g. ``targets-by-catalog``.
    title : str
        The text of the file's first ``# title:`` comment line.
    text : str
        The whole query.
    """

    name: str
    title: str
    text: str


@lru_cache(maxsize=1)
def examples():
    """Return every example query, sorted by file name.

    Returns
    -------
    tuple of ExampleQuery
    """
    out = []
    for path in sorted(QUERIES_DIR.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        title = next(
            (line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("# title:")),
            path.stem.replace("-", " "),
        )
        out.append(ExampleQuery(path.stem, title, text))
    return tuple(out)


def prologue(names=None):
    """Return ``PREFIX`` lines for the catalog's prefixes (all, or only ``names``).

    Examples
    --------
    >>> prologue(["sw"])
    'PREFIX sw: <https://skyweave.org/ns#>\\n'
    """
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items() if names is None or p in names)
