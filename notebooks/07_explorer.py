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
# **Purpose.** For analysts: pick a theme or type any term, choose guests, and read the counts with every
# passage in context (keyword in context). In JupyterLab the widgets below are live; executed headless (CI,
# `make report`) the same view is printed as static tables for the parameters.

# %% tags=["parameters"]
corpus = "data/raw/commercialization_2024.md"
codebook = ""
theme = "GLOBAL"  # a codebook theme id, or "" to search `term`
term = "出海"  # any word; matched like codebook terms
guests = []
width = 25  # characters of context each side
lang = "zh"
seed = 20241

# %%
from IPython.display import display

from analysis.explorer import explore, explorer_widget
from analysis.study import open_study

study = open_study(corpus=corpus, codebook=codebook, lang=lang, seed=seed)
guests = study.select_guests(guests)
if theme:
    study.select_themes([theme])  # an unknown theme lists the valid ones

# %% [markdown]
# ## Static view for the parameters

# %%
counts, lines = explore(study, theme=theme, term=term, guests=guests, width=width)
display(counts)
display(lines)

# %% [markdown]
# ## Interactive view (JupyterLab)

# %%
explorer_widget(study, theme=theme, term=term, guests=guests, width=width)
