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
# the question heading already carried the theme. Each number is followed by the passages behind it.

# %% tags=["parameters"]
root = ""  # run folder whose built tables are shown; empty: this repository (`make report` sets it)
save_to = ""  # empty: show charts only; "scratch": also save them under scratch/figures/
lang = "zh"
guests = []  # empty: all
themes = []  # empty: all codebook themes, in codebook order
evidence_rows = 3  # passages shown per guest and theme

# %%
from IPython.display import display

from analysis.charts import draw_balance, draw_heatmap, draw_prevalence, draw_prompted, prompted_frame, share_matrix
from analysis.figures import text
from analysis.explorer import evidence_view
from analysis.study import open_study

study = open_study(root, save_to, lang=lang, guests=guests, themes=themes, evidence_rows=evidence_rows)
guests, themes = study.select_guests(), study.select_themes()
names = study.theme_names()
table = study.tables["theme_by_guest"]

# %% [markdown]
# ## Share of answer paragraphs per guest and theme

# %%
matrix = share_matrix(table, guests, themes)
display(matrix.style.format("{:.0%}"))
fig = draw_heatmap(matrix, [study.guest_label(g) for g in guests], [names[t] for t in themes],
                   text("share_title", lang), text("share_axis", lang))
study.show(fig, "theme_share_heatmap", title=text("share_title", lang),
           caption="Share of each guest's answer paragraphs with at least one codebook hit of the theme.",
           source="data/processed/theme_by_guest.csv (share)")

# %%
fig = draw_prevalence(table, guests, themes, names, lang)
study.show(fig, "theme_prevalence_intervals", title=text("prevalence_title", lang),
           caption="Points: share of answer paragraphs; bars: 95% bootstrap interval.",
           source="data/processed/theme_by_guest.csv (share, share_low, share_high)")

# %% [markdown]
# ## PLG vs SLG
# Balance = (PLG − SLG) / (PLG + SLG) over answer paragraphs; positive leans product-led.

# %%
balance = study.tables["plg_slg_balance"]
shown = balance.loc[balance["guest"].isin(guests), ["guest", "paragraphs_a", "paragraphs_b", "balance", "balance_low",
                                                     "balance_high"]]
display(shown.rename(columns={"paragraphs_a": "PLG paragraphs", "paragraphs_b": "SLG paragraphs"})
        .style.format(precision=2).hide(axis="index"))
fig = draw_balance(balance, guests, lang)
study.show(fig, "plg_slg_balance", title=text("balance_title", lang),
           caption="(PLG − SLG)/(PLG + SLG) over answer paragraphs, with 95% bootstrap interval; counts at right.",
           source="data/processed/plg_slg_balance.csv")

# %% [markdown]
# ## Prompted or unprompted
# A theme paragraph counts as *prompted* when the question heading it answers carries the same theme
# (by the codebook).

# %%
frame = prompted_frame(table, guests, themes)
fig = draw_prompted(frame, guests, themes, names, lang)
study.show(fig, "theme_prompted_vs_unprompted", title=text("prompted_title", lang),
           caption="Theme paragraphs whose question heading carries the theme (hatched) vs not (solid).",
           source="data/processed/theme_by_guest.csv (prompted, unprompted)")

# %% [markdown]
# ## Evidence: the passages behind the numbers

# %%
evidence_view(study, guests, themes, per_cell=evidence_rows)
