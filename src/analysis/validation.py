"""How far to trust the dictionary tagger: two model readers, an adjudicated reference, a held-out part.

Where the labels come from (details and dates in ``data/labels/README.md``)
---------------------------------------------------------------------------
Nobody labelled these paragraphs by hand. Both readers are **language-model readers** (LLMs acting
as native Chinese readers) working from the ten written theme definitions in the codebook, without
its terms:

* ``theme_gold.csv`` — the **first reader**: the 139 answer paragraphs, labelled before the codebook
  was tuned. The codebook was then tuned against these very labels (PMF, SLG, WTP), and its
  terms were written on the same paragraphs (100 of its 108 quoted passages are in the chapter).
  Scores against the first reader are therefore **in-sample**; the one out-of-sample comparison
  that exists is the first one, recorded in ``data/labels/README.md``.
* ``theme_second_reader.csv`` — the **second reader** (2026-11-25): the same 139 paragraphs and
  the 37 questions, blind to the first labels and to the codebook's terms. The codebook never saw
  these labels, but it was written on the same text, and both readers had the same definitions
  (and are probably models of the same family): their agreement measures how reproducibly the
  definitions are read, not independent human judgement.
* ``adjudication.csv`` — the **adjudicated reference**: where the readers agree, their label;
  where they disagree, a third model reader's decision against the definitions, one note per
  cell. That reader had seen the codebook, the tagger's output and both readers' notes.
* ``split.csv`` — a seeded split of the questions (their answers follow them) into ``tuning``
  and ``held_out``, made on 2026-11-25 **after** all tuning. It protects the held-out part from
  *future* codebook changes only; today its scores are no more out-of-sample than the rest.

Intervals
---------
Precision and recall are proportions (of predicted, of reference positives) with exact
Clopper–Pearson 95% intervals (checked against ``scipy.stats.binomtest``). F1 =
2TP / (2TP + FP + FN) is not a proportion of anything; its 95% interval is the equal-tailed
Bayesian interval of Goutte & Gaussier (2005, *ECIR*, LNCS 3408:345): the paragraph outcomes
(TP, FP, FN, TN) are multinomial, the cell probabilities get a Jeffreys Dirichlet(½, ½, ½, ½)
prior, and F1's posterior is sampled (``F1_DRAWS`` draws, fixed seed). It stays inside (0, 1)
at perfect scores: an observed F1 of 1 on 8 paragraphs has an upper end just below 1 and a lower
end well below. All intervals treat paragraphs as independent, which they are not quite (they
cluster by question; see :mod:`analysis.stats`), so they are if anything too narrow.

Schema of ``tagger_validation.csv`` (one row per reference, split and theme, plus ``ALL``)
-------------------------------------------------------------------------------------------

=======================  ===========================================================================
theme                    theme id; ``ALL`` pools every (paragraph, theme) cell (micro-average)
reference                ``first_reader``, ``second_reader`` or ``adjudicated``
split                    ``all`` (139 paragraphs), ``tuning`` or ``held_out`` (see ``split.csv``)
labels_seen_in_tuning    ``yes`` (first reader: the codebook was tuned on these labels — in-sample),
                         ``no`` (second reader), ``partly`` (adjudicated)
paragraphs               answer paragraphs compared (n)
reference_positive       paragraphs the reference gives the theme (recall's denominator)
predicted_positive       paragraphs the tagger gives the theme (precision's denominator)
true_positive            both
precision, _low, _high   TP / predicted_positive, 95% Clopper–Pearson interval
recall, _low, _high      TP / reference_positive, 95% Clopper–Pearson interval
f1, f1_low, f1_high      2TP / (reference_positive + predicted_positive), 95% Bayesian interval
readers_kappa            Cohen's κ between the two readers on the same paragraphs and theme
=======================  ===========================================================================

Schema of ``reader_agreement.csv`` (one row per theme, plus ``ALL``; answer paragraphs only):
``theme, paragraphs, first_positive, second_positive, both_positive, disagreements,
observed_agreement, kappa, readers_f1`` (F1 of one reader against the other, symmetric).

Schema of ``question_tagging.csv`` (the codebook applied to the 37 question headings, against
the second reader's labels of the questions — what ``prompted`` in ``theme_by_guest`` rests on):
``theme, questions, reference_positive, predicted_positive, true_positive, precision,
precision_low, precision_high, recall, recall_low, recall_high, f1, f1_low, f1_high``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .stats import clopper_pearson, cluster_labels

FIRST_READER = "theme_gold.csv"
SECOND_READER = "theme_second_reader.csv"
ADJUDICATION = "adjudication.csv"
SPLIT = "split.csv"
SPLIT_SEED = 20261125
HELD_OUT_FRACTION = 0.4
F1_DRAWS = 20000
F1_SEED = 20241
SEEN_IN_TUNING = {"first_reader": "yes", "second_reader": "no", "adjudicated": "partly"}

METRIC_COLUMNS = ["reference_positive", "predicted_positive", "true_positive",
                  "precision", "precision_low", "precision_high", "recall", "recall_low", "recall_high",
                  "f1", "f1_low", "f1_high"]
VALIDATION_COLUMNS = ["theme", "reference", "split", "labels_seen_in_tuning", "paragraphs", *METRIC_COLUMNS,
                      "readers_kappa"]
AGREEMENT_COLUMNS = ["theme", "paragraphs", "first_positive", "second_positive", "both_positive",
                     "disagreements", "observed_agreement", "kappa", "readers_f1"]
QUESTION_COLUMNS = ["theme", "questions", *METRIC_COLUMNS]


def label_files(gold_path: Path | str) -> list[Path]:
    """The first reader's file and the label files next to it that exist (for the build fingerprint)."""
    folder = Path(gold_path).parent
    return [Path(gold_path), *(folder / name for name in (SECOND_READER, ADJUDICATION, SPLIT) if (folder / name).exists())]


