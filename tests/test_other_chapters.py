"""The same analysis on another chapter of the same kind: sections take the guests' place."""

from __future__ import annotations

import pytest

from analysis.pipeline import BuildConfig, compute_tables

REPORT_CHAPTER = """---
title: 数据库篇
---
# 数据库篇

## 国产数据库的商业化

### 市场现状
国产数据库市场在增长，很多开源数据库公司通过社区获客，再通过销售团队拿下大客户。部分公司开始出海。

#### 付费意愿
国内用户的付费意愿仍然偏低，白嫖现象普遍，订阅收入增长缓慢。

## 操作系统与云

### 生态
操作系统的生态建设需要开发者社区长期投入，PLG 模式在这里很难奏效，更多依赖 SLG 和渠道。
"""


@pytest.fixture(scope="module")
def report_tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chapters")
    (folder / "database.md").write_text(REPORT_CHAPTER, encoding="utf-8")
    return compute_tables(BuildConfig(input_path=folder))


def test_sections_are_the_unit_of_comparison(report_tables):
    table = report_tables["theme_by_guest"]
    assert list(dict.fromkeys(table["guest"])) == ["国产数据库的商业化", "操作系统与云"]
    shares = table.set_index(["guest", "theme"])["paragraphs"]
    assert shares[("国产数据库的商业化", "GLOBAL")] == 1 and shares[("操作系统与云", "PLG")] == 1


def test_gold_labels_of_the_embedded_chapter_are_not_applied_to_another(report_tables):
    assert "tagger_validation" not in report_tables
