"""The analyst's explorer: counts and concordance lines for a theme, a term, or both, per guest.

:func:`explore` is the pure part (tested) and the one search behind both the notebook's
widget and ``python -m analysis kwic``: a theme, a term and a set of guests combine (theme AND
term: the term's passages in paragraphs that carry the theme; guests restrict). A term is
found by :func:`analysis.kwic.kwic` — width- and case-insensitive, with the lexicon's synonyms.
Nothing matching, or no guest selected, gives a message instead of an empty or an
unrestricted table.

:func:`explorer_widget` wraps it in ipywidgets for JupyterLab; :func:`static_summary` is what
a page without a live kernel (the HTML export) shows instead.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .kwic import KWIC_COLUMNS, evidence_for, kwic, kwic_for_hits
from .paths import PROJECT_ROOT

#: the lines' columns: the kwic.csv schema and ``entry``, the codebook entry in words
LINE_COLUMNS = KWIC_COLUMNS + ["entry"]
COUNT_COLUMNS = ["guest", "matches", "paragraphs", "answer_paragraphs", "share"]
#: where the explorer's CSV exports go (``make clean`` removes scratch/); never a root's folders
EXPORTS = PROJECT_ROOT / "scratch" / "explorer"

_FONT = "font-family:'Noto Sans Mono CJK SC','Noto Sans CJK SC','Noto Sans Mono',monospace;font-size:13px;"
_MONO = _FONT + "white-space:nowrap"


# -- the codebook entry in words -------------------------------------------------------------
_REGEX_META = re.compile(r"[\\\[\](){}|?*+^$]")


@lru_cache(maxsize=8)
def _codebook_patterns(path: str | None) -> dict[str, frozenset[str]]:
    from .themes import load_codebook

    try:
        return {theme.id: frozenset((*theme.patterns, *theme.patterns_en)) for theme in load_codebook(path)}
    except Exception:  # the codebook moved or changed since the build: fall back to the regex test
        return {}


def describe_pattern(pattern: str) -> str:
    """A codebook regex as a reader says it: ``(与|和)(终端)?用户[^。,]{0,4}(接触|连接)`` → ``与/和[终端]用户…接触/连接``.

    ``…`` is a short gap, ``a/b`` a choice, ``[x]`` optional.
    """
    text = re.sub(r"\[\^[^\]]*\](?:\{\d*,?\d*\}|[*+?])?", "…", pattern)  # gaps
    text = text.replace("(?:", "(")
    for _ in range(4):  # innermost groups first: (a|b)? → [a/b], (a|b) → a/b
        text = re.sub(r"\(([^()]*)\)\?", lambda m: "[" + m.group(1).replace("|", "/") + "]", text)
        text = re.sub(r"\(([^()]*)\)", lambda m: m.group(1).replace("|", "/"), text)
    text = re.sub(r"\\(.)", r"\1", text).replace("|", " / ")
    return text


def entry_of(theme: str, term: str, patterns: dict[str, frozenset[str]]) -> str:
    """What a reader sees for a codebook entry: the term as written, or ``pattern ≈ …`` for a regex."""
    known = patterns.get(theme)
    is_pattern = term in known if known is not None else bool(_REGEX_META.search(term))
    return f"pattern ≈ {describe_pattern(term)}" if is_pattern else term


def percent(part: int, whole: int) -> str:
    """``'23.5% (4/17)'``; ``'–'`` for nothing to divide by."""
    return f"{100 * part / whole:.1f}% ({part}/{whole})" if whole else "– (0/0)"


# -- the search ------------------------------------------------------------------------------
@dataclass
class Exploration:
    """One explorer view: counts per guest, the concordance lines, and a message when there is nothing to show."""

    counts: pd.DataFrame
    lines: pd.DataFrame
    message: str = ""
    theme: str = ""
    term: str = ""
    guests: list[str] = field(default_factory=list)
    every_guest: bool = False  # the guests are all there are

    def __iter__(self):  # counts, lines = explore(...)
        return iter((self.counts, self.lines))

    @property
    def query(self) -> str:
        return " AND ".join(([f"theme {self.theme}"] if self.theme else []) + ([f"term “{self.term}”"] if self.term else []))

    @property
    def who(self) -> str:
        return "all guests" if self.every_guest else f"guests: {', '.join(self.guests)}"

    @property
    def title(self) -> str:
        return f"{self.query} · {self.who}"

    def _repr_html_(self) -> str:
        if self.message:
            return f"<p style='color:#a33;font-weight:bold'>{html.escape(self.message)}</p>"
        return (f"<p><b>{html.escape(self.title)}</b></p>" + counts_html(self.counts)
                + f"<p>{len(self.lines)} passage(s)</p>" + kwic_html(self.lines))

    def __str__(self) -> str:
        if self.message:
            return self.message
        return self.counts.to_string(index=False) + "\n\n" + kwic_text(self.lines)


def _empty(guests: list[str], message: str, theme: str, term: str) -> Exploration:
    return Exploration(pd.DataFrame(columns=COUNT_COLUMNS), pd.DataFrame(columns=LINE_COLUMNS), message, theme, term,
                       guests)


def explore(study, theme: str = "", term: str = "", guests: list[str] | None = None, width: int = 25) -> Exploration:
    """Counts per guest and concordance lines for a theme, a term, or a term within a theme's paragraphs.

    ``guests``: None for the notebook's selection (all by default); an empty list selects no one
    and says so. A term is searched by :func:`analysis.kwic.kwic` (what ``python -m analysis kwic``
    prints). ``share`` is the guest's answer paragraphs with a match, as ``'23.5% (4/17)'``.
    """
    theme, term = (theme or "").strip(), (term or "").strip()
    if guests is not None and len(guests) == 0:
        return _empty([], "no guest selected: select at least one guest", theme, term)
    guests = study.select_guests(guests)
    if theme:
        study.select_themes([theme])  # an unknown theme lists the valid ones
    if not theme and not term:
        return _empty(guests, "choose a theme or type a term", theme, term)
    segments = study.tables["segments"]
    if term:
        lines = kwic(segments, term, width=width, lexicon=study.lexicon)
        spellings = study.lexicon.spellings(term)
        lines["entry"] = "term: " + " = ".join(dict.fromkeys([term] + spellings[1:]))
        if theme:
            hits = study.tables["theme_hits"]
            tagged = set(hits.loc[hits["theme"] == theme, "segment_id"])
            lines = lines[lines["segment_id"].isin(tagged)].assign(theme=theme)
    else:
        hits = study.tables["theme_hits"]
        lines = kwic_for_hits(segments, hits[hits["theme"] == theme], width=width)
        patterns = _codebook_patterns(study.build_parameters.get("codebook"))
        lines["entry"] = [entry_of(t, e, patterns) for t, e in zip(lines["theme"], lines["term"])]
    lines = lines[lines["guest"].isin(guests)].reset_index(drop=True)[LINE_COLUMNS]
    paragraphs = study.dfm("paragraph").group("guest").docvars.set_index("guest")["units"]
    matched = lines.groupby("guest")["segment_id"].nunique()
    counts = pd.DataFrame({
        "guest": guests,
        "matches": [int((lines["guest"] == g).sum()) for g in guests],
        "paragraphs": [int(matched.get(g, 0)) for g in guests],
        "answer_paragraphs": [int(paragraphs.get(g, 0)) for g in guests],
    })
    counts["share"] = [percent(k, n) for k, n in zip(counts["paragraphs"], counts["answer_paragraphs"])]
    result = Exploration(counts, lines, "", theme, term, guests, every_guest=guests == study.guests)
    if lines.empty:
        result.message = f"no passage matches {result.query} in the answers ({result.who})"
    return result


# -- showing lines -----------------------------------------------------------------------------
def _flat(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ⏎ ", str(text))


def display_width(text: str) -> int:
    """Terminal columns: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def kwic_text(lines: pd.DataFrame) -> str:
    """Concordance lines for a terminal: left context right-aligned, the match in 【】, columns aligned."""
    if lines.empty:
        return ""
    lefts = [_flat(t) for t in lines["left"]]
    guests = list(lines["guest"])
    pad = max(map(display_width, lefts))
    gpad = max(map(display_width, guests))
    out = []
    for guest, left, row in zip(guests, lefts, lines.itertuples(index=False)):
        out.append(f"{guest}{' ' * (gpad - display_width(guest))}  {' ' * (pad - display_width(left))}{left}"
                   f"【{row.match}】{_flat(row.right)}  {row.segment_id}  {row.entry if 'entry' in lines else row.term}")
    return "\n".join(out)


