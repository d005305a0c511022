"""Check, before a run, the resources a workflow notebook declares it uses.

A notebook names them with ``oda:usesRequiredResource`` / ``oda:usesOptionalResource`` and declares
each one's binding, ``oda:resourceBindingEnvVarName``: the environment variable holding its address
or credentials. A required resource whose variable is not set on the server stops the run before
it starts, with a message saying what to set; an optional one is passed on when it is set.

References
----------
.. [1] nb2workflow (resource annotations), https://github.com/oda-hub/nb2workflow
"""

import os

from skyweave.catalog.exceptions import NotConfigured

__all__ = ["resource_environment"]


def _curie(iri):
    return iri.replace("http://odahub.io/ontology#", "oda:")


def resource_environment(spec, env=None, environ=None):
    """Return the environment variables that give a run its declared resources.

    Parameters
    ----------
    spec : runners.annotations.WorkflowSpec
        Its ``resources`` are checked.
    env : dict of str to str or None
        The runner's configured environment (looked in first).
    environ : mapping or None
        The server's environment; default `os.environ`.

    Returns
    -------
    dict of str to str
        Binding variable -> value, for every resource whose variable is set.

    Raises
    ------
    skyweave.catalog.exceptions.NotConfigured
        If a required resource declares no binding variable, or its variable is set neither in
        ``env`` nor in ``environ``.

    Examples
    --------
    >>> from skyweave.runners.annotations import Resource, WorkflowSpec
    >>> s3 = Resource("http://odahub.io/ontology#MyS3", None, "S3_KEY", True)
    >>> spec = WorkflowSpec("x", "X", None, None, (), (), (), None, None, resources=(s3,))
    >>> resource_environment(spec, environ={"S3_KEY": "secret"})
    {'S3_KEY': 'secret'}
    >>> resource_environment(spec, environ={})
    Traceback (most recent call last):
    ...
    skyweave.catalog.exceptions.NotConfigured: This workflow requires the resource oda:MyS3: set the environment variable S3_KEY on the server (its oda:resourceBindingEnvVarName), then run it again.
    """
    environ = os.environ if environ is None else environ
    found = {}
    for resource in spec.resources:
        name = resource.env_var
        value = None if name is None else (env or {}).get(name, environ.get(name))
        if value is not None:
            found[name] = value
        elif resource.required and name is None:
            raise NotConfigured(f"This workflow requires the resource {_curie(resource.iri)}, but declares no "
                                "oda:resourceBindingEnvVarName for it, so skyweave cannot give it access.")
        elif resource.required:
            raise NotConfigured(f"This workflow requires the resource {_curie(resource.iri)}: set the "
                                f"environment variable {name} on the server (its "
                                "oda:resourceBindingEnvVarName), then run it again.")
    return found
