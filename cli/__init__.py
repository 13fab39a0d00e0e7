"""The ``fuzhi`` command: database, demo, setup, users, tokens, policy years, the sweep and the server.

An entry point above everything else: it parses arguments and calls the store's services (see
``docs/architecture.md``). ``python -m cli`` runs it as ``fuzhi`` does. ``main`` holds the parser
and dispatch; the commands are grouped in ``database`` (Alembic, the demo), ``setup`` (a
county's own database and its first admin), ``accounts`` (users and tokens), ``policy``
(policy years), ``organisations`` (the register) and ``running`` (the server, the sweep, the
diagrams).
"""

from .database import alembic_config, upgrade
from .main import main

__all__ = ["alembic_config", "main", "upgrade"]
