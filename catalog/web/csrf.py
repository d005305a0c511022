"""Cross-site request forgery protection for the HTML forms that change state.

A page on another site can make a browser POST a form here (with the browser's cookies), but
only as a "simple" request: a form body (``application/x-www-form-urlencoded``,
``multipart/form-data``, ``text/plain``) or none, and no custom headers. So every such POST must
carry the ``_csrf`` field that our own pages put in their forms (a random token kept in the signed
session cookie, which other sites cannot read), and an ``Origin`` header, when sent, must be ours.

Requests that a browser could only send cross-site after a CORS preflight (which this site never
grants) need no token: a JSON or RDF body, an ``Authorization`` or ``X-Abort-Key`` header, PUT and
DELETE. Neither does a form that carries a valid API token (``api_token``), which a forging page
cannot know, nor the read-only SPARQL endpoint.

References
----------
.. [1] OWASP Cross-Site Request Forgery Prevention Cheat Sheet (synchronizer token pattern),
   https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
.. [2] Fetch Standard, CORS-safelisted request headers and methods, https://fetch.spec.whatwg.org/#cors-safelisted-method
"""

import hmac
import secrets

from flask import request, session

from ..exceptions import Forbidden
from .auth import current_role

__all__ = ["FIELD", "csrf_token", "check_request", "init_app"]

FIELD = "_csrf"
"""Name of the hidden form field holding the token."""

_SIMPLE_TYPES = ("", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
_EXEMPT_PATHS = ("/sparql",)


def csrf_token():
    """Return this browser session's CSRF token, creating it on first use (a template global)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_request():
    """Refuse a POST that a page on another site could have forged (run before every request).

    Raises
    ------
    Forbidden
        (403) If a simple cross-site-capable POST lacks our form token, or comes from another origin.
    """
    if request.method != "POST" or request.path in _EXEMPT_PATHS:
        return
    if request.mimetype not in _SIMPLE_TYPES:
        return
    if "Authorization" in request.headers or "X-Abort-Key" in request.headers:
        return
    origin = request.headers.get("Origin")
    if origin and origin != "null" and origin.rstrip("/") != request.host_url.rstrip("/"):
        raise Forbidden(f"This form was sent from another site ({origin}); it is accepted only from this site's pages.")
    if request.form.get("api_token") and current_role() is not None:
        return
    sent, expected = request.form.get(FIELD, ""), session.get("csrf", "")
    if not (sent and expected and hmac.compare_digest(sent, expected)):
        raise Forbidden("This form has no valid page token (it may come from another site, or the page is old): "
                        "reload the page and send it again. Scripts should send JSON, or a token in the "
                        "Authorization header.", title="Form token missing or expired")


def init_app(app):
    """Check every request with `check_request` and offer ``csrf_token()`` to templates.

    Parameters
    ----------
    app : flask.Flask
    """
    app.before_request(check_request)
    app.jinja_env.globals["csrf_token"] = csrf_token
