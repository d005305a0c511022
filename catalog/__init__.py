"""skyweave: a linked-data catalog of multi-messenger astronomy workflows, targets and observations."""

__version__ = "0.1.0"


def create_app(test_config=None):
    """Build the Flask application; see `catalog.app.create_app`."""
    from .app import create_app as _create_app

    return _create_app(test_config)