def _td(text, style: str = "", limit: int | None = None) -> str:
    """A cell that never wraps (JupyterLab's and nbconvert's stylesheets set ``white-space: normal`` on td);
    text longer than ``limit`` characters is cut with … and shown whole as a tooltip."""
    text = _flat(text)
    title = ""
    if limit and len(text) > limit:
        title, text = f' title="{html.escape(text)}"', text[: limit - 1] + "…"
    return f'<td style="padding:1px 6px;border:none;white-space:nowrap;{style}"{title}>{html.escape(text)}</td>'


def kwic_html(lines: pd.DataFrame, max_rows: int | None = 500, group: str | None = None) -> str:
    """Concordance lines as a table that never wraps: left context right-aligned, the match, right context.

    ``group``: a column whose change starts a heading row (the static summary groups by theme).
    """
    head = "".join(f'<th style="padding:1px 6px;text-align:{a};white-space:nowrap">{h}</th>' for h, a in [
        ("guest", "left"), ("¶", "left"), ("codebook entry", "left"), ("left context", "right"), ("match", "center"),
        ("right context", "left")])
    rows, current = [], None
    shown = lines if max_rows is None else lines.head(max_rows)
    for row in shown.itertuples(index=False):
        if group and getattr(row, group) != current:
            current = getattr(row, group)
            rows.append(f"<tr><td colspan='6' style='padding:6px 6px 2px;text-align:left;font-weight:bold;"
                        f"border-bottom:1px solid #ccc'>{html.escape(str(current))}</td></tr>")
        rows.append("<tr>" + _td(row.guest, _FONT + "text-align:left")
                    + _td(row.segment_id.rsplit("-", 1)[-1], _FONT + "color:#888")
                    + _td(row.entry, _FONT + "text-align:left;color:#666", limit=22)
                    + _td(row.left, _FONT + "text-align:right")
                    + _td(row.match, _FONT + "text-align:center;font-weight:bold;color:#b30000;background:#fff3cd")
                    + _td(row.right, _FONT + "text-align:left") + "</tr>")
    more = "" if max_rows is None or len(lines) <= max_rows else f"<p>… {len(lines) - max_rows} more (export to CSV)</p>"
    return (f'<div style="overflow-x:auto;max-width:100%"><table class="kwic" style="border-collapse:collapse;{_MONO}">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{more}")


def counts_html(counts: pd.DataFrame) -> str:
    head = "".join(f"<th style='padding:1px 8px;text-align:{a}'>{h}</th>" for h, a in [
        ("guest", "left"), ("passages", "right"), ("paragraphs with a match", "right"), ("share of answer paragraphs", "right")])
    rows = "".join("<tr>" + _td(r.guest, "text-align:left") + _td(r.matches, "text-align:right")
                   + _td(f"{r.paragraphs} / {r.answer_paragraphs}", "text-align:right")
                   + _td(r.share.split(" ")[0], "text-align:right") + "</tr>" for r in counts.itertuples(index=False))
    return f"<table style='border-collapse:collapse;white-space:nowrap'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


# -- export ------------------------------------------------------------------------------------
def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text, flags=re.UNICODE).strip("-")[:40] or "all"


