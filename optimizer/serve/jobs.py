"""Plan jobs kept in a SQLite file, so a restarted server loses none of them.

A job is ``queued`` when submitted, ``running`` while a worker solves it, then
``finished`` (with its plan.json text), ``failed`` (with a reason, never a
stack trace) or ``interrupted`` (the server stopped while it ran: on shutdown,
or found at the next start after a crash). Queued jobs survive a restart and
run then. Every state change is one short transaction (the standard library's
``sqlite3``, WAL mode), and a result is only stored while its job is still
``running``, so a worker that outlives an interruption cannot overwrite it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    scenario_name TEXT NOT NULL,
    scenario_text TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    plan_json TEXT,
    message TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
"""
_COLUMNS = (
    "id, status, scenario_name, scenario_text, submitted_at, started_at, finished_at, "
    "plan_json, message"
)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"

    @property
    def done(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


@dataclass(frozen=True, slots=True)
class Job:
    """One plan job as stored; times are ISO 8601 UTC text."""

    id: str
    status: JobStatus
    scenario_name: str
    scenario_text: str
    submitted_at: str
    started_at: str | None = None
    finished_at: str | None = None
    plan_json: str | None = None  # the plan.json text, once finished
    message: str | None = None  # why it failed or was interrupted

    def __post_init__(self) -> None:
        if (self.plan_json is not None) != (self.status is JobStatus.FINISHED):
            raise ValueError(f"job {self.id}: a plan goes with status finished only")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class JobStore:
    """The jobs table of one SQLite file; safe to use from several threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            with db:  # one transaction: commit, or roll back on error
                yield db
        finally:
            db.close()

    def submit(self, scenario_name: str, scenario_text: str) -> Job:
        job = Job(uuid.uuid4().hex, JobStatus.QUEUED, scenario_name, scenario_text, _now())
        with self._connect() as db:
            db.execute(
                "INSERT INTO jobs (id, status, scenario_name, scenario_text, submitted_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (job.id, job.status.value, scenario_name, scenario_text, job.submitted_at),
            )
        return job

    def get(self, job_id: str) -> Job | None:
        with self._connect() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else _job(row)

    def recent(self, limit: int = 50) -> list[Job]:
        """The latest ``limit`` jobs, newest first."""
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM jobs ORDER BY seq DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_job(row) for row in rows]

    def claim_next(self) -> Job | None:
        """Mark the oldest queued job running and return it (None if none is queued)."""
        with self._connect() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE status = ? ORDER BY seq LIMIT 1",
                (JobStatus.QUEUED.value,),
            ).fetchone()
            if row is None:
                return None
            started = _now()
            cursor = db.execute(
                "UPDATE jobs SET status = ?, started_at = ? WHERE id = ? AND status = ?",
                (JobStatus.RUNNING.value, started, row[0], JobStatus.QUEUED.value),
            )
            if cursor.rowcount != 1:  # another process claimed it first
                return None
        job = _job(row)
        return Job(
            job.id,
            JobStatus.RUNNING,
            job.scenario_name,
            job.scenario_text,
            job.submitted_at,
            started,
        )

    def finish(self, job_id: str, plan_json: str) -> bool:
        """Store the plan of a running job; False if the job is no longer running."""
        return self._end(job_id, JobStatus.FINISHED, plan_json, None)

    def fail(self, job_id: str, message: str) -> bool:
        return self._end(job_id, JobStatus.FAILED, None, message)

    def interrupt(self, job_id: str, message: str) -> bool:
        return self._end(job_id, JobStatus.INTERRUPTED, None, message)

    def interrupt_running(self, message: str) -> int:
        """Mark every running job interrupted (at start-up: their worker is gone)."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE jobs SET status = ?, finished_at = ?, message = ? WHERE status = ?",
                (JobStatus.INTERRUPTED.value, _now(), message, JobStatus.RUNNING.value),
            )
        return cursor.rowcount

    def counts(self) -> dict[str, int]:
        with self._connect() as db:
            rows = db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        return {str(status): int(n) for status, n in rows}

    def _end(self, job_id: str, status: JobStatus, plan: str | None, message: str | None) -> bool:
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE jobs SET status = ?, finished_at = ?, plan_json = ?, message = ? "
                "WHERE id = ? AND status = ?",
                (status.value, _now(), plan, message, job_id, JobStatus.RUNNING.value),
            )
        return cursor.rowcount == 1


def _job(row: tuple[object, ...]) -> Job:
    (job_id, status, name, text, submitted, started, finished, plan, message) = row
    return Job(
        str(job_id),
        JobStatus(str(status)),
        str(name),
        str(text),
        str(submitted),
        None if started is None else str(started),
        None if finished is None else str(finished),
        None if plan is None else str(plan),
        None if message is None else str(message),
    )
