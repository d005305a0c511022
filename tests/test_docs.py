"""The README stays honest: it lists every setting, the two commands, and every CLI command."""

import re
from pathlib import Path

from skyweave.catalog.cli import cli
from skyweave.catalog.settings import SETTINGS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["python3 .ci/dev.py demo", "python3 .ci/dev.py test"]
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "python3 .ci/dev.py test" in ci


def test_readme_lists_every_setting_with_its_help():
    for setting in SETTINGS:
        assert f"| `{setting.name}` | `{setting.default!r}` | {setting.help} |" in README, setting.name


def test_readme_lists_every_cli_command():
    for name in cli.commands:
        assert f"`skyweave {name}" in README, name


def test_every_public_function_and_class_has_a_docstring():
    import importlib
    import inspect
    import pkgutil

    missing = []
    infos = [info for package in ("skyweave.catalog", "skyweave.runners", "skyweave.publishers", "skyweave.alerts")
             for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + ".")]
    for info in infos:
        module = __import__(info.name, fromlist=["_"])
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != info.name:
                continue
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and not inspect.getdoc(obj):
                missing.append(f"{info.name}.{name}")
    assert not missing, missing
