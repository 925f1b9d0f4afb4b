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
# **Purpose.** What each guest says that the others don't. Two views: TF-IDF (each guest's answers as one
# document, and paragraphs averaged per guest) and the weighted log-odds ratio with an informative
# Dirichlet prior (Monroe, Colaresi & Quinn 2008), whose z-scores account for how often a word is used at
# all. Look up any term in context in notebook 07.

# %% tags=["parameters"]
corpus = "data/raw/commercialization_2024.md"
codebook = ""
guests = []
lang = "zh"
output_dir = "figures"
seed = 20241
top_k = 12  # terms shown per guest
min_count = 3  # minimum corpus count for log-odds
evidence_rows = 4  # concordance lines shown per guest

# %%
from IPython.display import display

from analysis.charts import draw_term_panels, terms_by_rank, top_terms_frame
from analysis.figures import save_figure, text
from analysis.study import open_study

study = open_study(corpus=corpus, codebook=codebook, lang=lang, output_dir=output_dir, seed=seed,
                   min_count=min_count)
guests = study.select_guests(guests)

# %% [markdown]
# ## TF-IDF, guests as documents

# %%
tfidf = top_terms_frame(study.tables["tfidf_terms"], guests, top_k, method="guest_documents")
display(terms_by_rank(tfidf, guests))
fig = draw_term_panels(tfidf, guests, text("tfidf_title", lang), text("tfidf_axis", lang), lang)
save_figure(fig, study.figure_name("distinctive_terms_tfidf"), study.figures_dir, title=text("tfidf_title", lang),
            caption="Top TF-IDF terms per guest (answers of each guest as one document; sublinear TF, smooth IDF).",
            source="data/processed/tfidf_terms.csv (method=guest_documents)", parameters=study.parameters)

# %% [markdown]
# ## Log-odds ratio with informative Dirichlet prior

# %%
keyness = top_terms_frame(study.tables["keyness"], guests, top_k)
display(terms_by_rank(keyness, guests))
fig = draw_term_panels(keyness, guests, text("keyness_title", lang), text("keyness_axis", lang), lang)
save_figure(fig, study.figure_name("distinctive_terms_log_odds"), study.figures_dir,
            title=text("keyness_title", lang),
            caption="Each guest vs the other three; z-score of the prior-smoothed log-odds ratio (Monroe et al. 2008).",
            source="data/processed/keyness.csv", parameters=study.parameters)

# %% [markdown]
# ## Evidence: each guest's most distinctive term in context

# %%
from analysis.kwic import kwic

for guest in guests:
    top = keyness[keyness["guest"] == guest].head(1)
    if top.empty:
        continue
    term = top["term"].iloc[0]
    lines = kwic(study.tables["segments"], term, guest=guest)
    print(f"{guest}: 「{term}」 z = {top['score'].iloc[0]:.2f}, {len(lines)} matches in the text")
    display(lines[["left", "match", "right", "segment_id"]].head(evidence_rows))

# %% [markdown]
# ## Paragraph-level TF-IDF (averaged per guest), for comparison

# %%
display(terms_by_rank(top_terms_frame(study.tables["tfidf_terms"], guests, top_k, method="paragraph_mean"), guests))
