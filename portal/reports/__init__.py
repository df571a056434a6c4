"""Reports built from every part of the portal (the release summary); read only."""
