"""One message catalogue for the dashboard: English and Chinese (中文).

Parameter labels and help texts come from the registry (``model.params``); scenario names and
explanations from ``model.scenarios``; everything else the dashboard shows is here. Chinese
registry texts pass through :data:`ZH_TERMS`, which replaces the few internal names and
foreign terms a policy officer should not have to read.
"""

from __future__ import annotations

import re
from typing import Any

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
    "language_name": {"en": "Switch to Chinese", "zh": "切换到英文"},
    "controls": {"en": "Settings", "zh": "设置"},
    "preset": {"en": "Scenario", "zh": "情景"},
    "paper_words": {"en": "Paper", "zh": "原文"},
    "seed": {"en": "Seed", "zh": "随机种子"},
    "horizon": {"en": "Weeks to run", "zh": "运行周数"},
    "step": {"en": "Step", "zh": "单步"},
    "run": {"en": "Run", "zh": "运行"},
    "pause": {"en": "Pause", "zh": "暂停"},
    "run_to_end": {"en": "Run to the end", "zh": "运行到底"},
    "reset": {"en": "Reset", "zh": "重置"},
    "speed": {"en": "Speed", "zh": "速度"},
    "speed_slow": {"en": "1 week per frame", "zh": "每帧1周"},
    "speed_medium": {"en": "4 weeks per frame", "zh": "每帧4周"},
    "speed_fast": {"en": "13 weeks per frame", "zh": "每帧13周"},
    "at_horizon": {"en": "Reached the last week.", "zh": "已运行到最后一周。"},
    "status_week": {"en": "Week {week} of {horizon}", "zh": "第 {week} 周 / 共 {horizon} 周"},
    "show_help": {"en": "Show help texts", "zh": "显示说明"},
    "tier_levers": {"en": "Policy levers", "zh": "政策杠杆"},
    "tier_community": {"en": "Community", "zh": "社区设置"},
    "tier_advanced": {"en": "Advanced: behaviour and services", "zh": "高级：行为与服务参数"},
    "advanced_note": {
        "en": "Assumptions of the model; change them only to test how robust a result is.",
        "zh": "这些是模型假设，一般无需改动；仅在检验结论是否稳健时调整。",
    },
    "value_now": {"en": "now {value}", "zh": "当前 {value}"},
    "range": {"en": "range {low} – {high}", "zh": "范围 {low} – {high}"},
    "yes": {"en": "on", "zh": "开"},
    "no": {"en": "off", "zh": "关"},
    "week": {"en": "Week", "zh": "周"},
    "weeks_unit": {"en": "weeks", "zh": "周"},
    "participation": {"en": "Participation", "zh": "参与率"},
    "satisfaction": {"en": "Satisfaction", "zh": "满意率"},
    "completion": {"en": "Completion", "zh": "办结率"},
    "resolution": {"en": "Really resolved", "zh": "实际解决率"},
    "backlog": {"en": "Backlog (cases)", "zh": "积压案件（件）"},
    "efficacy": {"en": "Mean efficacy", "zh": "平均效能感"},
    "budget": {"en": "Budget spent (10k CNY)", "zh": "累计支出（万元）"},
    "budget_year": {"en": "Spent in the last 52 weeks (10k CNY)", "zh": "最后52周支出（万元）"},
    "response_time": {"en": "Response time (weeks)", "zh": "响应时间（周）"},
    "tab_now": {"en": "This run", "zh": "本次运行"},
    "tab_compare": {"en": "Compare scenarios", "zh": "情景对比"},
    "tab_export": {"en": "Downloads", "zh": "下载"},
    "network_title": {
        "en": "Neighbourhood: buildings grouped by compound",
        "zh": "社区：按小区分组的楼栋",
    },
    "colour_by": {"en": "Colour buildings by", "zh": "楼栋着色依据"},
    "by_efficacy": {"en": "efficacy", "zh": "效能感"},
    "by_participation": {"en": "recent participation", "zh": "近期参与"},
    "share_took_part": {
        "en": "Share who took part (last 4 weeks)",
        "zh": "近4周参与的居民比例",
    },
    "party_member": {"en": "Party group: members in building", "zh": "党小组：楼内党员"},
    "grid_worker": {"en": "grid worker (one per grid)", "zh": "网格员（每网格一名）"},
    "compound": {"en": "compound", "zh": "小区"},
    "branch_meeting": {"en": "Party branch met this week", "zh": "党支部本周召开会议"},
    "branch_no_meeting": {"en": "Party branch, no meeting", "zh": "党支部本周未开会"},
    "branch_activity": {"en": "activity held this week", "zh": "本周开展党建活动"},
    "event_relevant": {"en": "about residents' needs", "zh": "议题切合居民需求"},
    "event_staged": {"en": "not about their needs (staged)", "zh": "与居民需求无关（走形式）"},
    "committee_meeting": {
        "en": "Community Party committee – joint meeting this week:",
        "zh": "社区党委——本周联席会议：",
    },
    "committee_held": {"en": "yes", "zh": "已召开"},
    "committee_not_held": {"en": "no", "zh": "未召开"},
    "committee_cases": {"en": "; cases put to departments:", "zh": "；向部门交办案件数："},
    "chart_groups": {"en": "Participation by group", "zh": "各群体参与率"},
    "chart_closure": {"en": "Completion vs satisfaction", "zh": "办结率与满意率"},
    "chart_service": {"en": "Response time and backlog", "zh": "响应时间与积压"},
    "all_residents": {"en": "all residents", "zh": "全体居民"},
    "retired": {"en": "retired", "zh": "退休"},
    "working": {"en": "working-age", "zh": "劳动年龄"},
    "youth": {"en": "youth", "zh": "青年"},
    "low_income": {"en": "low-income", "zh": "低保户"},
    "party": {"en": "Party members", "zh": "党员"},
    "reform_marker": {"en": "levers on (week {week})", "zh": "改革启动（第{week}周）"},
    "differs": {"en": "What differs from the status quo", "zh": "与现状不同的设置"},
    "differs_none": {"en": "Nothing: this is the status quo.", "zh": "无：即现状。"},
    "from_week": {"en": "from week {week}", "zh": "自第{week}周起"},
    "from_start": {"en": "from the start", "zh": "从一开始"},
    "compare_with": {"en": "Compare with", "zh": "对比情景"},
    "before_reform": {
        "en": "The run ends before the levers switch on (week set under Policy levers).",
        "zh": "运行在改革启动周之前就结束了（启动周见“政策杠杆”）。",
    },
    "preset_changed": {
        "en": "Based on {preset}, with {n} settings changed: they are listed under the figures.",
        "zh": "以{preset}为基础，改动了 {n} 项设置（列于图下方）。",
    },
    "preset_changed_one": {
        "en": "Based on {preset}, with one setting changed: it is listed under the figures.",
        "zh": "以{preset}为基础，改动了 1 项设置（列于图下方）。",
    },
    "on_screen": {"en": "settings on screen", "zh": "当前设置"},
    "on_screen_based": {
        "en": "settings on screen (from {preset})",
        "zh": "当前设置（基于{preset}）",
    },
    "replicates": {"en": "Replicates", "zh": "重复次数"},
    "compare_button": {"en": "Compare", "zh": "开始对比"},
    "comparing": {"en": "Running replicates…", "zh": "正在运行重复实验……"},
    "compare_hint": {
        "en": "Runs the settings on screen and another scenario with the same seeds "
        "and reports the difference over the last 52 weeks with a 95 % interval.",
        "zh": "以相同随机种子分别运行当前设置和对比情景，报告最后52周的平均差异及95%区间。",
    },
    "compare_title": {
        "en": "Mean and 95 % band over {n} replicates (same seeds)",
        "zh": "{n}次重复实验的均值与95%置信带（相同随机种子）",
    },
    "stale": {
        "en": "These results are for earlier {what}; press Compare to update them.",
        "zh": "以下结果基于之前的{what}；请点击“开始对比”更新。",
    },
    "stale_settings": {"en": "settings", "zh": "设置"},
    "stale_other": {"en": "comparison scenario", "zh": "对比情景"},
    "stale_replicates": {"en": "number of replicates", "zh": "重复次数"},
    "measure": {"en": "Measure", "zh": "指标"},
    "difference": {"en": "Difference", "zh": "差异"},
    "ci": {"en": "95 % interval", "zh": "95%区间"},
    "end_note": {
        "en": "Mean of the last 52 weeks (a fiscal year), paired by seed; spending: the "
        "total of those weeks.",
        "zh": "最后52周（一个财年）的平均值，按随机种子配对；支出为这52周的合计。",
    },
    "pp": {"en": "pp", "zh": "个百分点"},
    "sentence_intro": {"en": "Compared with {other}, {chosen} ", "zh": "与{other}相比，{chosen}使"},
    "sentence_up": {
        "en": "raises {measure} by about {d} percentage points (95 % interval {lo} to {hi})",
        "zh": "{measure}提高约 {d} 个百分点（95%区间 {lo}–{hi}）",
    },
    "sentence_down": {
        "en": "lowers {measure} by about {d} percentage points (95 % interval {lo} to {hi})",
        "zh": "{measure}降低约 {d} 个百分点（95%区间 {lo}–{hi}）",
    },
    "sentence_same": {
        "en": "leaves {measure} about unchanged (95 % interval {lo} to {hi} points)",
        "zh": "{measure}无明显变化（95%区间 {lo}–{hi} 个百分点）",
    },
    "sentence_and": {"en": " and ", "zh": "，"},
    "cost_budget_spent_up": {
        "en": "it spends about {d} (10k CNY) more in the last 52 weeks (95 % interval {lo} to "
        "{hi})",
        "zh": "最后52周多支出约 {d} 万元（95%区间 {lo}–{hi}）",
    },
    "cost_budget_spent_down": {
        "en": "it spends about {d} (10k CNY) less in the last 52 weeks (95 % interval {lo} to "
        "{hi})",
        "zh": "最后52周少支出约 {d} 万元（95%区间 {lo}–{hi}）",
    },
    "cost_budget_spent_same": {
        "en": "its spending in the last 52 weeks is about the same (95 % interval {lo} to {hi}, "
        "10k CNY)",
        "zh": "最后52周支出无明显变化（95%区间 {lo}–{hi} 万元）",
    },
    "cost_backlog_up": {
        "en": "the backlog grows by about {d} cases (95 % interval {lo} to {hi})",
        "zh": "积压案件增加约 {d} 件（95%区间 {lo}–{hi}）",
    },
    "cost_backlog_down": {
        "en": "the backlog shrinks by about {d} cases (95 % interval {lo} to {hi})",
        "zh": "积压案件减少约 {d} 件（95%区间 {lo}–{hi}）",
    },
    "sentence_end": {"en": ".", "zh": "。"},
    "downloads": {"en": "Downloads", "zh": "下载"},
    "download_png": {"en": "Figure (PNG)", "zh": "图片（PNG）"},
    "download_toml": {"en": "Experiment spec (TOML)", "zh": "实验配置（TOML）"},
    "cards_note": {
        "en": "One simulated run (not measured data; another seed gives other figures): shares "
        "over weeks {first}–{last} (the last {window}); backlog now; spending since week 1. For "
        "figures to quote, Compare scenarios averages the last 52 weeks of several runs.",
        "zh": "单次模拟运行（非实测数据，换一个随机种子数字会不同）：比率为第 {first}–{last} 周"
        "（最近 {window} 周）；积压为当前值；支出自第 1 周起累计。引用数字请用“情景对比”"
        "（多次运行最后 52 周的平均值）。",
    },
    "cards_note_start": {
        "en": "One simulated run (not measured data; another seed gives other figures), at week "
        "0: the settled status quo, shares over the last {window} weeks of the burn-in. For "
        "figures to quote, Compare scenarios averages the last 52 weeks of several runs.",
        "zh": "单次模拟运行（非实测数据，换一个随机种子数字会不同），第 0 周：预热后的现状，"
        "比率为预热期最后 {window} 周。引用数字请用“情景对比”（多次运行最后 52 周的平均值）。",
    },
    "toml_head": {
        "en": "civicloop {version} – exported {when}\n"
        "seed is the sweep's master seed: each run's seed is derived from it, so the runs\n"
        "are not the page's (seed, seed + 1, …) and agree with its comparison within the\n"
        "intervals, not to the digit. Run it with: civicloop sweep FILE --out DIR",
        "zh": "civicloop {version} —— 导出于 {when}\n"
        "seed 是批量运行的主种子：每次运行的种子由它派生，\n"
        "因此与页面上的运行（seed、seed + 1……）不是同一批，\n"
        "结果与页面的对比在置信区间内一致，但数字不会完全相同。\n"
        "运行方法：civicloop sweep 文件 --out 目录",
    },
    "toml_description": {
        "en": "Saved from the civicloop dashboard, version {version}",
        "zh": "由 civicloop 仪表盘保存，版本 {version}",
    },
    "download_csv": {"en": "Weekly series (CSV)", "zh": "周度数据（CSV）"},
    "download_data": {
        "en": "Data for analysis (CSV, variable names and provenance)",
        "zh": "分析用数据（CSV，变量名与来源信息）",
    },
    "download_compare_csv": {"en": "Comparison table (CSV)", "zh": "对比表（CSV）"},
    "download_brief": {"en": "One-page brief (HTML)", "zh": "一页简报（HTML）"},
    "export_help": {
        "en": "Every file is stamped with the settings, seed and version of the run on screen. "
        "The TOML file runs unchanged with the command: civicloop sweep FILE --out DIR",
        "zh": "每个文件都注明屏幕上这次运行的设置、随机种子和版本。"
        "TOML 文件可直接用于命令：civicloop sweep 文件 --out 目录",
    },
    "brief_stale_compare": {
        "en": "The last comparison was for other settings than this run's, so it is left out: "
        "press Compare again for the brief to carry its result.",
        "zh": "最近一次情景对比所用的设置与本次运行不同，因此未收入简报；"
        "请再次点击“开始对比”，简报中才会有对比结论。",
    },
    "brief_needs_compare": {
        "en": "Run a comparison first for the brief to carry its sentence.",
        "zh": "先运行一次情景对比，简报中才会有对比结论。",
    },
    "link": {"en": "Link to this view", "zh": "本视图链接"},
    "link_help": {
        "en": "The address bar holds the scenario, levers and seed; opening it restores them.",
        "zh": "地址栏中包含情景、杠杆和随机种子，打开该链接即可恢复当前视图。",
    },
    "stamp_scenario": {"en": "Scenario", "zh": "情景"},
    "stamp_seed": {"en": "Seed", "zh": "随机种子"},
    "stamp_weeks": {"en": "Weeks run", "zh": "已运行周数"},
    "stamp_settings": {"en": "Settings differing from the status quo", "zh": "与现状不同的设置"},
    "stamp_version": {"en": "Version", "zh": "版本"},
    "stamp_exported": {"en": "Exported", "zh": "导出时间"},
    "stamp_compared": {"en": "Compared with", "zh": "对比情景"},
    "stamp_replicates": {"en": "Replicates", "zh": "重复次数"},
    "brief_title": {"en": "civicloop brief", "zh": "civicloop 简报"},
    "brief_settings": {"en": "Settings", "zh": "设置"},
    "error": {"en": "Cannot use these settings", "zh": "无法使用这些设置"},
    "err_sum": {
        "en": "{a} + {b} must be at most 100 % (now {va} + {vb}).",
        "zh": "{a}与{b}之和不能超过100%（现为 {va} + {vb}）。",
    },
    "err_range": {
        "en": "{label}: {value} is not allowed ({allowed}).",
        "zh": "{label}：{value} 不在允许范围内（{allowed}）。",
    },
    "err_generic": {
        "en": "These settings cannot be run together{which}.",
        "zh": "这些设置无法一起运行{which}。",
    },
    "settings_word": {"en": "the settings", "zh": "设置"},
    "err_kept": {
        "en": "Check {where}: the results shown are still those of the last valid settings; "
        "Step and Run are paused until this is fixed.",
        "zh": "请检查{where}：页面上仍显示上一次有效设置的结果；修正之前暂停“单步”和“运行”。",
    },
    "err_seed": {
        "en": "The seed must be a whole number from 0 to 2147483647.",
        "zh": "随机种子须为 0 到 2147483647 之间的整数。",
    },
    "err_export": {
        "en": "This file could not be made; please try again.",
        "zh": "无法生成此文件，请重试。",
    },
    "err_run": {
        "en": "The run stopped with an error; press Reset to start again.",
        "zh": "运行出错已停止；请点击“重置”重新开始。",
    },
    "err_busy": {
        "en": "The server is busy with other users' runs; please try again in a minute.",
        "zh": "服务器正忙于其他用户的运行，请稍后再试。",
    },
    "err_compare": {"en": "The comparison could not run", "zh": "对比未能运行"},
    "open_spec": {
        "en": "Open a scenario file: drop a .toml here (saved from this page, or a policy "
        "of civicloop optimize)",
        "zh": "打开情景文件：将 TOML 文件拖放到此处"
        "（本页导出的情景，或 civicloop 政策搜索导出的方案）",
    },
    "choose_spec": {"en": "… or choose a file", "zh": "……或选择文件"},
    "spec_sweeps": {
        "en": "this spec sweeps or samples parameters (many runs); the dashboard opens one "
        "scenario – run it with the command civicloop sweep",
        "zh": "此文件扫描或抽样多组参数（多次运行），看板只打开一个情景；"
        "请用命令 civicloop sweep 运行",
    },
    "spec_no_scenario": {
        "en": "no scenario '{name}'; the file has: {names}",
        "zh": "没有名为“{name}”的情景；文件中有：{names}",
    },
    "spec_early_levers": {
        "en": "levers set from week 0 ({names}) cannot be shown: the dashboard switches levers "
        "on at the reform week – put them in interventions",
        "zh": "自第0周起设定的杠杆（{names}）无法显示：看板在改革启动周开启杠杆，"
        "请写入 interventions",
    },
    "spec_many_weeks": {
        "en": "interventions at weeks {weeks}; the dashboard shows levers switching on at one "
        "reform week",
        "zh": "干预分别在第 {weeks} 周；看板只显示在同一个改革启动周开启的杠杆",
    },
    "spec_not_levers": {
        "en": "interventions may only switch levers; {names} belong in [base] (they hold from "
        "week 0)",
        "zh": "interventions 只能切换政策杠杆；{names} 应写入 [base]（自第0周起生效）",
    },
    "spec_preset_week": {
        "en": "the preset '{preset}' switches on at reform_week {week}, the interventions at "
        "week {at}; the dashboard shows one reform week",
        "zh": "预设情景“{preset}”在第 {week} 周（reform_week）开启，而 interventions 在第 {at} 周；"
        "看板只显示一个改革启动周",
    },
    "spec_weeks": {
        "en": "weeks = {weeks}; this server runs 1 to {most} weeks",
        "zh": "weeks = {weeks}；本服务器可运行 1 至 {most} 周",
    },
    "spec_seed": {
        "en": "seed = {seed}; the page takes 0 to {most}",
        "zh": "seed = {seed}；本页面接受 0 至 {most}",
    },
    "spec_hidden": {
        "en": "{name} cannot be set on the page",
        "zh": "{name} 不能在本页面设置",
    },
    "spec_cap": {
        "en": "{name} = {value}; this server allows {low} to {high}",
        "zh": "{name} = {value}；本服务器允许 {low} 至 {high}",
    },
    "err_spec": {
        "en": "This file cannot be opened: {why}",
        "zh": "无法打开此文件：{why}",
    },
    "err_spec_checker": {  # the spec checker's rarer reasons are written in English only
        "en": "This file cannot be opened: {why}",
        "zh": "无法打开此文件。文件检查给出的原因（英文）：{why}",
    },
    "err_spec_bytes": {
        "en": "the file is larger than {n} bytes; a scenario file is a few hundred",
        "zh": "文件超过 {n} 字节；情景文件通常只有几百字节",
    },
    "err_spec_text": {
        "en": "it is not a text file (UTF-8)",
        "zh": "不是文本文件（UTF-8）",
    },
    "spec_ready": {
        "en": "{name}: {n} settings differ from the status quo ({names}), {weeks} weeks.",
        "zh": "{name}：与现状相比有 {n} 项设置不同（{names}），共 {weeks} 周。",
    },
    "saved_on_screen": {"en": "settings saved from the page", "zh": "页面保存的设置"},
    "open_file": {"en": "Open this file", "zh": "打开此文件"},
    "err_url": {
        "en": "Some settings in the link were not used: {names}.",
        "zh": "链接中的部分设置未被采用：{names}。",
    },
    "url_unknown": {"en": "“{name}” (not a setting here)", "zh": "“{name}”（不是本模型的设置）"},
    "url_value": {
        "en": "{label} = {value} (allowed: {allowed})",
        "zh": "{label} = {value}（允许：{allowed}）",
    },
    "url_range": {"en": "{low} to {high}", "zh": "{low} 至 {high}"},
    "url_or": {"en": " or ", "zh": " 或 "},
    "url_scenario": {"en": "a scenario of the menu", "zh": "菜单中的情景"},
    "cap_note": {
        "en": "At most {n} households on this server.",
        "zh": "本服务器最多支持 {n} 户。",
    },
    "no_cjk_font": {
        "en": "",
        "zh": "本机未找到中文字体，图中文字暂以英文显示。安装任一中文字体"
        "（如思源黑体、文泉驿、微软雅黑）并重启后即可显示中文。",
    },
    "figure_alt_network": {
        "en": "Map of the community's buildings, coloured by {what}, with this week's "
        "meetings and activities of the Party branches and the Party committee's joint meeting",
        "zh": "社区楼栋示意图，按{what}着色，标出本周各党支部的会议和活动及社区党委的联席会议",
    },
    "figure_alt_chart": {"en": "Chart: {what}", "zh": "图表：{what}"},
}


