"""The regex prefilter: which texts a regex could match in, by substring search.

The screen may let through a text the regex does not match in (that only costs time); it may
never rule out one it does (that would lose a hit). These tests check the requirements it
derives by hand, and the never-rule-out property on the codebook against random texts.
"""

import random
import re
import string

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.lexicon import _WIDTH_TABLE, fold_width, term_pattern
from analysis.screen import _CASE_TWINS, _FOLD, SEPARATOR, Screen, literals, requirement, screen_fold, translate_all
from analysis.themes import load_codebook


def test_a_term_requires_its_pieces_folded_and_not_its_word_boundaries_or_spaces():
    assert requirement(re.compile(term_pattern("AI 编程"), re.I)) == ("and", ["ai", "编程"])
    assert requirement(re.compile(term_pattern("ARR"), re.I)) == "arr"


def test_a_pattern_requires_one_of_each_alternation_and_nothing_from_optional_parts():
    need = requirement(re.compile("(与|和)(终端)?用户[^。,]{0,4}(接触|连接|互动)"))
    assert need == ("and", [("or", ["与", "和"]), "用户", ("or", ["接触", "连接", "互动"])])


def test_repeats_require_their_body_only_when_it_must_occur():
    assert requirement("(开源)+社区") == ("and", ["开源", "社区"])
    assert requirement("(开源)*社区") == "社区"
    assert requirement("(开源)?") is True


def test_what_it_cannot_reason_about_requires_nothing():
    assert requirement("[a-z]+") is True  # a range
    assert requirement(".{2}") is True
    assert requirement(r"(开源)\1") == "开源"  # the back-reference itself is not required
    assert requirement("(开源|[a-z])") is True  # one alternative without a requirement
    assert requirement("(") is True  # unreadable: not screened, the tagger reports it elsewhere


def test_a_cased_non_ascii_letter_is_never_required_because_case_folding_may_change_it():
    assert requirement(re.compile("Émile", re.I)) == "mile"
    assert requirement(re.compile("émile", re.I)) == "mile"  # lower case too: it matches "ÉMILE"
    assert requirement(re.compile("ÉÉ", re.I)) is True
    text = "ÉMILE"
    assert re.compile("émile", re.I).search(text)
    assert Screen([text]).candidates(requirement(re.compile("émile", re.I))).tolist() == [True]


def test_an_atomic_group_requires_what_its_body_requires():
    assert requirement("(?>开源)社区") == ("and", ["开源", "社区"])
    assert requirement("(?>开源|社区)") == ("or", ["开源", "社区"])


def test_a_pattern_is_read_with_its_flags_verbose_ones_without_their_spaces_and_comments():
    assert requirement(re.compile("开 源  # a note", re.X)) == "开源"
    assert requirement(re.compile("开 源", re.X | re.I)) == "开源"
    assert requirement("(?x)开 源  # a note") == "开源"
    assert requirement("开 源") == "开 源"  # a string without inline flags: spaces are literal
    assert requirement("开 源  # a note") == "开 源  # a note"


def test_the_fold_lower_cases_ascii_and_maps_every_case_twin_of_an_ascii_letter():
    assert screen_fold("ARR 与 Kelvin \u212a İ ı ſ ＡＩ") == "arr 与 kelvin k i i s ＡＩ"  # width is folded before
    every = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000)
    twins = {char: letter for letter in string.ascii_lowercase for char in re.findall(letter, every, re.I)}
    assert twins == _CASE_TWINS


def test_a_literal_is_found_in_the_texts_that_hold_it_and_never_across_two_texts():
    screen = Screen(["开源社区", "社区开源", "开", "源", "AI 与 ai", "没有"])
    assert screen.containing("开源").tolist() == [True, True, False, False, False, False]
    assert screen.candidates(("and", ["ai", "与"])).tolist() == [False, False, False, False, True, False]
    assert screen.candidates(("or", ["没有", "源"])).tolist() == [True, True, False, True, False, True]
    assert screen.candidates(True).all()
    assert Screen([]).candidates("x").shape == (0,)


