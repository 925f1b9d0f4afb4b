"""A synthetic English interview chapter, written for the tests (not from any report).

It follows the embedded chapter's conventions in English: an overview, then one interview
with a ``Guest Speaker:`` line, the editor's italic intro and ``###`` question headings. The
answers use the English edition of the codebook on purpose, one theme or two per paragraph,
so that the expected themes of each paragraph are known:

=====  ==========================================================================
a1     PLG (product-led growth, developer community, GitHub stars)
a2     ARR (ARR, subscriptions, renewal), WILLINGNESS_TO_PAY (willing to pay)
a3     GLOBAL (going global, overseas markets), SLG (sales team, key accounts)
a4     AI_INFRA (foundation models, middle layer, vector databases)
a5     CAPITAL (fundraising, valuations), TEAM (founding team)
a6     OSS_STRATEGY (license, open core), PRODUCT_MARKET_FIT (pain point, validated)
=====  ==========================================================================
"""

from __future__ import annotations

ENGLISH_CHAPTER = """---
title: Commercialization
---
# Commercialization

## Overview
This chapter collects interviews with investors about how open-source companies make money.

## "Open source as a growth engine"
### Guest Speaker: Jane Doe (Acme Capital)

_Jane Doe explains why distribution comes first and revenue second._

### How do open-source companies find their first users?
Product-led growth starts with the developer community. Our portfolio companies watch GitHub stars, but stars alone are a vanity metric.

### When does the revenue come?
ARR matters more than anything. Customers buy subscriptions, and a renewal each year proves they are willing to pay.

### Should Chinese start-ups go abroad?
Going global is hard. To win overseas markets a company needs a sales team that can serve key accounts.

### Where is the opportunity in AI?
Between foundation models and applications there is a middle layer: tooling, inference and vector databases.

### How is the capital market?
Fundraising has slowed down and valuations have come back to earth. We look at the founding team before anything else.

### What should a founder open-source?
The license decides a lot. Many choose open core, but first the product must solve a real pain point that customers have validated.
"""

#: paragraph (in answer order) → the themes it must carry with the default codebook
EXPECTED_THEMES = {
    0: {"PLG"},
    1: {"ARR", "WILLINGNESS_TO_PAY"},
    2: {"GLOBAL", "SLG"},
    3: {"AI_INFRA"},
    4: {"CAPITAL", "TEAM"},
    5: {"OSS_STRATEGY", "PRODUCT_MARKET_FIT"},
}

#: a Chinese report chapter with a section titled like one of the English chapter's ("Overview"
#: is the overview; "Market" is a section in both, see SAME_TITLE_CHAPTER below)
CHINESE_CHAPTER = """# 数据库篇

## 国产数据库

### 市场现状
国产数据库市场在增长，很多开源数据库公司通过社区获客，再通过销售团队拿下大客户。部分公司开始出海。
"""


def report_chapter(words: str) -> str:
    """A report chapter with one ``## Market`` section whose answer paragraphs say ``words``:
    two such chapters have a same-titled section, the case keyed tables must keep apart."""
    return f"# Report\n\n## Market\n\n### Trends\n{words}\n\n{words}\n\n### Outlook\n{words}\n"
