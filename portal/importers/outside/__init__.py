"""Discussions outside the portal: IRC meeting logs and mailing-list archives.

Parsers (``meetings``: the meeting bot's logs; ``mail``: mbox and pipermail
archives) turn files into :class:`~portal.importers.outside.model.Discussion`
values with pure functions; ``linking`` finds the specs each discusses,
precise before generous, recording why; ``writer`` turns a linked
discussion's salient points into a comment on the spec (source ``irc`` or
``mail``), keyed by its external id so a re-import never duplicates.
"""
