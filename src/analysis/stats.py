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


def _bootstrap_variances(draws: np.ndarray, clusters: int) -> np.ndarray:
    """:func:`_bootstrap_variance` of every row of ``draws`` (statistics × resamples), equal to
    it bit for bit.

    numpy sums a C-contiguous row as it sums a 1-D array (pairwise), and ``draws[complete]`` is
    a new C-contiguous array whatever the layout of ``draws``: a variance down the columns of a
    resamples × statistics array (``axis=0``) adds in another order and moves the published
    bounds in their last digits. A row with resamples left out (NaN) has its own number of
    draws; such rows, rare, go through the one-row definition.
    """
    variances = np.zeros(len(draws))
    if draws.shape[1] < 2 or clusters < 2:
        return variances
    missing = np.isnan(draws).any(axis=1)
    complete = ~missing
    variances[complete] = np.var(draws[complete], axis=1, ddof=1) * clusters / (clusters - 1)
    for row in np.flatnonzero(missing):
        variances[row] = _bootstrap_variance(draws[row], clusters)
    return variances


# The interval formulas below work on arrays (one call for every guest × theme cell of a
# table) and on single numbers (the public functions, which call them with one cell). They are
# written to do, cell by cell, exactly the floating-point operations of the scalar formula:
# ``_larger``/``_smaller`` are Python's ``max``/``min`` (which keep the first argument unless
# the second is strictly larger/smaller, NaN included), so a table computed in one call equals
# the table computed cell by cell to the last bit.
def _larger(first, second):
    return np.where(second > first, second, first)


def _smaller(first, second):
    return np.where(second < first, second, first)


def _cells(*values) -> list[np.ndarray]:
    """Numbers or arrays as float arrays of one shape, at least one-dimensional (a cell per
    element)."""
    return [np.atleast_1d(np.array(v, dtype=float)) for v in np.broadcast_arrays(*values)]


