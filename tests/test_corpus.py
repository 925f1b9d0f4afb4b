"""The parser turns the chapter into units a reader of Chinese would recognise."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.corpus import SEGMENT_COLUMNS, clean_markup, load_corpus, load_profile, parse_chapter, read_blocks
from analysis.errors import InputError, StructureError
from analysis.paths import PROJECT_ROOT

GUESTS = {"徐至行": "国方创新", "刘景媛": "德联资本", "丁宁": "INP", "刘超": "Atypical Ventures"}


def test_segments_table_has_the_documented_columns(segments):
    assert list(segments.columns) == SEGMENT_COLUMNS
    assert segments["segment_id"].is_unique


def test_four_guests_with_their_organisations(segments):
    pairs = segments.loc[segments["guest"] != "", ["guest", "organization"]].drop_duplicates()
    assert dict(zip(pairs["guest"], pairs["organization"])) == GUESTS
    assert list(pairs["guest"]) == list(GUESTS)  # in the chapter's order


def test_every_question_heading_is_found_and_attributed_to_its_guest(segments, raw):
    questions = segments[segments["role"] == "question"]
    heading_lines = [line for line in raw.splitlines() if line.startswith(("### ", "#### "))]
    guest_lines = [line for line in heading_lines if "访谈嘉宾" in line]
    headed = questions[~questions["text"].str.startswith("那么，除了这个原因之外")]
    assert len(headed) == len(heading_lines) - len(guest_lines) == 36
    assert questions.groupby("guest").size().to_dict() == {"徐至行": 10, "刘景媛": 13, "丁宁": 6, "刘超": 8}
    # a #### heading and a "Q：" prefixed heading are questions too
    q = dict(zip(questions["question"], questions["guest"]))
    assert q["开源软件的商业化进程中应该关注哪些重点？"] == "刘景媛"
    assert q["如何评估和评价一个项目，有哪些重要的参考依据？"] == "刘景媛"
    assert q["如何评价基础设施公司的业务健康程度？"] == "刘超"


def test_the_guest_line_is_not_a_question(segments):
    assert not segments["text"].str.contains("访谈嘉宾").any()


def test_answer_text_carries_no_markup(segments):
    answers = segments[segments["role"] == "answer"]
    for marker in ("**", "__", "![", "](", "#", "_"):
        assert not answers["text"].str.contains(marker, regex=False).any(), marker


def test_italic_intros_are_the_editors_and_never_answers(segments, raw):
    intros = segments[segments["role"] == "intro"]
    assert intros.groupby("guest").size().to_dict() == {g: 2 for g in GUESTS}
    for row in intros.itertuples():
        unit = raw[row.char_start : row.char_end]
        assert unit.startswith("_") and unit.endswith("_")
    answer_texts = set(segments.loc[segments["role"] == "answer", "text"])
    assert not answer_texts & set(intros["text"])
    assert not answer_texts & set(segments.loc[segments["role"] == "question", "text"])


def test_an_interviewer_follow_up_inside_an_answer_is_a_question_of_its_own(segments, raw):
    follow_up = segments[segments["text"].str.startswith("那么，除了这个原因之外，您认为")]
    assert follow_up["role"].tolist() == ["question"]
    row = follow_up.iloc[0]
    assert raw[row["char_start"] : row["char_end"]] == row["text"]
    answers = segments[segments["question_id"] == row["question_id"]].iloc[1:]
    assert (answers["role"] == "answer").all() and answers["guest"].eq("刘景媛").all()
    assert answers["text"].iloc[0].startswith("我认为这个问题还好")
    assert not segments.loc[segments["role"] == "answer", "text"].str.contains("您认为是否存在").any()
    before = segments[segments["text"].str.startswith("为什么基础设施的投资者相对较少")].iloc[0]
    assert before["role"] == "answer" and before["text"].endswith("情况确实如此。")


def test_answers_belong_to_the_question_above_them(segments):
    row = segments[segments["text"].str.startswith("通常情况下，我们会关注一些常规指标")].iloc[0]
    assert row["role"] == "answer" and row["guest"] == "刘景媛"
    assert row["question"] == "如何评估和评价一个项目，有哪些重要的参考依据？"
    assert row["paragraph_index"] == 2


def test_spans_point_at_their_text(segments, raw):
    for row in segments.itertuples():
        unit = raw[row.char_start : row.char_end]
        text, highlights = clean_markup(unit)
        assert text == row.text, row.segment_id
        assert highlights == json.loads(row.highlights)


def test_bold_statements_are_kept_as_highlights_without_markup(segments):
    row = segments[segments["text"].str.contains("我坚信，如果团队从一开始就坚信自己在产品方面的实力")].iloc[0]
    highlights = json.loads(row["highlights"])
    assert highlights == ["我坚信，如果团队从一开始就坚信自己在产品方面的实力，那么完全可以一开始就采取全球化战略。"]
    assert "**" not in row["text"]


def test_overview_is_the_editors_and_has_no_guest(segments):
    overview = segments[segments["role"] == "overview"]
    assert len(overview) == 3 and (overview["guest"] == "").all()
    assert overview["text"].iloc[0].startswith("开源软件的商业化是指")


def test_front_matter_and_images_are_not_text(segments):
    assert not segments["text"].str.contains("tags:|image|\\.png", regex=True).any()


TOY = """# 标题
## 《一次访谈》
### 访谈嘉宾：张三（某资本）
_编辑的摘要。_
### 第一个问题？
第一段回答，**重点句。**还有[链接文字](http://x)。
第二段回答。
![图](a.png)
#### Q：第二个问题？
第三段回答。
"""


def test_headings_are_found_without_blank_lines_around_them():
    frame = parse_chapter(TOY, "toy")
    assert frame["role"].tolist() == ["intro", "question", "answer", "question", "answer"]
    assert frame.loc[2, "text"] == "第一段回答，重点句。还有链接文字。第二段回答。"
    assert frame.loc[3, "question"] == "第二个问题？"
    assert json.loads(frame.loc[2, "highlights"]) == ["重点句。"]


def test_a_paragraph_is_lines_up_to_a_blank_line_or_heading():
    text = "## 《访谈》\n### 访谈嘉宾：李四（机构）\n### 问题？\n甲。\n\n乙。\n"
    frame = parse_chapter(text, "toy")
    assert frame[frame["role"] == "answer"]["text"].tolist() == ["甲。", "乙。"]
    assert frame[frame["role"] == "answer"]["paragraph_index"].tolist() == [0, 1]


REPORT = """---
title: 报告
---
# 某报告
## 第一节 数据库
### 现状
数据库市场在增长。
#### 趋势
云原生是趋势。
## 第二节 操作系统
### 生态
操作系统生态需要社区。
"""


def test_a_chapter_without_guests_compares_its_sections():
    frame = parse_chapter(REPORT, "report")
    answers = frame[frame["role"] == "answer"]
    assert answers["guest"].tolist() == ["第一节 数据库", "第一节 数据库", "第二节 操作系统"]
    assert answers["question"].tolist() == ["现状", "趋势", "生态"]


def test_unstructured_markdown_is_refused():
    with pytest.raises(StructureError, match="no recognisable structure"):
        parse_chapter("只是一段没有标题的文字。\n\n又一段。\n", "plain")


def test_crlf_and_bom_are_read_correctly(write_chapter, raw):
    crlf = "\ufeff" + raw.replace("\n", "\r\n")
    path = write_chapter(crlf.encode("utf-8"), "crlf.md")
    segments, raws = load_corpus(path)
    plain, _ = load_corpus(write_chapter(raw, "plain.md"))
    assert segments["text"].tolist() == plain["text"].tolist()
    text = raws["crlf"]
    for row in segments.itertuples():
        assert clean_markup(text[row.char_start : row.char_end])[0] == row.text


def test_a_folder_of_chapters_is_one_corpus_with_a_document_column(write_chapter, raw):
    first = write_chapter(raw, "corpus/a.md")
    write_chapter(REPORT, "corpus/b.md")
    segments, raws = load_corpus(first.parent)
    assert set(raws) == {"a", "b"}
    assert segments.groupby("document").size().to_dict()["b"] == 6
    assert segments["segment_id"].is_unique
    assert isinstance(segments, pd.DataFrame)


# --- The block reader and the role pass ------------------------------------------------------


def test_the_embedded_chapter_keeps_its_shape(segments, raw):
    # Properties a regression in the block reader or the role pass would break (not a snapshot):
    # role counts, units in document order without overlap, answers numbered 0.. under their question.
    assert segments["role"].value_counts().to_dict() == {"answer": 139, "question": 37, "intro": 8, "overview": 3}
    starts, ends = segments["char_start"].to_numpy(), segments["char_end"].to_numpy()
    assert (starts[1:] >= ends[:-1]).all() and (starts < ends).all()
    answers = segments[segments["role"] == "answer"]
    for _, group in answers.groupby("question_id"):
        assert group["paragraph_index"].tolist() == list(range(len(group)))
    for row in segments.itertuples():
        unit = raw[row.char_start : row.char_end]
        assert unit == unit.strip() and "\n\n" not in unit, row.segment_id


def test_a_block_span_is_its_source_lines_without_the_line_break():
    raw = "\ufeff# 标题\r\n\r\n第一行\r\n第二行  \r\n\r\n- 列表项\r\n> 引用\r\n"
    blocks = read_blocks(raw)
    spans = [(b.kind, raw[b.char_start : b.char_end]) for b in blocks]
    assert spans == [("heading", "标题"), ("paragraph", "第一行\r\n第二行"), ("list_item", "列表项"), ("paragraph", "引用")]
    assert [b.text for b in blocks] == ["标题", "第一行第二行", "列表项", "引用"]
    assert blocks[-1].quoted and not blocks[1].quoted


def test_bold_closes_after_chinese_punctuation_followed_by_a_character():
    # CommonMark alone leaves "**" in place here: the closing run follows "。" and precedes "还".
    assert clean_markup("第一段，**重点句。**还有") == ("第一段，重点句。还有", ["重点句。"])


def test_inline_markup_is_read_by_the_markdown_parser():
    text, highlights = clean_markup("见 `code`、<span>标签</span>、[链接](http://x)、![图](a.png)、\\*星号\\*和 <http://y.z>。")
    assert text == "见 code、标签、链接、、*星号*和。"
    assert highlights == []


def test_a_paragraph_indented_four_spaces_is_prose_not_code():
    frame = parse_chapter("## 第一节\n### 小节\n    缩进的段落。\n", "indent")
    assert frame.loc[frame["role"] == "answer", "text"].tolist() == ["缩进的段落。"]


def test_only_a_closed_dash_block_at_the_top_is_front_matter():
    blocks = read_blocks("\n---\ntitle: x\n---\n# 标题\n")
    assert [b.kind for b in blocks] == ["front_matter", "heading"]
    assert [b.kind for b in read_blocks("---\n# 标题\n")] == ["rule", "heading"]


# --- Only prose is text -----------------------------------------------------------------------


def _report(body: str) -> str:
    """A minimal report chapter: one section, one subsection, one prose paragraph, then ``body``."""
    return "# 报告\n\n## 第一节 数据库\n\n### 现状\n\n数据库市场在增长。\n\n" + body


def _units(body: str, document="toy"):
    raw = _report(body)
    return parse_chapter(raw, document), raw


def test_a_pipe_table_becomes_one_table_row_not_answer_text():
    frame, raw = _units("| 产品 | 价格 |\n|---|---|\n| **甲** | 十元 |\n| 乙 | [面议](http://b) |\n\n表后的段落。\n")
    assert frame["role"].tolist() == ["question", "answer", "table", "answer"]
    table = frame[frame["role"] == "table"].iloc[0]
    assert table["text"] == "产品 | 价格\n甲 | 十元\n乙 | 面议"
    assert raw[table["char_start"] : table["char_end"]].startswith("| 产品") and raw[table["char_end"] - 1] == "|"
    assert json.loads(table["links"]) == ["http://b"]


def test_an_image_grid_table_is_no_unit_at_all():
    frame, _ = _units("| ![a](a.png) | ![b](b.png) |\n|---|---|\n")
    assert frame["role"].tolist() == ["question", "answer"]


def test_an_html_table_becomes_one_table_row():
    frame, _ = _units("<table>\n  <tr><th>项目</th><th> 许可证 </th></tr>\n  <tr><td>甲项目</td><td>MIT</td></tr>\n</table>\n")
    assert frame.loc[frame["role"] == "table", "text"].tolist() == ["项目 | 许可证\n甲项目 | MIT"]
    assert not frame["text"].str.contains("<").any()


def test_html_comments_and_code_blocks_never_appear():
    frame, _ = _units("<!-- 编辑备注：待补充 -->\n\n```python\nprint('代码')\n```\n\n    缩进四格仍是正文。\n")
    assert frame["text"].tolist() == ["现状", "数据库市场在增长。", "缩进四格仍是正文。"]


def test_figure_and_table_captions_get_the_caption_role():
    body = ("图 2.1 某项指标的年度变化\n\n"
            "<center> 表 3.2 示例数据汇总 </center>\n"
            "上一段漏掉的半句话。\n<br>\n\n"
            "Figure 3: Market size\n\n"
            "图为示意，说明了各个环节之间的关系。\n\n"
            "图 1 显示了市场在过去三年里持续增长，这一趋势在明年还会延续下去。\n")
    frame, raw = _units(body)
    roles = dict(zip(frame["text"], frame["role"]))
    assert roles["图 2.1 某项指标的年度变化"] == "caption"
    assert roles["表 3.2 示例数据汇总"] == "caption"
    assert roles["Figure 3: Market size"] == "caption"
    # a sentence that merely starts with 图 is prose, and so is text stuck behind a caption
    assert roles["图为示意，说明了各个环节之间的关系。"] == "answer"
    assert roles["图 1 显示了市场在过去三年里持续增长，这一趋势在明年还会延续下去。"] == "answer"
    assert roles["上一段漏掉的半句话。"] == "answer"
    for row in frame.itertuples():
        assert clean_markup(raw[row.char_start : row.char_end])[0] == row.text


def test_each_list_item_is_a_unit_without_its_marker():
    frame, raw = _units("本章分为：\n- **社区**：用户与贡献者\n- 产品\n  续行\n1. 生态\n   - 嵌套项\n")
    answers = frame[frame["role"] == "answer"]
    assert answers["text"].tolist()[1:] == ["本章分为：", "社区：用户与贡献者", "产品续行", "生态", "嵌套项"]
    assert answers["paragraph_index"].tolist() == [0, 1, 2, 3, 4, 5]
    for row in answers.itertuples():
        assert not re.match(r"\s|[-*+]\s|\d+[.)]\s", raw[row.char_start :]), row.text
        assert clean_markup(raw[row.char_start : row.char_end])[0] == row.text


def test_a_block_quote_is_kept_as_a_quotation_without_its_marker():
    frame, raw = _units("> 开源是一种\n> 生产方式。\n\n引用之后的正文。\n")
    quote = frame[frame["text"] == "开源是一种生产方式。"].iloc[0]
    assert quote["role"] == "answer" and quote["is_quote"]
    assert clean_markup(raw[quote["char_start"] : quote["char_end"]])[0] == quote["text"]
    assert not frame.loc[frame["text"] != quote["text"], "is_quote"].any()


def test_urls_leave_the_text_and_are_kept_in_links():
    frame, _ = _units("推荐这个工具：https://example.org/tool/a-b_c。详见 <https://x.org/a> 和"
                      "[官网](https://y.com)，或 www.z.cn 。\n")
    row = frame.iloc[-1]
    assert row["text"] == "推荐这个工具：。详见 和官网，或 。"
    assert json.loads(row["links"]) == ["https://example.org/tool/a-b_c", "https://x.org/a", "https://y.com", "www.z.cn"]


def test_an_image_only_paragraph_is_no_unit():
    frame, _ = _units("![图](a.png) ![图](b.png)\n\n<div>\n\n![图](c.png)\n\n</div>\n")
    assert frame["role"].tolist() == ["question", "answer"]


# --- Conventions as data ------------------------------------------------------------------------


@pytest.mark.parametrize("heading", ["## 一. 概述", "## 1. Overview:", "## 概述 @张三", "## （一）前言", "## Introduction"])
def test_a_numbered_or_credited_overview_heading_is_recognised(heading):
    frame = parse_chapter(f"# 报告\n{heading}\n编者的话。\n## 第二节\n### 小节\n正文。\n", "toy")
    assert frame["role"].tolist() == ["overview", "question", "answer"]
    assert frame.loc[0, "guest"] == ""


def test_a_heading_that_only_starts_like_a_number_is_a_section():
    frame = parse_chapter("## 一些概述\n### 小节\n正文。\n", "toy")
    assert frame.loc[frame["role"] == "answer", "guest"].tolist() == ["一些概述"]


ENGLISH_INTERVIEW = """# Commercialization
## Overview
An editor's note.
## "Open source as a tool"
**Guest Speaker: Jane Doe (Acme Capital)**

_A summary by the editor._

### Q: How do you see the market?
It is cooling down.

### Q2. What comes next?
More infrastructure.
"""


def test_an_english_interview_names_its_guest_with_guest_speaker():
    frame = parse_chapter(ENGLISH_INTERVIEW, "en")
    assert frame["role"].tolist() == ["overview", "intro", "question", "answer", "question", "answer"]
    guest = frame[frame["role"] == "answer"]
    assert guest["guest"].unique().tolist() == ["Jane Doe"] and guest["organization"].unique().tolist() == ["Acme Capital"]
    assert frame.loc[frame["role"] == "question", "text"].tolist() == ["How do you see the market?", "What comes next?"]
    assert not frame["text"].str.contains("Guest Speaker").any()


def test_a_guest_line_without_a_name_is_refused_naming_the_file_and_line(write_chapter):
    path = write_chapter("# 标题\n## 《访谈》\n\n### 访谈嘉宾：\n### 问题？\n回答。\n", "nameless.md")
    with pytest.raises(StructureError) as error:
        load_corpus(path)
    message = str(error.value)
    assert "nameless.md" in message and "line 4" in message and "names no guest" in message
    assert "\n" not in message


def test_references_are_back_matter_kept_and_never_compared():
    raw = _report("### 参考资料\n1. 某某报告，2023。\n\n### 趋势\n云原生是趋势。\n\n"
                  "## References\n- Doe, J. *Open Source*. 2023.\n### Further Reading\nA book.\n")
    frame = parse_chapter(raw, "toy")
    back = frame[frame["role"] == "back_matter"]
    assert back["text"].tolist() == ["某某报告，2023。", "Doe, J. Open Source. 2023.", "A book."]
    assert back["guest"].tolist() == ["第一节 数据库", "", ""]
    assert frame.loc[frame["role"] == "question", "text"].tolist() == ["现状", "趋势"]
    assert frame.loc[frame["role"] == "answer", "text"].tolist() == ["数据库市场在增长。", "云原生是趋势。"]


def test_a_profile_of_ones_own_changes_the_conventions(tmp_path, write_chapter):
    profile = tmp_path / "profile.yaml"
    profile.write_text("languages:\n  xx:\n    guest_labels: [Speaker]\n    question_prefixes: [Ask]\n"
                       "    overview_headings: [Editorial]\n    caption: '^Chart \\d+'\n", encoding="utf-8")
    path = write_chapter("## Editorial\nNote.\n## Talk\n### Speaker: Li (Org)\n### Ask: Why?\nBecause.\n\nChart 1 growth\n")
    segments, _ = load_corpus(path, profile=profile)
    assert segments["role"].tolist() == ["overview", "question", "answer", "caption"]
    assert segments.loc[1, "text"] == "Why?" and segments.loc[2, "guest"] == "Li"
    default, _ = load_corpus(path)  # with the default profile the same chapter is a report
    assert "Speaker: Li (Org)" in default["text"].tolist()


def test_a_profile_with_a_bad_pattern_names_the_file_language_and_field(tmp_path):
    profile = tmp_path / "bad.yaml"
    profile.write_text("languages:\n  zh:\n    caption: '^(图'\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.yaml: language 'zh', field 'caption': invalid regex"):
        load_profile(profile)
    profile.write_text("languages:\n  zh:\n    captions: x\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown field 'captions'"):
        load_profile(profile)


# --- Report mode ----------------------------------------------------------------------------


def test_paragraphs_before_the_first_subheading_answer_the_section_itself():
    frame = parse_chapter("# 报告\n## 第一节\n导入段落。\n### 小节\n正文。\n", "toy")
    lead = frame[frame["text"] == "导入段落。"].iloc[0]
    assert lead["role"] == "answer" and lead["guest"] == "第一节"
    assert lead["question"] == "" and lead["question_id"] == "" and lead["paragraph_index"] == 0


def test_a_chapter_of_sections_without_subheadings_is_a_report():
    frame = parse_chapter("# 报告\n## 数据库\n数据库段落。\n## 操作系统\n操作系统段落。\n", "toy")
    assert frame[["guest", "role", "question"]].values.tolist() == [["数据库", "answer", ""], ["操作系统", "answer", ""]]


def test_a_title_and_paragraphs_is_a_short_report():
    frame = parse_chapter("# 一篇短文\n\n第一段。\n\n第二段。\n", "short")
    assert frame["role"].tolist() == ["answer", "answer"]
    assert frame["guest"].unique().tolist() == ["一篇短文"] and frame["section_path"].unique().tolist() == ["一篇短文"]


def test_every_row_carries_its_section_path():
    frame = parse_chapter(REPORT, "report")
    paths = dict(zip(frame["text"], frame["section_path"]))
    assert paths["数据库市场在增长。"] == "第一节 数据库 › 现状"
    assert paths["云原生是趋势。"] == "第一节 数据库 › 现状 › 趋势"
    assert paths["操作系统生态需要社区。"] == "第二节 操作系统 › 生态"
    assert paths["现状"] == "第一节 数据库 › 现状"  # a question's path ends at its own heading


def test_the_interview_section_path_runs_from_the_interview_to_the_question(segments):
    row = segments[segments["text"].str.startswith("通常情况下，我们会关注一些常规指标")].iloc[0]
    assert row["section_path"] == "《当对标美国失去意义，中国开源应当找到自己的节奏》 › Q：如何评估和评价一个项目，有哪些重要的参考依据？"
    assert not segments["section_path"].str.contains("访谈嘉宾").any()


# --- The 2023 development chapter (report style; not part of the repository) --------------------

# ../shared/corpus/ beside the repository; a worktree elsewhere can point at it with ANALYSIS_SHARED_CORPUS
SHARED_CORPUS = Path(os.environ.get("ANALYSIS_SHARED_CORPUS", PROJECT_ROOT.parent / "shared" / "corpus"))
CHAPTER_2023 = SHARED_CORPUS / "commercialization_2023.md"


@pytest.fixture(scope="module")
def chapter_2023():
    if not CHAPTER_2023.exists():
        pytest.skip(f"development chapter not found at {CHAPTER_2023} (it lives beside the repository, in ../shared/corpus/)")
    segments, raws = load_corpus(CHAPTER_2023)
    return segments, raws["commercialization_2023"]


def test_2023_answers_are_prose_only(chapter_2023):
    segments, _ = chapter_2023
    answers = segments.loc[segments["role"] == "answer", "text"]
    assert len(answers) > 200
    for needle in ("|---", "<!--", "http", "<center", "<div"):
        assert not answers.str.contains(needle, regex=False).any(), needle
    assert not answers.str.match(r"\s*(?:[-*+]|\d+[.)])\s").any()
    assert not answers.str.match(r"(?:图|表)\s*\d+(?:\.\d+)*\s").any()


def test_2023_figures_tables_and_links_are_kept_apart(chapter_2023):
    segments, raw = chapter_2023
    roles = segments["role"].value_counts()
    assert roles["caption"] >= 50 and roles["table"] == 2
    tables = segments.loc[segments["role"] == "table", "text"]
    assert (tables.str.count("\n") >= 5).all() and tables.str.contains(" | ").all()
    links = [link for cell in segments["links"] for link in json.loads(cell)]
    assert links and all(link.startswith("http") for link in links)
    for row in segments.itertuples():
        assert clean_markup(raw[row.char_start : row.char_end])[0] == row.text, row.segment_id


def test_2023_numbered_overview_is_recognised_and_sections_compared(chapter_2023):
    segments, _ = chapter_2023
    # (no text of the chapter is written here: it is not the project's to copy)
    overview = segments[segments["role"] == "overview"]
    titles = set(overview["interview_title"])
    assert len(overview) >= 5 and len(titles) == 1 and (overview["guest"] == "").all()
    assert re.match(r"[一二三四五六七八九十]+\. ", titles.pop())  # numbered, and still an overview
    guests = list(dict.fromkeys(segments.loc[segments["guest"] != "", "guest"]))
    assert len(guests) == 3 and all(re.match(r"[二三四]\. ", g) for g in guests)
    assert segments["section_path"].str.match(r"[一二三四]\. ").all()


def test_a_sentence_after_a_guest_label_is_prose_not_a_guest():
    frame = parse_chapter("# 报告\n## 第一节\n嘉宾：今天我们请到了三位专家，他们来自不同的机构。\n", "toy")
    assert frame[["guest", "role"]].values.tolist() == [["第一节", "answer"]]


def test_a_back_matter_title_at_the_top_level_is_back_matter_too():
    frame = parse_chapter("# 报告\n## 第一节\n正文。\n# 参考文献\n- 某书。\n## 致谢\n感谢。\n", "toy")
    assert frame[["role", "guest"]].values.tolist() == [["answer", "第一节"], ["back_matter", ""], ["back_matter", ""]]


def test_html_inside_a_list_item_or_a_quote_keeps_a_span_that_gives_back_its_text():
    # markdown-it strips the item's indent and the quote's '>' from an HTML block's content, so
    # columns inside it no longer match the raw lines; the unit must still point at its text
    raw = "## 节\r### 小\r- 项\r\r  <center>图 1 标题</center>\r\r> <center>表 2 数据</center>\r"
    frame = parse_chapter(raw, "toy")
    assert frame["role"].tolist() == ["question", "answer", "caption", "caption"]
    for row in frame.itertuples():
        assert clean_markup(raw[row.char_start : row.char_end])[0] == row.text


# -- language per document --------------------------------------------------------------------

from analysis.corpus import CJK_SHARE_ZH, LANGUAGES, cjk_share  # noqa: E402

from .english_chapter import CHINESE_CHAPTER, ENGLISH_CHAPTER  # noqa: E402


def test_an_english_interview_chapter_gets_its_guest_organisation_and_roles():
    frame = parse_chapter(ENGLISH_CHAPTER, "english")
    assert frame["role"].tolist() == ["overview", "intro"] + ["question", "answer"] * 6
    interview = frame[frame["role"] != "overview"]
    assert set(interview["guest"]) == {"Jane Doe"} and set(interview["organization"]) == {"Acme Capital"}
    assert frame.loc[frame["role"] == "intro", "text"].tolist() == [
        "Jane Doe explains why distribution comes first and revenue second."]
    assert frame.loc[frame["role"] == "question", "text"].iloc[0] == "How do open-source companies find their first users?"
    assert not frame["text"].str.contains("Guest Speaker|title:").any()  # neither the guest line nor front matter


def test_the_language_column_is_the_last_and_the_same_on_every_row_of_a_document():
    frame = parse_chapter(ENGLISH_CHAPTER, "english")
    assert list(frame.columns) == SEGMENT_COLUMNS and SEGMENT_COLUMNS[-1] == "language"
    assert set(frame["language"]) == {"en"}


def test_a_chinese_and_an_english_chapter_in_one_folder_each_report_their_language(tmp_path):
    (tmp_path / "a_english.md").write_text(ENGLISH_CHAPTER, encoding="utf-8")
    (tmp_path / "b_chinese.md").write_text(CHINESE_CHAPTER, encoding="utf-8")
    segments, _ = load_corpus(tmp_path)
    assert segments.groupby("document")["language"].agg(set).to_dict() == {"a_english": {"en"}, "b_chinese": {"zh"}}


def test_the_embedded_chapter_is_chinese_despite_its_english_acronyms(segments):
    assert set(segments["language"]) == {"zh"}
    prose = segments.loc[segments["role"].isin(["answer", "question"]), "text"]
    assert prose.str.contains("ARR|PLG|AI").any() and cjk_share(prose) > 0.9


def test_the_cjk_share_counts_ideographs_against_latin_letters_only():
    assert cjk_share(["开源 ARR"]) == pytest.approx(2 / 5)  # 2 ideographs, 3 letters; the space counts as neither
    assert cjk_share(["，。！123"]) == 0.0 and cjk_share([]) == 0.0
    assert cjk_share(["ＡＲＲ增长"]) == pytest.approx(2 / 5)  # full-width letters are Latin letters
    # a Chinese sentence with many English words is still Chinese; an English one quoting a name is not
    mixed = "我们看 PLG 和 SLG，也看 ARR 和 NRR。"
    assert cjk_share([mixed]) >= CJK_SHARE_ZH
    assert cjk_share(["We met 徐至行 and talked about product-led growth and recurring revenue."]) < CJK_SHARE_ZH


def test_front_matter_language_overrides_detection_and_a_bad_one_names_the_file(write_chapter):
    declared = ENGLISH_CHAPTER.replace("title: Commercialization", "title: x\nlanguage: zh")
    assert set(parse_chapter(declared, "declared")["language"]) == {"zh"}
    path = write_chapter(ENGLISH_CHAPTER.replace("title: Commercialization", "language: fr"), "french.md")
    with pytest.raises(StructureError) as error:
        load_corpus(path)
    assert "french.md" in str(error.value) and "'fr'" in str(error.value) and "\n" not in str(error.value)


def test_the_profile_can_set_every_documents_language(tmp_path):
    profile = tmp_path / "profile.yaml"
    text = (Path(__file__).parents[1] / "src/analysis/lexicons/profile.yaml").read_text(encoding="utf-8")
    profile.write_text(text + "\nlanguage: en\n", encoding="utf-8")
    assert set(parse_chapter(CHINESE_CHAPTER, "zh", profile=load_profile(profile))["language"]) == {"en"}
    profile.write_text(text + "\nlanguage: french\n", encoding="utf-8")
    with pytest.raises(InputError, match="language"):
        load_profile(profile)
    assert LANGUAGES == ("zh", "en")


def _share_by_regex(texts) -> float:
    """The definition, the slow way: width-fold, then count ideographs and Latin letters by regex."""
    import re

    from analysis.lexicon import fold_width

    text = fold_width("".join(texts))
    cjk = len(re.findall(r"[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\U00020000-\U0003FFFF]", text))
    latin = len(re.findall(r"[A-Za-zÀ-ɏ]", text))
    return cjk / (cjk + latin) if cjk + latin else 0.0


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# every boundary of every counted range, on both sides, and characters that look like letters
_EDGES = "@AZ[`az{\xbf\xc0\xd7\xf7\u024f\u0250\uff20\uff21\uff3a\uff3b\uff40\uff41\uff5a\uff5b\u33ff\u3400\u4dbf\u4dc0" \
         "\u4dff\u4e00\u9fff\ua000\uf8ff\uf900\ufaff\ufb00\U0001ffff\U00020000\U0003ffff\U00040000 1１，"


@given(st.lists(st.text(alphabet=_EDGES, min_size=1), max_size=4)
       | st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",))), max_size=4))
def test_the_cjk_share_equals_its_regex_definition_on_any_text(texts):
    assert cjk_share(texts) == _share_by_regex(texts)
    # with an ideograph and a letter more, a letter (or ideograph) miscounted always shows in the share
    assert cjk_share([*texts, "中a"]) == _share_by_regex([*texts, "中a"])
