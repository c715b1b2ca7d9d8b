"""A run folder's CSV files written as pandas' to_csv writes them, each value formatted once
(pandas' writer took seconds over a run's 60,000 bars): the times of several files together,
each distinct float of a column once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def iso_times(*indexes: pd.DatetimeIndex) -> list[list[str]]:
    """Each time of each index as `Timestamp.isoformat()` writes it. Whole UTC seconds (every
    bar and equity time) are formatted by numpy, each distinct time once (a run's equity,
    prices, signals and benchmark share their times); anything else one by one."""
    nanoseconds = [index.as_unit("ns").asi8 for index in indexes]
    if not all(str(index.tz) == "UTC" and not (values % 1_000_000_000).any()
               for index, values in zip(indexes, nanoseconds)):
        return [[t.isoformat() for t in index] for index in indexes]
    distinct, inverse = np.unique(np.concatenate(nanoseconds), return_inverse=True)
    text = np.datetime_as_string(distinct.view("M8[ns]"), unit="s")
    texts = np.array([f"{t}+00:00" for t in text.tolist()], dtype=object)[inverse.reshape(-1)]
    ends = np.cumsum([len(values) for values in nanoseconds])
    return [part.tolist() for part in np.split(texts, ends[:-1])]


def _needs_quotes(texts) -> bool:
    """Whether a CSV writer would quote any of `texts` (a separator, quote or line break)."""
    joined = "\x00".join(texts)
    return any(mark in joined for mark in (",", '"', "\r", "\n"))


def write_csv(path: Path, columns: dict[str, object], float_format: str) -> None:
    """The bytes `pd.DataFrame(columns).to_csv(path, index=False, float_format=...)` writes for
    float and text columns (a float as `float_format % value`, NaN as an empty field), with each
    value formatted once: pandas' writer takes seconds over a run's 60,000 bars."""
    fields, quoted = [], _needs_quotes(columns)
    for values in columns.values():
        if isinstance(values, list) and all(type(value) is str for value in values):
            texts = values   # text already (the times): each str is its own field
        else:
            array = np.asarray(values)
            if array.dtype.kind == "f":   # "%.6f" or "%.10g" text never needs quotes
                fields.append(_float_texts(array, float_format))
                continue
            texts = array.tolist()
            if not all(type(value) is str for value in texts):
                texts = ["" if value is None or value != value else str(value)
                         for value in texts]
        fields.append(texts)
        quoted = quoted or _needs_quotes(texts)
    if quoted:
        pd.DataFrame(columns).to_csv(path, index=False, float_format=float_format)
        return   # a field that needs quoting: pandas' writer knows the rules
    rows = [",".join(columns), *map(",".join, zip(*fields))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _float_texts(array: np.ndarray, float_format: str) -> list[str]:
    """`float_format % value` of each value (NaN as an empty field), each distinct value
    formatted once: a run's sessions, regimes, flat equity and repeated prices take few values.
    Values are told apart by their bits, so -0.0 keeps its own text."""
    bits = np.ascontiguousarray(array, dtype="float64").view("int64")
    distinct, inverse = np.unique(bits, return_inverse=True)
    texts = np.array(["" if value != value else float_format % value
                      for value in distinct.view("float64").tolist()], dtype=object)
    return texts[inverse.reshape(-1)].tolist()
