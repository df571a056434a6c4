"""Charts a PTL puts on a slide, rendered server-side as SVG with pygal.

pygal's default configuration adds a ``<script>`` that loads its tooltips
from the internet (``kozea.github.io``); :data:`LOCAL` turns that off
(``js=[]``), :func:`render` drops the inline config script that only fed
those tooltips, and the charts keep pygal's own CSS inlined in the SVG and uses a style with
system fonts only (some pygal styles import web fonts), so a chart loads
nothing from anywhere. :func:`render` checks it: an SVG that names a remote
resource is a bug, not something to serve.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

import pygal
from pygal.style import Style

from portal.models import Priority
from portal.votes.demand import SegmentRow
from portal.votes.service import PRIORITY_LABELS, Tally

# pygal appends a legacy finder for its map plugins to sys.meta_path (it has no find_spec, so
# every import that reaches it warns). BOB draws no maps: take it out again.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != "pygal"]

# Colour-blind safe (Okabe-Ito), strongest demand darkest.
PRIORITY_COLOURS = ("#8c2d04", "#d55e00", "#e69f00", "#999999")
STYLE = Style(
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Liberation Sans', sans-serif",
    background="white",
    plot_background="white",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#6c757d",
    colors=("#0b5394", *PRIORITY_COLOURS),
    title_font_size=18,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    value_font_size=11,
)
PRIORITY_STYLE = Style(**{**STYLE.to_dict(), "colors": PRIORITY_COLOURS})
LOCAL = {"js": [], "style": STYLE, "disable_xml_declaration": False, "width": 900}
_REMOTE = re.compile(r"""(?:href|src)\s*=\s*["'](?:https?:)?//|@import|url\(\s*["']?(?:https?:)?//""", re.I)
TOP = 20


class RemoteResourceInChart(RuntimeError):
    """The chart would load something from outside (a pygal upgrade changed a default)."""


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def render(chart: pygal.graph.graph.Graph) -> bytes:
    """The chart's SVG without any script: pygal's inline config only feeds the tooltips we do not load."""
    svg = _SCRIPT.sub("", chart.render().decode("utf-8"))
    if _REMOTE.search(svg) or "<script" in svg:
        raise RemoteResourceInChart("a chart SVG refers to a remote resource; check charts.LOCAL against pygal")
    return svg.encode("utf-8")


def _label(name: str, title: str) -> str:
    text = title or name
    return text if len(text) <= 48 else text[:47] + "…"


def top_demand(rows: Sequence[tuple[str, str, float]], heading: str) -> bytes:
    """Top-20 bar chart: ``rows`` are (name, title, score), best first."""
    rows = list(rows)[:TOP]
    chart = pygal.HorizontalBar(**LOCAL, title=heading, height=max(240, 40 + 28 * len(rows)), show_legend=False,
                                print_values=True, x_title="demand score")
    chart.x_labels = [_label(n, t) for n, t, _ in reversed(rows)]
    chart.add("score", [s for _, _, s in reversed(rows)])
    return render(chart)


def priority_distribution(rows: Sequence[tuple[str, str, Tally]], heading: str) -> bytes:
    """Stacked bars: how many votes of each priority the top specs got."""
    rows = list(rows)[:TOP]
    chart = pygal.HorizontalStackedBar(**{**LOCAL, "style": PRIORITY_STYLE}, title=heading,
                                       height=max(260, 80 + 28 * len(rows)), x_title="votes",
                                       legend_at_bottom=True)
    chart.x_labels = [_label(n, t) for n, t, _ in reversed(rows)]
    for priority in Priority:
        chart.add(PRIORITY_LABELS[priority], [t.by_priority[priority.value] for _, _, t in reversed(rows)])
    return render(chart)


def demand_by_segment(rows: Sequence[SegmentRow], heading: str, unknown: str = "not said") -> bytes:
    """Votes and score per value of one context field."""
    chart = pygal.Bar(**LOCAL, title=heading, height=380, legend_at_bottom=True, print_values=True)
    chart.x_labels = [r.value or unknown for r in rows]
    chart.add("votes", [r.votes for r in rows])
    chart.add("score", [r.score for r in rows])
    return render(chart)
