"""Tokens a reader of Chinese accepts: domain terms whole, variants merged, nothing leaking."""

from __future__ import annotations

import jieba
import pytest

from analysis.lexicon import fold_width, load_lexicon, term_key
import pandas as pd

from analysis.tokenizer import TOKEN_COLUMNS, Tokenizer, tokenize_segments

from .conftest import answer_containing


@pytest.mark.parametrize(
    "sentence, term",
    [
        ("开源软件的商业化是指在开源软件的基础上", "商业化"),
        ("过去一年基础大模型之间，又以「免费」「价格战」的方式吸引开发者和客户", "大模型"),
        ("具体到最受关注的 AI 编程方向有哪些观察？", "AI 编程"),
        ("我们看好 AI Infrastructure 这一层的机会", "AI Infrastructure"),
        ("采用 PLG 模式的公司依靠产品本身获客", "PLG"),
        ("年度经常性收入 ARR 是最重要的指标", "ARR"),
        ("纯 SaaS 应用型产品", "SaaS"),
        ("即纯粹的出海策略", "出海"),
    ],
)
def test_domain_terms_stay_whole_tokens(tokenizer, sentence, term):
    assert term in tokenizer.cut(sentence)


def test_spelling_variants_map_to_one_canonical_token(tokenizer):
    for variant in ("AI Infra", "AI infrastructure", "ai infra"):
        assert tokenizer.cut(f"关于{variant}的讨论") == tokenizer.cut("关于AI Infrastructure的讨论")


def test_full_width_latin_is_folded(tokenizer):
    assert "ARR" in tokenizer.cut("ＡＲＲ 是关键指标")
    assert fold_width("ＡＩ，１２") == "AI,12"


def test_term_key_ignores_case_width_and_spaces():
    assert term_key("AI 编程") == term_key("ai编程") == term_key("ＡＩ 编程")


def test_stopwords_punctuation_and_numbers_are_flagged(tokenizer):
    for token in ("的", "了", "，", ",", "2008", "。"):
        assert tokenizer.is_stopword(fold_width(token)), token
    for token in ("开源", "商业化", "客户"):
        assert not tokenizer.is_stopword(token), token


def test_content_tokens_exclude_stopwords(tokenizer):
    tokens = tokenizer.tokenize("我认为开源的商业化是一个长期的过程。")
    assert "开源" in tokens and "商业化" in tokens
    assert "的" not in tokens and "。" not in tokens


def test_the_tokenizer_does_not_leak_into_jiebas_global_dictionary(tmp_path):
    (tmp_path / "userdict.txt").write_text("开源乐高积木\n", encoding="utf-8")
    (tmp_path / "stopwords.txt").write_text("", encoding="utf-8")
    (tmp_path / "synonyms.tsv").write_text("", encoding="utf-8")
    own = Tokenizer(load_lexicon(tmp_path))
    assert "开源乐高积木" in own.cut("这是开源乐高积木。")
    assert "开源乐高积木" not in jieba.lcut("这是开源乐高积木。")


def test_sentences_end_at_sentence_final_punctuation(tokenizer):
    toy = pd.DataFrame({"segment_id": ["s"], "text": ["开源很好。商业化难！为什么？……最后一句"]})
    table = tokenize_segments(toy, tokenizer)
    by_sentence = table.groupby("sentence_index")["token"].agg("".join).tolist()
    assert by_sentence == ["开源很好。", "商业化难!", "为什么?……", "最后一句"]


def test_parallel_tokenisation_gives_the_serial_table(segments, tokenizer):
    serial = tokenize_segments(segments, tokenizer)
    parallel = tokenize_segments(segments, tokenizer, workers=2)
    pd.testing.assert_frame_equal(serial, parallel)


def test_tokens_table_has_the_documented_columns(tokens, segments):
    assert list(tokens.columns) == TOKEN_COLUMNS
    assert set(tokens["segment_id"]) <= set(segments["segment_id"])
    assert not tokens.duplicated(["segment_id", "token_index"]).any()
    assert not tokens["token"].str.strip().eq("").any()


def test_an_answer_on_ai_programming_keeps_the_term_whole(segments, tokens):
    row = answer_containing(segments, "刘景媛", "当前的大模型需要与应用之间建立桥梁")
    words = tokens.loc[tokens["segment_id"] == row["segment_id"], "token"].tolist()
    assert "大模型" in words
