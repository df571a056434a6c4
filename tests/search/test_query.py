"""What users type into the search box, read as words, phrases and filters; the one serialized query."""

from __future__ import annotations

from datetime import date

import pytest

from portal.search.query import MAX_QUERY_CHARS, MAX_TERMS, QueryError, SearchQuery, parse_words

# (typed, terms, phrases, filters)
PARSE_CASES = [
    ("rabbitmq reconnect", ("rabbitmq", "reconnect"), (), {}),
    ('"rolling upgrade" nova', ("nova",), ("rolling upgrade",), {}),
    ("author:sdague project:nova cells", ("cells",), (), {"author": "sdague", "project": "nova"}),
    ('author:"Sean Dague" quota', ("quota",), (), {"author": "Sean Dague"}),
    ("PROJECT:manila shares", ("shares",), (), {"project": "manila"}),
    ("release:2024.1 state:approved kind:section", (), (), {"release": "2024.1", "state": "approved",
                                                              "kind": "section"}),
    # an unknown field is plain words, and so is a URL
    ("foo:bar https://example.org/x", ("foo", "bar", "https", "example.org", "x"), (), {}),
    # wildcard, fuzzy, range, boost, grouping and boolean syntax are plain words, never syntax
    ("*a*", ("a",), (), {}),
    ("k*", ("k",), (), {}),
    ("nova~2", ("nova", "2"), (), {}),
    ("body:[a TO z]", ("body", "a", "TO", "z"), (), {}),
    ("{1 TO 5}", ("1", "TO", "5"), (), {}),
    ("quota^10", ("quota", "10"), (), {}),
    ("(cells OR NOT regions) AND -x +y", ("cells", "OR", "NOT", "regions", "AND", "x", "y"), (), {}),
    # an unbalanced quote: every quote is a separator
    ('"rolling upgrade', ("rolling", "upgrade"), (), {}),
    # one-word phrase is a word; an empty phrase is nothing
    ('"nova" ""', ("nova",), (), {}),
    # words keep their joiners and case; repeated words count once
    ("nova-compute v2.1 Nova nova", ("nova-compute", "v2.1", "Nova"), (), {}),
    # any script
    ("Überprüfung 日本語 données", ("Überprüfung", "日本語", "données"), (), {}),
    # control and bidi characters go
    ("cells\x00\u202e\u200b v2", ("cells", "v2"), (), {}),
    ("", (), (), {}),
    ("   ", (), (), {}),
    ("!!! ??? ***", (), (), {}),
]


@pytest.mark.parametrize(("typed", "terms", "phrases", "filters"), PARSE_CASES)
def test_parse_words(typed: str, terms: tuple[str, ...], phrases: tuple[str, ...], filters: dict[str, str]) -> None:
    parsed = parse_words(typed)
    assert parsed.terms == terms
    assert parsed.phrases == phrases
    assert dict(parsed.filters) == filters
    assert parsed.notes == ()


def test_huge_input_is_cut_with_a_note() -> None:
    parsed = parse_words("word " * 10_000)
    assert parsed.terms == ("word",)
    assert any(str(MAX_QUERY_CHARS) in note for note in parsed.notes)


def test_too_many_words_are_cut_with_a_note() -> None:
    parsed = parse_words(" ".join(f"w{i}" for i in range(40)))
    assert len(parsed.terms) == MAX_TERMS
    assert parsed.notes == (f"Only the first {MAX_TERMS} words were searched.",)


def test_phrase_words_count_towards_the_limit() -> None:
    parsed = parse_words('"a b c d e f g h i j" x y z')
    assert parsed.phrases == ("a b c d e f g h i j",)
    assert parsed.terms == ("x", "y")


def test_params_round_trip_every_field() -> None:
    query = SearchQuery(words='"rolling upgrade" cells', project="nova", release="2024.1", state="approved",
                        source="gerrit", kind="comment", author="Sean Dague", date_from=date(2024, 1, 1),
                        date_to=date(2024, 12, 31), page=3)
    params = query.to_params()
    assert params == {"q": '"rolling upgrade" cells', "project": "nova", "release": "2024.1", "state": "approved",
                      "source": "gerrit", "kind": "comment", "author": "Sean Dague", "from": "2024-01-01",
                      "to": "2024-12-31", "page": "3"}
    assert SearchQuery.from_params(params) == query


def test_defaults_are_left_out_of_the_params() -> None:
    assert SearchQuery(words="cells").to_params() == {"q": "cells"}
    assert SearchQuery().to_params() == {}
    assert SearchQuery().is_empty and not SearchQuery(project="nova").is_empty


@pytest.mark.parametrize(("params", "problem"), [
    ({"from": "2024-13-01"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"from": "2024-1-1"}, "from"),
    ({"page": "0"}, "page"),
    ({"page": "1001"}, "page"),
    ({"page": "٣"}, "page"),
    ({"page": "-1"}, "page"),
    ({"kind": "blueprint"}, "kind"),
    ({"author": "x" * 201}, "author"),
])
def test_bad_params_are_errors_for_the_api_and_dropped_for_pages(params: dict[str, str], problem: str) -> None:
    with pytest.raises(QueryError) as caught:
        SearchQuery.from_params({"q": "cells", **params}, strict=True)
    assert list(caught.value.problems) == [problem]
    assert caught.value.usable == SearchQuery(words="cells")
    assert SearchQuery.from_params({"q": "cells", **params}) == SearchQuery(words="cells")


def test_typed_filters_apply_unless_a_parameter_says_otherwise() -> None:
    parsed = SearchQuery(words="project:nova author:sdague cells", project="manila").parsed()
    assert parsed.project == "manila" and parsed.author == "sdague" and parsed.terms == ("cells",)


def test_a_typed_kind_that_is_no_kind_is_ignored_with_a_note() -> None:
    parsed = SearchQuery(words="kind:blueprint cells").parsed()
    assert parsed.kind is None
    assert parsed.notes and "kind:blueprint" in parsed.notes[0]


def test_from_params_ignores_unknown_and_blank_values() -> None:
    assert SearchQuery.from_params({"q": "  cells  ", "project": "", "sort": "x"}) == SearchQuery(words="cells")
