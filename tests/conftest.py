"""Shared fixtures: the real corpus, parsed and tokenised once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.corpus import load_corpus
from analysis.paths import DEFAULT_CORPUS
from analysis.tokenizer import default_tokenizer, tokenize_segments

DOC = "commercialization_2024"


@pytest.fixture(scope="session")
def corpus():
    segments, raws = load_corpus(DEFAULT_CORPUS)
    return segments, raws[DOC]


@pytest.fixture(scope="session")
def segments(corpus):
    return corpus[0]


@pytest.fixture(scope="session")
def raw(corpus):
    return corpus[1]


@pytest.fixture(scope="session")
def tokenizer():
    return default_tokenizer()


@pytest.fixture(scope="session")
def tokens(segments, tokenizer):
    return tokenize_segments(segments, tokenizer)


@pytest.fixture
def write_chapter(tmp_path):
    """Write a toy chapter (str or bytes) to a file and return its path."""

    def _write(content, name="chapter.md") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return _write


def answers_of(segments, guest):
    return segments[(segments["guest"] == guest) & (segments["role"] == "answer")]


def answer_containing(segments, guest, needle):
    """The one answer paragraph of ``guest`` that contains ``needle`` (fails loudly otherwise)."""
    rows = answers_of(segments, guest)
    rows = rows[rows["text"].str.contains(needle, regex=False)]
    assert len(rows) == 1, f"expected one answer of {guest} containing {needle!r}, found {len(rows)}"
    return rows.iloc[0]
