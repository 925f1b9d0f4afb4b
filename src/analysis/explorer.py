"""The analyst's explorer: counts and concordance lines for a theme or any term.

:func:`explore` is the pure part (tested); :func:`explorer_widget` wraps it in ipywidgets
for JupyterLab and does nothing harmful when executed headless.
"""

from __future__ import annotations

import pandas as pd

from .kwic import KWIC_COLUMNS, kwic, kwic_for_hits
from .errors import ParameterError


def explore(study, theme: str = "", term: str = "", guests: list[str] | None = None, width: int = 25):
    """(counts per guest, concordance lines) for a codebook theme, or else for a free term."""
    guests = study.select_guests(guests)
    segments = study.tables["segments"]
    if theme:
        study.select_themes([theme])
        hits = study.tables["theme_hits"]
        lines = kwic_for_hits(segments, hits[hits["theme"] == theme], width=width)
    elif term:
        lines = kwic(segments, term, width=width)
    else:
        raise ParameterError("give a theme id or a term to explore")
    lines = lines[lines["guest"].isin(guests)].reset_index(drop=True)
    paragraphs = study.dfm("paragraph").group("guest").docvars.set_index("guest")["units"]
    matched = lines.groupby("guest")["segment_id"].nunique()
    counts = pd.DataFrame({
        "guest": guests,
        "matches": [int((lines["guest"] == g).sum()) for g in guests],
        "paragraphs": [int(matched.get(g, 0)) for g in guests],
        "answer_paragraphs": [int(paragraphs.get(g, 0)) for g in guests],
    })
    counts["share"] = (counts["paragraphs"] / counts["answer_paragraphs"]).where(counts["answer_paragraphs"] > 0)
    return counts, lines[KWIC_COLUMNS]


def explorer_widget(study, theme: str = "", term: str = "", guests: list[str] | None = None, width: int = 25):
    """Dropdown (theme), text box (term), guest selector and context width; re-renders on change."""
    try:
        import ipywidgets as widgets
        from IPython.display import display
    except ImportError:  # pragma: no cover - ipywidgets is a dependency, but a bare kernel may lack it
        print("ipywidgets is not installed: use explore() directly")
        return None

    names = study.theme_names()
    theme_box = widgets.Dropdown(options=[("(term search)", "")] + [(f"{t} · {names[t]}", t) for t in study.themes],
                                 value=theme or "", description="theme")
    term_box = widgets.Text(value=term, description="term", placeholder="any word, e.g. 白嫖")
    guest_box = widgets.SelectMultiple(options=study.guests, value=tuple(guests or study.guests), description="guests")
    width_box = widgets.IntSlider(value=width, min=5, max=80, step=5, description="context")
    output = widgets.Output()
    container = widgets.VBox([widgets.HBox([theme_box, term_box]), widgets.HBox([guest_box, width_box]), output])

    def render(*_):
        output.clear_output()
        with output:
            try:
                counts, lines = explore(study, theme_box.value, term_box.value, list(guest_box.value), width_box.value)
            except ParameterError as err:
                container.result = None
                print(f"error: {err}")
                return
            container.result = (counts, lines)  # what is on screen, for tests and further work
            display(counts)
            with pd.option_context("display.max_rows", 200, "display.max_colwidth", 80):
                display(lines)

    for box in (theme_box, term_box, guest_box, width_box):
        box.observe(render, names="value")
    render()
    return container
