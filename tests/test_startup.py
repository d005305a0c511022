"""Start-up loads only what the first pages need (issue 13: ``skyweave serve`` ready in <= 2 s).

The heavy libraries (astropy, the notebook machinery, the SHACL engine, the publishers) load with
the first request that uses them, not with the app: a fresh interpreter creates the app on an
on-disk store, answers the home page and a list, and must not have imported them; the search page
then loads astropy, which shows the check can fail.
"""

import subprocess
import sys
import textwrap

HEAVY = ("astropy", "numpy", "matplotlib", "nbformat", "nbclient", "jupyter_client", "pyshacl",
         "skyweave.publishers.registry", "skyweave.runners.describe", "rdflib.plugins.sparql.parser")
"""Modules no start-up and no home or list page should load."""


def loaded_after(tmp_path, paths):
    code = textwrap.dedent(f"""
        import sys
        from skyweave.catalog.web.app import close_app, create_app
        app = create_app({{"STORE": "embedded", "DATA_DIR": {str(tmp_path)!r}, "SECRET_KEY": "t", "TESTING": True}})
        try:
            with app.test_client() as client:
                for path in {list(paths)!r}:
                    assert client.get(path, headers={{"Accept": "text/html"}}).status_code == 200, path
        finally:
            close_app(app)
        print(",".join(m for m in {HEAVY!r} if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return [m for m in out.stdout.strip().split(",") if m]


def test_start_up_and_the_home_and_list_pages_load_no_heavy_library(tmp_path):
    assert loaded_after(tmp_path, ["/", "/targets/", "/observations/"]) == []


def test_a_cone_search_loads_astropy_when_it_is_asked_for(tmp_path):
    assert "astropy" in loaded_after(tmp_path, ["/search?ra=83.63&dec=22.01&radius=1"])


def test_an_existing_store_keeps_its_ontology_graph_and_a_missing_one_is_installed_again(tmp_path):
    from skyweave.catalog.store import ONTOLOGY_GRAPH, EmbeddedStore
    from skyweave.catalog.validate import ontology_graph

    def held(store):
        return int(next(iter(store.ox.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}")))[0].value)

    store = EmbeddedStore(tmp_path / "store", index=False)
    try:
        n = store.install_ontology()
        assert n == len(ontology_graph()) == held(store)
        writes = []
        store._update = lambda text: writes.append(text)   # a second start must not write
        assert store.install_ontology() == n
        assert writes == []
        del store._update
        store.ox.update(f"DROP GRAPH <{ONTOLOGY_GRAPH}>")   # lost (e.g. a restored backup): installed again
        assert store.install_ontology() == n == held(store)
    finally:
        store.close()
