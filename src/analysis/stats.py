"""Stage 4a — theme prevalence per guest, with intervals that respect how the interviews were made.

What the intervals describe
---------------------------
Every number here is about **one interview**. A guest's answer paragraphs are not independent
draws: they come in runs answering one question, and a theme tends to fill a whole answer
(9 of 徐至行's 16 CAPITAL paragraphs answer a single question). The unit that varies is the
*question*. So the intervals describe how much a guest's share (or rate) would move had the
interview consisted of other questions of the same kind — variation **across questions within
one interview**. They say nothing about other investors, other interviews or investors in
general: four guests are four cases, not a sample.

How they are computed (one method for every cell, so no cell changes method at a threshold)
--------------------------------------------------------------------------------------------
1. **Clusters.** Within a guest, the answer paragraphs of one ``question_id`` form a cluster; a
   paragraph without a question (e.g. a report-mode section paragraph, empty ``question_id``)
   is a cluster on its own.
2. **Cluster bootstrap variance.** Questions are resampled with replacement (``resamples``
   times, ``seed``) and the statistic recomputed as a ratio of resampled totals. Its bootstrap
   variance is multiplied by G/(G−1) (G = clusters) — the plain bootstrap variance of a mean of
   G clusters is biased down by (G−1)/G, which matters with the 6–13 questions a guest answers.
3. **Effective sample size, then an exact interval** (Korn & Graubard 1998, *Survey
   Methodology* 24:193; the "modified Clopper–Pearson" of Dean & Pagano 2015, *Stat Med*
   34:4109). The design effect is variance / (binomial variance); the effective n is
   n / design effect, never more than n. It is shrunk further by (z / t_{G−1})² so that few
   questions widen the interval as a t-interval would. The Clopper–Pearson interval is then
   taken at the effective counts. For rates the same is done with the exact Poisson (Garwood)
   interval and an effective token count.
4. **Where the bootstrap has nothing to say** — 0 of n or n of n paragraphs, no hit at all —
   the between-question variance is zero and the design effect is taken as 1 (no shrinkage
   from clustering; the t-correction still applies). The interval then stays exact and sane:
   0 of 丁宁's 17 paragraphs (6 questions) gives [0, 0.31], never [0, 0]; and whenever k ≥ 1 the
   lower bound is > 0 and whenever k < n the upper bound is < 1, because Clopper–Pearson's bounds
   are. To keep that true in floating point when one or two questions make the design effect
   huge, the effective sample never holds less than one positive (if k ≥ 1) and one negative
   (if k < n) paragraph, nor the effective count less than one hit (if hits ≥ 1).

Why not the percentile bootstrap: with 6–13 clusters it is too narrow, and at 0/n it is [0, 0]
(tests/test_stats.py simulates clustered interviews with known rates and checks coverage).

Schema of ``theme_by_guest.csv`` (one row per document, guest and theme)
------------------------------------------------------------------------

=======================  =========================================================================
document, guest          the unit of comparison
theme                    theme id
answer_paragraphs        the guest's answer paragraphs (the denominator, n)
clusters                 the guest's questions (clusters resampled; a paragraph without a
                         question counts as its own)
paragraphs               answer paragraphs with at least one hit of the theme (k)
share                    ``paragraphs / answer_paragraphs``
share_low, share_high    95% interval of ``share`` (cluster-bootstrap design effect,
                         Clopper–Pearson at the effective n; see above)
design_effect            the share's design effect (variance across questions / binomial
                         variance), ≥ 1; 1 where it cannot be estimated (k = 0 or k = n)
hits                     hits of the theme in the guest's answers
tokens                   the guest's answer tokens, punctuation excluded
hits_per_1k              ``1000 * hits / tokens``
hits_per_1k_low/high     95% interval of ``hits_per_1k`` (same method, exact Poisson interval)
prompted                 theme paragraphs whose question's **heading** has a codebook hit of the
                         same theme ("the question's heading carries the theme by the
                         codebook"). This is *not* "the interviewer asked about it": the
                         codebook was written for answers, its tagging of the 37 questions is
                         measured in ``question_tagging.csv`` (see analysis.validation), and a
                         funding question it tags TEAM still counts CAPITAL answers here as
                         ``unprompted``.
unprompted               theme paragraphs whose question heading has no codebook hit of the theme
                         (or that answer no question). Not "raised by the guest": see above.
=======================  =========================================================================

Schema of ``plg_slg_balance.csv`` (one row per document and guest)
------------------------------------------------------------------

=========================  =======================================================================
document, guest            the unit
theme_a, theme_b           ``PLG``, ``SLG``
paragraphs_a, paragraphs_b answer paragraphs with each theme (a paragraph may carry both)
balance                    (a − b) / (a + b) in [−1, 1]; positive leans towards theme_a
                           (product-led); empty when neither occurs
balance_low, balance_high  95% interval: ``balance = 2q − 1`` with q = a / (a + b), and q's
                           interval computed as for ``share`` (n = a + b) from the resamples in
                           which a + b > 0
resamples                  cluster resamples drawn
resamples_undefined        resamples in which neither theme occurs (balance undefined); they are
                           left out of the interval, and reported so that the reader knows
seed                       random seed of the resampling
=========================  =======================================================================
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import special

from .dfm import Dfm, build_dfm
from .themes import Theme

THEME_BY_GUEST_COLUMNS = [
    "document", "guest", "theme", "answer_paragraphs", "clusters", "paragraphs", "share", "share_low",
    "share_high", "design_effect", "hits", "tokens", "hits_per_1k", "hits_per_1k_low", "hits_per_1k_high",
    "prompted", "unprompted",
]
BALANCE_COLUMNS = ["document", "guest", "theme_a", "theme_b", "paragraphs_a", "paragraphs_b",
                   "balance", "balance_low", "balance_high", "resamples", "resamples_undefined", "seed"]
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20241
LEVEL = 0.95


def bootstrap_indices(n: int, resamples: int, seed: int) -> np.ndarray:
    """A (resamples × n) matrix of row indices drawn with replacement, reproducible by seed."""
    return np.random.default_rng(seed).integers(n, size=(resamples, n))  # 0 … n−1


def bootstrap_weights(n: int, resamples: int, seed: int) -> np.ndarray:
    """(resamples × n): how often each of n clusters is drawn in each resample (rows sum to n).

    Resampled totals are then ``weights @ cluster_totals`` — one matrix product per guest.
    """
    draws = bootstrap_indices(n, resamples, seed)
    # counting the draws of each row: one bincount over (row, cluster) cells
    cells = (np.arange(resamples)[:, None] * n + draws).ravel()
    return np.bincount(cells, minlength=resamples * n).reshape(resamples, n).astype(float)


def cluster_labels(units: pd.DataFrame) -> pd.Series:
    """The question a paragraph answers, or the paragraph's own id when it answers none.

    (Question ids and segment ids are distinct schemes — ``…-Q01`` vs ``…-0005`` — so the two
    kinds of label cannot collide.)
    """
    question = units["question_id"].fillna("")
    return question.where(question != "", units["segment_id"])


@lru_cache(maxsize=None)
def _t_shrink(clusters: int, level: float) -> float:
    """(z / t_{G−1})²: how much fewer clusters than paragraphs shrink the effective n.

    With one cluster there are no degrees of freedom; no shrinkage is applied then (the
    interval is the plain exact one), which only happens for a one-paragraph guest.
    """
    if clusters < 2:
        return 1.0
    # norm.ppf and t.ppf are these two; scipy.stats itself takes half a second to import
    z = special.ndtri(0.5 + level / 2)
    t = special.stdtrit(clusters - 1, 0.5 + level / 2)
    return float((z / t) ** 2)


def _bootstrap_variance(draws: np.ndarray, clusters: int) -> float:
    """Bootstrap variance, corrected by G/(G−1) towards the unbiased between-cluster variance."""
    draws = draws[~np.isnan(draws)]
    if draws.size < 2 or clusters < 2:
        return 0.0
    return float(np.var(draws, ddof=1) * clusters / (clusters - 1))


def clopper_pearson(k: float, n: float, level: float = LEVEL) -> tuple[float, float]:
    """Exact binomial interval, written with beta quantiles so that k and n may be effective
    (non-integer) counts. Bounds are 0 only at k = 0 and 1 only at k = n."""
    if n <= 0:
        return (np.nan, np.nan)
    alpha = 1 - level
    # special.betaincinv is what beta.ppf computes, without its per-call argument handling
    # (which dominated the build on large corpora)
    low = 0.0 if k <= 0 else float(special.betaincinv(k, n - k + 1, alpha / 2))
    high = 1.0 if k >= n else float(special.betaincinv(k + 1, n - k, 1 - alpha / 2))
    return low, high


def garwood(count: float, level: float = LEVEL) -> tuple[float, float]:
    """Exact Poisson interval for a (possibly effective) count; lower bound 0 only at count 0."""
    alpha = 1 - level
    low = 0.0 if count <= 0 else float(special.gammaincinv(count, alpha / 2))  # = gamma.ppf(alpha/2, count)
    return low, float(special.gammaincinv(count + 1, 1 - alpha / 2))


def share_interval(k: float, n: float, bootstrap_draws: np.ndarray, clusters: int,
                   level: float = LEVEL) -> tuple[float, float, float]:
    """(low, high, design effect) of the proportion k/n from cluster-bootstrap draws of it."""
    if n <= 0:
        return (np.nan, np.nan, np.nan)
    p = k / n
    variance = _bootstrap_variance(bootstrap_draws, clusters)
    binomial = p * (1 - p) / n
    # Korn & Graubard: the effective n never exceeds n (a design effect below 1 is noise here).
    deff = max(1.0, variance / binomial) if binomial > 0 else 1.0
    n_eff = n / deff * _t_shrink(clusters, level)
    # Whatever the design effect, a sample that holds a positive paragraph is worth at least one
    # positive, and one that holds a negative at least one negative: without this floor a huge
    # design effect (one or two questions) would push a bound to 0 or 1 in floating point.
    floor = max(1 / p if k > 0 else 0.0, 1 / (1 - p) if k < n else 0.0)
    n_eff = min(n, max(n_eff, floor))
    low, high = clopper_pearson(p * n_eff, n_eff, level)
    return low, high, deff


def rate_interval(count: float, exposure: float, bootstrap_draws: np.ndarray, clusters: int,
                  level: float = LEVEL) -> tuple[float, float]:
    """(low, high) of the rate count/exposure from cluster-bootstrap draws of it (same units)."""
    if exposure <= 0:
        return (np.nan, np.nan)
    rate = count / exposure
    variance = _bootstrap_variance(bootstrap_draws, clusters)
    poisson = rate / exposure
    deff = max(1.0, variance / poisson) if poisson > 0 else 1.0
    exposure_eff = min(exposure, exposure / deff * _t_shrink(clusters, level))
    if count > 0:  # as for shares: observed hits are worth at least one hit
        exposure_eff = min(exposure, max(exposure_eff, 1 / rate))
    low, high = garwood(rate * exposure_eff, level)
    return low / exposure_eff, high / exposure_eff


def cluster_proportion(positives: np.ndarray, sizes: np.ndarray, weights: np.ndarray,
                       level: float = LEVEL) -> tuple[float, float, float]:
    """(low, high, design effect) of ``sum(positives) / sum(sizes)`` over clusters.

    ``positives`` and ``sizes`` are per-cluster totals; ``weights`` is
    :func:`bootstrap_weights` for that many clusters.
    """
    positives, sizes = np.asarray(positives), np.asarray(sizes)
    draws = (weights @ positives) / (weights @ sizes)
    return share_interval(positives.sum(), sizes.sum(), draws, len(sizes), level)


def cluster_rate(counts: np.ndarray, exposures: np.ndarray, weights: np.ndarray,
                 level: float = LEVEL) -> tuple[float, float]:
    """(low, high) of ``sum(counts) / sum(exposures)`` over clusters (per unit of exposure)."""
    counts, exposures = np.asarray(counts), np.asarray(exposures)
    # A resample may draw only wordless clusters (0/0): that draw is NaN and left out.
    with np.errstate(invalid="ignore", divide="ignore"):
        draws = (weights @ counts) / (weights @ exposures)
    return rate_interval(counts.sum(), exposures.sum(), draws, len(counts), level)


def answer_units(segments: pd.DataFrame, tokens: pd.DataFrame, paragraphs: Dfm | None = None) -> pd.DataFrame:
    """Answer paragraphs with their guest, question and token count, as the counting object
    defines them (:func:`analysis.dfm.build_dfm`: the one definition of a token count).
    ``paragraphs``: that dfm when the caller already built it."""
    docvars = (paragraphs if paragraphs is not None else build_dfm(segments, tokens, "paragraph")).docvars
    return docvars[["segment_id", "document", "guest", "question_id", "tokens"]].reset_index(drop=True)


def question_themes(segments: pd.DataFrame, hits: pd.DataFrame) -> set[tuple[str, str]]:
    """(question_id, theme) for every question heading the codebook tags with the theme."""
    questions = segments.loc[segments["role"] == "question", ["segment_id", "question_id"]]
    tagged = hits.merge(questions, on="segment_id")
    return set(zip(tagged["question_id"], tagged["theme"]))


def theme_by_guest(segments: pd.DataFrame, tokens: pd.DataFrame, hits: pd.DataFrame, themes: list[Theme],
                   resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                   paragraphs: Dfm | None = None) -> pd.DataFrame:
    """The guest × theme matrix with cluster-aware intervals (see module doc); ``paragraphs``
    is the answer-paragraph dfm of ``segments`` and ``tokens`` when already built."""
    units = answer_units(segments, tokens, paragraphs)
    units["cluster"] = cluster_labels(units)
    # hits per (paragraph, theme) as one aligned matrix: a dictionary lookup per paragraph and
    # theme is what made this table the slowest of the build on large corpora
    per_theme = (hits.groupby(["segment_id", "theme"]).size().unstack(fill_value=0)
                 .reindex(index=units["segment_id"], columns=[t.id for t in themes], fill_value=0))
    per_theme = per_theme.to_numpy()
    asked = question_themes(segments, hits)
    # whether each paragraph's question heading carries each theme (paragraphs × themes)
    question_ids = units["question_id"].to_numpy(dtype=object)
    prompted_by = np.array([[(qid, theme.id) in asked for theme in themes] for qid in question_ids],
                           dtype=bool).reshape(len(units), len(themes))
    rows = []
    for (document, guest), group in units.groupby(["document", "guest"], sort=False):
        n = len(group)
        codes, cluster_names = pd.factorize(group["cluster"])
        clusters = len(cluster_names)
        weights = bootstrap_weights(clusters, resamples, seed)
        # factorize numbers the clusters 0…G−1, so every bincount below has length G.
        size_by_cluster = np.bincount(codes)
        tokens_by_cluster = np.bincount(codes, weights=group["tokens"].to_numpy())
        total_tokens = int(group["tokens"].sum())
        positions = group.index.to_numpy()  # units has a RangeIndex: labels are row positions
        for column, theme in enumerate(themes):
            counts = per_theme[positions, column]
            present = counts > 0
            k = int(present.sum())
            share_low, share_high, deff = cluster_proportion(
                np.bincount(codes, weights=present), size_by_cluster, weights)
            rate_low, rate_high = cluster_rate(
                np.bincount(codes, weights=counts), tokens_by_cluster, weights)
            prompted = int((present & prompted_by[positions, column]).sum())
            rows.append({
                "document": document, "guest": guest, "theme": theme.id, "answer_paragraphs": n,
                "clusters": clusters, "paragraphs": k, "share": k / n,
                "share_low": share_low, "share_high": share_high, "design_effect": deff,
                "hits": int(counts.sum()), "tokens": total_tokens,
                "hits_per_1k": 1000 * counts.sum() / total_tokens if total_tokens else np.nan,
                "hits_per_1k_low": 1000 * rate_low, "hits_per_1k_high": 1000 * rate_high,
                "prompted": prompted, "unprompted": k - prompted,
            })
    return pd.DataFrame(rows, columns=THEME_BY_GUEST_COLUMNS)


def theme_balance(segments: pd.DataFrame, hits: pd.DataFrame, theme_a: str = "PLG", theme_b: str = "SLG",
                  resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Per guest, (a − b) / (a + b) over answer paragraphs carrying each theme, with its interval."""
    answers = segments[segments["role"] == "answer"].copy()
    answers["cluster"] = cluster_labels(answers)
    carries_a = answers["segment_id"].isin(hits.loc[hits["theme"] == theme_a, "segment_id"]).to_numpy()
    carries_b = answers["segment_id"].isin(hits.loc[hits["theme"] == theme_b, "segment_id"]).to_numpy()
    answers = answers.reset_index(drop=True)
    rows = []
    for (document, guest), group in answers.groupby(["document", "guest"], sort=False):
        positions = group.index.to_numpy()  # a RangeIndex after the reset: labels are row positions
        has_a, has_b = carries_a[positions], carries_b[positions]
        codes, names = pd.factorize(group["cluster"])
        clusters = len(names)
        weights = bootstrap_weights(clusters, resamples, seed)
        a_draws = weights @ np.bincount(codes, weights=has_a)
        b_draws = weights @ np.bincount(codes, weights=has_b)
        defined = (a_draws + b_draws) > 0
        a, b = int(has_a.sum()), int(has_b.sum())
        if a + b:
            q_low, q_high, _ = share_interval(a, a + b, a_draws[defined] / (a_draws + b_draws)[defined], clusters)
            balance, low, high = (a - b) / (a + b), 2 * q_low - 1, 2 * q_high - 1
        else:
            balance = low = high = np.nan
        rows.append({
            "document": document, "guest": guest, "theme_a": theme_a, "theme_b": theme_b,
            "paragraphs_a": a, "paragraphs_b": b, "balance": balance,
            "balance_low": low, "balance_high": high, "resamples": resamples,
            "resamples_undefined": int((~defined).sum()), "seed": seed,
        })
    return pd.DataFrame(rows, columns=BALANCE_COLUMNS)
