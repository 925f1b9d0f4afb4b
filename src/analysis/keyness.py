"""Stage 4b — what each guest says that the others don't: TF-IDF and weighted log-odds.

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
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

TFIDF_COLUMNS = ["method", "guest", "term", "score", "rank", "count"]
KEYNESS_COLUMNS = ["guest", "term", "score", "rank", "count", "count_rest", "delta", "variance"]


def _identity(tokens):
    return tokens


def answer_token_lists(segments: pd.DataFrame, tokens: pd.DataFrame) -> pd.DataFrame:
    """One row per answer paragraph: segment_id, guest, and its content tokens in order."""
    answers = segments.loc[segments["role"] == "answer", ["segment_id", "guest"]]
    content = tokens[~tokens["is_stopword"]]
    lists = content.groupby("segment_id", sort=False)["token"].agg(list)
    out = answers.assign(tokens=answers["segment_id"].map(lists))
    out["tokens"] = out["tokens"].map(lambda t: t if isinstance(t, list) else [])
    return out.reset_index(drop=True)


def guest_token_lists(segments: pd.DataFrame, tokens: pd.DataFrame) -> pd.Series:
    """Each guest's answer content tokens concatenated, guests in chapter order."""
    per_paragraph = answer_token_lists(segments, tokens)
    return per_paragraph.groupby("guest", sort=False)["tokens"].agg(lambda lists: [t for l in lists for t in l])


def _top_terms(matrix, vocabulary: np.ndarray, guests, counts, method: str, top_k: int) -> list[dict]:
    rows = []
    for i, guest in enumerate(guests):
        weights = np.asarray(matrix[i].todense()).ravel() if hasattr(matrix, "todense") else np.asarray(matrix[i]).ravel()
        order = np.lexsort((vocabulary, -weights))  # ties broken by term, for stable output
        order = [j for j in order if weights[j] > 0][:top_k]
        for rank, j in enumerate(order, start=1):
            rows.append({"method": method, "guest": guest, "term": vocabulary[j], "score": float(weights[j]),
                         "rank": rank, "count": int(counts[i, j])})
    return rows


def tfidf_terms(segments: pd.DataFrame, tokens: pd.DataFrame, top_k: int = 30, min_df: int = 1) -> pd.DataFrame:
    """Top TF-IDF terms per guest, by both methods (see module docstring)."""
    guest_docs = guest_token_lists(segments, tokens)
    guests = list(guest_docs.index)
    vectorizer = TfidfVectorizer(lowercase=False, analyzer=_identity, sublinear_tf=True, min_df=min_df)
    matrix = vectorizer.fit_transform(guest_docs.tolist())
    vocabulary = vectorizer.get_feature_names_out()
    counts = CountVectorizer(lowercase=False, analyzer=_identity, vocabulary=vocabulary).fit_transform(guest_docs.tolist()).toarray()
    rows = _top_terms(matrix, vocabulary, guests, counts, "guest_documents", top_k)

    paragraphs = answer_token_lists(segments, tokens)
    p_vectorizer = TfidfVectorizer(lowercase=False, analyzer=_identity, sublinear_tf=True, min_df=min_df)
    p_matrix = p_vectorizer.fit_transform(paragraphs["tokens"].tolist())
    p_vocabulary = p_vectorizer.get_feature_names_out()
    p_counts = CountVectorizer(lowercase=False, analyzer=_identity, vocabulary=p_vocabulary).fit_transform(guest_docs.tolist()).toarray()
    means = np.vstack([
        np.asarray(p_matrix[(paragraphs["guest"] == g).to_numpy()].mean(axis=0)).ravel() for g in guests
    ])
    rows += _top_terms(means, p_vocabulary, guests, p_counts, "paragraph_mean", top_k)
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


def keyness(segments: pd.DataFrame, tokens: pd.DataFrame, top_k: int = 30, min_count: int = 3,
            prior_strength: float | None = None) -> pd.DataFrame:
    """Each guest against the others: top ``top_k`` over-used terms by log-odds z-score.

    The informative prior is the whole corpus's term distribution scaled to
    ``prior_strength`` pseudo-counts (default: the corpus size, i.e. α_w = corpus count of w,
    as in Monroe et al.'s informative-prior model). Terms rarer than ``min_count`` in the
    corpus are left out: their z-scores are noise.
    """
    guest_docs = guest_token_lists(segments, tokens)
    vectorizer = CountVectorizer(lowercase=False, analyzer=_identity)
    matrix = vectorizer.fit_transform(guest_docs.tolist()).toarray()
    vocabulary = vectorizer.get_feature_names_out()
    total = matrix.sum(axis=0)
    keep = total >= min_count
    matrix, vocabulary, total = matrix[:, keep], vocabulary[keep], total[keep]
    strength = prior_strength if prior_strength is not None else total.sum()
    prior = strength * total / total.sum()
    rows = []
    for i, guest in enumerate(guest_docs.index):
        rest = total - matrix[i]
        delta, variance, z = log_odds_dirichlet(matrix[i], rest, prior)
        order = np.lexsort((vocabulary, -z))[:top_k]
        for rank, j in enumerate(order, start=1):
            rows.append({"guest": guest, "term": vocabulary[j], "score": float(z[j]), "rank": rank,
                         "count": int(matrix[i, j]), "count_rest": int(rest[j]),
                         "delta": float(delta[j]), "variance": float(variance[j])})
    return pd.DataFrame(rows, columns=KEYNESS_COLUMNS)