def _clopper_pearson_bounds(k, n, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """:func:`clopper_pearson` of every cell (NaN where n ≤ 0)."""
    k, n = _cells(k, n)
    alpha = 1 - level
    low, high = np.zeros(k.shape), np.ones(k.shape)
    empty = n <= 0
    # betaincinv only where the bound is not fixed: the same calls the scalar formula makes
    lower, upper = ~(k <= 0) & ~empty, ~(k >= n) & ~empty
    low[lower] = special.betaincinv(k[lower], n[lower] - k[lower] + 1, alpha / 2)
    high[upper] = special.betaincinv(k[upper] + 1, n[upper] - k[upper], 1 - alpha / 2)
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def clopper_pearson(k: float, n: float, level: float = LEVEL) -> tuple[float, float]:
    """Exact binomial interval, written with beta quantiles so that k and n may be effective
    (non-integer) counts. Bounds are 0 only at k = 0 and 1 only at k = n."""
    # special.betaincinv is what beta.ppf computes, without its per-call argument handling
    # (which dominated the build on large corpora)
    low, high = _clopper_pearson_bounds(k, n, level)
    return float(low[0]), float(high[0])


def _garwood_bounds(count, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """:func:`garwood` of every cell."""
    (count,) = _cells(count)
    alpha = 1 - level
    low = np.zeros(count.shape)
    positive = ~(count <= 0)
    low[positive] = special.gammaincinv(count[positive], alpha / 2)  # = gamma.ppf(alpha/2, count)
    return low, special.gammaincinv(count + 1, 1 - alpha / 2)


def garwood(count: float, level: float = LEVEL) -> tuple[float, float]:
    """Exact Poisson interval for a (possibly effective) count; lower bound 0 only at count 0."""
    low, high = _garwood_bounds(count, level)
    return float(low[0]), float(high[0])


def _share_bounds(k, n, variance, shrink, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low, high, design effect) of the proportions k/n given their bootstrap variances and
    :func:`_t_shrink` factors, cell by cell (NaN where n ≤ 0); see :func:`share_interval`."""
    k, n, variance, shrink = _cells(k, n, variance, shrink)
    empty = n <= 0
    with np.errstate(divide="ignore", invalid="ignore"):  # the cells of empty or 0/n shares
        p = k / n
        binomial = p * (1 - p) / n
        # Korn & Graubard: the effective n never exceeds n (a design effect below 1 is noise here).
        deff = np.where(binomial > 0, _larger(1.0, variance / binomial), 1.0)
        n_eff = n / deff * shrink
        # Whatever the design effect, a sample that holds a positive paragraph is worth at least
        # one positive, and one that holds a negative at least one negative: without this floor a
        # huge design effect (one or two questions) would push a bound to 0 or 1 in floating point.
        floor = _larger(np.where(k > 0, 1 / p, 0.0), np.where(k < n, 1 / (1 - p), 0.0))
        n_eff = _smaller(n, _larger(n_eff, floor))
        # where n = 0, n_eff is 0 too (n / deff · shrink, and no floor): NaN bounds
        low, high = _clopper_pearson_bounds(p * n_eff, n_eff, level)
    return low, high, np.where(empty, np.nan, deff)


def share_interval(k: float, n: float, bootstrap_draws: np.ndarray, clusters: int,
                   level: float = LEVEL) -> tuple[float, float, float]:
    """(low, high, design effect) of the proportion k/n from cluster-bootstrap draws of it."""
    low, high, deff = _share_bounds(k, n, _bootstrap_variance(bootstrap_draws, clusters),
                                    _t_shrink(clusters, level), level)
    return float(low[0]), float(high[0]), float(deff[0])


def _rate_bounds(count, exposure, variance, shrink, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of the rates count/exposure given their bootstrap variances and
    :func:`_t_shrink` factors, cell by cell (NaN where exposure ≤ 0); see :func:`rate_interval`."""
    count, exposure, variance, shrink = _cells(count, exposure, variance, shrink)
    empty = exposure <= 0
    with np.errstate(divide="ignore", invalid="ignore"):  # the cells without exposure
        rate = count / exposure
        poisson = rate / exposure
        deff = np.where(poisson > 0, _larger(1.0, variance / poisson), 1.0)
        exposure_eff = _smaller(exposure, exposure / deff * shrink)
        # as for shares: observed hits are worth at least one hit
        exposure_eff = np.where(count > 0, _smaller(exposure, _larger(exposure_eff, 1 / rate)), exposure_eff)
        low, high = _garwood_bounds(rate * exposure_eff, level)
        # no exposure, no rate: NaN, as the scalar formula returned it (not whatever 0/0 gives)
        return np.where(empty, np.nan, low / exposure_eff), np.where(empty, np.nan, high / exposure_eff)


def rate_interval(count: float, exposure: float, bootstrap_draws: np.ndarray, clusters: int,
                  level: float = LEVEL) -> tuple[float, float]:
    """(low, high) of the rate count/exposure from cluster-bootstrap draws of it (same units)."""
    low, high = _rate_bounds(count, exposure, _bootstrap_variance(bootstrap_draws, clusters),
                             _t_shrink(clusters, level), level)
    return float(low[0]), float(high[0])


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


def guest_clusters(units: pd.DataFrame) -> list[tuple[str, str, np.ndarray, np.ndarray, int]]:
    """Per (document, guest), in chapter order: ``(document, guest, positions, codes, clusters)``
    — the guest's row positions in ``units`` (in row order), each row's cluster number 0…G−1
    (numbered in order of first appearance, as ``pd.factorize`` numbers the guest's
    :func:`cluster_labels`) and G.

    These are the groups of ``units.groupby(["document", "guest"], sort=False)``, without a
    pandas group per guest. The cluster numbering matters: column j of
    :func:`bootstrap_weights` is the j-th cluster, so another numbering draws other resamples.
    """
    grouped = units.groupby(["document", "guest"], sort=False)
    number = grouped.ngroup().to_numpy()  # NaN (a float array) for a row without a guest
    # every label numbered once over the whole table; within a guest, numbering those numbers by
    # first appearance numbers the labels by first appearance
    labels, _ = pd.factorize(cluster_labels(units))
    order = np.argsort(number, kind="stable")  # rows without a guest (NaN) sort last, in no group
    starts = np.searchsorted(number[order], np.arange(grouped.ngroups + 1))
    documents, guests = units["document"].to_numpy(), units["guest"].to_numpy()
    groups = []
    for start, end in zip(starts[:-1], starts[1:]):
        positions = order[start:end]
        codes, names = pd.factorize(labels[positions])
        groups.append((documents[positions[0]], guests[positions[0]], positions, codes, len(names)))
    return groups


def _cluster_totals(codes: np.ndarray, values: np.ndarray, clusters: int) -> np.ndarray:
    """Column sums of ``values`` (rows × columns) within each cluster: clusters × columns."""
    totals = np.zeros((clusters, values.shape[1]))
    np.add.at(totals, codes, values)
    return totals


def theme_by_guest(segments: pd.DataFrame, tokens: pd.DataFrame, hits: pd.DataFrame, themes: list[Theme],
                   resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                   paragraphs: Dfm | None = None) -> pd.DataFrame:
    """The guest × theme matrix with cluster-aware intervals (see module doc); ``paragraphs``
    is the answer-paragraph dfm of ``segments`` and ``tokens`` when already built."""
    units = answer_units(segments, tokens, paragraphs)
    theme_ids = [t.id for t in themes]
    # hits per (paragraph, theme) as one aligned matrix: a dictionary lookup per paragraph and
    # theme is what made this table the slowest of the build on large corpora
    per_theme = (hits.groupby(["segment_id", "theme"]).size().unstack(fill_value=0)
                 .reindex(index=units["segment_id"], columns=theme_ids, fill_value=0))
    per_theme = per_theme.to_numpy()
    present = per_theme > 0
    asked = question_themes(segments, hits)
    # whether each paragraph's question heading carries each theme (paragraphs × themes),
    # looked up once per distinct question
    # (a missing question id is a value of its own, never a heading's: not code −1, which would
    # pick the last question's row)
    question_codes, question_ids = pd.factorize(units["question_id"], use_na_sentinel=False)
    heading = np.array([[(qid, theme_id) in asked for theme_id in theme_ids] for qid in question_ids],
                       dtype=bool).reshape(len(question_ids), len(theme_ids))
    prompted_present = present & heading[question_codes]
    token_counts = units["tokens"].to_numpy()
    weights_of: dict[int, np.ndarray] = {}  # the resamples depend only on G (and the seed)
    keys, sizes, cluster_counts, exposures, total_tokens, parts = [], [], [], [], [], []
    for document, guest, positions, codes, clusters in guest_clusters(units):
        if clusters not in weights_of:
            weights_of[clusters] = bootstrap_weights(clusters, resamples, seed)
        weights = weights_of[clusters]
        # the per-cluster totals are whole numbers, so these products are exact and equal, cell
        # by cell, to the one-theme products ``weights @ totals`` of cluster_proportion/cluster_rate
        size_by_cluster = np.bincount(codes)
        tokens_by_cluster = np.bincount(codes, weights=token_counts[positions])
        positives = _cluster_totals(codes, present[positions], clusters)
        counts = _cluster_totals(codes, per_theme[positions], clusters)
        share_draws = (weights @ positives).T / (weights @ size_by_cluster)  # themes × resamples
        # A resample may draw only wordless clusters (0/0): that draw is NaN and left out.
        with np.errstate(invalid="ignore", divide="ignore"):
            rate_draws = (weights @ counts).T / (weights @ tokens_by_cluster)
        variances = _bootstrap_variances(np.concatenate([share_draws, rate_draws]), clusters)
        parts.append((present[positions].sum(axis=0), per_theme[positions].sum(axis=0),
                      prompted_present[positions].sum(axis=0), variances[: len(themes)], variances[len(themes):]))
        keys.append((document, guest))
        sizes.append(len(positions))
        cluster_counts.append(clusters)
        exposures.append(tokens_by_cluster.sum())
        total_tokens.append(int(token_counts[positions].sum()))
    if not parts or not themes:
        return pd.DataFrame(columns=THEME_BY_GUEST_COLUMNS)
    # every guest × theme cell at once, guest by guest and theme by theme (the table's row order)
    k, hit_counts, prompted, share_variance, rate_variance = (np.concatenate(cells) for cells in zip(*parts))
    per_guest = len(themes)
    n, tokens_total, exposure = (np.repeat(values, per_guest) for values in (sizes, total_tokens, exposures))
    shrink = np.repeat([_t_shrink(clusters, LEVEL) for clusters in cluster_counts], per_guest)
    share_low, share_high, deff = _share_bounds(k, n, share_variance, shrink)
    rate_low, rate_high = _rate_bounds(hit_counts, exposure, rate_variance, shrink)
    with np.errstate(divide="ignore", invalid="ignore"):  # a guest without words has no rate
        hits_per_1k = np.where(tokens_total > 0, 1000 * hit_counts / tokens_total, np.nan)
    return pd.DataFrame({
        "document": [d for d, _ in keys for _ in themes], "guest": [g for _, g in keys for _ in themes],
        "theme": theme_ids * len(keys), "answer_paragraphs": n, "clusters": np.repeat(cluster_counts, per_guest),
        "paragraphs": k, "share": k / n, "share_low": share_low, "share_high": share_high, "design_effect": deff,
        "hits": hit_counts, "tokens": tokens_total, "hits_per_1k": hits_per_1k,
        "hits_per_1k_low": 1000 * rate_low, "hits_per_1k_high": 1000 * rate_high,
        "prompted": prompted, "unprompted": k - prompted,
    }, columns=THEME_BY_GUEST_COLUMNS)


def theme_balance(segments: pd.DataFrame, hits: pd.DataFrame, theme_a: str = "PLG", theme_b: str = "SLG",
                  resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Per guest, (a − b) / (a + b) over answer paragraphs carrying each theme, with its interval."""
    answers = segments[segments["role"] == "answer"].reset_index(drop=True)
    # each paragraph's theme hits, one id per tagged paragraph (isin over every hit is slow)
    carries_a = answers["segment_id"].isin(hits.loc[hits["theme"] == theme_a, "segment_id"].unique()).to_numpy()
    carries_b = answers["segment_id"].isin(hits.loc[hits["theme"] == theme_b, "segment_id"].unique()).to_numpy()
    weights_of: dict[int, np.ndarray] = {}  # the resamples depend only on G (and the seed)
    keys, a_counts, b_counts, undefined, variances, shrinks = [], [], [], [], [], []
    for document, guest, positions, codes, clusters in guest_clusters(answers):
        if clusters not in weights_of:
            weights_of[clusters] = bootstrap_weights(clusters, resamples, seed)
        weights = weights_of[clusters]
        has_a, has_b = carries_a[positions], carries_b[positions]
        a_draws = weights @ np.bincount(codes, weights=has_a)
        b_draws = weights @ np.bincount(codes, weights=has_b)
        defined = (a_draws + b_draws) > 0
        variances.append(_bootstrap_variance(a_draws[defined] / (a_draws + b_draws)[defined], clusters))
        keys.append((document, guest))
        a_counts.append(int(has_a.sum()))
        b_counts.append(int(has_b.sum()))
        undefined.append(int((~defined).sum()))
        shrinks.append(_t_shrink(clusters, LEVEL))
    if not keys:
        return pd.DataFrame(columns=BALANCE_COLUMNS)
    a, b = np.array(a_counts), np.array(b_counts)
    # q = a / (a + b) as a share of the paragraphs with either theme; NaN where neither occurs
    q_low, q_high, _ = _share_bounds(a, a + b, variances, shrinks)
    with np.errstate(invalid="ignore"):  # 0 / 0 where neither theme occurs
        balance = np.where(a + b > 0, (a - b) / (a + b), np.nan)
    return pd.DataFrame({
        "document": [d for d, _ in keys], "guest": [g for _, g in keys], "theme_a": theme_a, "theme_b": theme_b,
        "paragraphs_a": a, "paragraphs_b": b, "balance": balance,
        "balance_low": 2 * q_low - 1, "balance_high": 2 * q_high - 1, "resamples": resamples,
        "resamples_undefined": undefined, "seed": seed,
    }, columns=BALANCE_COLUMNS)
