"""The rules GCN applies to a Circular's subject and body, checked before anything is sent.

GCN refuses a circular whose subject neither names an event nor contains one of its known keywords, or
contains an auto-reply phrase; the body must not be empty and the format is plain text or Markdown.
Checking here first turns a bounced e-mail (which arrives hours later) into an immediate, clear message
(``specs/external-apis.md`` §7 F15).

References
----------
.. [1] GCN Circulars style guide and submission rules, https://gcn.nasa.gov/docs/circulars/styleguide ;
   ``nasa-gcn/gcn.nasa.gov`` ``app/routes/circulars/circulars.lib.ts`` (``subjectIsValid``,
   ``bodyIsValid``, ``formatIsValid``), as summarised in ``specs/external-apis.md`` §4.2.
"""

import re

__all__ = ["KEYWORDS", "FORBIDDEN", "FORMATS", "MAX_LINES", "event_name", "check_circular"]

KEYWORDS = (
    "AGILE", "ALMA", "AMON", "ANTARES", "AXP", "Baksan", "CALET", "Chandra", "COLIBRI", "EP", "Fermi", "FRB",
    "FXT", "GOTO", "GRANDMA", "GRB", "GW", "HAWC", "HST", "IBAS", "IceCube", "INTEGRAL", "IPN", "JCMT", "KAGRA",
    "KamLAND", "KONUS", "LIGO", "LOFAR", "LVC", "LVK", "LXT", "MAGIC", "MASTER", "MAXI", "Nova", "NuEM",
    "Pan-STARRS", "POLAR", "RATIR", "SDSS", "SFXT", "SGR", "SN", "Super-Kamiokande", "Supernova", "Suzaku",
    "SVOM", "Swift", "transient", "VLA", "VLBI", "XRB", "XRF", "XRT", "XTR", "Virgo", "ZTF",
)
"""Words one of which a subject must contain (case-insensitive) unless it names an event."""

FORBIDDEN = ("re:", "fw:", "fwd:", "out of office", "automatic reply", "auto-reply", "vacation", "subject:",
             "draft", "away from", "autoreply")
"""Phrases a subject must not contain (case-insensitive): auto-replies and forwarded mail."""

FORMATS = ("text/plain", "text/markdown")
"""Body formats GCN accepts."""

MAX_LINES = 60
"""Longest body the style guide recommends, in lines."""

_EVENTS = (
    re.compile(r"\b(?:GRB|XRF|XRB|SGR|FRB)\s?\d{6}[A-Z]?\b", re.I),
    re.compile(r"\b[SGM]S?\d{6}[a-z]{1,3}\b"),            # gravitational-wave superevents: S250101ab
    re.compile(r"\b(?:AT|SN)\s?\d{4}[a-z]{1,3}\b"),       # TNS names: AT 2026abc
    re.compile(r"\bIceCube-\d{6}[A-Z]?\b", re.I),
    re.compile(r"\bEP\d{6}[a-z]?\b", re.I),
)


def event_name(text):
    """Return the first event name in ``text`` (``GRB 250101A``, ``S250101ab``, ``AT 2026abc``), or None.

    Examples
    --------
    >>> event_name("GRB 250101A: MAGIC upper limits")
    'GRB 250101A'
    >>> event_name("S250101ab: no counterpart") , event_name("Crab Nebula spectrum") is None
    ('S250101ab', True)
    """
    for pattern in _EVENTS:
        match = pattern.search(text or "")
        if match:
            return match.group(0)
    return None


def check_circular(subject, body, format="text/plain"):
    """Return the problems GCN would refuse a circular for (an empty list when it would accept it).

    Parameters
    ----------
    subject, body : str
    format : str
        ``text/plain`` or ``text/markdown``.

    Returns
    -------
    list of str
        One sentence per problem, naming the rule.

    Examples
    --------
    >>> check_circular("GRB 250101A: skyweave upper limits", "We observed ...")
    []
    >>> for problem in check_circular("Re: Crab Nebula spectrum", "text"):
    ...     print(problem[:60])
    subject: it contains "re:", which GCN refuses as an auto-rep
    subject: it names no event (GRB 250101A, S250101ab, AT 2026a
    """
    problems = []
    low = (subject or "").lower()
    if not low.strip():
        problems.append("subject: it is empty")
    for phrase in FORBIDDEN:
        if phrase in low:
            problems.append(f'subject: it contains "{phrase}", which GCN refuses as an auto-reply or forward')
    if low.strip() and event_name(subject) is None and not any(k.lower() in low for k in KEYWORDS):
        problems.append("subject: it names no event (GRB 250101A, S250101ab, AT 2026abc, ...) and none of GCN's "
                        "keywords (GRB, GW, IceCube, Fermi, Swift, transient, ...)")
    if not (body or "").strip():
        problems.append("body: it is empty")
    elif len(body.splitlines()) > MAX_LINES:
        problems.append(f"body: {len(body.splitlines())} lines; GCN's style guide asks for fewer than {MAX_LINES}")
    if format not in FORMATS:
        problems.append(f"format: {format!r} is not one of {', '.join(FORMATS)}")
    return problems
