"""Stage 1 — raw Markdown chapter → one row per text unit (the *segments* table).

Parsing happens in two passes:

1. the **block reader** (:func:`read_blocks`) reads the chapter as CommonMark (markdown-it-py,
   with GFM tables) into a flat list of :class:`Block`\\ s, each with its span in the raw text and
   its inline content with the markup removed;
2. the **role pass** (:func:`parse_chapter`) walks the blocks with a small :class:`Context` and
   decides what each block is for the analysis: the editor's overview or intro, an interviewer's
   question, a guest's answer. Interview rules or report rules are chosen once per chapter.

The chapter's conventions (see ``data/raw/README.md``); the words and patterns among them are
data, in ``lexicons/profile.yaml`` (``load_corpus(path, profile=…)`` takes a user's own):

* optional YAML front matter between ``---`` lines (metadata, not text);
* ``# title`` — the chapter title;
* ``## 概述`` — the editor's overview (also 前言, 引言, Overview, …; numbering such as ``一.`` and
  ``@name`` credits are ignored when matching, so ``## 一. 概述`` is an overview);
* ``## 《…》`` — an interview, with a guest line naming the guest: ``访谈嘉宾：姓名（机构）``,
  ``嘉宾：…``, ``Guest Speaker: Name (Org)``, as a heading or a paragraph of its own (a guest
  line with no name is a :class:`StructureError` naming the line);
* ``_…_`` paragraphs before the first question — the editor's italic summary of the interview;
* ``###``/``####`` headings (optionally prefixed ``Q：``/``问：``/``Q1.``) — the interviewer's questions;
* paragraphs under a question — the guest's answer, one row per paragraph;
* a ``参考资料``/``References``/``致谢`` heading — back matter: every unit under it, up to the
  next heading of its level, has role ``back_matter`` (kept, never compared).

Only prose is text. Each list item is a unit of its own (marker removed); a block quote is kept
(``is_quote``); a pipe or HTML table is one ``table`` row; a short ``图 2.1 …``/``Table 3: …``
paragraph (or ``<center>`` line) is a ``caption``; HTML comments, code blocks, image-only
paragraphs and image-only tables are no unit at all; URLs leave the text for ``links``.

A chapter with no guest line is read as a *report*: each ``##`` section takes the guest's place
(``guest`` = section title) so that every later analysis can compare sections; paragraphs
between a ``##`` and its first subheading answer the section itself (``question`` empty);
``###``/``####`` subsection headings take the ``question`` role and their paragraphs the
``answer`` role. Text under the ``#`` title before any ``##`` is a section named by the title,
so a title with paragraphs is a (short) report.

Schema of the segments table (one row per unit, in document order):

==================  ======================================================================
segment_id          ``{document}-{n:04d}``; stable for the same input
document            document name (file stem)
guest               guest's name (report mode: the ``##`` section title); ``""`` for overview
                    and back matter
organization        guest's organisation; ``""`` when none is given
interview_title     the ``##`` heading without 《》
role                ``overview`` | ``intro`` | ``question`` | ``answer`` | ``table`` | ``caption``
                    | ``back_matter`` (statistics read ``answer`` rows only)
question_id         ``{document}-Q{n:02d}`` for a question and the answers under it, else ``""``
question            the question text (for questions and their answers), else ``""``
paragraph_index     0-based index of the paragraph within its question / section
text                the unit's text with Markdown and HTML markup and URLs removed; a table's
                    rows one per line, cells joined by `` | ``
highlights          JSON list of the bold (``**…**``) spans in the unit, markup removed
char_start          offset of the unit's first character in the raw file's text
char_end            offset one past its last character: ``raw[char_start:char_end]``
is_quote            ``True`` for a paragraph inside a ``>`` block quote (marker removed)
links               JSON list of the URLs in the unit (link targets and bare URLs), in order
section_path        titles of the headings above the unit, `` › ``-joined, from its ``##``
                    (the ``#`` title in a chapter without ``##``); guest lines excluded
language            the document's language, ``zh`` | ``en`` (the same on every row of a
                    document; see :func:`document_language`)
==================  ======================================================================

**Language.** A document's language is, in order of precedence: ``language:`` in its YAML
front matter; ``language:`` in the profile (``zh`` or ``en``; ``auto``, the default, defers
to the text); else detected from the text: ``zh`` when CJK characters make up at least
:data:`CJK_SHARE_ZH` (a quarter) of the letters (CJK characters + Latin letters) of its prose
units (overview, intro, question, answer), ``en`` otherwise. One Chinese character carries
about as much as a short English word, so a Chinese chapter full of ``ARR``/``PLG``/``AI``
still has a CJK share far above a quarter (the embedded chapter: 0.97; the 2023 development
chapter: 0.91), and an English translation that keeps a few Chinese names stays far below it.

``clean_markup(raw[char_start:char_end])`` gives back ``text`` and ``highlights`` for every row.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import pandas as pd
import yaml
from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.parser_inline import ParserInline
from markdown_it.rules_inline.state_inline import Scanned, StateInline
from markdown_it.token import Token

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
    "is_quote",
    "links",
    "section_path",
    "language",
]
ROLES = ("overview", "intro", "question", "answer", "table", "caption", "back_matter")
#: the languages a document can be in (the ``language`` column); the codebook has terms per language
LANGUAGES = ("zh", "en")
#: a document is Chinese when CJK characters are at least this share of its prose's letters
CJK_SHARE_ZH = 0.25
#: the roles whose text is the document's own prose (tables, captions and references may quote anything)
PROSE_ROLES = ("overview", "intro", "question", "answer")
SECTION_SEPARATOR = " › "

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r|$)")
_SPACES = re.compile(r"[ \t]*(?:\r\n|\n|\r)[ \t]*")
# A bare URL: ASCII URL characters only, so it ends where Chinese text resumes.
_URL = re.compile(r"[ \t]?(?P<url>(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+)|(?P<mark>\ue000)")
_LINK_MARK = "\ue000"  # where a link's target stood (a private-use character: never in the text)
_URL_TAIL = ".,;:!?'\")]"  # punctuation after a URL belongs to the sentence


# --------------------------------------------------------------------------------------------
# Markdown: CommonMark with GFM tables, and emphasis that works in Chinese
# --------------------------------------------------------------------------------------------

def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF
            or 0xFE30 <= code <= 0xFE4F or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x3FFFF)


class _CjkStateInline(StateInline):
    """CommonMark will not close ``**重点句。**还有``: a run after punctuation must be followed by
    space or punctuation to close. Chinese puts no space there, so a CJK character beside the run
    counts as a boundary too (the rule of the CommonMark "CJK-friendly" amendment)."""

    def scanDelims(self, start: int, canSplitWord: bool) -> Scanned:
        pos = start
        while pos < self.posMax and self.src[pos] == self.src[start]:
            pos += 1
        last = self.src[start - 1] if start > 0 else " "
        nxt = self.src[pos] if pos < self.posMax else " "
        last_punct = isMdAsciiPunct(ord(last)) or isPunctChar(last)
        next_punct = isMdAsciiPunct(ord(nxt)) or isPunctChar(nxt)
        last_space, next_space = isWhiteSpace(ord(last)), isWhiteSpace(ord(nxt))
        left = not next_space and (not next_punct or last_space or last_punct or _is_cjk(last))
        right = not last_space and (not last_punct or next_space or next_punct or _is_cjk(nxt))
        can_open = left and (canSplitWord or not right or last_punct)
        can_close = right and (canSplitWord or not left or next_punct)
        return Scanned(can_open, can_close, pos - start)


class _CjkParserInline(ParserInline):
    # ParserInline.parse builds a plain StateInline; this is that method with our state class.
    # Both are markdown-it-py internals (tested against 4.x): the tests on "**…。**还" catch a change.
    def parse(self, src, md, env, tokens):  # noqa: ANN001 — the base class's signature
        state = _CjkStateInline(src, md, env, tokens)
        self.tokenize(state)
        for rule in self.ruler2.getRules(""):
            rule(state)
        return state.tokens


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark")
    md.inline = _CjkParserInline()
    md.configure("commonmark").enable(["table", "strikethrough"])  # the preset's rules, on our parser
    # Chinese authors indent paragraphs; a four-space indent is prose here, not a code block.
    md.disable("code")
    return md


_MD = _markdown()


# --------------------------------------------------------------------------------------------
# Block reader
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    """One block of the chapter, in document order.

    ``kind`` is ``front_matter`` | ``heading`` | ``paragraph`` | ``list_item`` | ``table`` |
    ``html`` | ``code`` | ``rule`` | ``embedded_question`` (an interviewer's follow-up cut out of a
    paragraph, see :func:`split_embedded_questions`). ``raw[char_start:char_end]`` is the block's
    source (for a heading: its title; for a paragraph: its lines, list or quote marker before the
    first line excluded). ``text`` is the inline content with markup removed.
    """

    kind: str
    char_start: int
    char_end: int
    text: str = ""
    level: int = 0  # heading level
    source: str = ""  # inline source (a heading's title as written)
    highlights: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    quoted: bool = False  # inside a block quote
    italic: bool = False  # the whole paragraph is emphasised (_…_)


class _Inline(NamedTuple):
    text: str
    highlights: tuple[str, ...]
    links: tuple[str, ...]
    italic: bool


def _line_spans(raw: str) -> list[tuple[int, int]]:
    """(start, end) of every line, line break excluded; ``\\r\\n``, ``\\n`` and ``\\r`` all end one."""
    spans = []
    for match in _LINE.finditer(raw):
        if match.start() == match.end():
            break
        spans.append((match.start(), match.start() + len(match.group(0).rstrip("\r\n"))))
    return spans


def _front_matter_lines(raw: str, lines: list[tuple[int, int]]) -> int:
    """How many lines the YAML front matter (with any blank lines before it) takes, 0 if none."""
    first = next((i for i, (s, e) in enumerate(lines) if raw[s:e].strip()), None)
    if first is None or raw[slice(*lines[first])].strip() != "---":
        return 0
    for i in range(first + 1, len(lines)):
        if raw[slice(*lines[i])].strip() in ("---", "..."):
            return i + 1
    return 0  # an unclosed '---' is a thematic break, not front matter


def _join_lines(text: str) -> str:
    def _joiner(match: re.Match) -> str:
        before = text[match.start() - 1] if match.start() > 0 else ""
        after = text[match.end()] if match.end() < len(text) else ""
        # A space survives only between two Latin/digit characters ("AI\nInfra" → "AI Infra").
        return " " if before.isascii() and before.isalnum() and after.isascii() and after.isalnum() else ""

    return _SPACES.sub(_joiner, text)


def _take_urls(text: str, links: list[str], hrefs: list[str] | None = None) -> str:
    """Remove bare URLs from ``text`` (with one space before them) and put them in ``links``,
    in document order with the targets of the links marked by ``_LINK_MARK`` (``hrefs``)."""
    hrefs = list(hrefs or [])

    def _take(match: re.Match) -> str:
        if match.group("mark"):
            links.append(hrefs.pop(0) if hrefs else "")
            return ""
        url = match.group("url").rstrip(_URL_TAIL)
        links.append(url)
        return match.group("url")[len(url):]

    return _URL.sub(_take, text)


def _render_inline(children: list[Token]) -> _Inline:
    """Plain text of an inline token stream: bold spans and URLs collected; images, inline
    HTML and URLs dropped (a link keeps its text)."""
    parts: list[str] = []
    bold_starts: list[int] = []
    highlights, hrefs = [], []
    for token in children:
        if token.type == "link_open" and token.markup != "autolink":  # an autolink's text is its URL
            parts.append(_LINK_MARK)
            hrefs.append(str(token.attrGet("href") or ""))
        elif token.type == "strong_open":
            bold_starts.append(len(parts))
        elif token.type == "strong_close" and bold_starts:
            inner = _take_urls(_join_lines("".join(parts[bold_starts.pop():])), []).strip()
            if inner:
                highlights.append(inner)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif token.type in ("text", "text_special", "code_inline"):
            parts.append(token.content)
    links: list[str] = []
    # an unmatched '**' is a typo, not text
    text = _take_urls(_join_lines("".join(parts).replace("**", "")), links, hrefs).strip()
    return _Inline(text, tuple(highlights), tuple(dict.fromkeys(links)), _wholly_emphasised(children))


def _wholly_emphasised(children: list[Token]) -> bool:
    """True when one ``_…_``/``*…*`` span covers the whole inline content."""
    tokens = [t for t in children if not (t.type == "text" and not t.content.strip())]
    if len(tokens) < 2 or tokens[0].type != "em_open" or tokens[-1].type != "em_close":
        return False
    depth = 0
    for token in tokens[:-1]:
        depth += {"em_open": 1, "em_close": -1}.get(token.type, 0)
        if depth == 0:
            return False
    return True


def _table_text(rows: list[list[str]]) -> str:
    """One line per row, cells joined by `` | ``; rows with no text (image grids) dropped."""
    return "\n".join(" | ".join(cells) for cells in rows if any(cells))


#: Tags that end a run of text in an HTML block (inline tags such as <b> or <span> do not).
_HTML_BREAKS = frozenset("address article aside blockquote br center dd div dl dt figcaption figure footer "
                         "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table td th tr ul".split())


def _advance(position: tuple[int, int], text: str) -> tuple[int, int]:
    """(line, column) after ``text`` when it starts at ``position``."""
    lines = text.split("\n")
    if len(lines) == 1:
        return position[0], position[1] + len(text)
    return position[0] + len(lines) - 1, len(lines[-1])


class _HtmlText(HTMLParser):
    """Where an HTML block's text runs are (line, column from 1, 0), or its table cells if it
    holds a table. Comments, scripts and styles are not text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.runs: list[list[tuple[int, int]]] = []  # [start, end] of each run of text
        self.parts: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.links: list[str] = []
        self.hidden = 0
        self.in_run = False

    def handle_starttag(self, tag: str, attrs) -> None:  # noqa: ANN001 — HTMLParser's signature
        self.in_run &= tag not in _HTML_BREAKS
        if tag in ("script", "style"):
            self.hidden += 1
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        self.in_run &= tag not in _HTML_BREAKS
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in ("td", "th") and self.cell is not None:
            if not self.rows:
                self.rows.append([])
            self.rows[-1].append(_plain_html("".join(self.cell), self.links))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.cell is not None:
            self.cell.append(data)
            return
        self.parts.append(data)
        if not data.strip():
            return
        start = _advance(self.getpos(), data[: len(data) - len(data.lstrip())])
        end = _advance(self.getpos(), data.rstrip())
        if self.in_run:
            self.runs[-1][1] = end
        else:
            self.runs.append([start, end])
            self.in_run = True


