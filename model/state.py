"""The shared state of the week: the residents' arrays and the table of open cases.

Every stage of the week (one module each under ``model/``) reads and writes these two
containers; nothing else holds per-resident or per-case state. Codes used across stages
are defined here once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

YOUTH, WORKING, RETIRED = 0, 1, 2  # age groups
SIMPLE, COMPLEX, SHARED = 0, 1, 2  # kinds of problem / case
AT_GRID, AT_DEPARTMENT, ENDED = 0, 1, 2  # where an open case waits; ended this week
RESOLVED, CLOSED_ON_PAPER, ABANDONED = 0, 1, 2  # ways a case ends
NO_OUTCOME, FIRST_FIXED, FIRST_NOT_FIXED = 0, 1, 2  # what happened to the first report
NEVER = -1_000_000  # "no such week yet"


@dataclass
class Residents:
    """One entry per household (居民户); indices are contiguous by building and compound."""

    # where they live (fixed)
    building: np.ndarray
    compound: np.ndarray
    grid_index: np.ndarray
    # who they are (fixed)
    age_group: np.ndarray
    low_income: np.ndarray
    party: np.ndarray
    employed: np.ndarray
    free_time: np.ndarray
    prefers_online: np.ndarray
    # what they feel: general efficacy and their own record of reports (Beta counts)
    efficacy: np.ndarray
    record_fixed: np.ndarray
    record_unfixed: np.ndarray
    # what is happening to them
    last_participation: np.ndarray
    last_active: np.ndarray  # last week of reporting, attending or deliberating
    issue_week: np.ndarray  # week the unreported problem arose, NEVER when there is none
    issue_kind: np.ndarray
    issue_dept: np.ndarray
    open_cases: np.ndarray  # reported problems still open (a resident may have several)
    mobilised: np.ndarray
    # their reporting history (for re-reporting and concentration of reports)
    n_reports: np.ndarray
    first_outcome: np.ndarray
    first_outcome_week: np.ndarray
    reported_after_first: np.ndarray  # reported a new problem within the re-reporting window

    @classmethod
    def empty(cls, n: int, **fixed: np.ndarray) -> Residents:
        """Fixed attributes from ``fixed``; every dynamic array at its "nothing yet" value."""
        dynamic = {
            "efficacy": np.zeros(n, np.float32),
            "record_fixed": np.zeros(n, np.float32),
            "record_unfixed": np.zeros(n, np.float32),
            "last_participation": np.full(n, NEVER, np.int32),
            "last_active": np.full(n, NEVER, np.int32),
            "issue_week": np.full(n, NEVER, np.int32),
            "issue_kind": np.zeros(n, np.int8),
            "issue_dept": np.zeros(n, np.int8),
            "open_cases": np.zeros(n, np.int16),
            "mobilised": np.zeros(n, bool),
            "n_reports": np.zeros(n, np.int32),
            "first_outcome": np.zeros(n, np.int8),
            "first_outcome_week": np.full(n, NEVER, np.int32),
            "reported_after_first": np.zeros(n, bool),
        }
        return cls(**fixed, **dynamic)

    @property
    def pending(self) -> np.ndarray:
        """Has a problem not (yet) reported."""
        return self.issue_week > NEVER

    @property
    def free(self) -> np.ndarray:
        """Has no unreported problem (a new one may arise; open cases do not block it)."""
        return self.issue_week == NEVER

    @property
    def has_case(self) -> np.ndarray:
        """Has at least one reported problem still open."""
        return self.open_cases > 0


#: The open-case table's columns and their types.
CASE_FIELDS: dict[str, type] = {
    "res": np.int32,  # resident who reported
    "kind": np.int8,  # SIMPLE / COMPLEX / SHARED
    "dept": np.int8,  # department the problem belongs to
    "week": np.int32,  # week reported
    "state": np.int8,  # AT_GRID / AT_DEPARTMENT
    "dept_week": np.int32,  # week escalated
    "clock_week": np.int32,  # week the department's deadline clock starts (after approval)
    "lost": np.bool_,  # offline report never registered by anyone
    "codecided": np.bool_,  # discussed at a deliberation meeting
    "summoned": np.bool_,  # put to the department by the Party committee (督办)
    "summon_week": np.int32,  # week it was put (NEVER if not)
    "pledged": np.bool_,  # the department reported for it (报到): first, full attention
    "professional": np.bool_,  # handled by a professional social worker
    "first": np.bool_,  # the resident's first report
}


class Cases:
    """Open cases as parallel arrays, in the order they were reported (queues are first
    come, first served: stages rely on this order). Ending a case marks it ``ENDED``; the
    week's ended rows leave the table at once in :meth:`compact`.

    Each column lives in a buffer with room to spare (grown by doubling), so adding the
    week's reports and compacting write only the rows that move instead of copying every
    column anew; a column is read as a view of its first ``len(self)`` rows."""

    def __init__(self) -> None:
        self._buffers = {k: np.empty(0, dtype=t) for k, t in CASE_FIELDS.items()}
        self._n = 0

    @property
    def columns(self) -> dict[str, np.ndarray]:
        return {k: v[: self._n] for k, v in self._buffers.items()}

    def __getitem__(self, name: str) -> np.ndarray:
        return self._buffers[name][: self._n]

    def __len__(self) -> int:
        return self._n

    def add(self, **values) -> None:
        start = self._n
        end = start + np.asarray(values["res"]).size
        for k, buffer in self._buffers.items():
            if end > buffer.size:
                grown = np.empty(max(end, 2 * buffer.size, 64), dtype=buffer.dtype)
                grown[:start] = buffer[:start]
                self._buffers[k] = buffer = grown
            buffer[start:end] = np.asarray(values[k], buffer.dtype)
        self._n = end

    def take(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Copies of the given rows."""
        return {k: v[: self._n][idx] for k, v in self._buffers.items()}  # indexing copies

    def end(self, idx: np.ndarray) -> None:
        """Mark rows as ended; they stay (and are skipped by every queue) until compacted."""
        self["state"][idx] = ENDED

    def compact(self) -> None:
        """Drop the ended rows, keeping the order of the rest."""
        keep = self["state"] != ENDED
        if not keep.all():
            kept = int(np.count_nonzero(keep))
            for buffer in self._buffers.values():
                buffer[:kept] = buffer[: self._n][keep]
            self._n = kept

    @property
    def open(self) -> np.ndarray:
        """Rows not ended."""
        return self["state"] != ENDED


RESIDENT_FIELDS = tuple(f.name for f in fields(Residents))
