"""A run folder: every output of one run under one root, written whole or not at all.

A root is laid out like the repository (the default root *is* the repository)::

    ROOT/data/processed/        tables + build_manifest.json
    ROOT/figures/               figure files + manifest.csv/json
    ROOT/notebooks/executed/    executed notebooks + HTML + run_manifest.json

A run stages the folders it owns in ``ROOT/.run-staging-*/`` (same file system, so a rename
moves them), then swaps each staged folder for the old one. Files a run does not remake are
carried over from the previous run by hard link only when their recorded key says they are
still current, so a root never holds a stale file from an earlier run with other inputs or
parameters. A failed or interrupted run leaves the previous contents as they were; its
staging folder is swept by the next run. Two runs on one root wait for each other (a lock).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from pathlib import Path

from .errors import InputError
from .io import ensure_writable_dir, sha256_of

PROCESSED = Path("data/processed")
FIGURES = Path("figures")
EXECUTED = Path("notebooks/executed")
PARTS = (PROCESSED, FIGURES, EXECUTED)
#: tracked files that document a folder rather than belong to a run: kept across swaps
KEEP = ("README.md", ".gitkeep")
STAGING_PREFIX = ".run-staging-"


file_digest = sha256_of  # a file's SHA-256, as every manifest of a run records it


def read_json(path: Path) -> dict:
    """A manifest, or ``{}`` when it is missing or unreadable (then everything is rebuilt)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_json(data, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def files_intact(folder: Path, digests: dict[str, str]) -> bool:
    """Every recorded file is there with the recorded bytes (a file edited or replaced by hand
    is not this run's own, and is made again)."""
    return bool(digests) and all((folder / name).is_file() and file_digest(folder / name) == digest
                                 for name, digest in digests.items())


class RunFolder:
    """Context manager around one run's staging area (see module docstring)."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()
        self.staging: Path | None = None
        self._lock = None

    def __enter__(self) -> "RunFolder":
        ensure_writable_dir(self.root)
        self._lock = open(self.root / ".run.lock", "a+")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self._recover()
        for stale in self.root.glob(STAGING_PREFIX + "*"):
            shutil.rmtree(stale, ignore_errors=True)
        self.staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.root))
        return self

    def __exit__(self, *exc) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()

    def _recover(self) -> None:
        """Put back a folder that a run killed between its two renames had moved aside."""
        for old in self.root.glob(".run-old-*"):
            part = (old / "part").read_text(encoding="utf-8") if (old / "part").is_file() else ""
            if part and (old / "previous").is_dir() and not self.final(Path(part)).exists():
                os.rename(old / "previous", self.final(Path(part)))
            shutil.rmtree(old, ignore_errors=True)

    def final(self, part: Path) -> Path:
        return self.root / part

    def staged(self, part: Path) -> Path:
        folder = self.staging / part
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def carry_over(self, part: Path, names) -> None:
        """Link files of the previous run into the staged folder (they are still current)."""
        source, target = self.final(part), self.staged(part)
        for name in names:
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source / name, destination)
            except OSError:
                shutil.copy2(source / name, destination)

    def commit(self, parts=PARTS) -> None:
        """Swap each staged folder in for the old one; the old one's tracked README stays."""
        for part in parts:
            staged, final = self.staged(part), self.final(part)
            for name in KEEP:
                if (final / name).is_file() and not (staged / name).exists():
                    shutil.copy2(final / name, staged / name)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists() and not final.is_dir():
                raise InputError(final, "output path exists and is not a folder")
            old = None
            if final.exists():
                old = Path(tempfile.mkdtemp(prefix=".run-old-", dir=self.root))
                (old / "part").write_text(str(part), encoding="utf-8")
                os.rename(final, old / "previous")
            os.rename(staged, final)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
