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
# # 03 · Distinctive terms per guest
# **Purpose.** What each guest says that the others don't. Two views: TF-IDF and the weighted log-odds
# ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), whose z-scores account for
# how often a word is used at all. Look up any term in context in notebook 07.

# %% tags=["parameters"]
root = ""  # run folder whose built tables are shown; empty: this repository (`make report` sets it)
save_to = ""  # empty: show charts only; "scratch": also save them under scratch/figures/
lang = "zh"
guests = []
terms_shown = 12  # terms drawn per guest
evidence_rows = 4  # concordance lines shown per guest

# %%
from IPython.display import display

from analysis.plots import draw_keyness, draw_term_panels, terms_by_rank, top_terms_frame
from analysis.figures import text
from analysis.kwic import kwic
from analysis.study import open_study

study = open_study(root, save_to, lang=lang, guests=guests, terms_shown=terms_shown, evidence_rows=evidence_rows)
unit = study.unit_kind  # "guest" (interviews) or "section" (a report's ## sections)
guests = study.select_units()  # (document, unit) keys: same-titled sections of two chapters stay apart
labels = study.unit_labels(guests)

# %% [markdown]
# ## TF-IDF

# %%
tfidf = top_terms_frame(study.keyed(study.tables["tfidf_terms"]), guests, terms_shown, method="paragraph_idf")
display(study.label_axes(terms_by_rank(tfidf, guests)))
fig = draw_term_panels(tfidf, guests, text("tfidf_title", lang, unit), text("tfidf_axis", lang), lang, unit=unit,
                       labels=labels)
study.show(fig, "distinctive_terms_tfidf", title=text("tfidf_title", lang, unit),
           caption=f"Top TF-IDF terms per {unit}: each {unit}'s answers as one document, IDF over answer paragraphs.",
           source="data/processed/tfidf_terms.csv")

# %% [markdown]
# ## Log-odds ratio with informative Dirichlet prior

# %%
keyness = top_terms_frame(study.keyed(study.tables["keyness"]), guests, terms_shown)
display(study.label_axes(terms_by_rank(keyness, guests)))
fig = draw_keyness(keyness, guests, lang, unit=unit, labels=labels)
study.show(fig, "distinctive_terms_log_odds", title=text("keyness_title", lang, unit),
           caption=f"Each {unit} vs the others; z-score of the prior-smoothed log-odds ratio (Monroe et al. 2008). "
                   "Solid: q < 0.05 after Benjamini–Hochberg over the terms tested; faded: not; dashed: z = 1.96.",
           source="data/processed/keyness.csv")

# %% [markdown]
# ## Evidence: each guest's most distinctive term in context

# %%
for guest in guests:
    top = keyness[keyness["guest"] == guest].head(1)
    if top.empty:
        continue
    term = top["term"].iloc[0]
    document, name = study.unit_pair(guest)
    segments = study.tables["segments"]
    lines = kwic(segments if document is None else segments[segments["document"] == document], term, guest=name)
    q = f", q = {top['q'].iloc[0]:.2f}" if "q" in top else ""
    print(f"{labels[guest]}: 「{term}」 z = {top['score'].iloc[0]:.2f}{q}, {len(lines)} matches in the text")
    display(study.present(lines[["left", "match", "right", "segment_id"]].head(evidence_rows)))