def _plain_html(text: str, links: list[str]) -> str:
    text = re.sub(r"[ \t]+", " ", _join_lines(text.replace("**", "")))
    return _take_urls(text, links).strip()


def _read_html(content: str) -> _HtmlText:
    parser = _HtmlText()
    parser.feed(content)
    parser.close()
    return parser


class _Reader:
    """Turns markdown-it's token stream into blocks with spans into the raw text."""

    def __init__(self, raw: str, lines: list[tuple[int, int]], first_line: int):
        self.raw, self.lines, self.first_line = raw, lines, first_line
        self.quote_depth = self.item_depth = 0
        self.blocks: list[Block] = []

    def line(self, index: int) -> tuple[int, int]:
        return self.lines[self.first_line + index]

    def span(self, token: Token, content: str, after: int = 0) -> tuple[int, int]:
        """From the first character of ``content`` in the token's first line to the end of
        its last content line (list and quote markers before the content excluded)."""
        first_start, first_end = self.line(token.map[0])
        head = content.split("\n", 1)[0]
        at = self.raw.find(head, first_start + after, first_end) if head else -1
        if at < 0:
            text = self.raw[first_start:first_end]
            at = first_start + len(text) - len(text.lstrip())
        last = token.map[0] + content.count("\n")
        last_start, last_end = self.line(min(last, token.map[1] - 1))
        return at, last_start + len(self.raw[last_start:last_end].rstrip())

    def lines_span(self, token: Token) -> tuple[int, int]:
        """The token's whole lines, white space around them excluded."""
        start, end = self.line(token.map[0])[0], self.line(token.map[1] - 1)[1]
        while start < end and self.raw[start].isspace():
            start += 1
        return start, start + len(self.raw[start:end].rstrip())

    def add_inline(self, kind: str, token: Token, inline: Token, after: int = 0, **extra) -> None:
        start, end = self.span(token, inline.content, after)
        rendered = _render_inline(inline.children or [])
        self.blocks.append(Block(kind, start, end, rendered.text, source=inline.content,
                                 highlights=rendered.highlights, links=rendered.links,
                                 quoted=self.quote_depth > 0, italic=rendered.italic, **extra))

    def add_lines(self, kind: str, token: Token, text: str = "", links: tuple[str, ...] = ()) -> None:
        start, end = self.lines_span(token)
        self.blocks.append(Block(kind, start, end, text, source=token.content, links=links,
                                 quoted=self.quote_depth > 0))

    def add_html(self, token: Token) -> None:
        """An HTML table is a table; otherwise each run of text between block-level tags is a
        block of its own (a <center> caption, a stray sentence after it), with its own span."""
        html = _read_html(token.content)
        if html.rows:
            self.add_lines("table", token, _table_text(html.rows), tuple(dict.fromkeys(html.links)))
            return
        if self.quote_depth or self.item_depth or not html.runs:  # in a quote or list item the
            # content lost its markers or indent, so its columns no longer match the raw lines
            text = _plain_html("".join(html.parts), html.links)
            self.add_lines("html", token, text, tuple(dict.fromkeys(html.links)))
            return
        for (start_line, start_col), (end_line, end_col) in html.runs:
            start = self.line(token.map[0] + start_line - 1)[0] + start_col
            end = self.line(token.map[0] + end_line - 1)[0] + end_col
            content = _unit_content(self.raw[start:end])
            self.blocks.append(Block("html", start, end, content.text, source=self.raw[start:end],
                                     highlights=content.highlights, links=content.links))

    def add_table(self, tokens: list[Token], i: int) -> None:
        rows: list[list[str]] = []
        links: list[str] = []
        for token in tokens[i:]:
            if token.type == "table_close":
                break
            if token.type == "tr_open":
                rows.append([])
            elif token.type == "inline":
                rendered = _render_inline(token.children or [])
                rows[-1].append(rendered.text)
                links += rendered.links
        self.add_lines("table", tokens[i], _table_text(rows), tuple(dict.fromkeys(links)))

    def read(self, tokens: list[Token]) -> list[Block]:
        for i, token in enumerate(tokens):
            self.quote_depth += {"blockquote_open": 1, "blockquote_close": -1}.get(token.type, 0)
            self.item_depth += {"list_item_open": 1, "list_item_close": -1}.get(token.type, 0)
            if token.type == "heading_open":
                level = int(token.tag[1])
                self.add_inline("heading", token, tokens[i + 1], level if token.markup.startswith("#") else 0, level=level)
            elif token.type == "paragraph_open":
                self.add_inline("list_item" if self.item_depth else "paragraph", token, tokens[i + 1])
            elif token.type == "html_block":
                self.add_html(token)
            elif token.type in ("fence", "hr"):
                self.add_lines("code" if token.type == "fence" else "rule", token)
            elif token.type == "table_open":
                self.add_table(tokens, i)
        return self.blocks


