"""Every docstring example in the packages runs as a test (astropy runs each one the same way)."""

import doctest
import importlib

import pytest

from .test_layers import all_modules

WITH_EXAMPLES = sorted(name for name, path in all_modules().items() if ">>> " in path.read_text(encoding="utf-8"))


def test_the_packages_have_docstring_examples():
    assert len(WITH_EXAMPLES) >= 10, WITH_EXAMPLES


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=report.append)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0, f"{name} has '>>> ' in its source but no docstring example ran"
    assert results.failed == 0, "".join(report)
