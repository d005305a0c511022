"""Numbers as text for pages: rounded for reading, never for storing (records keep the full value)."""

import math

__all__ = ["number_text"]


def number_text(value):
    """Return a number as text for a page, with enough digits for its magnitude.

    Six significant digits, as ``%g`` gives, hide the fraction of a large number: an MJD of
    59861.55 would read 59861.6, more than an hour off. A number of 10,000 or more keeps three
    digits after its units digit as well, up to 12 significant digits in all. A whole float below
    a million keeps one decimal (``1.0``), so that it still reads as a measured value.

    Parameters
    ----------
    value : int, float or object
        Anything else is returned as ``str(value)``.

    Returns
    -------
    str

    Examples
    --------
    >>> number_text(2.5912345678)
    '2.59123'
    >>> number_text(59861.55), number_text(59861.551234567)
    ('59861.55', '59861.551')
    >>> number_text(1.0), number_text(5.2e-11), number_text(3)
    ('1.0', '5.2e-11', '3')
    """
    if not isinstance(value, float) or not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e6:
        return f"{value:.1f}"
    magnitude = abs(value)
    digits = 6 if magnitude < 1e4 else min(12, int(math.log10(magnitude)) + 4)
    return f"{value:.{digits}g}"
