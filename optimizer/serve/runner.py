"""Run plan jobs off the request thread: one worker process per job, fed from the job store.

Why a process per job: a solve holds the interpreter for seconds, which would
stall every quote served meanwhile; a separate process keeps quote latency
flat, can be stopped when the server stops (a thread cannot), and a crash in
the solver loses one job, never the server. The process starts from the
scenario text kept in the store and reads only the served network, so a
queued job runs the same after a restart.

This module imports no web framework: the worker processes import it.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO

import yaml

from optimizer.errors import InputError, Problem
from optimizer.network.records import Network
from optimizer.scenario.records import Scenario
from optimizer.serve.jobs import Job, JobStore

_log = logging.getLogger(__name__)
#: Deepest nesting of YAML/JSON collections a scenario request may use.
MAX_DEPTH = 32
#: Seconds a job may run past its solver time limit (model building, writing) before it is
#: stopped.
GRACE_SECONDS = 60.0
INTERRUPTED = "the server stopped while this job ran; submit the scenario again"


def scenario_from_text(
    text: str, network: Network, network_path: Path, *, file: str = "request body"
) -> tuple[Scenario, Network]:
    """Parse a scenario sent over HTTP and prepare it on the served network.

    It may name no file (see :func:`~optimizer.scenario.reader.parse_scenario`)
    and may not use YAML anchors or aliases (a few lines of aliases can expand
    to gigabytes); every problem raises :class:`InputError` at once.
    """
    from optimizer.scenario.load import prepare
    from optimizer.scenario.reader import parse_scenario

    _check_shape(text, file)
    scenario = parse_scenario(text, path=Path(file), network=network, network_path=network_path)
    return prepare(scenario, network)


def _check_shape(text: str, file: str) -> None:
    depth = 0
    try:
        for event in yaml.parse(text):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise InputError(
                    [
                        Problem(
                            file,
                            "YAML anchors and aliases are not accepted over HTTP",
                            row=_line(event),
                            expected="every value written out",
                        )
                    ]
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise InputError(
                        [
                            Problem(
                                file,
                                "nested too deeply",
                                row=_line(event),
                                expected=f"at most {MAX_DEPTH} levels",
                            )
                        ]
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # the reader reports the syntax error with its line


def _line(event: yaml.Event) -> int | None:
    return event.start_mark.line + 1 if event.start_mark is not None else None


def solve_text(text: str, network_path: Path) -> str:
    """Plan a scenario on the network at ``network_path``; return plan.json's text."""
    from optimizer.network.reader import load_network
    from optimizer.plan.writers import plan_json
    from optimizer.solve.optimize import optimize

    network, _ = load_network(network_path)
    scenario, network = scenario_from_text(text, network, network_path)
    return plan_json(optimize(scenario, network))


def _work(conn: Connection, text: str, network_path: str) -> None:
    """Worker process body: send ("ok", plan text) or ("failed", reason)."""
    try:
        conn.send(("ok", solve_text(text, Path(network_path))))
    except InputError as exc:
        conn.send(("failed", exc.render()))
    except Exception as exc:  # a bug: logged here, reported by kind only
        logging.getLogger(__name__).exception("plan job failed")
        conn.send(("failed", f"the solver failed ({type(exc).__name__}); see the server log"))
    finally:
        conn.close()


@dataclass
class _Running:
    job: Job
    process: mp.process.BaseProcess
    conn: Connection
    started: float


class PlanRunner:
    """Starts queued jobs in worker processes, at most ``workers`` at once."""

    def __init__(
        self, store: JobStore, network_path: Path, *, workers: int = 1, max_seconds: float = 600.0
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.store = store
        self.network_path = network_path
        self.workers = workers
        self.max_seconds = max_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._running: dict[str, _Running] = {}
        self._thread: threading.Thread | None = None
        self._lock_file: IO[str] | None = None

    def start(self) -> None:
        """Start dispatching (in a thread) once this process holds the store's runner lock.

        The lock is tried here first, so a lone server has marked the jobs its
        predecessor left running as interrupted before it answers any request.
        """
        self._take_lock()
        self._thread = threading.Thread(target=self._loop, name="plan-runner", daemon=True)
        self._thread.start()

    def _take_lock(self) -> bool:
        """One runner per job store, even with several server processes: the one holding
        an exclusive ``flock`` on ``<db>.runner.lock``. The lock dies with its process, so
        another takes over; jobs the dead one left running are marked interrupted then."""
        import fcntl

        if self._lock_file is not None:
            return True
        fh = open(f"{self.store.path}.runner.lock", "a")  # noqa: SIM115 (held while running)
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._lock_file = fh
        n = self.store.interrupt_running(INTERRUPTED)
        if n:
            _log.warning("%d plan job(s) were running when the server last stopped", n)
        return True

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Stop dispatching; stop running workers and mark their jobs interrupted."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        for run in list(self._running.values()):
            run.process.terminate()
            run.process.join(timeout=5)
            run.conn.close()
            self.store.interrupt(run.job.id, INTERRUPTED)
        self._running.clear()
        if self._lock_file is not None:
            self._lock_file.close()  # releases the lock
            self._lock_file = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                if not self._take_lock():
                    self._wake.wait(timeout=1.0)
                    continue
                self._reap()
                while len(self._running) < self.workers and not self._stopping.is_set():
                    job = self.store.claim_next()
                    if job is None:
                        break
                    self._launch(job)
            except Exception:  # keep dispatching whatever one job did
                _log.exception("plan runner")
            self._wake.wait(timeout=0.1)
            self._wake.clear()

    def _launch(self, job: Job) -> None:
        ctx = mp.get_context("spawn")  # a fresh interpreter: no server threads or sockets
        parent, child = ctx.Pipe(duplex=False)
        process = ctx.Process(
            target=_work,
            args=(child, job.scenario_text, str(self.network_path)),
            name=f"plan-{job.id[:8]}",
            daemon=False,  # a solve may start its own worker processes; stop() ends it
        )
        process.start()
        child.close()
        self._running[job.id] = _Running(job, process, parent, time.monotonic())

    def _reap(self) -> None:
        for job_id, run in list(self._running.items()):
            outcome: tuple[str, str] | None = None
            if run.conn.poll():
                try:
                    outcome = run.conn.recv()
                except EOFError:
                    outcome = None
            if outcome is None and run.process.is_alive():
                if time.monotonic() - run.started <= self.max_seconds + GRACE_SECONDS:
                    continue
                run.process.terminate()
                outcome = ("failed", f"ran past this server's limit of {self.max_seconds:g} s")
            run.process.join(timeout=5)
            run.conn.close()
            del self._running[job_id]
            if outcome is None:
                code = run.process.exitcode
                outcome = ("failed", f"the worker process ended unexpectedly (exit code {code})")
            kind, payload = outcome
            if kind == "ok":
                self.store.finish(job_id, payload)
            else:
                self.store.fail(job_id, payload)
