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
# # 05 · Word clouds
# **Purpose.** A first impression of each guest's vocabulary: content words (stopwords removed) sized by
# frequency, in the guest's colour. Word clouds show frequency, not distinctiveness — for what sets a
# guest apart, read notebook 03.

# %% tags=["parameters"]
root = ""  # run folder whose built tables are shown; empty: this repository (`make report` sets it)
save_to = ""  # empty: show charts only; "scratch": also save them under scratch/figures/
lang = "zh"
guests = []
max_words = 80

# %%
from analysis.plots import draw_wordcloud, slug
from analysis.cooccurrence import term_frequencies
from analysis.figures import font_path, guest_colors, guest_table, text
from analysis.study import open_study

study = open_study(root, save_to, lang=lang, guests=guests, max_words=max_words)
units = study.select_units()  # (document, unit) keys: same-titled sections of two chapters stay apart
colors = guest_colors(units)
labels = study.unit_labels(units, with_org=True)

# %%
for index, unit in enumerate(units, start=1):
    document, guest = study.unit_pair(unit)
    frequencies = term_frequencies(study.dfm(), [guest], document)
    title = f"{text('wordcloud_title', lang)} · {labels[unit]}"
    fig = draw_wordcloud(frequencies.head(max_words).to_dict(), title, colors[unit], str(font_path()),
                         study.build_parameters["seed"], max_words)
    info = guest_table().get(guest)
    stem = slug(info.name_en) if info else f"section_{index:02d}"
    study.show(fig, f"wordcloud_{stem}", title=title,
               caption=f"The {max_words} most frequent content words in these answers.",
               source="data/processed/tokens.parquet (answers, is_stopword = False)")
