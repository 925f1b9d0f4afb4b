"""Stage 4b — what each guest says that the others don't: TF-IDF and weighted log-odds.

Both read the answer-paragraph content :class:`~analysis.dfm.Dfm` (``build_dfm(segments,
tokens)``) and group it by unit, ``(document, guest)`` (:data:`UNIT_KEY`): in a folder of
chapters, two sections of the same title in two chapters are two units, not one; every
``count`` below is a count of that dfm.

**TF-IDF: each guest's answers as one document, IDF learned over answer paragraphs.**
With the guests themselves as the IDF documents (four of them), IDF can take only four
values, so a word every guest uses loses at most a factor of two and frequent words top
every list; averaging per-paragraph TF-IDF over a guest's paragraphs is close to raw
frequency. Here the IDF is the one of the ~140 answer paragraphs (smooth,
``ln((1 + N) / (1 + df)) + 1``), which tells a word found in half of all paragraphs from
one found in three, and the TF is the guest's count over all their answers (sublinear,
``1 + ln tf``). Rows are l2-normalised, so scores compare across guests of different
length. A term is listed for a guest only when it occurs in at least ``min_paragraphs``
(default 2) of the guest's answer paragraphs. This is scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` fitted on the
paragraphs and applied to the guests' documents. TF-IDF ranks what is *characteristic*
of a guest's answers; it is not a test of a difference between guests: that is the
log-odds below.

Schema of ``tfidf_terms.csv`` (top terms per guest):

==========  ==============================================================================
document    the guest's document (chapter); ``""`` for a dfm without documents
method      ``paragraph_idf`` (the only method; kept so that the table names its method)
guest       the guest (report mode: the section)
term        the token
score       the TF-IDF weight (see above)
rank        1 = most characteristic
count       occurrences of the term in the guest's answers
paragraphs  the guest's answer paragraphs containing the term
==========  ==============================================================================

Schema of ``keyness.csv`` — log-odds ratio with an informative Dirichlet prior (Monroe,
Colaresi & Quinn 2008, eq. 16–22), each guest against the other guests together. The
prior is the corpus's own term distribution (α_w = the corpus count of w). A term is
*tested* when it occurs at least ``min_count`` times in the corpus; the p-values of all
tested terms of a guest form one family for the Benjamini–Hochberg correction (350 terms
in the embedded chapter, so an uncorrected z > 1.96 says little). A term is *listed* for a guest
only when the guest used it at least ``min_guest_count`` times: a z-score from two or
three uses is one passage, not a way of speaking.

============  ============================================================================
document      the guest's document (chapter); ``""`` for a dfm without documents
guest         the guest (report mode: the section)
term          the token
score         z-score of the log-odds ratio (positive: over-used by this guest)
rank          1 = most over-used (among the listed terms)
count         occurrences in the guest's answers
count_rest    occurrences in the other guests' answers
delta         the prior-smoothed log-odds ratio
variance      its approximate variance ``1/(y_i+α_w) + 1/(y_j+α_w)``
p             two-sided p-value of ``score`` under the standard normal
q             Benjamini–Hochberg adjusted p-value over the guest's tested terms
significant   ``q < fdr`` (default 0.05)
============  ============================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import erfc

from .dfm import Dfm

TFIDF_COLUMNS = ["document", "method", "guest", "term", "score", "rank", "count", "paragraphs"]
KEYNESS_COLUMNS = ["document", "guest", "term", "score", "rank", "count", "count_rest", "delta", "variance", "p", "q",
                   "significant"]
#: what one unit is: a guest (or section) of one document
UNIT_KEY = ("document", "guest")
TFIDF_METHOD = "paragraph_idf"
DEFAULT_MIN_GUEST_COUNT = 5
DEFAULT_MIN_PARAGRAPHS = 2
DEFAULT_FDR = 0.05


def _unit_key(dfm: Dfm, by) -> list[str]:
    """The grouping columns: ``by`` (one or several docvars), without ``document`` when the dfm
    has none (a dfm made by hand from token lists)."""
    by = [by] if isinstance(by, str) else list(by)
    return [c for c in by if c != "document" or c in dfm.docvars.columns]


def _units(groups: Dfm, key: list[str], label: str):
    """(document, label) of each group, in group order."""
    documents = groups.docvars["document"] if "document" in key else [""] * groups.shape[0]
    return zip(documents, groups.docvars[label])


def tfidf_terms(dfm: Dfm, by=UNIT_KEY, top_k: int = 30, min_df: int = 1,
                min_paragraphs: int = DEFAULT_MIN_PARAGRAPHS) -> pd.DataFrame:
    """Top TF-IDF terms per group ``by`` of a paragraph dfm (see module docstring).

    Terms in fewer than ``min_df`` of the dfm's paragraphs are left out. A term is listed
    for a group only when it occurs in at least ``min_paragraphs`` of the group's
    paragraphs: paragraph IDF rewards rarity, and a word repeated within one paragraph
    is that passage's topic, not the guest's.
    """
    key = _unit_key(dfm, by)
    label = key[-1]  # the unit's own name (guest), the table's `guest` column
    paragraphs = dfm.select(min_units=min_df)
    idf = smooth_idf(paragraphs)
    groups = paragraphs.group(key)
    counts = groups.matrix.toarray()
    tf = np.where(counts > 0, 1 + np.log(np.maximum(counts, 1)), 0.0)
    weights = tf * idf
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    weights = weights / np.where(norms > 0, norms, 1.0)  # a guest without a content word keeps a row of zeros
    in_paragraphs = paragraphs.binary().group(key).matrix.toarray()
    rows = []
    for i, (document, guest) in enumerate(_units(groups, key, label)):
        order = np.lexsort((paragraphs.features, -weights[i]))  # ties broken by term, for stable output
        order = order[(weights[i, order] > 0) & (in_paragraphs[i, order] >= min_paragraphs)][:top_k]
        for rank, j in enumerate(order, start=1):
            rows.append({"document": document, "method": TFIDF_METHOD, "guest": guest, "term": paragraphs.features[j],
                         "score": float(weights[i, j]), "rank": rank, "count": int(counts[i, j]),
                         "paragraphs": int(in_paragraphs[i, j])})
    return pd.DataFrame(rows, columns=TFIDF_COLUMNS)


def smooth_idf(dfm: Dfm) -> np.ndarray:
    """Smooth IDF of each feature over the dfm's units, ``ln((1 + N) / (1 + df)) + 1``:
    scikit-learn's ``TfidfTransformer(smooth_idf=True).idf_`` (the tests compare the two).
    Written out because importing scikit-learn costs a build a second, for one line."""
    n_units = dfm.shape[0]
    df = np.asarray(dfm.binary().matrix.sum(axis=0)).ravel()
    return np.log((1.0 + n_units) / (1.0 + df)) + 1.0


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


def two_sided_p(z: np.ndarray) -> np.ndarray:
    """P(|Z| ≥ |z|) for a standard normal Z: ``erfc(|z| / √2)``."""
    return erfc(np.abs(np.asarray(z, dtype=float)) / np.sqrt(2.0))


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), in the order of ``p``.

    With the m p-values sorted ascending, ``q_(k) = min over j ≥ k of m·p_(j) / j``, capped
    at 1: a term is significant at false discovery rate α when ``q < α``.
    """
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q = np.empty(m)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q


