"""Writing tables: the fast CSV writer gives pandas' bytes exactly, or steps aside."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.io import CSV_OPTIONS, csv_bytes, write_csv

# what makes quoting and float formatting go wrong: separators, quotes, line breaks, CJK, empty
TEXT = st.text(alphabet=st.sampled_from(list('ab ,"\n\t;中文…#=\'𠀀')), max_size=12)
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 1e-300, 5e-324, 0.1, 1 / 3, 123456789.0])


def pandas_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, **{k: v for k, v in CSV_OPTIONS.items() if k != "encoding"})
    return buffer.getvalue().encode("utf-8")


@st.composite
def frames(draw):
    rows = draw(st.integers(0, 12))
    columns = {}
    for number in range(draw(st.integers(2, 6))):
        kind = draw(st.sampled_from(["text", "str", "int", "float", "bool"]))
        if kind in ("text", "str"):
            values = draw(st.lists(TEXT | st.none(), min_size=rows, max_size=rows))
            column = pd.Series(values, dtype=object if kind == "text" else "str")
        elif kind == "int":
            column = pd.Series(draw(st.lists(st.integers(-2**63, 2**63 - 1), min_size=rows, max_size=rows)), dtype="int64")
        elif kind == "float":
            column = pd.Series(draw(st.lists(FLOATS, min_size=rows, max_size=rows)), dtype="float64")
        else:
            column = pd.Series(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)), dtype="bool")
        columns[draw(st.sampled_from(["a", "b,c", 'q"t', "中文", "x\ny"])) + str(number)] = column
    return pd.DataFrame(columns)


@settings(max_examples=400, deadline=None)
@given(frames())
def test_the_fast_csv_writer_gives_the_bytes_pandas_writes(frame):
    assert csv_bytes(frame) == pandas_bytes(frame)


def test_the_same_floats_repeated_are_formatted_alike_and_signed_zero_keeps_its_sign():
    frame = pd.DataFrame({"x": [0.0, -0.0, 0.0, np.nan, 1 / 3, 1 / 3], "n": range(6)})
    assert csv_bytes(frame) == b"x,n\n0,0\n-0,1\n0,2\n,3\n0.333333,4\n0.333333,5\n" == pandas_bytes(frame)


def test_frames_it_does_not_cover_are_left_to_pandas(tmp_path):
    odd = {
        "one column": pd.DataFrame({"a": ["", "x"]}),
        "mixed objects": pd.DataFrame({"a": ["x", 1], "b": [1, 2]}),
        "carriage return": pd.DataFrame({"a": ["x\ry", "z"], "b": [1, 2]}),
        "nullable integers": pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": [1, 2]}),
        "dates": pd.DataFrame({"a": pd.to_datetime(["2024-01-01", "2024-01-02"]), "b": [1, 2]}),
        "float32": pd.DataFrame({"a": np.array([0.1, 0.2], dtype="float32"), "b": [1, 2]}),
        "repeated names": pd.DataFrame([[1, 2]], columns=["a", "a"]),
    }
    for why, frame in odd.items():
        assert csv_bytes(frame) is None, why
        written = write_csv(frame, tmp_path / "t.csv").read_bytes()
        assert written == pandas_bytes(frame), why


def test_a_real_table_is_written_as_pandas_writes_it(tmp_path, segments, tokens):
    # tables concatenated from several documents hold their text in several Arrow chunks
    for table in (segments, pd.concat([segments, segments], ignore_index=True), tokens.head(5000)):
        assert csv_bytes(table) is not None
        assert write_csv(table, tmp_path / "table.csv").read_bytes() == pandas_bytes(table)
