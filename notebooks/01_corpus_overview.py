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
corpus = "data/raw/commercialization_2024.md"  # a chapter or a folder of chapters
codebook = ""  # empty: the package's codebook
guests = []  # empty: all, in chapter order
lang = "zh"  # label language: zh | en
output_dir = "figures"
seed = 20241

# %%
from IPython.display import display

from analysis.charts import draw_summary
from analysis.figures import save_figure, text
from analysis.study import open_study

study = open_study(corpus=corpus, codebook=codebook, lang=lang, output_dir=output_dir, seed=seed)
segments, summary = study.tables["segments"], study.tables["corpus_summary"]
guests = study.select_guests(guests)

# %% [markdown]
# ## Units by role and guest
# `overview` and `intro` are the editor's words, `question` the interviewer's, `answer` the guest's.

# %%
display(segments.pivot_table(index="guest", columns="role", values="segment_id", aggfunc="count", fill_value=0))
display(summary)

# %%
fig = draw_summary(summary, guests, lang)
save_figure(fig, study.figure_name("corpus_size_by_guest"), study.figures_dir,
            title=text("summary_title", lang), caption="Answer paragraphs and content tokens per guest.",
            source="data/processed/corpus_summary.csv", parameters=study.parameters)

# %% [markdown]
# ## Sanity: every unit's span points at its text
# `raw[char_start:char_end]` is the unit as written; the table's `text` is the same with markup removed.

# %%
from analysis.corpus import clean_markup, load_corpus

_, raws = load_corpus(study.config.input_path)
mismatches = [row.segment_id for row in segments.itertuples()
              if clean_markup(raws[row.document][row.char_start:row.char_end])[0] != row.text]
print(f"{len(segments)} units, {len(mismatches)} span mismatches")
assert not mismatches, mismatches[:5]
display(segments[segments["role"] == "answer"].sample(5, random_state=seed)[["guest", "question", "text"]])