#: Display names of the registry's choice values.
CHOICES: dict[str, dict[str, str]] = {
    "trace": {"en": "trace-based (records, completion)", "zh": "留痕考核（台账、办结率）"},
    "results": {"en": "results-based (satisfaction)", "zh": "结果导向（满意率）"},
    "nested_sbm": {"en": "nested blocks (building, compound)", "zh": "嵌套分块（楼栋、小区）"},
    "watts_strogatz": {"en": "small world (Watts–Strogatz)", "zh": "小世界网络"},
}

#: Chinese registry texts: internal names and foreign terms → plain Chinese. The registry
#: itself is shared with the CLI and the docs; the dashboard shows officials the plain words.
ZH_TERMS: tuple[tuple[str, str], ...] = (
    ("nested_sbm：", "嵌套分块："),
    ("watts_strogatz：", "小世界网络："),
    ("trace：", "留痕考核："),
    ("results：", "结果导向："),
    ("Beta分布", "贝塔分布"),
    (" Bush–Mosteller 学习率", "学习率（布什–莫斯特勒学习规则）"),
    ("最近的 k 位居民", "最近的若干位居民（人数即此值）"),
    ("GraphML（.graphml）或边列表（.edgelist/.txt/.csv）文件", "网络文件"),
    ("在职年龄", "劳动年龄"),
)

