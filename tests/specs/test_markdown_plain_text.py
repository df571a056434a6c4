"""The plain-text shortcut of ``render_markdown`` gives exactly what Markdown gives, and steps aside otherwise."""

from __future__ import annotations

import random

import pytest

from portal import markup

ALPHABET = "ab Zé9«—\u2028\xa0 .,:;?!'\"()/=+%@-_*`#>[]<&|~\\\t\n\n\n"

REVIEW_MESSAGES = [
    "Patch Set 3: Code-Review+1\n\nLooks good to me; the upgrade section answers my question.",
    "Patch Set 2: Code-Review-1\n\n(2 comments)\n\nPlease say what happens on rollback.",
    "recheck",
    "Patch Set 1: Workflow+1",
    "Zürich café: naïve déjà vu? «yes» — 100% sure. Mail me at ops@example.org",
    "line one\nline two\n\n\nparagraph two\n",
]


def full_markdown(text: str) -> str:
    return markup._COMMENT_CLEANER.clean(markup._markdown_converter().convert(text))


@pytest.mark.parametrize("text", REVIEW_MESSAGES)
def test_review_messages_take_the_shortcut_and_match_markdown(text: str) -> None:
    assert markup._plain_paragraphs(text) is not None
    assert markup.render_markdown(text) == full_markdown(text)


@pytest.mark.parametrize("text", [
    "* a list", "1. first\n2. second", "# heading", "> quote", "    code", "a  \nb", "a_b_", "**bold**",
    "`x`", "[link](http://x)", "<b>raw</b>", "a & b", "a | b\n--|--\n1 | 2", "Title\n=====", "x\n---",
    "- item", "+ item", "tab\there", "trailing ",
])
def test_markdown_syntax_is_left_to_markdown(text: str) -> None:
    assert markup._plain_paragraphs(text) is None
    assert markup.render_markdown(text) == full_markdown(text)


def test_random_texts_render_as_markdown_renders_them() -> None:
    rng = random.Random(20261202)
    taken = 0
    for _ in range(4000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 60)))
        if markup._plain_paragraphs(text) is not None:
            taken += 1
        assert markup.render_markdown(text) == full_markdown(text), repr(text)
    assert taken > 100  # the comparison covered the shortcut, not only the fallback
