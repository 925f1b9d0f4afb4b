"""Stage 1 — raw Markdown chapter → one row per text unit (the *segments* table).

The chapter's conventions (see ``data/raw/README.md``):

* optional YAML front matter between ``---`` lines (metadata, not text);
* ``# title`` — the chapter title;
* ``## 概述`` — the editor's overview;
* ``## 《…》`` — an interview, followed by a ``访谈嘉宾：姓名（机构）`` heading naming the guest;
* ``_…_`` paragraphs before the first question — the editor's italic summary of the interview;
* ``###``/``####`` headings (optionally prefixed ``Q：``) — the interviewer's questions;
* paragraphs under a question — the guest's answer, one row per paragraph.

A chapter with no ``访谈嘉宾`` heading is read as a *report*: each ``##`` section takes the
guest's place (``guest`` = section title) so that every later analysis can compare sections,
``###``/``####`` subsection headings take the ``question`` role and their paragraphs the
``answer`` role.

Schema of the segments table (one row per unit, in document order):

==================  ======================================================================
segment_id          ``{document}-{n:04d}``; stable for the same input
document            document name (file stem)
guest               guest's name (report mode: the ``##`` section title); ``""`` for overview
organization        guest's organisation; ``""`` when none is given
interview_title     the ``##`` heading without 《》
role                ``overview`` | ``intro`` | ``question`` | ``answer``
question_id         ``{document}-Q{n:02d}`` for a question and the answers under it, else ``""``
question            the question text (for questions and their answers), else ``""``
paragraph_index     0-based index of the paragraph within its question / section
text                the unit's text with Markdown markup removed
highlights          JSON list of the bold (``**…**``) spans in the unit, markup removed
char_start          offset of the unit's first character in the raw file's text
char_end            offset one past its last character: ``raw[char_start:char_end]``
==================  ======================================================================
"""

from __future__ import annotations

import json
import re
from importlib import resources
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .errors import InputError, StructureError
from .io import chapter_files, read_chapter_text

