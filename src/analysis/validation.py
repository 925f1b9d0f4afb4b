"""How far to trust the dictionary tagger: agreement with a careful reader.

The hand-labelled set is ``data/labels/theme_gold.csv``: one row per answer paragraph,
``segment_id``, ``text_start`` (the paragraph's first characters, which guards against ids
drifting if the parser changes), one 0/1 column per theme id, and ``note``. How it was
labelled is documented in ``data/labels/README.md``.

Schema of ``tagger_validation.csv`` (one row per theme, plus ``ALL`` micro-averaged):
``theme, paragraphs, gold_positive, predicted_positive, true_positive, precision, recall, f1``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError

VALIDATION_COLUMNS = ["theme", "paragraphs", "gold_positive", "predicted_positive", "true_positive",
                      "precision", "recall", "f1"]


def gold_applies(path: Path | str, segments: pd.DataFrame) -> bool:
    """Whether the gold labels are about this corpus (they name at least one of its segments).

    Labels for the embedded chapter say nothing about another chapter; there they are skipped,
    while labels that do name the corpus are checked strictly by :func:`load_gold`.
    """
    path = Path(path)
    if not path.exists():
        return False
    ids = pd.read_csv(path, usecols=["segment_id"], dtype=str)["segment_id"]
    return bool(ids.isin(segments["segment_id"]).any())


def load_gold(path: Path | str, segments: pd.DataFrame, theme_ids: list[str]) -> pd.DataFrame:
    """Read the gold labels, checking ids, text and theme columns; index by segment_id."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "gold label file not found")
    gold = pd.read_csv(path, dtype={"segment_id": str, "text_start": str}, keep_default_na=False)
    missing = [c for c in ["segment_id", "text_start", *theme_ids] if c not in gold.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}")
    texts = segments.set_index("segment_id")["text"]
    for row in gold.itertuples(index=False):
        if row.segment_id not in texts.index:
            raise InputError(path, f"segment {row.segment_id} is not in the corpus")
        if not texts[row.segment_id].startswith(row.text_start):
            raise InputError(path, f"segment {row.segment_id} no longer starts with {row.text_start!r}: relabel it")
    labels = gold.set_index("segment_id")[theme_ids]
    bad = ~labels.isin([0, 1, "0", "1"])
    if bad.any().any():
        theme = labels.columns[bad.any()].tolist()[0]
        raise InputError(path, f"column {theme}: labels must be 0 or 1")
    return labels.astype("int64")


def _prf(gold: np.ndarray, predicted: np.ndarray) -> dict:
    tp = int((gold & predicted).sum())
    g, p = int(gold.sum()), int(predicted.sum())
    precision = tp / p if p else np.nan
    recall = tp / g if g else np.nan
    f1 = 2 * tp / (g + p) if g + p else np.nan
    return {"gold_positive": g, "predicted_positive": p, "true_positive": tp,
            "precision": precision, "recall": recall, "f1": f1}


def evaluate_tagger(predicted: pd.DataFrame, gold: pd.DataFrame) -> pd.DataFrame:
    """Precision, recall and F1 per theme of ``predicted`` (0/1, paragraphs × themes) against ``gold``."""
    predicted = predicted.reindex(index=gold.index, columns=gold.columns, fill_value=0)
    rows = []
    for theme in gold.columns:
        rows.append({"theme": theme, "paragraphs": len(gold),
                     **_prf(gold[theme].to_numpy().astype(bool), predicted[theme].to_numpy().astype(bool))})
    rows.append({"theme": "ALL", "paragraphs": len(gold),
                 **_prf(gold.to_numpy().astype(bool).ravel(), predicted.to_numpy().astype(bool).ravel())})
    return pd.DataFrame(rows, columns=VALIDATION_COLUMNS)


def disagreements(tables: dict, gold_path: Path | str, theme_ids: list[str]) -> pd.DataFrame:
    """Every (paragraph, theme) where tagger and gold differ: kind, the terms that fired, the text."""
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
