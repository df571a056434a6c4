"""Mailing-list archives as messages: Mailman 3 / HyperKitty mbox exports and pipermail ``<YYYY-Month>.txt.gz``.

Pure (no database): bytes in, :class:`MailMessage` values and :class:`ParseProblem` reports out.
Every message keeps only what a reader of the spec needs: the display name (never an address),
the date, the subject and its own words (quotes, attributions, signatures and list footers folded
away). Threading is in :mod:`portal.importers.outside.threads`.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.policy import compat32
from email.utils import parsedate_to_datetime
from html import unescape
from pathlib import Path

MAX_TEXT = 6000  # characters kept of one message's own text: enough for the decisive paragraphs
ARCHIVE_SUFFIXES = (".mbox", ".mbx", ".txt", ".txt.gz", ".mbox.gz", ".gz")

_DAYS = "Mon|Tue|Wed|Thu|Fri|Sat|Sun"
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
# "From jane@example.org Tue Nov  3 10:00:00 2026" (mbox) or "From jane at example.org  Tue Nov  3 10:00:00 2026"
# (pipermail, obfuscated, two spaces); some writers put a zone before the year.
_SEPARATOR = re.compile(
    rf"^From \S.*?\s+(?:{_DAYS}) (?:{_MONTHS}) +\d{{1,2}} \d{{1,2}}:\d\d(?::\d\d)?(?: [+-]?\w+)? \d{{4}}\s*$".encode()
)
_SEPARATOR_DATE = re.compile(
    rf"(?:{_DAYS}) ((?:{_MONTHS}) +\d{{1,2}} \d{{1,2}}:\d\d(?::\d\d)?)(?: [+-]?\w+)? (\d{{4}})"
)
_MBOXRD_FROM = re.compile(rb"^>(>*From )")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")  # an RFC 5322 field name then a colon

_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|antw|vs|ref|réf|rif|fw|fwd|tr|wg)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.I)
_REPLY_ONLY = re.compile(r"^\s*(?:re|aw|sv|antw|vs|ref|réf|rif)\s*(?:\[\d+\])?\s*[:：]", re.I)
_TAG = re.compile(r"^\s*\[([^\[\]\n]{1,40})\]")
_ADDRESS = re.compile(r"<?(?:mailto:)?[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+>?")
# Pipermail's "jane at example.org": only where it is plainly an address (in <> or (), or a local
# part with a dot, digit, dash, plus or underscore), so "look at nova.conf" stays readable.
_OBFUSCATED = re.compile(
    r"(?:<\s*[\w.+-]+ at [\w-]+(?:\.[\w-]+)+\s*>"
    r"|\(\s*[\w.+-]+ at [\w-]+(?:\.[\w-]+)+\s*\)"
    r"|\b[\w+-]*[._+\d-][\w.+-]* at [\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b)",
    re.I,
)
_ATTRIBUTION = re.compile(
    r"^\s*(?:On|Am|Le|El|Il|Op|Em|W dniu)\b.*\b(?:wrote|writes|schrieb|a écrit|escribió|ha scritto|schreef|escreveu|"
    r"napisał)\s*:?\s*$",
    re.I,
)
_WROTE = re.compile(r"\b(?:wrote|writes|schrieb|a écrit|escribió|ha scritto|schreef|escreveu)\s*:\s*$", re.I)
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}\s*$", re.I)
_FOOTER = re.compile(r"^_{20,}\s*$")
_HTML_TAG = re.compile(r"<[^>]{0,2000}>")
_HTML_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li|/tr|/h\d)\b[^>]*>", re.I)
_HTML_DROP = re.compile(r"<(style|script|head)\b.*?</\1\s*>", re.I | re.S)
_BLANKS = re.compile(r"\n{3,}")
_GREETING = re.compile(r"^(?:hi|hello|hey|dear|greetings|bonjour|salut|hallo|hola|ciao|ok|\w+,$)", re.I)


@dataclass(frozen=True)
class MailMessage:
    """One archived message, reduced to what may be shown: no addresses anywhere."""

    message_id: str  # without <>; pipermail's " at " put back to "@" so ids match across formats
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str  # decoded, as sent (with Re: and tags)
    author: str  # display name only
    at: datetime | None  # UTC
    text: str  # the message's own words: quotes, attributions, signature and list footer folded
    path: str
    line: int  # 1-based line of the message's "From " separator in the (uncompressed) file
    url: str | None = None  # the message's archive page where the archive says or the base URL allows
    digest: str = ""  # sha256 of the raw message: a thread whose messages did not change is skipped
    paragraphs: tuple[tuple[int, str], ...] = ()  # (line in the file, text) of each paragraph of ``text``

    @property
    def is_reply(self) -> bool:
        """Whether the subject says it answers something (broken clients drop In-Reply-To but keep "Re:")."""
        return is_reply_subject(self.subject)


@dataclass(frozen=True)
class ParseProblem:
    """Why (part of) a file could not be read, and where: enough to find it and fix it."""

    path: str
    where: str  # "line 12" or "byte 4096"
    reason: str

    def describe(self) -> str:
        return f"{self.path}, {self.where}: {self.reason}"


@dataclass
class ParsedFile:
    """The messages of one archive file and what went wrong reading it (the readable part is kept)."""

    path: str
    messages: list[MailMessage] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)


def archive_files(target: Path) -> list[Path]:
    """The archive files of FILE or DIR (recursively), in name order so monthly files come in sequence."""
    if target.is_file():
        return [target]
    found = [
        path
        for path in target.rglob("*")
        if path.is_file() and not path.name.startswith(".") and path.name.lower().endswith(ARCHIVE_SUFFIXES)
    ]
    return sorted(found)


def read_archive(path: Path, *, archive_url: str | None = None, shown_path: str | None = None) -> ParsedFile:
    """Reads one archive file (gzip or plain); a truncated or broken file keeps the messages before the break."""
    name = shown_path or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return ParsedFile(name, problems=[ParseProblem(name, "byte 0", f"cannot read the file: {exc.strerror or exc}")])
    problems: list[ParseProblem] = []
    if raw[:2] == b"\x1f\x8b":
        raw, problem = _gunzip(raw, name)
        if problem:
            problems.append(problem)
    elif path.name.lower().endswith(".gz"):
        return ParsedFile(name, problems=[ParseProblem(name, "byte 0", "not a gzip file (it does not start with the "
                                                       "gzip signature); download it again")])
    parsed = parse_mbox(raw, path=name, archive_url=archive_url, truncated=bool(problems))
    parsed.problems[:0] = problems
    return parsed


def _gunzip(data: bytes, name: str) -> tuple[bytes, ParseProblem | None]:
    """Decompresses every gzip member; on a truncated or corrupt stream keeps what came out before the break."""
    out: list[bytes] = []
    rest = data
    consumed = 0
    while rest:
        decoder = zlib.decompressobj(wbits=31)
        try:
            out.append(decoder.decompress(rest))
        except zlib.error as exc:
            out.append(_partial(rest))
            return b"".join(out), ParseProblem(
                name, f"byte {consumed}", f"corrupt gzip data ({exc}); download the file again — the messages "
                                          "before the damage were read")
        if not decoder.eof:
            return b"".join(out), ParseProblem(
                name, f"byte {len(data)}", f"the gzip stream ends early (truncated download: {len(data)} bytes "
                                           "read); download the file again — the complete messages before the end "
                                           "were read")
        consumed += len(rest) - len(decoder.unused_data)
        rest = decoder.unused_data
        if rest and rest[:2] != b"\x1f\x8b":
            break  # trailing padding some archivers leave after the last member
    return b"".join(out), None


def _partial(data: bytes) -> bytes:
    """What a damaged gzip member yields before the damage, read in small steps."""
    decoder = zlib.decompressobj(wbits=31)
    out: list[bytes] = []
    for start in range(0, len(data), 512):
        try:
            out.append(decoder.decompress(data[start:start + 512]))
        except zlib.error:
            break
    return b"".join(out)


def parse_mbox(
    data: bytes, *, path: str, archive_url: str | None = None, truncated: bool = False
) -> ParsedFile:
    """Splits an mbox (mboxo, mboxrd or pipermail's obfuscated variant) and reads each message.

    ``truncated``: the data was cut short (a truncated gzip), so its last message is incomplete and dropped.
    """
    parsed = ParsedFile(path)
    if b"\x00" in data[:65536]:
        where = data.index(b"\x00")
        parsed.problems.append(ParseProblem(path, f"byte {where}", "binary data (a NUL byte): this is not a text "
                                                                    "mbox archive; check you picked the right file"))
        return parsed
    chunks = list(_split(data))
    if not chunks:
        first = data.lstrip()[:60].decode("utf-8", "replace").splitlines()
        if first:
            parsed.problems.append(ParseProblem(
                path, "line 1", f"not an mbox archive: a message must start with a 'From <sender> <date>' line, "
                                f"found {first[0]!r}"))
        return parsed
    if truncated:
        chunks = chunks[:-1]
    for line, lines in chunks:
        message = _read_message(lines, path=path, line=line, archive_url=archive_url)
        if isinstance(message, ParseProblem):
            parsed.problems.append(message)
        else:
            parsed.messages.append(message)
    return parsed


def _split(data: bytes) -> Iterator[tuple[int, list[bytes]]]:
    """Yields (line of the separator, message lines) per message; text before the first separator is ignored."""
    start = 0
    current: list[bytes] | None = None
    previous_blank = True
    for number, line in enumerate(data.splitlines(keepends=True), 1):
        stripped = line.rstrip(b"\r\n")
        if previous_blank and stripped.startswith(b"From ") and _SEPARATOR.match(stripped):
            if current is not None:
                yield start, current
            start, current = number, [line]
        elif current is not None:
            current.append(_MBOXRD_FROM.sub(rb"\1", line))
        previous_blank = not stripped.strip()
    if current is not None:
        yield start, current


def _read_message(lines: list[bytes], *, path: str, line: int, archive_url: str | None) -> MailMessage | ParseProblem:
    separator = lines[0].decode("latin-1").rstrip()
    raw = b"".join(lines[1:])
    if not _HEADER_LINE.match(raw.lstrip(b"\r\n")):
        return ParseProblem(path, f"line {line + 1}", "a message without headers after its 'From ' line (garbage "
                                                       "or a cut file); it was skipped")
    message = message_from_bytes(raw, policy=compat32)
    if not any(message.get(name) for name in ("From", "Date", "Subject", "Message-ID")):
        return ParseProblem(path, f"line {line + 1}", "not a mail message (no From, Date, Subject or Message-ID "
                                                       "header); it was skipped")
    digest = hashlib.sha256(raw).hexdigest()
    message_id = _one_id(_header(message, "Message-ID")) or f"sha256-{digest[:32]}@bob.invalid"
    references = tuple(_ids(_header(message, "References")))
    in_reply_to = next(iter(_ids(_header(message, "In-Reply-To"))), None)
    at = _date(_header(message, "Date")) or _separator_date(separator)
    paragraphs = fold_paragraphs(_body(message))
    headers = next((i for i, raw_line in enumerate(lines[1:]) if not raw_line.strip()), len(lines) - 1)
    body_line = line + headers + 2  # the separator, the headers, the blank line
    return MailMessage(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        subject=scrub_addresses(_single_line(_header(message, "Subject"))),
        author=display_name(_header(message, "From"), raw_from=message.get("From", "")),
        at=at,
        text="\n\n".join(text for _, text in paragraphs),
        paragraphs=tuple((body_line + offset, text) for offset, text in paragraphs),
        path=path,
        line=line,
        url=_message_url(message, message_id, archive_url),
        digest=digest,
    )


def _header(message: Message, name: str) -> str:
    """A header decoded from RFC 2047 words; undecodable words are kept readable rather than lost."""
    value = message.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (UnicodeError, LookupError, ValueError, AssertionError):
        return str(value)


def _single_line(value: str) -> str:
    return " ".join(value.split())


def _ids(value: str) -> Iterator[str]:
    for found in re.findall(r"<([^<>\s]+(?: at [^<>\s]+)?)>", value):
        yield _normal_id(found)


def _one_id(value: str) -> str | None:
    found = next(_ids(value), None)
    if found:
        return found
    bare = value.strip().strip("<>").strip()
    return _normal_id(bare) if bare and " " not in bare.replace(" at ", "@") else None


def _normal_id(value: str) -> str:
    """Pipermail writes Message-IDs as "abc at host": put the @ back so replies in either format find them."""
    return value.strip().replace(" at ", "@")


def _date(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _separator_date(separator: str) -> datetime | None:
    match = _SEPARATOR_DATE.search(separator)
    if not match:
        return None
    text = " ".join(match.group(1).split()) + " " + match.group(2)
    for shape in ("%b %d %H:%M:%S %Y", "%b %d %H:%M %Y"):
        try:
            return datetime.strptime(text, shape).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def display_name(value: str, *, raw_from: str = "") -> str:
    """The sender's name as shown, never the address: "Jane Doe <jane@x>", "jane at x (Jane Doe)", "=?utf-8?…?=".

    Without a name, the part of the address before the @ stands in (what the list archive shows too).
    """
    value = _single_line(value)
    name = ""
    comment = re.search(r"\(([^()]*)\)\s*$", value)
    if comment and comment.group(1).strip():
        name = comment.group(1)
    elif "<" in value:
        name = value[: value.index("<")]
    name = scrub_addresses(name).strip().strip("\"' ").strip()
    if name:
        return name
    address = re.search(r"([\w.!#$%&'*+/=?^`{|}~-]+)(?:@| at )[\w.-]+", value or raw_from)
    return address.group(1) if address else "unknown sender"


def scrub_addresses(text: str) -> str:
    """Removes mail addresses, plain or pipermail-obfuscated ("jane at example.org"), from text that is shown."""
    text = _ADDRESS.sub("[address removed]", text)
    return _OBFUSCATED.sub("[address removed]", text)


def subject_tags(subject: str, *, list_name: str = "") -> tuple[str, ...]:
    """Leading ``[nova]`` ``[ops]`` tags, lower-cased, after any Re:; the list's own prefix is not a tag."""
    tags: list[str] = []
    rest = subject
    while True:
        rest = _REPLY_PREFIX.sub("", rest)
        match = _TAG.match(rest)
        if not match:
            break
        tag = " ".join(match.group(1).lower().split())
        if tag and tag != list_name.lower() and tag not in tags:
            tags.append(tag)
        rest = rest[match.end():]
    return tuple(tags)


def is_reply_subject(subject: str) -> bool:
    """ "Re: …", also behind a list prefix ("[openstack-discuss] Re: [nova] …")."""
    rest = subject
    while True:
        if _REPLY_ONLY.match(rest):
            return True
        match = _TAG.match(rest)
        if not match:
            return False
        rest = rest[match.end():]


def clean_subject(subject: str) -> str:
    """The subject without Re:/Fwd: prefixes and leading tags: what a thread is titled by."""
    rest = subject
    while True:
        rest = _REPLY_PREFIX.sub("", rest)
        match = _TAG.match(rest)
        if not match:
            break
        rest = rest[match.end():]
    return _single_line(rest) or "(no subject)"


def _body(message: Message) -> str:
    """The text/plain part decoded from its transfer encoding and charset; HTML only when there is no text."""
    plain: str | None = None
    html: str | None = None
    for part in _leaves(message):
        kind = part.get_content_type()
        if part.get_content_disposition() == "attachment":
            continue
        if kind == "text/plain" and plain is None:
            plain = _decode(part)
        elif kind == "text/html" and html is None:
            html = _decode(part)
    if plain is not None:
        return plain
    if html is not None:
        return _html_text(html)
    return ""


def _leaves(message: Message) -> Iterable[Message]:
    if message.is_multipart():
        for part in message.walk():
            if not part.is_multipart():
                yield part
    else:
        yield message


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload() or "")
    charset = part.get_content_charset()
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("cp1252", "replace")


