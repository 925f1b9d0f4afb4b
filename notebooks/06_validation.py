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
# the codebook tagger with the hand-labelled answer paragraphs in `data/labels/theme_gold.csv` (how they were
# made: `data/labels/README.md`) and lists every disagreement, so a reader can judge the errors; it also
# re-checks the parser's invariants.

# %% tags=["parameters"]
corpus = "data/raw/commercialization_2024.md"
codebook = ""
lang = "zh"
output_dir = "figures"
seed = 20241
target_f1 = 0.85

# %%
from IPython.display import display

from analysis.charts import draw_validation
from analysis.figures import save_figure, text
from analysis.study import open_study
from analysis.validation import disagreements

study = open_study(corpus=corpus, codebook=codebook, lang=lang, output_dir=output_dir, seed=seed)

# %% [markdown]
# ## Precision, recall and F1 per theme

# %%
validation = study.tables.get("tagger_validation")
if validation is None:
    print("no gold labels for this corpus: data/labels/theme_gold.csv applies to the embedded chapter only")
else:
    display(validation.style.format({"precision": "{:.2f}", "recall": "{:.2f}", "f1": "{:.2f}"}))
    below = validation[(validation["theme"] != "ALL") & (validation["f1"] < target_f1)]
    print(f"themes below F1 {target_f1}: {', '.join(below['theme']) or 'none'}")
    fig = draw_validation(validation, study.theme_names(), lang)
    save_figure(fig, study.figure_name("tagger_validation"), study.figures_dir, title=text("validation_title", lang),
                caption="Tagger vs hand labels over answer paragraphs; dashed line: F1 target 0.85.",
                source="data/processed/tagger_validation.csv", parameters=study.parameters)

# %% [markdown]
# ## Every disagreement, with the terms that fired

# %%
if validation is not None:
    display(disagreements(study.tables, study.config.gold, [t.id for t in study.themes]))

# %% [markdown]
# ## Parser sanity

# %%
segments = study.tables["segments"]
answers = segments[segments["role"] == "answer"]
checks = {
    "answers carry no markup": not answers["text"].str.contains(r"\*\*|!\[|\]\(", regex=True).any(),
    "every answer has a question": (answers["question_id"] != "").all(),
    "segment ids unique": segments["segment_id"].is_unique,
    "spans non-empty": (segments["char_end"] > segments["char_start"]).all(),
}
display(checks)
assert all(checks.values()), checks