def read_blocks(raw: str) -> list[Block]:
    """Read a chapter's raw text into blocks (see :class:`Block`); spans index into ``raw``."""
    if raw.startswith("\ufeff"):
        raw = " " + raw[1:]  # same length, so every offset still points into the caller's text
    lines = _line_spans(raw)
    skip = _front_matter_lines(raw, lines)
    blocks = []
    if skip:
        start, end = lines[0][0], lines[skip - 1][1]
        blocks.append(Block("front_matter", start, end, source=raw[start:end]))
    if skip >= len(lines):
        return blocks
    body = raw[lines[skip][0]:]
    return blocks + _Reader(raw, lines, skip).read(_MD.parse(body))


#: Blocks that can carry a unit's text.
TEXT_BLOCKS = ("paragraph", "list_item", "table", "html")


def _unit_content(source: str) -> _Inline:
    """Text, highlights and links of a unit's raw source, read as the chapter is read."""
    blocks = [b for b in read_blocks(source) if b.text and b.kind in (*TEXT_BLOCKS, "heading")]
    if len(blocks) == 1:
        only = blocks[0]
        return _Inline(only.text, only.highlights, only.links, only.italic)
    text = _join_lines("\n".join(b.text for b in blocks)).strip()
    links = tuple(dict.fromkeys(link for b in blocks for link in b.links))
    return _Inline(text, tuple(h for b in blocks for h in b.highlights), links, False)


