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
# # 07 · Explorer: counts and passages for any theme, guest or term
# **Purpose.** For analysts: pick a theme, type any term, or both (the term within the theme's paragraphs),
# choose guests, and read the counts with every passage in context (keyword in context). The term search is
# the one of `python -m analysis kwic TERM`: case- and width-insensitive, with the lexicon's synonyms.
# `export CSV` writes the lines shown to `scratch/explorer/`.

# %% tags=["parameters"]
root = ""  # run folder whose built tables are shown; empty: this repository (`make report` sets it)
save_to = ""  # unused here: the explorer draws no chart
lang = "zh"
theme = "GLOBAL"  # a codebook theme id, or "" for any theme
term = ""  # any word, e.g. 白嫖; with a theme: the term within the theme's paragraphs
guests = []
width = 25  # characters of context each side
evidence_rows = 2  # passages per theme and guest in the summary

# %%
from analysis.explorer import explorer_widget, static_summary
from analysis.study import open_study

study = open_study(root, save_to, lang=lang, theme=theme, term=term, guests=guests, width=width,
                   evidence_rows=evidence_rows)

# %% [markdown]
# ## Live explorer

# %%
explorer_widget(study, theme=theme, term=term, guests=study.select_guests(), width=width)

# %% [markdown]
# ## Summary: the top passages per theme and guest

# %%
static_summary(study, per_cell=evidence_rows)
