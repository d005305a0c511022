"""The web routes, one blueprint per concern."""