def clean_markup(text: str) -> tuple[str, list[str]]:
    """Remove Markdown from a unit's source; return its plain text and its bold spans.

    The source is read as the parser reads the chapter, so for every row of the segments table
    ``clean_markup(raw[char_start:char_end]) == (text, highlights)``. Images, HTML tags and
    URLs vanish, links keep their text, bold and italic markers are dropped. Line breaks inside
    a paragraph are joined (Chinese needs no space there).
    """
    content = _unit_content(text)
    return content.text, list(content.highlights)


# --------------------------------------------------------------------------------------------
# Conventions as data: the profile
# --------------------------------------------------------------------------------------------

_PROFILE_LISTS = ("guest_labels", "question_prefixes", "overview_headings", "back_matter_headings")
_PROFILE_PATTERNS = ("interview_title", "caption")
# Numbering before a heading's title: 一. / 1. / 1.2 / （一） / 第一章 (a bare 一 is a word, not a number)
_NUMBERING = re.compile(r"^(?:第[一二三四五六七八九十百零〇\d]+[章节部分篇]|[(（][一二三四五六七八九十百零〇\d]+[)）]"
                        r"|[一二三四五六七八九十百零〇]+[.、．]|\d+(?:\.\d+)*(?:[.、．)）]|(?=\s)))\s*")
