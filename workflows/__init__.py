"""The bundled workflow notebooks (package data)."""
