"""Operator feedback on specs: comments (and, later, votes)."""
