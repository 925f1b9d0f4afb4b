"""The regex prefilter: which texts a regex could match in, by substring search.

The screen may let through a text the regex does not match in (that only costs time); it may
never rule out one it does (that would lose a hit). These tests check the requirements it
derives by hand, and the never-rule-out property on the codebook against random texts.
"""

import random
import re
import string

import numpy as np

from analysis.lexicon import fold_width, term_pattern
from analysis.screen import _CASE_TWINS, SEPARATOR, Screen, requirement, screen_fold
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
