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
# # 02 · Themes across guests
# **Purpose.** Which guest speaks most of PLG vs SLG, ARR, AI infrastructure, 出海 and the other codebook
# themes — as the share of each guest's answer paragraphs that discuss a theme, with 95% bootstrap
# intervals (four interviews are a small sample: read the intervals, not just the points) — and whether
# the guest raised the theme unprompted or answered a question about it. Each number is followed by the
# passages behind it.

# %% tags=["parameters"]
corpus = "data/raw/commercialization_2024.md"
codebook = ""
guests = []  # empty: all
themes = []  # empty: all codebook themes, in codebook order
lang = "zh"
output_dir = "figures"
seed = 20241
evidence_rows = 3  # passages shown per guest and theme

# %%
from IPython.display import display

from analysis.charts import draw_balance, draw_heatmap, draw_prevalence, draw_prompted, prompted_frame, share_matrix
from analysis.figures import guest_label, save_figure, text
from analysis.study import open_study

study = open_study(corpus=corpus, codebook=codebook, lang=lang, output_dir=output_dir, seed=seed)
guests, themes = study.select_guests(guests), study.select_themes(themes)
names = study.theme_names()
table = study.tables["theme_by_guest"]

# %% [markdown]
# ## Share of answer paragraphs per guest and theme

# %%
matrix = share_matrix(table, guests, themes)
display(matrix.style.format("{:.0%}"))
fig = draw_heatmap(matrix, [guest_label(g, lang) for g in guests], [names[t] for t in themes],
                   text("share_title", lang), text("share_axis", lang))
save_figure(fig, study.figure_name("theme_share_heatmap"), study.figures_dir, title=text("share_title", lang),
            caption="Share of each guest's answer paragraphs with at least one codebook hit of the theme.",
            source="data/processed/theme_by_guest.csv (share)", parameters=study.parameters)

# %%
fig = draw_prevalence(table, guests, themes, names, lang)
save_figure(fig, study.figure_name("theme_prevalence_intervals"), study.figures_dir,
            title=text("prevalence_title", lang),
            caption="Points: share of answer paragraphs; bars: 95% percentile bootstrap interval over paragraphs.",
            source="data/processed/theme_by_guest.csv (share, share_low, share_high)", parameters=study.parameters)

# %% [markdown]
# ## PLG vs SLG
# Balance = (PLG − SLG) / (PLG + SLG) over answer paragraphs; positive leans product-led.

# %%
balance = study.tables["plg_slg_balance"]
display(balance)
fig = draw_balance(balance, guests, lang)
save_figure(fig, study.figure_name("plg_slg_balance"), study.figures_dir, title=text("balance_title", lang),
            caption="(PLG − SLG)/(PLG + SLG) over answer paragraphs, with 95% bootstrap interval; counts at right.",
            source="data/processed/plg_slg_balance.csv", parameters=study.parameters)

# %% [markdown]
# ## Prompted or unprompted
# A theme paragraph is *prompted* when the question it answers carries the same theme.

# %%
frame = prompted_frame(table, guests, themes)
fig = draw_prompted(frame, guests, themes, names, lang)
save_figure(fig, study.figure_name("theme_prompted_vs_unprompted"), study.figures_dir,
            title=text("prompted_title", lang),
            caption="Theme paragraphs whose question carries the theme (hatched) vs raised by the guest (solid).",
            source="data/processed/theme_by_guest.csv (prompted, unprompted)", parameters=study.parameters)

# %% [markdown]
# ## Evidence: the passages behind the numbers

# %%
from analysis.kwic import evidence_for

display(evidence_for(study.tables, guests, themes, per_cell=evidence_rows))
