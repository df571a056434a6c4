"""The checklist prefill: what a spec's own text says about each checklist item.

A pure function of the parsed spec's sections. For each item it finds the
sections the template points at (e.g. "Upgrade impact"), judges their text
as ``addressed`` (a substantive answer), ``none`` (the spec says "None",
"N/A", "No impact"…) or ``missing`` (no section, an empty one, or the
template's own prompt left unedited), and quotes the evidence. Where the
dedicated section is silent, a substantive sentence elsewhere in the spec can
still answer the item. Cross-checks (``crosscheck.py``) then add concerns.

The judgement rules were written against the nova-specs template eras
(juno … 2027.1) and the other OpenStack templates (cinder's "Active/Active
HA impact", "Upgrades and Backwards Compatibility", cut-down Problem /
Proposed Change / References templates with authors' own headings); the
agreement with hand labels is measured by ``bench/checklist_agreement.py``
and reported in docs/checklist.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from portal.checklist.template import Item, Judging, Rules, Template
from portal.specs.document import Section

QUOTE_CHARS = 240

# Sections that never answer an operability question (who does the work, links).
_IGNORED_HEADINGS = re.compile(
    r"^(references?|history|assignee|assignee\(s\)|work items?|feature liaison|implementation|"
    r"dependencies|developer impact|project priority|footnotes|revision history|contributors)$",
    re.I,
)

# The answer is "nothing": None, N/A, No impact, Not applicable, ...
_NONE_LEAD = re.compile(
    r"^\s*(not that we know of|not applicable|not relevant|none (that|known)[^.]{0,40}|none expected|none anticipated|"
    r"no (known |significant |new |additional |expected |direct |other )?(\w+ ){0,3}impacts?\b|no changes?\b|"
    r"there (is|are|will be|should be|should not be any|will not be any|won't be any) no\b[^.]{0,80}|"
    r"there (should|will|would) not be any\b[^.]{0,80}|"
    r"(this|the) (change|feature|spec|proposal) (has|will have|does not have|doesn't have|should have|introduces|adds) no\b[^.]{0,80}|"
    r"no new\b[^.]{0,60}|none|n/a|na|nil|nothing|no(?=\s*[.,;:!]|\s*$))"
    r"(?=\W|$)\s*[.,;:!)\-\u2014\u2013]*",
    re.I,
)
# After a "None", these mean an impact is being described after all.
_CONTRAST = re.compile(
    r"\b(however|but|though|although|except|excepting|other than|apart from|besides|that said|nevertheless|"
    r"unless|aside from|beyond)\b",
    re.I,
)
_NEGATIVE_SENTENCE = re.compile(
    r"^\s*(there (is|are|will be|should be) no|there (should|will|would) not be any|no (new|additional|changes?|impact)|"
    r"(this|the) (change|feature|spec) (has|will have|does not|doesn't|should have) no|"
    r"nothing (new|changes)|not applicable|(it|this) does not (change|affect|impact)|no [a-z ]{0,40} (is|are) (needed|required|expected))",
    re.I,
)
# A short answer that concludes "so there is no doc impact".
_NO_IMPACT_ANYWHERE = re.compile(
    r"\b(there is|there's|there are|has|have|will be|with) no (\w+ ){0,2}impacts?\b|\bno (\w+ ){0,2}impact (is|at all)\b",
    re.I,
)
# The first words of the OpenStack templates' own prompts: a section that
# still starts with them was not written by the author.
_BOILERPLATE = tuple(
    re.compile(p, re.I)
    for p in (
        r"^what other ways could we do this thing",
        r"^changes which require modifications to the data model",
        r"^each api method which is either added or changed",
        r"^describe any potential (security|performance|upgrade) impact",
        r"^please specify any changes to notifications",
        r"^aside from the api, are there other ways a user will interact",
        r"^discuss things that will affect how you deploy",
        r"^discuss things that will affect other developers",
        r"^please discuss the important scenarios",
        r"^which audiences are affected most by this change",
        r"^what is the impact on the docs",
        r"^who is leading the writing of the code",
        r"^work items or tasks",
        r"^include specific references to specs",
        r"^please add any useful references",
        r"^does this change (touch|alter|involve|require|have)",
        r"^(describe|discuss|explain|list|specify|document) (the |any |how |what |here )",
        r"^(tbd|todo|to be (determined|done|written)|fill (this|me) in|xxx)\b",
    )
)
# A line break inside a paragraph, with the indentation around it (not a blank line).
_LINE_BREAK = re.compile(r"[ \t]*(?<!\n)\n(?![ \t]*\n)[ \t]*")
# Prefill states are only these three; reviewers add "concern" and "n/a".
ADDRESSED, NONE, MISSING = "addressed", "none", "missing"


@dataclass(frozen=True)
class Evidence:
    section: str
    quote: str

    def to_dict(self) -> dict[str, str]:
        return {"section": self.section, "quote": self.quote}


@dataclass(frozen=True)
class Concern:
    rule: str
    message: str
    quotes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "message": self.message, "quotes": list(self.quotes)}


@dataclass(frozen=True)
class ItemResult:
    key: str
    area: str
    state: str
    evidence: Evidence | None
    concerns: tuple[Concern, ...] = ()
    applies: bool = True
    applies_because: Evidence | None = None  # why the item applies, or why it does not

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "area": self.area,
            "state": self.state,
            "evidence": self.evidence.to_dict() if self.evidence else None,
            "concerns": [c.to_dict() for c in self.concerns],
            "applies": self.applies,
            "applies_because": self.applies_because.to_dict() if self.applies_because else None,
        }


@dataclass(frozen=True)
class Prefill:
    template_version: int
    items: tuple[ItemResult, ...]
    note: str | None = None

    def item(self, key: str) -> ItemResult:
        return next(i for i in self.items if i.key == key)

    def states(self) -> dict[str, str]:
        return {i.key: i.state for i in self.items}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"template_version": self.template_version, "items": [i.to_dict() for i in self.items]}
        if self.note:
            data["note"] = self.note
        return data


@dataclass
class SpecText:
    """The sections of a spec, indexed for the prefill (pure, built once per spec)."""

    sections: list[Section]
    full: dict[tuple[str, ...], str] = field(default_factory=dict)
    _answering: list[Section] = field(default_factory=list)
    ignored: re.Pattern[str] | None = None  # the template's headings that never answer (v2+)
    _flowed: dict[tuple[str, ...], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Sections come in document order, so a section's descendants follow it.
        for index, sec in enumerate(self.sections):
            parts = [sec.text] if sec.text else []
            for later in self.sections[index + 1 :]:
                if later.path[: len(sec.path)] != sec.path:
                    break
                if later.text:
                    parts.append(later.text)
            self.full[sec.path] = "\n\n".join(parts).strip()
        ignored = self.ignored or _IGNORED_HEADINGS
        self._answering = [s for s in self.sections if not any(ignored.fullmatch(p.strip()) for p in s.path)]

    def text_of(self, section: Section) -> str:
        """The section's text including its subsections."""
        return self.full.get(section.path, section.text)

    def flowed(self, section: Section) -> str:
        """The section's own text with each paragraph on one line ("during\\nNewton" → "during Newton"), paragraphs kept apart."""
        if section.path not in self._flowed:
            self._flowed[section.path] = _LINE_BREAK.sub(" ", section.text)
        return self._flowed[section.path]

    def answering(self) -> list[Section]:
        """Sections that can carry an answer (not References, History, Work items…)."""
        return self._answering