SEGMENT_COLUMNS = [
    "segment_id",
    "document",
    "guest",
    "organization",
    "interview_title",
    "role",
    "question_id",
    "question",
    "paragraph_index",
    "text",
    "highlights",
    "char_start",
    "char_end",
]
ROLES = ("overview", "intro", "question", "answer")

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r|$)")
_HEADING = re.compile(r"^(#{1,6})[ \t]*(.*?)[ \t]*#*[ \t]*$")
_GUEST = re.compile(r"^访谈嘉宾[ \t]*[:：][ \t]*(?P<name>[^（(]+?)[ \t]*(?:[（(][ \t]*(?P<org>[^）)]*?)[ \t]*[）)])?[ \t]*$")
_QUESTION_PREFIX = re.compile(r"^(?:Q\d*|问)[ \t]*[:：.、][ \t]*", re.IGNORECASE)
_OVERVIEW = re.compile(r"^(?:概述|概要|综述|导语|引言)[ \t]*[:：]?$")
_INTERVIEW = re.compile(r"^《(?P<title>.+)》$")
_IMAGE_ONLY = re.compile(r"^(?:!\[[^\]]*\]\([^)]*\)[ \t]*)+$")
_ITALIC_PARAGRAPH = re.compile(r"^(?:_(?!_)(?P<u>.+)(?<!_)_|\*(?!\*)(?P<s>.+)(?<!\*)\*)$", re.DOTALL)
_BOLD = re.compile(r"\*\*(?P<a>.+?)\*\*|__(?P<b>.+?)__", re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(?<![\w*])[*_](?![\s*_])(?P<t>.+?)(?<![\s*_])[*_](?![\w*])")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_CODE = re.compile(r"`([^`]*)`")
_SPACES = re.compile(r"[ \t]*(?:\r\n|\n|\r)[ \t]*")


@dataclass
class _Line:
    start: int  # offset of the first character
    end: int  # offset one past the last character, line break excluded
    text: str


@dataclass
class _Paragraph:
    lines: list[_Line] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.lines[0].start

    @property
    def end(self) -> int:
        return self.lines[-1].end


def _lines(raw: str) -> list[_Line]:
    lines = []
    for match in _LINE.finditer(raw):
        if match.start() == match.end():
            break
        body = match.group(0).rstrip("\r\n")
        lines.append(_Line(match.start(), match.start() + len(body), body))
    return lines


def _skip_front_matter(lines: list[_Line]) -> list[_Line]:
    first = next((i for i, line in enumerate(lines) if line.text.strip()), None)
    if first is None or lines[first].text.strip() != "---":
        return lines
    for i in range(first + 1, len(lines)):
        if lines[i].text.strip() in ("---", "..."):
            return lines[i + 1 :]
    return lines  # an unclosed '---' is a thematic break, not front matter


def clean_markup(text: str) -> tuple[str, list[str]]:
    """Remove inline Markdown from a unit; return its plain text and its bold spans.

    Images vanish, links keep their text, bold and italic markers are dropped. Line
    breaks inside a paragraph are joined (Chinese needs no space there).
    """
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: m.group("text"), text)
    text = _HTML_TAG.sub("", text)
    text = _CODE.sub(r"\1", text)
    highlights: list[str] = []

    def _bold(match: re.Match) -> str:
        inner = match.group("a") if match.group("a") is not None else match.group("b")
        inner = _EMPHASIS.sub(lambda m: m.group("t"), inner).strip()
        if inner:
            highlights.append(_join_lines(inner))
        return inner

    text = _BOLD.sub(_bold, text)
    text = _EMPHASIS.sub(lambda m: m.group("t"), text)
    text = text.replace("**", "")
    return _join_lines(text).strip(), highlights


def _join_lines(text: str) -> str:
    def _joiner(match: re.Match) -> str:
        before = text[match.start() - 1] if match.start() > 0 else ""
        after = text[match.end()] if match.end() < len(text) else ""
        # A space survives only between two Latin/digit characters ("AI\nInfra" → "AI Infra").
        return " " if before.isascii() and before.isalnum() and after.isascii() and after.isalnum() else ""

    return _SPACES.sub(_joiner, text)


def _is_italic(paragraph_text: str) -> bool:
    stripped = paragraph_text.strip()
    return bool(_ITALIC_PARAGRAPH.match(stripped)) and not stripped.startswith(("**", "__"))


def parse_chapter(raw: str, document: str, embedded_questions: list[str] | None = None) -> pd.DataFrame:
    """Parse one chapter's raw text into the segments table (see module docstring).

    ``embedded_questions`` are interviewer follow-ups that the transcript ran into a guest's
    answer paragraph (exact raw text, see ``lexicons/embedded_questions.yaml``): each becomes a
    ``question`` unit of its own, and what follows it, up to the next heading, answers it.
    """
    embedded_questions = [q for q in (embedded_questions or []) if q.strip()]
    lines = _skip_front_matter(_lines(raw))
    interview_mode = any(
        (m := _HEADING.match(line.text)) and _GUEST.match(m.group(2)) for line in lines
    )
    rows: list[dict] = []
    state = {
        "section": None,  # None before any ## heading
        "role_default": "overview",
        "guest": "",
        "organization": "",
        "interview_title": "",
        "question_id": "",
        "question": "",
        "paragraph_index": 0,
    }
    question_count = 0
    paragraph = _Paragraph()

    def emit(role: str, start: int, end: int, text: str, highlights: list[str]) -> None:
        rows.append(
            {
                "document": document,
                "guest": state["guest"],
                "organization": state["organization"],
                "interview_title": state["interview_title"],
                "role": role,
                "question_id": state["question_id"] if role in ("question", "answer") else "",
                "question": state["question"] if role in ("question", "answer") else "",
                "paragraph_index": state["paragraph_index"] if role != "question" else 0,
                "text": text,
                "highlights": json.dumps(highlights, ensure_ascii=False),
                "char_start": start,
                "char_end": end,
            }
        )

    def flush() -> None:
        nonlocal paragraph
        if not paragraph.lines:
            return
        block = raw[paragraph.start : paragraph.end]
        paragraph = _Paragraph()
        if _IMAGE_ONLY.match(block.strip()) or state["section"] is None:
            return
        if interview_mode and state["section"] == "interview" and not state["question_id"]:
            role = "intro"  # the editor's summary before the first question
        elif interview_mode and _is_italic(block):
            role = "intro"
        elif state["section"] == "overview":
            role = "overview"
        else:
            role = "answer"
        start, end = paragraph_start, paragraph_end
        if role == "answer":
            for question in embedded_questions:
                at = raw.find(question, start, end)
                if at >= 0:
                    emit_unit("answer", start, at)
                    ask(at, at + len(question))
                    start = at + len(question)
        emit_unit(role, start, end)

    def emit_unit(role: str, start: int, end: int) -> None:
        """Emit raw[start:end] as one unit, its span trimmed of surrounding white space."""
        while start < end and raw[start].isspace():
            start += 1
        while end > start and raw[end - 1].isspace():
            end -= 1
        text, highlights = clean_markup(raw[start:end])
        if not text:
            return
        emit(role, start, end, text, highlights)
        if role == "answer":
            state["paragraph_index"] += 1

    def ask(start: int, end: int) -> None:
        """A question unit at raw[start:end]; the answers that follow belong to it."""
        nonlocal question_count
        question_count += 1
        question, highlights = clean_markup(raw[start:end])
        state.update(question_id=f"{document}-Q{question_count:02d}", question=question, paragraph_index=0)
        emit("question", start, end, question, highlights)

    for line in lines:
        heading = _HEADING.match(line.text)
        if heading is None and line.text.strip():
            if not paragraph.lines:
                paragraph_start = line.start + (len(line.text) - len(line.text.lstrip()))
            paragraph.lines.append(line)
            paragraph_end = line.start + len(line.text.rstrip())
            continue
        flush()
        if heading is None:
            continue
        level, title = len(heading.group(1)), clean_markup(heading.group(2))[0]
        if level == 1 or not title:
            continue
        if level == 2:
            state.update(question_id="", question="", paragraph_index=0, organization="")
            interview = _INTERVIEW.match(title)
            if _OVERVIEW.match(title):
                state.update(section="overview", guest="", interview_title=title.rstrip(":："))
            elif interview_mode and interview:
                state.update(section="interview", guest="", interview_title=interview.group("title"))
            elif interview_mode:
                state.update(section="overview", guest="", interview_title=title)
            else:
                state.update(section="report", guest=title, interview_title=title)
            continue
        guest = _GUEST.match(title)
        if guest:
            state.update(guest=guest.group("name").strip(), organization=(guest.group("org") or "").strip())
            if state["section"] is None:
                state["section"] = "interview"
            continue
        if state["section"] in (None, "overview") and interview_mode:
            continue  # a sub-heading of the overview is not an interviewer's question
        if state["section"] is None:
            continue
        raw_title = heading.group(2)
        prefix = _QUESTION_PREFIX.match(raw_title)
        title_start = line.start + line.text.find(raw_title) + (prefix.end() if prefix else 0)
        title_end = line.start + line.text.find(raw_title) + len(raw_title)
        ask(title_start, title_end)
    flush()

    frame = pd.DataFrame(rows, columns=[c for c in SEGMENT_COLUMNS if c != "segment_id"])
    if frame.empty or not (frame["role"] == "answer").any():
        raise StructureError(
            document,
            "no recognisable structure: expected '##' sections with '###' question or subsection "
            "headings followed by paragraphs",
        )
    frame.insert(0, "segment_id", [f"{document}-{i:04d}" for i in range(len(frame))])
    frame["paragraph_index"] = frame["paragraph_index"].astype("int64")
    frame["char_start"] = frame["char_start"].astype("int64")
    frame["char_end"] = frame["char_end"].astype("int64")
    return frame


def document_name(path: Path) -> str:
    """A document's name: its file stem, made safe for ids (spaces → ``_``)."""
    return re.sub(r"\s+", "_", path.stem)


def default_embedded_questions_path() -> Path:
    return Path(str(resources.files("analysis") / "lexicons" / "embedded_questions.yaml"))


def load_embedded_questions(path: Path | str | None = None) -> dict[str, list[str]]:
    """document name → interviewer follow-ups embedded in answers (see the YAML file)."""
    path = Path(path) if path else default_embedded_questions_path()
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise InputError(path, "expected 'document: [question text, ...]' entries")
    return {str(doc): [str(q) for q in questions] for doc, questions in data.items()}


def load_corpus(path: Path | str, embedded_questions: dict[str, list[str]] | None = None
                ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read a chapter or a folder of chapters; return (segments, raw text per document)."""
    if embedded_questions is None:
        embedded_questions = load_embedded_questions()
    segments, raws = [], {}
    for file in chapter_files(path):
        name = document_name(file)
        raw = read_chapter_text(file)
        try:
            segments.append(parse_chapter(raw, name, embedded_questions.get(name)))
        except StructureError as err:
            raise StructureError(file, err.problem) from None
        raws[name] = raw
    return pd.concat(segments, ignore_index=True), raws
