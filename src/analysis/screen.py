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

import itertools
import operator
import re
from functools import lru_cache, reduce
from typing import Union

import ahocorasick
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
#: never in a literal either (it once marked non-ASCII runs in a copy of the texts searched for
#: ASCII literals; the one pass over the texts needs no such copy, and literals stay printable)
_ELSEWHERE = "\x01"

_LAST_BMP = "\uffff"

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


def literals(need: Requirement) -> list[str]:
    """Every literal string ``need`` names, in order."""
    if need is True:
        return []
    if isinstance(need, str):
        return [need]
    return [literal for part in need[1] for literal in literals(part)]


def _lookup(table: dict) -> np.ndarray:
    """A ``str.translate`` table of one character for one as an array indexed by code point."""
    lookup = np.arange(max(table, default=0) + 1)
    for code, to in table.items():
        lookup[code] = to if isinstance(to, int) else ord(to)
    return lookup


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _string(codes: np.ndarray) -> str:
    return codes.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")


def _mapped(codes: np.ndarray, lookup: np.ndarray, missing) -> np.ndarray:
    """``lookup[code]`` for each code, ``missing`` for the codes past its end (an array: the code)."""
    return np.where(codes < len(lookup), lookup[np.minimum(codes, len(lookup) - 1)], missing)


def translate_all(texts: list[str], table: dict) -> list[str]:
    """``[text.translate(table) for text in texts]`` for a table mapping each of its characters
    to one character (code point or one-character string).

    ``str.translate`` looks every character of a Chinese text up in the table, one at a time
    in Python's dictionary: on a chapter that was a tenth of the tagger's time. Here the texts
    are joined, read as an array of code points and mapped in one numpy step; the mapping is
    one character for one, so the texts are cut back out at their old lengths.
    """
    codes = _code_points("".join(texts))
    joined = _string(_mapped(codes, _lookup(table), codes))
    ends = list(itertools.accumulate(map(len, texts)))
    return [joined[end - len(text):end] for text, end in zip(texts, ends)]


_FOLD_LOOKUP = _lookup(_FOLD)


@lru_cache(maxsize=64)
def _searcher(literals: tuple[str, ...]) -> tuple:
    """How to find ``literals``, made once per set of them (a process tags every chapter with
    the same codebook's):

    * an Aho–Corasick automaton that reports, at each occurrence of a literal, its index in
      ``literals`` (None when it would have no word: it could not search);
    * for the literals of one character of the Basic Multilingual Plane, an array giving at
      each code point the index of the literal of that character (-1: none). They (与, 在, a
      space) make half the occurrences; numpy finds them at once, where the automaton would
      report each one. Other characters go to the automaton, so the array stays small;
    * the length of each literal.
    """
    automaton = None
    for index, literal in enumerate(literals):
        if len(literal) > 1 or literal > _LAST_BMP:
            automaton = automaton or ahocorasick.Automaton()
            automaton.add_word(literal, index)
    if automaton is not None:
        automaton.make_automaton()
    chars = {ord(literal): index for index, literal in enumerate(literals) if len(literal) == 1 and literal <= _LAST_BMP}
    by_char = np.full(max(chars, default=0) + 1, -1, dtype=np.int32)
    by_char[list(chars)] = list(chars.values())
    return automaton, by_char, np.array([len(literal) for literal in literals], dtype=np.int64)


class Screen:
    """The texts of a corpus folded and joined once; answers "which texts could this regex
    match in", as a bit mask over the texts (:meth:`mask`: bit ``i`` is text ``i``) or as a
    boolean array (:meth:`candidates`).

    The texts holding a literal are found for many literals at once, in one pass over the
    joined texts that reports every occurrence of every literal (:func:`_searcher`): the
    literals given to the constructor (all of a codebook's), or any other on its first use.
    That replaced one ``str.find`` loop per literal, a thousand and more per chapter.
    """

    def __init__(self, texts: list[str], literals: tuple[str, ...] = ()):
        self.size = len(texts)
        # each text followed by the separator; texts are told apart by length, not by splitting
        # at the separator, since a text may hold it
        codes = _code_points("".join(text + SEPARATOR for text in texts))
        self._codes = _mapped(codes, _FOLD_LOOKUP, codes)
        self._joined = _string(self._codes)
        lengths = np.array([len(text) for text in texts], dtype=np.int64)
        self._ends = np.cumsum(lengths + 1) - 1  # where each text's separator is
        self._starts = self._ends - lengths
        self._every = (1 << self.size) - 1
        self._masks: dict[str, int] = {"": self._every}  # the empty literal is in every text
        self._find(literals)

    def _find(self, literals: tuple[str, ...]) -> None:
        """Record which texts hold each of ``literals`` (folded)."""
        literals = tuple(dict.fromkeys(literal for literal in literals if literal not in self._masks))
        automaton, by_char, lengths = _searcher(literals)
        found = np.fromiter(itertools.chain.from_iterable(automaton.iter(self._joined) if automaton else ()), dtype=np.int64)
        char = _mapped(self._codes, by_char, -1)
        at_char = np.flatnonzero(char >= 0)
        # where each occurrence ends (its last character) and which literal it is
        last, which = np.concatenate([found[0::2], at_char]), np.concatenate([found[1::2], char[at_char]])
        first = last - lengths[which] + 1
        text = np.searchsorted(self._starts, first, side="right") - 1
        inside = last < self._ends[text]  # not across the separator into the next text
        holds = np.zeros((len(literals), self.size), dtype=bool)
        holds[which[inside], text[inside]] = True
        self._masks.update(dict.fromkeys(literals, 0))
        held = np.flatnonzero(holds.any(axis=1))  # the others stay 0, without a conversion each
        for literal, bits in zip([literals[index] for index in held], np.packbits(holds[held], axis=1, bitorder="little")):
            self._masks[literal] = int.from_bytes(bits.tobytes(), "little")

    def mask(self, need: Requirement) -> int:
        """The texts holding what ``need`` requires, as a bit mask (all texts when it is True)."""
        if need is True:
            return self._every
        if isinstance(need, str):
            if need not in self._masks:
                self._find((need,))
            return self._masks[need]
        kind, parts = need
        return reduce(operator.and_ if kind == "and" else operator.or_, map(self.mask, parts))

    def table(self, masks: list[int]) -> np.ndarray:
        """Bit masks over the texts as a boolean array, one row per mask."""
        width = (self.size + 7) // 8
        bits = np.frombuffer(b"".join(mask.to_bytes(width, "little") for mask in masks), dtype=np.uint8)
        return np.unpackbits(bits.reshape(len(masks), width), axis=1, count=self.size, bitorder="little").astype(bool)

    def containing(self, literal: str) -> np.ndarray:
        """Which texts contain ``literal`` (already folded)."""
        return self.table([self.mask(literal)])[0]

    def candidates(self, need: Requirement) -> np.ndarray:
        """Which texts hold what ``need`` requires (every text when it is True)."""
        return self.table([self.mask(need)])[0]