_MENTION = re.compile(r"@[^\s@]+")
_SENTENCE = re.compile(r"[。，！？；!?;]")  # a guest's name holds no sentence punctuation
_MAX_NAME_CHARS = 40


@dataclass(frozen=True)
class Profile:
    """A chapter's conventions (see ``lexicons/profile.yaml``), compiled."""

    guest_line: re.Pattern
    question_prefix: re.Pattern
    interview_title: re.Pattern
    caption: re.Pattern
    overview_headings: frozenset[str]
    back_matter_headings: frozenset[str]
    caption_max_chars: int = 80
    language: str = "auto"  # zh | en | auto (detect each document's language from its text)

    def heading_key(self, title: str) -> str:
        """A heading's title as the profile's lists name it: numbering, @mentions and a
        trailing colon removed, case folded."""
        title = _NUMBERING.sub("", _MENTION.sub("", title).strip())
        return title.strip().rstrip(":：").strip().casefold()

    def is_overview(self, title: str) -> bool:
        return self.heading_key(title) in self.overview_headings

    def is_back_matter(self, title: str) -> bool:
        return self.heading_key(title) in self.back_matter_headings

    def is_caption(self, text: str) -> bool:
        return len(text) <= self.caption_max_chars and bool(self.caption.match(text)) and not text.endswith("。")


def default_profile_path() -> Path:
    return Path(str(resources.files("analysis") / "lexicons" / "profile.yaml"))


@lru_cache(maxsize=1)
def default_profile() -> Profile:
    return load_profile()


def _profile_fields(path: Path, data: object) -> dict[str, list[str]]:
    """Every language's entries, field by field, checked: a bad entry names its language and field."""
    languages = data.get("languages") if isinstance(data, dict) else None
    if not isinstance(languages, dict) or not languages:
        raise InputError(path, "expected a 'languages:' mapping of language → conventions")
    fields: dict[str, list[str]] = {name: [] for name in (*_PROFILE_LISTS, *_PROFILE_PATTERNS)}
    for language, entries in languages.items():
        if not isinstance(entries, dict):
            raise InputError(path, f"language '{language}': expected a mapping of conventions")
        for name, value in entries.items():
            if name not in fields:
                raise InputError(path, f"language '{language}': unknown field '{name}' (known: {', '.join(fields)})")
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str) and v.strip() for v in values):
                raise InputError(path, f"language '{language}', field '{name}': expected non-empty text")
            for pattern in values if name in _PROFILE_PATTERNS else []:
                try:
                    re.compile(pattern)
                except re.error as err:
                    raise InputError(path, f"language '{language}', field '{name}': invalid regex ({err})") from None
            fields[name] += values
    return fields


def _either(patterns: list[str], flags: int = 0) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)", flags)


