"""Citations of published records: BibTeX and CSL-JSON built from the catalog's own data."""

import json
import re

__all__ = ["bibtex", "csl_json"]


def _key(creators, year, title):
    family = (creators[0].split(",")[0] if creators else "skyweave").strip()
    word = next((w for w in re.findall(r"[A-Za-z]+", title) if len(w) > 3), "record")
    return re.sub(r"[^A-Za-z0-9]", "", f"{family}{year}{word}")


def bibtex(title, creators, year, doi, url, publisher="Zenodo", kind="software"):
    """Return a BibTeX entry (``@software`` for workflows, ``@misc`` for data).

    Parameters
    ----------
    title : str
    creators : list of str
        Names as ``Family, Given`` (or as written).
    year : int
    doi : str
        Bare DOI.
    url : str
        Landing page.
    publisher : str
    kind : str
        ``software`` or ``dataset``.

    Returns
    -------
    str

    References
    ----------
    .. [1] BibTeX ``@software`` as used by Zenodo and biblatex, https://ctan.org/pkg/biblatex
    """
    entry = "software" if kind == "software" else "misc"
    fields = {"author": " and ".join(creators) or "{skyweave}", "title": "{" + title + "}", "year": str(year),
              "publisher": publisher, "doi": doi, "url": url}
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items())
    return f"@{entry}{{{_key(creators, year, title)},\n{body}\n}}"


def csl_json(title, creators, year, doi, url, publisher="Zenodo", kind="software"):
    """Return a CSL-JSON item (text) for reference managers.

    Returns
    -------
    str

    References
    ----------
    .. [1] CSL-JSON schema, https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html
    """
    authors = []
    for name in creators:
        family, _, given = name.partition(",")
        authors.append({"family": family.strip(), "given": given.strip()} if given else {"literal": name})
    item = {"id": _key(creators, year, title), "type": "software" if kind == "software" else "dataset",
            "title": title, "author": authors, "issued": {"date-parts": [[year]]}, "publisher": publisher,
            "DOI": doi, "URL": url}
    return json.dumps(item, indent=2, ensure_ascii=False)
