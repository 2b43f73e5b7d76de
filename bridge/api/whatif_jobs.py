"""What-if runs started from the API: one at a time in a worker thread, with progress and results.

A job names a scenario file of the hall (``scenes/<hall>/scenarios/<name>.toml``)
by its stem only, so no request can point the simulation at another path. A job started with
``from_store=True`` begins from the hall's stored state, asked of ``initial_state()`` when the
job runs (e.g. ``lambda: bridge.twin.whatif.stored_initial_state(scene, store.latest())[0]``).

The work is bounded (:class:`Limits`): each user may have ``per_user`` runs waiting or running
and the service ``total`` (beyond that :meth:`JobRunner.start` raises :class:`Busy` with a
time to come back); a job can be cancelled; only the newest ``keep`` finished runs and their
folders are kept. :meth:`JobRunner.shutdown` cancels what waits, stops the running job at its
next progress report (the climate model reports every 1 % of a run) and writes
``status.json`` into each cancelled run's folder; the worker is a daemon thread, so the process
never waits for a simulation on its way out.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("relic_twin.api")

Runner = Callable[..., dict[str, Any]]
InitialState = Callable[[], Mapping[str, tuple[float, float]] | None]

#: states a job ends in
FINISHED = ("done", "failed", "cancelled")


@dataclass(frozen=True)
class Limits:
    """How much what-if work the service takes on.

    per_user : runs one user may have waiting or running
    total : runs the service holds waiting or running (one runs at a time)
    keep : finished runs kept, with their folders (older ones are deleted)
    retry_after_s : what a refused caller is told to wait, s (about one short run)
    """

    per_user: int = 3
    total: int = 10
    keep: int = 50
    retry_after_s: int = 30


class Busy(Exception):
    """Too many runs waiting; ``retry_after_s`` says when to come back."""

    def __init__(self, en: str, zh: str, retry_after_s: int) -> None:
        super().__init__(en)
        self.en, self.zh, self.retry_after_s = en, zh, retry_after_s


class Cancelled(Exception):
    """Raised inside a run (from its progress callback) when its job was cancelled."""


@dataclass
class Job:
    id: str
    scenario: str
    state: str = "queued"  # queued | running | done | failed | cancelled
    progress: float = 0.0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    summary: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    out_dir: Path = field(default_factory=Path)
    from_store: bool = False
    owner: str = ""
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)


def _default_runner(path: Path, out_dir: Path, *, progress: Callable[[float], None],
                    initial: Mapping[str, tuple[float, float]] | None = None) -> dict[str, Any]:
    from bridge.twin.whatif import run_scenario

    return run_scenario(path, out_dir, progress=progress, report=False, initial=dict(initial) if initial else None)


class JobRunner:
    """Queues what-if jobs; ``run(path, out_dir, progress=cb[, initial=...]) -> summary`` does the work (injectable).

    initial_state : the hall's stored start state {zone or relic id: (T, RH)} (None or empty: none
        stored), for jobs started with ``from_store=True``; ``initial=`` reaches the runner only then.
    """

    def __init__(self, scenarios_dir: Path | None, out_root: Path, run: Runner = _default_runner,
                 keep: int | None = None, initial_state: InitialState | None = None,
                 limits: Limits = Limits()) -> None:
        self.scenarios_dir = scenarios_dir
        self.initial_state = initial_state
        self.out_root = out_root
        self._run = run
        self.limits = limits if keep is None else Limits(limits.per_user, limits.total, keep, limits.retry_after_s)
        self.jobs: dict[str, Job] = {}
        self._waiting: deque[Job] = deque()
        self._lock = threading.Condition()
        self._stopping = False
        self._worker: threading.Thread | None = None
        self._prune_old_folders()

    @property
    def keep(self) -> int:
        return self.limits.keep

    def scenarios(self) -> list[str]:
        if self.scenarios_dir is None or not self.scenarios_dir.is_dir():
            return []
        return sorted(p.stem for p in self.scenarios_dir.glob("*.toml"))

    def start(self, scenario: str, *, from_store: bool = False, owner: str = "") -> Job | None:
        """Queue a run of ``scenario`` (a name from :meth:`scenarios`); None when there is no such scenario.

        from_store : start from the stored state (``initial_state``); without one stored, or without
        a provider, the scenario's given state is used.
        owner : who asked (counted against ``limits.per_user``)
        Raises :class:`Busy` beyond the limits, or while shutting down.
        """
        if scenario not in self.scenarios():
            return None
        assert self.scenarios_dir is not None
        job = Job(id=secrets.token_hex(8), scenario=scenario, from_store=from_store, owner=owner)
        job.out_dir = self.out_root / job.id
        lim = self.limits
        with self._lock:
            if self._stopping:
                raise Busy("the service is stopping", "服务正在停止", lim.retry_after_s)
            active = [j for j in self.jobs.values() if j.state not in FINISHED]
            if len(active) >= lim.total:
                raise Busy(f"{lim.total} what-if runs are waiting or running", f"已有 {lim.total} 个模拟任务排队或运行",
                           lim.retry_after_s * (len(active) - lim.total + 1))
            if sum(j.owner == owner for j in active) >= lim.per_user:
                raise Busy(f"you have {lim.per_user} what-if runs waiting or running",
                           f"您已有 {lim.per_user} 个模拟任务排队或运行", lim.retry_after_s)
            self.jobs[job.id] = job
            self._waiting.append(job)
            self._trim()
            if self._worker is None:
                self._worker = threading.Thread(target=self._work_loop, name="whatif", daemon=True)
                self._worker.start()
            self._lock.notify_all()
        return job

    def _trim(self) -> None:
        """Forget the oldest finished runs beyond ``keep``, and delete their folders (lock held)."""
        finished = [j for j in self.jobs.values() if j.state in FINISHED]
        for old in finished[: max(0, len(finished) - self.limits.keep)]:
            self.jobs.pop(old.id, None)
            shutil.rmtree(old.out_dir, ignore_errors=True)

    def _prune_old_folders(self) -> None:
        """Run folders left by earlier processes: keep the newest ``keep``."""
        if not self.out_root.is_dir():
            return
        folders = sorted((p for p in self.out_root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
        for old in folders[: max(0, len(folders) - self.limits.keep)]:
            shutil.rmtree(old, ignore_errors=True)

    def _work_loop(self) -> None:
        while True:
            with self._lock:
                while not self._waiting and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                job = self._waiting.popleft()
                if job.state != "queued":  # cancelled while waiting
                    continue
                job.state, job.started_at = "running", datetime.now(UTC)
            self._work(job, self.scenarios_dir / f"{job.scenario}.toml")  # type: ignore[operator]

    def _work(self, job: Job, path: Path) -> None:
        def progress(fraction: float) -> None:
            if job.cancel.is_set():
                raise Cancelled
            job.progress = max(job.progress, min(1.0, float(fraction)))

        try:
            initial = self.initial_state() if job.from_store and self.initial_state is not None else None
            extra = {"initial": initial} if initial else {}
            summary = self._run(path, job.out_dir, progress=progress, **extra)
            if job.cancel.is_set():
                raise Cancelled
            job.summary = summary
            job.progress, job.state = 1.0, "done"
        except Cancelled:
            self._mark_cancelled(job)
        except Exception as exc:  # a failed run is reported on the job, not raised in the worker
            log.exception("what-if %s failed", job.scenario)
            job.state = "failed"
            job.error = {"en": f"the simulation failed: {type(exc).__name__}", "zh": "模拟运行失败"}
        job.finished_at = job.finished_at or datetime.now(UTC)

    def _mark_cancelled(self, job: Job, reason: tuple[str, str] = ("cancelled", "已取消")) -> None:
        job.state, job.finished_at = "cancelled", datetime.now(UTC)
        job.error = job.error or {"en": reason[0], "zh": reason[1]}
        try:
            job.out_dir.mkdir(parents=True, exist_ok=True)
            (job.out_dir / "status.json").write_text(json.dumps(
                {"state": "cancelled", "reason": job.error, "scenario": job.scenario, "owner": job.owner,
                 "progress": job.progress, "at": job.finished_at.isoformat()}, ensure_ascii=False), encoding="utf-8")
        except OSError:
            log.warning("could not mark what-if run %s cancelled in %s", job.id, job.out_dir)

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a waiting or running job, or delete a finished one and its folder; None when unknown."""
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                return None
            if job.state == "queued":
                job.cancel.set()
                self._mark_cancelled(job)
            elif job.state == "running":
                job.cancel.set()  # the run stops at its next progress report
            else:
                self.jobs.pop(job_id, None)
                shutil.rmtree(job.out_dir, ignore_errors=True)
        return job

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Cancel every waiting and running job (marked so) and stop the worker, waiting ``timeout_s`` at most."""
        with self._lock:
            self._stopping = True
            for job in self.jobs.values():
                if job.state == "queued":
                    job.error = {"en": "the service stopped", "zh": "服务已停止"}
                    job.cancel.set()
                    self._mark_cancelled(job)
                elif job.state == "running":
                    job.error = {"en": "the service stopped", "zh": "服务已停止"}
                    job.cancel.set()
            self._waiting.clear()
            self._lock.notify_all()
            worker = self._worker
        if worker is not None:
            worker.join(timeout_s)
        for job in list(self.jobs.values()):
            if job.state == "running":  # a run that did not report in time: marked, left to the daemon thread
                self._mark_cancelled(job, ("the service stopped", "服务已停止"))
