"""Jinja2 templates of the web app (package data)."""
