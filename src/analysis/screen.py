"""Which texts a regex could match in, found with plain substring search (a regex prefilter).

The tagger's indicators are regexes matched case-insensitively, most of them behind a Latin
word-boundary lookbehind. Python's regex engine cannot skip ahead for such patterns: it tries
every position of every paragraph, and on a folder of a hundred chapters that was most of the
build. Yet almost every paragraph holds no hit of almost every indicator.

So, as grep and RE2 do, each regex is reduced to the literal strings any match must contain
(:func:`requirement`): ``(?<![A-Za-z0-9])AI\\s*编程`` needs ``ai`` and ``编程``;
``(与|和)(终端)?用户[^。,]{0,4}(接触|连接|互动)`` needs one of 与/和, and 用户, and one of
接触/连接/互动. Those strings are found in the whole corpus at once (:class:`Screen`), and the
regex itself only runs where they all are. The reduction is conservative: whatever it cannot
reason about (character ranges, lookarounds, back-references, optional parts) it treats as
"no requirement", so the screen never rules out a text the regex matches in. It only saves
time; a test checks that the tagger finds exactly what it finds without it.

Case: patterns run with ``re.IGNORECASE``. Both sides are folded with :func:`screen_fold`,
which lower-cases ASCII letters and maps the four non-ASCII characters that Python's
case-insensitive matching equates with an ASCII letter (``K`` Kelvin sign, ``İ``, ``ı``,
``ſ``); a literal holding any other cased character is not used for screening.
"""

from __future__ import annotations

import bisect
import itertools
import re
from typing import Union

import numpy as np

try:  # the regex parser of the standard library (private, stable in practice; 3.11+)
    from re import _parser as _sre
except ImportError:  # pragma: no cover
    import sre_parse as _sre  # type: ignore[no-redef]

#: every non-ASCII character that ``re.IGNORECASE`` matches with an ASCII letter, found by
#: trying each letter against every code point (tests/test_screen.py repeats that search)
_CASE_TWINS = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}
_FOLD = {**{ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, **{ord(k): v for k, v in _CASE_TWINS.items()}}
#: joins the texts of a corpus for one search; no literal contains it, so none spans two texts
SEPARATOR = "\x00"
#: stands for a run of non-ASCII characters in the copy searched for ASCII literals
_ELSEWHERE = "\x01"
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")

#: a requirement: True (none known), a literal string, or ("and"|"or", [requirements])
Requirement = Union[bool, str, tuple]


def screen_fold(text: str) -> str:
    """``text`` with ASCII letters lower-cased and their case-insensitive twins mapped to them."""
    return text.translate(_FOLD)


def _usable(char: str) -> bool:
    """A pattern character the screen can look for: ASCII, or a character without case."""
    if char in (SEPARATOR, _ELSEWHERE):
        return False
    return char.isascii() or (char.lower() == char == char.upper() and char not in _CASE_TWINS)


def _all(parts: list[Requirement]) -> Requirement:
    parts = [p for p in parts if p is not True]
    return True if not parts else parts[0] if len(parts) == 1 else ("and", parts)


def _any(parts: list[Requirement]) -> Requirement:
    # never a single part: the parser makes a one-way branch or a one-character set a literal
    return True if not parts or any(p is True for p in parts) else ("or", parts)


def _sequence(items) -> Requirement:
    parts, run = [], []
    for op, av in items:
        if op is _sre.LITERAL and _usable(chr(av)):
            run.append(chr(av))
            continue
        if run:
            parts.append(screen_fold("".join(run)))
            run = []
        parts.append(_item(op, av))
    if run:
        parts.append(screen_fold("".join(run)))
    return _all(parts)


def _item(op, av) -> Requirement:
    if op is _sre.SUBPATTERN:
        return _sequence(av[3])
    if op is _sre.ATOMIC_GROUP:
        return _sequence(av)
    if op is _sre.BRANCH:
        return _any([_sequence(alternative) for alternative in av[1]])
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        low, _, body = av
        return _sequence(body) if low >= 1 else True
    if op is _sre.IN and av and all(kind is _sre.LITERAL and _usable(chr(code)) for kind, code in av):
        return _any([screen_fold(chr(code)) for _, code in av])  # a set of single characters: 与|和
    return True  # classes, ranges, any character, anchors, lookarounds, back-references


def requirement(pattern: re.Pattern | str) -> Requirement:
    """What any match of ``pattern`` must contain, as folded literal strings joined by and/or
    (True: nothing known, the regex must run everywhere)."""
    try:
        compiled = re.compile(pattern)  # a pattern string is read with its inline flags only
        return _sequence(_sre.parse(compiled.pattern, compiled.flags))
    except Exception:  # noqa: BLE001 - a pattern the parser cannot read here is simply not screened
        return True


class Screen:
    """The texts of a corpus folded and joined once; answers "which texts could this regex
    match in" as a boolean array over the texts.

    A literal of ASCII characters only is looked for in a copy where every run of other
    characters is one :data:`_ELSEWHERE` mark: in a Chinese corpus that copy is a sixth as
    long, and no ASCII occurrence is lost or made up (the mark is in no literal).
    """

    def __init__(self, texts: list[str]):
        self.size = len(texts)
        folded = [screen_fold(t) for t in texts]
        self._full = self._searchable(folded)
        self._ascii = self._searchable([_NON_ASCII_RUN.sub(_ELSEWHERE, t) for t in folded])
        self._cache: dict[str, np.ndarray] = {}

    @staticmethod
    def _searchable(texts: list[str]) -> tuple[str, list[int]]:
        """The texts joined, and where each starts (by length: a text may hold the separator)."""
        return SEPARATOR.join(texts), list(itertools.accumulate((len(t) + 1 for t in texts[:-1]), initial=0))

    def containing(self, literal: str) -> np.ndarray:
        """Which texts contain ``literal`` (already folded)."""
        if literal not in self._cache:
            mask = np.zeros(self.size, dtype=bool)
            joined, starts = self._ascii if literal.isascii() else self._full
            find, at = joined.find, joined.find(literal)
            while at >= 0:  # one find per text that holds it: skip to the next text
                text = bisect.bisect_right(starts, at) - 1
                mask[text] = True
                at = find(literal, starts[text + 1]) if text + 1 < self.size else -1
            self._cache[literal] = mask
        return self._cache[literal]

    def candidates(self, need: Requirement) -> np.ndarray:
        """Which texts hold what ``need`` requires (every text when it is True)."""
        if need is True:
            return np.ones(self.size, dtype=bool)
        if isinstance(need, str):
            return self.containing(need)
        kind, parts = need
        masks = [self.candidates(part) for part in parts]
        return np.logical_and.reduce(masks) if kind == "and" else np.logical_or.reduce(masks)
