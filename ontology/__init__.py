"""The skyweave vocabulary, SHACL shapes, JSON-LD context and example queries (package data)."""
