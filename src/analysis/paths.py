"""Where the project's inputs and outputs live by default."""

from __future__ import annotations

import os
from pathlib import Path


def _project_root() -> Path:
    env = os.environ.get("ANALYSIS_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parents[2]  # src/analysis/paths.py → project root
    if (here / "pyproject.toml").exists() and (here / "data").is_dir():
        return here
    return Path.cwd()


PROJECT_ROOT = _project_root()
RAW_DIR = PROJECT_ROOT / "data" / "raw"
DEFAULT_CORPUS = RAW_DIR / "commercialization_2024.md"
PROCESSED_DIR = PROJECT_ROOT / "data" / "processed"
FIGURES_DIR = PROJECT_ROOT / "figures"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
LABELS_DIR = PROJECT_ROOT / "data" / "labels"
#: standard ``sha256sum`` manifest beside the raw files
CHECKSUM_FILE = "SHA256SUMS"
