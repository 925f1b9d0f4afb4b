"""Tokens a reader of Chinese accepts: domain terms whole, variants merged, nothing leaking."""

from __future__ import annotations

import os
import random
from pathlib import Path

import jieba
import pandas as pd
import pytest

from analysis.corpus import load_corpus
from analysis.lexicon import fold_width, load_lexicon, term_key
from analysis.paths import PROJECT_ROOT
from analysis.tokenizer import TOKEN_COLUMNS, DictionaryFacts, Tokenizer, dictionary_facts, tokenize_segments

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
    # and a lexicon without protected phrases works the same with either backend
    text = "这是开源乐高积木\ue000，PLG-x一上。"
    assert own.cut(text) == Tokenizer(load_lexicon(tmp_path), backend="jieba").cut(text)


def test_sentences_end_at_sentence_final_punctuation(tokenizer):
    toy = pd.DataFrame({"segment_id": ["s"], "text": ["开源很好。商业化难！为什么？……最后一句"]})
    table = tokenize_segments(toy, tokenizer)
    by_sentence = table.groupby("sentence_index")["token"].agg("".join).tolist()
    assert by_sentence == ["开源很好。", "商业化难!", "为什么?……", "最后一句"]


def test_tokens_table_is_built_in_one_process_without_a_workers_argument(segments, tokenizer):
    # The worker pool is retired: passing ``workers`` is an error, not silently ignored.
    with pytest.raises(TypeError):
        tokenize_segments(segments, tokenizer, workers=2)


def test_a_tokenizer_gives_the_same_table_again_once_its_memos_are_warm(segments):
    # pieces, their normal forms and sentence ends are memoised across calls: a second chapter
    # read by the same tokenizer must not inherit anything from the first
    fresh = Tokenizer()
    toy = pd.DataFrame({"segment_id": ["x", "y"], "text": ["开源。社区!好", "！。用户…社区"]})
    first = tokenize_segments(toy, fresh)
    tokenize_segments(segments, fresh)
    pd.testing.assert_frame_equal(tokenize_segments(toy, fresh), first)
    assert first["sentence_index"].tolist() == [0, 0, 1, 1, 2, 0, 0, 1, 1, 2]


def test_the_tokens_table_in_memory_is_the_table_read_back_from_parquet(tokens, tmp_path):
    # same dtypes both ways (text as pandas' string dtype): what a notebook reads is what the build held
    from analysis.io import write_parquet

    pd.testing.assert_frame_equal(pd.read_parquet(write_parquet(tokens, tmp_path / "tokens.parquet")), tokens)
    assert str(tokens["token"].dtype) == "str" and str(tokens["segment_id"].dtype) == "str"


def test_tokens_table_has_the_documented_columns(tokens, segments):
    assert list(tokens.columns) == TOKEN_COLUMNS
    assert set(tokens["segment_id"]) <= set(segments["segment_id"])
    assert not tokens.duplicated(["segment_id", "token_index"]).any()
    assert not tokens["token"].str.strip().eq("").any()


def test_an_answer_on_ai_programming_keeps_the_term_whole(segments, tokens):
    row = answer_containing(segments, "刘景媛", "当前的大模型需要与应用之间建立桥梁")
    words = tokens.loc[tokens["segment_id"] == row["segment_id"], "token"].tolist()
    assert "大模型" in words


# --- compiled backend (rjieba) against the reference (pure-Python jieba) -----------------------

SHARED_CORPUS = Path(os.environ.get("ANALYSIS_SHARED_CORPUS", PROJECT_ROOT.parent / "shared" / "corpus"))


@pytest.fixture(scope="module")
def reference():
    return Tokenizer(backend="jieba")


def assert_same_tables(texts, compiled, reference):
    toy = pd.DataFrame({"segment_id": [f"t{i}" for i in range(len(texts))], "text": texts})
    pd.testing.assert_frame_equal(tokenize_segments(toy, compiled), tokenize_segments(toy, reference))


