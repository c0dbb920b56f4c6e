"""The sweep engine: specs, seeds, backends, resume after SIGKILL, refusal of a changed spec."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.cli import main
from experiments.plan import plan_runs
from experiments.spec import SpecError, load_spec, parse_spec
from experiments.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]
SMALL = """
name = "tiny"
weeks = 12
replicates = 2
seed = 7
metrics = ["participation_rate", "satisfaction_rate"]

[base]
n_residents = 200

[scenarios]
baseline = "baseline"
reform = { from = "beijing_reform", set = { reform_week = 4 } }

[sweep]
grid_capacity = [20.0, 30.0]
"""


def _summary(out: Path) -> pd.DataFrame:
    frame = pd.read_parquet(out / "summary.parquet").drop(columns="seconds")
    return frame.sort_values("run_id").reset_index(drop=True)


def test_example_spec_is_valid_and_small():
    spec = load_spec(ROOT / "experiments" / "specs" / "example_small.toml")
    assert 1 <= len(plan_runs(spec)) <= 60


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('name = "x"\nseed = 1\n[base]\nn_residents = 200\nfeedbak_prob = 0.3\n',
         r":5: base.feedbak_prob: unknown parameter 'feedbak_prob'; did you mean feedback_prob"),
        ('name = "x"\nseed = 1\n\n[sweep]\nfeedback_prob = [0.2, 1.7]\n',
         r":5: sweep.feedback_prob: feedback_prob=1.7 is not allowed: .*\[0, 1\]"),
        ('name = "x"\nseed = 1\n[scenarios]\nreform = { from = "bejing_reform" }\n',
         r":4: scenarios.reform.from: unknown scenario 'bejing_reform'"),
        ('name = "x"\nseed = 1\n[scenarios]\nreform = "bejing_reform"\n',
         r":4: scenarios.reform.from: unknown scenario 'bejing_reform'; did you mean "
         r"'beijing_reform'"),
        ('name = "x"\nseed = 1\nmetrics = ["satisfation_rate"]\n',
         r":3: metrics: unknown metric 'satisfation_rate'; did you mean 'satisfaction_rate'"),
        ('name = "x"\n\n[base]\n', r"seed: required"),
        ('name = "x"\nseed = 1\nwekks = 3\n', r":3: wekks: unknown key; did you mean 'weeks'\?"),
        ('name = "x"\nseed = 1\n[scenarios]\nb = { form = "baseline" }\n',
         r":4: scenarios.b.form: unknown key; did you mean 'from'\?"),
        ('name = "x"\nseed = 1\n[design]\nmethod = "latin"\nsample = 4\n',
         r":5: design.sample: unknown key; did you mean 'samples'\?"),
        ('name = "x"\nseed = 1\n[design]\nmethod = "latin"\nsamples = 4\n'
         '[design.parameters]\nwhistle = [0, 1]\n',
         r":7: design.parameters.whistle: sampled designs vary numeric parameters only"),
    ],
)  # fmt: skip
def test_spec_errors_point_at_line_and_key(text, where):
    with pytest.raises(SpecError, match=where):
        parse_spec(text, source="s.toml")


def test_seeds_depend_only_on_master_seed_and_run_identity():
    a = {r.run_id: r.seed for r in plan_runs(parse_spec(SMALL))}
    b = {r.run_id: r.seed for r in plan_runs(parse_spec(SMALL.replace("seed = 7", "seed = 8")))}
    assert a.keys() == b.keys() and all(a[k] != b[k] for k in a)
    assert len(set(a.values())) == 2  # common random numbers: one stream per replicate
    independent = parse_spec(SMALL.replace("seed = 7", "seed = 7\ncommon_random_numbers = false"))
    assert len({r.seed for r in plan_runs(independent)}) == len(a)


def test_sampled_designs_come_from_salib():
    text = SMALL.split("[sweep]")[0] + (
        '[design]\nmethod = "morris"\nsamples = 3\n[design.parameters]\n'
        "word_of_mouth = [0.0, 0.1]\nparticipation_cost = [0.0, 6.0]\ngrid_capacity = [5, 40]\n"
    )
    runs = plan_runs(parse_spec(text))
    points = {r.point: r.point_values for r in runs}
    assert len(points) == 3 * (3 + 1)  # Morris: trajectories × (parameters + 1)
    assert all(0 <= p["participation_cost"] <= 6 for p in points.values())
    assert all(isinstance(p["grid_capacity"], float) for p in points.values())


def test_dry_run_prints_one_json_object_per_planned_run(tmp_path, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text(SMALL)
    assert main(["sweep", str(spec), "--dry-run"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 * 2 * 2
    first = json.loads(lines[0])
    assert {"run_id", "scenario", "params", "seed"} <= set(first)
    assert not list(tmp_path.glob("*/"))  # nothing was run or created


def test_results_identical_across_backends_and_worker_counts(tmp_path):
    spec = parse_spec(SMALL)
    run_sweep(spec, tmp_path / "serial", backend="serial", quiet=True)
    run_sweep(spec, tmp_path / "proc", backend="processes", workers=2, quiet=True)
    run_sweep(spec, tmp_path / "dask", backend="dask", workers=2, quiet=True)
    serial = _summary(tmp_path / "serial")
    assert (serial["status"] == "ok").all() and len(serial) == 8
    pd.testing.assert_frame_equal(serial, _summary(tmp_path / "proc"))
    pd.testing.assert_frame_equal(serial, _summary(tmp_path / "dask"))
    weekly = pd.read_parquet(tmp_path / "dask" / "runs" / f"{serial.run_id[0]}.parquet")
    assert list(weekly.columns) == ["run_id", "week", "participation_rate", "satisfaction_rate"]


def _finished_small_sweep(tmp_path: Path) -> tuple[Path, Path, dict[str, int]]:
    """SMALL swept serially: (its spec file, the folder, each status file's mtime)."""
    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(SMALL)
    out = tmp_path / "out"
    assert main(["sweep", str(spec_file), "--out", str(out), "--backend", "serial"]) == 0
    return spec_file, out, {p.name: p.stat().st_mtime_ns for p in (out / "status").iterdir()}


def test_rerun_skips_finished_runs_and_changed_spec_is_refused(tmp_path, capsys):
    spec_file, out, stamp = _finished_small_sweep(tmp_path)
    assert main(["sweep", str(spec_file), "--out", str(out), "--backend", "serial"]) == 0
    assert "0 run now" in capsys.readouterr().out
    assert stamp == {p.name: p.stat().st_mtime_ns for p in (out / "status").iterdir()}
    spec_file.write_text(SMALL.replace("weeks = 12", "weeks = 13"))
    assert main(["sweep", str(spec_file), "--out", str(out)]) == 2
    assert "holds results of a different spec" in capsys.readouterr().err


def test_a_sweep_stopped_in_its_first_moment_resumes_and_a_strangers_folder_is_refused(
    tmp_path, capsys, monkeypatch
):
    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(SMALL)
    early = tmp_path / "early"  # what a sweep stopped before its manifest leaves
    for folder in ("runs", "status"):
        (early / folder).mkdir(parents=True)
    (early / ".spec.toml.v6wj84cg.tmp").write_text("half")
    (early / "status" / ".x.json.abcd.tmp").write_text("{")
    assert main(["sweep", str(spec_file), "--out", str(early), "--backend", "serial"]) == 0
    assert not list(early.rglob("*.tmp")) and len(list((early / "status").iterdir())) == 8
    # stopped right after its manifest: the next call resumes it
    import experiments.executors as executors

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(executors, "serial", stopped)
    later = tmp_path / "later"
    assert main(["sweep", str(spec_file), "--out", str(later), "--backend", "serial"]) == 130
    assert (later / "manifest.json").exists() and (later / "spec.toml").exists()
    monkeypatch.undo()
    assert main(["sweep", str(spec_file), "--out", str(later), "--backend", "serial"]) == 0
    assert _summary(later).equals(_summary(early))
    stranger = tmp_path / "stranger"
    (stranger / "runs").mkdir(parents=True)
    (stranger / "runs" / "mine.parquet").write_text("someone's")
    capsys.readouterr()
    assert main(["sweep", str(spec_file), "--out", str(stranger), "--backend", "serial"]) == 2
    assert "holds no sweep manifest" in capsys.readouterr().err


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path, capsys, monkeypatch):
    from model import CommunityModel

    class Flaky(CommunityModel):  # a model that breaks on one point of the design
        def step(self):
            if self.params["grid_capacity"] == 30.0 and self.week == 5:
                raise RuntimeError("disk on fire")
            super().step()

    monkeypatch.setattr("model.model.CommunityModel", Flaky)  # what a run imports
    spec_file = tmp_path / "flaky.toml"
    spec_file.write_text(SMALL)
    out = tmp_path / "out"
    assert main(["sweep", str(spec_file), "--out", str(out), "--backend", "serial"]) == 3
    summary = pd.read_parquet(out / "summary.parquet")
    failed = summary[summary.status == "failed"]
    assert len(failed) == 4 and (summary.status == "ok").sum() == 4
    assert failed.error.str.contains("RuntimeError: disk on fire").all()
    assert "4 runs failed" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("[sweep]\ngrid_capacity = [20.0, 30.0]", "[sweep]\nfeedback_prob = [0.2, 0.8]"),
         "scenarios.reform: its scenario 'beijing_reform' switches feedback_prob on"),
        (("[sweep]\ngrid_capacity = [20.0, 30.0]",
          "[sweep]\nyouth_share = [0.2, 0.9]\nretired_share = [0.3]"),
         "retired_share \\+ youth_share must be ≤ 1"),
        (('reform = { from = "beijing_reform", set = { reform_week = 4 } }',
          'reform = { interventions = [{ week = 3, set = { n_residents = 100 } }] }'),
         "cannot change mid-run"),
    ],
)  # fmt: skip
def test_plans_the_model_would_refuse_are_refused_before_running(tmp_path, change, message):
    with pytest.raises(SpecError, match=message):
        plan_runs(parse_spec(SMALL.replace(*change)))


