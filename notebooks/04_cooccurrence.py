# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Keyword and theme co-occurrence
# **Purpose.** Which concepts travel together. Terms co-occur when they appear in the same sentence (or
# answer paragraph); NPMI says how much more often than chance (1 = always together, 0 = independent).
# Themes co-occur when one answer paragraph carries both.

# %% tags=["parameters"]
root = ""  # run folder whose built tables are shown; empty: this repository (`make report` sets it)
save_to = ""  # empty: show charts only; "scratch": also save them under scratch/figures/
lang = "zh"
guests = []  # one guest: that guest's network; empty: the whole corpus
themes = []
window = "sentence"  # sentence | paragraph
min_edge_count = 3  # minimum co-occurring units for an edge to be drawn
top_edges = 60  # edges drawn
network_terms = 45  # only the most frequent terms can be nodes
evidence_edges = 3  # edges whose passages are listed

# %%
from IPython.display import display

from analysis.plots import draw_network, draw_theme_cooccurrence
from analysis.cooccurrence import cooccurrence_graph, edges_for_guests, pair_passages, term_frequencies
from analysis.figures import text
from analysis.study import open_study

study = open_study(root, save_to, lang=lang, guests=guests, themes=themes, window=window,
                   min_edge_count=min_edge_count, top_edges=top_edges, network_terms=network_terms,
                   evidence_edges=evidence_edges)
guests, themes = study.select_guests(), study.select_themes()
names = study.theme_names()

# %%
edges = edges_for_guests(study.tables["cooccurrence_edges"], study.dfm(window), guests, study.guests, min_edge_count)
frequencies = term_frequencies(study.dfm(), guests)
graph = cooccurrence_graph(edges, frequencies, top_n=top_edges, min_count=min_edge_count, top_terms=network_terms)
display(study.present(edges[edges["count"] >= min_edge_count].sort_values("npmi", ascending=False).head(20)))
fig = draw_network(graph, text("network_title", lang), text("network_caption", lang))
study.show(fig, f"cooccurrence_network_{window}", title=text("network_title", lang),
           caption=f"Top {top_edges} positive-NPMI pairs among the {network_terms} most frequent terms, "
                   f"co-occurring in at least {min_edge_count} {window}s.",
           source="data/processed/cooccurrence_edges.csv")

# %% [markdown]
# ## Evidence: the passages behind the strongest edges drawn

# %%
drawn = edges[edges.apply(lambda e: graph.has_edge(e["term_a"], e["term_b"]), axis=1)]
for edge in drawn.sort_values(["npmi", "count"], ascending=False).head(evidence_edges).itertuples():
    print(f"{edge.term_a} — {edge.term_b}: {edge.count} {window}s, NPMI {edge.npmi:+.2f}")
    display(study.present(pair_passages(study.tables["segments"], study.dfm(window), edge.term_a, edge.term_b, guests)))

# %% [markdown]
# ## Theme × theme, within answer paragraphs

# %%
pairs = study.tables["theme_cooccurrence"]
display(study.present(pairs.sort_values("npmi", ascending=False).head(10)))
fig = draw_theme_cooccurrence(pairs, themes, names, lang, unit=study.unit_kind)
study.show(fig, "theme_cooccurrence_heatmap", title=text("theme_cooc_title", lang, study.unit_kind),
           caption="NPMI and paragraphs with both, per theme pair over answer paragraphs; hatched 0: never together; "
                   "grey: undefined; diagonal: paragraphs with the theme; †: partly through a shared codebook term.",
           source="data/processed/theme_cooccurrence.csv")
