"""Stage 4c — which concepts travel together: keyword and theme co-occurrence.

Co-occurrence is counted over the *units* of a content :class:`~analysis.dfm.Dfm`:
sentences (``window="sentence"``, a sentence dfm) or answer paragraphs
(``window="paragraph"``), those with at least one content token. With ``X`` the dfm made
binary, ``C = XᵀX`` holds in ``C[a, b]`` the number of units containing both a and b and in
``C[a, a]`` the units containing a; no Python loop visits pairs.

Schema of ``cooccurrence_edges.csv`` (one row per term pair, ``term_a < term_b``; within each
scope, guest and window the pair in most units first, ties by ``term_a`` then ``term_b``):

========  ===========================================================================
scope     ``corpus`` (all guests' answers) or ``guest``
guest     the guest for ``scope == guest``, else ``""``
term_a    first term (code-point order)
term_b    second term
window    ``sentence`` or ``paragraph``
count     units containing both terms (at least ``min_count``)
npmi      normalised PMI, ``log(p_ab / p_a p_b) / −log p_ab`` in [−1, 1]
jaccard   ``count / (units with a + units with b − count)``
========  ===========================================================================

Schema of ``theme_cooccurrence.csv`` (one row per theme pair, codebook order, over the
answer paragraphs of the theme indicator):

==================  =====================================================================
theme_a, theme_b    the two themes (``theme_a`` first in the codebook)
count               answer paragraphs carrying both themes
npmi                as above; −1 when ``status == never``, empty when ``undefined``
jaccard             as above; 0 when ``never``, empty when ``undefined``
paragraphs_a/_b     answer paragraphs carrying each theme
status              ``together`` (count > 0), ``never`` (count 0, both themes occur) or
                    ``undefined`` (a theme occurs in no paragraph: nothing to compare)
count_independent   paragraphs where each theme has a hit outside the phrases of the other
                    (hits overlapping or at most one character apart are one phrase): the
                    co-occurrence that is not built into the codebook by a shared term or
                    by two themes cutting one phrase ("百万美金" SLG + "(年)订阅" ARR)
shared_terms        codebook terms listed under both themes (``; ``-separated; e.g. 预算)
codebook_link       ``count_independent < count``: some of the pair's paragraphs hold both
                    themes only through the same or adjacent words
==================  =====================================================================
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .dfm import Dfm
from .lexicon import fold_width
from .themes import Theme

if TYPE_CHECKING:  # drawing only: imported where a graph is made
    import networkx as nx

EDGE_COLUMNS = ["scope", "guest", "term_a", "term_b", "window", "count", "npmi", "jaccard"]
THEME_PAIR_COLUMNS = ["theme_a", "theme_b", "count", "npmi", "jaccard", "paragraphs_a", "paragraphs_b", "status",
                      "count_independent", "shared_terms", "codebook_link"]
PHRASE_GAP = 1
PASSAGE_COLUMNS = ["segment_id", "sentence_index", "guest", "question", "text"]


def cooccurrence_counts(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """``XᵀX`` for a binary unit × term matrix: pair counts off the diagonal, frequencies on it."""
    matrix = matrix.astype(np.int64)
    return (matrix.T @ matrix).tocsr()


def association_measures(pair_counts: np.ndarray, count_a: np.ndarray, count_b: np.ndarray, units: int):
    """NPMI and Jaccard for pairs, from joint and marginal unit counts."""
    pair_counts, count_a, count_b = (np.asarray(x, dtype=float) for x in (pair_counts, count_a, count_b))
    p_ab, p_a, p_b = pair_counts / units, count_a / units, count_b / units
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(p_ab / (p_a * p_b))
        npmi = np.where(p_ab >= 1.0, 1.0, pmi / -np.log(p_ab))
        npmi = np.where(pair_counts == 0, -1.0, npmi)
        jaccard = pair_counts / (count_a + count_b - pair_counts)
    return np.clip(npmi, -1.0, 1.0), jaccard


def cooccurrence_edges_for(dfm: Dfm, min_count: int) -> pd.DataFrame:
    """Edges (term_a, term_b, count, npmi, jaccard) among the units of ``dfm``; pairs below
    ``min_count`` dropped. Rows: the pair in most units first, ties in code-point order of
    ``term_a``, then ``term_b``.

    The units are those with at least one feature: a unit without content tokens can hold
    no pair, and leaving it out of the unit total keeps NPMI a statement about units that
    say something.
    """
    units = dfm.nonempty().binary()
    counts = cooccurrence_counts(units.matrix)
    diagonal = counts.diagonal()
    upper = sp.triu(counts, k=1).tocoo()
    keep = upper.data >= min_count
    rows, cols, joint = upper.row[keep], upper.col[keep], upper.data[keep]
    npmi, jaccard = association_measures(joint, diagonal[rows], diagonal[cols], units.shape[0])
    edges = pd.DataFrame({"term_a": units.features[rows], "term_b": units.features[cols],
                          "count": joint.astype("int64"), "npmi": npmi, "jaccard": jaccard})
    return edges.sort_values(["count", "term_a", "term_b"], ascending=[False, True, True], ignore_index=True)


def cooccurrence_edges(dfms, min_count: int = 3, per_guest_min_count: int = 2) -> pd.DataFrame:
    """The cooccurrence_edges table from one content dfm per window (``[sentences, paragraphs]``,
    each from :func:`analysis.dfm.build_dfm`): over the corpus and per guest."""
    frames = []
    for dfm in dfms:
        window = dfm.unit
        units = dfm.nonempty()
        corpus_edges = cooccurrence_edges_for(units, min_count)
        frames.append(corpus_edges.assign(scope="corpus", guest="", window=window))
        for guest in dict.fromkeys(units.docvars["guest"]):
            edges = cooccurrence_edges_for(units.subset(units.docvars["guest"] == guest), per_guest_min_count)
            frames.append(edges.assign(scope="guest", guest=guest, window=window))
    return pd.concat(frames, ignore_index=True)[EDGE_COLUMNS]


def theme_cooccurrence(indicator: pd.DataFrame, hits: pd.DataFrame, themes: list[Theme],
                       phrase_gap: int = PHRASE_GAP) -> pd.DataFrame:
    """The theme_cooccurrence table (see module docstring) from a 0/1 paragraphs × themes
    table, the theme hits behind it and the codebook's themes.

    Two hits at most ``phrase_gap`` characters apart are one phrase for
    ``count_independent`` (1: "百万美金年订阅" is one phrase, "满足需求有预算" too).
    """
    matrix = sp.csr_matrix(indicator.to_numpy(dtype=np.int64))
    counts = cooccurrence_counts(matrix).toarray()
    names = list(indicator.columns)
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    frame = pd.DataFrame({
        "theme_a": [names[i] for i, _ in pairs], "theme_b": [names[j] for _, j in pairs],
        "count": [counts[i, j] for i, j in pairs],
        "paragraphs_a": [counts[i, i] for i, _ in pairs], "paragraphs_b": [counts[j, j] for _, j in pairs],
    }, columns=["theme_a", "theme_b", "count", "paragraphs_a", "paragraphs_b"]).astype(
        {"count": "int64", "paragraphs_a": "int64", "paragraphs_b": "int64"})
    undefined = (frame["paragraphs_a"] == 0) | (frame["paragraphs_b"] == 0)
    frame["status"] = np.select([undefined, frame["count"] == 0], ["undefined", "never"], "together")
    npmi, jaccard = association_measures(frame["count"], frame["paragraphs_a"], frame["paragraphs_b"], len(indicator))
    # a theme that never occurs has no probability to compare with: undefined, not −1 or 0
    frame["npmi"], frame["jaccard"] = np.where(undefined, np.nan, npmi), np.where(undefined, np.nan, jaccard)
    # the indicator's rows are unique paragraph ids: a hash lookup (Series.isin on strings is slow)
    paragraph_hits = hits[indicator.index.get_indexer(hits["segment_id"]) >= 0]
    independent = _independent_pairs(paragraph_hits, phrase_gap)
    frame["count_independent"] = [independent[frozenset(p)] for p in zip(frame["theme_a"], frame["theme_b"])]
    shared = _shared_terms(themes)
    frame["shared_terms"] = ["; ".join(shared.get(frozenset(p), ())) for p in zip(frame["theme_a"], frame["theme_b"])]
    frame["codebook_link"] = frame["count_independent"] < frame["count"]
    return frame[THEME_PAIR_COLUMNS]


def _touches(span: tuple[int, int], others: list[tuple[int, int]], gap: int) -> bool:
    """Spans that overlap or lie at most ``gap`` characters apart: the same words, or one
    phrase cut into two hits."""
    return any(start - span[1] <= gap and span[0] - end <= gap for start, end in others)


def _independent_pairs(hits: pd.DataFrame, gap: int) -> Counter:
    """{theme pair: paragraphs where each theme has a hit that is not in the same phrase as a
    hit of the other}. "百万美金订阅" is one SLG hit (百万美金) followed by one ARR hit (订阅),
    and a codebook term listed under two themes hits both at the same span: neither is
    evidence that an interviewee talked about two things."""
    independent: Counter = Counter()
    # one pass over plain tuples: a pandas group per paragraph costs more than the test itself
    # (and iterating a pandas string column costs more than making it a list first)
    paragraphs: dict = defaultdict(lambda: defaultdict(list))
    columns = (hits[c].tolist() for c in ("segment_id", "theme", "char_start", "char_end"))
    for segment_id, theme, start, end in zip(*columns):
        paragraphs[segment_id][theme].append((int(start), int(end)))
    for spans in paragraphs.values():
        for a, b in combinations(spans, 2):
            if (any(not _touches(s, spans[b], gap) for s in spans[a])
                    and any(not _touches(s, spans[a], gap) for s in spans[b])):
                independent[frozenset((a, b))] += 1
    return independent


def _shared_terms(themes: list[Theme]) -> dict[frozenset, tuple[str, ...]]:
    """{theme pair: codebook terms listed under both}, compared as the tagger matches them
    (width-folded, case-insensitive)."""
    # both editions: an English term listed under two themes links them as a Chinese one does
    folded = {t.id: {fold_width(term).lower(): term for term in (*t.terms, *t.terms_en)} for t in themes}
    shared = {}
    for a, b in combinations(folded, 2):
        common = tuple(folded[a][key] for key in folded[a] if key in folded[b])
        if common:
            shared[frozenset((a, b))] = common
    return shared


# Not mutation-tested (`# pragma: no mutate block`): it picks and shapes the edges a notebook
# draws, from the edges table whose numbers are tested; nothing it returns is a published number.
def cooccurrence_graph(edges: pd.DataFrame, term_counts: pd.Series | None = None, top_n: int = 60, by: str = "npmi",
                       min_count: int = 3, top_terms: int | None = None) -> nx.Graph:  # pragma: no mutate block
    """A graph of the strongest positive edges (by ``by``, ties by count) for drawing.

    With ``top_terms``, only the most frequent terms (by ``term_counts``) can be nodes: the
    strongest pairs overall are mostly rare words that always appear together, which says
    little about the chapter's main concepts. Node attribute ``frequency``; edge attributes
    ``count``, ``npmi``, ``jaccard``.
    """
    strong = edges[(edges["count"] >= min_count) & (edges["npmi"] > 0)]
    if top_terms and term_counts is not None:
        allowed = set(term_counts.sort_values(ascending=False, kind="stable").head(top_terms).index)
        strong = strong[strong["term_a"].isin(allowed) & strong["term_b"].isin(allowed)]
    import networkx as nx

    strong = strong.sort_values([by, "count", "term_a", "term_b"], ascending=[False, False, True, True]).head(top_n)
    graph = nx.Graph()
    for row in strong.itertuples(index=False):
        graph.add_edge(row.term_a, row.term_b, count=int(row.count), npmi=float(row.npmi), jaccard=float(row.jaccard))
    if term_counts is not None:
        nx.set_node_attributes(graph, {n: int(term_counts.get(n, 0)) for n in graph.nodes}, "frequency")
    return graph


def term_frequencies(dfm: Dfm, guests: list[str] | None = None, document: str | None = None) -> pd.Series:
    """Occurrences of each feature in the units of ``guests`` (all when None) of ``document``
    (every document when None), most frequent first, ties by term (so the head of the list,
    e.g. a word cloud's, is stable). A unit is (document, guest): with several chapters, pass
    the document, or two same-titled sections are counted as one."""
    if guests:
        dfm = dfm.subset(dfm.docvars["guest"].isin(guests))
    if document is not None:
        dfm = dfm.subset(dfm.docvars["document"] == document)
    return dfm.frequencies()


def edges_for_guests(edges: pd.DataFrame, dfm: Dfm, guests: list[str], all_guests: list[str],
                     min_count: int = 3) -> pd.DataFrame:
    """Edges for the selected guests in ``dfm``'s window: the stored corpus or single-guest
    rows of ``edges`` (the cooccurrence_edges table), else computed for the subset."""
    window = dfm.unit
    edges = edges[edges["window"] == window]
    if set(guests) == set(all_guests):
        return edges[edges["scope"] == "corpus"].reset_index(drop=True)
    if len(guests) == 1:
        return edges[(edges["scope"] == "guest") & (edges["guest"] == guests[0])].reset_index(drop=True)
    subset = cooccurrence_edges_for(dfm.subset(dfm.docvars["guest"].isin(guests)), min_count)
    return subset.assign(scope="guests", guest="+".join(guests), window=window)[EDGE_COLUMNS]


def pair_passages(segments: pd.DataFrame, dfm: Dfm, term_a: str, term_b: str,
                  guests: list[str] | None = None) -> pd.DataFrame:
    """The units of ``dfm`` behind one edge: where ``term_a`` and ``term_b`` occur together.

    One row per co-occurring unit, in reading order (so the row count is the edge's
    ``count``): ``segment_id``, ``sentence_index`` (−1 for the paragraph window), ``guest``,
    ``question`` and ``text``, the paragraph (from ``segments``) with both terms marked 【】.
    """
    if guests:
        dfm = dfm.subset(dfm.docvars["guest"].isin(guests))
    columns = [np.flatnonzero(dfm.features == term) for term in (term_a, term_b)]
    if all(len(c) for c in columns):
        present = dfm.binary().matrix[:, np.concatenate(columns)]
        both = dfm.docvars[np.asarray(present.sum(axis=1)).ravel() == 2]
    else:
        both = dfm.docvars.iloc[:0]
    sentence = both["sentence_index"] if "sentence_index" in both.columns else pd.Series(-1, index=both.index)
    texts = segments.set_index("segment_id")["text"]
    # one pass, longest first, so a term inside the other ("开源" in "开源软件") is marked once
    marker = re.compile("|".join(re.escape(t) for t in sorted({term_a, term_b}, key=len, reverse=True)))
    marked = [marker.sub(lambda m: f"【{m.group(0)}】", texts[sid]) for sid in both["segment_id"]]
    return pd.DataFrame({"segment_id": both["segment_id"].to_numpy(), "sentence_index": sentence.astype(int).to_numpy(),
                         "guest": both["guest"].to_numpy(), "question": both["question"].to_numpy(), "text": marked},
                        columns=PASSAGE_COLUMNS)
