"""The inputs of a run's cache key known before it runs (`runners.environment`, issue 9)."""

import os
import sys

from skyweave.runners import environment


def _dist(folder, name, version):
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    return info


def test_package_versions_follow_installs_but_not_other_writes(tmp_path, monkeypatch):
    site, project = tmp_path / "site", tmp_path / "project"
    site.mkdir()
    project.mkdir()
    old = _dist(site, "skyweave-probe-dist", "1.0")
    monkeypatch.setattr(sys, "path", [str(project), str(site), *sys.path])
    names = ("skyweave-probe-dist",)
    assert environment.package_versions(names)["skyweave-probe-dist"] == "1.0"

    reads = []
    real = environment.metadata.version
    monkeypatch.setattr(environment.metadata, "version", lambda name: reads.append(name) or real(name))
    (project / "notes.txt").write_text("a file written beside the code is no install", encoding="utf-8")
    os.utime(project, ns=(1, 10**18))
    assert environment.package_versions(names)["skyweave-probe-dist"] == "1.0"
    assert reads == []  # answered from memory

    # An upgrade replaces the distribution's metadata folder, which changes its folder.
    for item in old.iterdir():
        item.unlink()
    old.rmdir()
    _dist(site, "skyweave-probe-dist", "2.0")
    os.utime(site, ns=(1, 2 * 10**18))
    assert environment.package_versions(names)["skyweave-probe-dist"] == "2.0"
    assert reads == ["skyweave-probe-dist"]
