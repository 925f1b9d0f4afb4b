"""Stage 2 — segments → tokens, with jieba, the project dictionary and normalisation.

Schema of the tokens table (one row per token, in reading order):

==============  ==============================================================
segment_id      the segment the token comes from
sentence_index  0-based sentence number within the segment
token_index     0-based position of the token within the segment
token           the normalised token (width-folded, canonical spelling)
is_stopword     function word, filler, punctuation or number
==============  ==============================================================

Two backends cut the text into raw pieces with the same dictionary and give the same pieces:

``"jieba"``
    pure-Python jieba, the reference;
``"rjieba"`` (the default)
    the compiled port of jieba (jieba-rs) on runs of Chinese characters, an order of magnitude
    faster. The port treats Latin letters and digits differently from jieba (it keeps
    ``2022-2023`` or ``1.2.3`` whole where jieba cuts them), so those runs are cut by the
    reference instead, memoised (they are short and repeat). A test requires identical tokens
    from both backends on every chapter at hand.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import logging
import marshal
import os
import re
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .lexicon import Lexicon, fold_width, is_english_word, load_lexicon, needs_protection, phrases_regex


def _import_jieba():
    """``import jieba``, without the ``pkg_resources`` it imports only to open the files it
    ships: that deprecated module scans every installed distribution when imported (0.1 s, a
    tenth of a build's floor), and without it jieba opens the same files by path."""
    import sys

    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba
        import jieba.finalseg

        return jieba
    sys.modules["pkg_resources"] = None  # so that ``import pkg_resources`` raises ImportError
    try:
        import jieba
        import jieba.finalseg
    finally:
        del sys.modules["pkg_resources"]
    return jieba


def _compiled_jieba_class() -> type:
    """rjieba's ``Jieba``, from its compiled module: importing the package would also build a
    default instance over jieba-rs's whole dictionary (0.1 s) that this module never uses."""
    import importlib
    import importlib.machinery
    import importlib.util
    import sys

    if "rjieba.rjieba" not in sys.modules:
        try:
            package = importlib.util.find_spec("rjieba")
            finder = importlib.machinery.FileFinder(
                package.submodule_search_locations[0],
                (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES))
            spec = finder.find_spec("rjieba.rjieba")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            sys.modules["rjieba.rjieba"] = module  # what ``import rjieba`` finds later, not loaded twice
        except (AttributeError, ImportError, TypeError, IndexError):
            importlib.import_module("rjieba")  # a layout this does not know: the package, default instance and all
    return sys.modules["rjieba.rjieba"].Jieba


jieba = _import_jieba()
RustJieba = _compiled_jieba_class()

TOKEN_COLUMNS = ["segment_id", "sentence_index", "token_index", "token", "is_stopword"]
BACKENDS = ("rjieba", "jieba")
DEFAULT_BACKEND = "rjieba"

jieba.setLogLevel(logging.WARNING)

_SENTENCE_FINAL = frozenset("。!?;…")
_NUMBER = re.compile(r"^[\d.,%+\-~·]+$|^\d+(?:年|月|日|倍|万|亿|个)?$")

# jieba's own regexes, so that the compiled path splits text exactly where the reference does.
_BLOCK = jieba.re_han_default  # what jieba cuts with its dictionary: Han, Latin, digits, +#&._%-
_LATIN_RUN = re.compile(r"[a-zA-Z0-9+#&._%\-]+")  # the non-Han part of such a block
_HAN = jieba.finalseg.re_han  # 一-鿕: the only characters the compiled port is given to cut
#: CJK ideographs outside 一-鿕 (extension A, U+9FD6–9FFF, compatibility, planes 2–3): jieba
#: yields each on its own, jieba-rs treats them as Han and joins them (a test probes every
#: code point). Listed generously: where both libraries agree, cutting them out costs nothing.
_OTHER_IDEOGRAPHS = "\u3400-\u4DBF\u9FD6-\u9FFF\uF900-\uFAFF\U00020000-\U0003FFFF"
#: Stands in, in the text given to the compiled port, for something cut elsewhere (a protected
#: phrase, a Latin run, an ideograph outside 一-鿕); jieba-rs yields it as a piece of its own
#: (private use area: outside every block). The same character in the input is itself cut
#: elsewhere, so it can never be mistaken for a placeholder.
_PLACEHOLDER = "\ue000"
#: Ends each text in the one string given to the compiled port: outside every block, not
#: whitespace (a protected phrase may span whitespace), not alphanumeric (Latin boundaries).
_END = "\x00"
_CUT_ELSEWHERE = re.compile(f"[a-zA-Z0-9+#&._%\\-]+|[{_OTHER_IDEOGRAPHS}{_PLACEHOLDER}{_END}]")
_LATIN_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+#&._%-")
#: Text the compiled port cuts on two threads or more (jieba-rs lets go of the GIL while it
#: cuts): about ten chapters. Below that, starting a thread costs more than it saves.
PARALLEL_CUT_CHARS = 250_000
#: A dummy word (never in a block, so never matched) whose frequency evens out the totals.
_PADDING_WORD = "\ue001"
_FULL_WIDTH = re.compile("[\uFF01-\uFF5E\u3000]")
#: English words jieba would cut apart, kept whole like protected phrases: hyphenated compounds
#: (open-source, product-led, COVID-19) and words with an apostrophe (don't, company's, users').
#: jieba gives open / - / source and company / ' / s. Numbers (2022-2023) start with a digit and
#: are left to jieba.
#: (Used at a Latin word boundary: see ``phrases_regex``.)
_ENGLISH_COMPOUND = r"[A-Za-z][A-Za-z0-9]*(?:(?:[-'’][A-Za-z0-9]+)+(?:(?<=[sS])['’])?|(?<=[sS])['’])(?![A-Za-z0-9])"


def _fold_many(texts: list[str]) -> list[str]:
    """:func:`fold_width` of each text, in one pass over all of them: ``str.translate`` with a
    dict costs a lookup per character, while a corpus has only a handful of distinct full-width
    characters, each replaced at C speed."""
    joined = _END.join(texts)
    if joined.count(_END) != len(texts) - 1:
        return [fold_width(text) for text in texts]
    for char in set(_FULL_WIDTH.findall(joined)):
        joined = joined.replace(char, fold_width(char))
    return joined.split(_END) if texts else []


def _reference_jieba(words: list[tuple[str, str | None]]) -> tuple[jieba.Tokenizer, dict[str, int], int]:
    """A private pure-Python ``jieba.Tokenizer`` with ``words`` added the usual way (jieba
    suggests each frequency), plus the frequencies and the total it had before the words."""
    reference = jieba.Tokenizer()
    reference.initialize()
    before = {term: reference.FREQ.get(term, 0) for term, _ in words}
    total_before = reference.total
    for term, tag in words:
        reference.add_word(term, tag=tag)
    return reference, before, total_before


@dataclass(frozen=True)
class DictionaryFacts:
    """What the compiled path needs from jieba's full dictionary (with the project's words
    added), small enough to cache: loading that dictionary takes half a second, and the
    compiled port embeds its own copy.

    ``words``: (term, frequency before, frequency jieba gave it, tag) of each user word, in
    the order added; ``latin``: every entry (prefixes included) made only of Latin-run
    characters, all jieba consults to cut a Latin run; ``spanning``: the words mixing Latin
    and Han (``T恤``), for which a text goes to the full reference.
    """

    total_before: int
    total: int
    words: tuple[tuple[str, int, int, str | None], ...]
    latin: dict[str, int]
    spanning: tuple[str, ...]

    @classmethod
    def of(cls, reference: jieba.Tokenizer, before: dict[str, int], total_before: int,
           words: list[tuple[str, str | None]]) -> DictionaryFacts:
        freq = reference.FREQ
        spanning = [w for w in filter(_LATIN_RUN.search, freq) if freq[w] and _BLOCK.fullmatch(w) and _HAN.search(w)]
        return cls(total_before, reference.total,
                   tuple((term, before[term], freq[term], reference.user_word_tag_tab.get(term)) for term, _ in words),
                   {w: f for w, f in freq.items() if _LATIN_RUN.fullmatch(w)},
                   tuple(sorted(spanning, key=lambda w: (-len(w), w))))

    def latin_reference(self) -> jieba.Tokenizer:
        """A pure-Python jieba that cuts any Latin run exactly as the full reference does:
        jieba looks up only the run's substrings, and divides by the dictionary total."""
        latin = jieba.Tokenizer()
        latin.FREQ, latin.total, latin.initialized = dict(self.latin), self.total, True
        return latin


#: bump when :class:`DictionaryFacts` changes shape or meaning
_FACTS_VERSION = 1


def _facts_cache_path(words: list[tuple[str, str | None]]) -> Path:
    """Where the facts for ``words`` are cached: beside jieba's own cache (the temporary
    directory), keyed like it by the dictionary file, plus jieba's version and the words."""
    dictionary = Path(jieba.__file__).parent / "dict.txt"
    stat = dictionary.stat()
    key = hashlib.sha256(json.dumps([_FACTS_VERSION, jieba.__version__, str(dictionary), stat.st_size,
                                     stat.st_mtime_ns, words], ensure_ascii=False).encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / f"analysis-jieba.{key}.cache"


def dictionary_facts(words: list[tuple[str, str | None]]) -> tuple[DictionaryFacts, jieba.Tokenizer | None]:
    """The :class:`DictionaryFacts` for ``words``, from the cache when it holds them; else
    computed from the full reference, which is returned too (None on a cache hit). A cache
    that cannot be read or written is only a slower start."""
    path = _facts_cache_path(words)
    try:
        with path.open("rb") as stream:
            data = marshal.load(stream)
        return DictionaryFacts(data[0], data[1], tuple(tuple(w) for w in data[2]), data[3], tuple(data[4])), None
    except Exception:  # noqa: BLE001 - missing, truncated or foreign: compute it again
        pass
    reference, before, total_before = _reference_jieba(words)
    facts = DictionaryFacts.of(reference, before, total_before, words)
    try:
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=path.name, delete=False) as stream:
            marshal.dump((facts.total_before, facts.total, [list(w) for w in facts.words], facts.latin,
                          list(facts.spanning)), stream)
        os.replace(stream.name, path)
    except OSError:
        pass
    return facts, reference


class _ReferenceCutter:
    """Pure-Python jieba: the reference. Protected phrases are cut out first, and jieba cuts
    the text between them."""

    def __init__(self, reference: jieba.Tokenizer, phrases: re.Pattern | None):
        self._lcut = reference.lcut
        self._phrases = phrases

    def pieces(self, text: str) -> list[str]:
        if self._phrases is None:
            return self._lcut(text)
        pieces: list[str] = []
        position = 0
        for match in self._phrases.finditer(text):
            pieces += self._lcut(text[position : match.start()])
            pieces.append(match.group(0))
            position = match.end()
        pieces += self._lcut(text[position:])
        return pieces

    def pieces_flat(self, texts: list[str]) -> tuple[list[str], list[int]]:
        """The pieces of all texts in one list, and how many belong to each text."""
        per_text = [self.pieces(text) for text in texts]
        return list(itertools.chain.from_iterable(per_text)), [len(pieces) for pieces in per_text]


def _is_han(piece: str) -> bool:
    return "\u4e00" <= piece <= "\u9fd5"


class _CompiledCutter:
    """The reference's pieces, with the compiled port (rjieba) cutting the Chinese.

    Why the pieces are the reference's:

    * same dictionary: jieba-rs embeds jieba's ``dict.txt``, and each user word gets the
      frequency jieba gave it (left to itself, each library suggests its own, rounded
      differently). jieba adds a re-added word's frequency to the dictionary total where jieba-rs
      replaces the old one, and every word probability divides by that total: a padding word
      evens the totals out;
    * jieba cuts each block (a run of Han, Latin, digits, ``+#&._%-``) on its own, and within a
      block no path through its word graph crosses a Han/Latin boundary unless a dictionary word
      does (``T恤``, ``B超``). So runs of Han go to the compiled port, runs of Latin to the
      reference (memoised: they are short and repeat), and a text with such a word goes to the
      reference whole;
    * jieba's HMM takes a buffer of single characters, and at a Han/Latin boundary the buffer
      spans both. It then treats the Han part as unknown even when that is a dictionary word
      (which jieba alone would yield character by character): where the compiled port yields
      such characters next to a Latin run, the text goes to the reference whole.

    All texts go to the compiled port as one string: per call, crossing into Rust and back costs
    more than cutting a short paragraph.
    """

    def __init__(self, words: list[tuple[str, str | None]], phrases: re.Pattern | None):
        facts, reference = dictionary_facts(words)
        self._words, self._phrases_given = words, phrases
        self._full = reference  # the full reference: loaded only when a text needs it (rare)
        self._reference_lcut = facts.latin_reference().lcut
        self._rust = RustJieba()
        rust_total = facts.total_before  # same dict.txt, same starting total
        for term, old, new, tag in facts.words:
            self._rust.add_word(term, new, tag)
            rust_total += new - old
        if facts.total > rust_total:
            self._rust.add_word(_PADDING_WORD, facts.total - rust_total, None)
        self._spanning = re.compile("|".join(map(re.escape, facts.spanning))) if facts.spanning else None
        # Phrases first (as the reference finds them); the placeholder character itself is
        # matched too, so that every placeholder left in the text stands for one phrase.
        self._phrases = (re.compile(f"{phrases.pattern}|{_PLACEHOLDER}", phrases.flags) if phrases
                         else re.compile(_PLACEHOLDER))
        self._latin_memo: dict[str, list[str]] = {}

    @property
    def _reference(self) -> _ReferenceCutter:
        """The full pure-Python reference, for the rare text the compiled port cannot cut."""
        if self._full is None:
            self._full = _reference_jieba(self._words)[0]
        return _ReferenceCutter(self._full, self._phrases_given)

    def _latin(self, run: str) -> list[str]:
        try:
            return self._latin_memo[run]
        except KeyError:
            pieces = self._latin_memo[run] = self._reference_lcut(run)
            return pieces

    @staticmethod
    def _per_text(flat: tuple[list[str], list[int]]) -> list[list[str]]:
        pieces, counts = flat
        offsets = list(itertools.accumulate(counts, initial=0))
        return [pieces[a:b] for a, b in zip(offsets, offsets[1:])]

    def _risky(self, pieces: list[str], i: int, step: int) -> bool:
        """Whether the single Han characters beside the Latin run at ``pieces[i]`` (looking in
        direction ``step``) begin with a dictionary word (see the class docstring)."""
        singles = []
        j = i + step
        while 0 <= j < len(pieces) and len(pieces[j]) == 1 and _is_han(pieces[j]):
            singles.append(pieces[j])
            j += step
            if len(singles) > 1 and self._rust.has_word("".join(singles[::step])):
                return True
        return False

    def _cut_long(self, text: str) -> list[str]:
        """jieba-rs over ``text``; a long text in parts cut on threads at once, one more than
        the cores.

        A part ends just after a placeholder: jieba cuts a non-Han character on its own, and
        neither side of it changes how the other is cut, so the parts' pieces, joined, are
        the whole text's. Converting a part's pieces to Python strings needs the GIL, cutting
        does not: with one thread more than the cores, one converts while the others cut (at
        ×100 on 2 cores: 0.27 s in one part, 0.24 s in two, 0.19 s in three)."""
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        parts = max(1, min(len(text) // PARALLEL_CUT_CHARS, cores + 1))
        bounds = [0]
        for k in range(1, parts):
            cut_at = text.find(_PLACEHOLDER, max(bounds[-1], len(text) * k // parts))
            if cut_at < 0:
                break
            bounds.append(cut_at + 1)
        if len(bounds) == 1:
            return self._rust.cut(text)
        bounds.append(len(text))
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(bounds) - 1) as pool:
            cut = list(pool.map(self._rust.cut, (text[a:b] for a, b in zip(bounds, bounds[1:]))))
        pieces = cut[0]
        for more in cut[1:]:
            pieces += more
        return pieces

    def pieces_flat(self, texts: list[str]) -> tuple[list[str], list[int]]:
        """The pieces of all texts in one list, and how many belong to each text."""
        if not texts:
            return [], []
        if any(_END in text for text in texts):  # those cannot be joined: the reference cuts them
            own = [self._reference.pieces(text) if _END in text else None for text in texts]
            rest = iter(self._per_text(self.pieces_flat([t for t, o in zip(texts, own) if o is None])))
            per_text = [o if o is not None else next(rest) for o in own]
            return list(itertools.chain.from_iterable(per_text)), [len(pieces) for pieces in per_text]
        phrases: list[list[str]] = []

        def phrase(match: re.Match) -> str:
            phrases.append([match.group(0)])
            return _PLACEHOLDER

        joined = self._phrases.sub(phrase, _END.join(texts) + _END)
        stands_for: list[list[str] | None] = []  # per placeholder, in order; None ends a text
        is_latin: list[bool] = []
        next_phrase = iter(phrases).__next__

        def cut_elsewhere(match: re.Match) -> str:
            run = match.group(0)
            if run[0] in _LATIN_START:
                stands_for.append(self._latin(run))
                is_latin.append(True)
                return _PLACEHOLDER
            if run == _PLACEHOLDER:
                stands_for.append(next_phrase())
            elif run == _END:
                stands_for.append(None)
            else:
                stands_for.append([run])
            is_latin.append(False)
            return _PLACEHOLDER

        rust_pieces = self._cut_long(_CUT_ELSEWHERE.sub(cut_elsewhere, joined))

        pieces: list[str] = []
        counts: list[int] = []
        to_reference: set[int] = set()
        position = start = 0
        index, risky = rust_pieces.index, self._risky
        for special, latin in zip(stands_for, is_latin):
            i = index(_PLACEHOLDER, position)
            pieces += rust_pieces[position:i]
            position = i + 1
            if special is None:
                counts.append(len(pieces) - start)
                start = len(pieces)
            else:
                pieces += special
                # (the first test is _risky's own, inlined: most Latin runs have a word beside them)
                if latin and ((len(rust_pieces[i + 1]) == 1 and risky(rust_pieces, i, 1))
                              or (i and len(rust_pieces[i - 1]) == 1 and risky(rust_pieces, i, -1))):
                    to_reference.add(len(counts))
        if self._spanning is not None and self._spanning.search(joined):  # rare: find which texts
            to_reference.update(k for k, text in enumerate(texts) if self._spanning.search(text))
        if to_reference:  # rare: rebuild with the reference's pieces for those texts
            offsets = list(itertools.accumulate(counts, initial=0))
            rebuilt: list[str] = []
            for k in range(len(texts)):
                if k in to_reference:
                    own = self._reference.pieces(texts[k])
                    rebuilt += own
                    counts[k] = len(own)
                else:
                    rebuilt += pieces[offsets[k] : offsets[k + 1]]
            pieces = rebuilt
        return pieces, counts


class Tokenizer:
    """jieba with the project's lexicon, owning its own dictionary.

    Each instance wraps a private ``jieba.Tokenizer`` (and, with the default ``backend="rjieba"``,
    a private compiled one), so user words never leak into jieba's global default tokenizer (nor
    from it). Phrases that jieba cannot keep whole — terms with spaces, or Latin next to
    Chinese — are cut out before jieba sees the text. ``backend="jieba"`` is the pure-Python
    reference; both give the same tokens.
    """

    def __init__(self, lexicon: Lexicon | None = None, backend: str = DEFAULT_BACKEND):
        if backend not in BACKENDS:
            raise ValueError(f"unknown tokenizer backend {backend!r}; expected one of {BACKENDS}")
        self.lexicon = lexicon or load_lexicon()
        self.backend = backend
        phrases, words = set(), []
        for term, tag in self.lexicon.user_terms:
            if needs_protection(term):
                phrases.add(term)
            else:
                words.append((term, tag))
        phrases |= {canonical for canonical in self.lexicon.synonyms.values() if needs_protection(canonical)}
        phrases |= {v for v in self.lexicon.synonym_variants if needs_protection(v)}
        # listed terms first: "product-led growth" before the rule's "product-led"
        phrases_re = phrases_regex(phrases, latin_rule=_ENGLISH_COMPOUND)
        self._cutter = (_ReferenceCutter(_reference_jieba(words)[0], phrases_re) if backend == "jieba"
                        else _CompiledCutter(words, phrases_re))
        self._memo: dict[str, tuple[str, bool] | None] = {}
        self._sentence_ends: dict[str, bool] = {}

    def _pieces_flat(self, texts: list[str]) -> tuple[list[str], list[int]]:
        """Raw jieba pieces of the width-folded texts, protected phrases kept whole: all in one
        list, and how many belong to each text."""
        return self._cutter.pieces_flat(_fold_many(texts))

    def _pieces(self, text: str) -> list[str]:
        return self._pieces_flat([text])[0]

    def _normalise(self, piece: str) -> tuple[str, bool] | None:
        """(canonical token, is_stopword) for a raw piece, None for whitespace; memoised,
        since a corpus repeats a few thousand distinct pieces millions of times."""
        try:
            return self._memo[piece]
        except KeyError:
            pass
        if piece.strip():
            surface = " ".join(piece.split())
            token = self.lexicon.canonical(surface)
            # an English word is a stopword if its lemma is (was → be) or the word as written is
            stop = self.is_stopword(token) or (is_english_word(surface) and self.is_stopword(surface.replace("’", "'")))
            result = (token, stop)
        else:
            result = None
        self._memo[piece] = result
        return result

    def analyse(self, text: str) -> list[tuple[str, bool]]:
        """(token, is_stopword) for every token of a text, in order, whitespace dropped."""
        normalise = self._normalise
        return [pair for pair in map(normalise, self._pieces(text)) if pair is not None]

    def cut(self, text: str) -> list[str]:
        """All tokens of a text, stopwords included, whitespace dropped, normalised."""
        return [token for token, _ in self.analyse(text)]

    def is_stopword(self, token: str) -> bool:
        if token in self.lexicon.stopwords or token.lower() in self.lexicon.stopwords:
            return True
        if _NUMBER.match(token):
            return True
        return is_punctuation(token)

    def tokenize(self, text: str) -> list[str]:
        """Content tokens only: what TF-IDF, keyness and co-occurrence count."""
        return [token for token, stop in self.analyse(text) if not stop]

    __call__ = tokenize  # usable directly as a scikit-learn ``analyzer``


def is_punctuation(token: str) -> bool:
    """A token made only of punctuation, symbols and spaces (Unicode P*, S*, Z*): not a word,
    so never part of a token count (see :mod:`analysis.dfm`), and always a stopword."""
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in token)


def is_sentence_end(token: str) -> bool:
    """A token made only of sentence-final punctuation (。！？；… after width folding)."""
    return all(ch in _SENTENCE_FINAL for ch in token)


@lru_cache(maxsize=4)
def default_tokenizer() -> Tokenizer:
    """One shared tokenizer over the package's lexicon (jieba's dictionary loads once)."""
    return Tokenizer()


def _columns(tokenizer: Tokenizer, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flat token columns for many texts: (tokens, stopword flags, sentence-end flags, tokens per
    text). Each distinct piece is normalised once and the columns are gathered by its code:
    a corpus has a few thousand distinct pieces and millions of occurrences."""
    flat, counts = tokenizer._pieces_flat(texts)
    pieces = np.empty(len(flat), dtype=object)
    pieces[:] = flat
    codes, uniques = pd.factorize(pieces)
    normalised = [tokenizer._normalise(piece) for piece in uniques]
    keep = np.array([pair is not None for pair in normalised], dtype=bool)[codes]
    token_of = np.array([pair[0] if pair else "" for pair in normalised] + [""], dtype=object)[:-1]
    stop_of = np.array([bool(pair and pair[1]) for pair in normalised], dtype=bool)
    ends = tokenizer._sentence_ends  # memoised like the pieces: the same few thousand tokens, chapter after chapter
    end_of = np.array([bool(pair) and (ends[pair[0]] if pair[0] in ends else ends.setdefault(pair[0], is_sentence_end(pair[0])))
                       for pair in normalised], dtype=bool)
    kept = codes[keep]
    text_of = np.repeat(np.arange(len(texts)), np.asarray(counts, dtype=np.int64))[keep]
    lengths = np.bincount(text_of, minlength=len(texts)).astype(np.int64)
    return _gathered(token_of, kept), stop_of[kept], end_of[kept], lengths


def _gathered(values: np.ndarray, index: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[index]`` as pandas' string dtype, gathered by Arrow from the few distinct values
    rather than converted from a Python string per row."""
    return pd.array(pa.array(values, type=pa.large_string()).take(pa.array(index, type=pa.int64())), dtype="str")


def _positions(ends: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """token_index and sentence_index, vectorised: a sentence starts at the first token after
    a run of sentence-final punctuation, and both counters restart at every segment."""
    total = len(ends)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    token_index = np.arange(total, dtype=np.int64) - starts
    new_sentence = np.zeros(total, dtype=np.int64)
    if total > 1:
        new_sentence[1:] = ends[:-1] & ~ends[1:]
    new_sentence[token_index == 0] = 0
    running = np.cumsum(new_sentence)
    sentence_index = running - running[starts] if total else running
    return token_index, sentence_index


def tokenize_segments(segments: pd.DataFrame, tokenizer: Tokenizer | None = None) -> pd.DataFrame:
    """The tokens table for a segments table (see module docstring).

    One process: with the compiled backend, cutting is no longer the bulk of the work, and
    the worker pool that used to share it out cost more to start and feed than it saved.
    """
    tokenizer = tokenizer or default_tokenizer()
    with gc_paused():
        tokens, stops, ends, lengths = _columns(tokenizer, segments["text"].tolist())
        token_ix, sentence_ix = _positions(ends, lengths)
        ids = _gathered(segments["segment_id"].to_numpy(dtype=object), np.repeat(np.arange(len(lengths)), lengths))
        # Text columns as pandas' string dtype, as the table reads back from Parquet: Arrow buffers,
        # not a million Python strings, so a table handed between processes or shared by the
        # build's forked workers is copied as a few buffers, not string by string.
        return pd.DataFrame(
            {
                "segment_id": pd.Series(ids, dtype="str"),
                "sentence_index": pd.Series(sentence_ix, dtype="int64"),
                "token_index": pd.Series(token_ix, dtype="int64"),
                "token": pd.Series(tokens, dtype="str"),
                "is_stopword": pd.Series(stops, dtype="bool"),
            },
            columns=TOKEN_COLUMNS,
        )


@contextmanager
def gc_paused():
    """The cyclic garbage collector off for a while (as it was, after). Reading a chapter makes
    many small objects (parser tokens, tuples, strings) and almost no cycles: the collector
    would only rescan them again and again (a third of the tokeniser's time on a large corpus,
    a tenth of a chapter's reading). Any cycle made meanwhile is collected once it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
