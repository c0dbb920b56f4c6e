"""Input that would quietly do something else is refused (or, when deliberate, warned about)."""

import re
import warnings

import networkx as nx
import pandas as pd
import pytest

from experiments.cli import main
from experiments.plan import PlanWarning, plan_runs
from experiments.spec import SpecError, parse_spec
from model import CommunityModel
from model.network import NetworkFileError, read_network_file

SPEC = """
name = "late"
weeks = 10
replicates = 1
seed = 1
metrics = ["participation_rate"]

[base]
n_residents = 100

[scenarios]
reform = "beijing_reform"
"""


def _graphml(nodes, edges, directed=False) -> str:
    kind = "directed" if directed else "undirected"
    body = "".join(f'<node id="{n}"/>' for n in nodes)
    body += "".join(f'<edge source="{u}" target="{v}"/>' for u, v in edges)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        f'<graph edgedefault="{kind}">{body}</graph></graphml>'
    )


def _ring(n):
    return [(f"h{i}", f"h{(i + 1) % n}") for i in range(n)]


def test_run_whose_levers_switch_on_after_its_last_week_is_an_error(tmp_path, capsys):
    out = tmp_path / "r.parquet"
    assert main(["run", "--scenario", "funding", "--steps", "10", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "week 52" in err and "only 10 weeks" in err and "never act" in err
    assert not out.exists()


def test_spec_whose_reform_comes_after_its_last_week_is_refused():
    with pytest.raises(SpecError, match=r"scenarios.reform: levers switch on at week 52.*10 weeks"
                       r".*raise `weeks` or lower `reform_week`$"):  # fmt: skip
        plan_runs(parse_spec(SPEC))


def test_an_intervention_after_the_last_week_is_refused_pointing_at_its_week():
    late = SPEC.replace('reform = "beijing_reform"', 'late = { interventions = [ '
                        '{ week = 25, set = { whistle = true } } ] }')  # fmt: skip
    with pytest.raises(SpecError, match=r"scenarios.late: levers switch on at week 25.*"
                       r"raise `weeks` or lower that intervention's `week`$"):  # fmt: skip
        plan_runs(parse_spec(late))


def test_spec_that_sweeps_the_reform_week_past_the_horizon_is_warned_not_refused():
    text = SPEC + "\n[sweep]\nreform_week = [3, 12]\n"
    with pytest.warns(PlanWarning, match=r"point \{'reform_week': 12\}.*never act"):
        runs = plan_runs(parse_spec(text))
    assert len(runs) == 2


@pytest.mark.parametrize(
    ("design", "says"),
    [
        ('method = "sobol"\nsamples = 3', "samples = 3 is not a power of 2.*2 or 4"),
        ('method = "morris"\nsamples = 2\nnum_levels = 3', "num_levels = 3 is odd"),
    ],
)
def test_a_sampling_design_salib_cautions_against_is_warned_in_the_specs_words(design, says):
    text = (
        'name = "d"\nweeks = 4\nreplicates = 1\nseed = 1\n[design]\n'
        + design
        + "\n[design.parameters]\nresident_incentive = [0, 1]\nfeedback_prob = [0, 1]\n"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_runs(parse_spec(text, source="d.toml"))
        plan_runs(parse_spec(text, source="d.toml"))  # analyze plans it again: said once
    shown = [str(w.message) for w in caught]
    assert len(shown) == 1 and caught[0].category is PlanWarning, shown  # not SALib's too
    assert re.search("d.toml: \\[design\\] " + says, shown[0]), shown


@pytest.mark.parametrize("common", [True, False])
def test_design_points_that_rounding_repeats_are_warned_under_common_random_numbers(common):
    text = (
        f'name = "d"\nweeks = 4\nseed = 1\ncommon_random_numbers = {str(common).lower()}\n'
        '[design]\nmethod = "latin"\nsamples = 4\n[design.parameters]\n'
        "issue_lapse_weeks = [1, 2]\n"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runs = plan_runs(parse_spec(text, source=f"int_{common}.toml"))
    assert len({r.point_values["issue_lapse_weeks"] for r in runs}) == 2  # 4 points, 2 values
    shown = [str(w.message) for w in caught if w.category is PlanWarning]
    if common:  # the same runs with the same seeds
        assert len(shown) == 1 and "2 of 4 points repeat" in shown[0], shown
    else:  # other seeds: a repeated value is one more sample
        assert shown == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('name = "x"\nseed = 1\nmetrics = ["participation_rate", "participation_rate"]\n',
         r":3: metrics: lists 'participation_rate' more than once"),
        (f'name = "x"\nseed = 1\n[scenarios]\n{"a" * 101} = "baseline"\n',
         r"scenario names have at most 100 characters.*got 101"),
        (f'name = "{"n" * 101}"\nseed = 1\n', r":1: name: at most 100 characters, got 101"),
        ('name = "x"\nseed = 1\ndescription = { a = 1 }\n', r":3: description: must be a string"),
    ],
)  # fmt: skip
def test_specs_that_would_fail_every_run_or_their_files_are_refused_when_checked(text, says):
    with pytest.raises(SpecError, match=says):
        parse_spec(text, source="s.toml")


def test_a_seed_results_files_cannot_hold_is_refused_before_the_run(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--seed", str(2**64), "--steps", "1", "--set", "n_residents=100"])
    assert exit_.value.code == 2
    assert "expected a seed in [0, 9223372036854775807]" in capsys.readouterr().err


def test_graphml_edges_to_undeclared_nodes_are_refused_naming_them(tmp_path):
    path = tmp_path / "net.graphml"
    nodes = [f"h{i}" for i in range(60)]
    path.write_text(_graphml(nodes, _ring(60) + [("h1", "ghost"), ("spook", "h2")]))
    with pytest.raises(
        NetworkFileError, match=r"2 node\(s\) that are not declared.*'ghost', 'spook'"
    ):
        read_network_file(path)


def test_self_loops_are_refused_in_graphml_and_edge_lists(tmp_path):
    path = tmp_path / "net.graphml"
    path.write_text(_graphml([f"h{i}" for i in range(60)], _ring(60) + [("h3", "h3")]))
    with pytest.raises(NetworkFileError, match=r"1 node\(s\) are tied to themselves \('h3'\)"):
        read_network_file(path)
    ties = tmp_path / "ties.csv"
    ties.write_text("a,b\nb,b\n")
    with pytest.raises(NetworkFileError, match=r"line 2: node 'b' is tied to itself"):
        read_network_file(ties)


def test_directed_network_files_are_refused(tmp_path):
    path = tmp_path / "net.graphml"
    nx.write_graphml(nx.DiGraph(nx.cycle_graph(60)), path)
    with pytest.raises(NetworkFileError, match="directed"):
        read_network_file(path)


@pytest.mark.parametrize(
    ("name", "text", "encoding"),
    [
        ("bom.csv", "source,target\n{ring}", "utf-8-sig"),  # Excel's "CSV UTF-8"
        ("bom_no_header.csv", "{ring}", "utf-8-sig"),
        ("own_header.csv", "person_a,person_b\n{ring}", "utf-8"),  # words above numbers
        ("quoted.csv", '"source","target"\n{quoted}', "utf-8"),  # as R and pandas quote
    ],
)
def test_edge_list_headers_quotes_and_byte_order_marks_add_no_households(
    tmp_path, name, text, encoding
):
    edges = [(i, (i + 1) % 60) for i in range(60)]
    ring = "\n".join(f"{u},{v}" for u, v in edges)
    quoted = "\n".join(f'"{u}","{v}"' for u, v in edges)
    path = tmp_path / name
    path.write_text(text.format(ring=ring, quoted=quoted) + "\n", encoding=encoding)
    hood = read_network_file(path)
    assert hood.building.size == 60 and hood.adjacency.nnz == 120
    assert sorted(hood.node_labels, key=int) == [str(i) for i in range(60)]


def test_a_first_line_of_names_above_names_is_a_tie_not_a_header(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("alice,bob\n" + "\n".join(f"{u},{v}" for u, v in _ring(60)) + "\n")
    assert read_network_file(path).building.size == 62


def test_network_file_below_the_minimum_community_size_is_an_error(tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("a,b\nb,c\n")
    with pytest.raises(NetworkFileError, match="3 households; a community needs at least 50"):
        CommunityModel(network_file=str(path))


def test_a_spec_with_a_byte_order_mark_reads_and_one_not_in_utf8_is_named(tmp_path, capsys):
    text = SPEC.replace('reform = "beijing_reform"', 'a = "baseline"')
    spec = tmp_path / "notepad.toml"
    spec.write_bytes(text.encode("utf-8-sig"))  # as Windows Notepad saves it
    assert main(["sweep", str(spec), "--dry-run"]) == 0
    spec.write_bytes(
        text.replace('name = "late"', 'name = "late"\ndescription = "社区"').encode("gbk")
    )
    capsys.readouterr()
    assert main(["sweep", str(spec), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "notepad.toml: not UTF-8 text" in err and "save the file as UTF-8" in err


def test_a_design_too_large_to_plan_is_refused_at_once_with_the_count(tmp_path, capsys):
    text = SPEC.replace('reform = "beijing_reform"', 'a = "baseline"')
    spec = tmp_path / "huge.toml"
    design = '\n[design]\nmethod = "latin"\nsamples = 100000000\n'
    spec.write_text(text + design + "parameters = { feedback_prob = [0.1, 0.9] }\n")
    assert main(["sweep", str(spec), "--dry-run"]) == 2  # refused before sampling (it hung)
    err = capsys.readouterr().err
    assert "100,000,000 runs" in err and "at most 1,000,000" in err


def _attributed_network(tmp_path):
    g = nx.Graph()
    g.add_nodes_from((f"h{i}", {"party": i % 10 == 0}) for i in range(60))
    g.add_edges_from(_ring(60))
    path = tmp_path / "attrs.graphml"
    nx.write_graphml(g, path)
    return path


def test_run_warns_when_the_network_file_replaces_a_set_share(tmp_path, capsys):
    net = _attributed_network(tmp_path)
    argv = ["run", "--steps", "1", "--set", f"network_file={net}", "--set", "party_share=0.5"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "--set party_share=0.5 is ignored: the network file" in err and "party" in err


@pytest.mark.parametrize(
    ("analysis", "says"),
    [
        ('threshold = "high"', "analysis.threshold: must be a number"),
        ("thresold = 0.3", "did you mean 'threshold'?"),
    ],
)
def test_the_analysis_table_is_checked_like_the_rest(analysis, says):
    text = SPEC.replace('reform = "beijing_reform"', 'a = "baseline"')
    with pytest.raises(SpecError, match=says):
        parse_spec(text + f"\n[analysis]\n{analysis}\n", "s.toml")


def test_a_scenario_name_with_a_trailing_newline_is_refused():
    text = SPEC.replace('reform = "beijing_reform"', '"a\\n" = "baseline"')
    with pytest.raises(SpecError, match="scenarios"):
        parse_spec(text, "s.toml")


def test_resuming_a_sweep_whose_network_file_changed_is_refused(tmp_path, capsys):
    net = tmp_path / "net.csv"
    ring = "\n".join(f"{u},{v}" for u, v in _ring(60))
    net.write_text(ring)
    text = SPEC.replace('reform = "beijing_reform"', 'a = "baseline"')
    spec = tmp_path / "s.toml"
    spec.write_text(text.replace("n_residents = 100", f'network_file = "{net}"'))
    out = tmp_path / "out"
    argv = ["sweep", str(spec), "--out", str(out), "--backend", "serial", "--quiet"]
    assert main(argv) == 0
    net.write_text(ring + "\n" + "\n".join(f"x{i},h{i}" for i in range(30)))  # 30 more
    capsys.readouterr()
    assert main(argv) == 2
    assert "other contents of the network file" in capsys.readouterr().err
    net.write_text(ring)  # restored: the folder resumes
    assert main(argv) == 0


def test_sweep_planning_opens_and_checks_every_network_file(tmp_path, capsys):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("\n".join(f"{u},{v}" for u, v in _ring(60)))
    bad.write_text("a,b\nb,c\n")
    scenario_b = f'b = {{ from = "baseline", set = {{ network_file = "{bad}" }} }}'
    text = SPEC.replace('reform = "beijing_reform"', f'a = "baseline"\n{scenario_b}')
    text = text.replace("n_residents = 100", f'network_file = "{good}"')
    spec = tmp_path / "s.toml"
    spec.write_text(text)
    assert main(["sweep", str(spec), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "scenarios.b" in err and "bad.csv" in err and "at least 50" in err
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_a_bad_network_file_in_base_is_reported_under_base(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\nb,c\n")
    spec = tmp_path / "s.toml"
    text = SPEC.replace('reform = "beijing_reform"', 'a = "baseline"')
    spec.write_text(text.replace("n_residents = 100", f'network_file = "{bad}"'))
    assert main(["sweep", str(spec), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert ": base: " in err and "scenarios." not in err and "at least 50" in err


def _ring_file(tmp_path):
    path = tmp_path / "good.csv"
    path.write_text("\n".join(f"{u},{v}" for u, v in _ring(60)))
    return path


@pytest.mark.parametrize(
    ("network", "refused", "says", "accepted"),
    [  # a sweep over what the file sets: its points would all be alike
        (_ring_file, "n_residents = [60, 200]", ["sweep: n_residents = 200", "60 households"],
         "n_residents = [60]"),  # the file's own size is fine
        (_attributed_network, "party_share = [0.05, 0.5]",
         ["sweep: party_share has no effect", "each household's party"],
         "retired_share = [0.1, 0.6]"),  # the file gives no age groups
    ],
)  # fmt: skip
def test_a_sweep_over_what_a_network_file_sets_is_refused(
    tmp_path, capsys, network, refused, says, accepted
):
    text = SPEC.replace('reform = "beijing_reform"', 'a = "baseline"')
    text = text.replace("n_residents = 100", f'network_file = "{network(tmp_path)}"')
    spec = tmp_path / "s.toml"
    spec.write_text(text + f"\n[sweep]\n{refused}\n")
    assert main(["sweep", str(spec), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert all(part in err for part in says), err
    spec.write_text(text + f"\n[sweep]\n{accepted}\n")
    assert main(["sweep", str(spec), "--dry-run"]) == 0


def test_failed_runs_print_their_distinct_reasons_with_counts(tmp_path, capsys, monkeypatch):

    class Flaky(CommunityModel):
        def step(self):
            if self.week == 2:
                raise RuntimeError(f"broken at {self.scenario_name}")
            super().step()

    monkeypatch.setattr("model.model.CommunityModel", Flaky)  # what a run imports
    text = SPEC.replace('reform = "beijing_reform"', 'a = "baseline"\nb = "funding"')
    spec = tmp_path / "s.toml"
    spec.write_text(text.replace("replicates = 1", "replicates = 2").replace("10", "60", 1))
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--backend", "serial", "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "2 × RuntimeError: broken at baseline" in err
    assert "2 × RuntimeError: broken at funding" in err


def test_summaries_say_which_window_they_averaged(tmp_path, capsys):
    out = tmp_path / "r.parquet"
    assert main(["run", "--steps", "5", "--set", "n_residents=80", "--out", str(out)]) == 0
    assert "mean of the last 5 weeks" in capsys.readouterr().out
    assert "last 52 weeks" not in capsys.readouterr().out
    from experiments.results import run_summary

    model = CommunityModel(rng=1, n_residents=80)
    for _ in range(5):
        model.step()
    s = run_summary(model)
    weekly = model.datacollector.get_model_vars_dataframe()["participation_rate"]
    assert s["end_window_weeks"] == 5 and s["participation_end"] == pytest.approx(weekly.mean())
    for _ in range(55):
        model.step()
    assert run_summary(model)["end_window_weeks"] == 52  # a whole fiscal year
    assert pd.read_parquet(out)["week"].max() == 4


def test_a_sweep_value_given_twice_is_refused_not_run_twice_as_more_data():
    spec = 'name = "dup"\nweeks = 10\nseed = 1\n[sweep]\ngrid_capacity = [15.0, 20, 15]\n'
    with pytest.raises(SpecError, match=r"sweep\.grid_capacity: lists 15\.0 more than once"):
        parse_spec(spec)
    assert len(plan_runs(parse_spec(spec.replace(", 15]", "]")))) == 2


@pytest.mark.parametrize(
    ("fixed", "varied", "where"),
    [
        ("[base]\ngrid_capacity = 20.0\n", "[sweep]\ngrid_capacity = [15.0, 25.0]\n",
         r"base\.grid_capacity: is also varied by \[sweep\]"),
        ("[scenarios.a]\nset = { n_residents = 300 }\n",
         '[design]\nmethod = "latin"\nsamples = 4\n[design.parameters]\n'
         "n_residents = [100, 500]\n",
         r"scenarios\.a\.set\.n_residents: is also varied by \[design\]"),
    ],
)  # fmt: skip
def test_a_parameter_fixed_and_also_varied_is_refused_naming_both(fixed, varied, where):
    with pytest.raises(SpecError, match=where):
        parse_spec(f'name = "both"\nweeks = 10\nseed = 1\n{fixed}{varied}')


def test_a_clash_of_values_names_where_each_was_set():
    spec = SPEC.replace("n_residents = 100", "n_residents = 100\nretired_share = 0.7").replace(
        'reform = "beijing_reform"', "young = { set = { youth_share = 0.5 } }")  # fmt: skip
    with pytest.raises(
        SpecError,
        match=r"scenarios\.young: retired_share \+ youth_share .*"
        r"\(retired_share from \[base\]; youth_share from scenarios\.young\.set\)",
    ):
        plan_runs(parse_spec(spec))  # fmt: skip


def test_a_scenarios_own_lever_in_its_set_is_warned_to_hold_from_week_0():
    spec = SPEC.replace("weeks = 10", "weeks = 60").replace(
        'reform = "beijing_reform"',
        'fb = { from = "feedback_loop", set = { feedback_prob = 0.5 } }',
    )
    with pytest.warns(PlanWarning, match=r"scenarios\.fb\.set: feedback_prob holds from week 0.*"
                      r"give it in `interventions"):  # fmt: skip
        runs = plan_runs(parse_spec(spec))
    fb = next(r for r in runs if r.scenario == "fb")
    assert fb.params["feedback_prob"] == 0.5 and fb.resolved()["lever_schedule"] == []
