"""Stage 4b — what each guest says that the others don't: TF-IDF and weighted log-odds.

Both read the answer-paragraph content :class:`~analysis.dfm.Dfm` (``build_dfm(segments,
tokens)``) and group it by guest; every ``count`` below is a count of that dfm.

Schema of ``tfidf_terms.csv`` (top terms per guest and method):

=========  ===============================================================================
method     ``guest_documents`` (each guest's answers are one document, IDF over guests) or
           ``paragraph_mean`` (TF-IDF per answer paragraph, IDF over paragraphs, averaged
           over the guest's paragraphs)
guest      the guest
term       the token
score      the TF-IDF weight (l2-normalised rows, smooth IDF, sublinear TF)
rank       1 = most distinctive
count      occurrences of the term in the guest's answers
=========  ===============================================================================

Schema of ``keyness.csv`` — log-odds ratio with an informative Dirichlet prior (Monroe,
Colaresi & Quinn 2008, eq. 16–22), each guest against the other guests together:

============  ============================================================================
guest         the guest
term          the token
score         z-score of the log-odds ratio (positive: over-used by this guest)
rank          1 = most over-used
count         occurrences in the guest's answers
count_rest    occurrences in the other guests' answers
delta         the prior-smoothed log-odds ratio
variance      its approximate variance ``1/(y_i+α_w) + 1/(y_j+α_w)``
============  ============================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfTransformer

from .dfm import Dfm

TFIDF_COLUMNS = ["method", "guest", "term", "score", "rank", "count"]
KEYNESS_COLUMNS = ["guest", "term", "score", "rank", "count", "count_rest", "delta", "variance"]


def _top_terms(weights: np.ndarray, vocabulary: np.ndarray, guests, counts: np.ndarray, method: str,
               top_k: int) -> list[dict]:
    rows = []
    for i, guest in enumerate(guests):
        row = np.asarray(weights[i]).ravel()
        order = np.lexsort((vocabulary, -row))  # ties broken by term, for stable output
        order = [j for j in order if row[j] > 0][:top_k]
        for rank, j in enumerate(order, start=1):
            rows.append({"method": method, "guest": guest, "term": vocabulary[j], "score": float(row[j]),
                         "rank": rank, "count": int(counts[i, j])})
    return rows


def _tfidf(dfm: Dfm):
    # scikit-learn's weighting (smooth IDF, sublinear TF, l2 rows) on the dfm's own counts
    return TfidfTransformer(sublinear_tf=True).fit_transform(dfm.matrix)


def tfidf_terms(dfm: Dfm, by: str = "guest", top_k: int = 30, min_df: int = 1) -> pd.DataFrame:
    """Top TF-IDF terms per group ``by`` of a paragraph dfm, by both methods (see module docstring)."""
    groups = dfm.group(by)
    guests = groups.docvars[by].tolist()
    docs = groups.select(min_units=min_df)
    counts = docs.matrix.toarray()
    rows = _top_terms(_tfidf(docs).toarray(), docs.features, guests, counts, "guest_documents", top_k)

    paragraphs = dfm.select(min_units=min_df)
    weights = _tfidf(paragraphs)
    means = np.vstack([
        np.asarray(weights[(paragraphs.docvars[by] == g).to_numpy()].mean(axis=0)).ravel() for g in guests
    ])
    p_counts = groups.matrix[:, np.isin(groups.features, paragraphs.features)].toarray()
    rows += _top_terms(means, paragraphs.features, guests, p_counts, "paragraph_mean", top_k)
    return pd.DataFrame(rows, columns=TFIDF_COLUMNS)


def log_odds_dirichlet(counts_i: np.ndarray, counts_j: np.ndarray, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monroe et al. (2008) weighted log-odds of group i vs j with Dirichlet prior ``prior`` (α_w).

    Returns (delta, variance, z) per word.
    """
    counts_i, counts_j, prior = (np.asarray(a, dtype=float) for a in (counts_i, counts_j, prior))
    n_i, n_j, a0 = counts_i.sum(), counts_j.sum(), prior.sum()
    delta = np.log((counts_i + prior) / (n_i + a0 - counts_i - prior)) - np.log(
        (counts_j + prior) / (n_j + a0 - counts_j - prior)
    )
    variance = 1.0 / (counts_i + prior) + 1.0 / (counts_j + prior)
    return delta, variance, delta / np.sqrt(variance)


def keyness(dfm: Dfm, by: str = "guest", top_k: int = 30, min_count: int = 3,
            prior_strength: float | None = None) -> pd.DataFrame:
    """Each group ``by`` against the others: top ``top_k`` over-used terms by log-odds z-score.

    The informative prior is the whole corpus's term distribution scaled to
    ``prior_strength`` pseudo-counts (default: the corpus size, i.e. α_w = corpus count of w,
    as in Monroe et al.'s informative-prior model). Terms rarer than ``min_count`` in the
    corpus are left out: their z-scores are noise.
    """
    groups = dfm.group(by).select(min_count=max(min_count, 1))
    matrix, vocabulary = groups.matrix.toarray(), groups.features
    total = matrix.sum(axis=0)
    strength = prior_strength if prior_strength is not None else total.sum()
    prior = strength * total / total.sum()
    rows = []
    for i, guest in enumerate(groups.docvars[by]):
        rest = total - matrix[i]
        delta, variance, z = log_odds_dirichlet(matrix[i], rest, prior)
        order = np.lexsort((vocabulary, -z))[:top_k]
        for rank, j in enumerate(order, start=1):
            rows.append({"guest": guest, "term": vocabulary[j], "score": float(z[j]), "rank": rank,
                         "count": int(matrix[i, j]), "count_rest": int(rest[j]),
                         "delta": float(delta[j]), "variance": float(variance[j])})
    return pd.DataFrame(rows, columns=KEYNESS_COLUMNS)
