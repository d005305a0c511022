"""One table of settings: their defaults, the CLI's ``--help-settings``, ``/-/settings.json`` and the README.

Load order (see `skyweave.catalog.web.app.create_app`): these defaults, then ``instance/skyweave.toml``, then
``SKYWEAVE_*`` environment variables (``SKYWEAVE_API_TOKENS='{"s3cret": "editor"}'``), then a test
configuration.
"""

from dataclasses import dataclass

__all__ = ["Setting", "SETTINGS", "SECRETS", "defaults", "redacted"]


@dataclass(frozen=True)
class Setting:
    """A configuration value with its default and a one-line help text.

    Parameters
    ----------
    name : str
        Flask config key, upper case.
    default : object
        Value used when nothing else sets it.
    help : str
        What it does, shown by ``skyweave serve --help-settings`` and in the README.
    """

    name: str
    default: object
    help: str


SETTINGS = (
    Setting("BASE_IRI", "http://127.0.0.1:5000/", "Base of every record IRI: {BASE_IRI}{collection}/{slug}"),
    Setting("STORE", "embedded", "Where records live: embedded (on-disk Oxigraph), memory, or remote (a SPARQL 1.1 server)"),
    Setting("DATA_DIR", "", "Folder of the store, result files and skyweave.toml (default: the per-user data folder, e.g. ~/.local/share/skyweave)"),
    Setting("STORE_MEMORY_MIRROR", False, "Embedded mode: also keep an in-memory copy of the on-disk store for reads (faster scans; about 350 bytes per triple and a slower start)"),
    Setting("REMOTE_QUERY_URL", "", "Remote mode: SPARQL 1.1 Protocol query endpoint (default graph = union of named graphs)"),
    Setting("REMOTE_UPDATE_URL", "", "Remote mode: SPARQL 1.1 Update endpoint"),
    Setting("REMOTE_GSP_URL", "", "Remote mode: SPARQL 1.1 Graph Store HTTP Protocol endpoint"),
    Setting("REMOTE_TIMEOUT_S", 30, "Remote mode: HTTP timeout in seconds for one request to the server"),
    Setting("SPARQL_TIMEOUT_S", 10.0, "Abort SPARQL queries after this many seconds"),
    Setting("SPARQL_MAX_ROWS", 10000, "Refuse SPARQL results of more rows or triples than this"),
    Setting("SPARQL_WORKERS", 4, "How many SPARQL queries run at once; further ones wait their turn"),
    Setting("SPARQL_PROCESSES", "auto", "Embedded on-disk store: worker processes answering SPARQL queries, each killed and replaced when its query passes SPARQL_TIMEOUT_S (auto: one per CPU core, 3 to 8; 0: threads of the server process, which cannot stop a query); serve --workers N sets it"),
    Setting("SPARQL_CLIENT_SLOTS", 2, "Most SPARQL queries one client (address) may have running; more get 429"),
    Setting("MAX_CONTENT_LENGTH", 5 * 1024 * 1024, "Largest request body accepted, in bytes (larger: 413)"),
    Setting("MAX_LITERAL_BYTES", 1024 * 1024, "Largest literal a record may hold, in bytes of UTF-8 (larger: 413)"),
    Setting("SPARQL_TRUSTED_SERVICES", [], "SPARQL endpoints a query may call with SERVICE <IRI> (empty: SERVICE is refused)"),
    Setting("PAGE_SIZE", 50, "Rows per page in lists"),
    Setting("RUNNER_EXECUTOR", "local", "Where runs execute: local (a pool of fresh Jupyter kernels, one per run) or dask"),
    Setting("RUNNER_WORKERS", 2, "Most runs executing at once (local pool size, or workers of a local Dask cluster)"),
    Setting("RUNNER_PRELOAD", "numpy,astropy.units,astropy.table,astropy.coordinates",
            "Modules each spare kernel imports before its run (comma-separated; empty for none); kernels are never reused"),
    Setting("DASK_SCHEDULER", "", "Dask mode: address of an existing scheduler (tcp://host:8786); empty starts a LocalCluster"),
    Setting("RUN_TIMEOUT_S", 900.0, "Time limit of one run, in seconds"),
    Setting("RUN_QUEUE_PER_CLIENT", 4, "Most runs one client (address) may have queued or executing; more get 429"),
    Setting("RUN_QUEUE_MAX", 64, "Most runs queued or executing in all; more get 429 with Retry-After"),
    Setting("RESULT_STORAGE_MAX_BYTES", 20 * 1024**3, "Quota of the result files folder, in bytes; when full, run requests get 507"),
    Setting("RUN_ABORT_WAIT_S", 10.0, "How long an abort waits for a run to stop before filing it ABORTED anyway"),
    Setting("WORKFLOW_SOURCE_ROOTS", [], "Folders under which the web API may register local workflow sources (empty: git URLs only)"),
    Setting("WORKFLOW_GIT_SCHEMES", ["https"], "URL schemes a git workflow source may use"),
    Setting("RUNNER_RECOVER", True, "On start, mark runs left EXECUTING as ERROR and queue QUEUED runs again"),
    Setting("ZENODO_BASE_URL", "https://sandbox.zenodo.org/api/", "Zenodo API base (the sandbox unless set to https://zenodo.org/api/)"),
    Setting("ZENODO_TOKEN", "", "Secret: Zenodo personal access token (deposit:write and deposit:actions)"),
    Setting("ZENODO_ACTIONS_TOKEN", "", "Secret: optional separate Zenodo token for publishing (deposit:actions)"),
    Setting("WORKFLOWHUB_BASE_URL", "https://dev.workflowhub.eu/", "WorkflowHub base (the dev instance unless set to https://workflowhub.eu/)"),
    Setting("WORKFLOWHUB_TOKEN", "", "Secret: WorkflowHub API token"),
    Setting("WORKFLOWHUB_PROJECT_ID", "", "WorkflowHub team (project) id that submitted workflows belong to"),
    Setting("GCN_CIRCULARS_VIA", "email", "How GCN Circulars are sent: email (SMTP, the default) or api (needs an app client GCN grants)"),
    Setting("GCN_CIRCULARS_ADDRESS", "circulars@test.gcn.nasa.gov", "GCN's submission address (the test instance unless set to circulars@gcn.nasa.gov)"),
    Setting("GCN_FROM_ADDRESS", "", "The submitter's e-mail address registered with GCN (From of circular e-mails)"),
    Setting("GCN_SMTP_HOST", "", "SMTP server that sends circular e-mails (STARTTLS, then login)"),
    Setting("GCN_SMTP_PORT", 587, "Port of GCN_SMTP_HOST (submission with STARTTLS)"),
    Setting("GCN_SMTP_USER", "", "Login at GCN_SMTP_HOST"),
    Setting("GCN_SMTP_PASSWORD", "", "Secret: password at GCN_SMTP_HOST"),
    Setting("GCN_SMTP_CA_FILE", "", "PEM file of the CA that signs GCN_SMTP_HOST's certificate, if not a public one (STARTTLS)"),
    Setting("GCN_API_BASE_URL", "https://test.gcn.nasa.gov", "GCN site for the Circulars API and archive (the test instance unless set to https://gcn.nasa.gov)"),
    Setting("GCN_API_TOKEN", "", "Secret: GCN access token with the circular-submitter scope (API path)"),
    Setting("GCN_KAFKA_DOMAIN", "test.gcn.nasa.gov", "GCN Kafka domain for notices (the test cluster unless set to gcn.nasa.gov)"),
    Setting("GCN_KAFKA_CLIENT_ID", "", "GCN client id with producer rights for GCN_NOTICE_TOPIC"),
    Setting("GCN_KAFKA_CLIENT_SECRET", "", "Secret: GCN client secret"),
    Setting("GCN_KAFKA_BOOTSTRAP", "", "host:port of a plaintext Kafka-protocol broker to use instead of GCN (local tests and demos)"),
    Setting("GCN_NOTICE_TOPIC", "gcn.notices.skyweave.analysis", "Kafka topic of our notices (gcn.notices.<mission>.<notice_type>)"),
    Setting("GCN_SCHEMA_DIR", "", "Folder of the npm package @nasa-gcn/schema (npm install @nasa-gcn/schema), used to validate notices"),
    Setting("HOP_BROKER", "kafka://kafka.scimma.org", "Hopskotch broker URL (kafka://dev.hop.scimma.org for tests)"),
    Setting("HOP_TOPIC", "", "Hopskotch topic messages go to (skyweave report hop --topic overrides it)"),
    Setting("HOP_USERNAME", "", "Hopskotch SCRAM user name (from my.hop.scimma.org)"),
    Setting("HOP_PASSWORD", "", "Secret: Hopskotch SCRAM password"),
    Setting("HOP_TEST_MESSAGES", False, "Mark Hopskotch messages as tests (_test header; readers skip them by default)"),
    Setting("TNS_BASE_URL", "https://sandbox.wis-tns.org", "TNS host (the sandbox unless set to https://www.wis-tns.org)"),
    Setting("TNS_BOT_ID", "", "TNS bot id (tns_marker User-Agent)"),
    Setting("TNS_BOT_NAME", "", "TNS bot name (tns_marker User-Agent)"),
    Setting("TNS_API_KEY", "", "Secret: the TNS bot's API key"),
    Setting("TNS_REPORTING_GROUPID", "", "TNS value id of the reporting group"),
    Setting("TNS_DATA_SOURCE_GROUPID", "", "TNS value id of the data source group"),
    Setting("TNS_INSTRUMENTID", "", "TNS value id of the discovery instrument"),
    Setting("TNS_FILTERID", "", "TNS value id of the discovery filter"),
    Setting("TNS_FLUX_UNITID", "1", "TNS value id of the flux unit (1 = AB mag)"),
    Setting("TNS_AT_TYPE", "1", "TNS AT type id (1 = PSN)"),
    Setting("TNS_ARCHIVEID", "", "TNS archive id for archival non-detection info, used when a run gives no last non-detection"),
    Setting("TNS_REPORTER", "", "The reporter text of AT reports (default: the record's authors on behalf of skyweave)"),
    Setting("DATA_TERMS_ALLOW", [], "Data releases (IRIs or slugs) whose terms of use are cleared for publishing derived records; others are refused"),
    Setting("ALERT_TOPICS", ["gcn.notices.swift.bat.guano", "gcn.notices.icecube.lvk_nu_track_search",
                             "gcn.notices.einstein_probe.wxt.alert", "gcn.classic.voevent.SWIFT_BAT_GRB_POS_ACK",
                             "gcn.circulars", "igwn.gwalert"],
            "Kafka topics that skyweave listen consumes (from GCN_KAFKA_DOMAIN with GCN_KAFKA_CLIENT_ID, or GCN_KAFKA_BOOTSTRAP)"),
    Setting("ALERT_GROUP_ID", "skyweave-alerts", "Kafka consumer group id of the listener (stable, so a restart resumes where it stopped)"),
    Setting("ALERT_BATCH", 500, "Most messages stored in one write by the listener"),
    Setting("ALERT_MAX_BYTES", 4 * 1024 * 1024, "Largest alert message accepted, in bytes (larger ones are quarantined)"),
    Setting("ALERT_VALIDATE_SHAPES", True, "Validate each alert, event and quarantine record against the shapes before storing it (by the check compiled from them; pySHACL writes the report of a record it does not pass)"),
    Setting("API_TOKENS", {}, "Secret: API token -> role (reader, editor, publisher, admin), from SKYWEAVE_API_TOKENS as JSON"),
    Setting("SECRET_KEY", "", "Secret: signs session cookies and CSRF tokens (random per process when empty)"),
)
"""Every setting of the service."""

SECRETS = frozenset({"API_TOKENS", "SECRET_KEY", "ZENODO_TOKEN", "ZENODO_ACTIONS_TOKEN", "WORKFLOWHUB_TOKEN",
                     "GCN_SMTP_PASSWORD", "GCN_API_TOKEN", "TNS_API_KEY", "GCN_KAFKA_CLIENT_SECRET", "HOP_PASSWORD"})
"""Settings never shown in ``/-/settings.json``, logs or error messages."""


def defaults():
    """Return the default configuration as a dict ``{name: default}``.

    Returns
    -------
    dict of str to object
        A fresh dict (mutable defaults are copied).
    """
    import copy

    return {s.name: copy.deepcopy(s.default) for s in SETTINGS}


def redacted(config):
    """Return the settings of ``config`` with secrets replaced by ``"***"`` (or ``""`` when unset).

    Parameters
    ----------
    config : Mapping
        A Flask config.

    Returns
    -------
    dict of str to object
    """
    out = {}
    for s in SETTINGS:
        value = config.get(s.name, s.default)
        out[s.name] = ("***" if value else "") if s.name in SECRETS else value
    return out