UNITS_ZH = {
    "households": "户", "buildings": "栋", "ties": "个", "per week": "每周", "weeks": "周",
    "week": "周", "log-odds": "对数几率", "cases/week": "件/周",
    "cases/week per 1,000 households": "件/周/千户", "10k CNY": "万元",
    "10k CNY/year per 1,000 households": "万元/年/千户", "households/week": "户/周",
    "reports": "次反映", "per household-week": "每户每周",
    "hours/member/week": "小时/党员/周", "member-hours": "党员工时",
    "cases per 1,000 households": "件/千户", "cases/week per waiting job": "件/周/每件积案",
}  # fmt: skip


#: Plain words for the registry's few English words left in Chinese texts.
ZH_WORDS = {"false": "否", "true": "是", "Beta": "贝塔"}


def _replace_terms(text: str) -> str:
    for old, new in ZH_TERMS:
        text = text.replace(old, new)
    return text


def zh_terms(text: str) -> str:
    """Chinese registry text as an official reads it: a parameter's internal name becomes
    its Chinese label (derived from the registry, so a new parameter needs nothing here)."""
    text = _replace_terms(text)

    def plain(match: re.Match) -> str:
        word = match.group(1)
        if word in PARAMS:
            return f"“{_replace_terms(PARAMS[word].label_zh)}”"
        if word in ZH_WORDS:
            return ZH_WORDS[word]
        if "_" in word:  # another internal name (a constant of the model)
            return "模型设定值"
        return match.group(0)

    return re.sub(r" ?(?<![A-Za-z_])([A-Za-z][A-Za-z_]*)(?![A-Za-z_]) ?", plain, text)


