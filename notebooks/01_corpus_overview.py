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
# # 01 · Corpus overview
# **Purpose.** Show what the analysis stands on: the chapter 商业化篇 parsed into units (editor's overview,
# italic intros, the interviewer's questions, the guests' answer paragraphs) and how much each guest says.
# Every later number is a count over the `answer` units shown here.

# %% tags=["parameters"]
root = ""  # run folder whose built tables are shown; empty: this repository (`make report` sets it)
save_to = ""  # empty: show charts only; "scratch": also save them under scratch/figures/
lang = "zh"  # label language: zh | en
guests = []  # empty: all, in chapter order; Chinese or English names

# %%
from IPython.display import display

from analysis.plots import draw_summary, draw_unit_key
from analysis.figures import fit_labels, text
from analysis.study import open_study

study = open_study(root, save_to, lang=lang, guests=guests)
segments, summary = study.tables["segments"], study.tables["corpus_summary"]
unit = study.unit_kind  # "guest" (interviews) or "section" (a report's ## sections)
guests, units = study.select_guests(), study.select_units()

# %% [markdown]
# ## Units by role and guest
# `overview` and `intro` are the editor's words, `question` the interviewer's, `answer` the guest's.

# %%
by_role = segments.groupby(["guest", "role"], sort=False).size().unstack(fill_value=0).reset_index()
display(study.present(by_role))
display(study.present(summary[summary["guest"].isin(guests)]))

# %%
fig = draw_summary(study.keyed(summary), units, lang, unit=unit, labels=study.unit_labels(units, with_org=True))
study.show(fig, "corpus_size_by_guest", title=text("summary_title", lang, unit),
           caption=f"Answer paragraphs and content tokens per {unit}.", source="data/processed/corpus_summary.csv")

# %% [markdown]
# Long section titles are numbered and shortened in the charts; the key gives them in full.

# %%
_, key = fit_labels(list(study.unit_labels(units).values()), 30)
if key:
    study.show(draw_unit_key(key, lang), "unit_key", title=text("unit_key_title", lang),
               caption="Codes of the shortened unit labels in the charts, with the full titles.",
               source="data/processed/segments.csv (guest)")

# %% [markdown]
# ## A few answer units as the analysis reads them

# %%
answers = segments[(segments["role"] == "answer") & segments["guest"].isin(guests)]
display(study.present(answers.sample(min(5, len(answers)), random_state=1)[["guest", "question", "text"]]))
