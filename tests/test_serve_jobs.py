"""The job store's state machine, by hand: what a restart may and may not change."""

from __future__ import annotations

import pytest

from optimizer.serve.jobs import Job, JobStatus, JobStore


def test_a_job_goes_queued_running_finished_once(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite")
    a = store.submit("a", "name: a")
    b = store.submit("b", "name: b")
    assert [j.id for j in store.recent()] == [b.id, a.id]
    assert store.claim_next().id == a.id  # oldest first
    assert store.get(a.id).status is JobStatus.RUNNING
    assert store.finish(a.id, '{"x": 1}\n')
    assert not store.finish(a.id, "{}")  # only a running job takes a result
    assert not store.fail(b.id, "no")  # b is still queued
    done = store.get(a.id)
    assert (done.status, done.plan_json) == (JobStatus.FINISHED, '{"x": 1}\n')
    assert done.finished_at is not None and done.started_at is not None
    assert store.counts() == {"finished": 1, "queued": 1}


def test_restart_marks_running_jobs_interrupted_and_keeps_the_rest(tmp_path):
    path = tmp_path / "jobs.sqlite"
    store = JobStore(path)
    done, running, queued = (store.submit(n, "") for n in "abc")
    store.claim_next()
    store.finish(done.id, "{}")
    store.claim_next()
    again = JobStore(path)  # a new server on the same file
    assert again.interrupt_running("stopped") == 1
    assert again.get(running.id).status is JobStatus.INTERRUPTED
    assert again.get(running.id).message == "stopped"
    assert not again.finish(running.id, "{}")  # a late worker cannot overwrite it
    assert again.get(done.id).plan_json == "{}"
    assert again.get(queued.id).status is JobStatus.QUEUED
    assert again.get("nope") is None


def test_a_plan_goes_with_finished_only():
    with pytest.raises(ValueError, match="a plan goes with status finished only"):
        Job("x", JobStatus.RUNNING, "n", "", "t", plan_json="{}")
    with pytest.raises(ValueError):
        Job("x", JobStatus.FINISHED, "n", "", "t")