def gold_applies(path: Path | str, segments: pd.DataFrame) -> bool:
    """Whether the labels are about this corpus (they name at least one of its segments).

    Labels for the embedded chapter say nothing about another chapter; there they are skipped,
    while labels that do name the corpus are checked strictly by :func:`load_gold`.
    """
    path = Path(path)
    if not path.exists():
        return False
    # the corpus's ids looked up among the few labelled ones (not the other way round: isin on
    # strings walks its list of values in Python)
    return bool(segments["segment_id"].isin(_read_table(path)["segment_id"]).any())


def _read_table(path: Path) -> pd.DataFrame:
    """A label file as text: ids such as ``007`` or ``NA`` must stay what they are."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _check_labels(path: Path, labels: pd.DataFrame) -> pd.DataFrame:
    bad = ~labels.isin(["0", "1"])
    if bad.any().any():
        theme = labels.columns[bad.any()].tolist()[0]
        raise InputError(path, f"column {theme}: labels must be 0 or 1")
    return labels.astype("int64")


def _read_label_file(path: Path, columns: list[str]) -> pd.DataFrame:
    """A label file as text, refused by name when it is missing or lacks a column."""
    if not path.exists():
        raise InputError(path, "label file not found")
    table = _read_table(path)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}")
    return table


def load_gold(path: Path | str, segments: pd.DataFrame, theme_ids: list[str]) -> pd.DataFrame:
    """Read the first reader's labels, checking ids, text and theme columns; index by segment_id."""
    path = Path(path)
    gold = _read_label_file(path, ["segment_id", "text_start", *theme_ids])
    texts = segments.set_index("segment_id")["text"]
    for segment_id, text_start in zip(gold["segment_id"], gold["text_start"]):
        if segment_id not in texts.index:
            raise InputError(path, f"segment {segment_id} is not in the corpus")
        if not texts[segment_id].startswith(text_start):
            raise InputError(path, f"segment {segment_id} no longer starts with {text_start!r}: relabel it")
    return _check_labels(path, gold.set_index("segment_id")[theme_ids])


def load_reader(path: Path | str, segments: pd.DataFrame, theme_ids: list[str]) -> pd.DataFrame:
    """Read a reader's labels (``segment_id, role, <themes>, note``); index by segment_id.

    Each id must be in the corpus with the role the file gives it, so that a parser change that
    shifts ids cannot silently pair labels with other paragraphs.
    """
    path = Path(path)
    table = _read_label_file(path, ["segment_id", "role", *theme_ids])
    roles = segments.set_index("segment_id")["role"]
    for segment_id, role in zip(table["segment_id"], table["role"]):
        if segment_id not in roles.index:
            raise InputError(path, f"segment {segment_id} is not in the corpus")
        if roles[segment_id] != role:
            raise InputError(path, f"segment {segment_id} is a {roles[segment_id]}, not a {role}")
    labels = _check_labels(path, table.set_index("segment_id")[theme_ids])
    labels.insert(0, "role", table.set_index("segment_id")["role"])
    return labels