def test_renaming_a_spec_keeps_its_fingerprint():
    a = parse_spec(SMALL)
    b = parse_spec(SMALL.replace('name = "tiny"', 'name = "tiny2"\ndescription = "x"'))
    c = parse_spec(SMALL.replace("weeks = 12", "weeks = 13"))
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_unreachable_scheduler_fails_fast_with_a_clear_error_and_writes_nothing(tmp_path, capsys):
    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(SMALL)
    start = time.monotonic()
    code = main(["sweep", str(spec_file), "--out", str(tmp_path / "o"), "--backend", "dask",
                 "--scheduler", "tcp://127.0.0.1:9", "--quiet"])  # fmt: skip
    assert code == 2 and time.monotonic() - start < 30
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # no manifest of a sweep that never started


def _sweep_command(tmp_path: Path, replicates: int, weeks: int):
    """A small processes sweep as a command line: (spec text, command, environment, out)."""
    text = SMALL.replace("replicates = 2", f"replicates = {replicates}").replace(
        "weeks = 12", f"weeks = {weeks}")  # fmt: skip
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(text)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "experiments.cli", "sweep", str(spec_file), "--out", str(out),
           "--backend", "processes", "--workers", "2", "--quiet"]  # fmt: skip
    return text, cmd, dict(os.environ, PYTHONPATH=str(ROOT)), out


