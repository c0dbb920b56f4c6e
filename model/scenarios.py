"""Named scenarios: lever values that switch on at ``reform_week`` (default 52).

Each entry: ``label_en``/``label_zh``, ``paper`` (the paper's words), ``description`` (one
line for the dashboard and docs) and ``levers`` (parameter values, validated against the
registry). The baseline has no levers: the defaults are the status quo the paper criticises.

Mesa 3.5 reserves ``Model(scenario=...)`` for :class:`mesa.experimental.scenarios.Scenario`
objects, and its SolaraViz rebuilds a model on Reset as
``type(model)(**params, scenario=type(model.scenario)(**scenario_params))``. So a scenario
is also a Mesa Scenario: :data:`CivicScenario` is generated from the parameter registry
(every parameter a typed field whose default is the status quo, plus ``scenario_name``,
the named lever set that switches on at ``reform_week``), and each named scenario is an
instance of its own small subclass (``scenario_class("beijing_reform")``), so that a Reset
keeps the named scenario. Mesa is imported only when one of these is first asked for, so
listing parameters or checking a spec stays fast.
"""

from __future__ import annotations

import difflib
import functools
from typing import Any, NamedTuple

SCENARIOS: dict[str, dict[str, Any]] = {
    "baseline": {
        "label_en": "Status quo",
        "label_zh": "现状",
        "paper": "参不参与都一样",
        "description": "Slow, trace-assessed, formalist services; no reform.",
        "description_zh": "服务慢、留痕考核、形式主义；不改革。",
        "levers": {},
    },
    "feedback_loop": {
        "label_en": "Close the feedback loop",
        "label_zh": "反馈闭环",
        "paper": "收集意见—协商办理—落实推进—反馈信息",
        "description": "Residents are told what happened to their case, fixed or not.",
        "description_zh": "无论是否解决，都告知居民案件处理情况。",
        "levers": {"feedback_prob": 0.9},
    },
    "whistle_and_report": {
        "label_en": "Whistle and report",
        "label_zh": "吹哨报到",
        "paper": "街乡吹哨、部门报到",
        "description": "The Party committee summons departments for named cases every week; "
        "they must report and answer within a deadline.",
        "description_zh": "社区党委每周可就具体案件向部门吹哨，部门须报到并在时限内答复。",
        "levers": {"whistle": True, "whistle_deadline_weeks": 2},
    },
    "burden_reduction": {
        "label_en": "Burden reduction",
        "label_zh": "摘牌减负",
        "paper": "摘牌减负, 禁止职能部门直接向社区推派任务",
        "description": "Departments may no longer push their tasks, or the follow-up of "
        "the cases they have not done, down to grid workers.",
        "description_zh": "职能部门不得再向网格员下派任务，也不得把未办结案件的跟进推给网格。",
        "levers": {"push_down_share": 0.1, "push_down_per_waiting_job": 0.0},
    },
    "anti_formalism": {
        "label_en": "Results-based assessment",
        "label_zh": "结果导向考核",
        "paper": "强化结果导向, 扩大群众满意度在考核中的比重, 避免过度留痕",
        "description": "Assessment counts satisfaction, not ledgers: less paperwork, fewer "
        "paper closures, relevant activities.",
        "description_zh": "考核看满意率而非台账：台账减少、纸面办结减少、活动切合需求。",
        "levers": {"assessment": "results", "paperwork_share": 0.1},
    },
    "resident_incentives": {
        "label_en": "Resident incentives",
        "label_zh": "居民激励",
        "paper": "激发群众主体意识, 变“要我参与”为“我要参与”",
        "description": "Rewards (points, recognition) for taking part.",
        "description_zh": "对参与给予奖励（积分、表彰）。",
        "levers": {"resident_incentive": 1.0},
    },
    "worker_incentives": {
        "label_en": "Performance pay",
        "label_zh": "绩效薪酬",
        "paper": "推行薪酬制, 增加社区干部绩效考核工资的比例",
        "description": "Grid workers' pay tied to performance: more effective capacity.",
        "description_zh": "网格员工资与绩效挂钩：有效能力提高。",
        "levers": {"worker_performance_pay": 1.0},
    },
    "funding": {
        "label_en": "Funding",
        "label_zh": "资金保障",
        "paper": "项目债券资金, 专项资金, 社区经济(葫芦岛)",
        "description": "Larger department budget, faster approval and a community fund.",
        "description_zh": "部门预算增加、审批加快并设立社区基金。",
        "levers": {"department_budget": 150.0, "approval_delay_weeks": 2, "community_fund": 30.0},
    },
    "professionalisation": {
        "label_en": "Professional social workers",
        "label_zh": "专业化队伍",
        "paper": "专业社工在社会工作者中仅占23.4%; 培养培训专业化队伍",
        "description": "Most grid workers become certified professional social workers.",
        "description_zh": "大多数网格员成为持证专业社工。",
        "levers": {"professional_share": 0.8},
    },
    "grid_plus_branch": {
        "label_en": "Grid + branch",
        "label_zh": "网格+支部",
        "paper": "通过“网格+支部”的形式; 以党员为骨干的兼职网格员",
        "description": "Party members serve as part-time grid workers in their buildings.",
        "description_zh": "党员在本楼担任兼职网格员。",
        "levers": {"grid_plus_branch": True},
    },
    "integrated_platform": {
        "label_en": "Integrated platform",
        "label_zh": "一体化平台",
        "paper": "整合各类线上、线下信访投诉平台",
        "description": "One online/offline complaint platform: cheaper reporting, no lost cases.",
        "description_zh": "线上线下一体化投诉平台：反映更便宜，诉求不遗失。",
        "levers": {"online_platform": True},
    },
    "deliberation": {
        "label_en": "Deliberation",
        "label_zh": "议事协商",
        "paper": "联席会议、民情恳谈、议事协商",
        "description": "Monthly compound meetings where residents co-decide shared problems.",
        "description_zh": "每月小区议事会，居民共同商议共性问题。",
        "levers": {"deliberation_every_weeks": 4},
    },
    "trained_members": {
        "label_en": "Trained Party members",
        "label_zh": "党员培训",
        "paper": "党内教育培训; 成员年龄大、学历低",
        "description": "Party members trained to full ability: more outreach, organising time "
        "and part-time grid work, at a cost.",
        "description_zh": "党员经培训达到完全胜任：联系群众、组织活动和兼职网格工作更多，"
        "需要费用。",
        "levers": {"party_training": 1.0},
    },
    "capable_branches": {
        "label_en": "Capable branches",
        "label_zh": "支部强起来",
        "paper": "网格+支部; 民情恳谈、议事协商; 活动形式单一",
        "description": "Compound branches with twice the organising time take their agenda "
        "from residents and hold monthly deliberation meetings.",
        "description_zh": "小区党支部组织时间加倍，议题来自民情，并每月召开议事协商会。",
        "levers": {"branch_capacity": 2.0, "resident_agenda": True, "deliberation_every_weeks": 4},
    },
    "convening_committee": {
        "label_en": "Convening committee",
        "label_zh": "党委统筹",
        "paper": "组织协调各方资源; 联席会议; 一岗双责",
        "description": "The community Party committee meets the departments every two weeks "
        "and departments take their Party duty seriously.",
        "description_zh": "社区党委每两周与职能部门召开联席会议，部门切实履行一岗双责。",
        "levers": {"committee_convening_every_weeks": 2, "department_party_duty": 0.8},
    },
    "party_leadership": {
        "label_en": "Party-building leadership",
        "label_zh": "党建引领",
        "paper": "党建引领社区治理: 社区党委—党支部—党小组",
        "description": "All three tiers at once: trained members, capable branches with the "
        "residents' agenda, a convening committee with real pull on departments.",
        "description_zh": "三级同时发力：党员经培训、支部强且议题来自民情、"
        "党委统筹且部门真正响应。",
        "levers": {
            "party_training": 1.0,
            "branch_capacity": 2.0,
            "resident_agenda": True,
            "deliberation_every_weeks": 4,
            "committee_convening_every_weeks": 2,
            "department_party_duty": 0.8,
        },
    },
    "beijing_reform": {
        "label_en": "Beijing reform",
        "label_zh": "北京模式",
        "paper": "街乡吹哨、部门报到; 接诉即办; 结果导向",
        "description": "Whistle and report, a closed feedback loop and results-based "
        "assessment together.",
        "description_zh": "吹哨报到、反馈闭环与结果导向考核三者并举。",
        "levers": {
            "whistle": True,
            "whistle_deadline_weeks": 2,
            "feedback_prob": 0.9,
            "assessment": "results",
            "paperwork_share": 0.1,
        },
    },
}