def test_a_long_text_cut_in_parts_on_threads_gives_the_tokens_of_one_cut(segments, tokens, reference, monkeypatch):
    import analysis.tokenizer as tokenizer_module

    monkeypatch.setattr(tokenizer_module, "PARALLEL_CUT_CHARS", 2_000)  # the chapter in ten parts or so
    monkeypatch.setattr(tokenizer_module.os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    calls = []
    fresh = Tokenizer()
    real_cut = fresh._cutter._rust.cut
    fresh._cutter._rust = type("Counting", (), {"cut": lambda self, text: calls.append(text) or real_cut(text),
                                                "has_word": lambda self, w: real_cut.__self__.has_word(w)})()
    pd.testing.assert_frame_equal(tokenize_segments(segments, fresh), tokens)
    assert len(calls) >= 8 and all(part.endswith(tokenizer_module._PLACEHOLDER) for part in calls[:-1])


def test_the_default_backend_is_the_compiled_one(tokenizer):
    assert tokenizer.backend == "rjieba"
    with pytest.raises(ValueError, match="backend"):
        Tokenizer(backend="jieba_fast")


def test_compiled_backend_gives_the_reference_tokens_table_on_the_embedded_chapter(segments, tokens, reference):
    pd.testing.assert_frame_equal(tokens, tokenize_segments(segments, reference))


def test_compiled_backend_gives_the_reference_tokens_table_on_the_2023_chapter(tokenizer, reference):
    path = SHARED_CORPUS / "commercialization_2023.md"
    if not path.exists():
        pytest.skip(f"{path} not found (the shared corpus is not part of the repository; "
                    "set ANALYSIS_SHARED_CORPUS to its folder)")
    segments, _ = load_corpus(path)
    pd.testing.assert_frame_equal(tokenize_segments(segments, tokenizer), tokenize_segments(segments, reference))


@pytest.mark.parametrize(
    "text, why",
    [
        ("2022-2023年度报告，见2.1.1节，v1.2.3版本", "jieba-rs keeps 2022-2023 and 1.2.3 whole"),
        ("x_y和a.b.c都是标识符", "jieba-rs keeps x_y and a.b.c whole"),
        ("我买了一件T恤和AA制的饭", "dictionary words spanning Latin and Han"),
        ("x一上，Z一七", "HMM buffer across a Latin/Han boundary: 一上 is a word, jieba still joins it"),
        ("一上x，一七x", "the same buffer before a Latin run"),
        ("㐀㐀是扩展A，鿖鿖与﨑﨑不在一-鿕内，𠀀𠀀也不在", "ideographs jieba yields one by one"),
        ("含\ue000占位符与\x00控制字符的文本", "the compiled path's own marker characters in the input"),
        ("MRRARR与know-how，PLG和SLG，PingCap的SaaS", "user words with Latin letters (cut by the reference)"),
        ("我们看好AI Infrastructure和AI 编程，还有软件 2.0", "protected phrases (never given to jieba)"),
        ("开源软件的商业化，大模型与云原生，数据库和数据仓库", "user words in Han, re-added existing words"),
    ],
)
def test_compiled_backend_gives_the_reference_tokens_on_hard_cases(tokenizer, reference, text, why):
    assert tokenizer.cut(text) == reference.cut(text), why
    assert_same_tables([text, "开源" + text, "", " ", text + "x"], tokenizer, reference)


def test_compiled_backend_agrees_with_the_reference_for_every_character(tokenizer, reference):
    # jieba-rs classifies characters differently from jieba (ideographs outside 一-鿕); this
    # probes every code point of the basic plane, and a sample of the others, doubled between
    # Chinese characters, so that a character the two libraries treat differently shows.
    points = [cp for cp in range(0x10000) if not 0xD800 <= cp < 0xE000]
    points += list(range(0x20000, 0x20400)) + [0x2A6DF, 0x2B740, 0x2F800, 0x30000, 0x1F600]
    texts = [f"好{chr(cp)}{chr(cp)}好" for cp in points]
    assert_same_tables(texts, tokenizer, reference)


def test_compiled_backend_agrees_with_the_reference_on_random_mixed_text(tokenizer, reference, segments):
    # Random mixtures of the chapter's own characters with Latin letters, digits and the
    # punctuation jieba keeps inside words: every Han/Latin boundary case in a few thousand texts.
    alphabet = sorted(set("".join(segments["text"]))) + list("aAbxZ019+#&._%- ") * 20
    rng = random.Random(20241125)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(3000)]
    assert_same_tables(texts, tokenizer, reference)


def test_compiled_dictionary_has_the_reference_total(tokenizer, reference):
    # Word probabilities divide by the dictionary total: jieba-rs must end up with jieba's
    # although re-adding a word (数据, 商业化 …) changes the two totals differently.
    rust = tokenizer._cutter._rust
    jieba_ = reference._cutter._lcut.__self__
    for pair in ("的是", "年的", "在这", "我们的"):
        assert rust.suggest_freq(pair) == jieba_.suggest_freq(pair, tune=False), pair


def _fresh_cache(monkeypatch, folder):
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(folder))


def test_dictionary_facts_are_cached_and_read_back_unchanged(tmp_path, monkeypatch):
    _fresh_cache(monkeypatch, tmp_path)
    words = [("开源商业化", "n"), ("PLG", None), ("商业化", None)]
    computed, full = dictionary_facts(words)
    assert full is not None and full.FREQ["PLG"] == computed.words[1][2]  # computed from the full dictionary
    assert len(list(tmp_path.glob("analysis-jieba.*.cache"))) == 1
    cached, full_again = dictionary_facts(words)
    assert full_again is None and cached == computed
    assert dictionary_facts(words[:2])[1] is not None  # other words, another cache entry


def test_a_corrupt_facts_cache_is_computed_again(tmp_path, monkeypatch):
    _fresh_cache(monkeypatch, tmp_path)
    words = [("开源商业化", None)]
    computed, _ = dictionary_facts(words)
    for cache in tmp_path.glob("analysis-jieba.*.cache"):
        cache.write_bytes(b"\x00not marshal")
    again, full = dictionary_facts(words)
    assert full is not None and again == computed


