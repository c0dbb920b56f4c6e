"""Result files: written atomically so a crash or Ctrl-C never leaves a partial file."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

FORMATS = (".parquet", ".csv")


def check_output_path(path: str | os.PathLike, force: bool = False) -> Path:
    """Fail early (before any run) on an output path we cannot write or must not replace."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(
            f"output file {str(path)!r} must end in .parquet or .csv, not {path.suffix!r}"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"output folder {str(parent)!r} does not exist")
    if path.is_dir():
        raise ValueError(f"output {str(path)!r} is a folder, not a file")
    if path.exists() and not force:
        raise ValueError(
            f"output file {str(path)!r} already exists; choose another name or pass --force "
            "to replace it"
        )
    try:  # find out now, not after the run, whether we may write there
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(f"cannot write to folder {str(parent)!r}: {exc.strerror}") from None
    return path


def file_mode() -> int:
    """The mode a plain ``open()`` would give a new file: 0666 less the user's umask.

    ``mkstemp`` creates its files 0600 whatever the umask, so results written through a
    temporary file would be private while everything else the user writes is not.
    """
    umask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_file(path: Path, mode: str = "wb", encoding: str | None = None):
    """Open a temporary file beside ``path``; on success fsync and rename it into place.

    A reader never sees a partial file: after a crash there is either the old file, the new
    one, or a hidden ``.NAME.*.tmp`` that the next sweep removes. The file gets the mode
    the user's umask gives any new file (0644 under 022), not ``mkstemp``'s 0600.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, file_mode())
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_frame(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    metadata: dict[str, str] | None = None,
    descriptions: dict[str, str] | None = None,
) -> Path:
    """Write a frame as Parquet or CSV (by suffix) atomically.

    Parquet files also carry ``metadata`` as file key–value metadata and each column's
    definition from ``descriptions`` as that column's ``description`` metadata, so
    ``pyarrow.parquet.read_metadata`` / ``read_schema`` tell what produced the file and
    what its columns mean. A CSV holds only what is in its columns.
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"output file {str(path)!r} must end in .parquet or .csv")
    with atomic_file(path) as fh:
        if path.suffix.lower() == ".parquet":
            if metadata or descriptions:
                _write_parquet(frame, fh, metadata or {}, descriptions or {})
            else:
                frame.to_parquet(fh, index=False)
        else:
            frame.to_csv(fh, index=False)
    return path


def _write_parquet(frame, fh, metadata: dict[str, str], descriptions: dict[str, str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [
        f.with_metadata({"description": descriptions[f.name]}) if f.name in descriptions else f
        for f in table.schema
    ]
    schema = pa.schema(fields, metadata={**(table.schema.metadata or {}), **metadata})
    pq.write_table(table.cast(schema), fh)


def write_text(text: str, path: str | os.PathLike) -> Path:
    """Write text atomically."""
    path = Path(path)
    with atomic_file(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def write_json(obj, path: str | os.PathLike) -> Path:
    """Write JSON atomically."""
    path = Path(path)
    with atomic_file(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1, default=str, allow_nan=True)
    return path


#: Weekly metrics and run-level figures that are counts, stored as integers.
INTEGER_METRICS = ("cases_received", "cases_resolved", "cases_closed_on_paper", "backlog")
INTEGER_SUMMARY = (
    "weeks", "residents", "end_window_weeks",
    "cases_received_total", "cases_resolved_total", "cases_closed_on_paper_total",
    "cases_abandoned_total",
)  # fmt: skip
#: Decimals kept of weekly rates and times: some are computed in float32, whose last digits
#: are noise when shown as float64 (0.23076923191547394 for 3/13).
DECIMALS = 6


def run_summary(model) -> dict:
    """``model.summary()`` with counts as integers."""
    s = dict(model.summary())
    for name in INTEGER_SUMMARY:
        if name in s and s[name] == s[name]:  # NaN stays a float
            s[name] = int(s[name])
    return s


def tidy_weekly(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts as integers, rates and times rounded to :data:`DECIMALS` (float64)."""
    frame = frame.copy()
    for col in frame.columns:
        if col in INTEGER_METRICS:
            frame[col] = frame[col].round().astype("int64")
        elif frame[col].dtype.kind == "f":
            frame[col] = frame[col].astype("float64").round(DECIMALS)
    return frame
