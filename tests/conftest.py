"""Shared helpers: small replicated runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import CommunityModel

SEEDS = list(range(8))


def run_frame(scenario: str = "baseline", seed: int = 0, steps: int = 156, **params):
    model = CommunityModel(scenario=scenario, rng=seed, **params)
    for _ in range(steps):
        model.step()
    return model.datacollector.get_model_vars_dataframe()


def replicate(fn, seeds=SEEDS) -> np.ndarray:
    """Apply ``fn(seed)`` over seeds; the spread across seeds is what tests compare."""
    return np.array([fn(s) for s in seeds], dtype=float)


def ci95(x: np.ndarray, family: int = 1) -> tuple[float, float]:
    """Mean ± t-based 95 % confidence half-width across replicates.

    ``family``: how many intervals one claim rests on; each is widened (Bonferroni) so that
    all of them together cover at 95 %, or a claim of "none moves" would fail by chance."""
    from scipy import stats

    x = np.asarray(x, dtype=float)
    half = stats.t.ppf(1 - 0.025 / family, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return float(x.mean() - half), float(x.mean() + half)


def _baseline(seed: int) -> CommunityModel:
    model = CommunityModel(scenario="baseline", rng=seed)
    for _ in range(156):
        model.step()
    return model


@pytest.fixture(scope="session")
def baseline_models() -> list[CommunityModel]:
    return [_baseline(s) for s in SEEDS]


@pytest.fixture(scope="session")
def baseline_runs(baseline_models) -> list[pd.DataFrame]:
    return [m.datacollector.get_model_vars_dataframe() for m in baseline_models]


@pytest.fixture(scope="session")
def baseline_summaries(baseline_models) -> list[dict]:
    return [m.summary() for m in baseline_models]


@pytest.fixture()
def kernel_context():
    """A Solara virtual kernel, as the server gives each browser page (async tasks need it)."""
    from solara.server import kernel, kernel_context

    context = kernel_context.VirtualKernelContext(
        id="test", kernel=kernel.Kernel(), session_id="test-session"
    )
    with context:
        yield context
    # not context.close(): it closes every widget of the process, including ones other
    # tests' comms no longer know (a KeyError in teardown); the process ends soon anyway
