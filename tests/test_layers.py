"""The layers run one way: the core, runners and publishers load no web framework, and no module
imports one that (directly or through others) imports it back.

https://github.com/skyweave (issue 7: "The house in order before it grows")
"""

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGES = ("skyweave.catalog", "skyweave.runners", "skyweave.publishers", "skyweave.alerts")
"""The code packages (the data packages hold no Python beyond a docstring)."""

WEB = ("skyweave.catalog.web", "skyweave.catalog.cli")
"""The top layer: the only modules allowed to import Flask or Werkzeug."""


def all_modules():
    """Return ``{module name: source file}`` for every module of the code packages."""
    found = {}
    for package in PACKAGES:
        pkg = importlib.import_module(package)
        found[package] = Path(pkg.__file__)
        for info in pkgutil.walk_packages(pkg.__path__, package + "."):
            spec = importlib.util.find_spec(info.name)
            found[info.name] = Path(spec.origin)
    return found


def below_the_web(name):
    return not any(name == top or name.startswith(top + ".") for top in WEB)


def test_core_runners_and_publishers_load_no_web_framework():
    names = sorted(n for n in all_modules() if below_the_web(n))
    assert len(names) > 30, names
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "web = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug'))\n"
        "print(','.join(web))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"loaded by the lower layers: {out.stdout.strip()}"


def imports_of(name, path, known):
    """Return the skyweave modules that module ``name`` (file ``path``) imports, anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            # `from package import module` depends on that module; any other name, on the package itself.
            submodules = [f"{prefix}.{alias.name}" for alias in node.names]
            targets = [t if t in known else prefix for t in submodules]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def cycles(graph):
    """Return the strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    modules = all_modules()
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    found = cycles(graph)
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


@pytest.mark.parametrize("name", sorted(n for n in all_modules() if below_the_web(n)))
def test_lower_layers_import_nothing_of_the_top(name):
    path = all_modules()[name]
    bad = sorted(m for m in imports_of(name, path, all_modules()) if not below_the_web(m))
    assert not bad, f"{name} imports {bad}"


def test_a_test_app_reads_neither_the_settings_file_nor_the_environment(tmp_path, monkeypatch):
    """flaskr's rule: the app made with a test configuration ignores the developer's settings."""
    from skyweave.catalog.web.app import close_app, create_app

    data = tmp_path / "user-data"
    data.mkdir()
    (data / "skyweave.toml").write_text('PAGE_SIZE = 7\nBASE_IRI = "https://from-the-file.example/"\n')
    monkeypatch.setenv("SKYWEAVE_DATA_DIR", str(data))
    monkeypatch.setenv("SKYWEAVE_STORE", "remote")
    monkeypatch.setenv("SKYWEAVE_SPARQL_MAX_ROWS", "3")
    app = create_app({"TESTING": True, "STORE": "memory"})
    try:
        assert app.config["STORE"] == "memory" and app.config["SPARQL_MAX_ROWS"] == 10000
        assert app.config["PAGE_SIZE"] == 50 and app.config["BASE_IRI"] == "http://127.0.0.1:5000/"
        assert str(data) not in app.config["DATA_DIR"]
    finally:
        close_app(app)
    monkeypatch.setenv("SKYWEAVE_STORE", "memory")
    app = create_app()  # a real start reads both: the file, then the environment
    try:
        assert app.config["PAGE_SIZE"] == 7 and app.config["SPARQL_MAX_ROWS"] == 3
        assert app.config["BASE_IRI"] == "https://from-the-file.example/" and app.config["DATA_DIR"] == str(data)
    finally:
        close_app(app)
