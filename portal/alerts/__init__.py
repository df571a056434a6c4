"""Alerts: who hears about which event, on which channel, exactly once (see docs/architecture.md, "Alerts").

Reads events through its own consumer cursor (``portal.events.cursors``),
turns matches into rows of the outbox (``portal.models.alerts.Notification``)
in the batch's transaction, and delivers them after commit: mail, daily
digests, Atom feeds and signed webhooks. It may use search's interface for
saved searches, nothing else above it.
"""
