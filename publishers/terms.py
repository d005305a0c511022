"""The terms of the input data, followed through PROV-O from a record to the data releases it derives from.

A data release (a ``sw:SourceCatalog`` record) states terms of use beyond its licence in ``dcterms:rights``;
the H.E.S.S. DL3 DR1 terms, for example, forbid scientific publications and new claims about the sources.
`TermsCheck` finds the releases a record derives from, following the catalog's own links:

- a result ``prov:wasGeneratedBy`` a run, which ``prov:used`` a workflow version;
- a workflow version's ``sw:instrument``, whose observations (``sosa:madeBySensor``) are
  ``dcterms:isPartOf`` a release;
- any record ``prov:used`` / ``prov:wasDerivedFrom`` (transitively) an observation or a release, as an
  alert's event or a replayed notice may.

Every release so found that states terms is shown on each preview, and a publication is refused
(`TermsForbid`) unless the setting ``DATA_TERMS_ALLOW`` names that release (its IRI or its slug).
"""

from rdflib import URIRef

from skyweave.catalog.exceptions import CatalogError

__all__ = ["TermsForbid", "Release", "TermsCheck"]

_QUERY = """
PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX sosa: <http://www.w3.org/ns/sosa/> PREFIX sw: <https://skyweave.org/ns#>
SELECT DISTINCT ?release ?title ?rights WHERE {
  { $record (prov:wasGeneratedBy|prov:used|prov:wasDerivedFrom)* ?wf . ?wf sw:instrument ?instrument .
    ?obs sosa:madeBySensor ?instrument ; dcterms:isPartOf ?release }
  UNION
  { $record (prov:wasGeneratedBy|prov:used|prov:wasDerivedFrom)* ?part . ?part dcterms:isPartOf ?release }
  UNION
  { $record (prov:wasGeneratedBy|prov:used|prov:wasDerivedFrom)+ ?release }
  ?release dcterms:rights ?rights .
  OPTIONAL { ?release dcterms:title ?title }
} ORDER BY ?release
"""


class TermsForbid(CatalogError):
    """The terms of a data release the record derives from forbid publishing it (mapped to 403 on the web).

    Parameters
    ----------
    releases : list of Release
        The releases whose terms forbid it.
    service : str
        Display name of the channel (``"GCN Circulars"``).
    """

    title = "Refused by the terms of the data"

    def __init__(self, releases, service):
        self.releases = list(releases)
        names = "; ".join(f"{r.title} <{r.iri}>" for r in self.releases)
        super().__init__(
            f"Not sent to {service}: the record derives from {names}, whose terms say: "
            + " ".join(r.rights for r in self.releases)
            + " To send anyway (e.g. to a test instance), name the release in the setting DATA_TERMS_ALLOW.")

    def problem(self):
        """RFC 9457 problem details with one ``errors[]`` item per release (its IRI and terms)."""
        return {**super().problem(), "errors": [{"release": r.iri, "message": r.rights} for r in self.releases]}


class Release:
    """A data release with terms of use: ``iri``, ``title``, ``rights`` (the terms' text), ``allowed``."""

    def __init__(self, iri, title, rights, allowed):
        self.iri, self.title, self.rights, self.allowed = iri, title, rights, allowed

    def __repr__(self):
        return f"Release({self.iri!r}, allowed={self.allowed})"


class TermsCheck:
    """Find the terms of the data a record derives from, and refuse what they forbid.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    allow : iterable of str
        Releases whose terms the operator has cleared for sending (their IRIs or slugs): the
        ``DATA_TERMS_ALLOW`` setting.
    """

    def __init__(self, store, allow=()):
        self.store = store
        self.allow = {str(a).strip().rstrip("/") for a in allow if str(a).strip()}

    @classmethod
    def from_settings(cls, config, store):
        """Build the check from ``DATA_TERMS_ALLOW`` (a list, or a comma-separated string, of releases)."""
        allow = config.get("DATA_TERMS_ALLOW") or ()
        if isinstance(allow, str):
            allow = allow.split(",")
        return cls(store, allow)

    def releases(self, iri):
        """Return the `Release` records with terms that record ``iri`` derives from.

        Parameters
        ----------
        iri : str

        Returns
        -------
        list of Release
        """
        out = []
        for row in self.store.select(_QUERY, record=URIRef(iri)):
            release = str(row["release"])
            slug = release.rstrip("/").rsplit("/", 1)[-1]
            title = str(row["title"]) if row.get("title") is not None else slug
            out.append(Release(release, title, str(row["rights"]), release in self.allow or slug in self.allow))
        return out

    def describe(self, iri):
        """The terms to show on a preview: ``[{"message": "<title>: <terms> (allowed|refused ...)"}]``."""
        return [{"message": f"{r.title}: {r.rights}"
                 + (" Sending is allowed by the setting DATA_TERMS_ALLOW." if r.allowed else
                    " Sending is refused unless the setting DATA_TERMS_ALLOW names this release.")}
                for r in self.releases(iri)]

    def check(self, iri, service):
        """Raise `TermsForbid` if a release record ``iri`` derives from has terms not cleared by the settings.

        Parameters
        ----------
        iri : str
        service : str
            Display name of the channel, for the message.

        Raises
        ------
        TermsForbid
            Naming each release and quoting its terms.
        """
        refused = [r for r in self.releases(iri) if not r.allowed]
        if refused:
            raise TermsForbid(refused, service)