def make_split(segments: pd.DataFrame, seed: int = SPLIT_SEED, held_out_fraction: float = HELD_OUT_FRACTION) -> pd.DataFrame:
    """Questions drawn at random (seeded) into ``held_out``; every unit of a question follows it.

    Splitting by question rather than by paragraph keeps the sibling paragraphs of one answer on
    one side, so future tuning on ``tuning`` cannot learn an answer's vocabulary from its siblings.
    """
    units = segments[segments["role"].isin(["question", "answer"])]
    cluster = cluster_labels(units)
    clusters = sorted(cluster.unique())
    held = set(np.random.default_rng(seed).permutation(clusters)[: round(held_out_fraction * len(clusters))])
    return pd.DataFrame({"segment_id": units["segment_id"].to_numpy(),
                         "split": np.where(cluster.isin(held), "held_out", "tuning")})


def load_split(path: Path | str, segments: pd.DataFrame) -> pd.Series:
    """The frozen split: segment_id → ``tuning`` or ``held_out``."""
    path = Path(path)
    table = _read_table(path)
    if list(table.columns) != ["segment_id", "split"]:
        raise InputError(path, "expected the columns segment_id, split")
    if not table["split"].isin(["tuning", "held_out"]).all():
        raise InputError(path, "split must be tuning or held_out")
    unknown = ~table["segment_id"].isin(segments["segment_id"])
    if unknown.any():
        raise InputError(path, f"segment {table['segment_id'][unknown].iloc[0]} is not in the corpus")
    return table.set_index("segment_id")["split"]


def load_adjudication(path: Path | str, theme_ids: list[str]) -> pd.DataFrame:
    path = Path(path)
    table = _read_table(path)
    expected = ["segment_id", "theme", "first_reader", "second_reader", "adjudicated", "note"]
    if list(table.columns) != expected:
        raise InputError(path, f"expected the columns {', '.join(expected)}")
    if not table["theme"].isin(theme_ids).all():
        raise InputError(path, f"unknown theme {table.loc[~table['theme'].isin(theme_ids), 'theme'].iloc[0]}")
    if (table["note"].str.strip() == "").any():
        raise InputError(path, "every adjudicated cell needs a note saying why")
    labels = ["first_reader", "second_reader", "adjudicated"]
    return table.assign(**_check_labels(path, table[labels]))


