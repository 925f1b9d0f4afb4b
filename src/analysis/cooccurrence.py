"""Stage 4c — which concepts travel together: keyword and theme co-occurrence.

Co-occurrence is counted over *units*: sentences (``window="sentence"``) or answer
paragraphs (``window="paragraph"``). With ``X`` the sparse binary unit × term matrix,
``C = XᵀX`` holds in ``C[a, b]`` the number of units containing both a and b and in
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

from .errors import ParameterError

EDGE_COLUMNS = ["scope", "guest", "term_a", "term_b", "window", "count", "npmi", "jaccard"]
THEME_PAIR_COLUMNS = ["theme_a", "theme_b", "count", "npmi", "jaccard", "paragraphs_a", "paragraphs_b"]


def unit_term_matrix(unit_ids: np.ndarray, terms: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Binary units × terms matrix from parallel arrays (one entry per token occurrence)."""
    unit_codes, _ = pd.factorize(unit_ids, sort=False)
    term_codes, vocabulary = pd.factorize(terms, sort=True)
    matrix = sp.csr_matrix(
        (np.ones(len(term_codes), dtype=np.int32), (unit_codes, term_codes)),
        shape=(unit_codes.max() + 1 if len(unit_codes) else 0, len(vocabulary)),
    )
    matrix.data[:] = 1  # duplicates were summed; presence is what counts
    return matrix, np.asarray(vocabulary, dtype=object)


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


def cooccurrence_edges_for(unit_ids, terms, min_count: int = 2, min_term_units: int | None = None) -> pd.DataFrame:
    """Edges (term_a, term_b, count, npmi, jaccard) among units; pairs below ``min_count`` dropped."""
    unit_ids, terms = np.asarray(unit_ids, dtype=object), np.asarray(terms, dtype=object)
    if len(terms) == 0:
        return pd.DataFrame(columns=["term_a", "term_b", "count", "npmi", "jaccard"])
    matrix, vocabulary = unit_term_matrix(unit_ids, terms)
    if min_term_units:
        keep = np.asarray(matrix.sum(axis=0)).ravel() >= min_term_units
        matrix, vocabulary = matrix[:, keep], vocabulary[keep]
    counts = cooccurrence_counts(matrix)
    diagonal = counts.diagonal()
    upper = sp.triu(counts, k=1).tocoo()
    keep = upper.data >= min_count
    rows, cols, joint = upper.row[keep], upper.col[keep], upper.data[keep]
    npmi, jaccard = association_measures(joint, diagonal[rows], diagonal[cols], matrix.shape[0])
    edges = pd.DataFrame({"term_a": vocabulary[rows], "term_b": vocabulary[cols], "count": joint.astype("int64"),
                          "npmi": npmi, "jaccard": jaccard})
    return edges.sort_values(["count", "term_a", "term_b"], ascending=[False, True, True], ignore_index=True)


def content_tokens_of_answers(segments: pd.DataFrame, tokens: pd.DataFrame) -> pd.DataFrame:
    answers = segments.loc[segments["role"] == "answer", ["segment_id", "guest"]]
    content = tokens[~tokens["is_stopword"]]
    return content.merge(answers, on="segment_id")


def cooccurrence_edges(segments: pd.DataFrame, tokens: pd.DataFrame, windows=("sentence", "paragraph"),
                       min_count: int = 3, per_guest_min_count: int = 2) -> pd.DataFrame:
    """The cooccurrence_edges table: over the corpus and per guest, for each window."""
    content = content_tokens_of_answers(segments, tokens)
    frames = []
    for window in windows:
        if window == "sentence":
            units = content["segment_id"] + "/" + content["sentence_index"].astype(str)
        elif window == "paragraph":
            units = content["segment_id"]
        else:
            raise ValueError(f"unknown window {window!r}: use 'sentence' or 'paragraph'")
        corpus_edges = cooccurrence_edges_for(units.to_numpy(), content["token"].to_numpy(), min_count)
        frames.append(corpus_edges.assign(scope="corpus", guest="", window=window))
        for guest in dict.fromkeys(content["guest"]):
            mask = (content["guest"] == guest).to_numpy()
            edges = cooccurrence_edges_for(units[mask].to_numpy(), content.loc[mask, "token"].to_numpy(),
                                           per_guest_min_count)
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


def term_frequencies(segments: pd.DataFrame, tokens: pd.DataFrame, guests: list[str] | None = None) -> pd.Series:
    """Occurrences of each content token in the answers of ``guests`` (all when None)."""
    content = content_tokens_of_answers(segments, tokens)
    if guests:
        content = content[content["guest"].isin(guests)]
    return content["token"].value_counts()


def edges_for_guests(tables: dict, window: str, guests: list[str], all_guests: list[str], min_count: int = 3) -> pd.DataFrame:
    """Edges for the selected guests: the stored corpus or single-guest edges, else computed for the subset."""
    if window not in ("sentence", "paragraph"):
        raise ParameterError(f"unknown window {window!r}; valid: sentence, paragraph")
    edges = tables["cooccurrence_edges"]
    edges = edges[edges["window"] == window]
    if set(guests) == set(all_guests):
        return edges[edges["scope"] == "corpus"].reset_index(drop=True)
    if len(guests) == 1:
        return edges[(edges["scope"] == "guest") & (edges["guest"] == guests[0])].reset_index(drop=True)
    content = content_tokens_of_answers(tables["segments"], tables["tokens"])
    content = content[content["guest"].isin(guests)]
    units = content["segment_id"] + ("/" + content["sentence_index"].astype(str) if window == "sentence" else "")
    subset = cooccurrence_edges_for(units.to_numpy(), content["token"].to_numpy(), min_count)
    return subset.assign(scope="guests", guest="+".join(guests), window=window)[EDGE_COLUMNS]


def pair_passages(segments: pd.DataFrame, tokens: pd.DataFrame, term_a: str, term_b: str,
                  window: str = "sentence", guests: list[str] | None = None) -> pd.DataFrame:
    """The answer units behind one edge: where ``term_a`` and ``term_b`` occur together.

    One row per co-occurring unit (so the row count is the edge's ``count``): ``segment_id``,
    ``sentence_index`` (−1 for the paragraph window), ``guest``, ``question`` and ``text``,
    the paragraph with both terms marked 【】.
    """
    if window not in ("sentence", "paragraph"):
        raise ParameterError(f"unknown window {window!r}; valid: sentence, paragraph")
    content = content_tokens_of_answers(segments, tokens)
    if guests:
        content = content[content["guest"].isin(guests)]
    keys = ["segment_id", "sentence_index"] if window == "sentence" else ["segment_id"]
    has = content[content["token"].isin([term_a, term_b])].groupby(keys)["token"].agg(set)
    both = has[has.map(lambda found: {term_a, term_b} <= found)].reset_index()[keys]
    if window == "paragraph":
        both["sentence_index"] = -1
    units = segments.set_index("segment_id")
    # one pass, longest first, so a term inside the other ("开源" in "开源软件") is marked once
    marker = re.compile("|".join(re.escape(t) for t in sorted({term_a, term_b}, key=len, reverse=True)))
    rows = []
    for row in both.itertuples(index=False):
        unit = units.loc[row.segment_id]
        text = marker.sub(lambda m: f"【{m.group(0)}】", unit["text"])
        rows.append((row.segment_id, int(row.sentence_index), unit["guest"], unit["question"], text))
    return pd.DataFrame(rows, columns=["segment_id", "sentence_index", "guest", "question", "text"])