# --- judging one piece of text ---------------------------------------------


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def is_boilerplate(text: str, judging: Judging | None = None) -> bool:
    start = normalize(text)[:200]
    if judging is not None and judging.boilerplate is not None:
        return judging.boilerplate.search(start) is not None
    return any(p.search(start) for p in _BOILERPLATE)


_SENTENCE_START = re.compile(r"(?:^|[.;:!?]\s+)(\w+)")


def judge(text: str, judging: Judging | None = None) -> str:
    """``addressed``, ``none`` or ``missing`` for the text of one section.

    ``judging`` (from the template, v2+) says how a "None" that goes on is
    read: "None. However, …", "No impact is expected. However, depending on …"
    or "None. The following alternatives were considered: …" are answers,
    "None. It is disabled by default." stays "none".
    """
    rules = judging or V1_JUDGING
    body = normalize(text)
    if not body or is_boilerplate(body, judging):
        return MISSING
    contrast = rules.contrast or _CONTRAST
    lead = _NONE_LEAD.match(body) or (rules.none_sentences.match(body) if rules.none_sentences is not None else None)
    if lead:
        rest = body[lead.end() :].strip()
        if not rest:
            return NONE
        words = rest.split()
        if contrast.search(" ".join(words[:4])):
            return ADDRESSED
        if rules.contrast_opens_sentence and any(
            contrast.fullmatch(m.group(1)) for m in _SENTENCE_START.finditer(rest)
        ):
            return ADDRESSED
        if rules.continues is not None and rules.continues.search(rest):
            return ADDRESSED
        return NONE if len(words) <= rules.reason_max_words else ADDRESSED
    if _NEGATIVE_SENTENCE.match(body) and len(body.split()) <= 40:
        return NONE
    if rules.not_none is not None and rules.not_none.search(body) and len(_SENTENCE_START.findall(body)) > 1:
        return ADDRESSED  # "This change enhances security … There are no negative security impacts."
    if len(body.split()) <= 50 and _NO_IMPACT_ANYWHERE.search(body) and not contrast.search(body):
        return NONE
    if rules.concludes_none is not None and len(body.split()) <= 50 and rules.concludes_none.search(body):
        return NONE
    return ADDRESSED


