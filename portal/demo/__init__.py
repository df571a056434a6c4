"""Demo content and its loader (``portal demo``)."""
