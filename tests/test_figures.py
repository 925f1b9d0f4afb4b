"""Saving figures: one tight crop for every format, and the font subset each PDF embeds."""

import io

import pytest

pytest.importorskip("uharfbuzz")

from matplotlib.backends import _backend_pdf_ps  # noqa: E402
from matplotlib.ft2font import FT2Font, LoadFlags  # noqa: E402

from analysis.figures import (  # noqa: E402
    font_path, harfbuzz_glyphs_subset, save_figure, setup_style, tight_crop, use_harfbuzz_subsetting)

TEXT = "各嘉宾回答中涉及主题的段落占比，出海与商业化 ARR PLG/SLG 0123456789 (k/n) ·—"


def outline(font: FT2Font, glyph: int) -> tuple:
    loaded = font.load_glyph(glyph, flags=LoadFlags.NO_SCALE | LoadFlags.NO_HINTING)
    vertices, codes = font.get_path()
    return loaded.horiAdvance, vertices.round(3).tolist(), codes.tolist()


def test_the_harfbuzz_subset_keeps_every_requested_glyphs_outline_and_advance():
    original = FT2Font(str(font_path()))
    glyphs = {original.get_char_index(ord(c)) for c in TEXT}
    assert 0 not in glyphs  # every character is in the font, so every glyph is a real one
    with harfbuzz_glyphs_subset(str(font_path()), glyphs) as result:
        data = io.BytesIO()
        result.font.save(data)
        mapping = result.glyph_index_map
    subset = FT2Font(io.BytesIO(data.getvalue()))
    assert set(mapping) >= glyphs
    assert subset.num_glyphs < 100  # a subset, not the 65,535-glyph font
    for glyph in glyphs:
        assert outline(subset, mapping[glyph]) == outline(original, glyph)


def test_the_harfbuzz_subset_is_the_same_bytes_at_any_time_of_day(monkeypatch):
    import itertools

    clock = itertools.count(3_900_000_000)  # fontTools stamps the save time into 'head' unless told not to
    monkeypatch.setattr("fontTools.ttLib.tables._h_e_a_d.timestampNow", lambda: next(clock))
    glyphs = {FT2Font(str(font_path())).get_char_index(ord(c)) for c in TEXT}
    saved = []
    for _ in range(2):
        with harfbuzz_glyphs_subset(str(font_path()), glyphs) as result:
            saved.append(_backend_pdf_ps.font_as_file(result.font).getvalue())  # as the PDF backend embeds it
    assert saved[0] == saved[1]


def test_setting_up_the_style_makes_pdfs_subset_their_font_with_harfbuzz():
    setup_style()
    assert _backend_pdf_ps.get_glyphs_subset is harfbuzz_glyphs_subset
    assert use_harfbuzz_subsetting()  # a second call keeps it


def a_figure_with_a_legend_placed_when_drawn():
    import matplotlib.pyplot as plt

    setup_style()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([0, 1, 2], [3, 1, 2], label="徐至行 (n=12)")
    ax.plot([0, 1, 2], [1, 2, 3], label="刘景媛")
    ax.legend(loc="best")
    ax.set_title("各嘉宾回答中涉及主题的段落占比 — a title wider than the axes", loc="left")
    fig.text(0.99, -0.05, "注：a note below the axes", ha="right")
    return fig


def test_one_tight_crop_serves_every_format_and_is_the_crop_savefig_finds(tmp_path):
    import numpy as np
    from PIL import Image

    fig = a_figure_with_a_legend_placed_when_drawn()
    crop = tight_crop(fig, 300)
    assert crop is not None and crop.y0 < 0  # the note below the figure is kept
    (png,) = save_figure(fig, "mine", tmp_path, formats=("png",))
    fig.savefig(tmp_path / "savefig.png", dpi=300, bbox_inches="tight")
    mine, theirs = np.asarray(Image.open(png)), np.asarray(Image.open(tmp_path / "savefig.png"))
    assert mine.shape == theirs.shape and (mine == theirs).all()
    assert fig.dpi == 100  # the figure is shown at its own resolution afterwards


def test_a_figure_with_a_layout_engine_is_left_to_savefig():
    import matplotlib.pyplot as plt

    setup_style()
    fig, _ = plt.subplots(layout="constrained")
    assert tight_crop(fig) is None


def test_a_figure_laid_out_once_is_drawn_once_for_its_crop_and_once_per_file(tmp_path, monkeypatch):
    fig = a_figure_with_a_legend_placed_when_drawn()
    fig.tight_layout()  # leaves a placeholder layout engine behind, as every chart of plots.py does
    engine = fig.get_layout_engine()
    draws = []
    original = type(fig).draw
    monkeypatch.setattr(type(fig), "draw", lambda self, renderer: draws.append(1) or original(self, renderer))
    save_figure(fig, "counted", tmp_path)
    assert len(draws) == 1 + 3  # savefig alone draws twice a file
    assert fig.get_layout_engine() is engine


def test_the_crop_leaves_out_no_part_of_a_picture_and_never_resamples_it(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.image import AxesImage
    from PIL import Image

    setup_style()
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.imshow(np.random.default_rng(0).integers(0, 255, (200, 320, 3), dtype=np.uint8), interpolation="none")
    ax.set_axis_off()
    ax.set_title("词云 word cloud", loc="left")
    fig.tight_layout()
    made = []
    original = AxesImage.make_image
    monkeypatch.setattr(AxesImage, "make_image", lambda self, *a, **k: made.append(1) or original(self, *a, **k))
    crop = tight_crop(fig, 300)
    assert made == []  # the picture's pixels cannot move anything
    monkeypatch.undo()
    (png,) = save_figure(fig, "picture", tmp_path, formats=("png",))
    fig.savefig(tmp_path / "savefig.png", dpi=300, bbox_inches="tight")
    mine, theirs = np.asarray(Image.open(png)), np.asarray(Image.open(tmp_path / "savefig.png"))
    assert crop is not None and mine.shape == theirs.shape and (mine == theirs).all()
