"""Invariants over random valid parameters (hypothesis draws from the registry's ranges)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import PARAMS, CommunityModel
from model.metrics import METRICS

# keep the community small so each example is fast; everything else spans its full range
SMALL = {
    "n_residents": (50, 400),
    "building_size": (2, 60),
    "buildings_per_compound": (1, 8),
    "grid_households": (20, 300),
    "ws_k": (2, 10),
}
SKIP = {"network_file", "reform_week"}
SMALL["burn_in_weeks"] = (0, 30)


def _strategy(p):
    if p.type is bool:
        return st.booleans()
    if p.choices:
        return st.sampled_from(p.choices)
    if p.type is int:
        low, high = SMALL.get(p.name, (p.low, p.high))
        return st.integers(int(low), int(min(high, 60 if p.name.endswith("weeks") else high)))
    if p.name in ("retired_share", "youth_share"):
        return st.floats(0, 0.5)
    return st.floats(p.low, p.high, allow_nan=False)


params_strategy = st.fixed_dictionaries(
    {n: _strategy(p) for n, p in PARAMS.items() if n not in SKIP}
).filter(lambda p: p["told_unresolved_value"] < p["aspiration"])  # the model refuses others


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=params_strategy, seed=st.integers(0, 2**31 - 1), reform=st.integers(0, 15))
def test_every_case_is_in_exactly_one_state_and_rates_stay_valid(params, seed, reform):
    model = CommunityModel(scenario="full_package", rng=seed, reform_week=reform, **params)
    assert model.measures.get("budget_spent", 0.0) == 0.0  # week 0: nothing spent since it
    for _ in range(20):
        model.step()
        counts = model.case_counts()
        ended = counts["resolved"] + counts["closed_on_paper"] + counts["abandoned"]
        assert counts["at_grid"] + counts["at_department"] + ended == counts["received"]
        # a resident counts exactly the open cases in the table that are theirs
        res = model.cases["res"]
        np.testing.assert_array_equal(np.bincount(res, minlength=model.n), model.open_cases)
        assert model.efficacy.min() >= 0 and model.efficacy.max() <= 1
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == list(METRICS) and len(frame) == 20
    assert not frame.isna().any().any()
    rates = [c for c in frame.columns if "rate" in c or "share" in c or c == "grid_utilization"]
    assert ((frame[rates] >= 0) & (frame[rates] <= 1)).all().all()
    assert (frame["budget_spent"].diff().dropna() >= -1e-9).all()


def _recorded(first_outcome, again):
    """A stand-in model whose residents' first outcomes and re-reports are as given (one
    stratum: working age, not low income), every window complete."""
    from types import SimpleNamespace

    n = len(first_outcome)
    people = SimpleNamespace(
        first_outcome=np.array(first_outcome, np.int8), first_outcome_week=np.zeros(n, np.int32),
        age_group=np.ones(n, np.int8), low_income=np.zeros(n, bool),
        reported_after_first=np.array(again, bool),
    )  # fmt: skip
    return SimpleNamespace(people=people, week=100)


def test_a_rereport_ratio_with_a_zero_cell_in_every_stratum_is_nan_not_infinite():
    import warnings

    from model.metrics import rereport_odds_ratio
    from model.state import FIRST_FIXED, FIRST_NOT_FIXED

    fixed, unfixed = [FIRST_FIXED] * 4, [FIRST_NOT_FIXED] * 4
    estimable = rereport_odds_ratio(_recorded(fixed + unfixed, [1, 1, 1, 0, 1, 0, 0, 0]))
    assert estimable["rereport_ratio"] == pytest.approx(9.0)  # (3·3)/(1·1)
    assert 0 < estimable["rereport_ratio_lo"] < 9 < estimable["rereport_ratio_hi"] < np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and nothing printed on the way
        for again in ([1, 1, 1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 1, 1, 0, 0]):  # b·c = 0, a·d = 0
            out = rereport_odds_ratio(_recorded(fixed + unfixed, again))
            assert all(np.isnan(v) for v in out.values()), out
