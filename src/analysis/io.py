"""Reading inputs safely and writing outputs atomically.

Raw inputs are only ever opened for reading. Every output goes to a temporary file beside
its destination and is renamed into place, so a reader never sees a half-written table.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from .errors import InputError

#: Files in a corpus folder that document it rather than belong to it.
NOT_CHAPTERS = ("readme.md", "sha256sums")
#: File endings taken as chapters when a folder is given as input.
CHAPTER_SUFFIXES = (".md", ".markdown", ".txt")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_chapter_text(path: Path | str) -> str:
    """Return a chapter's text, decoded as UTF-8 with any BOM removed.

    Line endings are kept as they are (CRLF included) so that character offsets
    computed on this string point into the file's text. Raises :class:`InputError`
    naming the file for a missing, empty, non-UTF-8 or binary file.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    if path.is_dir():
        raise InputError(path, "is a folder, expected a Markdown file")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(path, f"cannot read the file ({err.strerror})") from None
    if not data.strip():
        raise InputError(path, "file is empty")
    if b"\x00" in data[:4096]:
        raise InputError(path, "looks like a binary file, expected UTF-8 Markdown text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        hint = ""
        try:
            data.decode("gb18030")
            hint = " (it decodes as GBK/GB18030: convert it with `iconv -f GBK -t UTF-8`)"
        except UnicodeDecodeError:
            pass
        raise InputError(
            path, f"not valid UTF-8 at byte {err.start}{hint}"
        ) from None
    if not text.strip():
        raise InputError(path, "file is empty")
    return text


def chapter_files(path: Path | str) -> list[Path]:
    """The chapter files an input path stands for: the file itself, or a folder's chapters.

    In a folder every regular file must be a chapter: a stray file of another kind is an
    error rather than silently skipped, so a corpus never loses a document unnoticed.
    Hidden files (``.gitkeep``, ``.DS_Store``) and ``README.md`` are not chapters.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file or folder not found")
    if path.is_file():
        return [path]
    files = []
    for child in sorted(path.iterdir()):
        if child.name.startswith(".") or child.is_dir() or child.name.lower() in NOT_CHAPTERS:
            continue
        if child.suffix.lower() not in CHAPTER_SUFFIXES:
            raise InputError(
                child,
                f"not a Markdown chapter (expected one of {', '.join(CHAPTER_SUFFIXES)})",
            )
        files.append(child)
    if not files:
        raise InputError(path, "folder holds no Markdown chapters")
    return files


def ensure_writable_dir(folder: Path | str) -> Path:
    """Create ``folder`` if needed and prove it takes files (a real write: permission bits
    alone say nothing for root or a read-only file system)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(folder, f"cannot create the output folder ({err.strerror})") from None
    if not folder.is_dir():
        raise InputError(folder, "output path exists and is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=folder)
    except OSError as err:
        raise InputError(folder, f"output folder is not writable ({err.strerror})") from None
    os.close(fd)
    os.unlink(probe)
    return folder


@contextmanager
def atomic_path(destination: Path | str) -> Iterator[Path]:
    """Yield a temporary path; on success rename it onto ``destination``.

    On any error the temporary file is removed and ``destination`` is left as it was.
    """
    destination = Path(destination)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent)
    except OSError as err:
        raise InputError(destination.parent, f"output folder is not writable ({err.strerror})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, destination)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


#: how every table is written as CSV: :func:`csv_bytes` gives these bytes, faster
CSV_OPTIONS = {"index": False, "encoding": "utf-8", "lineterminator": "\n", "float_format": "%.6g"}


def write_csv(frame: pd.DataFrame, destination: Path | str) -> Path:
    """Write a table as UTF-8 CSV with ``\\n`` line endings and fixed float formatting
    (:data:`CSV_OPTIONS`, the bytes of pandas' ``to_csv`` with them)."""
    data = csv_bytes(frame)
    with atomic_path(destination) as tmp:
        if data is None:
            frame.to_csv(tmp, **CSV_OPTIONS)
        else:
            tmp.write_bytes(data)
    return Path(destination)


def _csv_field(value: str) -> str:
    return f'"{value.replace(chr(34), chr(34) * 2)}"' if any(c in value for c in ',"\n') else value


def csv_bytes(frame: pd.DataFrame) -> bytes | None:
    """The bytes ``frame.to_csv(**CSV_OPTIONS)`` writes, put together column by column by Arrow
    (a fifth of the time on a large table); ``None`` for a frame it does not cover (a column
    neither text, nor NumPy integers, floats or booleans; a single column).

    pandas writes through Python's csv module, quoting minimally: a field is quoted when it
    holds a comma, a double quote (doubled inside) or a line feed, and a missing value is
    empty. Floats are written ``%.6g``, each distinct value formatted once.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if frame.shape[1] < 2 or not frame.columns.is_unique:  # (the csv module quotes a row of one empty field)
        return None
    text = pa.large_string()
    empty, comma, quote, newline = (pa.scalar(v, type=text) for v in ("", ",", '"', "\n"))
    columns = []
    for name in frame.columns:
        series = frame[name]
        kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else None
        if kind == "f" and series.dtype == np.float64:
            values = series.to_numpy()
            codes, bits = pd.factorize(values.view(np.int64))  # by bit pattern: -0.0 is not 0.0
            distinct = bits.view(np.float64)
            shown = ["" if v != v else "%.6g" % v for v in distinct.tolist()]
            column = pa.array(shown, type=text).take(pa.array(codes))
        elif kind == "b":
            column = pa.array(np.where(series.to_numpy(), "True", "False"), type=text)
        elif kind in ("i", "u") and series.dtype.itemsize == 8:
            column = pc.cast(pa.array(series.to_numpy()), text)
        elif kind == "O" or isinstance(series.dtype, pd.StringDtype):
            try:
                column = pc.fill_null(pa.array(series, type=text, from_pandas=True), empty)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
                return None  # not all text
            if pc.any(pc.match_substring(column, "\r")).as_py():
                return None  # whether the csv module quotes a carriage return depends on Python's version
            needs_quotes = pc.match_substring_regex(column, '[,"\n]')
            quoted = pc.binary_join_element_wise(quote, pc.replace_substring(column, '"', '""'), quote, empty)
            column = pc.if_else(needs_quotes, quoted, column)
        else:
            return None
        columns.append(column)
    header = ",".join(_csv_field(str(name)) for name in frame.columns)
    if not len(frame):
        return (header + "\n").encode("utf-8")
    rows = pc.binary_join_element_wise(pc.binary_join_element_wise(*columns, comma), empty, newline)
    if isinstance(rows, pa.ChunkedArray):  # columns concatenated from several tables come in chunks
        rows = rows.combine_chunks()
    _, offsets, data = rows.buffers()
    start, end = np.frombuffer(offsets, dtype=np.int64)[[rows.offset, rows.offset + len(rows)]]
    return (header + "\n").encode("utf-8") + memoryview(data)[start:end].tobytes()


def normalise_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas' string dtype, whichever way the frame was made.

    A table computed in memory holds Python ``object`` columns, the same table read back from
    Parquet holds ``str`` columns; written as they are, the two would differ in their schema
    metadata. One dtype makes a table's bytes depend on its content only.
    """
    text_columns = [c for c in frame.columns if frame[c].dtype == object
                    and (frame[c].empty or pd.api.types.infer_dtype(frame[c], skipna=False) == "string")]
    if not text_columns:
        return frame
    return frame.astype({c: "str" for c in text_columns})


def write_parquet(frame: pd.DataFrame, destination: Path | str) -> Path:
    frame = normalise_dtypes(frame.reset_index(drop=True))
    with atomic_path(destination) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")
    return Path(destination)


def write_text(text: str, destination: Path | str) -> Path:
    with atomic_path(destination) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return Path(destination)
