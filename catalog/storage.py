"""Open the store a configuration asks for: embedded on disk, in memory, or a remote SPARQL server."""

from pathlib import Path

from .store import EmbeddedStore

__all__ = ["open_store", "query_processes"]


def query_processes(value):
    """Return the number of query worker processes a ``SPARQL_PROCESSES`` value asks for.

    Parameters
    ----------
    value : int or str
        A count, ``"auto"`` (one per CPU core, see `skyweave.catalog.query_workers.default_processes`)
        or 0 (queries run in threads of the server process).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``value`` is neither ``"auto"`` nor a count >= 0.

    Examples
    --------
    >>> query_processes("3"), query_processes(0)
    (3, 0)
    """
    from .query_workers import default_processes

    if value in (None, ""):
        return 0
    if str(value).strip().lower() == "auto":
        return default_processes()
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if count < 0:
        raise ValueError(f"SPARQL_PROCESSES must be 'auto' or a count >= 0, not {value!r}")
    return count


def open_store(config):
    """Build the store a configuration asks for.

    Parameters
    ----------
    config : Mapping
        Settings: ``STORE`` (embedded | memory | remote), ``DATA_DIR``, ``REMOTE_*``,
        ``SPARQL_TIMEOUT_S``, ``SPARQL_MAX_ROWS``, ``SPARQL_WORKERS``, ``BASE_IRI``,
        ``MAX_LITERAL_BYTES``, ``SPARQL_TRUSTED_SERVICES``, ``SPARQL_PROCESSES``.

    Returns
    -------
    Store

    Raises
    ------
    ValueError
        If ``STORE`` is unknown or remote mode lacks its URLs.
    """
    options = dict(
        timeout_s=config["SPARQL_TIMEOUT_S"], max_rows=config["SPARQL_MAX_ROWS"], workers=config["SPARQL_WORKERS"],
        base_iri=config.get("BASE_IRI"), max_literal_bytes=config.get("MAX_LITERAL_BYTES"),
        trusted_services=config.get("SPARQL_TRUSTED_SERVICES") or (), client_slots=config.get("SPARQL_CLIENT_SLOTS"),
    )
    kind = config["STORE"]
    if kind == "memory":
        return EmbeddedStore(None, **options)
    if kind == "embedded":
        return EmbeddedStore(Path(config["DATA_DIR"]) / "store", memory_mirror=config.get("STORE_MEMORY_MIRROR", False),
                             processes=query_processes(config.get("SPARQL_PROCESSES", 0)), **options)
    if kind == "remote":
        from .remote import RemoteStore  # its SPARQL results parser loads only in remote mode

        return RemoteStore(
            config["REMOTE_QUERY_URL"], config["REMOTE_UPDATE_URL"], config["REMOTE_GSP_URL"],
            http_timeout_s=config["REMOTE_TIMEOUT_S"], **options,
        )
    raise ValueError(f"unknown STORE {kind!r}: use embedded, memory or remote")