def test_sweep_killed_with_sigkill_resumes_to_exactly_the_planned_runs(tmp_path):
    text, cmd, env, out = _sweep_command(tmp_path, replicates=6, weeks=30)
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    runs, status = out / "runs", out / "status"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(status.glob("*.json"))) < 5:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # coordinator and workers, mid-write
    proc.wait()
    done_before = len(list(status.glob("*.json")))
    assert 0 < done_before < 24
    assert subprocess.run(cmd, env=env, timeout=300).returncode == 0
    expected = {r.run_id for r in plan_runs(parse_spec(text))}
    assert {p.stem for p in runs.glob("*.parquet")} == expected
    assert {p.stem for p in status.glob("*.json")} == expected
    assert not list(runs.glob(".*")) and not list(status.glob(".*"))  # no temp file left
    summary = pd.read_parquet(out / "summary.parquet")
    assert sorted(summary.run_id) == sorted(expected) and (summary.status == "ok").all()
    for path in runs.glob("*.parquet"):
        assert len(pd.read_parquet(path)) == 30


def _session_processes(sid: int) -> list[int]:
    """Processes still alive in session ``sid`` (Linux /proc), zombies excluded."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":  # state, ppid, pgrp, session
            alive.append(int(stat.parent.name))
    return alive


def _terminal_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as a terminal's job gets it, not ignored
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _start_long_sweep(tmp_path: Path, backend: str = "processes"):
    _, cmd, env, out = _sweep_command(tmp_path, replicates=20, weeks=60)
    cmd[cmd.index("processes")] = backend
    with open(tmp_path / "stderr.txt", "w") as err:  # a file: orphans cannot hold a pipe open
        proc = subprocess.Popen(cmd, env=env, start_new_session=True, stderr=err,
                                preexec_fn=_terminal_signals)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((out / "status").glob("*.json"))) < 3:
        time.sleep(0.05)
    return proc, out


def _left_after(proc: subprocess.Popen, seconds: float) -> list[int]:
    """Reap the coordinator, wait for the rest of its session to end; kill what is left."""
    proc.wait(timeout=60)
    deadline = time.monotonic() + seconds
    while (left := _session_processes(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:  # never leave them behind, also when the test fails
        os.kill(pid, signal.SIGKILL)
    return left


def _interrupted(times: int) -> str:
    """A run in a worker that receives the terminal's Ctrl-C ``times`` times meanwhile."""
    for _ in range(times):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
    time.sleep(0.2)
    return "finished"


