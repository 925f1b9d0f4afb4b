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
# themes — as the share of each guest's answer paragraphs that discuss a theme, with 95% question-resampled
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

from analysis.plots import (draw_balance, draw_prevalence, draw_prompted, draw_share_heatmap, prompted_frame,
                             share_matrix)
from analysis.figures import text
from analysis.explorer import evidence_view
from analysis.study import open_study

study = open_study(root, save_to, lang=lang, guests=guests, themes=themes, evidence_rows=evidence_rows)
if warning := study.language_warning():  # a document in a language the codebook has no terms for
    print(warning)
unit = study.unit_kind  # "guest" (interviews) or "section" (a report's ## sections)
guests, units, themes = study.select_guests(), study.select_units(), study.select_themes()
names, labels = study.theme_names(), study.unit_labels(units)
table = study.keyed(study.tables["theme_by_guest"])  # one row per unit (document › section with several chapters)

# %% [markdown]
# ## Share of answer paragraphs per guest and theme

# %%
display(study.label_axes(share_matrix(table, units, themes)).style.format("{:.0%}"))
fig = draw_share_heatmap(table, units, themes, names, lang, unit=unit, labels=labels)
study.show(fig, "theme_share_heatmap", title=text("share_title", lang, unit),
           caption=f"Share of each {unit}'s answer paragraphs with at least one codebook hit of the theme; "
                   "cells k/n, n per row.",
           source="data/processed/theme_by_guest.csv (share, paragraphs, answer_paragraphs)")

# %%
fig = draw_prevalence(table, units, themes, names, lang, unit=unit, labels=labels)
study.show(fig, "theme_prevalence_intervals", title=text("prevalence_title", lang, unit),
           caption="Points: share of answer paragraphs; bars: 95% interval with questions resampled within each "
                   "guest (how much the share could move with other questions of the same kind, not across investors).",
           source="data/processed/theme_by_guest.csv (share, share_low, share_high)")

# %% [markdown]
# ## PLG vs SLG
# Balance = (PLG − SLG) / (PLG + SLG) over answer paragraphs; positive leans product-led.

# %%
balance = study.keyed(study.tables["plg_slg_balance"])
shown = balance.loc[balance["guest"].isin(units), ["guest", "paragraphs_a", "paragraphs_b", "balance", "balance_low",
                                                  "balance_high"]]
display(study.present(shown))
fig = draw_balance(balance, units, lang, unit=unit, labels=study.unit_labels(units, with_org=True))
study.show(fig, "plg_slg_balance", title=text("balance_title", lang),
           caption="(PLG − SLG)/(PLG + SLG) over answer paragraphs, with 95% interval; counts at right.",
           source="data/processed/plg_slg_balance.csv")

# %% [markdown]
# ## Does the question heading already carry the theme?
# A theme paragraph is counted as *prompted* when the heading of the question it answers (in a report:
# its subsection heading) carries the same theme by the codebook — not whether the interviewer asked
# about it, nor whether the guest raised it.

# %%
frame = prompted_frame(table, units, themes)
fig = draw_prompted(frame, units, themes, names, lang, unit=unit, labels=study.unit_labels(units, with_org=True))
study.show(fig, "theme_prompted_vs_unprompted", title=text("prompted_title", lang, unit),
           caption="Theme paragraphs whose question heading (report: subsection heading) carries the theme by the "
                   "codebook (hatched) vs not (solid).",
           source="data/processed/theme_by_guest.csv (prompted, unprompted)")

# %% [markdown]
# ## Evidence: the passages behind the numbers

# %%
evidence_view(study, guests, themes, per_cell=evidence_rows)
