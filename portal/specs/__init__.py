"""Specs: parsing spec documents, their release history, and importing them."""
