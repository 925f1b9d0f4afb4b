"""Stage 3a — the theme codebook and the dictionary tagger that applies it.

The codebook (``src/analysis/lexicons/codebook.yaml``) is data: adding a theme means adding
an entry there. Each theme has an ``id``, ``label_zh``, ``label_en``, a one-line
``definition``, and indicators in two editions, one per document language (see
``segments.language``):

* Chinese: ``terms``, optional regex ``patterns`` and optional ``exclude`` entries (literal
  strings, or regexes prefixed ``re:``) for false friends. Latin words that Chinese writers
  use as they are (ARR, PLG, CEO, license) belong here;
* English: ``terms_en``, ``patterns_en``, ``exclude_en``, the same definitions in English words.

Every indicator is matched in every document, whatever its language (a Chinese chapter may
quote "product-led growth", a translation may keep 出海); an edition only says which
language the codebook covers (:meth:`Theme.languages`): where a document's language has no
terms in a theme, the build warns (:func:`coverage_warnings`), because its shares would read
as "never discussed".

Matching, on width-folded text and case-insensitively: a term that starts or ends with a
Latin character only matches at a Latin word boundary; CJK terms match as substrings;
spaces between Latin and CJK are optional (see :func:`analysis.lexicon.term_pattern`).
English terms also match with a hyphen for a space (and the reverse) and in the plural
(:func:`analysis.lexicon.english_term_pattern`); English patterns match whole words only
(:func:`analysis.lexicon.whole_words`).
Overlapping hits of one theme keep the longest; a hit overlapping an exclusion is dropped.

Schema of ``theme_hits.csv`` (one row per hit, in document order):

==========  =======================================================================
segment_id  the unit (answers and questions are both tagged; see ``segments.role``)
theme       theme id from the codebook
term        the codebook term or pattern that matched
match       the text as written in the unit
char_start  offset of the match in ``segments.text`` of that unit
char_end    offset one past its end: ``text[char_start:char_end] == match``
==========  =======================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .errors import CodebookError, ParameterError
from .lexicon import english_term_pattern, fold_width, term_pattern, whole_words
from .screen import Screen, requirement

HIT_COLUMNS = ["segment_id", "theme", "term", "match", "char_start", "char_end"]
TAG_COLUMNS = ["segment_id", "theme", "hits", "terms"]
THEME_TABLE_COLUMNS = ["theme", "label_zh", "label_en", "definition", "terms", "patterns", "exclusions",
                       "terms_en", "patterns_en", "exclusions_en", "languages"]
_ID = re.compile(r"^[A-Z][A-Z0-9_]*$")
#: codebook fields of each language's edition: (terms, patterns, exclude)
EDITIONS = {"zh": ("terms", "patterns", "exclude"), "en": ("terms_en", "patterns_en", "exclude_en")}
LANGUAGE_NAMES = {"zh": "Chinese", "en": "English"}


@dataclass(frozen=True)
class Theme:
    id: str
    label_zh: str
    label_en: str
    definition: str
    terms: tuple[str, ...]
    patterns: tuple[str, ...]
    exclude: tuple[str, ...]
    terms_en: tuple[str, ...] = ()
    patterns_en: tuple[str, ...] = ()
    exclude_en: tuple[str, ...] = ()

    def languages(self) -> tuple[str, ...]:
        """The document languages the theme has indicators (terms or patterns) for."""
        return tuple(lang for lang, (terms, patterns, _) in EDITIONS.items()
                     if getattr(self, terms) or getattr(self, patterns))

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang == "en" else self.label_zh

    def matchers(self) -> list[tuple[str, re.Pattern]]:
        """(term, compiled regex) for every term and pattern."""
        out = [(term, re.compile(term_pattern(term), re.IGNORECASE)) for term in self.terms]
        out += [(pattern, re.compile(pattern, re.IGNORECASE)) for pattern in self.patterns]
        out += [(term, re.compile(english_term_pattern(term), re.IGNORECASE)) for term in self.terms_en]
        out += [(pattern, re.compile(whole_words(pattern), re.IGNORECASE)) for pattern in self.patterns_en]
        return out

    def exclusions(self) -> list[re.Pattern]:
        def compiled(item: str, literal) -> re.Pattern:
            return re.compile(item[3:] if item.startswith("re:") else literal(item), re.IGNORECASE)

        return ([compiled(item, term_pattern) for item in self.exclude]
                + [compiled(item, english_term_pattern) for item in self.exclude_en])


def default_codebook_path() -> Path:
    return Path(str(resources.files("analysis") / "lexicons" / "codebook.yaml"))


def _strings(value, path: Path, theme: str, field: str, required: bool) -> tuple[str, ...]:
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise CodebookError(f"{path}: theme {theme!r}, field {field!r}: expected a list of strings")
    items = tuple(str(v).strip() for v in value if str(v).strip())
    if required and not items:
        raise CodebookError(f"{path}: theme {theme!r}, field {field!r}: must not be empty")
    return items


def load_codebook(path: Path | str | None = None) -> list[Theme]:
    """Read and validate the codebook; a malformed one names the theme and the field."""
    path = Path(path) if path else default_codebook_path()
    if not path.exists():
        raise CodebookError(f"{path}: codebook not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise CodebookError(f"{path}: not valid YAML{where}") from None
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list) or not data["themes"]:
        raise CodebookError(f"{path}: expected a top-level 'themes:' list")
    themes, seen = [], set()
    for index, entry in enumerate(data["themes"], start=1):
        if not isinstance(entry, dict):
            raise CodebookError(f"{path}: theme #{index}: expected a mapping with id, labels, terms")
        theme_id = entry.get("id")
        if not isinstance(theme_id, str) or not _ID.match(theme_id):
            raise CodebookError(f"{path}: theme #{index}, field 'id': expected an UPPER_SNAKE id, got {theme_id!r}")
        if theme_id in seen:
            raise CodebookError(f"{path}: theme {theme_id!r}, field 'id': defined twice")
        seen.add(theme_id)
        for field in ("label_zh", "label_en", "definition"):
            if not isinstance(entry.get(field), str) or not entry[field].strip():
                raise CodebookError(f"{path}: theme {theme_id!r}, field {field!r}: missing or empty")
        fields = [name for edition in EDITIONS.values() for name in edition]
        unknown = set(entry) - {"id", "label_zh", "label_en", "definition", *fields}
        if unknown:
            raise CodebookError(f"{path}: theme {theme_id!r}, field {sorted(unknown)[0]!r}: unknown field")
        # a theme needs indicators in at least one language; which ones it lacks is a warning
        # per document (coverage_warnings), not an error: an English-only codebook is fine
        indicators = any(entry.get(terms) or entry.get(patterns) for terms, patterns, _ in EDITIONS.values())
        lists = {name: _strings(entry.get(name), path, theme_id, name, required=False) for name in fields}
        if not indicators:
            raise CodebookError(f"{path}: theme {theme_id!r}, field 'terms': must not be empty "
                                "(give terms or patterns, in terms/patterns or terms_en/patterns_en)")
        checked = [(name, lists[name]) for name in ("patterns", "patterns_en")]
        checked += [(name, [e[3:] for e in lists[name] if e.startswith("re:")]) for name in ("exclude", "exclude_en")]
        for field, items in checked:
            for pattern in items:
                try:
                    compiled = re.compile(pattern)
                except re.error as err:
                    raise CodebookError(
                        f"{path}: theme {theme_id!r}, field {field!r}: invalid regex {pattern!r} ({err})"
                    ) from None
                if compiled.match(""):
                    raise CodebookError(f"{path}: theme {theme_id!r}, field {field!r}: regex {pattern!r} matches empty text")
        themes.append(
            Theme(theme_id, entry["label_zh"].strip(), entry["label_en"].strip(), " ".join(entry["definition"].split()),
                  lists["terms"], lists["patterns"], lists["exclude"],
                  lists["terms_en"], lists["patterns_en"], lists["exclude_en"])
        )
    return themes


def codebook_table(themes: list[Theme]) -> pd.DataFrame:
    """The codebook as a table: theme, labels, definition, and how many indicators it has."""
    return pd.DataFrame(
        [
            {"theme": t.id, "label_zh": t.label_zh, "label_en": t.label_en, "definition": t.definition,
             "terms": len(t.terms), "patterns": len(t.patterns), "exclusions": len(t.exclude),
             "terms_en": len(t.terms_en), "patterns_en": len(t.patterns_en), "exclusions_en": len(t.exclude_en),
             "languages": " ".join(t.languages())}
            for t in themes
        ],
        columns=THEME_TABLE_COLUMNS,
    )


def coverage_warnings(document_languages: dict[str, str], theme_languages: dict[str, list[str] | tuple[str, ...]]) -> list[str]:
    """One warning line per document whose language some themes have no terms for.

    ``document_languages``: document → ``zh``/``en`` (the segments' ``language``);
    ``theme_languages``: theme id → the languages it has terms for (:meth:`Theme.languages`,
    or ``themes.csv``'s ``languages`` split). Such a document's shares of those themes are
    zero by construction, not because nobody discussed them.
    """
    lines = []
    for document, language in document_languages.items():
        missing = [theme for theme, languages in theme_languages.items() if language not in languages]
        if not missing:
            continue
        name = LANGUAGE_NAMES.get(language, language)
        which = "any theme" if len(missing) == len(theme_languages) else "themes " + ", ".join(missing)
        lines.append(f"warning: {document}: language {language}, but the codebook has no {name} terms for "
                     f"{which}: their shares there are 0 by construction")
    return lines


def document_languages(segments: pd.DataFrame) -> dict[str, str]:
    """document → language, in corpus order (``zh`` for a segments table without the column)."""
    if "language" not in segments.columns:
        return dict.fromkeys(segments["document"], "zh")
    return dict(zip(segments["document"], segments["language"]))


def select_themes(themes: list[Theme], wanted: list[str] | None) -> list[Theme]:
    """The themes named in ``wanted`` (all when empty); an unknown id lists the valid ones."""
    if not wanted:
        return themes
    by_id = {t.id: t for t in themes}
    unknown = [w for w in wanted if w not in by_id]
    if unknown:
        raise ParameterError(f"unknown theme {unknown[0]!r}; valid themes: {', '.join(by_id)}")
    return [by_id[w] for w in wanted]


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < s_end and s_start < end for s_start, s_end in spans)


def find_hits_in_text(text: str, theme: Theme, _compiled=None, folded: str | None = None,
                      only: list[int] | None = None) -> list[tuple[str, int, int]]:
    """(term, start, end) of every hit of one theme in one text, after exclusions and overlap.

    ``only``: indices of the theme's matchers worth running (the others cannot match here,
    see :func:`find_theme_hits`); all of them by default.
    """
    matchers, exclusions = _compiled or (theme.matchers(), theme.exclusions())
    folded = fold_width(text) if folded is None else folded
    # matchers list the Chinese edition first: on a tie (same span) its term is the one reported,
    # so adding English terms never renames a hit of a Chinese chapter ("stars" stays "stars")
    chinese = len(theme.terms) + len(theme.patterns)
    found = []
    for index in range(len(matchers)) if only is None else only:
        term, pattern = matchers[index]
        for match in pattern.finditer(folded):
            if match.end() > match.start():
                found.append((match.start(), -(match.end() - match.start()), index >= chinese, term, match.end()))
    if not found:
        return []
    excluded = [m.span() for pattern in exclusions for m in pattern.finditer(folded)]
    kept: list[tuple[str, int, int]] = []
    for start, _, _, term, end in sorted(found):
        if _overlaps(start, end, excluded):
            continue
        if not kept or start >= kept[-1][2]:
            kept.append((term, start, end))
    return kept


@lru_cache(maxsize=256)
def _tagging_plan(theme: Theme) -> tuple[tuple[list, list], list]:
    """A theme's compiled (matchers, exclusions) and what each matcher requires: made once per
    theme, not once per document of a folder."""
    compiled = (theme.matchers(), theme.exclusions())
    return compiled, [requirement(pattern) for _, pattern in compiled[0]]


def find_theme_hits(segments: pd.DataFrame, themes: list[Theme], roles=("answer", "question")) -> pd.DataFrame:
    """The theme_hits table for the units of the given roles (see module docstring).

    Each indicator only runs on the units that hold the literal strings any of its matches
    must contain (:mod:`analysis.screen`): the result is the same as running every indicator
    on every unit, which is what :func:`find_hits_in_text` does alone.
    """
    units = segments[segments["role"].isin(roles)]
    texts = [fold_width(text) for text in units["text"]]
    screen = Screen(texts)
    plans = []
    for theme in themes:
        compiled, needs = _tagging_plan(theme)
        masks = np.column_stack([screen.candidates(need) for need in needs] + [np.zeros((len(texts), 0), dtype=bool)])
        plans.append((theme, compiled, masks))
    found: dict[int, list] = {}
    for order, (theme, compiled, masks) in enumerate(plans):
        for unit in np.flatnonzero(masks.any(axis=1)):
            hits = find_hits_in_text("", theme, compiled, texts[unit], np.flatnonzero(masks[unit]).tolist())
            if hits:
                found.setdefault(unit, []).append((order, hits))
    ids, raw = units["segment_id"].tolist(), units["text"].tolist()
    rows = [(ids[unit], plans[order][0].id, term, raw[unit][start:end], start, end)
            for unit in sorted(found) for order, hits in found[unit]  # appended in theme order
            for term, start, end in hits]
    hits = pd.DataFrame(rows, columns=HIT_COLUMNS)
    return hits.astype({"char_start": "int64", "char_end": "int64"})


def tag_segments(hits: pd.DataFrame) -> pd.DataFrame:
    """One row per (unit, theme) with at least one hit: how many hits and which terms."""
    if hits.empty:
        return pd.DataFrame(columns=TAG_COLUMNS)
    grouped = hits.groupby(["segment_id", "theme"], sort=False)
    return pd.DataFrame(
        {
            "hits": grouped.size(),
            "terms": grouped["term"].agg(lambda terms: "; ".join(dict.fromkeys(terms))),
        }
    ).reset_index()[TAG_COLUMNS]


def theme_indicator(segments: pd.DataFrame, hits: pd.DataFrame, themes: list[Theme], role: str = "answer") -> pd.DataFrame:
    """A 0/1 table, units of ``role`` × themes, in segment order (for matrices and validation)."""
    units = segments.loc[segments["role"] == role, "segment_id"]
    columns = [t.id for t in themes]
    rows = pd.Index(units).get_indexer(hits["segment_id"])
    cols = pd.Index(columns).get_indexer(hits["theme"])
    known = (rows >= 0) & (cols >= 0)  # hits of other roles or of themes not asked for
    matrix = np.zeros((len(units), len(columns)), dtype="int64")
    matrix[rows[known], cols[known]] = 1
    return pd.DataFrame(matrix, index=pd.Index(units, name="segment_id"), columns=pd.Index(columns, name="theme"))
