"""Start the dashboard's server as a child process whose life ends with ours.

``civicloop dashboard`` prints a line at once (the first start takes several seconds),
another when the page answers, and stops the server when it is stopped itself – by Ctrl-C,
by a signal, or (on Linux) even when killed outright, through the kernel's parent-death
signal. Caps for a shared intranet server travel to the server as environment variables
(see :class:`experiments.dashboard.runs.Limits`).
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request


def _die_with_parent() -> None:  # runs in the child before exec (Linux only)
    import ctypes

    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class _Stopped(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(child: subprocess.Popen) -> None:
    """Terminate the server; kill it if open connections hold it up for 5 s."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def check_address(host: str, port: int) -> None:
    """Fail at once, in one line, if the server could not listen on ``host:port``.

    Otherwise a port already in use would be found only by the server, after "ready" was
    printed for whatever else answers there.
    """
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)  # fmt: skip
    except socket.gaierror as exc:
        raise ValueError(f"cannot listen on --host {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ValueError(
                    f"port {port} on {host} is already in use (another dashboard?); stop it "
                    "or choose another with --port"
                ) from None
            raise ValueError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


#: Solara warns, with a screenful of text on the first page load, whenever the page is
#: opened at an address other than ``localhost`` over http – as at http://127.0.0.1:8765,
#: the address civicloop prints. Its fallback (SameSite=Lax) is what a plain page needs.
QUIET_WARNINGS = "ignore:Cookies with samesite=none require https:UserWarning"


def serve(host: str = "127.0.0.1", port: int = 8765, query: str = "", **caps: int | None) -> int:
    """Run the server until it or we are stopped; returns its exit code. ``query`` (settings
    as a link's query) is added to the address it prints."""
    check_address(host, port)
    env = dict(os.environ)
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS"), QUIET_WARNINGS) if w)
    # Solara's own "This website runs on Solara" badge is English only and lies over the
    # page's bottom corner (a chart's axis, a download button)
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    env.setdefault("SOLARA_THEME_TITLE", "civicloop")  # the tab's name before the page is drawn
    for name, value in caps.items():
        if value is not None:
            env[f"CIVICLOOP_DASHBOARD_{name.upper()}"] = str(value)
    cmd = [sys.executable, "-m", "solara", "run", "experiments.dashboard.app", "--host", host,
           "--port", str(port), "--production", "--no-open"]  # fmt: skip
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{local}:{port}/"
    print(f"civicloop dashboard: starting on http://{host}:{port} …", flush=True)
    start = time.monotonic()
    child = subprocess.Popen(
        cmd, env=env, preexec_fn=_die_with_parent if sys.platform == "linux" else None
    )

    def on_signal(signum, frame):  # a polite stop of ours stops the server too
        raise _Stopped(signum)

    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, on_signal)
    try:
        while child.poll() is None:
            try:
                if urllib.request.urlopen(url, timeout=2).status == 200:
                    took = time.monotonic() - start
                    link = f"{url}?{query}" if query else url
                    print(f"civicloop dashboard: ready at {link} after {took:.1f} s "
                          "(Ctrl-C to stop)", flush=True)  # fmt: skip
                    break
            except OSError:
                time.sleep(0.25)
        while True:  # short waits: a signal must not arrive inside a blocking wait
            try:
                return child.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                continue
    except KeyboardInterrupt:
        return 130
    except _Stopped as stopped:
        return 128 + stopped.signum
    finally:
        _stop(child)
