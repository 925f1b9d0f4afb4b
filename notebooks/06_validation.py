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

from analysis.plots import draw_validation
from analysis.figures import text
from analysis.study import open_study

study = open_study(root, save_to, lang=lang, target_f1=target_f1)
validation = study.tables.get("tagger_validation")

# %% [markdown]
# ## Who made the reference labels, and how far they agree
# No paragraph was labelled by a person: two language-model readers labelled the answer paragraphs from the
# codebook's written definitions (without its terms), and their disagreements were adjudicated (see
# `data/labels/README.md`). Their agreement (Cohen's κ) says how reproducibly the definitions are read.

# %%
if validation is None:
    print("No reference labels cover this corpus: the labels in data/labels/ are for the embedded 2024 chapter "
          "(commercialization_2024), so no validation is shown.")
else:
    agreement = study.tables.get("reader_agreement")
    if agreement is not None:
        display(study.present(agreement, digits=2))

# %% [markdown]
# ## The tagger against the adjudicated reference, in-sample and held-out apart
# The codebook was written on these paragraphs and tuned against the first reader's labels, so the tuning
# part is in-sample; the held-out part (a question-level split frozen after tuning) is protected from
# *future* tuning only. Intervals are 95%.

# %%
if validation is not None:
    adjudicated = validation[validation["reference"] == "adjudicated"]
    shown = adjudicated[["theme", "split", "paragraphs", "reference_positive", "precision", "recall", "f1",
                         "f1_low", "f1_high"]]
    display(study.present(shown, digits=2))
    kappa = agreement.set_index("theme")["kappa"] if agreement is not None else None
    fig = draw_validation(validation, study.theme_names(), lang, target=target_f1, corpus=study.labels_cover,
                          kappa=kappa)
    study.show(fig, "tagger_validation", title=text("validation_title", lang),
               caption=f"F1 of the codebook tagger against the adjudicated labels of two language-model readers "
                       f"({study.labels_cover}), tuning part and held-out part apart, 95% intervals; "
                       f"dashed line: F1 target {target_f1}.",
               source="data/processed/tagger_validation.csv (reference = adjudicated)")

# %% [markdown]
# ## Are the questions tagged right? (what "prompted" rests on)

# %%
questions = study.tables.get("question_tagging")
if questions is not None:
    display(study.present(questions[["theme", "questions", "reference_positive", "predicted_positive",
                                     "true_positive", "precision", "recall", "f1"]], digits=2))

# %% [markdown]
# ## Every disagreement with the first reader, with the terms that fired

# %%
if validation is not None:
    display(study.present(study.tables["tagger_disagreements"]))