def export_selection(result: Exploration, folder: Path | str | None = None) -> Path:
    """Write the lines on screen to ``scratch/explorer/`` (or ``folder``) as UTF-8 CSV; return the file."""
    folder = Path(folder) if folder else EXPORTS
    folder.mkdir(parents=True, exist_ok=True)
    guests = "all-guests" if result.every_guest or not result.guests else "-".join(result.guests)
    name = "explorer_" + "_".join(_slug(p) for p in (result.theme or "any-theme", result.term or "any-term", guests))
    path = folder / f"{name}.csv"
    result.lines.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


# -- the page without a kernel ---------------------------------------------------------------
@dataclass
class Summary:
    """Concordance lines grouped by theme, for a page without a live kernel (the HTML export)."""

    lines: pd.DataFrame
    per_cell: int
    note: str = ""

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.note)}</p>" + kwic_html(self.lines, max_rows=None, group="heading")

    def __repr__(self) -> str:
        return kwic_text(self.lines)


def passages(study, lines: pd.DataFrame, per_cell: int, note: str = "") -> Summary:
    """Lines of the kwic table (e.g. :func:`analysis.kwic.evidence_for`) with their codebook entry in words,
    grouped under a heading per theme."""
    patterns = _codebook_patterns(study.build_parameters.get("codebook"))
    names = study.theme_names()
    lines = lines.assign(entry=[entry_of(t, e, patterns) for t, e in zip(lines["theme"], lines["term"])],
                         heading=[f"{t} · {names.get(t, t)}" for t in lines["theme"]])
    return Summary(lines.reset_index(drop=True), per_cell, note)


def evidence_view(study, guests: list[str], themes: list[str], per_cell: int = 3) -> Summary:
    """Notebook 02's evidence: the first ``per_cell`` passages (one per paragraph) per theme and guest."""
    lines = evidence_for(study.tables["kwic"], guests, themes, per_cell=per_cell)
    return passages(study, lines, per_cell, f"{len(lines)} passages: per theme and guest, the first {per_cell} answer "
                                            "paragraph(s) with a codebook hit, one line each.")


