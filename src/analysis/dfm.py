"""The one counting object: a document-feature matrix (dfm) with its document variables.

In the spirit of quanteda's ``dfm``: built once from the segments and tokens tables for a
*unit* (an answer paragraph, or a sentence within one) and the roles to count (answers by
default). TF-IDF, keyness, co-occurrence, the corpus summary, the word clouds and the
explorer all read a :class:`Dfm` instead of re-deriving "answer paragraphs × content tokens
by guest" on their own.

Definitions, made here and nowhere else:

* a **token** (``docvars["tokens"]``) is a word token: every token of the unit except
  punctuation (:func:`analysis.tokenizer.is_punctuation`); stopwords *are* tokens. This is "token count"
  everywhere (the corpus summary, the per-1k rates of ``theme_by_guest``).
* a **content token** (``docvars["content_tokens"]``, and the features when
  ``content_only=True``) is a token that is not a stopword (function words, fillers and
  numbers; see ``Tokenizer.is_stopword``, which also counts punctuation as a stopword).

A :class:`Dfm` holds

==========  ===========================================================================
docvars     one row per unit, in reading order: ``segment_id``, ``sentence_index``
            (sentence units only), ``document``, ``guest`` (report mode: the ``##``
            section), ``organization``, ``role``, ``question_id``, ``question``,
            ``tokens``, ``content_tokens``. After :meth:`Dfm.group`: the grouping
            columns, ``units`` (units summed), ``tokens``, ``content_tokens``.
matrix      ``scipy.sparse.csr_matrix`` of int64 counts, units × features
features    the feature strings, in code-point order (so ``features[i] < features[j]``
            for ``i < j``, which co-occurrence relies on for ``term_a < term_b``)
==========  ===========================================================================

Every unit of the selected roles is a paragraph row, even one without any token, so that
means and denominators over paragraphs count it. Sentence rows are the (segment,
sentence) pairs that have at least one token.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import ParameterError

UNITS = ("paragraph", "sentence")
UNIT_COLUMNS = ["segment_id", "document", "guest", "organization", "role", "question_id", "question"]
COUNT_COLUMNS = ["tokens", "content_tokens"]


@dataclass(frozen=True, eq=False)  # eq=False: comparing DataFrames field by field is ambiguous
class Dfm:
    docvars: pd.DataFrame
    matrix: sp.csr_matrix
    features: np.ndarray

    def __post_init__(self):
        if self.matrix.shape != (len(self.docvars), len(self.features)):
            raise ValueError(f"matrix {self.matrix.shape} does not match {len(self.docvars)} docvars rows "
                             f"× {len(self.features)} features")

    @property
    def unit(self) -> str:
        """``sentence`` for sentence units, else ``paragraph`` (grouped dfms included)."""
        return "sentence" if "sentence_index" in self.docvars.columns else "paragraph"

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def group(self, by: str | list[str]) -> Dfm:
        """Rows summed within groups of docvars ``by``, groups in order of first appearance.

        The docvars become the grouping columns, ``units`` (how many units each group
        sums) and the summed ``tokens`` and ``content_tokens``.
        """
        by = [by] if isinstance(by, str) else list(by)
        codes = self.docvars.groupby(by, sort=False, dropna=False).ngroup().to_numpy()
        n_groups = int(codes.max()) + 1 if len(codes) else 0
        indicator = sp.csr_matrix((np.ones(len(codes), dtype=np.int64), (codes, np.arange(len(codes)))),
                                  shape=(n_groups, len(codes)))
        docvars = self.docvars.assign(units=self.docvars.get("units", 1))  # regrouping adds units up
        sums = docvars[[c for c in ["units", *COUNT_COLUMNS] if c in docvars.columns]]
        keys = docvars.drop_duplicates(by)[by].reset_index(drop=True)  # first appearance, as the codes
        docvars = keys.join(pd.DataFrame(indicator @ sums.to_numpy(dtype=np.int64), columns=sums.columns))
        return Dfm(docvars, (indicator @ self.matrix).tocsr(), self.features)

    def subset(self, mask) -> Dfm:
        """The units where ``mask`` (a boolean array or Series, one value per unit) is true."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (self.shape[0],):
            raise ValueError(f"mask of shape {mask.shape} for {self.shape[0]} units")
        return Dfm(self.docvars[mask].reset_index(drop=True), self.matrix[mask], self.features)

    def binary(self) -> Dfm:
        """Presence (1) instead of counts: the unit contains the feature, however often."""
        matrix = self.matrix.copy()
        matrix.eliminate_zeros()
        matrix.data[:] = 1
        return Dfm(self.docvars, matrix, self.features)

    def select(self, min_count: int = 1, min_units: int = 0) -> Dfm:
        """The features counted at least ``min_count`` times in at least ``min_units`` units."""
        keep = (self.totals() >= min_count) & (self.matrix.getnnz(axis=0) >= min_units)
        return Dfm(self.docvars, self.matrix[:, keep].tocsr(), self.features[keep])

    def nonempty(self) -> Dfm:
        """The units with at least one feature."""
        return self.subset(self.matrix.getnnz(axis=1) > 0)

    def totals(self) -> np.ndarray:
        """Each feature's count over all units, in feature order."""
        return np.asarray(self.matrix.sum(axis=0)).ravel().astype(np.int64)

    def frequencies(self) -> pd.Series:
        """Feature counts over all units, zeros dropped, most frequent first (ties by feature)."""
        totals = self.totals()
        order = np.lexsort((self.features, -totals))
        order = order[totals[order] > 0]
        return pd.Series(totals[order], index=pd.Index(self.features[order], name="term"), name="count")


