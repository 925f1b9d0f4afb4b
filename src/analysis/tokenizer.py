"""Stage 2 — segments → tokens, with jieba, the project dictionary and normalisation.

Schema of the tokens table (one row per token, in reading order):

==============  ==============================================================
segment_id      the segment the token comes from
sentence_index  0-based sentence number within the segment
token_index     0-based position of the token within the segment
token           the normalised token (width-folded, canonical spelling)
is_stopword     function word, filler, punctuation or number
==============  ==============================================================
"""

from __future__ import annotations

import gc
import itertools
import logging
import multiprocessing
import re
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import lru_cache

import jieba
import numpy as np
import pandas as pd

from .lexicon import Lexicon, fold_width, load_lexicon, needs_protection, phrases_regex

TOKEN_COLUMNS = ["segment_id", "sentence_index", "token_index", "token", "is_stopword"]

jieba.setLogLevel(logging.WARNING)

_SENTENCE_FINAL = frozenset("。!?;…")
_NUMBER = re.compile(r"^[\d.,%+\-~·]+$|^\d+(?:年|月|日|倍|万|亿|个)?$")


class Tokenizer:
    """jieba with the project's lexicon, owning its own dictionary.

    Each instance wraps a private ``jieba.Tokenizer``, so user words never leak into
    jieba's global default tokenizer (nor from it). Phrases that jieba cannot keep whole
    — terms with spaces, or Latin next to Chinese — are cut out before jieba sees the text.
    """

    def __init__(self, lexicon: Lexicon | None = None):
        self.lexicon = lexicon or load_lexicon()
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        phrases = set()
        for term, tag in self.lexicon.user_terms:
            if needs_protection(term):
                phrases.add(term)
            else:
                self._jieba.add_word(term, tag=tag)
        phrases |= {canonical for canonical in self.lexicon.synonyms.values() if needs_protection(canonical)}
        phrases |= {v for v in self.lexicon.synonym_variants if needs_protection(v)}
        self._memo: dict[str, tuple[str, bool] | None] = {}
        self._phrases = phrases_regex(phrases)

    def _pieces(self, text: str) -> list[str]:
        """Raw jieba tokens of the width-folded text, protected phrases kept whole."""
        folded = fold_width(text)
        if self._phrases is None:
            return self._jieba.lcut(folded)
        pieces: list[str] = []
        position = 0
        for match in self._phrases.finditer(folded):
            pieces += self._jieba.lcut(folded[position : match.start()])
            pieces.append(match.group(0))
            position = match.end()
        pieces += self._jieba.lcut(folded[position:])
        return pieces

    def _normalise(self, piece: str) -> tuple[str, bool] | None:
        """(canonical token, is_stopword) for a raw piece, None for whitespace; memoised,
        since a corpus repeats a few thousand distinct pieces millions of times."""
        try:
            return self._memo[piece]
        except KeyError:
            pass
        if piece.strip():
            token = self.lexicon.canonical(" ".join(piece.split()))
            result = (token, self.is_stopword(token))
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
        return all(unicodedata.category(ch)[0] in "PSZ" for ch in token)

    def tokenize(self, text: str) -> list[str]:
        """Content tokens only: what TF-IDF, keyness and co-occurrence count."""
        return [token for token, stop in self.analyse(text) if not stop]

    __call__ = tokenize  # usable directly as a scikit-learn ``analyzer``


def is_sentence_end(token: str) -> bool:
    """A token made only of sentence-final punctuation (。！？；… after width folding)."""
    return all(ch in _SENTENCE_FINAL for ch in token)


@lru_cache(maxsize=4)
def default_tokenizer() -> Tokenizer:
    """One shared tokenizer over the package's lexicon (jieba's dictionary loads once)."""
    return Tokenizer()


