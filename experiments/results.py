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


def write_frame(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a frame as Parquet or CSV (by suffix) atomically."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"output file {str(path)!r} must end in .parquet or .csv")
    with atomic_file(path) as fh:
        if path.suffix.lower() == ".parquet":
            frame.to_parquet(fh, index=False)
        else:
            frame.to_csv(fh, index=False)
    return path


def write_json(obj, path: str | os.PathLike) -> Path:
    """Write JSON atomically."""
    path = Path(path)
    with atomic_file(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1, default=str, allow_nan=True)
    return path
