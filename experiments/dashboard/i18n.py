"""One message catalogue for the dashboard: English and Chinese (中文).

Parameter labels and help texts come from the registry (``model.params``); scenario names and
explanations from ``model.scenarios``; everything else the dashboard shows is here.
"""

from __future__ import annotations

from model.params import GROUPS, PARAMS, Param
from model.scenarios import SCENARIOS

LANGUAGES = ("en", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    "title": {"en": "civicloop – does taking part matter?", "zh": "civicloop——参与有没有用？"},
    "subtitle": {
        "en": "Resident participation under Party-building-led community governance",
        "zh": "党建引领社区治理中的居民参与",
    },
    "language": {"en": "中文", "zh": "English"},
    "preset": {"en": "Scenario", "zh": "情景"},
    "paper_words": {"en": "Paper", "zh": "原文"},
    "reform_week": {"en": "Week levers switch on", "zh": "改革启动周"},
    "seed": {"en": "Seed", "zh": "随机种子"},
    "weeks": {"en": "Weeks to run", "zh": "运行周数"},
    "step": {"en": "Step", "zh": "单步"},
    "run": {"en": "Run", "zh": "运行"},
    "pause": {"en": "Pause", "zh": "暂停"},
    "reset": {"en": "Reset", "zh": "重置"},
    "show_help": {"en": "Show help texts", "zh": "显示说明"},
    "week": {"en": "Week", "zh": "周"},
    "participation": {"en": "Participation", "zh": "参与率"},
    "satisfaction": {"en": "Satisfaction", "zh": "满意率"},
    "completion": {"en": "Completion", "zh": "办结率"},
    "resolution": {"en": "Really resolved", "zh": "实际解决率"},
    "backlog": {"en": "Backlog", "zh": "积压案件"},
    "efficacy": {"en": "Mean efficacy", "zh": "平均效能感"},
    "budget": {"en": "Budget spent (10k CNY)", "zh": "累计支出（万元）"},
    "response_time": {"en": "Response time (weeks)", "zh": "响应时间（周）"},
    "tab_now": {"en": "This run", "zh": "本次运行"},
    "tab_compare": {"en": "Compare scenarios", "zh": "情景对比"},
    "tab_export": {"en": "Export", "zh": "导出"},
    "network_title": {
        "en": "Neighbourhood: compounds, buildings and residents",
        "zh": "社区网络：小区、楼栋与居民",
    },
    "colour_by": {"en": "Colour residents by", "zh": "居民着色依据"},
    "by_efficacy": {"en": "efficacy", "zh": "效能感"},
    "by_participation": {"en": "recent participation", "zh": "近期参与"},
    "took_part": {"en": "took part (4 weeks)", "zh": "近4周参与"},
    "did_not": {"en": "did not", "zh": "未参与"},
    "party_member": {"en": "Party member", "zh": "党员"},
    "grid_worker": {"en": "grid worker", "zh": "网格员"},
    "chart_groups": {"en": "Participation by group", "zh": "各群体参与率"},
    "chart_closure": {"en": "Completion vs satisfaction", "zh": "办结率与满意率"},
    "chart_service": {"en": "Response time and backlog", "zh": "响应时间与积压"},
    "retired": {"en": "retired", "zh": "退休"},
    "working": {"en": "working-age", "zh": "在职年龄"},
    "youth": {"en": "youth", "zh": "青年"},
    "low_income": {"en": "low-income", "zh": "低保户"},
    "party": {"en": "Party members", "zh": "党员"},
    "no_data": {"en": "Press Step or Run to start.", "zh": "请点击“单步”或“运行”开始。"},
    "compare_with": {"en": "Compare with", "zh": "对比情景"},
    "before_reform": {
        "en": "The comparison ends before the levers switch on (week set in the sidebar).",
        "zh": "对比在干预杠杆启动周之前就结束了（启动周见侧栏）。",
    },
    "on_screen": {"en": "Settings on screen", "zh": "当前设置"},
    "replicates": {"en": "Replicates", "zh": "重复次数"},
    "compare_button": {"en": "Compare", "zh": "开始对比"},
    "comparing": {"en": "Running replicates…", "zh": "正在运行重复实验……"},
    "compare_title": {
        "en": "Mean and 95 % band over replicates (same seeds)",
        "zh": "重复实验均值与95%置信带（相同随机种子）",
    },
    "difference": {"en": "Difference at the end (last 13 weeks)", "zh": "期末差异（最后13周）"},
    "measure": {"en": "Measure", "zh": "指标"},
    "ci": {"en": "95 % CI", "zh": "95%置信区间"},
    "download_toml": {"en": "Experiment spec (TOML)", "zh": "实验配置（TOML）"},
    "download_csv": {"en": "Weekly series (CSV)", "zh": "周度数据（CSV）"},
    "export_help": {
        "en": "The TOML file runs unchanged with `civicloop sweep FILE --out DIR`.",
        "zh": "TOML 文件可直接用于 `civicloop sweep FILE --out DIR`。",
    },
    "error": {"en": "Cannot use these settings", "zh": "设置无效"},
}


