"""Reading list archives as operators download them: Mailman 3 mbox exports and pipermail monthly files."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

from portal.importers.outside.mail import (
    archive_files,
    clean_subject,
    display_name,
    fold,
    fold_paragraphs,
    message_id_hash,
    parse_mbox,
    read_archive,
    scrub_addresses,
    subject_tags,
)

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
MBOX = FIXTURES / "openstack-discuss-2026-11.mbox"
OCTOBER = FIXTURES / "pipermail" / "2026-October.txt.gz"
SEPTEMBER = FIXTURES / "pipermail" / "2026-September.txt.gz"  # cut short: a truncated download


def test_mailman3_export_gives_names_dates_and_own_words() -> None:
    parsed = read_archive(MBOX)
    assert parsed.problems == []
    by_id = {m.message_id: m for m in parsed.messages}
    assert len(by_id) == 6
    first = by_id["live-resize-1@example.org"]
    assert first.author == "Jane Doe"
    assert first.at == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    assert first.line == 1
    assert "bp/vm-live-resize" in first.text
    assert "Cloud Team" not in first.text  # signature folded
    assert "mailing list" not in first.text  # list footer folded
    assert first.url == ("https://lists.openstack.org/archives/list/openstack-discuss@lists.openstack.org"
                         "/message/LIVERESIZE1/")


def test_mime_charsets_and_transfer_encodings_are_decoded() -> None:
    by_id = {m.message_id: m for m in read_archive(MBOX).messages}
    rene = by_id["live-resize-2@example.net"]
    assert rene.author == "René François"  # RFC 2047 quoted-printable name
    assert rene.at == datetime(2026, 11, 3, 12, 30, tzinfo=UTC)  # +0100 turned to UTC
    assert "maintenance window — but the downtime" in rene.text  # soft line break joined, utf-8 dash
    assert "Operators keep asking" not in rene.text  # the quote is folded
    assert "wrote:" not in rene.text
    kenji = by_id["live-resize-3@example.com"]
    assert kenji.text.startswith("Agreed with René")  # iso-8859-1 text/plain preferred over the html part
    assert "From our side a config flag" in kenji.text  # mbox ">From " escape undone, not taken for a quote
    li = by_id["dinner-2@example.cn"]
    assert li.author == "李伟"  # base64 encoded-word name
    assert "我也来" in li.text and "bp/cpu-power-management" in li.text  # base64 body


def test_pipermail_obfuscated_addresses_never_survive() -> None:
    parsed = read_archive(OCTOBER)
    assert parsed.problems == []
    by_id = {m.message_id: m for m in parsed.messages}
    sam = by_id["CAport1@mail.example.org"]  # "<CAport1 at mail.example.org>" put back together
    assert sam.author == "Sam Okafor"
    assert "sam.ops at example.org" not in sam.text and "[address removed]" in sam.text
    amelie = by_id["CAport2@mail.example.fr"]
    assert amelie.author == "Amélie Dupré"
    assert amelie.in_reply_to == "CAport1@mail.example.org"
    assert amelie.references == ("CAport1@mail.example.org",)
    assert "Amélie" not in amelie.text  # signature after "-- " folded
    assert by_id["release-1@example.com"].author == "noname"  # no name: the part before the @, never the domain
    for message in parsed.messages:
        for value in (message.author, message.text, message.subject):
            assert "example." not in value.replace("mail.example", ""), value


def test_truncated_gzip_is_reported_with_byte_and_keeps_complete_messages() -> None:
    parsed = read_archive(SEPTEMBER)
    assert [m.message_id for m in parsed.messages] == ["sept-1@example.org"]
    [problem] = parsed.problems
    assert problem.path == str(SEPTEMBER)
    assert problem.where == f"byte {SEPTEMBER.stat().st_size}"
    assert "ends early" in problem.reason and "download the file again" in problem.reason


def test_garbage_is_reported_by_line(tmp_path: Path) -> None:
    parsed = read_archive(FIXTURES / "notes.mbox")
    assert parsed.messages == []
    assert parsed.problems[0].where == "line 1"
    assert "not an mbox archive" in parsed.problems[0].reason
    binary = tmp_path / "x.mbox"
    binary.write_bytes(b"From a@b.c Tue Nov  3 10:00:00 2026\nFrom: A\n\n\x00\x01garbage")
    assert "binary data" in read_archive(binary).problems[0].reason
    fake_gz = tmp_path / "2026-May.txt.gz"
    fake_gz.write_text("not compressed")
    assert read_archive(fake_gz).problems[0].reason.startswith("not a gzip file")


def test_headerless_chunk_in_the_middle_is_skipped_and_named() -> None:
    data = (
        b"From a@example.org Tue Nov  3 10:00:00 2026\nFrom: A <a@example.org>\nSubject: one\n"
        b"Message-ID: <1@x>\n\nfirst\n\n"
        b"From b@example.org Tue Nov  3 11:00:00 2026\n\nno headers here at all\n\n"
        b"From c@example.org Tue Nov  3 12:00:00 2026\nFrom: C <c@example.org>\nSubject: three\n"
        b"Message-ID: <3@x>\n\nthird\n"
    )
    parsed = parse_mbox(data, path="x.mbox")
    assert [m.text for m in parsed.messages] == ["first", "third"]
    assert [(p.where, "without headers" in p.reason) for p in parsed.problems] == [("line 9", True)]
    assert parsed.messages[1].line == 12


def test_multi_member_gzip_and_directory_order(tmp_path: Path) -> None:
    one = b"From a at example.org  Tue Nov  3 10:00:00 2026\nFrom: a at example.org (A)\nMessage-ID: <1@x>\n\nx\n\n"
    two = b"From b at example.org  Tue Nov  3 11:00:00 2026\nFrom: b at example.org (B)\nMessage-ID: <2@x>\n\ny\n"
    (tmp_path / "2026-November.txt.gz").write_bytes(gzip.compress(one) + gzip.compress(two))
    (tmp_path / "README").write_text("not an archive")
    files = archive_files(tmp_path)
    assert [f.name for f in files] == ["2026-November.txt.gz"]
    assert [m.author for m in read_archive(files[0]).messages] == ["A", "B"]


def test_fold_drops_quotes_attributions_and_signatures() -> None:
    body = (
        "I agree, ship it.\n\nOn Tue, Nov 3, 2026 at 10:00 AM Jane Doe\n<jane@example.org> wrote:\n"
        "> quoted\n>> deeper\n\nJane Doe wrote:\n> more quote\nThis is still mine.\n-- \nsig line\n"
    )
    assert fold(body) == "I agree, ship it.\n\nThis is still mine."
    assert fold("Top post.\n\n-----Original Message-----\nFrom: x\nold text") == "Top post."


def test_subject_tags_and_titles() -> None:
    subject = "[openstack-discuss] Re: [Nova][ops] [PTG]  Live resize"
    assert subject_tags(subject, list_name="openstack-discuss") == ("nova", "ops", "ptg")
    assert clean_subject(subject) == "Live resize"
    assert clean_subject("Re: RE: Fwd: [nova] x") == "x"
    assert clean_subject("Re:") == "(no subject)"


def test_display_names_never_carry_addresses() -> None:
    assert display_name('"Jane Doe" <jane@example.org>') == "Jane Doe"
    assert display_name("jane at example.org (Jane Doe)") == "Jane Doe"
    assert display_name("jane@example.org") == "jane"
    assert display_name('"jane@example.org" <jane@example.org>') == "[address removed]"
    assert display_name("") == "unknown sender"


def test_scrub_keeps_ordinary_prose() -> None:
    prose = "look at nova.conf and hosted at opendev.org"
    assert scrub_addresses(prose) == prose
    assert scrub_addresses("mail j.doe at example.org or <x at y.org>") == "mail [address removed] or [address removed]"


def test_hyperkitty_message_hash_matches_mailman() -> None:
    # The example in Mailman's message store docs (model/docs/messagestore.rst): base32(sha1(Message-ID)).
    assert message_id_hash("<87myycy5eh.fsf@uwakimon.sk.tsukuba.ac.jp>") == "JJIGKPKB6CVDX6B2CUG4IHAJRIQIOUTP"


def test_html_only_and_unknown_charset_still_readable() -> None:
    data = (
        b"From a@example.org Tue Nov  3 10:00:00 2026\nFrom: A <a@example.org>\nSubject: html\n"
        b"Message-ID: <h@x>\nContent-Type: text/html; charset=utf-8\n\n"
        b"<html><head><style>p{}</style></head><body><p>Ship&nbsp;it &amp; bp/x</p><p>second</p></body></html>\n\n"
        b"From b@example.org Tue Nov  3 11:00:00 2026\nFrom: B <b@example.org>\nSubject: odd\n"
        b"Message-ID: <o@x>\nContent-Type: text/plain; charset=x-unknown-8bit\n\nCaf\xe9 cr\xe8me\n"
    )
    html, odd = parse_mbox(data, path="x").messages
    assert html.text == "Ship\xa0it & bp/x\nsecond"
    assert odd.text == "Café crème"  # an unknown charset, not UTF-8: read as Windows-1252 rather than lost


def test_greetings_and_sign_offs_join_their_paragraph() -> None:
    body = "Hi all,\n\nThe point about bp/x.\n\nAnother point.\n\nCheers,\nPat\n"
    assert fold_paragraphs(body) == [(0, "Hi all,\nThe point about bp/x."), (4, "Another point.\nCheers,\nPat")]
