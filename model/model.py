"""CommunityModel: the world, its construction and the order of a week.

One step is one week. ``step()`` is the list of the week's stages, each in its own module
and readable side by side with docs/ODD.md's weekly order: needs arise (:mod:`.needs`),
Party members reach out (:mod:`.outreach`), residents decide whether to take part
(:mod:`.decisions`), grid workers learn needs and work their queues (:mod:`.grid`),
departments work escalated cases (:mod:`.departments`), outcomes reach residents and they
learn (:mod:`.outcomes`), and the week is measured (:mod:`.metrics`). The state they share
is two containers of arrays: the residents (:class:`.state.Residents`) and the open cases
(:class:`.state.Cases`).

A run starts from the status quo's settled state: construction runs ``burn_in_weeks``
unrecorded weeks under the week-0 parameters, so week 0 is where the status quo rests,
not an assumed start.
"""

from __future__ import annotations

import time
from typing import Any

import mesa
import numpy as np
import scipy.sparse as sp
from mesa.experimental.scenarios import Scenario

from . import departments, network
from .agents import DEPARTMENTS, Department, GridWorker, PartyMember, Resident, create_residents
from .branch import branch_hours, branches_organise
from .committee import committee_convenes
from .decisions import refresh_static_logit, report_logit, residents_take_part
from .grid import (
    grid_case_capacity,
    grid_professional,
    grid_workers_learn_needs,
    grid_workers_work,
)
from .metrics import (
    SUMMARY,
    TAIL,
    WINDOW,
    measure,
    model_reporters,
    new_log,
    new_window,
    report_concentration,
    rereport_odds_ratio,
)
from .needs import department_demand, need_rate, needs_arise, new_problems
from .outcomes import end_cases, fix_shared, outcomes_reach_residents, word_of_mouth
from .outreach import able_members, contact_chance, member_skill, party_members_reach_out
from .params import ParameterError, check_consistency, check_mid_run, defaults, validate
from .scenarios import SCENARIOS, resolve_scenario
from .state import AT_DEPARTMENT, AT_GRID, NEVER, RETIRED, WORKING, YOUTH, Cases, Residents
from .stats import members, sigmoid

#: Arrays users read straight off the model (they live in ``model.people``).
_RESIDENT_VIEWS = (
    "efficacy", "building", "compound", "grid_index", "age_group", "low_income", "party",
    "employed", "free_time", "prefers_online", "open_cases", "has_case", "n_reports",
    "first_outcome",
    "record_fixed", "record_unfixed",
)  # fmt: skip


