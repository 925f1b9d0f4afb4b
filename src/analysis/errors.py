"""Errors a user can cause and fix: the CLI prints them as one line and exits non-zero."""

from __future__ import annotations

from pathlib import Path


class AnalysisError(Exception):
    """Base class for user-facing errors. ``str(err)`` is the one-line message."""

    exit_code = 2


class InputError(AnalysisError):
    """An input file or folder is missing, empty, mis-encoded or of the wrong kind."""

    def __init__(self, path: Path | str, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):  # raised in a worker process of the build, re-raised in the parent
        return type(self), (self.path, self.problem)


class StructureError(InputError):
    """The Markdown has no structure the parser recognises."""


class ChecksumError(InputError):
    """The embedded default corpus no longer has the bytes recorded for it."""


class CodebookError(AnalysisError):
    """The theme codebook is malformed; the message names the theme and the field."""


class ParameterError(AnalysisError):
    """A parameter (theme, guest, language…) has a value outside the valid set."""
