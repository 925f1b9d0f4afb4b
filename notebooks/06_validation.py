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
# # 06 · Validation: can the numbers be trusted?
# **Purpose.** A dictionary tagger is worth only its agreement with a careful reader. This notebook compares
# the codebook tagger with the reference labels of the answer paragraphs in `data/labels/` (who made them and
# how: `data/labels/README.md`) and lists every disagreement, so a reader can judge the errors.

# %% tags=["parameters"]
root = ""  # run folder whose built tables are shown; empty: this repository (`make report` sets it)
save_to = ""  # empty: show charts only; "scratch": also save them under scratch/figures/
lang = "zh"
target_f1 = 0.85

# %%
from IPython.display import display

from analysis.charts import draw_validation
from analysis.figures import text
from analysis.study import open_study

study = open_study(root, save_to, lang=lang, target_f1=target_f1)
validation = study.tables.get("tagger_validation")

# %% [markdown]
# ## Precision, recall and F1 per theme

# %%
if validation is None:
    print("No reference labels cover this corpus: the labels in data/labels/ are for the embedded 2024 chapter.")
else:
    display(validation.style.format({"precision": "{:.2f}", "recall": "{:.2f}", "f1": "{:.2f}"}))
    below = validation[(validation["theme"] != "ALL") & (validation["f1"] < target_f1)]
    print(f"themes below F1 {target_f1}: {', '.join(below['theme']) or 'none'}")
    fig = draw_validation(validation, study.theme_names(), lang)
    study.show(fig, "tagger_validation", title=text("validation_title", lang),
               caption=f"Tagger vs reference labels over answer paragraphs; dashed line: F1 target {target_f1}.",
               source="data/processed/tagger_validation.csv")

# %% [markdown]
# ## Every disagreement, with the terms that fired

# %%
if validation is not None:
    display(study.tables["tagger_disagreements"])