def load_profile(path: Path | str | None = None) -> Profile:
    """Read a profile YAML file (default: the package's ``lexicons/profile.yaml``)."""
    path = Path(path) if path else default_profile_path()
    if not path.is_file():
        raise InputError(path, "profile file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise InputError(path, f"not valid YAML ({str(err).splitlines()[0]})") from None
    fields = _profile_fields(path, data)
    labels = "|".join(re.escape(label) for label in sorted(fields["guest_labels"], key=len, reverse=True))
    max_chars = data.get("caption_max_chars", 80)
    if not isinstance(max_chars, int) or max_chars <= 0:
        raise InputError(path, "field 'caption_max_chars': expected a positive whole number")
    language = data.get("language", "auto")
    if language not in ("auto", *LANGUAGES):
        raise InputError(path, f"field 'language': expected auto, {' or '.join(LANGUAGES)}, got {language!r}")
    return Profile(
        guest_line=re.compile(rf"^(?:{labels or '(?!)'})[ \t]*[:：][ \t]*(?P<name>[^（(]*?)[ \t]*"
                              r"(?:[（(][ \t]*(?P<org>[^）)]*?)[ \t]*[）)])?[ \t]*$", re.IGNORECASE),
        question_prefix=re.compile(rf"^(?:{'|'.join(map(re.escape, fields['question_prefixes'])) or '(?!)'})"
                                   r"\d*[ \t]*[:：.、][ \t]*", re.IGNORECASE),
        interview_title=_either(fields["interview_title"]),
        caption=_either(fields["caption"], re.IGNORECASE),
        overview_headings=frozenset(h.casefold() for h in fields["overview_headings"]),
        back_matter_headings=frozenset(h.casefold() for h in fields["back_matter_headings"]),
        caption_max_chars=max_chars,
        language=language,
    )


# --------------------------------------------------------------------------------------------
# Pre-pass: interviewer follow-ups embedded in an answer paragraph
# --------------------------------------------------------------------------------------------

def _trimmed(raw: str, start: int, end: int) -> tuple[int, int]:
    while start < end and raw[start].isspace():
        start += 1
    while end > start and raw[end - 1].isspace():
        end -= 1
    return start, end


def _piece(raw: str, kind: str, start: int, end: int, like: Block) -> Block | None:
    """A block for raw[start:end] (trimmed), its text read from the raw text; None if empty."""
    start, end = _trimmed(raw, start, end)
    content = _unit_content(raw[start:end])
    if not content.text:
        return None
    return replace(like, kind=kind, char_start=start, char_end=end, text=content.text,
                   source=raw[start:end], highlights=content.highlights, links=content.links, italic=False)


def split_embedded_questions(blocks: list[Block], raw: str, questions: list[str]) -> list[Block]:
    """Cut each listed follow-up (exact raw text) out of the paragraph that holds it: the
    paragraph becomes the part before, an ``embedded_question`` block, and the part after."""
    if not questions:
        return blocks
    result = []
    for block in blocks:
        hits = sorted((at, q) for q in questions if block.kind == "paragraph"
                      and (at := raw.find(q, block.char_start, block.char_end)) >= 0)
        if not hits:
            result.append(block)
            continue
        start = block.char_start
        for at, question in hits:
            result += [b for b in (_piece(raw, "paragraph", start, at, block),
                                   _piece(raw, "embedded_question", at, at + len(question), block)) if b]
            start = at + len(question)
        result += [b for b in [_piece(raw, "paragraph", start, block.char_end, block)] if b]
    return result


# --------------------------------------------------------------------------------------------
# Role pass
# --------------------------------------------------------------------------------------------

@dataclass
class Context:
    """Where the role pass is in the chapter: what every unit it emits is attributed to."""

    document: str
    profile: Profile
    section: str | None = None  # None before any section, else overview | interview | report | back_matter
    guest: str = ""
    organization: str = ""
    interview_title: str = ""
    question_id: str = ""
    question: str = ""
    paragraph_index: int = 0
    questions: int = 0  # questions asked so far, for the next question's id
    headings: dict[int, str] = field(default_factory=dict)  # level → title of the headings above
    back_matter_level: int | None = None  # level of the back-matter heading the units are under

    def enter_section(self, section: str, guest: str, title: str) -> None:
        self.section, self.guest, self.interview_title = section, guest, title
        self.organization, self.question_id, self.question, self.paragraph_index = "", "", "", 0

    def under_heading(self, block: Block) -> None:
        """Track the headings above the next units (section path, back matter)."""
        if self.back_matter_level is not None and block.level <= self.back_matter_level:
            self.back_matter_level = None
        if self.profile.is_back_matter(block.text) and self.back_matter_level is None:
            self.back_matter_level = block.level
        # the '#' title names the section only in a chapter without '##' sections
        self.headings = {level: title for level, title in self.headings.items() if 1 < level < block.level}
        self.headings[block.level] = block.text

    def row(self, role: str, unit: Block) -> dict:
        asked = role in ("question", "answer")
        return {
            "document": self.document,
            "guest": self.guest,
            "organization": self.organization,
            "interview_title": self.interview_title,
            "role": role,
            "question_id": self.question_id if asked else "",
            "question": self.question if asked else "",
            "paragraph_index": self.paragraph_index if role != "question" else 0,
            "text": unit.text,
            "highlights": json.dumps(list(unit.highlights), ensure_ascii=False),
            "char_start": unit.char_start,
            "char_end": unit.char_end,
            "is_quote": unit.quoted,
            "links": json.dumps(list(unit.links), ensure_ascii=False),
            "section_path": SECTION_SEPARATOR.join(self.headings[level] for level in sorted(self.headings)),
        }


def _ask(ctx: Context, unit: Block) -> dict:
    """A question unit; the answers that follow belong to it."""
    ctx.questions += 1
    ctx.question_id, ctx.question, ctx.paragraph_index = f"{ctx.document}-Q{ctx.questions:02d}", unit.text, 0
    return ctx.row("question", unit)


def _ask_heading(ctx: Context, block: Block, raw: str) -> dict:
    """A question heading: its title, a ``Q：`` prefix excluded from the unit."""
    prefix = ctx.profile.question_prefix.match(block.source)
    start = block.char_start + (prefix.end() if prefix else 0)
    content = _unit_content(raw[start:block.char_end])
    return _ask(ctx, replace(block, char_start=start, text=content.text, highlights=content.highlights,
                             links=content.links))


def _guest_line(profile: Profile, block: Block) -> re.Match | None:
    """A heading, or a paragraph on its own, naming the guest (``访谈嘉宾：姓名（机构）``).
    A sentence after the label (``嘉宾：今天我们请到了…。``) is prose, not a name."""
    if block.kind != "heading" and not (block.kind == "paragraph" and "\n" not in block.source.strip()):
        return None
    match = profile.guest_line.match(block.text)
    if match and (len(match.group("name")) > _MAX_NAME_CHARS or _SENTENCE.search(match.group("name"))):
        return None
    return match


def _interview_heading(ctx: Context, block: Block, raw: str) -> list[dict]:
    if block.level == 2:
        interview = ctx.profile.interview_title.match(block.text)
        if ctx.profile.is_overview(block.text):
            ctx.enter_section("overview", "", block.text.rstrip(":："))
        elif interview:
            ctx.enter_section("interview", "", interview.group("title"))
        else:  # an editor's section between interviews
            ctx.enter_section("overview", "", block.text)
        return []
    if ctx.section in (None, "overview"):
        return []  # a sub-heading of the overview is not an interviewer's question
    return [_ask_heading(ctx, block, raw)]


def _interview_paragraph_role(ctx: Context, block: Block) -> str:
    if ctx.section == "interview" and not ctx.question_id:
        return "intro"  # the editor's summary before the first question
    if block.italic:
        return "intro"
    return "overview" if ctx.section == "overview" else "answer"


def _report_heading(ctx: Context, block: Block, raw: str) -> list[dict]:
    if block.level == 2:
        if ctx.profile.is_overview(block.text):
            ctx.enter_section("overview", "", block.text.rstrip(":："))
        else:
            ctx.enter_section("report", block.text, block.text)
        return []
    if ctx.section is None:
        return []
    return [_ask_heading(ctx, block, raw)]


def _report_paragraph_role(ctx: Context, block: Block) -> str:
    return "overview" if ctx.section == "overview" else "answer"


class _Rules(NamedTuple):
    heading: Callable[[Context, Block, str], list[dict]]
    paragraph_role: Callable[[Context, Block], str]
    title_opens_section: bool  # text under the '#' title, before any '##', is a section of its own


INTERVIEW_RULES = _Rules(_interview_heading, _interview_paragraph_role, False)
REPORT_RULES = _Rules(_report_heading, _report_paragraph_role, True)


def _heading_units(ctx: Context, block: Block, raw: str, rules: _Rules) -> list[dict]:
    if not block.text or _guest_line(ctx.profile, block):
        return []
    ctx.under_heading(block)
    if block.level <= 2 and ctx.back_matter_level is not None:
        ctx.enter_section("back_matter", "", block.text)
        return []
    if block.level == 1:
        if rules.title_opens_section:
            ctx.enter_section("report", block.text, block.text)
        return []
    if block.level == 2:
        ctx.question_id = ctx.question = ""
    if ctx.back_matter_level is not None:
        return []  # a heading inside the references is not a question
    return rules.heading(ctx, block, raw)


def _units(ctx: Context, block: Block, raw: str, rules: _Rules) -> list[dict]:
    """The rows one block contributes, updating the context."""
    if block.kind == "heading":
        return _heading_units(ctx, block, raw, rules)
    if block.kind == "embedded_question":
        return [_ask(ctx, block)]
    if block.kind not in TEXT_BLOCKS or ctx.section is None or not block.text or _guest_line(ctx.profile, block):
        return []
    role = _block_role(ctx, block, rules)
    row = ctx.row(role, block)
    ctx.paragraph_index += role == "answer"
    return [row]


def _block_role(ctx: Context, block: Block, rules: _Rules) -> str:
    """Back matter, tables and captions are never prose, whoever's section they are in."""
    if ctx.back_matter_level is not None:
        return "back_matter"
    if block.kind == "table":
        return "table"
    if block.kind in ("paragraph", "html") and ctx.profile.is_caption(block.text):
        return "caption"
    return rules.paragraph_role(ctx, block)


def _line_number(raw: str, offset: int) -> int:
    return len(_line_spans(raw[:offset])) + (offset == 0 or raw[offset - 1] in "\r\n")


def _guests(blocks: list[Block], raw: str, document: str, profile: Profile) -> list[Block]:
    """The guest lines of an interview chapter (none for a report); a nameless one is an error."""
    guests = [b for b in blocks if _guest_line(profile, b)]
    for block in guests:
        if not _guest_line(profile, block).group("name"):
            raise StructureError(document, f"line {_line_number(raw, block.char_start)}: guest line "
                                     f"'{block.text}' names no guest")
    return guests


def _set_guest(ctx: Context, block: Block) -> None:
    guest = _guest_line(ctx.profile, block)
    ctx.guest, ctx.organization = guest.group("name").strip(), (guest.group("org") or "").strip()
    # a section that names a guest is an interview, whatever its title looks like
    ctx.section = "interview"


def parse_chapter(raw: str, document: str, embedded_questions: list[str] | None = None,
                  profile: Profile | None = None) -> pd.DataFrame:
    """Parse one chapter's raw text into the segments table (see module docstring).

    ``embedded_questions`` are interviewer follow-ups that the transcript ran into a guest's
    answer paragraph (exact raw text, see ``lexicons/embedded_questions.yaml``): each becomes a
    ``question`` unit of its own, and what follows it, up to the next heading, answers it.
    ``profile`` holds the conventions (default: ``lexicons/profile.yaml``).
    """
    profile = profile or default_profile()
    questions = [q for q in (embedded_questions or []) if q.strip()]
    blocks = split_embedded_questions(read_blocks(raw), raw, questions)
    guests = _guests(blocks, raw, document, profile)
    rules = INTERVIEW_RULES if guests else REPORT_RULES
    ctx = Context(document, profile)
    rows = []
    for block in blocks:
        if block in guests:
            _set_guest(ctx, block)
        rows += _units(ctx, block, raw, rules)
    frame = _segments_frame(rows, document)
    frame["language"] = document_language(frame, _front_matter_language(blocks, document), profile.language)
    return frame


#: code-point ranges (inclusive) of the characters cjk_share counts: CJK ideographs only, and
#: Latin letters (ASCII, their full-width forms, accented Latin À–ɏ; not digits)
_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF))
_LATIN_RANGES = ((0x41, 0x5A), (0x61, 0x7A), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A), (0xC0, 0x24F))


