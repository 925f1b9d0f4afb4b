"""Evidence — keyword in context for any term or theme, so every number has its passages.

Schema of ``kwic.csv`` (one row per theme hit in an answer paragraph):

==============  ==============================================================
theme           theme id (empty for a free-text term search)
term            the codebook term (or the searched term)
segment_id      the unit, for joining back to ``segments.csv``
guest           who said it
question        the question it answers
left            up to ``width`` characters before the match
match           the matched text
right           up to ``width`` characters after it
char_start      offset of the match in the unit's text
char_end        offset one past its end
==============  ==============================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import ParameterError
from .lexicon import Lexicon, fold_width, load_lexicon, phrases_regex

KWIC_COLUMNS = ["theme", "term", "segment_id", "guest", "question", "left", "match", "right", "char_start", "char_end"]


def _context(text: str, start: int, end: int, width: int) -> tuple[str, str, str]:
    return text[max(0, start - width) : start], text[start:end], text[end : end + width]


def kwic_for_hits(segments: pd.DataFrame, hits: pd.DataFrame, width: int = 25, roles=("answer",)) -> pd.DataFrame:
    """Concordance lines for theme hits (e.g. the theme_hits table)."""
    kept = segments["role"].isin(roles).to_numpy()
    # each line carries its unit's row, not its text: copying a paragraph's text into every line
    # of the paragraph was most of the cost on large corpora
    units = segments.loc[kept, ["segment_id", "guest", "question"]].assign(_row=np.flatnonzero(kept))
    lines = hits[["theme", "term", "segment_id", "char_start", "char_end"]].merge(units, on="segment_id", how="inner",
                                                                               sort=False)
    texts = segments["text"].tolist()
    # plain lists: iterating pandas string columns value by value costs more than the slicing
    contexts = [_context(texts[row], start, end, width)
                for row, start, end in zip(*(lines[c].tolist() for c in ("_row", "char_start", "char_end")))]
    lines["left"] = [c[0] for c in contexts]
    lines["match"] = [c[1] for c in contexts]
    lines["right"] = [c[2] for c in contexts]
    return lines[KWIC_COLUMNS].reset_index(drop=True)


def kwic(segments: pd.DataFrame, term: str, width: int = 25, roles=("answer",), guest: str | None = None,
         lexicon: Lexicon | None = None) -> pd.DataFrame:
    """Concordance lines for any term, optionally for one guest: the one term search of the project.

    Matched like codebook terms (width- and case-insensitive; Latin terms at word boundaries) and
    with every spelling the lexicon's synonym table makes the same word (``ARR`` also finds the
    transcript's typo ``AR``). ``lexicon``: the one the tables were built with (default: the
    package's). The ``term`` column holds the term as searched.
    """
    if not term or not term.strip():
        raise ParameterError("empty search term")
    term = term.strip()
    units = segments[segments["role"].isin(roles)]
    if guest:
        valid = list(dict.fromkeys(segments.loc[segments["guest"] != "", "guest"]))
        if guest not in valid:
            raise ParameterError(f"unknown guest {guest!r}; valid guests: {', '.join(valid)}")
        units = units[units["guest"] == guest]
    pattern = phrases_regex((lexicon or load_lexicon()).spellings(term))
    rows = []
    for unit in units.itertuples(index=False):
        for match in pattern.finditer(fold_width(unit.text)):
            left, found, right = _context(unit.text, match.start(), match.end(), width)
            rows.append(("", term, unit.segment_id, unit.guest, unit.question, left, found, right,
                         match.start(), match.end()))
    return pd.DataFrame(rows, columns=KWIC_COLUMNS)


def evidence_for(lines: pd.DataFrame, guests: list[str], themes: list[str], per_cell: int = 3) -> pd.DataFrame:
    """The first ``per_cell`` concordance lines (of the kwic table) per guest and theme, for reading next to a chart."""
    lines = lines[lines["guest"].isin(guests) & lines["theme"].isin(themes)]
    lines = lines.drop_duplicates(["theme", "segment_id"])  # one line per paragraph: paragraphs are what is counted
    order = {g: i for i, g in enumerate(guests)}
    theme_order = {t: i for i, t in enumerate(themes)}
    lines = lines.assign(_g=lines["guest"].map(order), _t=lines["theme"].map(theme_order))
    lines = lines.sort_values(["_t", "_g", "segment_id", "char_start"]).groupby(["theme", "guest"], sort=False).head(per_cell)
    return lines.drop(columns=["_g", "_t"]).reset_index(drop=True)