def test_a_ctrl_c_lets_a_worker_finish_its_run_and_a_second_stops_it():
    from concurrent.futures.process import BrokenProcessPool

    from experiments.executors import processes

    try:
        finished = list(processes(_interrupted, [1], workers=1))
    except KeyboardInterrupt:  # the worker's own, sent back as the run's result
        pytest.fail("the first Ctrl-C cut the worker's run short")
    assert finished == ["finished"]
    with pytest.raises(BrokenProcessPool):
        list(processes(_interrupted, [2], workers=1))


def _slowly(x: int) -> int:
    time.sleep(0.05)
    return x


def test_a_ctrl_c_in_the_coordinator_is_taken_between_steps_and_queued_runs_never_start():
    """Raised wherever it landed, the interrupt could cut through the process pool's own
    bookkeeping and hang the coordinator at exit; it is taken at the loop's next step."""
    from experiments.executors import processes

    before = signal.getsignal(signal.SIGINT)
    got = []
    with pytest.raises(KeyboardInterrupt):
        for x in processes(_slowly, range(40), workers=1):
            got.append(x)
            if len(got) == 1:
                os.kill(os.getpid(), signal.SIGINT)  # the coordinator alone, mid-step
                time.sleep(0.05)
                got.append("the step went on")
    assert got[:2] == [0, "the step went on"] and len(got) < 10
    assert signal.getsignal(signal.SIGINT) is before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_to_the_coordinator_stops_workers_and_summarises(tmp_path):
    proc, out = _start_long_sweep(tmp_path)
    proc.send_signal(signal.SIGTERM)  # `kill PID`, a batch scheduler: the coordinator only
    left = _left_after(proc, 10)
    err = (tmp_path / "stderr.txt").read_text()
    assert proc.returncode == 130 and "run the same command again to resume" in err
    assert not left, f"processes left after SIGTERM: {left}"
    summary = pd.read_parquet(out / "summary.parquet")
    assert (summary.status == "ok").sum() == len(list((out / "status").glob("*.json"))) > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("backend", ["processes", "dask"])
def test_sigterm_to_the_whole_process_group_stops_it_as_ctrl_c_does(tmp_path, backend):
    proc, out = _start_long_sweep(tmp_path, backend)
    os.killpg(proc.pid, signal.SIGTERM)  # `scancel`, `kill -- -PGID`: workers get it too
    left = _left_after(proc, 20)
    err = (tmp_path / "stderr.txt").read_text()
    assert proc.returncode == 130 and "run the same command again to resume" in err, err
    assert "Traceback" not in err, err
    assert not left, f"processes left after SIGTERM: {left}"
    summary = pd.read_parquet(out / "summary.parquet")
    assert (summary.status == "ok").sum() == len(list((out / "status").glob("*.json"))) > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_to_a_dask_sweeps_whole_process_group_stops_it_without_tracebacks(tmp_path):
    proc, out = _start_long_sweep(tmp_path, backend="dask")
    os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C: the coordinator and its cluster
    left = _left_after(proc, 20)
    err = (tmp_path / "stderr.txt").read_text()
    assert proc.returncode == 130 and "run the same command again to resume" in err, err
    assert "Traceback" not in err and "ERROR" not in err, err
    assert not left, f"processes left after Ctrl-C: {left}"
    summary = pd.read_parquet(out / "summary.parquet")
    assert (summary.status == "ok").sum() == len(list((out / "status").glob("*.json"))) > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_the_coordinator_is_killed_outright(tmp_path):
    proc, _ = _start_long_sweep(tmp_path)
    proc.kill()  # SIGKILL to the coordinator alone (the OOM killer does this)
    left = _left_after(proc, 15)
    assert not left, f"workers left running after the coordinator died: {left}"


