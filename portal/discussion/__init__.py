"""Discussion of specs: comments of every source (portal, Gerrit, Launchpad, links)."""
