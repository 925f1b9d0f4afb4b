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
from itertools import compress
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .errors import CodebookError, ParameterError
from .lexicon import english_term_pattern, fold_width, fold_width_all, term_pattern, whole_words
from .screen import Screen, literals, requirement

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
                      only: list[int] | None = None, unless: list[int] | None = None) -> list[tuple[str, int, int]]:
    """(term, start, end) of every hit of one theme in one text, after exclusions and overlap.

    ``only``: indices of the theme's matchers worth running, ``unless``: of its exclusions
    (the others cannot match here, see :func:`find_theme_hits`); all of them by default.
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
    excluded = [m.span() for index in (range(len(exclusions)) if unless is None else unless)
                for m in exclusions[index].finditer(folded)]
    kept: list[tuple[str, int, int]] = []
    for start, _, _, term, end in sorted(found):
        if _overlaps(start, end, excluded):
            continue
        if not kept or start >= kept[-1][2]:
            kept.append((term, start, end))
    return kept


@lru_cache(maxsize=256)
def _tagging_plan(theme: Theme) -> tuple[tuple[list, list], list, list]:
    """A theme's compiled (matchers, exclusions) and what each matcher and each exclusion
    requires: made once per theme, not once per document of a folder."""
    compiled = (theme.matchers(), theme.exclusions())
    return compiled, [requirement(pattern) for _, pattern in compiled[0]], [requirement(p) for p in compiled[1]]


@dataclass(frozen=True)
class _CodebookPlan:
    """What tagging with a list of themes needs that no text changes, made once per process."""

    plans: list  # per theme: (theme, compiled matchers and exclusions, what each exclusion requires)
    needs: list  # what each matcher of every theme requires, theme after theme
    theme: np.ndarray  # for each of those matchers, its theme's place in ``plans``...
    index: np.ndarray  # ...and its place among that theme's matchers
    literals: tuple[str, ...]  # every literal the requirements name, for the screen's one pass


@lru_cache(maxsize=16)
def _codebook_plan(themes: tuple[Theme, ...]) -> _CodebookPlan:
    plans = [(theme, *_tagging_plan(theme)) for theme in themes]
    needs = [need for _, _, matcher_needs, _ in plans for need in matcher_needs]
    theme = np.array([order for order, (_, _, matcher_needs, _) in enumerate(plans) for _ in matcher_needs], dtype=np.int64)
    index = np.array([index for _, _, matcher_needs, _ in plans for index in range(len(matcher_needs))], dtype=np.int64)
    every_need = needs + [need for _, _, _, exclusion_needs in plans for need in exclusion_needs]
    named = tuple(dict.fromkeys(literal for need in every_need for literal in literals(need)))
    return _CodebookPlan([(t, compiled, exclusion_needs) for t, compiled, _, exclusion_needs in plans],
                         needs, theme, index, named)


def find_theme_hits(segments: pd.DataFrame, themes: list[Theme], roles=("answer", "question")) -> pd.DataFrame:
    """The theme_hits table for the units of the given roles (see module docstring).

    Each indicator, and each exclusion, only runs on the units that hold the literal strings
    any of its matches must contain (:mod:`analysis.screen`): the result is the same as
    running every indicator and exclusion on every unit, which is what
    :func:`find_hits_in_text` does alone. The pairs (unit, indicator) left to run are taken
    unit by unit, and within a unit theme by theme: the order of the table, so its rows are
    made in place.
    """
    chosen = segments["role"].isin(roles).to_numpy()
    ids = list(compress(segments["segment_id"].tolist(), chosen))
    raw = list(compress(segments["text"].tolist(), chosen))
    texts = fold_width_all(raw)
    plan = _codebook_plan(tuple(themes))
    screen = Screen(texts, plan.literals)
    # rows: units; columns: every matcher of every theme; nonzero goes row by row
    unit, matcher = np.nonzero(screen.table([screen.mask(need) for need in plan.needs]).T)
    theme = plan.theme[matcher]
    firsts = np.flatnonzero(np.diff(unit * len(plan.plans) + theme, prepend=-1)).tolist()
    unit, theme, index = unit.tolist(), theme.tolist(), plan.index[matcher].tolist()
    exclusions = [[screen.mask(need) for need in exclusion_needs] for _, _, exclusion_needs in plan.plans]
    rows = []
    for first, end in zip(firsts, firsts[1:] + [len(index)]):  # one unit, one theme
        at, (tagged, compiled, _) = unit[first], plan.plans[theme[first]]
        unless = [number for number, mask in enumerate(exclusions[theme[first]]) if mask >> at & 1]
        rows += [(ids[at], tagged.id, term, raw[at][start:stop], start, stop)
                 for term, start, stop in find_hits_in_text("", tagged, compiled, texts[at], index[first:end], unless)]
    hits = pd.DataFrame(rows, columns=HIT_COLUMNS)
    if not rows:  # columns of rows are typed by their values; without rows they are objects
        hits = hits.astype({"char_start": "int64", "char_end": "int64"})
    return hits


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
