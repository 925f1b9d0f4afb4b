"""Validation statistics against hand-worked examples, scikit-learn and scipy; the label files'
consistency; the loaders' errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from sklearn.metrics import cohen_kappa_score, f1_score, precision_score, recall_score

from analysis.errors import InputError
from analysis.paths import LABELS_DIR
from analysis.validation import (
    AGREEMENT_COLUMNS,
    QUESTION_COLUMNS,
    SPLIT_SEED,
    VALIDATION_COLUMNS,
    adjudicate,
    cohen_kappa,
    disagreements,
    evaluate_tagger,
    f1_interval,
    gold_applies,
    label_files,
    load_adjudication,
    load_gold,
    load_reader,
    load_split,
    make_split,
    prf,
    question_tagging,
    reader_agreement,
    tagger_validation,
    validation_tables,
)

THEME_IDS = ["PLG", "SLG", "ARR", "AI_INFRA", "GLOBAL", "WILLINGNESS_TO_PAY", "CAPITAL", "OSS_STRATEGY",
             "PRODUCT_MARKET_FIT", "TEAM"]


# --- Cohen's κ --------------------------------------------------------------------------------

def test_kappa_equals_a_hand_worked_two_by_two_table():
    # both 1: 3, first only: 1, second only: 2, both 0: 4 (10 units).
    # observed agreement 7/10; first says 1 for 4/10, second for 5/10;
    # chance agreement .4·.5 + .6·.5 = .5; κ = (.7 − .5) / (1 − .5) = .4
    first = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    second = [1, 1, 1, 0, 1, 1, 0, 0, 0, 0]
    assert cohen_kappa(first, second) == pytest.approx(0.4)


def test_kappa_is_one_for_identical_and_undefined_for_constant_ratings():
    assert cohen_kappa([1, 0, 1, 0], [1, 0, 1, 0]) == pytest.approx(1.0)
    assert np.isnan(cohen_kappa([0, 0, 0], [0, 0, 0]))
    assert cohen_kappa([1, 0, 1, 0], [0, 1, 0, 1]) == pytest.approx(-1.0)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=2, max_size=60))
def test_kappa_equals_scikit_learn(pairs):
    a = [int(x) for x, _ in pairs]
    b = [int(y) for _, y in pairs]
    chance = np.mean(a) * np.mean(b) + (1 - np.mean(a)) * (1 - np.mean(b))
    if chance == 1:
        assert np.isnan(cohen_kappa(a, b))
    else:
        assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


# --- precision, recall, F1 --------------------------------------------------------------------

def test_precision_recall_and_f1_equal_a_hand_worked_example():
    # reference positives: units 0–3 (4); predicted: 0–2 and 4–5 (5); both: 0–2 (3).
    reference = [1, 1, 1, 1, 0, 0, 0, 0]
    predicted = [1, 1, 1, 0, 1, 1, 0, 0]
    got = prf(reference, predicted)
    assert (got["reference_positive"], got["predicted_positive"], got["true_positive"]) == (4, 5, 3)
    assert got["precision"] == pytest.approx(3 / 5)  # of what the tagger marked, how much is right
    assert got["recall"] == pytest.approx(3 / 4)  # of what the reference marks, how much was found
    assert got["f1"] == pytest.approx(2 * 3 / (4 + 5))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_precision_recall_and_f1_equal_scikit_learn(pairs):
    reference = [int(x) for x, _ in pairs]
    predicted = [int(y) for _, y in pairs]
    got = prf(reference, predicted)
    if sum(predicted):
        assert got["precision"] == pytest.approx(precision_score(reference, predicted))
    if sum(reference):
        assert got["recall"] == pytest.approx(recall_score(reference, predicted))
    if sum(reference) + sum(predicted):
        assert got["f1"] == pytest.approx(f1_score(reference, predicted))


def test_precision_and_recall_intervals_equal_scipy_binomtest():
    got = prf([1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 1, 1, 0, 0])
    precision = sps.binomtest(3, 5).proportion_ci(0.95, method="exact")
    recall = sps.binomtest(3, 4).proportion_ci(0.95, method="exact")
    assert (got["precision_low"], got["precision_high"]) == pytest.approx((precision.low, precision.high))
    assert (got["recall_low"], got["recall_high"]) == pytest.approx((recall.low, recall.high))
    # The example: ARR recall 7 of 8 has a 95% interval [.47, 1.00] (upper .9968).
    arr = prf([1] * 8 + [0] * 10, [1] * 7 + [0] * 11)
    assert (arr["recall_low"], arr["recall_high"]) == pytest.approx((0.4735, 0.9968), abs=1e-4)


def test_the_f1_interval_agrees_with_an_independent_dirichlet_sampler():
    # Same posterior, sampled through scipy's Dirichlet over all four cells (TN included).
    tp, fp, fn, tn = 7, 2, 1, 40
    cells = sps.dirichlet([tp + 0.5, fp + 0.5, fn + 0.5, tn + 0.5]).rvs(size=40000, random_state=1)
    f1 = 2 * cells[:, 0] / (2 * cells[:, 0] + cells[:, 1] + cells[:, 2])
    low, high = f1_interval(tp, fp, fn)
    assert low == pytest.approx(np.quantile(f1, 0.025), abs=0.01)
    assert high == pytest.approx(np.quantile(f1, 0.975), abs=0.01)


def test_a_perfect_score_on_few_paragraphs_has_a_wide_interval_below_one():
    low, high = f1_interval(8, 0, 0)
    assert 0.5 < low < 0.9 and 0.98 < high < 1
    assert np.isnan(f1_interval(0, 0, 0)[0])


def test_f1_intervals_cover_the_true_f1_of_a_simulated_tagger():
    # 139 paragraphs, true cell probabilities with F1 = 2·.12 / (2·.12 + .03 + .02) = .828.
    # 300 simulations: a 95% interval should cover ≥ 88% (see tests/test_stats.py for the floor).
    probabilities = np.array([0.12, 0.03, 0.02, 0.83])
    true_f1 = 2 * 0.12 / (2 * 0.12 + 0.03 + 0.02)
    rng = np.random.default_rng(3)
    covered = 0
    for sim in range(300):
        tp, fp, fn, _ = rng.multinomial(139, probabilities)
        low, high = f1_interval(tp, fp, fn, draws=4000, seed=sim)
        covered += low <= true_f1 <= high
    assert covered / 300 >= 0.88


def test_evaluate_tagger_scores_each_theme_and_pools_all_cells():
    reference = pd.DataFrame({"A": [1, 1, 0, 0], "B": [0, 1, 1, 0]}, index=["p1", "p2", "p3", "p4"])
    # p4 is missing from the tagger's table: it counts as predicting nothing.
    predicted = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1]}, index=["p1", "p2", "p3"])
    table = evaluate_tagger(predicted, reference).set_index("theme")
    assert table.loc["A", ["reference_positive", "predicted_positive", "true_positive"]].tolist() == [2, 2, 1]
    assert table.loc["B", ["precision", "recall"]].tolist() == [1.0, 1.0]
    # ALL: 4 reference positives, 4 predicted, 3 in common → .75 / .75 / .75
    assert table.loc["ALL", ["precision", "recall", "f1"]].tolist() == pytest.approx([0.75, 0.75, 0.75])
    assert (table["paragraphs"] == 4).all()


def test_reader_agreement_counts_a_hand_worked_example():
    first = pd.DataFrame({"A": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]}, index=[f"p{i}" for i in range(10)])
    second = pd.DataFrame({"A": [1, 1, 1, 0, 1, 1, 0, 0, 0, 0]}, index=[f"p{i}" for i in range(10)])
    table = reader_agreement(first, second)
    assert list(table.columns) == AGREEMENT_COLUMNS
    row = table.set_index("theme").loc["A"]
    assert (row["first_positive"], row["second_positive"], row["both_positive"], row["disagreements"]) == (4, 5, 3, 3)
    assert row["observed_agreement"] == pytest.approx(0.7)
    assert row["kappa"] == pytest.approx(0.4)
    assert row["readers_f1"] == pytest.approx(6 / 9)


def test_tagger_validation_reports_each_reference_and_split_apart():
    ids = [f"p{i}" for i in range(6)]
    first = pd.DataFrame({"A": [1, 1, 0, 0, 1, 0]}, index=ids)
    second = pd.DataFrame({"A": [1, 0, 0, 0, 1, 1]}, index=ids)
    predicted = pd.DataFrame({"A": [1, 1, 0, 1, 0, 0]}, index=ids)
    split = pd.Series(["tuning", "tuning", "tuning", "held_out", "held_out", "held_out"], index=ids)
    table = tagger_validation(predicted, {"first_reader": first, "second_reader": second}, split)
    assert list(table.columns) == VALIDATION_COLUMNS
    row = table.set_index(["reference", "split", "theme"])
    # held out = p3, p4, p5: first reader positive p4; tagger positive p3 → TP 0, n 3
    held = row.loc[("first_reader", "held_out", "A")]
    assert (held["paragraphs"], held["reference_positive"], held["predicted_positive"], held["true_positive"]) == (3, 1, 1, 0)
    tuning = row.loc[("first_reader", "tuning", "A")]
    assert (tuning["paragraphs"], tuning["true_positive"], tuning["precision"]) == (3, 2, 1.0)
    assert row.loc[("first_reader", "all", "A"), "labels_seen_in_tuning"] == "yes"
    assert row.loc[("second_reader", "all", "A"), "labels_seen_in_tuning"] == "no"
    # κ between the readers on the held-out part: first [0,1,0], second [0,1,1]: po 2/3,
    # chance 1/3·2/3 + 2/3·1/3 = 4/9, κ = (2/3 − 4/9)/(5/9) = .4
    assert held["readers_kappa"] == pytest.approx(0.4)


def test_question_tagging_scores_headings_against_a_reader():
    reference = pd.DataFrame({"CAPITAL": [1, 1, 1, 0], "TEAM": [0, 0, 0, 0]}, index=["q1", "q2", "q3", "q4"])
    predicted = pd.DataFrame({"CAPITAL": [1, 0, 0, 0], "TEAM": [0, 1, 0, 0]}, index=["q1", "q2", "q3", "q4"])
    table = question_tagging(predicted, reference).set_index("theme")
    assert list(table.reset_index().columns) == QUESTION_COLUMNS
    assert table.loc["CAPITAL", ["questions", "recall", "precision"]].tolist() == [4, pytest.approx(1 / 3), 1.0]
    assert table.loc["TEAM", "precision"] == 0.0 and np.isnan(table.loc["TEAM", "recall"])


# --- adjudication -----------------------------------------------------------------------------

def _decisions(rows):
    return pd.DataFrame(rows, columns=["segment_id", "theme", "first_reader", "second_reader", "adjudicated", "note"])


def test_adjudication_keeps_agreements_and_applies_each_decision():
    first = pd.DataFrame({"A": [1, 0, 1], "B": [0, 0, 1]}, index=["p1", "p2", "p3"])
    second = pd.DataFrame({"A": [1, 1, 1], "B": [0, 0, 0]}, index=["p1", "p2", "p3"])
    decisions = _decisions([("p2", "A", 0, 1, 1, "why"), ("p3", "B", 1, 0, 0, "why")])
    reference = adjudicate(first, second, decisions)
    assert reference["A"].tolist() == [1, 1, 1] and reference["B"].tolist() == [0, 0, 0]


def test_adjudication_refuses_an_undecided_disagreement_or_a_stale_decision():
    first = pd.DataFrame({"A": [1, 0]}, index=["p1", "p2"])
    second = pd.DataFrame({"A": [1, 1]}, index=["p1", "p2"])
    with pytest.raises(InputError, match="no decision"):
        adjudicate(first, second, _decisions([]))
    with pytest.raises(InputError, match="changed since adjudication"):
        adjudicate(first, second, _decisions([("p2", "A", 1, 0, 1, "why")]))


# --- loaders ----------------------------------------------------------------------------------

TOY_SEGMENTS = pd.DataFrame({
    "segment_id": ["s1", "s2", "s3"], "role": ["question", "answer", "answer"],
    "text": ["问什么", "开源很重要", "销售也重要"], "question_id": ["Q1", "Q1", "Q1"],
})


def _write(tmp_path, text, name="labels.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_gold_reads_labels_indexed_by_segment(tmp_path):
    path = _write(tmp_path, "segment_id,text_start,A,B,note\ns2,开源,1,0,\ns3,销售,0,1,x\n")
    labels = load_gold(path, TOY_SEGMENTS, ["A", "B"])
    assert labels.to_dict() == {"A": {"s2": 1, "s3": 0}, "B": {"s2": 0, "s3": 1}}
    assert labels.dtypes.eq("int64").all()


@pytest.mark.parametrize("body, message", [
    ("segment_id,text_start,A\ns2,开源,1\n", "missing column"),
    ("segment_id,text_start,A,B\ns9,开源,1,0\n", "not in the corpus"),
    ("segment_id,text_start,A,B\ns2,销售,1,0\n", "no longer starts with"),
    ("segment_id,text_start,A,B\ns2,开源,2,0\n", "labels must be 0 or 1"),
], ids=["missing-column", "unknown-id", "text-moved", "not-binary"])
def test_load_gold_names_what_is_wrong(tmp_path, body, message):
    with pytest.raises(InputError, match=message):
        load_gold(_write(tmp_path, body), TOY_SEGMENTS, ["A", "B"])
    with pytest.raises(InputError, match="not found"):
        load_gold(tmp_path / "none.csv", TOY_SEGMENTS, ["A", "B"])


def test_gold_applies_only_to_the_corpus_it_names(tmp_path):
    path = _write(tmp_path, "segment_id,text_start,A\ns2,开源,1\n")
    assert gold_applies(path, TOY_SEGMENTS)
    assert not gold_applies(path, TOY_SEGMENTS.assign(segment_id=["x1", "x2", "x3"]))
    assert not gold_applies(tmp_path / "none.csv", TOY_SEGMENTS)


def test_load_reader_checks_each_units_role(tmp_path):
    good = _write(tmp_path, "segment_id,role,A,note\ns1,question,1,\ns2,answer,0,\n")
    assert load_reader(good, TOY_SEGMENTS, ["A"])["A"].tolist() == [1, 0]
    bad = _write(tmp_path, "segment_id,role,A,note\ns1,answer,1,\n", "bad.csv")
    with pytest.raises(InputError, match="is a question, not a answer"):
        load_reader(bad, TOY_SEGMENTS, ["A"])


def test_load_split_and_adjudication_refuse_malformed_files(tmp_path):
    with pytest.raises(InputError, match="tuning or held_out"):
        load_split(_write(tmp_path, "segment_id,split\ns2,test\n"), TOY_SEGMENTS)
    with pytest.raises(InputError, match="needs a note"):
        load_adjudication(_write(tmp_path, "segment_id,theme,first_reader,second_reader,adjudicated,note\n"
                                           "s2,A,1,0,1,\n", "adj.csv"), ["A"])


def test_the_split_keeps_a_questions_units_together_and_is_reproducible():
    segments = pd.DataFrame({
        "segment_id": [f"s{i}" for i in range(12)], "role": ["question", "answer", "answer"] * 4,
        "question_id": [f"Q{i // 3}" for i in range(12)],
    })
    split = make_split(segments, seed=1, held_out_fraction=0.5)
    by_question = split.assign(q=segments["question_id"].to_numpy()).groupby("q")["split"].nunique()
    assert (by_question == 1).all()
    assert (split["split"] == "held_out").sum() == 6  # 2 of 4 questions, 3 units each
    pd.testing.assert_frame_equal(split, make_split(segments, seed=1, held_out_fraction=0.5))


# --- the project's label files ----------------------------------------------------------------

def test_the_frozen_split_is_the_documented_seed_of_the_real_chapter(segments):
    frozen = pd.read_csv(LABELS_DIR / "split.csv", dtype=str)
    assert frozen.equals(make_split(segments, seed=SPLIT_SEED).astype(str))
    answers = frozen.merge(segments[["segment_id", "role"]])
    assert (answers["role"] == "answer").sum() == 139 and (answers["role"] == "question").sum() == 37


def test_the_label_files_cover_the_same_units_and_every_disagreement_is_adjudicated(segments):
    first = load_gold(LABELS_DIR / "theme_gold.csv", segments, THEME_IDS)
    second = load_reader(LABELS_DIR / "theme_second_reader.csv", segments, THEME_IDS)
    assert set(second.index[second["role"] == "answer"]) == set(first.index)
    assert (second["role"] == "question").sum() == 37
    decisions = load_adjudication(LABELS_DIR / "adjudication.csv", THEME_IDS)
    answers = second.loc[first.index, THEME_IDS]
    assert len(decisions) == int((first != answers).to_numpy().sum())
    adjudicate(first, answers, decisions)  # raises if any disagreement is undecided or stale
    assert [p.name for p in label_files(LABELS_DIR / "theme_gold.csv")] == [
        "theme_gold.csv", "theme_second_reader.csv", "adjudication.csv", "split.csv"]


def test_the_real_validation_tables_have_their_documented_shape(segments):
    from analysis.themes import find_theme_hits, load_codebook

    themes = load_codebook()
    tables = validation_tables(segments, find_theme_hits(segments, themes), [t.id for t in themes],
                               LABELS_DIR / "theme_gold.csv")
    validation = tables["tagger_validation"]
    assert len(validation) == 3 * 3 * 11
    n = validation[validation["theme"] == "ALL"].set_index(["reference", "split"])["paragraphs"]
    assert (n.xs("all", level="split") == 139).all()
    assert (n.xs("tuning", level="split") + n.xs("held_out", level="split") == 139).all()
    assert len(tables["question_tagging"]) == 11
    assert (tables["question_tagging"]["questions"] == 37).all()
    assert tables["reader_agreement"].set_index("theme").loc["ALL", "paragraphs"] == 139


def test_disagreements_list_each_false_positive_and_negative_with_its_terms(tmp_path):
    segments = TOY_SEGMENTS.assign(guest=["", "甲", "甲"])
    hits = pd.DataFrame({"segment_id": ["s2", "s2", "s3"], "theme": ["A", "A", "B"], "term": ["开源", "开源", "销售"]})
    path = _write(tmp_path, "segment_id,text_start,A,B\ns2,开源,0,0\ns3,销售,1,1\n")
    table = disagreements({"segments": segments, "theme_hits": hits}, path, ["A", "B"])
    assert table[["segment_id", "theme", "kind", "terms", "guest"]].values.tolist() == [
        ["s2", "A", "false positive", "开源", "甲"],
        ["s3", "A", "false negative", "", "甲"],
    ]
    assert table["text"].tolist() == ["开源很重要", "销售也重要"]


# --- every loader error, word for word (the CLI prints exactly this line) -----------------------

GOLD_HEAD = "segment_id,text_start,A,B\n"
READER_HEAD = "segment_id,role,A,B,note\n"
ADJ_HEAD = "segment_id,theme,first_reader,second_reader,adjudicated,note\n"


@pytest.mark.parametrize("loader, body, message", [
    ("gold", "segment_id,text_start,note\ns2,开源,\n", "missing column(s) A, B"),
    ("gold", GOLD_HEAD + "s2,开源,1,0\ns9,开源,1,0\n", "segment s9 is not in the corpus"),
    ("gold", GOLD_HEAD + "s2,销售,1,0\n", "segment s2 no longer starts with '销售': relabel it"),
    ("gold", GOLD_HEAD + "s2,开源,1,0\ns3,销售,0,x\n", "column B: labels must be 0 or 1"),
    ("reader", "segment_id,A,B\ns2,1,0\n", "missing column(s) role"),
    ("reader", READER_HEAD + "s2,answer,1,0,\ns8,answer,0,0,\n", "segment s8 is not in the corpus"),
    ("reader", READER_HEAD + "s2,answer,1,0,\ns1,answer,0,0,\n", "segment s1 is a question, not a answer"),
    ("reader", READER_HEAD + "s2,answer,1,2,\n", "column B: labels must be 0 or 1"),
    ("split", "segment_id,part\ns2,tuning\n", "expected the columns segment_id, split"),
    ("split", "segment_id,split\ns2,tuning\ns3,test\n", "split must be tuning or held_out"),
    ("split", "segment_id,split\ns2,tuning\ns7,held_out\ns8,held_out\n", "segment s7 is not in the corpus"),
    ("adjudication", "segment_id,theme,first,second,adjudicated,note\n",
     "expected the columns segment_id, theme, first_reader, second_reader, adjudicated, note"),
    ("adjudication", ADJ_HEAD + "s2,A,1,0,1,ok\ns3,C,1,0,1,ok\ns3,D,1,0,1,ok\n", "unknown theme C"),
    ("adjudication", ADJ_HEAD + "s2,A,1,0,1,ok\ns3,B,1,0,1,  \n", "every adjudicated cell needs a note saying why"),
    ("adjudication", ADJ_HEAD + "s2,A,1,0,yes,ok\n", "column adjudicated: labels must be 0 or 1"),
], ids=lambda x: x if isinstance(x, str) and len(x) < 14 else None)
def test_each_malformed_label_file_gets_its_exact_message(tmp_path, loader, body, message):
    path = _write(tmp_path, body)
    load = {"gold": lambda: load_gold(path, TOY_SEGMENTS, ["A", "B"]),
            "reader": lambda: load_reader(path, TOY_SEGMENTS, ["A", "B"]),
            "split": lambda: load_split(path, TOY_SEGMENTS),
            "adjudication": lambda: load_adjudication(path, ["A", "B"])}[loader]
    with pytest.raises(InputError) as raised:
        load()
    assert str(raised.value) == f"{path}: {message}" and raised.value.path == path


@pytest.mark.parametrize("load", [
    lambda p: load_gold(p, TOY_SEGMENTS, ["A"]), lambda p: load_reader(p, TOY_SEGMENTS, ["A"]),
])
def test_a_missing_label_file_is_named(tmp_path, load):
    path = tmp_path / "none.csv"
    with pytest.raises(InputError) as raised:
        load(path)
    assert str(raised.value) == f"{path}: label file not found"


def test_ids_and_labels_are_read_as_text(tmp_path):
    # An id that looks like a number or like "NA" must stay what it is.
    segments = pd.DataFrame({"segment_id": ["007", "NA"], "role": ["answer", "answer"], "text": ["开源", "销售"],
                             "question_id": ["", ""]})
    gold = load_gold(_write(tmp_path, "segment_id,text_start,A\n007,开,1\nNA,销,0\n"), segments, ["A"])
    assert gold["A"].to_dict() == {"007": 1, "NA": 0}
    reader = load_reader(_write(tmp_path, "segment_id,role,A,note\n007,answer,1,NA\nNA,answer,0,\n", "r.csv"),
                         segments, ["A"])
    assert list(reader.columns) == ["role", "A"] and reader.loc["NA", "role"] == "answer"
    split = load_split(_write(tmp_path, "segment_id,split\n007,tuning\nNA,held_out\n", "s.csv"), segments)
    assert split.to_dict() == {"007": "tuning", "NA": "held_out"}
    decisions = load_adjudication(_write(tmp_path, ADJ_HEAD + "007,A,1,0,1,NA\n", "a.csv"), ["A"])
    assert decisions[["segment_id", "note"]].values.tolist() == [["007", "NA"]]
    assert decisions[["first_reader", "second_reader", "adjudicated"]].values.tolist() == [[1, 0, 1]]
    assert gold_applies(tmp_path / "labels.csv", segments)


def test_a_decision_about_a_cell_nobody_labelled_is_refused():
    first = pd.DataFrame({"A": [1]}, index=["p1"])
    with pytest.raises(InputError, match="p9 A is not a labelled cell"):
        adjudicate(first, first, _decisions([("p9", "A", 1, 0, 1, "why")]))
    with pytest.raises(InputError, match="p1 Z is not a labelled cell"):
        adjudicate(first, first, _decisions([("p1", "Z", 1, 0, 1, "why")]))


def test_the_split_puts_each_paragraph_without_a_question_on_its_own():
    segments = pd.DataFrame({"segment_id": [f"s{i}" for i in range(8)], "role": ["answer"] * 8,
                             "question_id": [""] * 8})
    split = make_split(segments, seed=3, held_out_fraction=0.5)
    assert (split["split"] == "held_out").sum() == 4  # 4 of 8 one-paragraph clusters
    assert list(split["segment_id"]) == [f"s{i}" for i in range(8)]
    intro = segments.assign(role=["intro"] * 8)
    assert make_split(intro).empty  # only questions and answers are split


# --- the whole validation on a toy label folder -----------------------------------------------

def _toy_label_folder(tmp_path, adjudication=True, split=True):
    folder = tmp_path / "labels"
    folder.mkdir()
    (folder / "theme_gold.csv").write_text("segment_id,text_start,A,B\ns2,开源,1,0\ns3,销售,0,1\n", encoding="utf-8")
    (folder / "theme_second_reader.csv").write_text(
        "segment_id,role,A,B,note\ns1,question,1,0,\ns2,answer,1,1,\ns3,answer,0,1,\n", encoding="utf-8")
    if adjudication:
        (folder / "adjudication.csv").write_text(ADJ_HEAD + "s2,B,0,1,1,the paragraph sells\n", encoding="utf-8")
    if split:
        (folder / "split.csv").write_text("segment_id,split\ns1,tuning\ns2,tuning\ns3,held_out\n", encoding="utf-8")
    return folder / "theme_gold.csv"


TOY_HITS = pd.DataFrame({"segment_id": ["s1", "s2", "s2", "s3"], "theme": ["B", "A", "A", "A"]})


def test_validation_tables_on_a_toy_folder(tmp_path):
    gold = _toy_label_folder(tmp_path)
    tables = validation_tables(TOY_SEGMENTS, TOY_HITS, ["A", "B"], gold)
    assert set(tables) == {"tagger_validation", "reader_agreement", "question_tagging"}
    v = tables["tagger_validation"].set_index(["reference", "split", "theme"])
    assert sorted(set(v.index.get_level_values("reference"))) == ["adjudicated", "first_reader", "second_reader"]
    # tagger: s2 → A, s3 → A (answers); s1 → B (question).
    # first reader: s2 A, s3 B. A: TP 1 of predicted 2, reference 1.
    assert v.loc[("first_reader", "all", "A"), ["predicted_positive", "true_positive", "reference_positive"]].tolist() == [2, 1, 1]
    # adjudicated B = second reader's on s2 (1) → B reference positives 2, tagger predicted 0.
    assert v.loc[("adjudicated", "all", "B"), ["reference_positive", "predicted_positive"]].tolist() == [2, 0]
    assert v.loc[("first_reader", "held_out", "A"), "paragraphs"] == 1 and v.loc[("first_reader", "tuning", "A"), "paragraphs"] == 1
    q = tables["question_tagging"].set_index("theme")
    # s1: reader says A, tagger says B.
    assert q.loc["A", ["questions", "reference_positive", "predicted_positive"]].tolist() == [1, 1, 0]
    assert q.loc["B", ["reference_positive", "predicted_positive", "true_positive"]].tolist() == [0, 1, 0]
    agreement = tables["reader_agreement"].set_index("theme")
    assert agreement.loc["B", "disagreements"] == 1 and agreement.loc["A", "kappa"] == pytest.approx(1.0)


def test_validation_tables_without_the_optional_files(tmp_path):
    gold = _toy_label_folder(tmp_path, adjudication=False, split=False)
    tables = validation_tables(TOY_SEGMENTS, TOY_HITS, ["A", "B"], gold)
    v = tables["tagger_validation"]
    assert set(v["reference"]) == {"first_reader", "second_reader"} and set(v["split"]) == {"all"}
    (gold.parent / "theme_second_reader.csv").unlink()
    only = validation_tables(TOY_SEGMENTS, TOY_HITS, ["A", "B"], gold)
    assert set(only) == {"tagger_validation"} and only["tagger_validation"]["readers_kappa"].isna().all()
    assert validation_tables(TOY_SEGMENTS.assign(segment_id=["x", "y", "z"]), TOY_HITS, ["A", "B"], gold) == {}
    assert label_files(gold) == [gold]


def test_messages_name_the_disputed_cell_exactly():
    first = pd.DataFrame({"A": [1, 0]}, index=["p1", "p2"])
    second = pd.DataFrame({"A": [1, 1]}, index=["p1", "p2"])
    with pytest.raises(InputError) as raised:
        adjudicate(first, second, _decisions([]))
    assert raised.value.problem == "readers disagree on p2 A and no decision is recorded"
    with pytest.raises(InputError) as raised:
        adjudicate(first, second, _decisions([("p2", "A", 1, 0, 1, "why")]))
    assert raised.value.problem == "p2 A: the readers' labels changed since adjudication"


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_readers_f1_is_undefined_when_neither_reader_gives_the_theme():
    none = pd.DataFrame({"A": [0, 0, 0]}, index=["p1", "p2", "p3"])
    row = reader_agreement(none, none).set_index("theme").loc["A"]
    assert np.isnan(row["readers_f1"]) and np.isnan(row["kappa"]) and row["observed_agreement"] == 1.0
    one = pd.DataFrame({"A": [1, 0, 0]}, index=["p1", "p2", "p3"])
    assert reader_agreement(one, none).set_index("theme").loc["A", "readers_f1"] == 0.0
    assert reader_agreement(one, one).set_index("theme").loc["A", "readers_f1"] == 1.0


def test_the_validation_table_is_indexed_from_zero_with_one_row_per_reference_split_and_theme():
    ids = ["p1", "p2", "p3", "p4"]
    reference = pd.DataFrame({"A": [1, 0, 1, 0]}, index=ids)
    split = pd.Series(["tuning", "held_out", "tuning", "held_out"], index=ids)
    table = tagger_validation(reference, {"first_reader": reference, "second_reader": reference}, split)
    assert list(table.index) == list(range(12))
    assert table[["reference", "split", "theme"]].values.tolist()[:3] == [
        ["first_reader", "all", "A"], ["first_reader", "all", "ALL"], ["first_reader", "tuning", "A"]]
    with pytest.raises(KeyError):
        tagger_validation(reference, {"someone_else": reference})


def test_disagreements_join_the_terms_that_fired_and_keep_their_columns_when_empty(tmp_path):
    segments = TOY_SEGMENTS.assign(guest=["", "甲", "甲"])
    hits = pd.DataFrame({"segment_id": ["s2", "s2", "s2"], "theme": ["A", "A", "A"], "term": ["开源", "社区", "开源"]})
    path = _write(tmp_path, "segment_id,text_start,A\ns2,开源,0\n")
    table = disagreements({"segments": segments, "theme_hits": hits}, path, ["A"])
    assert table["terms"].tolist() == ["开源; 社区"]
    agree = _write(tmp_path, "segment_id,text_start,A\ns2,开源,1\n", "agree.csv")
    empty = disagreements({"segments": segments, "theme_hits": hits}, agree, ["A"])
    assert empty.empty and list(empty.columns) == ["segment_id", "theme", "kind", "terms", "guest", "text"]


def test_the_tagger_indicator_counts_a_paragraph_once_however_many_hits():
    # Two hits of A in s2 must count as one predicted paragraph, not two.
    hits = pd.DataFrame({"segment_id": ["s2", "s2", "s3"], "theme": ["A", "A", "B"]})
    reference = pd.DataFrame({"A": [1, 0]}, index=["s2", "s3"])
    from analysis.validation import _indicator

    predicted = _indicator(TOY_SEGMENTS, hits, role="answer")
    assert predicted.to_dict() == {"A": {"s2": 1, "s3": 0}, "B": {"s2": 0, "s3": 1}}
    assert evaluate_tagger(predicted, reference).set_index("theme").loc["A", "predicted_positive"] == 1


def test_counts_of_hits_count_as_positive_predictions():
    # A tagger may hand over hit counts; any non-zero count is a positive.
    got = prf([1, 1, 0, 0], [2, 0, 3, 0])
    assert (got["true_positive"], got["predicted_positive"], got["reference_positive"]) == (1, 2, 2)
    assert prf([2, 1, 0, 0], [1, 0, 1, 0])["true_positive"] == 1
    assert cohen_kappa([2, 0, 1, 0], [1, 0, 1, 0]) == pytest.approx(1.0)
    assert cohen_kappa([1, 0, 1, 0], [1, 0, 2, 0]) == pytest.approx(1.0)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_kappa_of_constant_identical_ratings_is_nan_without_dividing_by_zero():
    assert np.isnan(cohen_kappa([1, 1, 1], [1, 1, 1]))


def test_the_f1_interval_exists_whenever_any_cell_is_not_empty_and_is_reproducible():
    for cells in [(0, 1, 1), (1, 1, 0), (0, 0, 2), (0, 3, 0)]:
        low, high = f1_interval(*cells)
        assert 0 <= low < high <= 1, cells
    assert f1_interval(7, 2, 1) == f1_interval(7, 2, 1)
    assert f1_interval(7, 2, 1, seed=1) != f1_interval(7, 2, 1, seed=2)


def test_a_repeated_f1_interval_is_the_one_drawn_afresh():
    # f1_interval keeps its results: a repeated call must give what a fresh draw gives (each call
    # seeds its own generator), whatever was asked in between and for every argument
    fresh = f1_interval.__wrapped__(7, 2, 1)
    f1_interval(3, 0, 4)
    assert f1_interval(7, 2, 1) == fresh
    for other in [dict(level=0.5), dict(seed=3), dict(draws=5000)]:
        assert f1_interval(7, 2, 1, **other) == f1_interval.__wrapped__(7, 2, 1, **other) != fresh
    assert f1_interval(7, 1, 2) == f1_interval.__wrapped__(7, 1, 2) != fresh  # FP and FN are not interchangeable


def test_the_labels_apply_when_any_labelled_id_is_in_the_corpus(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("segment_id,text_start\nX-0001,a\nX-0002,b\n", encoding="utf-8")
    segments = pd.DataFrame({"segment_id": ["Y-0001", "X-0002", "Y-0003"]})
    assert gold_applies(labels, segments)
    assert not gold_applies(labels, segments.iloc[[0, 2]])
    assert not gold_applies(tmp_path / "missing.csv", segments)


def test_prf_passes_the_confusion_cells_to_the_f1_interval():
    # TP 3, FP 2 (predicted 5), FN 1 (reference 4)
    got = prf([1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 1, 1, 0, 0])
    assert (got["f1_low"], got["f1_high"]) == f1_interval(3, 2, 1)