def test_candidates_hold_all_literals_of_an_and_and_one_of_an_or_as_a_boolean_mask():
    screen = Screen(["开源社区", "开源", "社区", "没有"])
    # by hand: all of 开源, 社区 only in the first text; one of them in the first three
    assert screen.candidates(("and", ["开源", "社区"])).tolist() == [True, False, False, False]
    assert screen.candidates(("or", ["开源", "社区"])).tolist() == [True, True, True, False]
    assert screen.candidates(("and", [("or", ["开源", "没有"]), "社区"])).tolist() == [True, False, False, False]
    for need in (True, "开源", ("and", ["开源", "社区"]), ("or", ["开源", "社区"])):
        assert screen.candidates(need).dtype == bool


def _random_text(rng: random.Random, pieces: list[str]) -> str:
    """Codebook pieces with random case, case twins, full width, spaces, hyphens and CJK filler."""
    twins = {"k": "\u212a", "s": "\u017f", "i": "\u0130"}
    out = []
    for _ in range(rng.randint(1, 6)):
        piece = rng.choice(pieces)
        piece = "".join(c.upper() if rng.random() < 0.3 else c for c in piece)
        piece = "".join(twins[c.lower()] if c.lower() in twins and rng.random() < 0.1 else c for c in piece)
        if rng.random() < 0.2:
            piece = piece.replace(" ", rng.choice(["-", "  ", ""]))
        if rng.random() < 0.1:
            piece = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in piece)
        out.append(piece + rng.choice(["", " ", "，", "的", "s", "es", "是很多", "ing"]))
    return "".join(out)


def test_the_screen_never_rules_out_a_text_a_codebook_indicator_matches_in():
    themes = load_codebook()
    matchers = [m for theme in themes for m in theme.matchers()]
    exclusions = [m for theme in themes for m in theme.exclusions()]
    pieces = [term for theme in themes for term in theme.terms + theme.terms_en + theme.exclude]
    pieces += ["developers", "users", "sales team", "市场", "客户", "million dollar", "year after year", "$1M"]
    rng = random.Random(20261125)
    texts = [fold_width(_random_text(rng, pieces)) for _ in range(3000)]
    screen = Screen(texts)
    checked = 0
    for _, pattern in matchers + [("", p) for p in exclusions]:
        matched = np.array([pattern.search(text) is not None for text in texts])
        assert not (matched & ~screen.candidates(requirement(pattern))).any(), pattern.pattern
        checked += matched.sum()
    assert checked > 3000  # the random texts do hit the indicators


def test_no_literal_contains_the_separator_or_the_mark_for_non_ascii_runs():
    assert requirement("a" + SEPARATOR + "b") == ("and", ["a", "b"])
    assert requirement("a\x01b") == ("and", ["a", "b"])


def test_ascii_literals_are_found_without_the_chinese_around_them_and_never_made_up():
    screen = Screen(["开源SaaS模式", "Sa开源aS", "x\x00saas", "\x01", "saas"])
    assert screen.containing("saas").tolist() == [True, False, True, False, True]
    assert screen.containing("sa").tolist() == [True, True, True, False, True]
    assert screen.containing("开源").tolist() == [True, True, False, False, False]


# -- finding many literals in one pass -------------------------------------------------------

#: characters that exercise every way of finding a literal: the separator and the old mark,
#: ASCII letters of both cases and a case twin (folded), CJK (one character or more), the last
#: character of the Basic Multilingual Plane and one past it (found by the automaton, not numpy)
ALPHABET = [SEPARATOR, "\x01", "a", "b", "A", "B", "\u212a", "k", " ", "开", "源", "社", "\uffff", "\U00020000", "😀"]
_texts = st.lists(st.text(alphabet=ALPHABET, max_size=8), max_size=6)
_literals = st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=4).map(screen_fold), max_size=8)


def _held(literal: str, texts: list[str]) -> list[bool]:
    """The simple definition: which texts contain the literal once folded."""
    return [literal in screen_fold(text) for text in texts]


@settings(max_examples=300, deadline=None)
@given(_texts, _literals)
def test_literals_searched_together_are_found_in_exactly_the_texts_that_contain_them(texts, wanted):
    together = Screen(texts, tuple(wanted))
    for literal in wanted:
        assert together.containing(literal).tolist() == _held(literal, texts), literal


@settings(max_examples=300, deadline=None)
@given(_texts, _literals)
def test_a_literal_searched_alone_is_found_in_exactly_the_texts_that_contain_it(texts, wanted):
    for literal in wanted:
        assert Screen(texts).containing(literal).tolist() == _held(literal, texts), literal


