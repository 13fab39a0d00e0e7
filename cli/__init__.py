"""The ``fuzhi`` command: database, demo, users, tokens, policy years, the sweep and the server.

An entry point above everything else: it parses arguments and calls the store's services (see
``docs/architecture.md``). ``python -m cli`` runs it as ``fuzhi`` does.
"""

from .main import alembic_config, main, upgrade

__all__ = ["alembic_config", "main", "upgrade"]