def static_summary(study, per_cell: int = 2, width: int = 20) -> Summary:
    """For each theme and guest, the ``per_cell`` answer paragraphs with the most hits of the theme, one line each."""
    guests, themes = study.select_guests(), study.select_themes()
    hits = study.tables["theme_hits"]
    hits = hits[hits["theme"].isin(themes)]
    lines = kwic_for_hits(study.tables["segments"], hits, width=width)
    lines = lines[lines["guest"].isin(guests)]
    per_paragraph = lines.groupby(["theme", "segment_id"])["match"].transform("size")
    lines = lines.assign(_hits=per_paragraph, _g=lines["guest"].map({g: i for i, g in enumerate(guests)}),
                         _t=lines["theme"].map({t: i for i, t in enumerate(themes)}))
    lines = lines.sort_values(["_t", "_g", "_hits", "segment_id", "char_start"], ascending=[True, True, False, True, True])
    lines = lines.drop_duplicates(["theme", "segment_id"]).groupby(["theme", "guest"], sort=False).head(per_cell)
    lines = lines.drop(columns=["_hits", "_g", "_t"])
    return passages(study, lines, per_cell, f"{len(lines)} passages: per theme and guest, the {per_cell} answer "
                                            "paragraph(s) with the most codebook hits, one line each.")


# -- the live widget ---------------------------------------------------------------------------
def explorer_widget(study, theme: str = "", term: str = "", guests: list[str] | None = None, width: int = 25):
    """Theme dropdown, term box, guest selector, context width and a CSV export; re-renders on change.

    The view on screen is ``widget.result`` (an :class:`Exploration`). Outside a live kernel (an
    HTML export) the widget shows a one-line note; the notebook shows :func:`static_summary` there.
    """
    try:
        import ipywidgets as widgets
        from IPython.display import HTML, display
    except ImportError:  # pragma: no cover - ipywidgets is a dependency, but a bare kernel may lack it
        print("ipywidgets is not installed: use explore() directly")
        return None

    names = study.theme_names()
    theme_box = widgets.Dropdown(options=[("(any theme)", "")] + [(f"{t} · {names[t]}", t) for t in study.themes],
                                 value=theme or "", description="theme")
    term_box = widgets.Text(value=term, description="term", placeholder="any word, e.g. 白嫖 (Enter)",
                            continuous_update=False)
    chosen = study.select_guests(guests)
    guest_box = widgets.SelectMultiple(options=study.guests, value=tuple(chosen), description="guests",
                                       rows=min(6, len(study.guests)))
    width_box = widgets.IntSlider(value=width, min=5, max=80, step=5, description="context")
    export = widgets.Button(description="export CSV", icon="download",
                            tooltip="write the lines shown to scratch/explorer/")
    status = widgets.HTML()
    output = widgets.Output()
    container = _Explorer([widgets.HBox([theme_box, term_box]), widgets.HBox([guest_box, width_box]),
                           widgets.HBox([export, status]), output])
    container.result = None

    def render(*_):
        status.value = ""
        try:
            result = explore(study, theme_box.value, term_box.value, list(guest_box.value), width_box.value)
        except Exception as err:  # a bad term or theme: say so in the view, keep the widget alive
            result = _empty(list(guest_box.value), f"error: {err}", theme_box.value, term_box.value)
        container.result = result
        export.disabled = result.lines.empty
        output.clear_output(wait=True)
        with output:
            display(HTML(result._repr_html_()))

    def save(_):
        if container.result is None or container.result.lines.empty:
            status.value = "nothing to export"
            return
        path = export_selection(container.result)
        status.value = f"wrote <code>{html.escape(str(path))}</code> ({len(container.result.lines)} lines)"

    for box in (theme_box, term_box, guest_box, width_box):
        box.observe(render, names="value")
    export.on_click(save)
    render()
    return container


@lru_cache(maxsize=None)
def _explorer_class():
    import ipywidgets as widgets

    class Explorer(widgets.VBox):
        """A VBox whose display also carries a short HTML note for pages that cannot run widgets."""

        def _repr_mimebundle_(self, **kwargs):
            bundle = super()._repr_mimebundle_(**kwargs)
            if bundle:
                bundle["text/html"] = ("<p><i>The live explorer needs a running kernel: open this notebook in "
                                       "JupyterLab (<code>make lab</code>). The summary below lists the top "
                                       "passages.</i></p>")
                bundle["text/plain"] = "explorer widget: open this notebook in JupyterLab"
            return bundle

    return Explorer


def _Explorer(children):
    return _explorer_class()(children)