def test_one_pass_finds_overlapping_literals_and_literals_at_the_ends_of_texts():
    texts = ["开源社区", "社区开源", "ab", "b", "", "源"]
    wanted = ("开源", "开源社区", "源社", "源", "ab", "b", "a", "社区开", "区")
    screen = Screen(texts, wanted)
    for literal in wanted:
        assert screen.containing(literal).tolist() == _held(literal, texts), literal
    # across the separator into the next text is not in either text
    assert Screen(["ab", "c"], ("b" + SEPARATOR + "c", "b" + SEPARATOR, SEPARATOR)).containing(
        "b" + SEPARATOR + "c").tolist() == [False, False]
    assert Screen(["ab", "c"], (SEPARATOR,)).containing(SEPARATOR).tolist() == [False, False]
    assert Screen(["a\x00b", "c"], (SEPARATOR, "a\x00b")).containing("a\x00b").tolist() == [True, False]


def test_one_pass_of_single_characters_only_or_of_longer_literals_only_finds_them_all():
    texts = ["开源", "社区 a", "😀x"]
    screen = Screen(texts, ("开", " ", "a", "😀", "\uffff"))  # no automaton needed...
    assert [screen.containing(c).tolist() for c in ("开", " ", "a", "😀", "\uffff")] == [
        [True, False, False], [False, True, False], [False, True, False], [False, False, True], [False, False, False]]
    screen = Screen(texts, ("开源", "区 a", "😀x"))  # ...and no character looked up
    assert [screen.containing(c).tolist() for c in ("开源", "区 a", "😀x")] == [
        [True, False, False], [False, True, False], [False, False, True]]


def test_the_empty_literal_and_a_requirement_of_nothing_hold_in_every_text():
    screen = Screen(["开源", "", "a"], ("",))
    assert screen.containing("").tolist() == [True, True, True]
    assert screen.mask(True) == 0b111 and screen.mask("") == 0b111


def test_a_mask_has_bit_i_set_for_text_i_and_a_table_has_one_row_per_mask():
    screen = Screen(["开源社区", "开源", "社区", "没有"], ("开源", "社区"))
    assert screen.mask("开源") == 0b0011
    assert screen.mask("社区") == 0b0101
    assert screen.mask(("and", ["开源", "社区"])) == 0b0001
    assert screen.mask(("or", ["开源", "社区"])) == 0b0111
    assert screen.mask("不在") == 0  # not searched for before: found on first use
    table = screen.table([0b0011, 0b1000, 0])
    assert table.dtype == bool and table.tolist() == [
        [True, True, False, False], [False, False, False, True], [False, False, False, False]]
    assert Screen([]).table([0, 0]).shape == (2, 0)
    wide = Screen(["x"] * 11)  # more than one byte of texts
    assert wide.table([1 << 10 | 1]).tolist() == [[True] + [False] * 9 + [True]]


def test_literals_lists_every_string_a_requirement_names_in_order():
    assert literals(True) == []
    assert literals("开源") == ["开源"]
    assert literals(("and", [("or", ["与", "和"]), "用户", True, ("or", ["接触", "与"])])) == ["与", "和", "用户", "接触", "与"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(), max_size=5))
def test_translating_texts_together_equals_translating_each(texts):
    # _FOLD maps to strings, the width table to code points; any text, surrogates and all
    assert translate_all(texts, _FOLD) == [text.translate(_FOLD) for text in texts]
    assert translate_all(texts, _WIDTH_TABLE) == [text.translate(_WIDTH_TABLE) for text in texts]


def test_translating_texts_together_maps_the_table_characters_and_keeps_the_others():
    texts = ["ＡＲＲ，开源\u3000", "", "Kelvin \u212a İ 😀", "\ud800\uffff"]
    assert translate_all(texts, _WIDTH_TABLE) == ["ARR,开源 ", "", "Kelvin \u212a İ 😀", "\ud800\uffff"]
    assert translate_all(texts, _FOLD) == ["ＡＲＲ，开源\u3000", "", "kelvin k i 😀", "\ud800\uffff"]
    assert translate_all([], _FOLD) == []
    assert translate_all(texts, {}) == texts  # an empty table changes nothing, as with str.translate