def test_results_load_with_duckdb(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    run_sweep(parse_spec(SMALL), tmp_path, backend="serial", quiet=True)
    rows = duckdb.sql(
        f"select scenario, count(*) n from read_parquet('{tmp_path}/runs/*.parquet') w "
        f"join read_parquet('{tmp_path}/summary.parquet') s using (run_id) group by scenario"
    ).fetchall()
    assert sorted(rows) == [("baseline", 4 * 12), ("reform", 4 * 12)]


def test_weekly_series_of_all_runs_load_as_one_parquet_dataset(tmp_path):
    run_sweep(parse_spec(SMALL), tmp_path, backend="serial", quiet=True)
    weekly = pd.read_parquet(tmp_path / "runs")
    assert len(weekly) == 8 * 12 and weekly.run_id.nunique() == 8


def test_out_that_is_a_file_is_a_one_line_error(tmp_path, capsys):
    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(SMALL)
    target = tmp_path / "results.parquet"
    target.write_bytes(b"not a folder")
    assert main(["sweep", str(spec_file), "--out", str(target), "--quiet"]) == 2
    assert f"--out {target} is a file, not a folder" in capsys.readouterr().err
    assert target.read_bytes() == b"not a folder"


def test_a_run_stopped_between_its_series_and_its_status_leaves_no_file_behind(
    tmp_path, monkeypatch
):
    from experiments import results, sweep

    write_json = results.write_json

    def stopped_at_the_third_status(data, path):
        if path.parent.name == "status" and len(list(path.parent.glob("*.json"))) == 2:
            raise KeyboardInterrupt  # a second Ctrl-C: the series is on disk, the status not
        write_json(data, path)

    monkeypatch.setattr(sweep.results, "write_json", stopped_at_the_third_status)
    with pytest.raises(KeyboardInterrupt, match="2 of 8 runs finished and kept"):
        run_sweep(parse_spec(SMALL), tmp_path, backend="serial", quiet=True)
    summary = _summary(tmp_path)
    ok = set(summary.run_id[summary.status == "ok"])
    assert {p.stem for p in (tmp_path / "runs").glob("*.parquet")} == ok and len(ok) == 2
    monkeypatch.setattr(sweep.results, "write_json", write_json)
    run_sweep(parse_spec(SMALL), tmp_path, backend="serial", quiet=True)
    assert (_summary(tmp_path).status == "ok").all()


def test_more_replicates_extend_a_sweep_to_the_same_runs_as_from_scratch(tmp_path, capsys):
    spec_file, out, first = _finished_small_sweep(tmp_path)
    bigger = SMALL.replace("replicates = 2", "replicates = 3")
    spec_file.write_text(bigger)
    assert main(["sweep", str(spec_file), "--out", str(out), "--backend", "serial"]) == 0
    said = capsys.readouterr()
    assert "holds replicates 1–2; adding 3–3" in said.err and "4 run now" in said.out
    assert all((out / "status" / name).stat().st_mtime_ns == t for name, t in first.items())
    assert (out / "spec.toml").read_text() == bigger
    fresh = tmp_path / "fresh.toml"
    fresh.write_text(bigger)
    assert main(["sweep", str(fresh), "--out", str(tmp_path / "fresh"), "--backend", "serial",
                 "--quiet"]) == 0  # fmt: skip
    pd.testing.assert_frame_equal(_summary(out), _summary(tmp_path / "fresh"))
    fewer = SMALL.replace("replicates = 2", "replicates = 1")
    for refused in (fewer, bigger.replace("weeks = 12", "weeks = 13")):  # or more and other
        spec_file.write_text(refused)
        assert main(["sweep", str(spec_file), "--out", str(out), "--backend", "serial"]) == 2
        assert "holds results of a different spec" in capsys.readouterr().err