def build_dfm(segments: pd.DataFrame, tokens: pd.DataFrame, unit: str = "paragraph", roles=("answer",),
              content_only: bool = True) -> Dfm:
    """The units × features count matrix of the segments of ``roles`` (see module docstring).

    Features are content tokens (``content_only=True``) or all word tokens, stopwords
    included (``content_only=False``: then each row sums to ``docvars["tokens"]``).
    """
    if unit not in UNITS:
        raise ParameterError(f"unknown unit {unit!r}; valid: {', '.join(UNITS)}")
    # a hand-made segments table may lack the descriptive columns; they are carried when present
    columns = [c for c in UNIT_COLUMNS if c in segments.columns]
    units = segments.loc[segments["role"].isin(roles), columns].reset_index(drop=True)
    # Strings are hashed once per column: a corpus has millions of tokens but only thousands of
    # distinct segments and token types, and every lookup below is on those codes.
    # (pandas' string columns are factorised by Arrow, without making a Python string per row)
    segment_codes, segment_ids = pd.factorize(tokens["segment_id"])
    paragraph = pd.Index(units["segment_id"]).get_indexer(segment_ids)[segment_codes]  # -1: another role
    type_codes, types = pd.factorize(tokens["token"])
    types = np.asarray(types, dtype=object)
    # the tokenizer's rule, one definition of a word token; imported here so that a notebook that
    # builds no dfm never loads the segmenter
    from .tokenizer import is_punctuation

    punctuation = np.array([is_punctuation(t) for t in types], dtype=bool)
    counted_unit = paragraph >= 0
    is_word = counted_unit & ~punctuation[type_codes]
    content = is_word & ~tokens["is_stopword"].to_numpy(dtype=bool)
    if unit == "paragraph":
        docvars, rows = units, paragraph
    else:
        # a sentence is (paragraph row, sentence index), one integer: sorted, that is reading order
        sentence_index = tokens["sentence_index"].to_numpy(dtype=np.int64)
        span = int(sentence_index.max()) + 1 if len(sentence_index) else 1
        keys = paragraph * span + sentence_index
        sentences = np.unique(keys[counted_unit])
        rows = np.searchsorted(sentences, keys)
        docvars = _sentences(units, sentences // span, sentences % span)
    n = len(docvars)
    docvars = docvars.assign(tokens=np.bincount(rows[is_word], minlength=n).astype(np.int64),
                             content_tokens=np.bincount(rows[content], minlength=n).astype(np.int64))
    counted = content if content_only else is_word
    matrix, features = _count_codes(rows[counted], type_codes[counted], types, n)
    return Dfm(docvars.reset_index(drop=True), matrix, features)


def _sentences(units: pd.DataFrame, paragraph: np.ndarray, sentence_index: np.ndarray) -> pd.DataFrame:
    """The docvars of sentences given as (paragraph row, sentence index), in that order: each
    carries its paragraph's docvars."""
    docvars = units.iloc[paragraph].reset_index(drop=True)
    docvars.insert(1, "sentence_index", sentence_index.astype(np.int64))
    # (the segment id as the tokens table holds it, as the table's own merge used to give it)
    return docvars.astype({"segment_id": object})


def _count_codes(rows: np.ndarray, codes: np.ndarray, types: np.ndarray, n_rows: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """int64 counts of ``types[codes[k]]`` in row ``rows[k]``, over the types that occur; features
    in code-point order."""
    used = np.unique(codes)
    features = np.asarray(types[used], dtype=object)
    order = np.argsort(features.astype(str), kind="stable")  # code-point order, as str comparison
    column = np.empty(len(types), dtype=np.int64)
    column[used[order]] = np.arange(len(used))
    return _csr(rows, column[codes], n_rows, len(used)), features[order]


def _csr(rows: np.ndarray, columns: np.ndarray, n_rows: int, n_columns: int) -> sp.csr_matrix:
    matrix = sp.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, columns)), shape=(n_rows, n_columns))
    matrix.sum_duplicates()  # one entry per (unit, feature), holding the count
    return matrix


def _count_matrix(rows: np.ndarray, terms: np.ndarray, n_rows: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """int64 counts of ``terms[k]`` in row ``rows[k]``; features in code-point order."""
    codes, features = pd.factorize(np.asarray(terms, dtype=object), sort=True)
    return _csr(rows, codes, n_rows, len(features)), np.asarray(features, dtype=object)


def dfm_from_lists(units: list[list[str]], docvars: pd.DataFrame | None = None) -> Dfm:
    """A dfm from token lists, one per unit (toy data and tests); every token is a feature."""
    rows = np.repeat(np.arange(len(units)), [len(u) for u in units])
    matrix, features = _count_matrix(rows, [t for u in units for t in u], len(units))
    if docvars is None:
        docvars = pd.DataFrame({"segment_id": [f"u{i}" for i in range(len(units))]})
    sizes = [len(u) for u in units]
    return Dfm(docvars.reset_index(drop=True).assign(tokens=sizes, content_tokens=sizes), matrix, features)
