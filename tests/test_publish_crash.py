"""Killing the publisher mid-upload, then publishing again, gives exactly one deposition and one DOI.

The first attempt runs ``skyweave publish`` in its own process against the Zenodo stand-in, which holds
the file upload open; the process is killed (SIGKILL) while the upload is under way. The second
attempt, in this process, resumes from the publication record kept in the on-disk store.
"""

import os
import signal
import subprocess
import sys
import time

from click.testing import CliRunner

from .conftest import BASE
from skyweave.standins.harness import StandIn
from skyweave.standins.zenodo import make_zenodo_app
from .workflow_repo import make_repo


def test_kill_mid_upload_then_publish_again_publishes_exactly_once(tmp_path, monkeypatch):
    from skyweave.catalog.cli import cli

    with StandIn(make_zenodo_app()) as zenodo:
        env = {"SKYWEAVE_DATA_DIR": str(tmp_path / "data"), "SKYWEAVE_BASE_IRI": BASE, "SKYWEAVE_STORE": "embedded",
               "SKYWEAVE_ZENODO_BASE_URL": zenodo.url + "/api/", "SKYWEAVE_ZENODO_TOKEN": "actions-token",
               "SKYWEAVE_RUNNER_RECOVER": "false"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        repo = make_repo(tmp_path / "repo", authors=("Lovelace, Ada",))
        assert CliRunner().invoke(cli, ["add", str(repo)], catch_exceptions=False).exit_code == 0
        # The upload of the notebook hangs (the service keeps the connection open, answering nothing).
        zenodo.add_faults([{"method": "PUT", "path": r"/files/|/api/files/", "times": 1, "action": "delay",
                            "seconds": 60, "effect_first": False}])
        first = subprocess.Popen([sys.executable, "-m", "skyweave.catalog.cli", "publish", "workflows/ring-v1"],
                                 env=dict(os.environ, **env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not zenodo.requests_log(method="PUT"):
            assert first.poll() is None, first.stdout.read().decode()
            assert time.monotonic() < deadline, "the first attempt never started its upload"
            time.sleep(0.05)
        time.sleep(0.3)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert first.returncode == -signal.SIGKILL
        created = zenodo.requests_log(method="POST", path=r"/api/deposit/depositions$")
        assert len(created) == 1
        assert all(d["doi"] is None for d in zenodo.state()["service"]["depositions"])

        second = CliRunner().invoke(cli, ["publish", "workflows/ring-v1"], catch_exceptions=False)
        assert second.exit_code == 0, second.output
        doi = second.stdout.split()[0]
        depositions = zenodo.state()["service"]["depositions"]
        assert len(depositions) == 1 and depositions[0]["doi"] == doi and depositions[0]["state"] == "done"
        assert [f["filename"] for f in depositions[0]["files"]] == ["ring.ipynb", "ring-v1.crate.zip"]
        assert len(zenodo.requests_log(method="POST", path=r"/api/deposit/depositions$")) == 1
        assert len(zenodo.requests_log(method="POST", path=r"/actions/publish$")) == 1
        third = CliRunner().invoke(cli, ["publish", "workflows/ring-v1"], catch_exceptions=False)
        assert third.stdout.split()[0] == doi and "already published" in third.stdout