def _count_in(codes: np.ndarray, ranges) -> int:
    return int(sum(np.count_nonzero((codes >= low) & (codes <= high)) for low, high in ranges))


def cjk_share(texts) -> float:
    """CJK ideographs / (CJK ideographs + Latin letters) over ``texts``; 0.0 when there are neither.

    Full-width Latin (``ＡＲＲ``) is counted as Latin; punctuation, digits and spaces count as
    neither, so a Chinese text's full-width punctuation does not inflate its share.
    """
    # code points as an array: a chapter's characters counted at C speed, with no regex pass or
    # list of matches (surrogates cannot be encoded: they are no letter, so they are left out)
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "ignore"), dtype="<u4")
    cjk, latin = _count_in(codes, _CJK_RANGES), _count_in(codes, _LATIN_RANGES)
    return cjk / (cjk + latin) if cjk + latin else 0.0


def document_language(segments: pd.DataFrame, declared: str | None = None, profile_language: str = "auto") -> str:
    """One document's language (see the module docstring): declared in its front matter, else
    set by the profile, else ``zh`` when CJK is at least :data:`CJK_SHARE_ZH` of the letters of
    its prose units, else ``en``."""
    if declared:
        return declared
    if profile_language != "auto":
        return profile_language
    prose = segments.loc[segments["role"].isin(PROSE_ROLES), "text"]
    return "zh" if cjk_share(prose) >= CJK_SHARE_ZH else "en"


