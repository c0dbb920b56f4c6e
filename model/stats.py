"""Small numerical helpers shared by the stages of the week."""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def stochastic_round(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Round capacities up or down at random so fractional capacity is kept on average."""
    x = np.maximum(np.asarray(x, dtype=float), 0)
    low = np.floor(x)
    return (low + (rng.random(x.shape) < x - low)).astype(np.int64)


def members(groups: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Indices of every member of the given contiguous groups, group by group."""
    lengths = sizes[groups]
    total = int(lengths.sum())
    offsets = np.repeat(starts[groups] - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(total) + offsets
