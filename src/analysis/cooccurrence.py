"""Stage 4c — which concepts travel together: keyword and theme co-occurrence.

Co-occurrence is counted over the *units* of a content :class:`~analysis.dfm.Dfm`:
sentences (``window="sentence"``, a sentence dfm) or answer paragraphs
(``window="paragraph"``), those with at least one content token. With ``X`` the dfm made
binary, ``C = XᵀX`` holds in ``C[a, b]`` the number of units containing both a and b and in
``C[a, a]`` the units containing a; no Python loop visits pairs.

Schema of ``cooccurrence_edges.csv`` (one row per term pair, ``term_a < term_b``):

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

``theme_cooccurrence.csv`` has the same measures for theme pairs over answer paragraphs:
``theme_a, theme_b, count, npmi, jaccard, paragraphs_a, paragraphs_b``.
"""

from __future__ import annotations

import re

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .dfm import Dfm

EDGE_COLUMNS = ["scope", "guest", "term_a", "term_b", "window", "count", "npmi", "jaccard"]
THEME_PAIR_COLUMNS = ["theme_a", "theme_b", "count", "npmi", "jaccard", "paragraphs_a", "paragraphs_b"]
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


def cooccurrence_edges_for(dfm: Dfm, min_count: int = 2, min_term_units: int | None = None) -> pd.DataFrame:
    """Edges (term_a, term_b, count, npmi, jaccard) among the units of ``dfm``; pairs below
    ``min_count`` dropped.

    The units are those with at least one feature: a unit without content tokens can hold
    no pair, and leaving it out of the unit total keeps NPMI a statement about units that
    say something.
    """
    units = dfm.nonempty().binary()
    if min_term_units:
        units = units.select(min_units=min_term_units)
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


def theme_cooccurrence(indicator: pd.DataFrame) -> pd.DataFrame:
    """Theme × theme co-occurrence over paragraphs, from a 0/1 paragraphs × themes table."""
    matrix = sp.csr_matrix(indicator.to_numpy(dtype=np.int64))
    counts = cooccurrence_counts(matrix).toarray()
    themes = list(indicator.columns)
    rows = []
    for i in range(len(themes)):
        for j in range(i + 1, len(themes)):
            rows.append((themes[i], themes[j], counts[i, j], counts[i, i], counts[j, j]))
    frame = pd.DataFrame(rows, columns=["theme_a", "theme_b", "count", "paragraphs_a", "paragraphs_b"])
    npmi, jaccard = association_measures(frame["count"], frame["paragraphs_a"], frame["paragraphs_b"], len(indicator))
    frame["npmi"], frame["jaccard"] = npmi, np.nan_to_num(jaccard)
    return frame[THEME_PAIR_COLUMNS]


def cooccurrence_graph(edges: pd.DataFrame, term_counts: pd.Series | None = None, top_n: int = 60,
                       by: str = "npmi", min_count: int = 3, top_terms: int | None = None) -> nx.Graph:
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
    strong = strong.sort_values([by, "count", "term_a", "term_b"], ascending=[False, False, True, True]).head(top_n)
    graph = nx.Graph()
    for row in strong.itertuples(index=False):
        graph.add_edge(row.term_a, row.term_b, count=int(row.count), npmi=float(row.npmi), jaccard=float(row.jaccard))
    if term_counts is not None:
        nx.set_node_attributes(graph, {n: int(term_counts.get(n, 0)) for n in graph.nodes}, "frequency")
    return graph


def term_frequencies(dfm: Dfm, guests: list[str] | None = None) -> pd.Series:
    """Occurrences of each feature in the units of ``guests`` (all when None), most frequent
    first, ties by term (so the head of the list, e.g. a word cloud's, is stable)."""
    if guests:
        dfm = dfm.subset(dfm.docvars["guest"].isin(guests))
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
