"""Runners: turn annotated notebooks into catalogued workflows and execute them."""
