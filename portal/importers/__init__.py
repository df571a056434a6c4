"""Importers: bring specs in from spec repositories (and later Gerrit and Launchpad)."""
