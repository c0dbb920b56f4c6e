import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments import results
from experiments.cli import main
from model import PARAMS


def test_params_lists_every_registry_entry(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    for name, p in PARAMS.items():
        assert name in out and p.label_zh in out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    starts = {rows[name].rindex(p.label_zh) for name, p in PARAMS.items()}
    assert len(starts) == 1, "the 中文 label column is ragged"


def test_run_prints_summary_and_writes_parquet(tmp_path, capsys):
    out = tmp_path / "run.parquet"
    code = main(
        [
            "run",
            "--scenario",
            "feedback_loop",
            "--steps",
            "20",
            "--seed",
            "3",
            "--set",
            "n_residents=300",
            "--set",
            "reform_week=10",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "participation" in text and "satisfaction rate" in text and "response time" in text
    frame = pd.read_parquet(out)
    assert len(frame) == 20 and frame["week"].tolist() == list(range(20))
    assert (frame["scenario"] == "feedback_loop").all()


def test_run_writes_csv(tmp_path):
    out = tmp_path / "run.csv"
    assert main(["run", "--steps", "5", "--set", "n_residents=200", "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--set", "feedbak_prob=0.5"], "did you mean feedback_prob"),
        (["run", "--set", "feedback_prob=2"], "[0, 1]"),
        (["run", "--set", "whistle=maybe"], "true or false"),
        (["run", "--set", "nonsense"], "name=value"),
        (["run", "--scenario", "beijing"], "beijing_reform"),
        (["run", "--set", "network_file=/no/such.graphml"], "does not exist"),
    ],
)
def test_bad_input_exits_non_zero_with_a_clear_message(
    argv, message, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # a wrongly written output would land here
    assert main(argv + ["--steps", "3", "--out", "out.parquet"]) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_unwritable_output_is_refused_before_the_run(tmp_path, capsys):
    folder = tmp_path / "already_a_folder.csv"
    folder.mkdir()
    assert main(["run", "--steps", "2", "--out", str(folder)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["run", "--steps", "2", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert ".parquet or .csv" in capsys.readouterr().err


def test_bench_prints_one_json_line(capsys):
    assert main(["bench", "--residents", "500", "--steps", "3"]) == 0
    row = json.loads(capsys.readouterr().out.strip())
    assert row["residents"] == 500 and row["steps"] == 3
    assert row["resident_steps_per_s"] > 0 and row["peak_rss_mb"] > 0


def _reference(folder: Path, name: str, rate_by_seed: str) -> None:
    """A stand-in reference script: prints a line of noise, then its rate for the seed."""
    (folder / name).write_text(
        "import json, sys\n"
        "seed = int(sys.argv[sys.argv.index('--seed') + 1])\n"
        "print('warming up')\n"
        f"print(json.dumps({{'agent_steps_per_s': {rate_by_seed}}}))\n"
    )


def test_bench_against_references_prints_each_seeds_ratios_and_their_medians(tmp_path, capsys):
    _reference(tmp_path, "naive_mesa_participation.py", "1000.0 * seed")
    _reference(tmp_path, "vectorized_participation.py", "1e6")
    args = ["bench", "--against", str(tmp_path), "--seeds", "1,2,4", "--residents", "500",
            "--steps", "3"]  # fmt: skip
    assert main(args) == 0
    *rows, summary = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["seed"] for r in rows] == [1, 2, 4]
    for r in rows:  # each ratio is civicloop's own measured rate over that seed's reference
        assert r["mesa"] == 1000.0 * r["seed"] and r["numpy"] == 1e6
        assert r["x_mesa"] == pytest.approx(r["civicloop"] / r["mesa"], abs=1e-3)
        assert r["x_numpy"] == pytest.approx(r["civicloop"] / 1e6, abs=1e-3)
    assert summary["median_mesa"] == 2000.0 and summary["seeds"] == 3
    assert summary["median_x_numpy"] == sorted(r["x_numpy"] for r in rows)[1]


def test_bench_against_a_folder_without_the_references_says_what_it_needs(tmp_path, capsys):
    _reference(tmp_path, "naive_mesa_participation.py", "1.0")
    assert main(["bench", "--against", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no vectorized_participation.py" in err and "naive_mesa_participation.py" in err
    (tmp_path / "vectorized_participation.py").write_text("raise SystemExit('broken')\n")
    assert main(["bench", "--against", str(tmp_path), "--seeds", "1"]) != 0
    assert "vectorized_participation.py (seed 1) failed" in capsys.readouterr().err


def test_failed_write_leaves_no_partial_file(tmp_path):
    class Boom(pd.DataFrame):
        def to_parquet(self, fh, **kw):
            fh.write(b"PAR1 half a file")
            raise RuntimeError("disk full")

    target = tmp_path / "out.parquet"
    with pytest.raises(RuntimeError):
        results.write_frame(Boom({"a": [1]}), target)
    assert list(tmp_path.iterdir()) == []


def _ctrl_c_as_from_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_interrupted_run_leaves_no_output_file(tmp_path):
    out = tmp_path / "big.parquet"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "experiments.cli",
            "run",
            "--steps",
            "100000",
            "--set",
            "n_residents=2000",
            "--out",
            str(out),
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: Ctrl-C delivered (a child inherits an ignored or blocked SIGINT
        # from whatever the test process last ran, and Python then never sees it)
        preexec_fn=_ctrl_c_as_from_a_terminal,
    )
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "nothing was written" in err
    assert list(tmp_path.iterdir()) == []


def test_dashboard_opens_a_scenario_file_as_a_link_and_refuses_a_bad_one(
    tmp_path, capsys, monkeypatch
):
    from experiments.dashboard import runs as rn
    from experiments.dashboard import serve

    called = {}
    monkeypatch.setattr(serve, "serve", lambda *a, **kw: called.update(kw) or 0)
    settings = rn.settings_for("feedback_loop", seed=4, weeks=50)
    settings["params"].update(n_residents=400, reform_week=10)
    good = tmp_path / "saved.toml"
    good.write_text(rn.scenario_toml(settings), encoding="utf-8")
    assert main(["dashboard", "--open", str(good)]) == 0
    assert "opening scenario 'feedback_loop' of" in capsys.readouterr().err
    back, _, bad = rn.from_query(called["query"])
    assert back["params"] == settings["params"] and back["seed"] == 4 and bad == []
    for argv, says in [
        (["--open", str(tmp_path / "missing.toml")], "scenario file not found"),
        (["--open", str(good), "--scenario", "nope"], "no scenario 'nope'"),
        (["--scenario", "baseline"], "--scenario picks a scenario of the file given with --open"),
        (["--open", str(good), "--max-residents", "300"], "n_residents = 400; this server allows"),
        (["--max-residents", "10"], "--max-residents 10: a community has at least 50"),
    ]:
        called.clear()
        assert main(["dashboard", *argv]) == 2
        err = capsys.readouterr().err
        assert says in err and len(err.strip().splitlines()) == 1, err
        assert not called  # the server is not started


@pytest.mark.parametrize("port", ["0", "99999"])
def test_dashboard_port_out_of_range_is_a_one_line_error(port, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["dashboard", "--port", port])
    assert exit_info.value.code == 2
    assert "expected a port in [1, 65535]" in capsys.readouterr().err


def test_dashboard_on_a_busy_port_fails_before_starting_the_server(capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        start = time.monotonic()
        assert main(["dashboard", "--port", str(port)]) == 2
    assert time.monotonic() - start < 5  # no server was started to find out
    captured = capsys.readouterr()
    assert f"port {port} on 127.0.0.1 is already in use" in captured.err
    assert "ready" not in captured.out and "Traceback" not in captured.err


def test_run_says_when_a_set_replaces_a_lever_of_its_scenario(capsys):
    argv = ["run", "--scenario", "feedback_loop", "--set", "feedback_prob=0.2", "--steps", "60",
            "--set", "n_residents=100"]  # fmt: skip
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "lever schedule     none" in captured.out
    assert (
        "civicloop: warning: --set feedback_prob: scenario 'feedback_loop' would switch it on "
        "at reform_week; the --set value holds from week 0 instead"
    ) in captured.err


def test_run_of_a_scenario_with_other_sets_does_not_warn(capsys):
    argv = ["run", "--scenario", "feedback_loop", "--set", "whistle=true", "--steps", "60",
            "--set", "n_residents=100"]  # fmt: skip
    assert main(argv) == 0
    assert "warning" not in capsys.readouterr().err


def test_dashboard_server_is_started_without_solaras_samesite_warning(monkeypatch):
    import socket

    from experiments.dashboard import serve

    started = {}

    class Child:  # stands in for the server process: exits at once
        def __init__(self, cmd, env, preexec_fn=None):
            started.update(cmd=cmd, env=env)

        def poll(self):
            return 0

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(serve.subprocess, "Popen", Child)
    monkeypatch.setenv("PYTHONWARNINGS", "default")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert serve.serve("127.0.0.1", port) == 0
    filters = started["env"]["PYTHONWARNINGS"].split(",")
    assert filters[0] == "default"  # the user's own filters are kept
    assert "ignore:Cookies with samesite=none require https:UserWarning" in filters


def test_run_says_when_a_network_file_overrides_n_residents(tmp_path, capsys):
    edges = tmp_path / "chain.edgelist"
    edges.write_text("".join(f"{i} {i + 1}\n" for i in range(59)))  # 60 households
    argv = ["run", "--steps", "2", "--set", f"network_file={edges}", "--set", "n_residents=500"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "60 households" in captured.out
    assert "--set n_residents=500 is ignored: the network file" in captured.err
    assert "60 households" in captured.err


def test_workers_with_the_serial_backend_is_refused_not_ignored(tmp_path, capsys):
    spec = Path(__file__).resolve().parents[1] / "experiments" / "specs" / "example_small.toml"
    args = ["sweep", str(spec), "--out", str(tmp_path / "o"), "--backend", "serial"]
    assert main([*args, "--workers", "4"]) == 2
    assert "--backend serial runs one run at a time" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