def choice_label(value: str, lang: str) -> str:
    return CHOICES.get(value, {}).get(lang, value)


def t(key: str, lang: str, **fields: Any) -> str:
    """The message ``key`` in ``lang`` (falls back to English), with ``fields`` filled in."""
    entry = MESSAGES[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**fields) if fields else text


def unit_label(p: Param, lang: str) -> str:
    return UNITS_ZH.get(p.unit, p.unit) if lang == "zh" else p.unit


def param_name(p: Param, lang: str) -> str:
    """The parameter's name alone (no unit), in the UI language."""
    return _replace_terms(p.label_zh) if lang == "zh" else p.label_en


def param_label(p: Param, lang: str) -> str:
    label, unit = param_name(p, lang), unit_label(p, lang)
    if not unit or _says_unit(label, unit, lang):
        return label
    if label.endswith(("）", ")")):  # one bracket: "Reporting propensity (intercept, log-odds)"
        return f"{label[:-1]}{'，' if lang == 'zh' else ', '}{unit}{label[-1]}"
    return f"{label}（{unit}）" if lang == "zh" else f"{label} ({unit})"


def _says_unit(label: str, unit: str, lang: str) -> bool:
    """Whether the name already says its unit ("预热周数", "Households per building"): the
    unit in brackets would only repeat it."""
    if lang == "zh":
        return label.endswith((f"{unit}数", unit)) or (unit.startswith("每") and unit in label)
    return re.search(rf"\b{re.escape(unit)}\b", label, re.IGNORECASE) is not None


def param_help(p: Param, lang: str) -> str:
    if lang == "zh":
        return zh_terms(p.description_zh or p.description)
    text = _INTERNAL.sub(_readable, p.description)  # the registry's text names parameters
    return f"{text} [{p.paper}]" if p.paper else text


_INTERNAL = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def _readable(match: re.Match) -> str:
    """A parameter or choice the registry's English names by its code, as the page names it."""
    name = match.group(0)
    if name in PARAMS:
        return f"“{param_name(PARAMS[name], 'en')}”"
    return f"“{CHOICES[name]['en']}”" if name in CHOICES else name


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
    out = [k for k, v in MESSAGES.items() if "zh" not in v or "en" not in v]
    out += [f"param:{n}" for n, p in PARAMS.items() if not p.description_zh]
    out += [f"scenario:{n}" for n, s in SCENARIOS.items() if not s.get("description_zh")]
    out += [f"unit:{p.unit}" for p in PARAMS.values() if p.unit and p.unit not in UNITS_ZH]
    out += [f"choice:{c}" for p in PARAMS.values() for c in p.choices or () if c not in CHOICES]
    return out
