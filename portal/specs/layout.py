"""What the folders of an OpenStack specs repository mean, and which files are specs.

Pure functions over path parts and text, so every layout is a table-driven
test. The folder vocabulary (see docs/layouts.md for the table):

* a **release** folder, by code name or number (``juno``, ``2025.1``,
  ``epoxy``), also as ``<release>-implemented`` (which says the state too);
* a **state** folder: ``approved``, ``implemented``, ``backlog``,
  ``abandoned``, ``not-implemented`` / ``unimplemented``, ``retired``;
* a **grouping** folder that is neither a release nor a deliverable:
  ``untargeted``, ``release_independent``, ``ideas``, ``ongoing``,
  ``postmortem``, ``stadium``, ``archive`` (each implies a state, or none);
* a **version** folder of a deliverable's own numbering (ironic's
  ``specs/15.1/``), shown with the OpenStack series it belongs to;
* any other folder is a **deliverable** (``glance_store``,
  ``python-glanceclient``, ``keystonemiddleware``): an attribute of the
  spec, never a release and never a project of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from portal.models.specs import SpecState
from portal.specs.releases import is_release, normalize_release, release_rank, version_series

# folder → (state it implies or None, grouping label shown on the spec or None)
STATE_FOLDERS: dict[str, tuple[SpecState | None, str | None]] = {
    "approved": (SpecState.APPROVED, None),
    "implemented": (SpecState.IMPLEMENTED, None),
    "backlog": (SpecState.BACKLOG, None),
    "abandoned": (SpecState.ABANDONED, None),
    "not-implemented": (SpecState.NOT_IMPLEMENTED, None),
    "not_implemented": (SpecState.NOT_IMPLEMENTED, None),
    "unimplemented": (SpecState.NOT_IMPLEMENTED, None),
    "retired": (SpecState.RETIRED, None),
    "archive": (SpecState.RETIRED, "archive"),
    "ideas": (SpecState.BACKLOG, "ideas"),
    "untargeted": (SpecState.APPROVED, "untargeted"),
    "release_independent": (SpecState.APPROVED, "release independent"),
    "release-independent": (SpecState.APPROVED, "release independent"),
    "ongoing": (SpecState.APPROVED, "ongoing"),
    "postmortem": (SpecState.IMPLEMENTED, "postmortem"),
    "postmortems": (SpecState.IMPLEMENTED, "postmortem"),
    "stadium": (None, "stadium"),
}
# States an outer folder gives that an inner approved/ must not undo (backlog/approved/x.rst is backlog).
STICKY_STATES = {SpecState.BACKLOG, SpecState.ABANDONED, SpecState.NOT_IMPLEMENTED, SpecState.RETIRED}
# Folders that carry no meaning (the repository's own specs/ folder, doc trees).
IGNORED_FOLDERS = {"specs", "source", "doc"}
_IMPLEMENTED_SUFFIX = re.compile(r"^(?P<release>.+?)[-_]implemented$")
_VERSION = re.compile(r"^\d{1,3}\.\d{1,3}$")
_MILESTONE = re.compile(r"^(?P<release>[a-z]+)[-_]\d{1,2}$")


@dataclass(frozen=True)
class Placement:
    """Where a spec file sits, read from its folders."""

    release: str | None
    state: SpecState
    deliverable: str | None = None
    grouping: str | None = None
    # A deliverable version folder (``15.1``) keeps its own name as the release;
    # ``series`` is the OpenStack release it belongs to, when known.
    series: str | None = None


def classify(parts: tuple[str, ...] | list[str], *, releases_imply_implemented: bool = False,
             newest_release_rank: int = 0) -> Placement:
    """Release, state, deliverable and grouping of a file from the folders between ``specs/`` and it.

    ``releases_imply_implemented`` is the convention of trees that keep only
    release folders and move what was not done to ``unimplemented/`` (manila):
    a spec in a release folder older than the tree's newest release
    (``newest_release_rank``) was implemented.
    """
    release: str | None = None
    series: str | None = None
    state: SpecState | None = None
    deliverable: str | None = None
    grouping: str | None = None
    for part in parts:
        lowered = part.strip().lower()
        if not lowered or lowered in IGNORED_FOLDERS:
            continue
        if lowered in STATE_FOLDERS:
            folder_state, folder_group = STATE_FOLDERS[lowered]
            if folder_state is not None and state not in STICKY_STATES:
                state = folder_state
            grouping = grouping or folder_group
            continue
        suffixed = _IMPLEMENTED_SUFFIX.match(lowered)
        if suffixed and is_release(suffixed.group("release")):
            release = release or normalize_release(suffixed.group("release"))
            if state not in STICKY_STATES:
                state = SpecState.IMPLEMENTED
            continue
        if is_release(lowered):
            release = release or normalize_release(lowered)
            continue
        milestone = _MILESTONE.match(lowered)
        if milestone and is_release(milestone.group("release")):  # liberty-1: a milestone of liberty
            release = release or normalize_release(milestone.group("release"))
            continue
        if _VERSION.match(lowered) and release is None:
            release, series = lowered, version_series(lowered)
            continue
        if deliverable is None:
            deliverable = part.strip()
        # deeper unknown folders (glance's rocky/approved/glance/image-import/) only group files
    if state is None:
        state = SpecState.APPROVED
        if releases_imply_implemented and release is not None and grouping is None:
            if 0 < release_rank(release) < newest_release_rank:
                state = SpecState.IMPLEMENTED
    if state in STICKY_STATES and state is not SpecState.NOT_IMPLEMENTED:
        release = None  # a backlog or abandoned spec is not targeted at the release it once had
    return Placement(release=release, state=state, deliverable=deliverable, grouping=grouping, series=series)


def uses_moved_out_convention(top_folders: set[str]) -> bool:
    """Does the tree move unfinished specs out of release folders (manila's ``unimplemented/``)?"""
    lowered = {name.lower() for name in top_folders}
    has_split = bool(lowered & {"approved", "implemented"})
    return not has_split and bool(lowered & {"unimplemented", "not-implemented", "not_implemented"})


# ---------------------------------------------------------------- what is a spec

# template.rst, spec-lite-template.rst, postmortem_template.rst, skeleton.rst, example.rst; not template-based-x.rst
TEMPLATE_NAME = re.compile(r"^((.*[-_])?(template|skeleton)|example)\.rst$", re.IGNORECASE)
INDEX_NAMES = {"index.rst", "readme.rst", "contents.rst", "redirects.rst"}
PLACEHOLDER_NAME = re.compile(r"^placeholder", re.IGNORECASE)
# A file whose whole content is a relative path: a symlink checked out where links are not kept.
SYMLINK_STUB = re.compile(r"^\s*(\.\./|\./)?[\w./+-]+\.rst\s*$")
_TEMPLATE_MARKERS = ("<title of your", "<what is the driver", "<project name>", "the title of your blueprint",
                     "example spec - the title of your blueprint")
_MOVED = re.compile(
    r"\b(has been|was|is now|have been)\s+(moved|relocated|superseded|replaced|merged)\b|\bmoved to\b|"
    r"\bsee\s+(the\s+)?(new|updated)\s+(spec|location)\b|\bthis spec (now )?lives\b",
    re.IGNORECASE,
)
STUB_MAX_BYTES = 1200  # a redirect stub is a title and a sentence or two, never a design


def name_skip_reason(file_name: str) -> str | None:
    """Why a file is not a spec, judged from its name alone (Gerrit uses this too); ``None`` if it may be."""
    lowered = file_name.lower()
    if not lowered.endswith(".rst"):
        return "not reStructuredText"
    if lowered in INDEX_NAMES:
        return "index"
    if TEMPLATE_NAME.search(lowered):
        return "template"
    if PLACEHOLDER_NAME.match(lowered):
        return "placeholder"
    return None


def symlink_stub_target(text: str) -> str | None:
    """The relative path a symlink-as-text file names (``../../template.rst``), or ``None``."""
    stripped = text.strip()
    if "\n" in stripped or not SYMLINK_STUB.match(stripped):
        return None
    return stripped


def text_skip_reason(text: str) -> str | None:
    """Why a file's content is not a spec (template, placeholder, redirect stub); ``None`` if it is one."""
    lowered = text.lower()
    if any(marker in lowered for marker in _TEMPLATE_MARKERS) and "please keep this template" in lowered \
            and not _has_content_after_template(lowered):
        return "template"
    if any(marker in lowered for marker in _TEMPLATE_MARKERS[3:]):
        return "template"
    body = _strip_rst_noise(text, limit=STUB_MAX_BYTES)
    if len(body.encode("utf-8")) <= STUB_MAX_BYTES:
        if _MOVED.search(body):
            return "redirect stub"
        if re.search(r"\bplaceholder\b", body, re.IGNORECASE) or not body.strip():
            return "placeholder"
    return None


def _has_content_after_template(lowered: str) -> bool:
    """A spec-lite collection keeps the template block and real entries after it."""
    tail = lowered.rsplit("<what is the driver", 1)[-1]
    return "\n:problem:" in tail


_UNDERLINE = re.compile(r"([=\-~^*#+\"'`:.])\1{2,}")


def _strip_rst_noise(text: str, limit: int | None = None) -> str:
    """The text without the licence comment block, heading underlines and blank lines.

    With ``limit``, stops once the kept text is longer than that many characters
    (callers only ask whether it is short: a re-import reads every small file).
    """
    lines: list[str] = []
    kept = 0
    in_comment = False
    for line in text.splitlines():
        if limit is not None and kept > limit:
            break
        stripped = line.strip()
        if stripped.startswith(".."):
            in_comment = True
            continue
        if in_comment and (not stripped or line[:1].isspace()):
            continue
        in_comment = False
        if not stripped or _UNDERLINE.fullmatch(stripped):
            continue
        lines.append(stripped)
        kept += len(stripped) + 1
    return "\n".join(lines)


def resolve_stub(path: PurePosixPath, target: str) -> PurePosixPath:
    """The path a symlink stub at ``path`` points to, normalised (``..`` resolved, never above the root)."""
    parts: list[str] = list(path.parent.parts)
    for piece in PurePosixPath(target).parts:
        if piece == "..":
            if parts:
                parts.pop()
        elif piece != ".":
            parts.append(piece)
    return PurePosixPath(*parts)
