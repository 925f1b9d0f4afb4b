"""The one parameter specification, used by the CLI, the runner and the notebooks.

Two kinds, kept apart because they live in different places:

* **build** parameters change a table (seed, resamples, top-k, min-count, codebook, …). Only
  the build takes them (``python -m analysis build|report --seed 7``); they are recorded in
  ``data/processed/build_manifest.json``.
* **display** parameters change what a notebook shows of the published tables (language,
  which guests or themes, how many rows…). ``report -p NAME VALUE`` and a notebook's
  ``parameters`` cell take them.

A build parameter given where only display parameters belong is an error naming the build
option to use; every error is one line in the same format (:func:`problem`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .errors import ParameterError

LANGS = ("zh", "en")
WINDOWS = ("sentence", "paragraph")


def problem(name: str, message: str) -> ParameterError:
    """The one error format: ``parameter NAME: what is wrong``."""
    return ParameterError(f"parameter {name}: {message}")


def _whole(minimum: int) -> Callable[[str, Any], int]:
    def check(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise problem(name, f"must be a whole number ≥ {minimum}, got {value!r}")
        return value

    return check


def _fraction(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise problem(name, f"must be a number between 0 and 1, got {value!r}")
    return float(value)


def _choice(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if value not in choices:
            raise problem(name, f"unknown value {value!r}; valid: {', '.join(choices)}")
        return value

    return check


def _names(name: str, value: Any) -> list[str]:
    """A list of names; one name alone or an empty string are accepted as the obvious list."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise problem(name, f"must be a list of names, got {value!r}")
    return list(value)


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise problem(name, f"must be text, got {value!r}")
    return value


def _path(name: str, value: Any) -> str | None:
    if value in (None, ""):
        return None
    return str(value)


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "build" | "display"
    default: Any
    help: str
    check: Callable[[str, Any], Any]

    @property
    def option(self) -> str:
        """The command-line flag of a build parameter (``top_k`` → ``--top-k``)."""
        return "--" + self.name.replace("_", "-")

    def validate(self, value: Any) -> Any:
        return self.check(self.name, value)


SPEC: dict[str, Param] = {p.name: p for p in [
    # build: each changes at least one table
    Param("seed", "build", 20241, "random seed of the bootstrap resamples", _whole(0)),
    Param("resamples", "build", 2000, "bootstrap resamples for every interval", _whole(100)),
    Param("top_k", "build", 30, "terms kept per guest in tfidf_terms and keyness", _whole(1)),
    Param("min_count", "build", 3, "minimum corpus count of a term for keyness and co-occurrence edges", _whole(1)),
    Param("codebook", "build", None, "theme codebook YAML (default: the package's lexicons/codebook.yaml)", _path),
    Param("lexicons", "build", None, "folder with userdict.txt, stopwords.txt, synonyms.tsv, optionally stopwords_en.txt (default: the package's)",
          _path),
    Param("profile", "build", None, "conventions YAML for reading chapters (default: the package's lexicons/profile.yaml)",
          _path),
    Param("gold", "build", None, "theme labels CSV for validation (default: data/labels/theme_gold.csv)", _path),
    # display: each changes only what a notebook shows
    Param("lang", "display", "zh", "label language of tables and charts: zh | en", _choice(LANGS)),
    Param("guests", "display", [], "guests (or sections) to show, Chinese or English names; empty: all", _names),
    Param("themes", "display", [], "theme ids to show; empty: all, in codebook order", _names),
    Param("evidence_rows", "display", 3, "passages shown per guest and theme", _whole(0)),
    Param("terms_shown", "display", 12, "distinctive terms drawn per guest", _whole(1)),
    Param("window", "display", "sentence", "co-occurrence unit: sentence | paragraph", _choice(WINDOWS)),
    Param("min_edge_count", "display", 3, "minimum co-occurring units for an edge to be drawn", _whole(1)),
    Param("top_edges", "display", 60, "edges drawn in the co-occurrence network", _whole(1)),
    Param("network_terms", "display", 45, "only the most frequent terms can be network nodes", _whole(2)),
    Param("evidence_edges", "display", 3, "network edges whose passages are listed", _whole(0)),
    Param("max_words", "display", 80, "words in each word cloud", _whole(1)),
    Param("target_f1", "display", 0.85, "F1 line drawn on the validation chart", _fraction),
    Param("theme", "display", "", "explorer: a theme id to look up", _text),
    Param("term", "display", "", "explorer: any term to look up", _text),
    Param("width", "display", 25, "explorer: characters of context each side", _whole(1)),
]}

BUILD_PARAMS = [p for p in SPEC.values() if p.kind == "build"]
DISPLAY_PARAMS = [p for p in SPEC.values() if p.kind == "display"]


def build_defaults() -> dict[str, Any]:
    return {p.name: p.default for p in BUILD_PARAMS}


def not_a_display_parameter(name: str, value: Any = None) -> ParameterError:
    """The error for a build (or unknown) parameter where display parameters belong."""
    param = SPEC.get(name)
    if param is not None and param.kind == "build":
        shown = "VALUE" if value is None else value
        return problem(name, f"changes the tables, so it is a build option: "
                             f"python -m analysis report {param.option} {shown} (or build {param.option} …)")
    valid = ", ".join(p.name for p in DISPLAY_PARAMS)
    return problem(name, f"unknown display parameter; valid: {valid}")


def check_display(parameters: dict[str, Any]) -> dict[str, Any]:
    """Validate display parameters by the spec; a build parameter names its build option."""
    checked = {}
    for name, value in parameters.items():
        param = SPEC.get(name)
        if param is None or param.kind != "display":
            raise not_a_display_parameter(name, value)
        checked[name] = param.validate(value)
    return checked


def check_build(parameters: dict[str, Any]) -> dict[str, Any]:
    """Validate build parameters by the spec (defaults filled in)."""
    checked = build_defaults()
    for name, value in parameters.items():
        param = SPEC.get(name)
        if param is None or param.kind != "build":
            raise problem(name, f"unknown build option; valid: {', '.join(p.name for p in BUILD_PARAMS)}")
        checked[name] = param.validate(value)
    return checked
