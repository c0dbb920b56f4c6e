"""The calibration: what it fits, what it holds out, and that the defaults keep its fit.

``experiments/calibration/calibration.json`` is the record of the full ``civicloop calibrate``
run; the tolerance each fitted target is held to is :data:`experiments.calibrate.TOLERANCE`, stated
in docs/VALIDATION.md.
"""

import json

import numpy as np
import pandas as pd
import pytest

from experiments import calibrate as cal
from experiments.reproduce import CALIBRATION
from model import PARAMS

from .conftest import SEEDS

RECORD = json.loads(CALIBRATION.read_text())


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """A small calibration run, as ``civicloop calibrate --quick`` does it."""
    out = tmp_path_factory.mktemp("calibration")
    settings = dict(cal.QUICK, population=12, generations=2, draws=2)
    result = cal.calibrate(out, backend="serial", **settings)
    return out, result, settings


def test_the_record_separates_fitted_from_held_out_targets():
    assert RECORD["fitted_targets"] == list(cal.FITTED)
    assert RECORD["held_out_targets"] == list(cal.HELD_OUT)
    assert not set(cal.FITTED) & set(cal.HELD_OUT)
    assert {"resolution_after", "satisfaction_after"} <= set(cal.HELD_OUT)
    assert RECORD["method"].startswith("ABC-SMC")
    assert {"pyabc", "mesa", "numpy", "python"} <= set(RECORD["versions"])


def test_a_held_out_target_is_never_used_in_the_fit(quick):
    import pyabc

    out, result, _ = quick
    observed = pyabc.History(f"sqlite:///{out / 'abc.db'}").observed_sum_stat()
    assert set(observed) == set(cal.FITTED)
    assert result["held_out_targets"] == list(cal.HELD_OUT)
    # the model pyabc sees returns the fitted targets only
    stats = cal._abc_model({}, residents=300, master=1)
    assert set(stats) == set(cal.FITTED)


def test_a_calibration_writes_a_posterior_and_its_checks(quick):
    out, result, settings = quick
    post = pd.read_parquet(out / "posterior.parquet")
    assert set(cal.PRIORS) <= set(post.columns)
    assert np.isclose(post["weight"].sum(), 1.0)
    for name, (lo, hi) in cal.PRIORS.items():
        assert lo <= post[name].min() and post[name].max() <= hi
        s = result["posterior"][name]
        assert s["lo"] <= s["median"] <= s["hi"]
    assert (out / "pairs.png").stat().st_size > 0
    assert len(result["lever_ranking"]) == len(cal.levers())
    assert {c["pattern"] for c in result["posterior_predictive"]} == set(cal.PATTERNS)


def test_a_finished_calibration_resumes_without_new_simulations(quick):
    import pyabc

    out, _, settings = quick
    before = pyabc.History(f"sqlite:///{out / 'abc.db'}").total_nr_simulations
    history = cal.run_abc(out, settings["population"], settings["generations"],
                          settings["residents"], 20261127, "serial", 1, None)  # fmt: skip
    assert history.total_nr_simulations == before
    assert history.max_t + 1 == settings["generations"]


def test_defaults_are_posterior_medians_and_only_pinned_down_ones_count_as_calibrated():
    for name, post in RECORD["posterior"].items():
        p = PARAMS[name]
        assert p.default == pytest.approx(post["median"], abs=5e-3), name
        if post["pinned"]:
            assert p.source == "calibrated", name
        else:
            assert p.source == "assumption", f"{name} is not pinned down by the data"
        assert PARAMS[name].low <= cal.PRIORS[name][0] <= cal.PRIORS[name][1] <= PARAMS[name].high
    calibrated = {n for n, p in PARAMS.items() if p.source == "calibrated"}
    assert calibrated == {n for n, s in RECORD["posterior"].items() if s["pinned"]}


def test_the_defaults_keep_the_fit_the_validation_page_states():
    rows = pd.DataFrame([cal.status_quo({}, seed, RECORD["residents"]) for seed in SEEDS[:5]])
    for f in RECORD["fit"]:
        error = rows[f["target"]].mean() - f["published"]
        if f["within_tolerance"]:
            assert abs(error) <= cal.TOLERANCE[f["target"]], (f["target"], error)
        else:  # a stated misfit (the page says so) may not grow
            assert abs(error) <= abs(f["error"]) + cal.TOLERANCE[f["target"]], (f["target"], error)


def test_targets_say_what_was_published_and_how_the_model_measures_it():
    assert len({t.name for t in cal.TARGETS}) == len(cal.TARGETS)
    assert all(t.published and t.measure and np.isfinite(t.value) for t in cal.TARGETS)
