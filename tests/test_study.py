"""What a notebook opens: published tables only, display parameters checked, nothing saved unless asked."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

from analysis.errors import InputError, ParameterError  # noqa: E402
from analysis.figures import FIGURE_METADATA  # noqa: E402
from analysis.pipeline import BuildConfig, build  # noqa: E402
from analysis.study import open_study  # noqa: E402


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    build(BuildConfig(root=root), quiet=True)
    return root


def a_figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    return fig


def test_a_study_reads_the_published_tables_and_their_build_parameters(root):
    study = open_study(root)
    assert study.build_parameters["seed"] == 20241
    assert study.guests == ["徐至行", "刘景媛", "丁宁", "刘超"]
    assert len(study.tables["segments"]) > 100 and "keyness" in study.tables


def test_a_root_without_tables_says_how_to_build_them(tmp_path):
    with pytest.raises(InputError, match="no built tables here: run `make report`"):
        open_study(tmp_path)


def test_guests_can_be_named_in_english_and_keep_chapter_order(root):
    study = open_study(root, guests=["Liu Chao", "丁宁"])
    assert study.select_guests() == ["丁宁", "刘超"]
    with pytest.raises(ParameterError, match=r"unknown guest 'Nobody'; valid: 徐至行 \(Xu Zhixing\)"):
        open_study(root, guests=["Nobody"])


def test_an_unknown_theme_is_refused_before_any_chart(root):
    with pytest.raises(ParameterError, match="parameter themes: unknown theme 'NOPE'"):
        open_study(root, themes=["NOPE"])


def test_english_theme_labels_come_from_the_built_codebook(root):
    assert open_study(root, lang="en").theme_names()["GLOBAL"] == "Going global"
    assert open_study(root, lang="zh").theme_names()["GLOBAL"] == "出海"


def test_a_chart_shown_by_hand_is_not_saved(root, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append((obj, kw)))
    study = open_study(root)
    assert study.show(a_figure(), "probe", title="t", caption="c", source="s") is None
    assert study.shown[0]["files"] == [] and not list((root / "figures").glob("probe*"))
    assert shown[-1][1]["metadata"][FIGURE_METADATA]["name"] == "probe_zh"


def test_a_chart_is_saved_in_three_formats_when_asked(root, tmp_path, monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: None)
    study = open_study(root, tmp_path / "mine", lang="en")
    study.show(a_figure(), "probe", title="t", caption="c", source="s")
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["probe_en.pdf", "probe_en.png", "probe_en.svg"]


def test_a_saved_chart_is_shown_as_the_png_saved_at_the_figures_own_size(root, tmp_path, monkeypatch):
    from IPython.display import Image

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    study = open_study(root, tmp_path / "mine")
    fig = a_figure()  # 6.4 × 4.8 in, shown at 100 dpi: 640 px wide before the tight crop
    study.show(fig, "probe", title="t", caption="c", source="s")
    picture = shown[0]
    assert isinstance(picture, Image)
    assert picture.data == (tmp_path / "mine" / "probe_zh.png").read_bytes()
    width, height = PILImage.open(tmp_path / "mine" / "probe_zh.png").size
    assert picture.width == round(width / 3) and 500 < picture.width < 640  # 300 dpi shown at 100
    assert height > 1000


def test_saving_into_a_reports_figures_folder_by_hand_is_refused(root):
    (root / "figures").mkdir(exist_ok=True)
    with pytest.raises(ParameterError, match="only `make report` writes"):
        open_study(root, root / "figures")


def test_a_presented_table_speaks_the_label_language(root):
    study = open_study(root, lang="en")
    frame = study.tables["theme_by_guest"].head(1)[["guest", "theme", "share"]]
    html = study.present(frame, percent=["share"]).to_html()
    assert "Xu Zhixing" in html and "Product-led growth" in html and "Share" in html
    assert "徐至行" not in html and "PLG<" not in html
    share = frame["share"].iloc[0]
    assert f"{share:.0%}" in html


def test_a_presented_table_in_chinese_keeps_chinese_names(root):
    study = open_study(root, lang="zh")
    html = study.present(study.tables["theme_by_guest"].head(1)[["guest", "theme"]]).to_html()
    assert "徐至行" in html and "产品驱动增长" in html and "嘉宾" in html


def test_the_language_warning_is_empty_for_the_embedded_chapter(root):
    assert open_study(root).language_warning() == ""


def test_the_language_warning_names_a_document_whose_language_the_codebook_lacks(root):
    import pandas as pd

    from analysis.study import Study

    segments = pd.DataFrame({"document": ["zh_doc", "en_doc"], "guest": ["甲", "Jane"], "language": ["zh", "en"]})
    themes = pd.DataFrame({"theme": ["PLG", "GLOBAL"], "languages": ["zh", "zh en"]})
    study = Study(root, {}, {"segments": segments, "themes": themes})
    assert study.language_warning() == ("warning: en_doc: language en, but the codebook has no English terms for "
                                         "themes PLG: their shares there are 0 by construction")
    old = Study(root, {}, {"segments": segments.drop(columns="language"), "themes": themes})
    assert old.language_warning() == ""  # tables built before languages existed: nothing to say


def test_a_unit_key_splits_back_into_document_and_guest(root):
    import pandas as pd

    from analysis.study import Study

    two = pd.DataFrame({"document": ["a", "b"], "guest": ["Market", "Market"]})
    study = Study(root, {}, {"segments": two})
    assert [study.unit_pair(u) for u in study.select_units()] == [("a", "Market"), ("b", "Market")]
    assert open_study(root).unit_pair("丁宁") == (None, "丁宁")  # one document: a key is the guest


def test_chapter_names_in_labels_keep_only_what_tells_them_apart():
    from analysis.study import short_names

    assert short_names(["commercialization_2023", "commercialization_2024"]) == {
        "commercialization_2023": "2023", "commercialization_2024": "2024"}
    assert short_names(["report_alpha", "report_beta"]) == {"report_alpha": "alpha", "report_beta": "beta"}
    assert short_names(["only_one"]) == {"only_one": "only_one"}
    assert short_names(["ab", "ac"]) == {"ab": "ab", "ac": "ac"}  # no separator: nothing to cut at


def test_checking_display_parameters_loads_neither_matplotlib_nor_the_segmenter(root):
    """The runner checks a report's parameters with :func:`checked_study`; an up-to-date report
    then never pays for the plotting or segmenting libraries."""
    import subprocess
    import sys

    probe = ("import sys; from analysis.study import checked_study; s = checked_study(sys.argv[1], lang='en'); "
             "assert s.guests; print(sorted(m for m in ('matplotlib', 'jieba', 'rjieba', 'networkx') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe, str(root)], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_checked_study_refuses_what_open_study_refuses(root):
    from analysis.study import checked_study

    with pytest.raises(ParameterError):
        checked_study(root, guests=["nobody"])
    with pytest.raises(ParameterError):
        checked_study(root, seed=7)
