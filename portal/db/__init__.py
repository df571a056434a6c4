"""Database plumbing: declarative base, engine, sessions and Alembic wiring."""
