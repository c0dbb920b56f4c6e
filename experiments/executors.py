"""Executor backends: where runs execute. Each yields run results as they complete.

Adding a backend means one function here with the same shape: it takes the tasks (plain
dicts) and a worker count and yields each task's result in completion order. At most a few
tasks per worker are in flight, so the coordinator's memory does not grow with the sweep.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

BACKENDS = ("serial", "processes", "dask")
IN_FLIGHT_PER_WORKER = 4


class BackendError(RuntimeError):
    """A backend that cannot start (for example an unreachable scheduler)."""


def serial(fn: Callable, tasks: Iterable[dict], workers: int = 1, **_: Any) -> Iterator[Any]:
    for task in tasks:
        yield fn(task)


def _exit_with(coordinator: int, every: float = 1.0) -> None:
    """Worker initializer: end this worker once the coordinator is gone (and let a Ctrl-C
    finish the run in hand, :func:`_finish_on_first_interrupt`).

    A coordinator killed outright (SIGKILL, the OOM killer) does not end its children, so
    they would otherwise stay idle for ever.
    """
    import os

    def gone() -> bool:
        try:
            os.kill(coordinator, 0)
        except (ProcessLookupError, PermissionError):  # gone (or its pid reused)
            return True
        try:  # on Linux a killed coordinator not yet reaped by its parent is a zombie
            with open(f"/proc/{coordinator}/stat", encoding="ascii") as fh:
                return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
        except (OSError, IndexError):
            return False

    def watch() -> None:
        while not gone():
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="civicloop-coordinator-watch", daemon=True).start()
    _finish_on_first_interrupt()


def _finish_on_first_interrupt() -> None:
    """A terminal's Ctrl-C reaches every process of the sweep, workers included, and so does
    a SIGTERM or SIGHUP sent to the process group (a batch scheduler's cancel, a closed
    terminal). The coordinator stops the sweep; a worker finishes the run in hand, which is
    then recorded whole (interrupted inside it, even inside an import, the run was recorded
    as a failure with an unrelated error, an idle worker printed a traceback, and a worker
    ended by SIGTERM broke the pool). A second signal stops the worker at once: the run in
    hand is not recorded, and its files, written atomically, are not half-written; the next
    call runs it again."""
    import os

    interrupts = 0

    def on_interrupt(signum, frame) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts > 1:
            os._exit(130)

    for name in _StopRequests.NAMES:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), on_interrupt)


class _StopRequests:
    """Ctrl-C, SIGTERM and SIGHUP in the coordinator, taken at the loop's safe points.

    Raised wherever the signal happened to land, a KeyboardInterrupt could cut through the
    process pool's own bookkeeping (its manager thread then failed with "handle is closed"
    and the coordinator hung at exit, waiting for idle workers). So the first signal is only
    noted and :meth:`check` raises it between two steps of the loop; a second one raises at
    once and ends the workers too. A signal the caller ignores stays ignored.
    """

    NAMES = ("SIGINT", "SIGTERM", "SIGHUP")

    def __init__(self) -> None:
        self.count = 0
        self.pool: ProcessPoolExecutor | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopRequests:

        if threading.current_thread() is threading.main_thread():
            for name in self.NAMES:
                number = getattr(signal, name, None)
                if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
                    self._previous[number] = signal.signal(number, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:

        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _on_signal(self, signum, frame) -> None:
        self.count += 1
        if self.count > 1:  # the workers finish their runs on a first signal: end them now
            for worker in list((getattr(self.pool, "_processes", None) or {}).values()):
                worker.kill()
            raise KeyboardInterrupt

    def check(self) -> None:
        if self.count:
            raise KeyboardInterrupt


def processes(fn: Callable, tasks: Iterable[dict], workers: int = 2, **_: Any) -> Iterator[Any]:
    """Local worker processes (spawned: clean workers, model imported once each; children
    of the coordinator, so that stopping waits for their runs in hand – a forkserver's
    workers outlived a SIGTERM to the process group, which ended the server, and finished
    their runs after the summary was written)."""
    import os

    ctx = mp.get_context("spawn")
    tasks = iter(tasks)
    with (
        _StopRequests() as stop,
        ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_exit_with, initargs=(os.getpid(),)
        ) as pool,
    ):
        stop.pool = pool
        try:
            pending = set()
            for task in tasks:
                stop.check()
                pending.add(pool.submit(fn, task))
                if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                    break
            while pending:
                stop.check()
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        stop.check()  # workers ended by the stop's own signal: a stop
                        raise
                    yield result
                    stop.check()
                    nxt = next(tasks, None)
                    if nxt is not None:
                        pending.add(pool.submit(fn, nxt))
        except BaseException:  # Ctrl-C, a signal, or the caller stopped: queued runs never start
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def check_scheduler(scheduler: str, connect_timeout: float = 5.0) -> None:
    """Fail with :class:`BackendError` now if a Dask scheduler cannot be reached, so that a
    sweep writes nothing into its folder for a cluster it could never use."""
    from distributed import Client

    try:
        _connect(Client, scheduler, connect_timeout).close()
    except Exception as exc:
        raise BackendError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def dask(
    fn: Callable,
    tasks: Iterable[dict],
    workers: int = 2,
    scheduler: str | None = None,
    connect_timeout: float = 5.0,
    **_: Any,
) -> Iterator[Any]:
    """Dask ``distributed``: a LocalCluster on loopback, or an existing scheduler address."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - dask is a core dependency
        raise BackendError("the dask backend needs `pip install 'dask[distributed]'`") from exc

    cluster = None
    try:
        if scheduler:
            client = _connect(Client, scheduler, connect_timeout)
        else:
            with _ignoring_interrupts():  # Ctrl-C reaches this process only, which stops them
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    # a stop cancels the running tasks, and the workers' heartbeats can race
                    # the scheduler's close: each would log a warning or an error with a
                    # traceback. A run's own error is recorded with the run (sweep.execute
                    # catches it), and a lost worker fails its run's future, so what is
                    # silenced here is the cluster's own shutdown talk
                    silence_logs=logging.CRITICAL,
                )
            client = Client(cluster)
    except Exception as exc:  # any failure to connect is the user's to fix, not a crash
        if cluster is not None:
            cluster.close()
        where = scheduler or "a local cluster"
        raise BackendError(f"cannot reach the Dask scheduler at {where}: {exc}") from None
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or workers)
        tasks = iter(tasks)
        first = [client.submit(fn, t, pure=False) for _, t in zip(range(n_workers * 4), tasks)]
        queue = as_completed(first)
        for future in queue:
            yield future.result()
            future.release()
            nxt = next(tasks, None)
            if nxt is not None:
                queue.add(client.submit(fn, nxt, pure=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def _ignoring_interrupts() -> Iterator[None]:
    """Processes started inside ignore SIGINT (an ignored signal stays ignored in a child,
    and Python and asyncio then install no handler of their own).

    Ctrl-C in a terminal goes to every process of the foreground group: without this, each
    of a local Dask cluster's nannies and workers died of its own KeyboardInterrupt with a
    page of tracebacks, while the sweep was already stopping them in order."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _connect(client_cls, address: str, timeout: float):
    """Connect within ``timeout`` seconds even if the address answers but is not Dask.

    The attempt runs in a daemon thread, so a handshake that never ends cannot keep the
    process alive after the error is reported.
    """

    box: dict[str, Any] = {}

    def attempt() -> None:
        try:
            box["client"] = client_cls(address, timeout=f"{timeout}s")
        except Exception as exc:  # reported below
            box["error"] = exc

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout + 5)
    if "error" in box:
        raise box["error"]
    if "client" not in box:
        raise TimeoutError(f"no Dask handshake within {timeout + 5:.0f} s")
    return box["client"]


def get(name: str) -> Callable[..., Iterator[Any]]:
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return {"serial": serial, "processes": processes, "dask": dask}[name]
