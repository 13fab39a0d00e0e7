"""Persistence: SQLAlchemy models, the database handle, and the services that change cases."""
