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

import logging
import re
import unicodedata
from functools import lru_cache

import jieba
import pandas as pd

from .lexicon import Lexicon, fold_width, load_lexicon, needs_protection, term_pattern

TOKEN_COLUMNS = ["segment_id", "sentence_index", "token_index", "token", "is_stopword"]

jieba.setLogLevel(logging.WARNING)

_SENTENCE = re.compile(r"[^。！？!?；;…\n]+[。！？!?；;…]*|[。！？!?；;…]+")
_NUMBER = re.compile(r"^[\d.,%+\-~·]+$|^\d+(?:年|月|日|倍|万|亿|个)?$")


def split_sentences(text: str) -> list[str]:
    """Split a unit into sentences at Chinese and Western sentence-final punctuation."""
    return [s for s in (m.group(0).strip() for m in _SENTENCE.finditer(text)) if s]


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
        for variant_key, canonical in self.lexicon.synonyms.items():
            if needs_protection(canonical):
                phrases.add(canonical)
        phrases |= {v for v in self.lexicon.synonym_variants if needs_protection(v)}
        ordered = sorted(phrases, key=lambda t: (-len(t), t))
        self._phrases = re.compile("|".join(term_pattern(t) for t in ordered), re.IGNORECASE) if ordered else None

    def cut(self, text: str) -> list[str]:
        """All tokens of a text, stopwords included, whitespace dropped, normalised."""
        text = fold_width(text)
        tokens: list[str] = []
        position = 0
        if self._phrases is not None:
            for match in self._phrases.finditer(text):
                tokens.extend(self._jieba.lcut(text[position : match.start()], HMM=True))
                tokens.append(match.group(0))
                position = match.end()
        tokens.extend(self._jieba.lcut(text[position:], HMM=True))
        canonical = self.lexicon.canonical
        return [canonical(" ".join(t.split())) for t in tokens if t.strip()]

    def is_stopword(self, token: str) -> bool:
        if token in self.lexicon.stopwords or token.lower() in self.lexicon.stopwords:
            return True
        if _NUMBER.match(token):
            return True
        return all(unicodedata.category(ch)[0] in "PSZ" for ch in token)

    def tokenize(self, text: str) -> list[str]:
        """Content tokens only: what TF-IDF, keyness and co-occurrence count."""
        return [t for t in self.cut(text) if not self.is_stopword(t)]

    __call__ = tokenize  # usable directly as a scikit-learn ``analyzer``


@lru_cache(maxsize=4)
def default_tokenizer() -> Tokenizer:
    """One shared tokenizer over the package's lexicon (jieba's dictionary loads once)."""
    return Tokenizer()


def tokenize_segments(segments: pd.DataFrame, tokenizer: Tokenizer | None = None) -> pd.DataFrame:
    """The tokens table for a segments table (see module docstring)."""
    tokenizer = tokenizer or default_tokenizer()
    segment_ids, sentence_ix, token_ix, tokens, stops = [], [], [], [], []
    for segment_id, text in zip(segments["segment_id"], segments["text"]):
        position = 0
        for s_index, sentence in enumerate(split_sentences(text)):
            for token in tokenizer.cut(sentence):
                segment_ids.append(segment_id)
                sentence_ix.append(s_index)
                token_ix.append(position)
                tokens.append(token)
                stops.append(tokenizer.is_stopword(token))
                position += 1
    return pd.DataFrame(
        {
            "segment_id": pd.Series(segment_ids, dtype="object"),
            "sentence_index": pd.Series(sentence_ix, dtype="int64"),
            "token_index": pd.Series(token_ix, dtype="int64"),
            "token": pd.Series(tokens, dtype="object"),
            "is_stopword": pd.Series(stops, dtype="bool"),
        },
        columns=TOKEN_COLUMNS,
    )
