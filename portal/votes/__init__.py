"""Operator voice: votes with deployment context, profiles, PTL acknowledgements and the demand ranking.

``service`` (cast, withdraw, history, tally), ``profile`` (deployment
profiles and the context snapshot a vote keeps), ``acknowledgements``
(PTL answers), ``summary`` (what a spec page shows, one query), ``demand``
(the PTL dashboard's ranking and segments, aggregated in SQL), ``export``
(CSV safe against formula injection, JSON) and ``charts`` (pygal SVGs that
load nothing remote).
"""