def _html_text(html: str) -> str:
    html = _HTML_DROP.sub("", html)
    html = _HTML_BREAK.sub("\n", html)
    return unescape(_HTML_TAG.sub("", html))


def fold(body: str) -> str:
    """The message's own words: drops quoted lines, "On … wrote:" attributions, the signature and the list footer."""
    return "\n\n".join(text for _, text in fold_paragraphs(body))


def fold_paragraphs(body: str) -> list[tuple[int, str]]:
    """:func:`fold`, as paragraphs with the 0-based line of the body each starts on (linking points at them)."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[tuple[int, str]] = []
    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        nxt = lines[index + 1].rstrip() if index + 1 < len(lines) else ""
        if line in ("-- ", "--") or lines[index] == "-- " or _FOOTER.match(line) or _ORIGINAL.match(line):
            break
        if line.lstrip().startswith(">"):
            index += 1
            continue
        if _ATTRIBUTION.match(line) or (_WROTE.search(line) and _quote_follows(lines, index + 1)):
            index += 1
            continue
        if re.match(r"^\s*(?:On|Am|Le|El)\b", line) and _WROTE.search(nxt) and _quote_follows(lines, index + 2):
            index += 2  # an attribution the mailer wrapped over two lines
            continue
        kept.append((index, line))
        index += 1
    paragraphs: list[tuple[int, list[str]]] = []
    for number, line in kept:
        if not line.strip():
            if paragraphs and paragraphs[-1][1]:
                paragraphs.append((number + 1, []))
            continue
        if not paragraphs:
            paragraphs.append((number, []))
        if not paragraphs[-1][1]:
            paragraphs[-1] = (number, paragraphs[-1][1])
        paragraphs[-1][1].append(line)
    texts = [(number, scrub_addresses("\n".join(chunk).strip())) for number, chunk in paragraphs]
    texts = [(number, text) for number, text in texts if text]
    out: list[tuple[int, str]] = []
    total = 0
    greeting: tuple[int, str] | None = None
    for position, (number, text) in enumerate(texts):
        if greeting:  # "Hi all," is not a point of its own: it opens the paragraph that follows
            number, text, greeting = greeting[0], f"{greeting[1]}\n{text}", None
        elif position < len(texts) - 1 and len(text.split()) <= 3 and _GREETING.match(text):
            greeting = (number, text)
            continue
        if out and len(text.split()) <= 2 and position == len(texts) - 1:
            out[-1] = (out[-1][0], f"{out[-1][1]}\n{text}")  # a bare sign-off ("Pat") joins the paragraph above
            continue
        if total + len(text) > MAX_TEXT:
            out.append((number, text[: max(0, MAX_TEXT - total)].rstrip() + " …"))
            break
        out.append((number, text))
        total += len(text)
    return out


def _quote_follows(lines: list[str], start: int) -> bool:
    for line in lines[start:start + 3]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


def message_id_hash(message_id: str) -> str:
    """HyperKitty's key for a message (base32 of the SHA-1 of its Message-ID), used in its archive URLs."""
    return base64.b32encode(hashlib.sha1(message_id.strip("<>").encode()).digest()).decode()  # noqa: S324


def _message_url(message: Message, message_id: str, archive_url: str | None) -> str | None:
    """Mailman 3's Archived-At header; else the HyperKitty page computed from the archive's base URL."""
    archived = _header(message, "Archived-At").strip().strip("<>").strip()
    if archived.startswith(("https://", "http://")) and " " not in archived:
        return archived
    if archive_url:
        key = (_header(message, "Message-ID-Hash") or _header(message, "X-Message-ID-Hash")).strip()
        key = key if re.fullmatch(r"[A-Z2-7]{32}", key) else message_id_hash(message_id)
        return f"{archive_url.rstrip('/')}/message/{key}/"
    return None


def gzip_bytes(text: bytes) -> bytes:
    """Compresses like pipermail's monthly archives (used by tests and the bench to write fixtures)."""
    return gzip.compress(text, mtime=0)
