"""Persistence: SQLAlchemy models, the plan repository and migrations."""