#: Display names of the registry's choice values.
CHOICES: dict[str, dict[str, str]] = {
    "trace": {"en": "trace-based (records, completion)", "zh": "留痕考核（台账、办结率）"},
    "results": {"en": "results-based (satisfaction)", "zh": "结果导向（满意率）"},
    "nested_sbm": {"en": "nested blocks (building, compound)", "zh": "嵌套分块（楼栋、小区）"},
    "watts_strogatz": {"en": "small world (Watts–Strogatz)", "zh": "小世界网络"},
}


def choice_label(value: str, lang: str) -> str:
    return CHOICES.get(value, {}).get(lang, value)


def t(key: str, lang: str) -> str:
    """The message ``key`` in ``lang`` (falls back to English)."""
    entry = MESSAGES[key]
    return entry.get(lang) or entry["en"]


UNITS_ZH = {
    "households": "户", "buildings": "栋", "ties": "个", "per week": "每周", "weeks": "周",
    "week": "周", "log-odds": "对数几率", "cases/week": "件/周",
    "cases/week per 1,000": "件/周/千户", "10k CNY": "万元",
    "10k CNY/year per 1,000": "万元/年/千户", "households/week": "户/周",
    "reports": "次反映", "per household-week": "每户每周",
}  # fmt: skip


def param_label(p: Param, lang: str) -> str:
    label = p.label_zh if lang == "zh" else p.label_en
    unit = UNITS_ZH.get(p.unit, p.unit) if lang == "zh" else p.unit
    return f"{label} ({unit})" if unit else label


def param_help(p: Param, lang: str) -> str:
    text = p.description_zh if lang == "zh" and p.description_zh else p.description
    return f"{text} [{p.paper}]" if p.paper else text


def group_label(group: str, lang: str) -> str:
    en, zh = GROUPS[group]
    return zh if lang == "zh" else en


def scenario_label(name: str, lang: str) -> str:
    s = SCENARIOS[name]
    return s["label_zh"] if lang == "zh" else s["label_en"]


def scenario_description(name: str, lang: str) -> str:
    s = SCENARIOS[name]
    return s.get("description_zh", s["description"]) if lang == "zh" else s["description"]


def missing_translations() -> list[str]:
    """Keys with no Chinese text – a test keeps this empty."""
    out = [k for k, v in MESSAGES.items() if not v.get("zh") or not v.get("en")]
    out += [f"param:{n}" for n, p in PARAMS.items() if not p.description_zh]
    out += [f"scenario:{n}" for n, s in SCENARIOS.items() if not s.get("description_zh")]
    out += [f"unit:{p.unit}" for p in PARAMS.values() if p.unit and p.unit not in UNITS_ZH]
    out += [f"choice:{c}" for p in PARAMS.values() for c in p.choices or () if c not in CHOICES]
    return out
