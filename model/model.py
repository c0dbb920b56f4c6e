"""CommunityModel: the world, its construction and the order of a week.

One step is one week. ``step()`` reads like the design brief's weekly order: needs arise,
Party members reach out, residents decide whether to take part, grid workers and departments
work their queues, outcomes reach residents (or do not), and efficacy learns from outcomes
and from neighbours. All per-resident state lives in numpy arrays updated in bulk; cases live
in a small table of parallel arrays that holds only open cases.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import mesa
import numpy as np
from mesa.experimental.scenarios import Scenario

from . import network
from .agents import DEPARTMENTS, Department, GridWorker, PartyMember, Resident
from .metrics import REREPORT_WINDOW, WINDOW, model_reporters
from .params import PARAMS, ParameterError, defaults, validate
from .scenarios import SCENARIOS, resolve_scenario

YOUTH, WORKING, RETIRED = 0, 1, 2
SIMPLE, COMPLEX, SHARED = 0, 1, 2  # kinds of problem / case
AT_GRID, AT_DEPARTMENT = 0, 1  # states of an open case
RESOLVED, CLOSED_ON_PAPER, ABANDONED = 0, 1, 2  # ways a case ends
HOUSING, CIVIL_AFFAIRS = 0, 2
N_DEPARTMENTS = len(DEPARTMENTS)

#: Which department a personal problem goes to, by age group (rows: youth, working, retired).
DEPARTMENT_MIX = np.array(
    [
        [0.25, 0.20, 0.10, 0.20, 0.25],
        [0.25, 0.20, 0.15, 0.15, 0.25],
        [0.15, 0.15, 0.45, 0.10, 0.15],  # elderly care and health go to civil affairs
    ]
)
FREE_TIME = {"employed": 0.2, "not_employed": 0.6, "retired": 0.85}
PREFERS_ONLINE = np.array([0.85, 0.65, 0.15])  # youth, working, retired
PERFORMANCE_PAY_GAIN = 0.4  # capacity gained at full performance pay (see the registry)

_CASE_FIELDS = {
    "res": np.int32,  # resident who reported
    "kind": np.int8,  # SIMPLE / COMPLEX / SHARED
    "dept": np.int8,  # department the problem belongs to
    "week": np.int32,  # week reported
    "state": np.int8,  # AT_GRID / AT_DEPARTMENT
    "dept_week": np.int32,  # week escalated
    "lost": np.bool_,  # offline report never registered by anyone
    "codecided": np.bool_,  # discussed at a deliberation meeting
    "whistled": np.bool_,  # escalated under whistle & report
    "professional": np.bool_,  # handled by a professional social worker
    "first": np.bool_,  # the resident's first report
    "key": np.float32,  # random tie-break within a queue
}


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
        # a name or a Mesa Scenario (SolaraViz's Reset passes one) → name, week-0 values
        name, params, mesa_scenario = resolve_scenario(scenario, params, rng)
        super().__init__(rng=mesa_scenario.rng, scenario=mesa_scenario)
        self.scenario_name = name
        self.params: dict[str, Any] = defaults()
        self.params.update(params)
        self._explicit = set(params)
        check_consistency(self.params)
        self.schedule_of_levers = self._build_schedule(name, interventions)
        self.week = 0

        self._build_neighbourhood()
        self._build_residents()
        self._build_services()
        self._reset_cases()
        self._reset_counters()
        self._refresh_levers()
        self._initial_history()

        self.datacollector = mesa.DataCollector(model_reporters=model_reporters())
        self.measures: dict[str, float] = {}

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
        self.building = hood.building
        self.compound = hood.compound
        self.adjacency = hood.adjacency
        self.degree = np.asarray(self.adjacency.sum(axis=1), dtype=np.float32).ravel()
        self._inv_degree = np.where(self.degree > 0, 1.0 / np.maximum(self.degree, 1), 0.0)
        self._inv_degree = self._inv_degree.astype(np.float32)
        self.n_buildings = int(self.building.max()) + 1
        self.n_compounds = int(self.compound.max()) + 1
        b_start, b_size = network.group_bounds(self.building)
        self._building_start, self._building_size = b_start, b_size
        # grids cover whole buildings, about grid_households households each
        grid_of_building = np.unique(
            b_start // self.params["grid_households"], return_inverse=True
        )[1]
        self.grid_of_building = grid_of_building.astype(np.int32)
        self.grid_index = self.grid_of_building[self.building]
        self.n_grids = int(self.grid_index.max()) + 1

    def _build_residents(self) -> None:
        p, rng, n = self.params, self.rng, self.n
        attrs = self.neighbourhood.attributes
        u = rng.random(n)
        age = np.full(n, WORKING, dtype=np.int8)
        age[u < p["retired_share"]] = RETIRED
        age[(u >= p["retired_share"]) & (u < p["retired_share"] + p["youth_share"])] = YOUTH
        self.age_group = attrs.get("age_group", age).astype(np.int8)
        self.low_income = attrs.get("low_income", rng.random(n) < p["low_income_share"])
        self.party = attrs.get("party", rng.random(n) < p["party_share"])
        employ_p = np.where(self.low_income, 0.5, 1.0) * p["employed_share"]
        employed = (rng.random(n) < employ_p) & (self.age_group != RETIRED)
        self.employed = attrs.get("employed", employed)
        free = np.where(self.employed, FREE_TIME["employed"], FREE_TIME["not_employed"])
        free = np.where(self.age_group == RETIRED, FREE_TIME["retired"], free)
        self.free_time = np.clip(free + rng.uniform(-0.1, 0.1, n), 0, 1).astype(np.float32)
        self.prefers_online = rng.random(n) < PREFERS_ONLINE[self.age_group]
        m = p["initial_efficacy"]
        self.efficacy = rng.beta(10 * m, 10 * (1 - m), n).astype(np.float32)

        self.last_participation = np.full(n, -10_000, dtype=np.int32)
        self.issue_week = np.full(n, -1, dtype=np.int32)  # week a pending problem arose
        self.issue_kind = np.zeros(n, dtype=np.int8)
        self.issue_dept = np.zeros(n, dtype=np.int8)
        self.has_case = np.zeros(n, dtype=bool)
        self.mobilised = np.zeros(n, dtype=bool)
        self.n_reports = np.zeros(n, dtype=np.int32)
        self.first_outcome = np.zeros(n, dtype=np.int8)  # 0 none, 1 resolved, 2 not
        self.reports_after_first = np.zeros(n, dtype=np.int32)  # within REREPORT_WINDOW
        self.first_outcome_week = np.zeros(n, dtype=np.int32)
        self.shared_open = np.zeros(self.n_buildings, dtype=bool)
        self.shared_since = np.zeros(self.n_buildings, dtype=np.int32)

        self._masks = {
            "retired": self.age_group == RETIRED,
            "working": self.age_group == WORKING,
            "youth": self.age_group == YOUTH,
            "low_income": self.low_income,
            "party": self.party,
        }
        self._mask_counts = {k: int(v.sum()) for k, v in self._masks.items()}
        self._party_idx = np.flatnonzero(self.party)
        self.party_per_grid = np.bincount(self.grid_index[self._party_idx], minlength=self.n_grids)

        plain = np.flatnonzero(~self.party)
        Resident.create_agents(self, plain.size, plain.tolist())
        PartyMember.create_agents(self, self._party_idx.size, self._party_idx.tolist())
        residents: list = [None] * n
        for cls in (Resident, PartyMember):
            for agent in self.agents_by_type.get(cls, []):
                residents[agent.index] = agent
        self.residents: list[Resident] = residents

    def _build_services(self) -> None:
        self._grid_draw = self.rng.random(self.n_grids)  # fixed: who is professional
        self.grid_workers = list(
            GridWorker.create_agents(self, self.n_grids, list(range(self.n_grids)))
        )
        self.departments = list(
            Department.create_agents(self, N_DEPARTMENTS, list(range(N_DEPARTMENTS)))
        )
        self.department_balance = 0.0
        self.fund_balance = 0.0

    def _reset_cases(self) -> None:
        self.cases = {k: np.empty(0, dtype=t) for k, t in _CASE_FIELDS.items()}

    def _reset_counters(self) -> None:
        self.totals = {"received": 0, "resolved": 0, "paper": 0, "abandoned": 0}
        self.budget_spent = 0.0
        # one entry per week of the rolling window
        self._window: deque = deque(maxlen=WINDOW)
        self._week_log: dict[str, Any] = {}

    # ------------------------------------------------------------------ levers
    def _apply_interventions(self) -> None:
        changed = False
        for week, values in self.schedule_of_levers:
            if week == self.week:
                self.params.update(values)
                changed = True
        if changed:
            check_consistency(self.params)
            self._refresh_levers()

    def set_levers(self, **values: Any) -> None:
        """Change levers now (e.g. from a dashboard); structure cannot change mid-run."""
        check_mid_run(values, "set_levers")
        self.params.update(validate(values))
        self._refresh_levers()

    def _refresh_levers(self) -> None:
        """Precompute the parts of decisions that change only when parameters change."""
        p = self.params
        static = (
            p["party_engagement"] * self.party
            + p["low_income_engagement"] * self.low_income
            + p["resident_incentive"]
            - p["participation_cost"] * (1.0 - self.free_time)
        )
        self._static_logit = static.astype(np.float32)
        channel = self.prefers_online & (not p["online_platform"])
        self._channel_cost = (p["offline_channel_cost"] * channel).astype(np.float32)

    def _initial_history(self) -> None:
        """Start from a community that has been taking part at its initial efficacy.

        Without a history the first weeks would show a ramp from zero instead of the level
        residents start at: each resident took part in the last four weeks with the chance
        implied by the weekly decision rules, and some problems are already pending.
        """
        p, rng = self.params, self.rng
        need = self._need_rate()
        base = self._static_logit + p["efficacy_weight"] * self.efficacy
        weekly = (
            need * _sigmoid(base + p["report_base"] - self._channel_cost)
            + _sigmoid(base + p["activity_base"]) / p["activity_every_weeks"]
        )
        recent = rng.random(self.n) < 1 - (1 - np.minimum(weekly, 1)) ** WINDOW
        self.last_participation[recent] = -rng.integers(1, WINDOW + 1, int(recent.sum()))
        self._new_problems(np.flatnonzero(rng.random(self.n) < need))

    def _need_rate(self) -> np.ndarray:
        p = self.params
        rate = np.array([p["need_rate_youth"], p["need_rate_working"], p["need_rate_retired"]])
        return rate[self.age_group] + p["need_rate_low_income_extra"] * self.low_income

    def _new_problems(self, who: np.ndarray) -> None:
        """Give residents a personal problem: simple or complex, and its department."""
        p, rng = self.params, self.rng
        self.issue_week[who] = self.week
        self.issue_kind[who] = np.where(rng.random(who.size) < p["complex_share"], COMPLEX, SIMPLE)
        cum = DEPARTMENT_MIX.cumsum(axis=1)[self.age_group[who]]
        dept = (rng.random(who.size)[:, None] > cum).sum(axis=1)
        # low-income households' benefits (低保) run through civil affairs
        dept = np.where(self.low_income[who] & (rng.random(who.size) < 0.3), CIVIL_AFFAIRS, dept)
        self.issue_dept[who] = np.minimum(dept, N_DEPARTMENTS - 1)

    def grid_professional(self) -> np.ndarray:
        """Which grid workers are certified professionals (专业社工), by grid."""
        return self._grid_draw < self.params["professional_share"]

    def grid_case_capacity(self) -> np.ndarray:
        """Cases per week each grid worker can handle after other duties, Party help included."""
        p = self.params
        own = (
            p["grid_capacity"]
            * (1 + PERFORMANCE_PAY_GAIN * p["worker_performance_pay"])
            * max(0.0, 1 - p["push_down_share"] - p["paperwork_share"])
        )
        cap = np.full(self.n_grids, own)
        if p["grid_plus_branch"]:
            cap = cap + p["party_grid_capacity"] * (1 - p["paperwork_share"]) * self.party_per_grid
        return cap

    def department_case_capacity(self) -> float:
        """Community cases per week one department works (whistle ⇒ full attention)."""
        p = self.params
        attention = 1.0 if p["whistle"] else p["department_attention"]
        ledgers = 1 - p["paperwork_share"]  # departments keep ledgers for assessment too
        return p["department_capacity"] * self.n / 1000 / N_DEPARTMENTS * attention * ledgers

    def grid_queue_lengths(self) -> np.ndarray:
        c = self.cases
        at_grid = (c["state"] == AT_GRID) & ~c["lost"]
        return np.bincount(self.grid_index[c["res"][at_grid]], minlength=self.n_grids)

    def department_queue_lengths(self) -> np.ndarray:
        c = self.cases
        at_dept = c["state"] == AT_DEPARTMENT
        return np.bincount(c["dept"][at_dept], minlength=N_DEPARTMENTS)

    def recent_participation(self) -> np.ndarray:
        """Who took part in the last four completed weeks."""
        return self.last_participation >= self.week - WINDOW

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

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """One week, in the order of the design brief."""
        self._apply_interventions()
        self._begin_week()
        self.needs_arise()
        self.party_members_reach_out()
        self.residents_take_part()
        self.grid_workers_work()
        self.departments_work()
        self.cases_time_out()
        self.outcomes_reach_residents()
        self.word_of_mouth()
        self._measure()
        self.datacollector.collect(self)
        self.week += 1

    def _begin_week(self) -> None:
        p = self.params
        per_week = self.n / 1000 / 52
        self.department_balance += p["department_budget"] * per_week
        self.fund_balance += p["community_fund"] * per_week
        self._ended: list[tuple[np.ndarray, ...]] = []
        self._week_log = {
            "received": 0, "resolved": 0, "paper": 0, "reported": 0, "lapsed": 0,
            "grid_processed": 0, "spent": 0.0,
        }  # fmt: skip
        self._participated = np.zeros(self.n, dtype=bool)
        # what each resident sees of the ties at the start of the week (one sparse pass)
        recent = self.recent_participation().astype(np.float32)
        both = self.adjacency @ np.column_stack([recent, self.efficacy])
        self._neighbour_share = both[:, 0] * self._inv_degree
        self._neighbour_efficacy = both[:, 1] * self._inv_degree

    def needs_arise(self) -> None:
        """急难愁盼: new personal problems by group, and shared problems by building."""
        p, rng, t = self.params, self.rng, self.week
        free = (self.issue_week < 0) & ~self.has_case
        self._new_problems(np.flatnonzero(free & (rng.random(self.n) < self._need_rate())))
        # shared problems (lifts, renovation, sanitation) touch a whole building
        expired = self.shared_open & (t - self.shared_since >= p["case_timeout_weeks"])
        self.shared_open[expired] = False
        hit = np.flatnonzero(
            ~self.shared_open & (rng.random(self.n_buildings) < p["shared_issue_rate"])
        )
        if hit.size:
            self.shared_open[hit] = True
            self.shared_since[hit] = t
            members = np.zeros(self.n, dtype=bool)
            members[_members(hit, self._building_start, self._building_size)] = True
            touched = np.flatnonzero(members & (self.issue_week < 0) & ~self.has_case)
            self.issue_week[touched] = t
            self.issue_kind[touched] = SHARED
            self.issue_dept[touched] = HOUSING

    def party_members_reach_out(self) -> None:
        """党小组: Party members contact neighbours in their building (less under paperwork)."""
        p = self.params
        self.mobilised[:] = False
        reach = p["party_outreach"] * (1 - p["paperwork_share"])
        if p["grid_plus_branch"]:
            reach *= 2  # as part-time grid workers they also visit to collect problems
        if reach <= 0 or self._party_idx.size == 0:
            return
        b = self.building[self._party_idx]
        contacts = self.rng.poisson(reach, self._party_idx.size)
        b = np.repeat(b, contacts)
        who = self._building_start[b] + (self.rng.random(b.size) * self._building_size[b]).astype(
            np.int64
        )
        self.mobilised[who] = True

    def _logit_base(self, idx: np.ndarray) -> np.ndarray:
        p = self.params
        return (
            self._static_logit[idx]
            + p["efficacy_weight"] * self.efficacy[idx]
            + p["neighbour_weight"] * self._neighbour_share[idx]
            + p["mobilisation_weight"] * self.mobilised[idx]
        )

    def residents_take_part(self) -> None:
        """Report a problem, attend an activity or a deliberation – or not."""
        p, rng, t = self.params, self.rng, self.week
        # --- report pending problems (反映问题)
        pending = np.flatnonzero((self.issue_week >= 0) & ~self.has_case)
        logit = self._logit_base(pending) + p["report_base"] - self._channel_cost[pending]
        collected = self.mobilised[pending] & p["grid_plus_branch"]
        # a part-time grid worker collecting the problem at the door removes the cost
        logit = np.where(
            collected,
            logit
            + p["participation_cost"] * (1 - self.free_time[pending])
            + self._channel_cost[pending],
            logit,
        )
        report = rng.random(pending.size) < _sigmoid(logit)
        reporters = pending[report]
        lost_p = 0.0 if p["online_platform"] else p["lost_case_prob"]
        lost = (rng.random(reporters.size) < lost_p) & ~collected[report]
        self._open_cases(reporters, lost, codecided=np.zeros(reporters.size, dtype=bool))
        # problems not reported in time lapse (given up)
        left = pending[~report]
        lapse = left[t - self.issue_week[left] >= p["issue_lapse_weeks"] - 1]
        self.issue_week[lapse] = -1
        self._week_log["lapsed"] += lapse.size
        # --- Party-group activities, staggered across buildings (党建活动)
        every = p["activity_every_weeks"]
        holding = np.flatnonzero(np.arange(self.n_buildings) % every == t % every)
        if holding.size:
            relevance = (
                p["results_relevance"] if p["assessment"] == "results" else p["formalist_relevance"]
            )
            relevant_b = rng.random(holding.size) < relevance
            who = _members(holding, self._building_start, self._building_size)
            relevant = np.repeat(relevant_b, self._building_size[holding])
            go = rng.random(who.size) < _sigmoid(self._logit_base(who) + p["activity_base"])
            self._participated[who[go]] = True
            self._learn(who[go], relevant[go].astype(np.float32), p["activity_weight"])
        # --- deliberation meetings in every compound (议事协商)
        k = p["deliberation_every_weeks"]
        if k and t % k == 0:
            logit = self._logit_base(np.arange(self.n)) + p["activity_base"] + 1.0
            go = np.flatnonzero(rng.random(self.n) < _sigmoid(logit))
            self._participated[go] = True
            self._learn(go, np.ones(go.size, dtype=np.float32), p["activity_weight"])
            # attendees bring pending shared problems; open shared cases become co-decided
            bring = go[(self.issue_week[go] >= 0) & ~self.has_case[go]]
            bring = bring[self.issue_kind[bring] == SHARED]
            self._open_cases(
                bring, np.zeros(bring.size, dtype=bool), np.ones(bring.size, dtype=bool)
            )
            voiced = np.zeros(self.n_compounds, dtype=bool)
            voiced[self.compound[go]] = True
            c = self.cases
            c["codecided"] |= (c["kind"] == SHARED) & voiced[self.compound[c["res"]]]

    def _open_cases(self, who: np.ndarray, lost: np.ndarray, codecided: np.ndarray) -> None:
        if who.size == 0:
            return
        t = self.week
        new = {
            "res": who,
            "kind": self.issue_kind[who],
            "dept": self.issue_dept[who],
            "week": np.full(who.size, t),
            "state": np.full(who.size, AT_GRID),
            "dept_week": np.full(who.size, t),
            "lost": lost,
            "codecided": codecided,
            "whistled": np.zeros(who.size, dtype=bool),
            "professional": np.zeros(who.size, dtype=bool),
            "first": self.n_reports[who] == 0,
            "key": self.rng.random(who.size),
        }
        for k, dtype in _CASE_FIELDS.items():
            self.cases[k] = np.concatenate([self.cases[k], np.asarray(new[k], dtype=dtype)])
        since_first = t - self.first_outcome_week[who]
        self.reports_after_first[who] += (self.first_outcome[who] > 0) & (
            since_first <= REREPORT_WINDOW
        )
        self.n_reports[who] += 1
        self.has_case[who] = True
        self._participated[who] = True
        self._week_log["received"] += who.size
        self._week_log["reported"] += who.size
        self.totals["received"] += who.size

    def grid_workers_work(self) -> None:
        """网格员: work the queue first come first served; solve simple cases, escalate the rest."""
        p, rng, t, c = self.params, self.rng, self.week, self.cases
        queued = np.flatnonzero((c["state"] == AT_GRID) & ~c["lost"])
        cap = _stochastic_round(rng, self.grid_case_capacity())
        g = self.grid_index[c["res"][queued]]
        order = np.lexsort((c["key"][queued], c["week"][queued], g))
        queued, g = queued[order], g[order]
        rank = np.arange(queued.size) - np.searchsorted(g, g)
        take = rank < cap[g]
        work, g = queued[take], g[take]
        self._week_log["grid_processed"] = work.size
        pro = self.grid_professional()[g]
        solve_p = np.clip(p["simple_solve_prob"] + p["professional_bonus"] * pro, 0, 1)
        solved = rng.random(work.size) < solve_p
        c["professional"][work] = pro
        fixed = (c["kind"][work] == SIMPLE) & solved
        # the community fund lets the grid worker fix complex personal problems on the spot
        fundable = np.flatnonzero((c["kind"][work] == COMPLEX) & solved)
        if fundable.size and p["case_cost"] > 0 and self.fund_balance > 0:
            n_afford = int(min(fundable.size, self.fund_balance // p["case_cost"]))
            fixed[fundable[:n_afford]] = True
            self._spend(n_afford * p["case_cost"], fund=True)
        elif fundable.size and p["case_cost"] == 0 and p["community_fund"] > 0:
            fixed[fundable] = True
        up = work[~fixed]
        c["state"][up] = AT_DEPARTMENT
        c["dept_week"][up] = t
        c["whistled"][up] = p["whistle"]
        self._end(work[fixed], RESOLVED)  # last: ending cases renumbers the table

    def departments_work(self) -> None:
        """职能部门: approval delay, capacity, budget, priorities, and paper closures."""
        p, rng, t, c = self.params, self.rng, self.week, self.cases
        at_dept = c["state"] == AT_DEPARTMENT
        # special funds for shared fixes need layered approval (层层审批) first
        waiting = (c["kind"] == SHARED) & (t - c["dept_week"] < p["approval_delay_weeks"])
        approved = at_dept & ~c["lost"] & ~waiting
        idx = np.flatnonzero(approved)
        priority = ~(c["whistled"][idx] | c["codecided"][idx])
        order = np.lexsort((c["key"][idx], c["dept_week"][idx], priority))
        idx = idx[order]  # global priority order, used for the shared budget
        dept = c["dept"][idx]
        by_dept = np.argsort(dept, kind="stable")
        d_sorted = dept[by_dept]
        rank_sorted = np.arange(idx.size) - np.searchsorted(d_sorted, d_sorted)
        rank = np.empty_like(rank_sorted)
        rank[by_dept] = rank_sorted
        cap = _stochastic_round(rng, np.full(N_DEPARTMENTS, self.department_case_capacity()))
        work = idx[rank < cap[dept]]
        # budget: a building's shared fix is paid once and fixes every case about it
        kind = c["kind"][work]
        b = self.building[c["res"][work]]
        first_of_building = np.zeros(work.size, dtype=bool)
        shared = np.flatnonzero(kind == SHARED)
        first_of_building[shared[np.unique(b[shared], return_index=True)[1]]] = True
        cost = np.where(kind == SHARED, p["shared_case_cost"] * first_of_building, p["case_cost"])
        affordable = np.cumsum(cost) <= self.department_balance + 1e-9
        fixed = work[affordable]
        self._spend(float(cost[affordable].sum()), fund=False)
        fixed_buildings = np.unique(self.building[c["res"][fixed[c["kind"][fixed] == SHARED]]])
        self._end(fixed, RESOLVED)
        if fixed_buildings.size:
            self._fix_shared(fixed_buildings)
        # trace-based assessment: overdue cases are closed on paper (纸面办结)
        c = self.cases
        overdue_after = np.where(
            c["whistled"], p["whistle_deadline_weeks"], p["paper_closure_after_weeks"]
        )
        overdue = (c["state"] == AT_DEPARTMENT) & (t - c["dept_week"] >= overdue_after)
        chance = p["paper_closure_prob"] * (
            p["results_paper_factor"] if p["assessment"] == "results" else 1.0
        )
        paper = overdue & (rng.random(overdue.size) < chance)
        self._end(np.flatnonzero(paper), CLOSED_ON_PAPER)

    def _fix_shared(self, buildings: np.ndarray) -> None:
        """A building's shared problem is fixed: every case about it ends, pending ones clear."""
        self.shared_open[buildings] = False
        in_b = np.zeros(self.n_buildings, dtype=bool)
        in_b[buildings] = True
        c = self.cases
        also = np.flatnonzero((c["kind"] == SHARED) & in_b[self.building[c["res"]]])
        self._end(also, RESOLVED)
        members = _members(buildings, self._building_start, self._building_size)
        waiting = members[(self.issue_kind[members] == SHARED) & ~self.has_case[members]]
        self.issue_week[waiting] = -1

    def cases_time_out(self) -> None:
        """Cases open longer than ``case_timeout_weeks`` are abandoned."""
        c = self.cases
        old = np.flatnonzero(self.week - c["week"] >= self.params["case_timeout_weeks"])
        self._end(old, ABANDONED)

    def _end(self, idx: np.ndarray, outcome: int) -> None:
        """Remove cases from the open table and queue their outcome for the residents."""
        if idx.size == 0:
            return
        c = self.cases
        self._ended.append(
            (
                c["res"][idx].copy(),
                np.full(idx.size, outcome, dtype=np.int8),
                (self.week - c["week"][idx]).astype(np.float32),
                c["codecided"][idx].copy(),
                c["professional"][idx].copy(),
                c["first"][idx].copy(),
            )
        )
        keep = np.ones(c["res"].size, dtype=bool)
        keep[idx] = False
        for k in c:
            c[k] = c[k][keep]
        key = {RESOLVED: "resolved", CLOSED_ON_PAPER: "paper", ABANDONED: "abandoned"}[outcome]
        self.totals[key] += idx.size
        if outcome != ABANDONED:
            self._week_log[key] += idx.size

    def _spend(self, amount: float, fund: bool) -> None:
        if fund:
            self.fund_balance -= amount
        else:
            self.department_balance -= amount
        self._week_log["spent"] += amount

    def outcomes_reach_residents(self) -> None:
        """An outcome's value: really fixed, relevant, timely and known – or it didn't matter."""
        p, rng = self.params, self.rng
        if self._ended:
            res, outcome, rt, codecided, pro, first = (np.concatenate(x) for x in zip(*self._ended))
        else:
            res = np.empty(0, np.int32)
            outcome = np.empty(0, np.int8)
            rt = np.empty(0, np.float32)
            codecided = pro = first = np.empty(0, bool)
        k = res.size
        pro_grid = self.grid_professional()[self.grid_index[res]]
        bonus = p["professional_bonus"]
        told = rng.random(k) < np.clip(p["feedback_prob"] + bonus * pro_grid, 0, 1)
        resolved = outcome == RESOLVED
        relevant = codecided | (rng.random(k) < np.clip(p["case_relevance"] + bonus * pro, 0, 1))
        timeliness = np.minimum(1.0, p["patience_weeks"] / np.maximum(rt, 1e-9))
        fix_value = np.where(relevant, 1.0, p["irrelevant_fix_value"]) * timeliness
        noticed = resolved & (rng.random(k) < p["notice_prob"])
        seen = told | noticed
        value = np.where(
            resolved,
            np.where(seen, fix_value, 0.0),
            np.where((outcome == ABANDONED) & told, p["told_unresolved_value"], 0.0),
        ).astype(np.float32)
        self._learn(res, value, 1.0)
        self._participated[res[seen]] = True  # rating the outcome (打分) is taking part
        self.first_outcome[res[first]] = np.where(resolved[first], 1, 2)
        self.first_outcome_week[res[first]] = self.week
        self.has_case[res] = False
        self.issue_week[res] = -1
        satisfied = value >= p["aspiration"]
        self._window.append(
            {
                "reported": self._week_log["reported"],
                "lapsed": self._week_log["lapsed"],
                "ended": k,
                "resolved": int(resolved.sum()),
                "paper": int((outcome == CLOSED_ON_PAPER).sum()),
                "satisfied": int(satisfied.sum()),
                "rt": rt,
            }
        )

    def _learn(self, idx: np.ndarray, value: np.ndarray, weight: float) -> None:
        """Aspiration learning (Bush–Mosteller): losses weigh more than gains."""
        if idx.size == 0 or weight == 0:
            return
        p = self.params
        e = self.efficacy[idx]
        s = value - p["aspiration"]
        step = np.where(s >= 0, p["learning_gain"] * s * (1 - e), p["learning_loss"] * s * e)
        self.efficacy[idx] = np.clip(e + weight * step, 0.0, 1.0)

    def word_of_mouth(self) -> None:
        """口碑: efficacy drifts towards what the ties feel (as of the start of the week)."""
        w = self.params["word_of_mouth"]
        if w:
            has = self.degree > 0
            pull = w * (self._neighbour_efficacy - self.efficacy)
            self.efficacy += np.where(has, pull, 0).astype(np.float32)
            np.clip(self.efficacy, 0, 1, out=self.efficacy)

    # ------------------------------------------------------------------ measurement
    def _measure(self) -> None:
        p, t = self.params, self.week
        self.last_participation[self._participated] = t
        n_part = int(self._participated.sum())
        incentive = p["resident_incentive"] * p["incentive_cost"] * n_part
        pay = p["worker_performance_pay"] * p["performance_pay_cost"] * self.n_grids
        self.budget_spent += self._week_log["spent"] + incentive + pay

        recent = self.last_participation >= t - WINDOW + 1
        n_recent = int(recent.sum())
        m: dict[str, float] = {"participation_rate": n_recent / self.n}
        for name, mask in self._masks.items():
            count = self._mask_counts[name]
            m[f"participation_rate_{name}"] = (
                int(np.count_nonzero(recent & mask)) / count if count else 0.0
            )
        n_retired_recent = int(np.count_nonzero(recent & self._masks["retired"]))
        m["retired_share_of_participants"] = n_retired_recent / n_recent if n_recent else 0.0
        m["retired_share_of_population"] = self._mask_counts["retired"] / self.n
        w = list(self._window)
        reported = sum(x["reported"] for x in w)
        lapsed = sum(x["lapsed"] for x in w)
        m["reporting_share"] = reported / (reported + lapsed) if reported + lapsed else 0.0
        m["mean_efficacy"] = float(self.efficacy.mean(dtype=np.float64))
        m["disengaged_share"] = (
            float(np.count_nonzero(self.efficacy < p["disengaged_threshold"])) / self.n
        )
        m["cases_received"] = float(self._week_log["received"])
        m["cases_resolved"] = float(self._week_log["resolved"])
        m["cases_closed_on_paper"] = float(self._week_log["paper"])
        m["backlog"] = float(self.cases["res"].size)
        ended = sum(x["ended"] for x in w)
        if ended:
            resolved = sum(x["resolved"] for x in w)
            m["completion_rate"] = (resolved + sum(x["paper"] for x in w)) / ended
            m["resolution_rate"] = resolved / ended
            m["satisfaction_rate"] = sum(x["satisfied"] for x in w) / ended
            rt = np.concatenate([x["rt"] for x in w])
            m["response_time_mean"] = float(rt.mean())
            m["response_time_p90"] = float(np.percentile(rt, 90))
        else:
            for k in ("completion_rate", "resolution_rate", "satisfaction_rate",
                      "response_time_mean", "response_time_p90"):  # fmt: skip
                m[k] = 0.0
        total_time = p["grid_capacity"] * (1 + PERFORMANCE_PAY_GAIN * p["worker_performance_pay"])
        own_duties = min(1.0, p["push_down_share"] + p["paperwork_share"]) * total_time
        party = self.grid_case_capacity().sum() - self.n_grids * max(0.0, total_time - own_duties)
        capacity = self.n_grids * total_time + party
        used = self.n_grids * own_duties + self._week_log["grid_processed"]
        m["grid_utilization"] = float(min(1.0, used / capacity)) if capacity > 0 else 0.0
        m["budget_spent"] = float(self.budget_spent)
        self.measures = m

    def case_counts(self) -> dict[str, int]:
        """Every case ever received, by state: open at grid, open at department, ended."""
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
            tail = df.tail(13)
            start = min(WINDOW - 1, len(df) - 1)
            out["participation_start_week"] = float(start)
            out["participation_start"] = float(df["participation_rate"].iloc[start])
            out["participation_end"] = float(tail["participation_rate"].mean())
            out["participation_min"] = float(df["participation_rate"].iloc[start:].min())
            for col in (
                "mean_efficacy", "retired_share_of_participants", "completion_rate",
                "resolution_rate", "satisfaction_rate", "response_time_mean",
                "response_time_p90",
            ):  # fmt: skip
                out[f"{col}_end"] = float(tail[col].mean())
        out["cases_received_total"] = float(self.totals["received"])
        out["cases_resolved_total"] = float(self.totals["resolved"])
        out["cases_closed_on_paper_total"] = float(self.totals["paper"])
        out["cases_abandoned_total"] = float(self.totals["abandoned"])
        out["budget_spent_total"] = float(self.budget_spent)
        out.update(report_patterns(self.n_reports, self.first_outcome, self.reports_after_first))
        return out