def adjudicate(first: pd.DataFrame, second: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The adjudicated reference: agreed cells as they are; each disagreement as decided.

    A disagreement without a decision, or a decision whose recorded reader labels differ from the
    readers' files (the files changed after adjudication), is an error: the reference must never
    quietly fall back to one reader.
    """
    second = second.loc[first.index, list(first.columns)]
    reference = first.copy()
    columns = ["segment_id", "theme", "first_reader", "second_reader", "adjudicated"]
    decided = {(sid, theme): (int(a), int(b), int(c)) for sid, theme, a, b, c in decisions[columns].to_numpy()}
    for row, column in zip(*np.nonzero((first != second).to_numpy())):
        key = (first.index[row], first.columns[column])
        if key not in decided:
            raise InputError(ADJUDICATION, f"readers disagree on {key[0]} {key[1]} and no decision is recorded")
    for key, (first_label, second_label, label) in decided.items():
        if key[0] not in first.index or key[1] not in first.columns:
            raise InputError(ADJUDICATION, f"{key[0]} {key[1]} is not a labelled cell")
        if (first_label, second_label) != (first.at[key], second.at[key]):
            raise InputError(ADJUDICATION, f"{key[0]} {key[1]}: the readers' labels changed since adjudication")
        reference.at[key] = label
    return reference


def cohen_kappa(a, b) -> float:
    """Cohen's κ of two 0/1 ratings: (observed − chance agreement) / (1 − chance agreement).

    Undefined (NaN) when chance agreement is 1, i.e. both readers give one and the same label
    to every unit.
    """
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    observed = np.mean(a == b)
    chance = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    return float((observed - chance) / (1 - chance)) if chance < 1 else np.nan


# Every call starts its own generator from ``seed``, so equal arguments give equal bounds: the
# validation tables ask for the same (TP, FP, FN) many times (the same theme under several
# references and splits), and drawing 3 × 20,000 gammas again was most of their cost.
@lru_cache(maxsize=4096)
def f1_interval(true_positive: int, false_positive: int, false_negative: int, level: float = 0.95,
                draws: int = F1_DRAWS, seed: int = F1_SEED) -> tuple[float, float]:
    """Equal-tailed Bayesian interval of F1 (Goutte & Gaussier 2005), Jeffreys prior.

    The Dirichlet posterior of the cell probabilities is sampled as independent gammas; F1
    depends only on the ratios of the TP, FP and FN cells, so TN's gamma cancels and is not drawn.
    """
    if true_positive + false_positive + false_negative == 0:
        return (np.nan, np.nan)
    rng = np.random.default_rng(seed)
    tp = rng.gamma(true_positive + 0.5, size=draws)
    fp = rng.gamma(false_positive + 0.5, size=draws)
    fn = rng.gamma(false_negative + 0.5, size=draws)
    f1 = 2 * tp / (2 * tp + fp + fn)
    tail = (1 - level) / 2
    low, high = np.quantile(f1, [tail, 1 - tail])
    return float(low), float(high)


def prf(reference, predicted) -> dict:
    """Precision, recall and F1 of 0/1 ``predicted`` against 0/1 ``reference``, with intervals."""
    reference, predicted = np.asarray(reference, dtype=bool), np.asarray(predicted, dtype=bool)
    tp = int((reference & predicted).sum())
    r, p = int(reference.sum()), int(predicted.sum())
    precision_low, precision_high = clopper_pearson(tp, p)
    recall_low, recall_high = clopper_pearson(tp, r)
    f1_low, f1_high = f1_interval(tp, p - tp, r - tp)
    return {
        "reference_positive": r, "predicted_positive": p, "true_positive": tp,
        "precision": tp / p if p else np.nan, "precision_low": precision_low, "precision_high": precision_high,
        "recall": tp / r if r else np.nan, "recall_low": recall_low, "recall_high": recall_high,
        "f1": 2 * tp / (r + p) if r + p else np.nan, "f1_low": f1_low, "f1_high": f1_high,
    }


def evaluate_tagger(predicted: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Per theme and ``ALL``: ``theme, paragraphs`` and the :data:`METRIC_COLUMNS` of ``predicted``
    (0/1, paragraphs × themes) against ``reference``. Units missing from ``predicted`` count as 0."""
    predicted = predicted.reindex(index=reference.index, columns=reference.columns, fill_value=0)
    rows = [{"theme": theme, "paragraphs": len(reference), **prf(reference[theme], predicted[theme])}
            for theme in reference.columns]
    rows.append({"theme": "ALL", "paragraphs": len(reference),
                 **prf(reference.to_numpy().ravel(), predicted.to_numpy().ravel())})
    return pd.DataFrame(rows, columns=["theme", "paragraphs", *METRIC_COLUMNS])


def reader_agreement(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Per theme and ``ALL``: how far two readers agree on the same units (see module doc)."""
    second = second.loc[first.index, list(first.columns)]
    rows = []
    for theme, a, b in [*((t, first[t].to_numpy(), second[t].to_numpy()) for t in first.columns),
                        ("ALL", first.to_numpy().ravel(), second.to_numpy().ravel())]:
        a, b = a.astype(bool), b.astype(bool)
        both = int((a & b).sum())
        rows.append({"theme": theme, "paragraphs": len(first), "first_positive": int(a.sum()),
                     "second_positive": int(b.sum()), "both_positive": both, "disagreements": int((a != b).sum()),
                     "observed_agreement": float(np.mean(a == b)), "kappa": cohen_kappa(a, b),
                     "readers_f1": 2 * both / (a.sum() + b.sum()) if a.sum() + b.sum() else np.nan})
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def tagger_validation(predicted: pd.DataFrame, references: dict[str, pd.DataFrame],
                      split: pd.Series | None = None) -> pd.DataFrame:
    """The long validation table: every reference × split (``all``, then ``tuning``/``held_out``).

    ``references`` maps ``first_reader`` / ``second_reader`` / ``adjudicated`` to 0/1 label
    tables over the same answer paragraphs; ``readers_kappa`` is filled when both readers are there.
    """
    first, second = references.get("first_reader"), references.get("second_reader")
    index = next(iter(references.values())).index
    parts = {"all": index}
    if split is not None:
        for name in ("tuning", "held_out"):
            parts[name] = index[split.reindex(index).to_numpy() == name]
    tables = []
    for name, reference in references.items():
        for part, ids in parts.items():
            if first is not None and second is not None:
                kappa = reader_agreement(first.loc[ids], second.loc[ids]).set_index("theme")["kappa"]
            else:
                kappa = {}  # one reader: no agreement to report (NaN)
            table = evaluate_tagger(predicted, reference.loc[ids])
            tables.append(table.assign(reference=name, split=part, labels_seen_in_tuning=SEEN_IN_TUNING[name],
                                       readers_kappa=table["theme"].map(kappa).astype(float)))
    return pd.concat(tables, ignore_index=True)[VALIDATION_COLUMNS]


def question_tagging(predicted: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """The codebook on the question headings against a reader's labels of the questions."""
    table = evaluate_tagger(predicted, reference)
    return table.rename(columns={"paragraphs": "questions"})[QUESTION_COLUMNS]


def _indicator(segments: pd.DataFrame, hits: pd.DataFrame, role: str) -> pd.DataFrame:
    """0/1 units of ``role`` × themes with at least one hit of the theme there. Units and themes
    without any hit are absent: :func:`evaluate_tagger` counts them as 0."""
    units = segments.loc[segments["role"] == role, "segment_id"]
    tagged = hits[hits["segment_id"].isin(units)]
    return (pd.crosstab(tagged["segment_id"], tagged["theme"]) > 0).astype("int64")


def validation_tables(segments: pd.DataFrame, hits: pd.DataFrame, theme_ids: list[str],
                      gold_path: Path | str) -> dict[str, pd.DataFrame]:
    """Every validation table the label files next to ``gold_path`` allow (none if they do not
    apply to this corpus): ``tagger_validation``, and with a second reader also
    ``reader_agreement`` and ``question_tagging``."""
    gold_path = Path(gold_path)
    if not gold_applies(gold_path, segments):
        return {}
    folder = gold_path.parent
    first = load_gold(gold_path, segments, theme_ids)
    answers = _indicator(segments, hits, role="answer")
    references = {"first_reader": first}
    tables = {}
    if (folder / SECOND_READER).exists():
        second_all = load_reader(folder / SECOND_READER, segments, theme_ids)
        second = second_all.loc[second_all["role"] == "answer", theme_ids].loc[first.index]
        references["second_reader"] = second
        if (folder / ADJUDICATION).exists():
            references["adjudicated"] = adjudicate(first, second, load_adjudication(folder / ADJUDICATION, theme_ids))
        tables["reader_agreement"] = reader_agreement(first, second)
        questions = second_all.loc[second_all["role"] == "question", theme_ids]
        if len(questions):
            tagged = _indicator(segments, hits, role="question")
            tables["question_tagging"] = question_tagging(tagged, questions)
    split = load_split(folder / SPLIT, segments) if (folder / SPLIT).exists() else None
    tables["tagger_validation"] = tagger_validation(answers, references, split)
    return tables


def disagreements(tables: dict, gold_path: Path | str, theme_ids: list[str]) -> pd.DataFrame:
    """Every (paragraph, theme) where tagger and first reader differ: kind, terms that fired, text."""
    segments = tables["segments"]
    gold = load_gold(gold_path, segments, theme_ids)
    hits = tables["theme_hits"]
    fired = hits.groupby(["segment_id", "theme"])["term"].agg(lambda t: "; ".join(dict.fromkeys(t)))
    texts = segments.set_index("segment_id")
    rows = []
    for segment_id, labels in gold.iterrows():
        for theme in theme_ids:
            terms = fired.get((segment_id, theme), "")
            predicted, truth = bool(terms), bool(labels[theme])
            if predicted != truth:
                rows.append({"segment_id": segment_id, "theme": theme,
                             "kind": "false positive" if predicted else "false negative",
                             "terms": terms, "guest": texts.at[segment_id, "guest"],
                             "text": texts.at[segment_id, "text"]})
    return pd.DataFrame(rows, columns=["segment_id", "theme", "kind", "terms", "guest", "text"])
