"""``python -m skyweave.catalog.cli``: the ``skyweave`` command."""

from . import cli

if __name__ == "__main__":
    cli()