def keyness(dfm: Dfm, by=UNIT_KEY, top_k: int = 30, min_count: int = 3,
            min_guest_count: int = DEFAULT_MIN_GUEST_COUNT, prior_strength: float | None = None,
            fdr: float = DEFAULT_FDR) -> pd.DataFrame:
    """Each group ``by`` against the others: the top ``top_k`` listed terms by log-odds z-score.

    The informative prior is the whole corpus's term distribution scaled to
    ``prior_strength`` pseudo-counts (default: the corpus size, i.e. α_w = corpus count of w,
    as in Monroe et al.'s informative-prior model). Terms rarer than ``min_count`` in the
    corpus are not tested; terms the group used fewer than ``min_guest_count`` times are
    tested (they count in the Benjamini–Hochberg family) but not listed. ``significant``
    is ``q < fdr``.
    """
    key = _unit_key(dfm, by)
    groups = dfm.group(key).select(min_count=max(min_count, 1))
    matrix, vocabulary = groups.matrix.toarray(), groups.features
    total = matrix.sum(axis=0)
    strength = prior_strength if prior_strength is not None else total.sum()
    prior = strength * total / total.sum()
    rows = []
    for i, (document, guest) in enumerate(_units(groups, key, key[-1])):
        rest = total - matrix[i]
        delta, variance, z = log_odds_dirichlet(matrix[i], rest, prior)
        p = two_sided_p(z)
        q = benjamini_hochberg(p)
        listed = np.flatnonzero(matrix[i] >= min_guest_count)
        order = listed[np.lexsort((vocabulary[listed], -z[listed]))][:top_k]
        for rank, j in enumerate(order, start=1):
            rows.append({"document": document, "guest": guest, "term": vocabulary[j], "score": float(z[j]), "rank": rank,
                         "count": int(matrix[i, j]), "count_rest": int(rest[j]),
                         "delta": float(delta[j]), "variance": float(variance[j]),
                         "p": float(p[j]), "q": float(q[j]), "significant": bool(q[j] < fdr)})
    return pd.DataFrame(rows, columns=KEYNESS_COLUMNS)
