"""What-if runs started from the API: one at a time in a worker thread, with progress and results.

A job names a scenario file of the hall (``scenes/<hall>/scenarios/<name>.toml``)
by its stem only, so no request can point the simulation at another path. A job started with
``from_store=True`` begins from the hall's stored state, asked of ``initial_state()`` when the
job runs (e.g. ``lambda: bridge.twin.whatif.stored_initial_state(scene, store.latest())[0]``).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("relic_twin.api")

Runner = Callable[..., dict[str, Any]]
InitialState = Callable[[], Mapping[str, tuple[float, float]] | None]


@dataclass
class Job:
    id: str
    scenario: str
    state: str = "queued"  # queued | running | done | failed
    progress: float = 0.0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    summary: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    out_dir: Path = field(default_factory=Path)
    from_store: bool = False


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
                 keep: int = 50, initial_state: InitialState | None = None) -> None:
        self.scenarios_dir = scenarios_dir
        self.initial_state = initial_state
        self.out_root = out_root
        self._run = run
        self.keep = keep
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whatif")

    def scenarios(self) -> list[str]:
        if self.scenarios_dir is None or not self.scenarios_dir.is_dir():
            return []
        return sorted(p.stem for p in self.scenarios_dir.glob("*.toml"))

    def start(self, scenario: str, *, from_store: bool = False) -> Job | None:
        """Queue a run of ``scenario`` (a name from :meth:`scenarios`); None when there is no such scenario.

        from_store : start from the stored state (``initial_state``); without one stored, or without
        a provider, the scenario's given state is used.
        """
        if scenario not in self.scenarios():
            return None
        assert self.scenarios_dir is not None
        job = Job(id=secrets.token_hex(8), scenario=scenario, from_store=from_store)
        job.out_dir = self.out_root / job.id
        with self._lock:
            self.jobs[job.id] = job
            done = [j for j in self.jobs.values() if j.state in ("done", "failed")]
            for old in done[: max(0, len(self.jobs) - self.keep)]:
                self.jobs.pop(old.id, None)
        self._pool.submit(self._work, job, self.scenarios_dir / f"{scenario}.toml")
        return job

    def _work(self, job: Job, path: Path) -> None:
        job.state, job.started_at = "running", datetime.now(UTC)

        def progress(fraction: float) -> None:
            job.progress = max(job.progress, min(1.0, float(fraction)))

        try:
            initial = self.initial_state() if job.from_store and self.initial_state is not None else None
            extra = {"initial": initial} if initial else {}
            job.summary = self._run(path, job.out_dir, progress=progress, **extra)
            job.progress, job.state = 1.0, "done"
        except Exception as exc:  # a failed run is reported on the job, not raised in the worker
            log.exception("what-if %s failed", job.scenario)
            job.state = "failed"
            job.error = {"en": f"the simulation failed: {type(exc).__name__}", "zh": "模拟运行失败"}
        job.finished_at = datetime.now(UTC)

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