def _front_matter_language(blocks: list[Block], document: str) -> str | None:
    """``language:`` (or ``lang:``) in the chapter's YAML front matter, if any; a value other
    than the known languages is an error naming the document."""
    front = next((b for b in blocks if b.kind == "front_matter"), None)
    if front is None:
        return None
    body = "\n".join(line for line in front.source.splitlines() if line.strip() not in ("---", "..."))
    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError:
        return None  # front matter is the author's metadata; only a language we can read is used
    if not isinstance(data, dict):
        return None
    value = data.get("language", data.get("lang"))
    if value is None:
        return None
    value = str(value).strip().lower()
    aliases = {"chinese": "zh", "zh-cn": "zh", "zh-hans": "zh", "english": "en", "en-us": "en", "en-gb": "en"}
    value = aliases.get(value, value)
    if value not in LANGUAGES:
        raise StructureError(document, f"front matter: language {value!r} is not one of {', '.join(LANGUAGES)}")
    return value


def _segments_frame(rows: list[dict], document: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[c for c in SEGMENT_COLUMNS if c != "segment_id"])
    if frame.empty or not (frame["role"] == "answer").any():
        raise StructureError(
            document,
            "no recognisable structure: expected '##' sections with '###' question or subsection "
            "headings followed by paragraphs",
        )
    frame.insert(0, "segment_id", [f"{document}-{i:04d}" for i in range(len(frame))])
    types = {"paragraph_index": "int64", "char_start": "int64", "char_end": "int64", "is_quote": "bool"}
    return frame.astype({c: t for c, t in types.items() if frame[c].dtype != t})  # (a conversion costs even when a no-op)


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


def load_chapter(file: Path, embedded_questions: dict[str, list[str]] | None = None,
                 profile: Profile | None = None) -> tuple[pd.DataFrame, str]:
    """One chapter file: (its segments, its raw text); a structure problem names the file."""
    name = document_name(file)
    raw = read_chapter_text(file)
    try:
        return parse_chapter(raw, name, (embedded_questions or {}).get(name), profile), raw
    except StructureError as err:
        raise StructureError(file, err.problem) from None


def load_corpus(path: Path | str, embedded_questions: dict[str, list[str]] | None = None,
                profile: Profile | Path | str | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read a chapter or a folder of chapters; return (segments, raw text per document).

    ``profile`` is a :class:`Profile` or the path of a profile YAML file of the user's own
    (default: ``lexicons/profile.yaml``).
    """
    if embedded_questions is None:
        embedded_questions = load_embedded_questions()
    profile = resolve_profile(profile)
    segments, raws = [], {}
    for file in chapter_files(path):
        chapter, raws[document_name(file)] = load_chapter(file, embedded_questions, profile)
        segments.append(chapter)
    return pd.concat(segments, ignore_index=True), raws


def resolve_profile(profile: Profile | Path | str | None) -> Profile:
    """A :class:`Profile` as given, read from a YAML path, or the default one."""
    if isinstance(profile, Profile):
        return profile
    return load_profile(profile) if profile else default_profile()
