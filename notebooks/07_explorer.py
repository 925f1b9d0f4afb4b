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
# `make report`) the view for the parameters is shown once.

# %% tags=["parameters"]
root = ""  # run folder whose built tables are shown; empty: this repository (`make report` sets it)
save_to = ""  # unused here: the explorer draws no chart
lang = "zh"
theme = "GLOBAL"  # a codebook theme id, or "" to search `term`
term = "出海"  # any word; matched like codebook terms
guests = []
width = 25  # characters of context each side

# %%
from analysis.explorer import explorer_widget
from analysis.study import open_study

study = open_study(root, save_to, lang=lang, theme=theme, term=term, guests=guests, width=width)

# %%
explorer_widget(study, theme=theme, term=term, guests=study.select_guests(), width=width)