SCENARIOS["full_package"] = {
    "label_en": "Full package",
    "label_zh": "综合施策",
    "paper": "统筹解决治理过程中人、资金、制度、平台等各种问题",
    "description": "Every lever at once.",
    "description_zh": "所有杠杆同时启用。",
    "levers": {
        k: v for name, s in SCENARIOS.items() if name != "baseline" for k, v in s["levers"].items()
    },
}


# ---------------------------------------------------------------------- Mesa scenarios
class ResolvedScenario(NamedTuple):
    """What a model is built from: the named lever set, week-0 values and the Mesa object."""

    name: str  # key of SCENARIOS whose levers switch on at reform_week
    params: dict[str, Any]  # explicitly set parameters (hold from week 0, win over levers)
    mesa_scenario: Any  # a CivicScenario instance holding all of it (and the rng)


@functools.cache
def _base_class() -> type:
    """The Scenario subclass generated from the registry (as it is when first asked for)."""
    from mesa.experimental.scenarios import Scenario

    from .params import PARAMS, validate

    fields: dict[str, Any] = {name: p.default for name, p in PARAMS.items()}
    fields["scenario_name"] = "baseline"
    annotations: dict[str, Any] = {name: p.type for name, p in PARAMS.items()}
    annotations["scenario_name"] = str

    def __init__(self, *, rng=None, **kwargs: Any) -> None:  # noqa: N807
        name = kwargs.pop("scenario_name", type(self).scenario_name)
        check_name(name)
        scenario_id = kwargs.pop("_scenario_id", None)
        params = validate(kwargs)  # unknown names and bad values: the registry's message
        extra = {"_scenario_id": scenario_id} if scenario_id is not None else {}
        Scenario.__init__(self, rng=rng, scenario_name=name, **params, **extra)
        # which values were given, so that a named scenario's lever yields only to those
        object.__setattr__(self, "_explicit", frozenset(params))

    def explicit(self) -> dict[str, Any]:
        """The parameters set explicitly on this scenario (the rest are defaults)."""
        return {k: getattr(self, k) for k in self._explicit}

    def __repr__(self) -> str:  # noqa: N807
        given = ", ".join(f"{k}={v!r}" for k, v in sorted(self.explicit().items()))
        given = f", {given}" if given else ""
        return f"{type(self).__name__}(scenario_name={self.scenario_name!r}{given})"

    namespace = {
        **fields,
        "__annotations__": annotations,
        "__slots__": ("_explicit",),
        "__init__": __init__,
        "__repr__": __repr__,
        "explicit": explicit,
        "__module__": __name__,
        "__doc__": "A civicloop scenario as a Mesa Scenario: every registry parameter is a "
        "typed field (default: the status quo); ``scenario_name`` names the lever set from "
        "``SCENARIOS`` that switches on at ``reform_week``.",
    }
    return type("CivicScenario", (Scenario,), namespace)


