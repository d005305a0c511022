"""The bundled real data, with their licences and citations (package data; see SOURCES.md)."""
