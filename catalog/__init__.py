"""skyweave's catalog: the store, validation, vocabulary and records (the core), with the web app
(`skyweave.catalog.web`) and the command line (`skyweave.catalog.cli`) on top of it."""

__version__ = "0.2.0"