def test_the_latin_reference_cuts_every_latin_run_as_the_full_dictionary_does(reference):
    # jieba consults only a run's own substrings: the Latin entries alone must give the same cut
    full = reference._cutter._lcut.__self__
    facts = DictionaryFacts.of(full, {}, 0, [])
    latin = facts.latin_reference()
    entries = [w for w, f in facts.latin.items() if f]
    rng = random.Random(7)
    alphabet = list("aAbcdeIiOoSsTtXxZz0123456789+#&._%-")
    runs = entries + ["".join(rng.sample(entries, 3)) for _ in range(300)]
    runs += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(3000)]
    assert [latin.lcut(run) for run in runs] == [full.lcut(run) for run in runs]


def test_a_tokenizer_started_from_the_cache_loads_the_full_dictionary_only_when_a_text_needs_it(
        tmp_path, monkeypatch, reference):
    _fresh_cache(monkeypatch, tmp_path)
    Tokenizer()  # fills the cache
    warm = Tokenizer()
    assert warm._cutter._full is None
    assert warm.cut("PLG和SLG，AI Infrastructure的ARR") == reference.cut("PLG和SLG，AI Infrastructure的ARR")
    assert warm._cutter._full is None  # Latin runs: the small Latin dictionary was enough
    assert warm.cut("我买了一件T恤和AA制的饭") == reference.cut("我买了一件T恤和AA制的饭")
    assert warm._cutter._full is not None  # T恤 spans Latin and Han: the full reference cut it


# --- English and mixed text ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "sentence, content",
    [
        # jieba alone: open / - / source, and no lemmas (companies)
        ("Open-source companies grow.", ["open-source", "company", "grow"]),
        # jieba alone: company / ' / s — a content token "s"
        ("The company's users' needs", ["company", "user", "need"]),
        # discourse words are stopwords
        ("However, because of whether it works", ["work"]),
        # jieba alone: don / ' / t — a content token "t"
        ("We don't know, and they can't either", ["know"]),
        # listed terms stay whole, in their canonical spelling
        ("AI infrastructure and product-led growth", ["AI Infrastructure", "PLG"]),
        ("open source and Open Source", ["open-source", "open-source"]),
        # lower case, except words written in capitals
        ("Cloud Native vendors, the CEO and SaaS", ["cloud", "native", "vendor", "CEO", "SaaS"]),
        # English inside Chinese
        ("我们的open-source策略和PingCAP’s社区", ["open-source", "策略", "PingCAP", "社区"]),
        # simplemma's lemma "growe" is corrected in synonyms.tsv
        ("the market is growing", ["market", "grow"]),
    ],
)
def test_english_words_are_lower_cased_lemmatised_and_kept_whole(tokenizer, sentence, content):
    assert tokenizer.tokenize(sentence) == content


def test_english_contractions_and_possessives_leave_no_fragments(tokenizer):
    tokens = tokenizer.cut("It's the founders' call: we're sure they'd say PLG's fine, isn't it?")
    assert not {"s", "t", "re", "d", "'", "’"} & set(tokens)
    assert "PLG" in tokens and "founder" in tokens


def test_numbers_with_hyphens_are_still_cut_by_jieba(tokenizer, reference):
    # the compound rule starts with a letter: a year range stays jieba's (and a stopword)
    text = "2022-2023年的open-source报告"
    assert tokenizer.cut(text) == reference.cut(text)
    assert "open-source" in tokenizer.cut(text) and "2022" in tokenizer.cut(text)


@pytest.mark.parametrize(
    "text",
    [
        "Open-source companies' growth isn't easy, however we're growing.",
        "Because of product-led growth, the company’s users’ revenue grew.",
        "They've built open core businesses on top of Open Source licenses.",
    ],
)
def test_english_text_gives_the_same_tokens_with_both_backends(tokenizer, reference, text):
    assert_same_tables([text, f"开源{text}"], tokenizer, reference)


def test_names_are_not_lemmatised_as_english_words(tokenizer):
    # simplemma reads MaaS as a plural (maas → maa), Hugging as a verb, and capitalises Linux
    assert tokenizer.tokenize("MaaS平台、Hugging Face和Linux") == ["maas", "平台", "Hugging Face", "linux"]


def test_gc_paused_turns_the_collector_off_and_restores_it_even_on_error():
    import gc

    from analysis.tokenizer import gc_paused

    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        with gc_paused():
            assert not gc.isenabled()
            1 / 0
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # off before, off after: never switched on behind the caller's back
    finally:
        gc.enable()


def test_importing_the_tokenizer_loads_neither_pkg_resources_nor_rjiebas_default_instance():
    # each costs 0.1 s of every build's floor; jieba still finds the files it ships
    import subprocess
    import sys

    probe = ("import sys, analysis.tokenizer as t\n"
             "print('pkg_resources' in sys.modules, 'rjieba' in sys.modules)\n"
             "print(t.jieba.Tokenizer().get_dict_file().name.endswith('dict.txt'))\n"
             "import rjieba\n"
             "print(rjieba.Jieba is t.RustJieba, t.Tokenizer().cut('开源商业化'))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:3] == ["False False", "True", "True ['开源', '商业化']"]
