"""Stage 4a — theme prevalence per guest, with bootstrap intervals over paragraphs.

Schema of ``theme_by_guest.csv`` (one row per document, guest and theme):

=======================  ===================================================================
document, guest          the unit of comparison
theme                    theme id
answer_paragraphs        the guest's answer paragraphs (the denominator)
paragraphs               answer paragraphs with at least one hit of the theme
share                    ``paragraphs / answer_paragraphs``
share_low, share_high    95% percentile bootstrap interval of ``share`` (paragraphs resampled)
hits                     hits of the theme in the guest's answers
tokens                   the guest's answer tokens, punctuation excluded
hits_per_1k              ``1000 * hits / tokens``
hits_per_1k_low/high     95% bootstrap interval of ``hits_per_1k``
prompted                 theme paragraphs whose question carries the theme too
unprompted               theme paragraphs whose question does not (the guest raised it)
=======================  ===================================================================

Schema of ``plg_slg_balance.csv`` (one row per document and guest): ``document, guest``,
``theme_a, theme_b`` (``PLG``, ``SLG``), ``paragraphs_a, paragraphs_b`` (answer paragraphs with
each), ``balance`` = (a − b) / (a + b) in [−1, 1] (positive leans product-led; empty when
neither occurs), ``balance_low, balance_high`` (95% bootstrap interval), ``resamples``, ``seed``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .summary import is_punctuation
from .themes import Theme

THEME_BY_GUEST_COLUMNS = [
    "document", "guest", "theme", "answer_paragraphs", "paragraphs", "share", "share_low", "share_high",
    "hits", "tokens", "hits_per_1k", "hits_per_1k_low", "hits_per_1k_high", "prompted", "unprompted",
]
BALANCE_COLUMNS = ["document", "guest", "theme_a", "theme_b", "paragraphs_a", "paragraphs_b",
                   "balance", "balance_low", "balance_high", "resamples", "seed"]
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20241


def bootstrap_indices(n: int, resamples: int, seed: int) -> np.ndarray:
    """A (resamples × n) matrix of row indices drawn with replacement, reproducible by seed."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return (np.nan, np.nan)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def answer_units(segments: pd.DataFrame, tokens: pd.DataFrame) -> pd.DataFrame:
    """Answer paragraphs with their guest, question and token count (punctuation excluded)."""
    answers = segments[segments["role"] == "answer"]
    words = tokens[tokens["segment_id"].isin(answers["segment_id"]) & ~tokens["token"].map(is_punctuation)]
    counts = words.groupby("segment_id").size()
    units = answers[["segment_id", "document", "guest", "question_id"]].copy()
    units["tokens"] = units["segment_id"].map(counts).fillna(0).astype("int64")
    return units.reset_index(drop=True)


def theme_by_guest(segments: pd.DataFrame, tokens: pd.DataFrame, hits: pd.DataFrame, themes: list[Theme],
                   resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The guest × theme matrix with intervals and prompted/unprompted counts (see module doc)."""
    units = answer_units(segments, tokens)
    hit_counts = hits.groupby(["segment_id", "theme"]).size()
    question_themes = set(
        hits.merge(segments.loc[segments["role"] == "question", ["segment_id", "question_id"]], on="segment_id")
        .loc[:, ["question_id", "theme"]].itertuples(index=False, name=None)
    )
    rows = []
    for (document, guest), group in units.groupby(["document", "guest"], sort=False):
        n = len(group)
        draws = bootstrap_indices(n, resamples, seed)
        token_counts = group["tokens"].to_numpy()
        token_draws = token_counts[draws].sum(axis=1)
        for theme in themes:
            counts = np.array([hit_counts.get((sid, theme.id), 0) for sid in group["segment_id"]], dtype=np.int64)
            present = (counts > 0).astype(float)
            prompted = sum(
                1 for sid, qid, c in zip(group["segment_id"], group["question_id"], counts)
                if c and (qid, theme.id) in question_themes
            )
            share_low, share_high = percentile_interval(present[draws].mean(axis=1))
            with np.errstate(invalid="ignore", divide="ignore"):
                rate_draws = 1000 * counts[draws].sum(axis=1) / token_draws
            rate_low, rate_high = percentile_interval(rate_draws)
            total_tokens = int(token_counts.sum())
            rows.append({
                "document": document, "guest": guest, "theme": theme.id, "answer_paragraphs": n,
                "paragraphs": int(present.sum()), "share": present.sum() / n,
                "share_low": share_low, "share_high": share_high,
                "hits": int(counts.sum()), "tokens": total_tokens,
                "hits_per_1k": 1000 * counts.sum() / total_tokens if total_tokens else np.nan,
                "hits_per_1k_low": rate_low, "hits_per_1k_high": rate_high,
                "prompted": prompted, "unprompted": int(present.sum()) - prompted,
            })
    return pd.DataFrame(rows, columns=THEME_BY_GUEST_COLUMNS)


def theme_balance(segments: pd.DataFrame, hits: pd.DataFrame, theme_a: str = "PLG", theme_b: str = "SLG",
                  resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Per guest, (a − b) / (a + b) over answer paragraphs carrying each theme, with its interval."""
    answers = segments[segments["role"] == "answer"]
    tagged = hits.groupby("segment_id")["theme"].agg(set)
    rows = []
    for (document, guest), group in answers.groupby(["document", "guest"], sort=False):
        themes = group["segment_id"].map(tagged)
        has_a = np.array([isinstance(t, set) and theme_a in t for t in themes], dtype=float)
        has_b = np.array([isinstance(t, set) and theme_b in t for t in themes], dtype=float)
        draws = bootstrap_indices(len(group), resamples, seed)
        a, b = has_a[draws].sum(axis=1), has_b[draws].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            low, high = percentile_interval((a - b) / (a + b))
        total = has_a.sum() + has_b.sum()
        rows.append({
            "document": document, "guest": guest, "theme_a": theme_a, "theme_b": theme_b,
            "paragraphs_a": int(has_a.sum()), "paragraphs_b": int(has_b.sum()),
            "balance": (has_a.sum() - has_b.sum()) / total if total else np.nan,
            "balance_low": low, "balance_high": high, "resamples": resamples, "seed": seed,
        })
    return pd.DataFrame(rows, columns=BALANCE_COLUMNS)
