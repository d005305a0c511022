"""API tokens and roles for the write routes.

A client sends ``Authorization: Bearer <token>``. Tokens come from the ``API_TOKENS`` setting
(``SKYWEAVE_API_TOKENS`` in the environment, JSON ``{"token": "role"}``) and are never stored in the
graph, logged or echoed in an error.
"""

import hmac
from functools import wraps

from flask import current_app, g, request

from ..exceptions import Forbidden, Unauthorized

__all__ = ["ROLES", "current_role", "require_role"]

ROLES = ("reader", "editor", "publisher", "admin")
"""Roles from least to most allowed; each role may do what the ones before it may."""


def current_role():
    """Return the role of the current request's API token, or None when no valid token is given.

    The token comes from ``Authorization: Bearer <token>``, or, for HTML forms, from a form field
    ``api_token`` (a page that cannot know the token cannot forge the form, so it also guards
    against cross-site request forgery).
    """
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        token = request.form.get("api_token", "") if request.mimetype == "application/x-www-form-urlencoded" else ""
    if not token:
        return None
    for known, role in current_app.config.get("API_TOKENS", {}).items():
        if hmac.compare_digest(known.encode(), token.strip().encode()):
            return role
    return None


def require_role(role):
    """Decorate a view so it needs an API token with at least ``role``.

    Parameters
    ----------
    role : str
        One of `ROLES`.

    Raises
    ------
    Unauthorized
        (401) When the request has no token or an unknown one.
    Forbidden
        (403) When the token's role ranks below ``role``.
    """
    needed = ROLES.index(role)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            have = current_role()
            if have is None:
                raise Unauthorized("This action needs an API token: send 'Authorization: Bearer <token>'.")
            if have not in ROLES or ROLES.index(have) < needed:
                raise Forbidden(f"Your token's role ({have}) may not do this; it needs the {role} role.")
            g.role = have
            return view(*args, **kwargs)

        return wrapper

    return decorate