class CommunityModel(mesa.Model):
    """Residents, Party members, grid workers and departments on a neighbourhood network.

    Args:
        scenario: a name from :data:`model.scenarios.SCENARIOS` (its levers switch on at
            ``reform_week``) or a Mesa Scenario such as ``CivicScenario(...)``.
        interventions: extra schedule, ``[{"week": 52, "set": {"feedback_prob": 0.9}}]``.
        rng: seed for Mesa's random number generators (int or None).
        **params: any parameter of the registry (``civicloop params`` lists them).
    """

    def __init__(
        self,
        scenario: str | Scenario = "baseline",
        interventions: list[dict[str, Any]] | None = None,
        rng: int | np.random.Generator | None = None,
        **params: Any,
    ) -> None:
        if "seed" in params:
            raise ParameterError("pass the seed as rng=..., not seed=...")
        if not (rng is None or isinstance(rng, np.random.Generator | np.random.SeedSequence)
                or (isinstance(rng, int | np.integer) and not isinstance(rng, bool)
                    and rng >= 0)):  # fmt: skip
            raise ParameterError(f"rng={rng!r} is not allowed: expected a seed (an integer "
                                 "≥ 0), a numpy Generator or None")  # fmt: skip
        if isinstance(rng, np.integer):  # a seed read from a frame: Mesa takes Python's
            rng = int(rng)
        # a name or a Mesa Scenario (SolaraViz's Reset passes one) → name, week-0 values
        name, params, mesa_scenario = resolve_scenario(scenario, params, rng)
        super().__init__(rng=mesa_scenario.rng, scenario=mesa_scenario)
        self.scenario_name = name
        self.params: dict[str, Any] = defaults()
        self.params.update(params)
        self._explicit = set(params)
        check_consistency(self.params)
        self.schedule_of_levers = self._build_schedule(name, interventions)

        self._build_neighbourhood()
        self._build_residents()
        self._build_services()
        self.datacollector = mesa.DataCollector(model_reporters=model_reporters())
        self.measures: dict[str, float] = {}
        self._burn_in()

    # ------------------------------------------------------------------ construction
    def _build_schedule(self, scenario, interventions):
        """Scenario levers at ``reform_week`` first, then the user's schedule (user wins)."""
        schedule = []
        # a value the caller set explicitly wins over the scenario's lever
        levers = {k: v for k, v in SCENARIOS[scenario]["levers"].items() if k not in self._explicit}
        if levers:
            schedule.append((self.params["reform_week"], validate(levers)))
        for i, item in enumerate(interventions or []):
            if not isinstance(item, dict) or set(item) != {"week", "set"}:
                raise ParameterError(
                    f"interventions[{i}] must be a dict with exactly the keys 'week' and "
                    f"'set', got {item!r}"
                )
            week, values = item["week"], item["set"]
            if isinstance(week, bool) or not isinstance(week, (int, np.integer)) or week < 0:
                raise ParameterError(
                    f"interventions[{i}]['week'] must be an integer ≥ 0, got {week!r}"
                )
            if not isinstance(values, dict):
                raise ParameterError(f"interventions[{i}]['set'] must be a dict of parameters")
            check_mid_run(values, f"interventions[{i}]")
            schedule.append((int(week), validate(values)))
        schedule.sort(key=lambda item: item[0])  # stable: scenario before user on ties
        return schedule

    def _build_neighbourhood(self) -> None:
        hood = network.generate(self.rng, self.params)
        self.neighbourhood = hood
        self.n = hood.n
        self.params["n_residents"] = self.n
        self.adjacency = hood.adjacency
        self.degree = np.diff(self.adjacency.indptr).astype(np.float32)
        inv = np.where(self.degree > 0, 1.0 / np.maximum(self.degree, 1), 0.0)
        self._inv_degree = inv.astype(np.float32)
        self._has_ties = (self.degree > 0).astype(np.float32)
        # the row-normalised network (each tie weighs 1/degree): one product gives the mean
        # of what the ties feel
        a = self.adjacency
        self._mean_of_ties = sp.csr_array(
            (
                np.repeat(self._inv_degree, np.diff(a.indptr)),
                a.indices.astype(np.int32),
                a.indptr.astype(np.int32),
            ),
            shape=a.shape,
        )
        self.n_buildings = int(hood.building.max()) + 1
        self.n_compounds = int(hood.compound.max()) + 1
        self.building_start, self.building_size = network.group_bounds(hood.building)
        self.compound_start, self.compound_size = network.group_bounds(hood.compound)
        self.building_compound = np.zeros(self.n_buildings, dtype=np.int64)
        self.building_compound[hood.building] = hood.compound

    def _build_residents(self) -> None:
        p, rng, n = self.params, self.rng, self.n
        hood, attrs = self.neighbourhood, self.neighbourhood.attributes
        # grids cover whole buildings, about grid_households households each
        grid_of_building = np.unique(
            self.building_start // p["grid_households"], return_inverse=True
        )[1].astype(np.int32)
        self.n_grids = int(grid_of_building.max()) + 1
        u = rng.random(n)
        age = np.full(n, WORKING, dtype=np.int8)
        age[u < p["retired_share"]] = RETIRED
        age[(u >= p["retired_share"]) & (u < p["retired_share"] + p["youth_share"])] = YOUTH
        age = attrs.get("age_group", age).astype(np.int8)
        low_income = attrs.get("low_income", rng.random(n) < p["low_income_share"])
        party = attrs.get("party", rng.random(n) < p["party_share"])
        employ_p = np.where(low_income, p["low_income_employment"], 1.0) * p["employed_share"]
        employed = attrs.get("employed", (rng.random(n) < employ_p) & (age != RETIRED))
        free = np.where(employed, p["free_time_employed"], p["free_time_not_employed"])
        free = np.where(age == RETIRED, p["free_time_retired"], free)
        online = np.array([p[f"prefers_online_{g}"] for g in ("youth", "working", "retired")])
        self.people = Residents.empty(
            n,
            building=hood.building,
            compound=hood.compound,
            grid_index=grid_of_building[hood.building],
            age_group=age,
            low_income=low_income,
            party=party,
            employed=employed,
            free_time=np.clip(free + rng.uniform(-0.1, 0.1, n), 0, 1).astype(np.float32),
            prefers_online=rng.random(n) < online[age],
        )
        m = p["initial_efficacy"]
        self.people.efficacy[:] = rng.beta(10 * m, 10 * (1 - m), n)
        self.masks = {
            "retired": age == RETIRED,
            "working": age == WORKING,
            "youth": age == YOUTH,
            "low_income": low_income,
            "party": party,
        }
        self.mask_counts = {k: int(v.sum()) for k, v in self.masks.items()}
        self.party_index = np.flatnonzero(party)
        self.party_per_grid = np.bincount(
            self.people.grid_index[self.party_index], minlength=self.n_grids
        )
        # one Mesa agent per household, other residents first (as ``create_agents`` would,
        # without building the AgentSet it returns)
        residents = create_residents(
            self, [(Resident, np.flatnonzero(~party)), (PartyMember, self.party_index)]
        )
        self.residents: list[Resident] = residents

    def _build_services(self) -> None:
        self.grid_draw = self.rng.random(self.n_grids)  # fixed: who is professional
        self.pushed_down = np.zeros(self.n_grids)  # grid time departments' follow-ups take
        self.grid_workers = list(
            GridWorker.create_agents(self, self.n_grids, list(range(self.n_grids)))
        )
        self.departments = list(
            Department.create_agents(self, len(DEPARTMENTS), list(range(len(DEPARTMENTS))))
        )
        self.department_share = department_demand(self)
        self.department_balance = 0.0
        self.fund_balance = 0.0
        self.needs_known = np.zeros(self.n_buildings)
        # share of recent branch events in each building that met residents' needs, as
        # residents see it (a neutral one half before any event)
        self.event_reputation = np.full(self.n_buildings, 0.5, dtype=np.float32)
        self.shared_open = np.zeros(self.n_buildings, dtype=bool)
        self.shared_since = np.zeros(self.n_buildings, dtype=np.int32)
        self.heard_value = np.zeros(self.n, dtype=np.float32)  # this week's outcome values
        self.heard = np.zeros(self.n, dtype=bool)  # a resident's case ended this week
        self._neighbour_share: np.ndarray | network.Alongside = np.zeros(self.n, np.float32)
        self._neighbour_efficacy: np.ndarray | network.Alongside = np.zeros(self.n, np.float32)
        self.hearers = np.zeros(0, dtype=np.int64)
        self.hearsay = np.zeros(0, dtype=np.float32)
        self.codecided_ended = np.zeros(self.n_compounds, dtype=np.int64)
        self.codecided_fixed = np.zeros(self.n_compounds, dtype=np.int64)
        self.cases = Cases()

    def _burn_in(self) -> None:
        """Run ``burn_in_weeks`` unrecorded weeks so week 0 is the status quo's settled state.

        The weeks run at negative week numbers, before any scheduled lever; counters,
        totals and the DataCollector start afresh at week 0. Learning is on during the
        burn-in whatever ``learning`` says for the run (it switches at week 0).
        """
        started = time.perf_counter()
        burn = self.params["burn_in_weeks"]
        self.week = -burn
        learning = self.params["learning"]
        self.params["learning"] = True
        self._refresh_static()
        self._initial_history()
        self._reset_counters()
        for _ in range(burn):
            self._week()
        self.params["learning"] = learning
        self._reset_counters()
        if burn:  # week 0 shows the settled state, but nothing has been spent since week 0
            self.measures["budget_spent"] = 0.0
        self.totals["received"] = len(self.cases)  # cases carried over from the burn-in
        self.week = 0
        self.burn_in_seconds = time.perf_counter() - started  # for benchmarks

    def _initial_history(self) -> None:
        """Before the burn-in: who took part lately and which problems are pending, at the
        chances the weekly rules imply, so even a run without burn-in starts without a ramp."""
        p, rng, r = self.params, self.rng, self.people
        need = need_rate(self)
        self._neighbour_share = np.zeros(self.n, np.float32)
        everyone = np.arange(self.n)
        base = self.static_logit + p["efficacy_weight"] * r.efficacy
        weekly = need * sigmoid(report_logit(self, everyone)) + sigmoid(
            base + p["activity_base"]
        ) / max(p["activity_every_weeks"], 1)
        recent = rng.random(self.n) < 1 - (1 - np.minimum(weekly, 1)) ** WINDOW
        r.last_participation[recent] = self.week - rng.integers(1, WINDOW + 1, int(recent.sum()))
        r.last_active[recent] = r.last_participation[recent]
        self.log = new_log()
        new_problems(self, np.flatnonzero(rng.random(self.n) < need))

    def _reset_counters(self) -> None:
        self.totals = {"received": 0, "resolved": 0, "paper": 0, "abandoned": 0}
        self.budget_spent = 0.0
        self.window = new_window()
        self.log = new_log()

    # ------------------------------------------------------------------ levers
    def _apply_interventions(self) -> None:
        changed = False
        for week, values in self.schedule_of_levers:
            if week == self.week:
                self.params.update(values)
                changed = True
        if changed:
            check_consistency(self.params)
            self._refresh_static()

    def _refresh_static(self) -> None:
        """What changes only when parameters change: decisions' fixed log-odds, need rates."""
        refresh_static_logit(self)
        self.weekly_need_rate = need_rate(self).astype(np.float32)
        self.member_skill = member_skill(self)
        self.able_members_per_grid = able_members(self, self.people.grid_index, self.n_grids)
        self.branch_hours = branch_hours(self)
        self.contact_chance = contact_chance(self)

    def reschedule(
        self, scenario: str = "baseline", interventions: list[dict[str, Any]] | None = None
    ) -> None:
        """Give the run the lever schedule a new model of ``scenario`` and ``interventions``
        would have, from this week on.

        Every policy is the status quo until its first scheduled week, so a run can be copied
        there (e.g. pickled once per seed) and each copy given its own schedule: the same
        numbers as building it afresh. Refused once a week of the new schedule has passed.
        """
        if scenario not in SCENARIOS:
            raise ParameterError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        schedule = self._build_schedule(scenario, interventions)
        past = [week for week, _ in schedule if week < self.week]
        if past:
            raise ParameterError(
                f"the schedule starts at week {min(past)}, but the run is at week {self.week}"
            )
        self.scenario_name = scenario
        self.schedule_of_levers = schedule

    def set_levers(self, **values: Any) -> None:
        """Change levers now (e.g. from a dashboard); structure cannot change mid-run."""
        check_mid_run(values, "set_levers")
        self.params.update(validate(values))
        check_consistency(self.params)
        self._refresh_static()

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """One recorded week."""
        self._apply_interventions()
        self._week()
        self.datacollector.collect(self)
        self.week += 1

    def _week(self) -> None:
        """The week's stages, in the order of docs/ODD.md."""
        try:
            self._begin_week()
            needs_arise(self)
            party_members_reach_out(self)
            branches_organise(self)
            residents_take_part(self)
            grid_workers_learn_needs(self)
            grid_workers_work(self)
            committee_convenes(self)
            departments.departments_work(self)
            departments.cases_time_out(self)
            outcomes_reach_residents(self)
            word_of_mouth(self)
            self.measures = measure(self)
        finally:  # between weeks (even after a failed one) the model holds no pending work
            self._collect_tie_product()
        if self.week < 0:
            self.week += 1

    def _begin_week(self) -> None:
        p = self.params
        self.log = new_log()
        departments.new_fiscal_year(self)
        self.fund_balance += p["community_fund"] * self.n / 1000 / departments.WEEKS_PER_YEAR
        self.ended: list[dict[str, np.ndarray]] = []
        self.participated = np.zeros(self.n, dtype=bool)
        self.voiced = np.zeros(self.n, dtype=bool)  # told someone of a need this week
        # what each resident sees of the ties at the start of the week: the share who took
        # part lately (a count of 0/1 ties, exact in float32, over the degree), what they
        # feel (the row-normalised product) and what they tell of last week's outcomes of
        # their reports (口碑). The two products run beside the stages in between: the share
        # is first read by the residents' decisions, the feeling by word of mouth at the end.
        self._neighbour_share = network.Alongside(
            self.adjacency, self.recent_participation(), scale=self._inv_degree
        )
        self._neighbour_efficacy = network.Alongside(self._mean_of_ties, self.people.efficacy)
        self.hear_from_ties()

    @property
    def neighbour_share(self) -> np.ndarray:
        """Share of each resident's ties who took part in the last four weeks, as of the
        start of this week."""
        return self._collected("_neighbour_share")

    @property
    def neighbour_efficacy(self) -> np.ndarray:
        """Mean efficacy of each resident's ties at the start of this week."""
        return self._collected("_neighbour_efficacy")

    def _collected(self, name: str) -> np.ndarray:
        """A tie product, waited for on first use (each alone: the share is needed first)."""
        value = getattr(self, name)
        if isinstance(value, network.Alongside):
            value = value.result()
            setattr(self, name, value)
        return value

    def _collect_tie_product(self) -> None:
        self._collected("_neighbour_share")
        self._collected("_neighbour_efficacy")

    def hear_from_ties(self) -> None:
        """Who hears of ties' outcomes this week (``hearers``) and their mean value
        (``hearsay``): only the ties of residents whose cases ended last week."""
        tellers = np.flatnonzero(self.heard)
        ties, of = network.ties_of(self._mean_of_ties, tellers)
        count = np.bincount(ties, minlength=self.n)
        told = np.bincount(ties, weights=self.heard_value[tellers][of], minlength=self.n)
        self.hearers = np.flatnonzero(count > 0)
        self.hearsay = (told[self.hearers] / count[self.hearers]).astype(np.float32)
        self.heard_value[tellers] = 0
        self.heard[tellers] = 0

    # ------------------------------------------------------------------ shared helpers
    def members(self, buildings: np.ndarray) -> np.ndarray:
        """Every resident of the given buildings."""
        return members(buildings, self.building_start, self.building_size)

    def end_cases(self, idx: np.ndarray, outcome: int) -> None:
        end_cases(self, idx, outcome)

    def fix_shared(self, buildings: np.ndarray) -> None:
        fix_shared(self, buildings)

    def spend(self, amount: float, fund: bool) -> None:
        if fund:
            self.fund_balance -= amount
        else:
            self.department_balance -= amount
        self.log["spent"] += amount

    # ------------------------------------------------------------------ reading the state
    def grid_professional(self) -> np.ndarray:
        """Which grid workers are certified professionals (专业社工), by grid."""
        return grid_professional(self)

    def grid_case_capacity(self) -> np.ndarray:
        """Cases per week each grid worker can handle after other duties, Party help included."""
        return grid_case_capacity(self)

    def department_case_capacity(self, attention: float | None = None) -> np.ndarray:
        """Jobs per week each department works for this community (at
        ``department_attention``, or the attention given)."""
        return departments.department_case_capacity(self, attention)

    def grid_queue_lengths(self) -> np.ndarray:
        c = self.cases
        at_grid = (c["state"] == AT_GRID) & ~c["lost"]
        return np.bincount(self.grid_index[c["res"][at_grid]], minlength=self.n_grids)

    def department_queue_lengths(self) -> np.ndarray:
        c = self.cases
        return np.bincount(c["dept"][c["state"] == AT_DEPARTMENT], minlength=len(DEPARTMENTS))

    def recent_participation(self) -> np.ndarray:
        """Who took part in the last four completed weeks."""
        return self.people.last_participation >= self.week - WINDOW

    def graph(self):
        """The social network as a networkx graph (built on request; large at scale)."""
        return network.to_networkx(self.neighbourhood)

    @property
    def grid(self):
        """The social network as a Mesa space (``model.space``), built on first use.

        Mesa's ``make_space_component`` draws ``model.grid``; see :mod:`model.space`. The
        grid worker serving each resident is ``grid_index``.
        """
        from .space import network_space

        return network_space(self)

    def case_counts(self) -> dict[str, int]:
        """Every case since week 0 (open ones carried over from the burn-in included), by state."""
        c = self.cases
        return {
            "at_grid": int(np.count_nonzero(c["state"] == AT_GRID)),
            "at_department": int(np.count_nonzero(c["state"] == AT_DEPARTMENT)),
            "resolved": self.totals["resolved"],
            "closed_on_paper": self.totals["paper"],
            "abandoned": self.totals["abandoned"],
            "received": self.totals["received"],
        }

    def summary(self) -> dict[str, float]:
        """Run-level figures (definitions in ``model.metrics.SUMMARY``)."""
        df = self.datacollector.get_model_vars_dataframe()
        out: dict[str, float] = {"weeks": float(self.week), "residents": float(self.n)}
        if len(df):
            tail = df.tail(TAIL)
            out["participation_start"] = float(df["participation_rate"].iloc[0])
            out["participation_end"] = float(tail["participation_rate"].mean())
            out["participation_min"] = float(df["participation_rate"].min())
            out["active_participation_end"] = float(tail["active_participation_rate"].mean())
            for name in SUMMARY:
                col = name.removesuffix("_end")
                if name.endswith("_end") and col in df and name != "participation_end":
                    out[name] = float(tail[col].mean())
            out["end_window_weeks"] = float(len(tail))
        out["cases_received_total"] = float(self.totals["received"])
        out["cases_resolved_total"] = float(self.totals["resolved"])
        out["cases_closed_on_paper_total"] = float(self.totals["paper"])
        out["cases_abandoned_total"] = float(self.totals["abandoned"])
        out["budget_spent_total"] = float(self.budget_spent)
        out.update(rereport_odds_ratio(self))
        out.update(report_concentration(self.people.n_reports))
        return out


# arrays users read straight off the model, e.g. ``model.efficacy`` (views into model.people)
for _name in _RESIDENT_VIEWS:
    setattr(
        CommunityModel,
        _name,
        property(lambda self, _n=_name: getattr(self.people, _n), doc=f"``people.{_name}``"),
    )


__all__ = ["NEVER", "CommunityModel", "check_consistency", "check_mid_run"]