def _segment_rows(tokenizer: Tokenizer, segment_ids, texts) -> tuple[list, list, list, list]:
    """Flat token columns for many segments: (segment ids, tokens, stopword flags, lengths)."""
    analyse = tokenizer.analyse
    ids, tokens, stops, lengths = [], [], [], []
    for segment_id, text in zip(segment_ids, texts):
        pairs = analyse(text)
        lengths.append(len(pairs))
        ids.extend([segment_id] * len(pairs))
        tokens.extend([token for token, _ in pairs])
        stops.extend([stop for _, stop in pairs])
    return ids, tokens, stops, lengths


def _positions(tokens: list[str], lengths: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """token_index and sentence_index, vectorised: a sentence starts at the first token after
    a run of sentence-final punctuation, and both counters restart at every segment."""
    total = len(tokens)
    starts = np.repeat(np.cumsum([0] + lengths[:-1]), lengths) if lengths else np.zeros(0, dtype=np.int64)
    token_index = np.arange(total, dtype=np.int64) - starts
    end_tokens = {t for t in set(tokens) if is_sentence_end(t)}
    ends = pd.Series(tokens, dtype=object).isin(end_tokens).to_numpy()
    new_sentence = np.zeros(total, dtype=np.int64)
    if total > 1:
        new_sentence[1:] = ends[:-1] & ~ends[1:]
    new_sentence[token_index == 0] = 0
    running = np.cumsum(new_sentence)
    sentence_index = running - running[starts] if total else running
    return token_index, sentence_index


_WORKER_TOKENIZER: Tokenizer | None = None


def _worker_init(lexicon: Lexicon) -> None:
    global _WORKER_TOKENIZER
    if _WORKER_TOKENIZER is None or _WORKER_TOKENIZER.lexicon.fingerprint != lexicon.fingerprint:
        _WORKER_TOKENIZER = Tokenizer(lexicon)


def _worker_rows(chunk: tuple[list, list]):
    gc.disable()
    return _segment_rows(_WORKER_TOKENIZER, *chunk)


def tokenize_segments(segments: pd.DataFrame, tokenizer: Tokenizer | None = None, workers: int = 1) -> pd.DataFrame:
    """The tokens table for a segments table (see module docstring).

    With ``workers > 1`` the segments are cut in worker processes, in chunks, and the
    chunks are put back in order: the table is identical to the serial one. On Linux the
    workers are forked from this process and inherit its loaded dictionary.
    """
    tokenizer = tokenizer or default_tokenizer()
    with _gc_paused():
        return _tokenize_segments(segments, tokenizer, workers)


@contextmanager
def _gc_paused():
    """Millions of small tuples and strings, none of them cyclic: the cyclic garbage collector
    would only rescan them again and again (a third of the run time on a large corpus)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _tokenize_segments(segments: pd.DataFrame, tokenizer: Tokenizer, workers: int) -> pd.DataFrame:
    ids, texts = segments["segment_id"].tolist(), segments["text"].tolist()
    if workers > 1 and len(ids) >= 2 * workers:
        global _WORKER_TOKENIZER
        chunks = max(workers * 4, 1)
        size = -(-len(ids) // chunks)
        parts = [(ids[i : i + size], texts[i : i + size]) for i in range(0, len(ids), size)]
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        _WORKER_TOKENIZER = tokenizer  # inherited by forked workers: no second dictionary load
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init,
                                 initargs=(tokenizer.lexicon,)) as pool:
            results = list(pool.map(_worker_rows, parts))
        columns = [list(itertools.chain.from_iterable(r[i] for r in results)) for i in range(4)]
    else:
        columns = _segment_rows(tokenizer, ids, texts)
    ids_, tokens, stops, lengths = columns
    token_ix, sentence_ix = _positions(tokens, lengths)
    return pd.DataFrame(
        {
            "segment_id": pd.Series(ids_, dtype="object"),
            "sentence_index": pd.Series(sentence_ix, dtype="int64"),
            "token_index": pd.Series(token_ix, dtype="int64"),
            "token": pd.Series(tokens, dtype="object"),
            "is_stopword": pd.Series(stops, dtype="bool"),
        },
        columns=TOKEN_COLUMNS,
    )
