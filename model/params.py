"""The one parameter registry (参数表).

Every parameter is declared once here: name, type, default, range, unit, English and
Chinese label, description and the paper's term. Model validation, the CLI's ``--set`` and
``params`` listing, the ODD parameter table (and later the dashboard and sweep specs) are
all derived from :data:`PARAMS`, so a new lever is one entry here plus its mechanism.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

__all__ = [
    "GROUPS",
    "PARAMS",
    "Param",
    "ParameterError",
    "check_consistency",
    "check_mid_run",
    "defaults",
    "parse_value",
    "validate",
    "validate_one",
]


class ParameterError(ValueError):
    """A parameter name or value that the registry does not allow.

    ``name``, ``value`` and ``kind`` ("unknown" name, value "not_allowed", or "" for other
    complaints) let a reader in another language be told the same thing."""

    def __init__(self, message: str, name: str = "", value: Any = None, kind: str = "",
                 close: tuple[str, ...] = ()) -> None:  # fmt: skip
        super().__init__(message)
        self.name, self.value, self.kind, self.close = name, value, kind, close


#: Display groups, in order (community, residents, services, levers).
GROUPS: dict[str, tuple[str, str]] = {
    "community": ("Community", "社区"),
    "residents": ("Residents", "居民"),
    "services": ("Services", "服务与部门"),
    "levers": ("Levers (interventions)", "干预杠杆"),
}


@dataclass(frozen=True)
class Param:
    """One model parameter and everything needed to validate, show and document it."""

    name: str
    type: type
    default: Any
    label_en: str
    label_zh: str
    description: str
    group: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    unit: str = ""
    paper: str = ""
    #: Source of the default: "paper", "survey", "assumption" or "structural".
    source: str = "assumption"
    #: Levers may be switched mid-run by an intervention schedule; structure may not.
    lever: bool = False
    #: The description in Chinese (filled from :data:`_DESCRIPTIONS_ZH`).
    description_zh: str = ""

    @property
    def mid_run(self) -> bool:
        """May an intervention schedule change it mid-run? Not structure or start values."""
        return self.group != "community" and self.name not in (
            "reform_week",
            "initial_efficacy",
            "burn_in_weeks",
            *SETUP_ONLY,
        )

    def allowed(self) -> str:
        """Human-readable statement of the allowed values."""
        if self.type is bool:
            return "true or false"
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.type is str:
            return "a string"
        kind = "an integer" if self.type is int else "a number"
        return f"{kind} in [{_fmt(self.low)}, {_fmt(self.high)}]"

    def allowed_zh(self) -> str:
        """:meth:`allowed` in Chinese (the values as written in a spec file)."""
        if self.type is bool:
            return "true 或 false"
        if self.choices is not None:
            return "以下之一：" + "、".join(repr(c) for c in self.choices)
        if self.type is str:
            return "一个字符串"
        kind = "整数" if self.type is int else "数"
        return f"[{_fmt(self.low)}, {_fmt(self.high)}] 之间的{kind}"


#: Residents' traits drawn once at set-up from these parameters (a change mid-run would act
#: on nobody, so an intervention may not set them).
SETUP_ONLY = (
    "free_time_employed",
    "free_time_not_employed",
    "free_time_retired",
    "prefers_online_youth",
    "prefers_online_working",
    "prefers_online_retired",
    "low_income_employment",
    "low_income_benefits_share",
)


def _fmt(x: float | None) -> str:
    if x is None:
        return "…"
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


_P: list[Param] = [
    # ------------------------------------------------------------------ community
    Param(
        "n_residents",
        int,
        2000,
        "Residents",
        "居民户数",
        "Number of resident households; each resident agent speaks for one household.",
        "community",
        50,
        5_000_000,
        unit="households",
        source="assumption",
    ),
    Param(
        "building_size",
        int,
        40,
        "Households per building",
        "每栋楼户数",
        "Households in one building (楼栋), the lowest level of the nested neighbourhood.",
        "community",
        2,
        1000,
        unit="households",
        paper="楼栋",
        source="structural",
    ),
    Param(
        "buildings_per_compound",
        int,
        10,
        "Buildings per compound",
        "每个小区楼栋数",
        "Buildings grouped into one compound (小区), which has its own Party branch.",
        "community",
        1,
        1000,
        unit="buildings",
        paper="小区",
        source="structural",
    ),
    Param(
        "grid_households",
        int,
        400,
        "Households per grid",
        "每网格户数",
        "Households served by one grid worker; Chinese practice is 300–500 per grid.",
        "community",
        20,
        5000,
        unit="households",
        paper="网格",
        source="paper",
    ),
    Param(
        "network_kind",
        str,
        "nested_sbm",
        "Social network model",
        "社会网络模型",
        "nested_sbm: dense ties in a building, sparser in a compound, few across; "
        "watts_strogatz: a small-world ring over the residents in building order.",
        "community",
        choices=("nested_sbm", "watts_strogatz"),
        source="assumption",
    ),
    Param(
        "network_file",
        str,
        "",
        "Network file (GraphML / edge list)",
        "自定义网络文件",
        "Path to a GraphML (.graphml) or edge-list (.edgelist/.txt/.csv) file; when set, "
        "it replaces the generated network and sets the number of residents.",
        "community",
        source="structural",
    ),
    Param(
        "ties_building",
        float,
        6.0,
        "Ties within building",
        "楼内关系数",
        "Expected number of neighbour ties a resident has inside the own building.",
        "community",
        0,
        100,
        unit="ties",
    ),
    Param(
        "ties_compound",
        float,
        2.0,
        "Ties within compound",
        "小区内关系数",
        "Expected ties to residents of other buildings in the same compound.",
        "community",
        0,
        100,
        unit="ties",
    ),
    Param(
        "ties_community",
        float,
        0.5,
        "Ties across compounds",
        "跨小区关系数",
        "Expected ties to residents of other compounds.",
        "community",
        0,
        100,
        unit="ties",
    ),
    Param(
        "ws_k",
        int,
        8,
        "Small-world degree",
        "小世界网络度数",
        "Watts–Strogatz: each resident is tied to its k nearest residents in the ring.",
        "community",
        2,
        100,
        unit="ties",
    ),
    Param(
        "ws_p",
        float,
        0.1,
        "Small-world rewiring",
        "小世界重连概率",
        "Watts–Strogatz: probability that a tie is rewired to a random resident.",
        "community",
        0,
        1,
    ),
    Param(
        "party_share",
        float,
        0.08,
        "Party member share",
        "党员比例",
        "Share of residents who are Party members (党员), organised into a Party group "
        "per building, a branch per compound and the community Party committee.",
        "community",
        0,
        1,
        paper="社区党委—党支部—党小组",
        source="assumption",
    ),
    Param(
        "retired_share",
        float,
        0.30,
        "Retired share",
        "退休居民比例",
        "Share of residents who are retired.",
        "community",
        0,
        1,
    ),
    Param(
        "youth_share",
        float,
        0.20,
        "Youth share",
        "青年比例",
        "Share of residents aged 18–29; the rest are working-age.",
        "community",
        0,
        1,
    ),
    Param(
        "low_income_share",
        float,
        0.06,
        "Low-income share",
        "低保户比例",
        "Share of households on minimum-living support (低保).",
        "community",
        0,
        1,
        paper="低保家庭",
    ),
    Param(
        "employed_share",
        float,
        0.85,
        "Employed share of working-age",
        "在职比例",
        "Share of working-age and young residents who are employed (less time).",
        "community",
        0,
        1,
        paper="在职人员",
    ),
    # ------------------------------------------------------------------ residents
    *(
        Param(
            f"free_time_{situation}",
            float,
            default,
            f"Free time, {label}",
            f"空闲时间（{label_zh}）",
            f"Mean share of a week free for taking part, {label} residents (each resident "
            "±0.1 uniform); the cost of taking part grows with the time missing.",
            "residents",
            0,
            1,
            paper="中青年和在职人员参与较少",
        )
        for situation, default, label, label_zh in (
            ("employed", 0.2, "employed", "在职"),
            ("not_employed", 0.6, "not employed", "未在职"),
            ("retired", 0.85, "retired", "退休"),
        )
    ),
    *(
        Param(
            f"prefers_online_{group}",
            float,
            default,
            f"Prefers online channels, {label}",
            f"偏好线上渠道（{label_zh}）",
            f"Share of {label} residents who prefer to report online; without the integrated "
            "platform they pay the offline channel cost.",
            "residents",
            0,
            1,
        )
        for group, default, label, label_zh in (
            ("youth", 0.85, "young", "青年"),
            ("working", 0.65, "working-age", "在职年龄"),
            ("retired", 0.15, "retired", "退休"),
        )
    ),
    Param(
        "low_income_employment",
        float,
        0.5,
        "Employment of low-income households",
        "低保户就业相对比例",
        "Low-income households are employed at this fraction of the usual employed share.",
        "residents",
        0,
        1,
    ),
    Param(
        "low_income_benefits_share",
        float,
        0.3,
        "Low-income problems about benefits",
        "低保户诉求中涉及补贴的比例",
        "Share of low-income households' personal problems that are about benefits (低保) and "
        "go to civil affairs.",
        "residents",
        0,
        1,
        paper="低保家庭",
    ),
    Param(
        "initial_efficacy",
        float,
        0.06,
        "Initial efficacy",
        "初始效能感",
        "Mean sense that taking part matters at the start of the burn-in (Beta-distributed "
        "across residents). The default is the status quo's resting point: runs started "
        "higher fall towards it for years, burn-in included, and runs started here stay "
        "(docs/ODD.md §5).",
        "residents",
        0.01,
        0.99,
        source="assumption",
    ),
    Param(
        "need_rate_youth",
        float,
        0.015,
        "Weekly need rate, youth",
        "青年每周诉求概率",
        "Chance per week that a young resident has a new problem (急难愁盼).",
        "residents",
        0,
        1,
        unit="per week",
        paper="急难愁盼",
    ),
    Param(
        "need_rate_working",
        float,
        0.025,
        "Weekly need rate, working-age",
        "在职年龄每周诉求概率",
        "Chance per week that a working-age resident has a new problem.",
        "residents",
        0,
        1,
        unit="per week",
        paper="急难愁盼",
    ),
    Param(
        "need_rate_retired",
        float,
        0.05,
        "Weekly need rate, retired",
        "退休每周诉求概率",
        "Chance per week that a retired resident has a new problem (elderly care, health).",
        "residents",
        0,
        1,
        unit="per week",
        paper="急难愁盼",
    ),
    Param(
        "need_rate_low_income_extra",
        float,
        0.03,
        "Extra need rate, low-income",
        "低保户额外诉求概率",
        "Added weekly chance of a problem for low-income households (benefits, housing).",
        "residents",
        0,
        1,
        unit="per week",
    ),
    Param(
        "shared_issue_rate",
        float,
        0.01,
        "Shared issue rate per building",
        "楼栋共性问题概率",
        "Chance per week that a building gets a shared problem (lift, "
        "renovation, sanitation) that touches every household in it.",
        "residents",
        0,
        1,
        unit="per week",
        paper="老旧小区改造",
    ),
    Param(
        "complex_share",
        float,
        0.5,
        "Complex share of personal problems",
        "复杂诉求比例",
        "Share of personal problems a grid worker cannot solve alone (needs a department).",
        "residents",
        0,
        1,
    ),
    Param(
        "issue_lapse_weeks",
        int,
        4,
        "Weeks before an unreported problem lapses",
        "未反映问题搁置周数",
        "A problem not reported within this many weeks is given up on.",
        "residents",
        1,
        52,
        unit="weeks",
    ),
    Param(
        "report_base",
        float,
        -1.0,
        "Reporting propensity (intercept)",
        "反映问题倾向",
        "Log-odds of reporting a problem this week at zero efficacy and no cost.",
        "residents",
        -10,
        10,
        unit="log-odds",
    ),
    Param(
        "activity_base",
        float,
        -5.264,
        "Activity propensity (intercept)",
        "参与活动倾向",
        "Log-odds of attending a community activity held in the building at zero efficacy.",
        "residents",
        -10,
        10,
        unit="log-odds",
        source="calibrated",
    ),
    Param(
        "efficacy_weight",
        float,
        4.0,
        "Weight of efficacy",
        "效能感权重",
        "How strongly the sense that taking part matters raises the log-odds of taking part.",
        "residents",
        0,
        20,
        unit="log-odds",
    ),
    Param(
        "neighbour_weight",
        float,
        1.5,
        "Weight of neighbours taking part",
        "邻里带动权重",
        "Log-odds added when all of a resident's ties took part recently.",
        "residents",
        0,
        20,
        unit="log-odds",
    ),
    Param(
        "mobilisation_weight",
        float,
        1.0,
        "Weight of Party mobilisation",
        "党员动员权重",
        "Log-odds added for a resident contacted by a Party member this week.",
        "residents",
        0,
        20,
        unit="log-odds",
        paper="丰富动员方式",
    ),
    Param(
        "party_engagement",
        float,
        1.86,
        "Party member engagement",
        "党员参与倾向",
        "Log-odds added for Party members, who are expected to take part.",
        "residents",
        0,
        20,
        unit="log-odds",
        source="assumption",
    ),
    Param(
        "low_income_engagement",
        float,
        1.0,
        "Low-income engagement",
        "低保户参与倾向",
        "Log-odds added for low-income households, whose benefits run through the community.",
        "residents",
        0,
        20,
        unit="log-odds",
        paper="低保家庭",
    ),
    Param(
        "participation_cost",
        float,
        5.034,
        "Cost of taking part",
        "参与成本",
        "Log-odds lost per unit of missing free time (employed residents have little).",
        "residents",
        0,
        20,
        unit="log-odds",
        paper="中青年和在职人员参与较少",
        source="calibrated",
    ),
    Param(
        "offline_channel_cost",
        float,
        1.0,
        "Offline channel cost",
        "线下渠道成本",
        "Extra log-odds cost of reporting in person for residents who prefer online channels.",
        "residents",
        0,
        20,
        unit="log-odds",
    ),
    Param(
        "patience_weeks",
        float,
        4.0,
        "Patience",
        "等待耐心",
        "Weeks a resident will wait before a fix starts to lose value (see "
        "lateness_halflife_weeks).",
        "residents",
        0.5,
        52,
        unit="weeks",
    ),
    Param(
        "aspiration",
        float,
        0.754,
        "Aspiration level",
        "期望水平",
        "Outcome value a resident expects; better outcomes raise efficacy, worse lower it.",
        "residents",
        0,
        1,
        source="calibrated",
    ),
    Param(
        "learning_gain",
        float,
        0.15,
        "Learning rate, good outcomes",
        "正向学习率",
        "Bush–Mosteller rate at which good outcomes raise efficacy.",
        "residents",
        0,
        1,
    ),
    Param(
        "learning_loss",
        float,
        0.35,
        "Learning rate, bad outcomes",
        "负向学习率",
        "Rate at which bad outcomes lower efficacy; above the gain: trust is lost faster "
        "than it is regained.",
        "residents",
        0,
        1,
        paper="参不参与都一样",
    ),
    Param(
        "word_of_mouth",
        float,
        0.01,
        "Word of mouth",
        "口碑传播",
        "Weekly pull of a resident's efficacy towards the mean of the ties' efficacy.",
        "residents",
        0,
        1,
        unit="per week",
    ),
    Param(
        "disengaged_threshold",
        float,
        0.2,
        "Disengaged below",
        "消极参与阈值",
        "Efficacy under which a resident counts as disengaged.",
        "residents",
        0,
        1,
    ),
    Param(
        "notice_prob",
        float,
        0.434,
        "Chance to notice an unannounced fix",
        "自行察觉概率",
        "Chance that a resident who is not told still notices that the problem was fixed.",
        "residents",
        0,
        1,
        source="assumption",
    ),
    Param(
        "told_unresolved_value",
        float,
        0.3,
        "Value of an honest answer",
        "如实反馈价值",
        "Outcome value of being told honestly that nothing could be done: below the "
        "aspiration, above silence or a paper closure (0).",
        "residents",
        0,
        1,
        paper="反馈信息",
        source="assumption",
    ),
    Param(
        "activity_weight",
        float,
        0.25,
        "Weight of an activity in learning",
        "活动学习权重",
        "How much attending an activity or meeting teaches, relative to a case outcome.",
        "residents",
        0,
        1,
    ),
    Param(
        "irrelevant_fix_value",
        float,
        0.25,
        "Value of an irrelevant fix",
        "不对路处置价值",
        "Outcome value of a fix that does not meet the need, relative to a relevant one.",
        "residents",
        0,
        1,
    ),
    Param(
        "record_weight",
        float,
        2.0,
        "Weight of one's own record",
        "个人经历权重",
        "Log-odds added to reporting per unit of the resident's own expected fix chance above "
        "one half: Beta(1 + fixed, 1 + unfixed) reports so far.",
        "residents",
        0,
        20,
        unit="log-odds",
        paper="参不参与都一样",
        source="assumption",
    ),
    Param(
        "first_outcome_weight",
        float,
        2.0,
        "Weight of the first report",
        "首次反映权重",
        "How many reports' worth the first report's outcome counts in the resident's own record"
        " (first experiences weigh most, as in complaint systems).",
        "residents",
        1,
        10,
        unit="reports",
        source="assumption",
    ),
    Param(
        "lateness_halflife_weeks",
        float,
        8.0,
        "Half-life of a late fix's value",
        "迟到处置价值半衰期",
        "Weeks beyond the resident's patience after which a fix is worth half as much.",
        "residents",
        0.5,
        104,
        unit="weeks",
        source="assumption",
    ),
    Param(
        "callback_base",
        float,
        -1.0,
        "Answering a return call",
        "回访接听基准",
        "Log-odds of answering the return call (回访) made when a case ends, at efficacy "
        "zero (plus efficacy_weight × efficacy); answering and rating is taking part.",
        "residents",
        -10,
        10,
        unit="log-odds",
        paper="对改造结果打分",
        source="assumption",
    ),
    Param(
        "hearsay_weight",
        float,
        0.3,
        "Weight of neighbours' outcomes",
        "邻里经历学习权重",
        "How much residents learn from what happened to their ties' reports last week "
        "(the mean value), relative to their own outcome.",
        "residents",
        0,
        1,
        paper="口碑",
        source="assumption",
    ),
    Param(
        "deliberation_appeal",
        float,
        1.0,
        "Appeal of a deliberation meeting",
        "议事会吸引力",
        "Log-odds by which a meeting on the compound's own problems draws more than a Party-"
        "group activity (an opportunity, not a feeling).",
        "residents",
        0,
        10,
        unit="log-odds",
        paper="议事协商",
        source="assumption",
    ),
    Param(
        "learning",
        bool,
        True,
        "Residents learn",
        "居民学习",
        "Whether efficacy and residents' own records respond to experience (false freezes both "
        "from the week it is set: separates a lever's direct effect from its effect through "
        "experience).",
        "residents",
        source="structural",
    ),
    # ------------------------------------------------------------------ services
    Param(
        "grid_capacity",
        float,
        15.0,
        "Grid worker capacity",
        "网格员工作容量",
        "Cases a full-time grid worker could handle per week with no other duties.",
        "services",
        0,
        500,
        unit="cases/week",
        source="assumption",
    ),
    Param(
        "department_capacity",
        float,
        10.711,
        "Department capacity",
        "职能部门处理能力",
        "Escalated cases all departments together could work per week, per 1,000 "
        "households, before attention and paperwork.",
        "services",
        0,
        500,
        unit="cases/week per 1,000 households",
        source="assumption",
    ),
    Param(
        "department_attention",
        float,
        0.5,
        "Department attention",
        "部门对社区案件的投入",
        "Share of department capacity given to community cases; a case the department "
        "reported (报到) for gets its full attention.",
        "services",
        0,
        1,
    ),
    Param(
        "simple_solve_prob",
        float,
        0.7,
        "Grid worker solve rate",
        "网格员解决率",
        "Chance a non-professional grid worker really solves a simple case.",
        "services",
        0,
        1,
    ),
    Param(
        "professional_bonus",
        float,
        0.2,
        "Professional bonus",
        "专业社工加成",
        "Added solve rate, feedback and relevance of certified social workers.",
        "services",
        0,
        1,
        paper="专业社工",
    ),
    Param(
        "case_relevance",
        float,
        0.828,
        "Relevance of a fix",
        "处置对路概率",
        "Chance that a fix meets the need as the resident saw it.",
        "services",
        0,
        1,
        source="assumption",
    ),
    Param(
        "case_cost",
        float,
        0.05,
        "Cost of a department case",
        "部门案件成本",
        "Budget a department spends to fix one escalated personal case.",
        "services",
        0,
        100,
        unit="10k CNY",
    ),
    Param(
        "shared_case_cost",
        float,
        2.0,
        "Cost of a shared fix",
        "共性问题成本",
        "Budget needed to fix a building's shared problem (lift, renovation).",
        "services",
        0,
        1000,
        unit="10k CNY",
    ),
    Param(
        "case_timeout_weeks",
        int,
        26,
        "Case timeout",
        "案件超时",
        "Weeks after which an open case is abandoned.",
        "services",
        1,
        520,
        unit="weeks",
    ),
    Param(
        "paper_closure_prob",
        float,
        0.4,
        "Paper closure rate under trace assessment",
        "留痕考核下“纸面办结”概率",
        "Weekly chance that an overdue department case is closed "
        "on paper without a fix when assessment counts traces and completion.",
        "services",
        0,
        1,
        paper="痕迹化, 过度留痕",
    ),
    Param(
        "paper_closure_after_weeks",
        int,
        4,
        "Overdue after",
        "逾期周数",
        "Weeks at a department after which a case counts as overdue.",
        "services",
        1,
        104,
        unit="weeks",
    ),
    Param(
        "results_paper_factor",
        float,
        0.2,
        "Paper closures left under results",
        "结果导向下纸面办结系数",
        "Share of the paper-closure rate that remains when "
        "assessment counts results and satisfaction.",
        "services",
        0,
        1,
        paper="结果导向",
    ),
    Param(
        "lost_case_prob",
        float,
        0.1,
        "Lost offline reports",
        "线下诉求遗失率",
        "Chance an offline report is never registered (no integrated platform).",
        "services",
        0,
        1,
        paper="叠床架屋",
    ),
    Param(
        "activity_every_weeks",
        int,
        4,
        "Activity interval",
        "党建活动间隔",
        "Weeks between Party-group activities in each building, as the branch schedules them "
        "(held as far as its organising time allows).",
        "services",
        1,
        52,
        unit="weeks",
    ),
    Param(
        "formalist_relevance",
        float,
        0.25,
        "Relevance of staged activities",
        "自编自导活动相关度",
        "Chance an activity meets residents' needs under trace "
        "assessment (self-staged activities, 自编自导).",
        "services",
        0,
        1,
        paper="自编自导, 自吹自唱",
    ),
    Param(
        "results_relevance",
        float,
        0.7,
        "Relevance under results assessment",
        "结果导向下活动相关度",
        "Chance an activity meets residents' needs when assessment "
        "counts results and satisfaction.",
        "services",
        0,
        1,
        paper="结果导向",
    ),
    Param(
        "party_outreach",
        float,
        3.0,
        "Party outreach contacts",
        "党员联系户数",
        "Neighbours in the own building a fully able Party member contacts per week.",
        "services",
        0,
        50,
        unit="households/week",
        paper="党小组(楼栋)",
    ),
    Param(
        "party_grid_capacity",
        float,
        1.0,
        "Part-time grid capacity",
        "兼职网格员容量",
        "Cases a fully able Party member adds to the grid's weekly capacity as a part-time "
        "grid worker.",
        "services",
        0,
        50,
        unit="cases/week",
        paper="兼职网格员",
    ),
    Param(
        "incentive_cost",
        float,
        0.002,
        "Cost of a resident incentive",
        "居民激励成本",
        "Budget per participating household per week at full incentive.",
        "services",
        0,
        10,
        unit="10k CNY",
    ),
    Param(
        "performance_pay_cost",
        float,
        0.1,
        "Cost of performance pay",
        "绩效工资成本",
        "Budget per grid worker per week at full performance pay.",
        "services",
        0,
        100,
        unit="10k CNY",
    ),
    # ------------------------------------------------------------------ levers
    Param(
        "feedback_prob",
        float,
        0.2,
        "Feedback loop",
        "反馈闭环",
        "Chance a resident is told what happened to the case, fixed or not.",
        "levers",
        0,
        1,
        paper="收集意见—协商办理—落实推进—反馈信息",
        lever=True,
    ),
    Param(
        "whistle",
        bool,
        False,
        "Whistle & report",
        "吹哨报到",
        "The committee may summon departments for named cases every week, and they are "
        "bound to report (whistle_compliance).",
        "levers",
        paper="街乡吹哨、部门报到",
        lever=True,
    ),
    Param(
        "whistle_deadline_weeks",
        int,
        2,
        "Whistle deadline",
        "报到时限",
        "Deadline for a department answering a summons; under trace assessment an overdue "
        "case tends to be closed on paper.",
        "levers",
        1,
        52,
        unit="weeks",
        paper="街乡吹哨、部门报到",
        lever=True,
    ),
    Param(
        "push_down_share",
        float,
        0.35,
        "Tasks pushed down",
        "下派任务占比",
        "Share of grid workers' time eaten by tasks departments push down.",
        "levers",
        0,
        0.95,
        paper="甩包袱, 身兼数职, 多头领导",
        lever=True,
    ),
    Param(
        "push_down_per_waiting_job",
        float,
        0.0,
        "Follow-ups pushed down per waiting job",
        "部门积案下派工作量",
        "Grid worker's time, in cases, that each job still waiting at a department takes "
        "each week: departments hand the follow-up down (chasing papers, answering the "
        "household), so a backlog upstream eats the time for new cases. Off (0) by "
        "default: fitted with the overload as a target it reached the overload only by "
        "jamming the services.",
        "levers",
        0,
        2,
        unit="cases/week per waiting job",
        paper="一放了之的甩包袱, 身兼数职, 多头领导",
        lever=True,
    ),
    Param(
        "paperwork_share",
        float,
        0.25,
        "Paperwork share",
        "台账留痕占比",
        "Share of grid workers', departments' and Party members' time spent on ledgers "
        "for assessment.",
        "levers",
        0,
        0.95,
        paper="看台账, 查记录, 痕迹化",
        lever=True,
    ),
    Param(
        "assessment",
        str,
        "trace",
        "Assessment",
        "考核方式",
        "trace: counts records and completion, so overdue cases get closed on paper and "
        "activities are staged; results: counts satisfaction and real results.",
        "levers",
        choices=("trace", "results"),
        paper="结果导向, 满意率",
        lever=True,
    ),
    Param(
        "resident_incentive",
        float,
        0.0,
        "Resident incentive",
        "居民参与激励",
        "Reward for taking part (points, recognition). At 100 % it multiplies the odds of "
        "reporting, attending an activity and joining a meeting by about 2.7 (+1 in "
        "log-odds), and each participant costs incentive_cost a week (in proportion at lower "
        "strengths).",
        "levers",
        0,
        1,
        paper="激发群众主体意识",
        lever=True,
    ),
    Param(
        "worker_performance_pay",
        float,
        0.0,
        "Grid worker performance pay",
        "绩效工资",
        "Share of pay tied to performance; raises effective capacity by up to 40 %.",
        "levers",
        0,
        1,
        paper="绩效工资, 薪酬制",
        lever=True,
    ),
    Param(
        "department_budget",
        float,
        40.0,
        "Department budget",
        "部门预算",
        "Yearly budget for fixing escalated cases, per 1,000 households; allocated at the "
        "start of each fiscal year (weeks 0, 52, 104, …), so a change takes effect then.",
        "levers",
        0,
        10_000,
        unit="10k CNY/year per 1,000 households",
        paper="专项资金",
        lever=True,
        source="assumption",
    ),
    Param(
        "approval_delay_weeks",
        int,
        6,
        "Approval delay",
        "审批周期",
        "Weeks of layered approval before a department may spend special funds on a "
        "shared fix (lift, renovation).",
        "levers",
        0,
        52,
        unit="weeks",
        paper="层层审批",
        lever=True,
    ),
    Param(
        "community_fund",
        float,
        0.0,
        "Community fund",
        "社区基金",
        "Yearly fund per 1,000 households that lets grid workers fix complex personal "
        "cases without escalation.",
        "levers",
        0,
        10_000,
        unit="10k CNY/year per 1,000 households",
        paper="社区经济 (葫芦岛)",
        lever=True,
    ),
    Param(
        "professional_share",
        float,
        0.234,
        "Professional social workers",
        "专业社工比例",
        "Share of grid workers who are certified professional social workers.",
        "levers",
        0,
        1,
        paper="专业社工仅占23.4%",
        source="paper",
        lever=True,
    ),
    Param(
        "grid_plus_branch",
        bool,
        False,
        "Grid + branch",
        "网格+支部",
        "Party members serve as part-time grid workers in their buildings.",
        "levers",
        paper="网格+支部, 兼职网格员",
        lever=True,
    ),
    Param(
        "online_platform",
        bool,
        False,
        "Integrated online platform",
        "线上线下一体化平台",
        "One platform for online and offline complaints: cheaper reporting for those who "
        "prefer online, fewer lost cases.",
        "levers",
        paper="整合线上线下信访投诉平台",
        lever=True,
    ),
    Param(
        "deliberation_every_weeks",
        int,
        0,
        "Deliberation interval",
        "议事协商间隔",
        "Weeks between compound deliberation meetings the branch organises (0 = none). When "
        "the agenda comes from residents they co-decide shared problems, which become "
        "relevant and get priority.",
        "levers",
        0,
        52,
        unit="weeks",
        paper="联席会议, 民情恳谈, 议事协商",
        lever=True,
    ),
    Param(
        "signals_for_full_knowledge",
        float,
        0.05,
        "Signals for known needs",
        "掌握民情所需信号",
        "Reports, attendances and deliberations per household and week that let grid workers "
        "know a building's needs fully; fewer signals, less known.",
        "services",
        0.001,
        1,
        unit="per household-week",
        paper="网格+支部 缩短沟通距离",
        source="assumption",
    ),
    Param(
        "knowledge_memory_weeks",
        float,
        26.0,
        "Memory of needs",
        "民情记忆周数",
        "Weeks over which what grid workers know of a building's needs fades without new signals.",
        "services",
        1,
        520,
        unit="weeks",
        source="assumption",
    ),
    Param(
        "blind_relevance",
        float,
        0.4,
        "Relevance when needs are unknown",
        "不了解民情时对路率",
        "Chance a building's shared fix or a results-assessed activity meets the need when "
        "nothing is known of the building's needs (rising to case_relevance / "
        "results_relevance when fully known).",
        "services",
        0,
        1,
        paper="与群众急难愁盼问题脱节",
        source="assumption",
    ),
    Param(
        "codecided_relevance",
        float,
        1.0,
        "Relevance of a co-decided fix",
        "协商议定处置对路率",
        "Chance that a shared fix residents decided together at a deliberation meeting meets "
        "their need.",
        "services",
        0,
        1,
        paper="议事协商",
        source="assumption",
    ),
    Param(
        "door_cost_removed",
        float,
        1.0,
        "Cost taken over at the door",
        "上门收集免除的成本",
        "Share of the time and channel cost of reporting that a part-time grid worker "
        "collecting the problem at the door takes over (under grid + branch).",
        "services",
        0,
        1,
        paper="网格+支部 缩短沟通距离",
        source="assumption",
    ),
    Param(
        "performance_pay_gain",
        float,
        0.4,
        "Capacity from performance pay",
        "绩效工资增能",
        "Share of extra effective capacity a grid worker gives at full performance pay.",
        "services",
        0,
        2,
        paper="调动其工作积极性",
        source="assumption",
    ),
    Param(
        "branch_outreach_factor",
        float,
        2.0,
        "Outreach as part-time grid worker",
        "兼职网格员走访倍数",
        "How many times as many households a Party member visits as a part-time grid worker "
        "(collecting problems) as in ordinary outreach.",
        "services",
        1,
        10,
        paper="兼职网格员",
        source="assumption",
    ),
    # ------------------------------------------------------------ Party organisation tiers
    Param(
        "member_skill",
        float,
        0.6,
        "Skill of an untrained member",
        "未培训党员能力",
        "How effective an untrained working-age Party member is at outreach, organising and "
        "part-time grid work, as a share of a fully able member.",
        "services",
        0,
        1,
        paper="成员学历低",
        source="assumption",
    ),
    Param(
        "retired_member_skill",
        float,
        0.4,
        "Skill of an untrained retired member",
        "未培训退休党员能力",
        "The same for a retired Party member.",
        "services",
        0,
        1,
        paper="成员年龄大、学历低",
        source="assumption",
    ),
    Param(
        "party_training",
        float,
        0.0,
        "Party training",
        "党内教育培训",
        "Training of Party members: each member's skill moves this far from its untrained "
        "level towards full ability.",
        "levers",
        0,
        1,
        paper="党内教育培训",
        lever=True,
    ),
    Param(
        "party_training_cost",
        float,
        0.01,
        "Cost of Party training",
        "党员培训成本",
        "Budget per Party member per week at full training.",
        "services",
        0,
        10,
        unit="10k CNY",
        source="assumption",
    ),
    Param(
        "branch_capacity",
        float,
        1.0,
        "Branch organising time",
        "党支部组织能力",
        "Hours a fully able Party member gives each week to organising the compound branch's "
        "activities and meetings (0 = the branch organises nothing); paperwork eats part of it.",
        "levers",
        0,
        40,
        unit="hours/member/week",
        paper="党支部, 组织能力",
        source="assumption",
        lever=True,
    ),
    Param(
        "activity_hours",
        float,
        4.0,
        "Hours per activity",
        "每次活动所需时间",
        "Member-hours a branch needs to organise one building's activity.",
        "services",
        0.1,
        200,
        unit="member-hours",
        source="assumption",
    ),
    Param(
        "meeting_hours",
        float,
        8.0,
        "Hours per meeting",
        "每次议事会所需时间",
        "Member-hours a branch needs to organise one compound deliberation meeting.",
        "services",
        0.1,
        200,
        unit="member-hours",
        source="assumption",
    ),
    Param(
        "resident_agenda",
        bool,
        False,
        "Agenda from residents",
        "议题来自民情",
        "The branch takes its activities' and meetings' topics from what residents raised "
        "(民情恳谈) even under trace assessment, which otherwise sets them (开会、学文件与念稿).",
        "levers",
        paper="民情恳谈; 开会、学文件与念稿",
        lever=True,
    ),
    Param(
        "event_expectation_weight",
        float,
        2.0,
        "Weight of expected relevance",
        "活动相关度预期权重",
        "Log-odds of attending a branch activity or meeting per unit of the share of recent "
        "events in the building that were about residents' needs (centred on one half); "
        "residents learn that share from the events held, at activity_weight per event.",
        "residents",
        0,
        20,
        unit="log-odds",
        paper="社区共建活动与公众利益相关度较低, 恶性循环",
        source="assumption",
    ),
    Param(
        "committee_convening_every_weeks",
        int,
        4,
        "Joint meeting interval",
        "联席会议间隔",
        "Weeks between the community Party committee's joint meetings with the departments "
        "(0 = never), where it puts the longest-waiting, widest cases to them.",
        "levers",
        0,
        52,
        unit="weeks",
        paper="联席会议; 组织协调各方资源",
        source="assumption",
        lever=True,
    ),
    Param(
        "committee_capacity",
        float,
        2.0,
        "Cases per joint meeting",
        "每次联席会议督办案件数",
        "Cases (a building's shared problem counts once) the committee can put to the "
        "departments at one joint meeting, per 1,000 households.",
        "services",
        0,
        100,
        unit="cases per 1,000 households",
        paper="组织协调各方资源",
        source="assumption",
    ),
    Param(
        "department_party_duty",
        float,
        0.3,
        "Departments' Party duty",
        "一岗双责",
        "Chance a department acts on a case the committee puts to it: it reports (报到), "
        "works the case first with its full attention and owes an answer by the deadline.",
        "levers",
        0,
        1,
        paper="一岗双责",
        source="assumption",
        lever=True,
    ),
    Param(
        "whistle_compliance",
        float,
        0.9,
        "Compliance with a whistle",
        "吹哨报到响应率",
        "Chance a department acts on a summons when whistle and report binds it (replaces "
        "departments' Party duty when that is lower).",
        "services",
        0,
        1,
        paper="街乡吹哨、部门报到",
        source="assumption",
    ),
    Param(
        "reform_week",
        int,
        52,
        "Week levers switch on",
        "改革启动周",
        "Week at which a named scenario's levers switch on (0 = from the start).",
        "levers",
        0,
        10_000,
        unit="week",
    ),
    Param(
        "burn_in_weeks",
        int,
        104,
        "Burn-in weeks",
        "预热周数",
        "Unrecorded weeks run under the week-0 settings before week 0, so that a run starts "
        "from the status quo's settled state rather than an assumed one.",
        "levers",
        0,
        5200,
        unit="weeks",
        source="assumption",
    ),
]

#: Chinese help texts, one per parameter (a test keeps them complete).
_DESCRIPTIONS_ZH: dict[str, str] = {
    "n_residents": "居民户数；每个居民智能体代表一户。",
    "building_size": "每栋楼的户数（楼栋），嵌套社区结构的最底层。",
    "buildings_per_compound": "组成一个小区的楼栋数；每个小区设一个党支部。",
    "grid_households": "一名网格员服务的户数；实践中每网格约300–500户。",
    "network_kind": "nested_sbm：楼内联系紧密、小区内较少、跨小区很少；watts_strogatz：按楼栋顺序排列的小世界环形网络。",  # noqa: E501
    "network_file": "GraphML（.graphml）或边列表（.edgelist/.txt/.csv）文件路径；设置后替代生成的网络并决定居民户数。",  # noqa: E501
    "ties_building": "每位居民在本楼内的平均邻里关系数。",
    "ties_compound": "每位居民与本小区其他楼栋居民的平均关系数。",
    "ties_community": "每位居民与其他小区居民的平均关系数。",
    "ws_k": "小世界网络：每位居民与环上最近的 k 位居民相连。",
    "ws_p": "小世界网络：每条联系被随机重连的概率。",
    "party_share": "党员占居民的比例；党员按楼栋组成党小组、按小区组成党支部，上设社区党委。",
    "retired_share": "退休居民所占比例。",
    "youth_share": "18–29岁青年所占比例；其余为在职年龄居民。",
    "low_income_share": "享受最低生活保障（低保）的家庭比例。",
    "employed_share": "在职年龄及青年居民中在职者的比例（在职者空闲时间少）。",
    "free_time_employed": "在职居民每周可用于参与的空闲时间比例（个人±0.1均匀浮动）；"
    "缺少的时间越多，参与成本越高。",
    "free_time_not_employed": "未在职居民每周可用于参与的空闲时间比例（个人±0.1均匀浮动）。",
    "free_time_retired": "退休居民每周可用于参与的空闲时间比例（个人±0.1均匀浮动）。",
    "prefers_online_youth": "偏好线上反映的青年居民比例；没有一体化平台时，他们承担线下渠道成本。",
    "prefers_online_working": "偏好线上反映的在职年龄居民比例。",
    "prefers_online_retired": "偏好线上反映的退休居民比例。",
    "low_income_employment": "低保户的在职比例为一般在职比例的倍数。",
    "low_income_benefits_share": "低保户个人诉求中涉及补贴（低保）、由民政部门处理的比例。",
    "initial_efficacy": "初始“参与有用”感的平均值（居民间服从Beta分布）。",
    "need_rate_youth": "青年居民每周出现新诉求（急难愁盼）的概率。",
    "need_rate_working": "在职年龄居民每周出现新诉求的概率。",
    "need_rate_retired": "退休居民每周出现新诉求（养老、健康等）的概率。",
    "need_rate_low_income_extra": "低保户每周额外出现诉求（补贴、住房）的概率。",
    "shared_issue_rate": "每栋楼每周出现共性问题（电梯、改造、环境卫生）并波及全楼各户的概率。",
    "complex_share": "个人诉求中网格员无法独立解决、需职能部门处理的比例。",
    "issue_lapse_weeks": "在此周数内未反映的问题被放弃。",
    "report_base": "效能感为零且无成本时，本周反映问题的对数几率。",
    "activity_base": "效能感为零时，参加楼栋活动的对数几率。",
    "efficacy_weight": "“参与有用”感提高参与对数几率的程度。",
    "neighbour_weight": "邻里全部近期参与时增加的对数几率。",
    "mobilisation_weight": "本周被党员联系动员时增加的对数几率。",
    "party_engagement": "党员应当参与而增加的对数几率。",
    "low_income_engagement": "低保户因待遇经社区办理而增加的对数几率。",
    "participation_cost": "每缺少一单位空闲时间所减少的对数几率（在职者空闲少）。",
    "offline_channel_cost": "偏好线上渠道的居民被迫线下反映时额外的对数几率成本。",
    "patience_weeks": "居民愿意等待的周数；超过后处置的价值按 lateness_halflife_weeks 递减。",
    "aspiration": "居民期望的结果价值；好于期望则效能感上升，差于期望则下降。",
    "learning_gain": "好结果提升效能感的 Bush–Mosteller 学习率。",
    "learning_loss": "坏结果降低效能感的学习率；高于正向学习率：信任失去得比恢复得快。",
    "word_of_mouth": "每周效能感向联系人平均效能感靠拢的程度。",
    "disengaged_threshold": "效能感低于此值的居民计为消极参与者。",
    "notice_prob": "未被告知的居民仍自行察觉问题已解决的概率。",
    "told_unresolved_value": "问题未能解决但被如实告知时的结果价值：低于期望，高于沉默或纸面办结（0）。",  # noqa: E501
    "activity_weight": "参加活动或会议相对于案件结果的学习权重。",
    "irrelevant_fix_value": "处置不对路（未满足需求）时的相对结果价值。",
    "grid_capacity": "专职网格员在无其他任务时每周可处理的案件数。",
    "department_capacity": "所有职能部门每千户每周可处理的上报案件数（未计投入与台账）。",
    "department_attention": "部门投入社区案件的能力比例；部门报到的案件获得全部投入。",
    "simple_solve_prob": "非专业网格员真正解决简单案件的概率。",
    "professional_bonus": "持证专业社工在解决率、反馈与对路程度上的加成。",
    "case_relevance": "处置满足居民所感受需求的概率。",
    "case_cost": "部门解决一件上报个人案件的费用。",
    "shared_case_cost": "解决一栋楼共性问题（电梯、改造）所需的费用。",
    "case_timeout_weeks": "案件开启超过此周数即被搁置。",
    "paper_closure_prob": "留痕考核下，逾期部门案件每周被“纸面办结”而未实际解决的概率。",
    "paper_closure_after_weeks": "案件在部门停留超过此周数即视为逾期。",
    "results_paper_factor": "结果导向考核下仍保留的纸面办结比例。",
    "lost_case_prob": "没有一体化平台时，线下反映未被登记的概率。",
    "activity_every_weeks": "支部安排各楼栋党小组活动的间隔周数（在组织能力允许范围内举办）。",
    "formalist_relevance": "留痕考核下活动切合居民需求的概率（自编自导的活动）。",
    "results_relevance": "结果导向考核下活动切合居民需求的概率。",
    "party_outreach": "完全胜任的党员每周在本楼联系的住户数。",
    "party_grid_capacity": "完全胜任的党员作为兼职网格员每周为网格增加的案件处理能力。",
    "incentive_cost": "全额激励时每户参与者每周的费用。",
    "performance_pay_cost": "全额绩效工资时每名网格员每周的费用。",
    "feedback_prob": "居民被告知其案件处理情况（无论是否解决）的概率。",
    "whistle": "社区党委每周可就具体案件向部门吹哨，部门须按 whistle_compliance 报到。",
    "whistle_deadline_weeks": "部门答复督办案件的时限；留痕考核下逾期案件容易被纸面办结。",
    "member_skill": "未经培训的在职党员在联系群众、组织活动和兼职网格工作中的能力（相对完全胜任）。",  # noqa: E501
    "retired_member_skill": "未经培训的退休党员的同一能力。",
    "party_training": "党员教育培训：每名党员的能力从未培训水平向完全胜任提高的程度。",
    "party_training_cost": "全额培训时每名党员每周的费用。",
    "branch_capacity": "完全胜任的党员每周用于组织支部活动和会议的小时数（0 = 支部不组织任何活动）；台账占用其中一部分。",  # noqa: E501
    "activity_hours": "支部组织一次楼栋活动所需的党员工时。",
    "meeting_hours": "支部组织一次小区议事会所需的党员工时。",
    "resident_agenda": "即使在留痕考核下，支部也从居民反映的问题中确定活动和会议议题（民情恳谈），否则议题由考核决定（开会、学文件与念稿）。",  # noqa: E501
    "event_expectation_weight": "居民对本楼近期支部活动是否切合需求的预期（以二分之一为中心）每单位增加参加活动或议事会的对数几率；居民按 activity_weight 从每次活动中学习。",  # noqa: E501
    "committee_convening_every_weeks": "社区党委与职能部门召开联席会议的间隔周数（0 = 从不），会上将等待最久、涉及户数最多的案件交给部门。",  # noqa: E501
    "committee_capacity": "每次联席会议每千户可督办的案件数（一栋楼的共性问题算一件）。",
    "department_party_duty": "部门对社区党委督办案件采取行动（报到、全力优先处理并在时限内答复）的概率。",  # noqa: E501
    "whistle_compliance": "吹哨报到约束下部门响应督办的概率（低于时取代一岗双责）。",
    "push_down_share": "网格员时间被部门下派任务占用的比例。",
    "push_down_per_waiting_job": "部门每件未办结的积案每周占用网格员的工作量（以案件计）："
    "部门把跟进工作下派给网格（催材料、答复居民），上游积压越多，网格处理新案件的时间越少。"
    "默认关闭（0）：以网格员超负荷为校准目标拟合时，"
    "只有在服务瘫痪时才达到超负荷。",
    "paperwork_share": "网格员、职能部门和党员用于考核台账的时间比例。",
    "assessment": "trace：考核记录与办结率，逾期案件被纸面办结、活动流于形式；results：考核满意率与实际成效。",  # noqa: E501
    "resident_incentive": "对参与的奖励（积分、表彰）。100% 时，反映问题、参加活动和参加议事会的"
    "几率约提高到 2.7 倍（对数几率 +1），每名参与者每周花费 incentive_cost（强度较低时按比例）。",
    "worker_performance_pay": "与绩效挂钩的工资比例；有效能力按 performance_pay_gain 提高。",
    "department_budget": "每千户每年用于解决上报案件的部门预算；每个财年初（第0、52、104……周）"
    "拨付，年中改动从下一财年起生效。",
    "approval_delay_weeks": "部门动用专项资金解决共性问题（电梯、改造）前的层层审批周数。",
    "community_fund": "每千户每年的社区基金，使网格员无需上报即可解决复杂个人诉求。",
    "professional_share": "网格员中持证专业社工的比例。",
    "grid_plus_branch": "党员在本楼担任兼职网格员。",
    "online_platform": "整合线上线下投诉平台：偏好线上者反映成本更低，诉求不再遗失。",
    "deliberation_every_weeks": "支部组织小区议事协商会议的间隔周数（0为不开）。议题来自民情时，居民共同商议共性问题，使其处置对路并优先办理。",  # noqa: E501
    "record_weight": "居民本人预期“反映能解决”的概率每高出一半，反映问题的对数几率增加量；来自此前已解决与未解决的反映（Beta计数）。",  # noqa: E501
    "first_outcome_weight": "首次反映的结果在个人经历中相当于几次反映（首次经历最重要）。",
    "lateness_halflife_weeks": "超出耐心后每过此周数，处置对居民的价值减半。",
    "callback_base": "效能感为零时接听结案回访电话的对数几率（另加 efficacy_weight × 效能感）；接听并打分即为参与。",  # noqa: E501
    "hearsay_weight": "居民从联系人上周反映结果（平均价值）中学习的权重，相对于本人结果。",
    "deliberation_appeal": "关于本小区自身问题的议事会比党小组活动多吸引的对数几率（机会，而非感受）。",  # noqa: E501
    "learning": "效能感与个人经历是否随经历变化（false时自设定之周起冻结，用以区分杠杆的直接作用与经由经历的作用）。",  # noqa: E501
    "signals_for_full_knowledge": "使网格员完全掌握一栋楼民情所需的每户每周反映、参加活动与议事次数；信号越少，掌握越少。",  # noqa: E501
    "knowledge_memory_weeks": "没有新信号时，网格员对一栋楼民情的掌握逐渐淡忘的周数。",
    "blind_relevance": "完全不了解一栋楼民情时，共性问题处置或结果导向活动对路的概率（完全了解时升至 case_relevance / results_relevance）。",  # noqa: E501
    "codecided_relevance": "居民在议事会上共同议定的共性问题处置对路的概率。",
    "door_cost_removed": "在“网格+支部”下，兼职网格员上门收集问题时替居民免除的时间与渠道成本比例。",  # noqa: E501
    "performance_pay_gain": "全额绩效工资时网格员有效能力增加的比例。",
    "branch_outreach_factor": "党员作为兼职网格员（收集问题）走访的户数是普通联系的几倍。",
    "burn_in_weeks": "记录开始前在现状参数下运行的周数，使第0周即为现状的稳定状态（不记录）。",
    "reform_week": "命名情景的干预杠杆启动的周（0为从一开始）。",
}

#: The registry: parameter name → :class:`Param`, in display order.
PARAMS: dict[str, Param] = {
    p.name: replace(p, description_zh=_DESCRIPTIONS_ZH.get(p.name, "")) for p in _P
}
assert len(PARAMS) == len(_P), "duplicate parameter names"


def defaults() -> dict[str, Any]:
    """All parameters at their defaults (the status quo the paper criticises)."""
    return {name: p.default for name, p in PARAMS.items()}


def _unknown(name: str) -> ParameterError:
    close = difflib.get_close_matches(name, PARAMS, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return ParameterError(
        f"unknown parameter {name!r}{hint} (`civicloop params` lists all {len(PARAMS)})",
        name=name, kind="unknown", close=tuple(close),
    )  # fmt: skip


def validate_one(name: str, value: Any) -> Any:
    """Check one value against the registry; return it in its canonical type."""
    if name not in PARAMS:
        raise _unknown(name)
    p = PARAMS[name]
    bad = ParameterError(
        f"{name}={value!r} is not allowed: expected {p.allowed()}",
        name=name, value=value, kind="not_allowed",
    )  # fmt: skip
    if p.type is bool:
        if isinstance(value, bool | np.bool_):  # a value read from a frame or an array
            return bool(value)
        raise bad
    if p.type is str:
        if not isinstance(value, str):
            raise bad
        if p.choices is not None and value not in p.choices:
            raise bad
        return value
    if isinstance(value, bool) or not hasattr(value, "__float__"):
        raise bad
    if not math.isfinite(float(value)):
        raise bad
    if p.type is int:
        if float(value) != int(value):
            raise bad
        value = int(value)
    else:
        value = float(value)
    if (p.low is not None and value < p.low) or (p.high is not None and value > p.high):
        raise bad
    return value


def validate(values: dict[str, Any]) -> dict[str, Any]:
    """Validate a partial parameter mapping; return it with canonical types."""
    return {name: validate_one(name, value) for name, value in values.items()}


def parse_value(name: str, text: str) -> Any:
    """Parse a command-line string (``--set name=value``) into a validated value."""
    if name not in PARAMS:
        raise _unknown(name)
    p = PARAMS[name]
    if p.type is bool:
        low = text.strip().lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        raise ParameterError(f"{name}={text!r} is not allowed: expected {p.allowed()}",
                             name=name, value=text, kind="not_allowed")  # fmt: skip
    if p.type is str:
        return validate_one(name, text)
    try:  # whole numbers stay whole, so an error repeats what was typed
        number = int(text) if p.type is int and text.strip().lstrip("+-").isdigit() else (
            float(text))  # fmt: skip
    except ValueError:
        raise ParameterError(f"{name}={text!r} is not allowed: expected {p.allowed()}",
                             name=name, value=text, kind="not_allowed") from None  # fmt: skip
    return validate_one(name, number)


def check_mid_run(values: dict[str, Any], where: str) -> None:
    for name in values:
        if name in PARAMS and not PARAMS[name].mid_run:  # unknown names: validate() explains
            raise ParameterError(
                f"{where} sets {name!r}, which fixes the community's structure or its start "
                "and cannot change mid-run"
            )


def check_consistency(p: dict[str, Any]) -> None:
    """Combinations the registry's ranges cannot express."""
    if p["retired_share"] + p["youth_share"] > 1:
        raise ParameterError(
            f"retired_share + youth_share must be ≤ 1, got {p['retired_share']} + "
            f"{p['youth_share']}"
        )
    if not p["told_unresolved_value"] < p["aspiration"]:
        raise ParameterError(
            f"told_unresolved_value ({p['told_unresolved_value']}) must be below aspiration "
            f"({p['aspiration']}): in the paper's order an honest 'nothing could be done' is "
            "worth less than what residents hope for, and more than silence (0)"
        )
