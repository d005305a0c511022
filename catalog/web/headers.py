"""Security headers on every response: the site loads nothing from other hosts, so the policy is strict.

- ``Content-Security-Policy``: scripts, styles, images, fonts and connections from this site only
  (images also as ``data:`` URLs, for the favicon and plots; inline ``style`` for the SVG pictures
  drawn in the page); no plugins, no ``<base>``, forms post only here, and no framing.
- ``X-Content-Type-Options: nosniff``: files are taken as the type they are served as.
- ``X-Frame-Options: DENY``: for browsers older than ``frame-ancestors``.
- ``Referrer-Policy: same-origin``: links to other sites do not reveal the page (or a run's URL).

References
----------
.. [1] Content Security Policy Level 3, https://www.w3.org/TR/CSP3/
.. [2] OWASP HTTP Security Response Headers Cheat Sheet,
   https://cheatsheetseries.owasp.org/cheatsheets/HTTP_Headers_Cheat_Sheet.html
"""

__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "add_security_headers", "init_app"]

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
"""The policy sent with every response."""

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
"""Header -> value added to every response (a view may set its own value first)."""


def add_security_headers(response):
    """Add `SECURITY_HEADERS` to ``response`` where the view did not set them; return it.

    Parameters
    ----------
    response : flask.Response

    Returns
    -------
    flask.Response
    """
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app):
    """Send the security headers with every response of ``app`` (errors and static files included)."""
    app.after_request(add_security_headers)