@functools.cache
def scenario_class(name: str) -> type:
    """The subclass of :data:`CivicScenario` whose ``scenario_name`` defaults to ``name``."""
    check_name(name)
    base = _base_class()
    if name == "baseline":
        return base
    return type(
        f"{_camel(name)}Scenario",
        (base,),
        {"scenario_name": name, "__annotations__": {"scenario_name": str},
         "__slots__": (), "__module__": __name__},
    )  # fmt: skip


def named_scenario(name: str, rng=None, **params: Any):
    """A named scenario as a Mesa Scenario instance, e.g. ``named_scenario("funding", rng=1)``."""
    return scenario_class(name)(rng=rng, **params)


def check_name(name: Any) -> None:
    from .params import ParameterError

    if not isinstance(name, str) or name not in SCENARIOS:
        close = difflib.get_close_matches(str(name), SCENARIOS, n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ParameterError(f"unknown scenario {name!r}{hint} (known: {', '.join(SCENARIOS)})")


def resolve_scenario(scenario: Any, params: dict[str, Any], rng: Any = None) -> ResolvedScenario:
    """Turn ``CommunityModel(scenario=..., rng=..., **params)`` into one resolved scenario.

    ``scenario`` is a name from :data:`SCENARIOS`, a :data:`CivicScenario` (or a subclass
    from :func:`scenario_class`), any other Mesa ``Scenario`` whose fields are registry
    parameters (and optionally ``scenario_name``), or None (the baseline). Keyword
    parameters win over the scenario's own values; ``rng`` must agree with the scenario's.
    """
    from .params import ParameterError

    if scenario is None:
        scenario = "baseline"
    if isinstance(scenario, str):
        check_name(scenario)
        mesa_scenario = scenario_class(scenario)(rng=rng, **params)
        return ResolvedScenario(scenario, mesa_scenario.explicit(), mesa_scenario)
    from mesa.experimental.scenarios import Scenario

    if not isinstance(scenario, Scenario):
        raise ParameterError(
            f"scenario must be a scenario name ({', '.join(SCENARIOS)}) or a Mesa Scenario, "
            f"got {type(scenario).__name__}"
        )
    if isinstance(scenario, _base_class()):
        name, given = scenario.scenario_name, scenario.explicit()
    else:  # a plain Mesa Scenario: its fields are parameters
        fields = {k: v for k, v in scenario if k not in ("rng", "model")}
        name = fields.pop("scenario_name", "baseline")
        given = fields
    own_rng = scenario.rng
    if rng is not None and own_rng is not None and rng is not own_rng and rng != own_rng:
        raise ParameterError(f"rng={rng!r} differs from the scenario's rng={own_rng!r}")
    rng = own_rng if rng is None else rng
    if not params and isinstance(scenario, _base_class()) and rng is own_rng:
        return ResolvedScenario(name, given, scenario)
    mesa_scenario = scenario_class(name)(rng=rng, **{**given, **params})
    return ResolvedScenario(name, mesa_scenario.explicit(), mesa_scenario)


def _camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


def __getattr__(name: str) -> Any:
    """The generated classes by name (``CivicScenario``, ``FundingScenario`` …), so that
    pickle finds them and a model built with a named scenario can be saved and restored."""
    if name == "CivicScenario":
        return _base_class()
    for scenario in SCENARIOS:
        if scenario != "baseline" and f"{_camel(scenario)}Scenario" == name:
            return scenario_class(scenario)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