def report_patterns(n_reports, first_outcome, reports_after_first) -> dict[str, float]:
    """Re-reporting after a fixed vs unfixed first report, and how concentrated reports are."""
    fixed, unfixed = first_outcome == 1, first_outcome == 2
    again = reports_after_first > 0
    nan = float("nan")
    p_fixed = again[fixed].mean() if fixed.any() else nan
    p_unfixed = again[unfixed].mean() if unfixed.any() else nan
    ratio = p_fixed / p_unfixed if unfixed.any() and fixed.any() and p_unfixed > 0 else nan
    reporters = n_reports[n_reports > 0]
    if reporters.size:
        single = float((reporters == 1).mean())
        top = np.sort(reporters)[::-1][: int(np.ceil(0.1 * reporters.size))]
        top10 = float(top.sum() / reporters.sum())
    else:
        single = top10 = nan
    return {
        "rereport_ratio": float(ratio),
        "single_report_share": single,
        "top10_report_share": top10,
    }


def check_mid_run(values: dict[str, Any], where: str) -> None:
    for name in values:
        if name in PARAMS and not PARAMS[name].mid_run:  # unknown names: validate() explains
            raise ParameterError(
                f"{where} sets {name!r}, which fixes the community's structure or its start "
                "and cannot change mid-run"
            )


def check_consistency(p: dict[str, Any]) -> None:
    if p["retired_share"] + p["youth_share"] > 1:
        raise ParameterError(
            f"retired_share + youth_share must be ≤ 1, got {p['retired_share']} + "
            f"{p['youth_share']}"
        )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _members(groups: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Indices of every member of the given contiguous groups, group by group."""
    lengths = sizes[groups]
    total = int(lengths.sum())
    offsets = np.repeat(starts[groups] - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(total) + offsets


def _stochastic_round(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Round capacities up or down at random so fractional capacity is kept on average."""
    x = np.maximum(np.asarray(x, dtype=float), 0)
    low = np.floor(x)
    return (low + (rng.random(x.shape) < x - low)).astype(np.int64)