def first_sentences(text: str, limit: int = QUOTE_CHARS) -> str:
    body = normalize(text)
    if len(body) <= limit:
        return body
    cut = body[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "))
    return (cut[: end + 1] if end > limit // 3 else cut.rsplit(" ", 1)[0] + " …").strip()


def sentence_around(text: str, match: re.Match[str], limit: int = QUOTE_CHARS) -> str:
    """The sentence containing ``match``, trimmed to ``limit`` characters."""
    start = max(text.rfind(". ", 0, match.start()), text.rfind("\n\n", 0, match.start()))
    start = 0 if start < 0 else start + 2
    end_candidates = [i for i in (text.find(". ", match.end()), text.find("\n\n", match.end())) if i >= 0]
    end = min(end_candidates) + 1 if end_candidates else len(text)
    sentence = normalize(text[start:end])
    if len(sentence) > limit:
        offset = max(0, normalize(text[start : match.start()]).__len__() - limit // 3)
        sentence = ("… " if offset else "") + sentence[offset : offset + limit].rsplit(" ", 1)[0] + " …"
    return sentence


def heading(section: Section) -> str:
    return " > ".join(section.path)


# --- per-item rules ----------------------------------------------------------

# Items whose dedicated section may hold other topics: a substantive section
# that never mentions the item's topic means the author had nothing for it.
_MUST_MENTION = {"config"}
_CONFIG_MENTION = re.compile(
    r"configur|\bconfig\b|\bconf\b|\.conf\b|\boptions?\b|polic(y|ies)|flavou?rs?|extra[ _]specs?|image (meta(data)? )?propert|"
    r"compute_driver|\[[a-z_]+\]",
    re.I,
)
# Where the dedicated section says "None", evidence elsewhere does not flip it
# for these items (their keywords are too common in unrelated text).
_NONE_IS_FINAL = {"security", "performance", "docs", "alternatives", "testing", "user_impact", "upgrade"}
# Strong phrases that show an item is answered outside its dedicated section.
_ELSEWHERE = {
    "upgrade": (
        r"rolling (upgrade|update)s?",
        r"\bn-1\b",
        r"minimum (nova-)?compute service version",
        r"service version",
        r"online (data )?migration",
        r"mixed[- ](software )?versions?",
        r"during (an |the )?upgrade",
        r"upgrade check",
        r"upgrad(e|ing) from",
        r"after (an |the )?upgrade",
        r"backwards? compatib",
        r"older (computes?|nodes|services)",
        r"(the|a) new (db |database )?migration",
        r"unchanged from previous releases",
    ),
    "rollback": (
        r"\broll ?back (the|this) (change|feature|upgrade|deployment|release)",
        r"\bdowngrad",
        r"escape hatch",
        r"one-way (change|migration|operation|conversion)",
        r"(revert|return|go back|fall ?back) to the (old|previous|existing|legacy|current) (behaviou?r|policy|format)",
        r"(disable|turn off|switch off) (the feature|the new behaviou?r|it again)",
        r"(if|when) (this|the) (config(uration)? )?option is (set to )?(false|disabled|off|empty|unset)",
        r"(use|keep|restore|get) the old (policy|policies|behaviou?r|format)",
        r"set (it |this )?back to",
        r"opt[- ]out",
    ),
    "ha": (
        r"high(ly)? availab",
        r"active[/-](active|passive)",
        r"fail ?over",
        r"\bha\b",
        r"redundancy",
        r"load[- ]balancer",
        r"(multiple|several|all (the )?(running )?)(schedulers|conductors|api workers|workers)",
        r"(cell|host|service|database|db|compute) (is|goes|being) down",
        r"\bdown cells?\b",
        r"host is dead",
    ),
    "monitoring": (
        r"\bmetrics?\b",
        r"health ?checks?",
        r"\bhealthcheck",
        r"\balert(s|ing)?\b",
        r"prometheus",
        r"(warning|error|info|debug) (message )?(is|will be) logged",
        r"will be logged",
        r"\blogs? (a|an|all|the) (warning|error|message|in-progress|unfinished)",
        r"log messages?",
        r"emit(s|ted)? (a |an )?(new )?(versioned )?notifications?",
        r"\btroubleshoot",
    ),
    "config": (
        r"config(uration)? options?",
        r"\bnew options?\b",
        r"\[[a-z_]+\]\s*/?\s*`*[a-z_]{3,}",
        r"\bconf\.[a-z_]+",
        r"\b(nova|nova-cpu|neutron|cinder|keystone)\.conf\b",
        r"(new|add(s|ed)?( a)?) polic(y|ies)( rules?)?",
        r"polic(y|ies) (rule|default|name)s?",
        r"(flavou?r )?extra[ _]specs?",
        r"image (meta(data)? )?propert(y|ies)",
        r"\bhw[:_][a-z_]+",
        r"compute_driver",
        r"config(uration)? files?",
    ),
}
# One alternation per item: a section is scanned once, not once per phrase.
_ELSEWHERE_RE: dict[str, tuple[re.Pattern[str], ...]] = {key: (re.compile("|".join(f"(?:{p})" for p in pats), re.I),) for key, pats in _ELSEWHERE.items()}
# When the dedicated section explicitly says "None", only these overturn it.
_STRONG = {
    "config": (
        re.compile(
            "|".join(
                f"(?:{p})"
                for p in (
                    r"\bnew (config(uration)? )?options?\b",
                    r"\b(add|adds|added|adding|introduce[sd]?|introducing) (a |an |two |three |the )?(new )?(config(uration)? )?options?\b",
                    r"\bconfig(uration)? options? (is|are|will be) (added|introduced|changed|deprecated|removed)",
                    r"\bnew polic(y|ies)\b",
                    r"\b(make|makes|made) (the )?(existing )?`*\[?[a-z_]+\]?[./]?[a-z_]*_timeout`* ",
                    r"(reconfigure|configure) (the )?(scheduler|compute|nova)",
                    r"\[[a-z_]+\]\s*/?\s*`*[a-z_]{3,}`* (option|config|is|will|defaults?|=)",
                    r"\b(new|adds?|added|adding|introduce\w*) (a |an )?(new )?(flavou?r )?extra[ _]specs?",
                    r"\b(new|adds?|added|adding|introduce\w*) (a |an )?(new )?image (meta(data)? )?propert",
                    r"extra[ _]specs? (and|or|/) (an )?image (meta(data)? )?propert",
                    r"\bconfiguration parameter",
                    r"\bfor (the )?(image propert(y|ies)|flavou?r extra[ _]?specs?)\b",
                    r"\bconfig(uration)? files? (consistent|must|needs?|should)",
                )
            ),
            re.I,
        ),
    ),
}


V1_JUDGING = Judging(reason_max_words=60, contrast=_CONTRAST)
_V1_ELSEWHERE = {key: regex[0] for key, regex in _ELSEWHERE_RE.items()}
_V1_STRONG = {key: regex[0] for key, regex in _STRONG.items()}


def rules_of(item: Item) -> Rules:
    """The item's prefill rules: the template's (v2+), else the rules v1 was measured with."""
    if item.rules is not None:
        if item.rules.elsewhere is None and item.keywords:
            return replace(item.rules, elsewhere=_combined_keywords(item)[0])
        return item.rules
    return Rules(
        elsewhere=_V1_ELSEWHERE.get(item.key) or (_combined_keywords(item) or (None,))[0],
        strong=_V1_STRONG.get(item.key),
        none_is_final=item.key in _NONE_IS_FINAL,
        must_mention=_CONFIG_MENTION if item.key in _MUST_MENTION else None,
        skip_sentence=_SKIP_SENTENCE.get(item.key),
    )


def _dedicated(item: Item, spec: SpecText) -> list[Section]:
    """Sections whose heading the template names for this item (outermost first)."""
    found = [s for s in spec.answering() if any(p.search(s.title) for p in item.sections)]
    # Keep the outermost match: "Upgrade impact" rather than its sub-sections.
    return [s for s in found if not any(o is not s and s.path[: len(o.path)] == o.path for o in found)]


def _judge_sections(
    item: Item, spec: SpecText, sections: list[Section], judging: Judging | None
) -> tuple[str, Evidence | None]:
    rules = rules_of(item)
    verdicts = []
    for sec in sections:
        text = spec.text_of(sec)
        state = judge(text, judging)
        if state == ADDRESSED and rules.must_mention is not None and not rules.must_mention.search(text):
            state = NONE
        verdicts.append((state, sec, text))
    for wanted in (ADDRESSED, NONE, MISSING):
        for state, sec, text in verdicts:
            if state == wanted:
                quote = first_sentences(text) if text.strip() else "(empty section)"
                return state, Evidence(section=heading(sec), quote=quote)
    return MISSING, None


# Text that describes the world before the change, or designs that were
# rejected, does not answer what the change itself does.
_NOT_THE_CHANGE = re.compile(r"^(problem description|use cases?|alternatives?( considered)?|background)$", re.I)
# Sentences about deprecation warnings answer "deprecations", not monitoring.
_SKIP_SENTENCE = {"monitoring": re.compile(r"deprecat", re.I)}


_LOWER: dict[re.Pattern[str], re.Pattern[str]] = {}


def _lower_copy(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` without IGNORECASE, for lower-cased text (its literals are lower case)."""
    if pattern not in _LOWER:
        _LOWER[pattern] = re.compile(pattern.pattern, pattern.flags & ~re.I)
    return _LOWER[pattern]


_KEYWORDS: dict[tuple[str, tuple[str, ...]], tuple[re.Pattern[str], ...]] = {}


def _combined_keywords(item: Item) -> tuple[re.Pattern[str], ...]:
    """The template's keywords for an item as one regular expression (built once)."""
    key = (item.key, tuple(p.pattern for p in item.keywords))
    if key not in _KEYWORDS:
        _KEYWORDS[key] = (re.compile("|".join(f"(?:{p})" for p in key[1]), re.I),) if key[1] else ()
    return _KEYWORDS[key]


def find_phrase(
    spec: SpecText,
    pattern: re.Pattern[str],
    judging: Judging | None,
    *,
    exclude: list[Section] = (),  # type: ignore[assignment]
    skip: re.Pattern[str] | None = None,
) -> Evidence | None:
    """The first substantive sentence matching ``pattern`` in a section that describes the change."""
    excluded = {s.path for s in exclude}
    not_the_change = (judging.not_the_change if judging else None) or _NOT_THE_CHANGE
    for sec in spec.answering():
        if sec.path in excluded or any(sec.path[: len(e)] == e for e in excluded):
            continue
        if any(not_the_change.match(part.strip()) for part in sec.path):
            continue
        text = spec.flowed(sec) if judging is not None and judging.flow_lines else sec.text
        # Case-insensitive regular expressions are slow in CPython; search the
        # lower-cased text with case-sensitive copies instead (same offsets).
        lowered = text.lower()
        haystack = lowered if len(lowered) == len(text) else None
        finder = _lower_copy(pattern) if haystack is not None else pattern
        for match in finder.finditer(haystack if haystack is not None else text):
            sentence = sentence_around(text, match)
            if skip is not None and skip.search(sentence):
                continue
            if judging is not None and judging.negated is not None and _negated(text, match, judging.negated):
                continue
            if judge(sentence, judging) == ADDRESSED and len(sentence.split()) >= 5:
                return Evidence(section=heading(sec), quote=sentence)
    return None


def _find_none(
    spec: SpecText, pattern: re.Pattern[str], judging: Judging | None, *, exclude: list[Section]
) -> Evidence | None:
    """The first sentence, in a section that describes the change, saying there is nothing for the item ("users won't be impacted")."""
    excluded = {s.path for s in exclude}
    not_the_change = (judging.not_the_change if judging else None) or _NOT_THE_CHANGE
    for sec in spec.answering():
        if sec.path in excluded or any(not_the_change.match(part.strip()) for part in sec.path):
            continue
        text = spec.flowed(sec) if judging is not None and judging.flow_lines else sec.text
        match = pattern.search(text)
        if match is not None:
            return Evidence(section=heading(sec), quote=sentence_around(text, match))
    return None


def _negated(text: str, match: re.Match[str], negated: re.Pattern[str]) -> bool:
    """Whether the few words just before ``match`` (same sentence) negate it: "no need to add a new policy"."""
    before = text[max(0, match.start() - 40) : match.start()]
    before = re.split(r"[.;:!?]\s", before)[-1]
    return negated.search(before) is not None


def _impacts(spec: SpecText, judging: Judging | None, rules: Rules) -> tuple[str, Evidence] | None:
    """A spec lite's catch-all ":impacts:" field: "None", or commit-message flags ("DocImpact, ConfigImpact").

    "None" answers every item with ``impacts: true``; a flag answers the item it names.
    """
    if judging is None or judging.impacts_sections is None:
        return None
    for sec in spec.answering():
        if judging.impacts_sections.fullmatch(sec.title.strip()):
            text = spec.text_of(sec)
            flag = rules.impact_flags.search(text) if rules.impact_flags is not None else None
            if flag is not None:
                return ADDRESSED, Evidence(section=heading(sec), quote=sentence_around(text, flag))
            if rules.impacts and judge(text, judging) == NONE:
                return NONE, Evidence(section=heading(sec), quote=first_sentences(text))
    return None


def judge_item(item: Item, spec: SpecText, judging: Judging | None = None) -> ItemResult:
    rules = rules_of(item)
    dedicated = _dedicated(item, spec)
    state, evidence = _judge_sections(item, spec, dedicated, judging) if dedicated else (MISSING, None)
    if state == MISSING and (rules.impacts or rules.impact_flags is not None):
        from_impacts = _impacts(spec, judging, rules)
        if from_impacts is not None:
            state, evidence = from_impacts
    if state == MISSING or (state == NONE and not rules.none_is_final):
        explicit_none = state == NONE and evidence is not None and judge(evidence.quote, judging) == NONE
        pattern = (rules.strong or rules.elsewhere) if explicit_none else rules.elsewhere
        found = find_phrase(spec, pattern, judging, exclude=dedicated, skip=rules.skip_sentence) if pattern else None
        if found is not None:
            state, evidence = ADDRESSED, found
    if state == MISSING and rules.none_elsewhere is not None:
        said_none = _find_none(spec, rules.none_elsewhere, judging, exclude=dedicated)
        if said_none is not None:
            state, evidence = NONE, said_none
    if evidence is None:
        evidence = Evidence(section="", quote="No section of the spec answers this.")
    return ItemResult(key=item.key, area=item.area, state=state, evidence=evidence)


def prefill(sections: Sequence[Section], template: Template) -> Prefill:
    """Judge every item of ``template`` on the spec's sections, then cross-check and decide applicability."""
    from portal.checklist.applicability import apply_applicability
    from portal.checklist.crosscheck import apply_crosschecks

    spec = SpecText(list(sections), ignored=template.judging.ignored_headings if template.judging else None)
    results = [judge_item(item, spec, template.judging) for item in template.items]
    note = None
    if not any(r.state != MISSING for r in results):
        note = (
            "No recognisable sections: the spec has none of the headings this checklist looks for "
            "(e.g. 'Upgrade impact', 'Security impact'), so every item is missing. A reviewer can still answer them."
        )
    checked = apply_crosschecks(results, spec)
    return Prefill(
        template_version=template.version,
        items=tuple(apply_applicability(checked, spec, template)),
        note=note,
    )
