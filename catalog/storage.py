"""Open the store a configuration asks for: embedded on disk, in memory, or a remote SPARQL server."""

from pathlib import Path

from .remote import RemoteStore
from .store import EmbeddedStore

__all__ = ["open_store"]


def open_store(config):
    """Build the store a configuration asks for.

    Parameters
    ----------
    config : Mapping
        Settings: ``STORE`` (embedded | memory | remote), ``DATA_DIR``, ``REMOTE_*``,
        ``SPARQL_TIMEOUT_S``, ``SPARQL_MAX_ROWS``, ``SPARQL_WORKERS``, ``BASE_IRI``,
        ``MAX_LITERAL_BYTES``, ``SPARQL_TRUSTED_SERVICES``.

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
                             **options)
    if kind == "remote":
        return RemoteStore(
            config["REMOTE_QUERY_URL"], config["REMOTE_UPDATE_URL"], config["REMOTE_GSP_URL"],
            http_timeout_s=config["REMOTE_TIMEOUT_S"], **options,
        )
    raise ValueError(f"unknown STORE {kind!r}: use embedded, memory or remote")
