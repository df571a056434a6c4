"""The pinned kinds of event: consumers (feed, alerts, search) match on these and nothing else.

The enum lives with the ``events`` table (``portal.models.activity``), whose
``kind`` column it types; adding a kind means a payload (payloads.py) and a
label (labels.py), and tests check both.
"""

from portal.models.activity import EventKind

__all__ = ["EventKind"]
