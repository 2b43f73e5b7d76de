"""What-if runs (curator and up): list scenarios, start a run, follow its progress, read its results."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from bridge.api.context import CanWhatIf, Service, Svc
from bridge.api.errors import ApiError
from bridge.api.whatif_jobs import Busy, Job

router = APIRouter(tags=["what-if"])

JobId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]


class StartIn(BaseModel):
    scenario: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    from_store: bool = Field(default=False, description="start from the hall's stored state / 从当前存储状态开始")


class JobOut(BaseModel):
    id: str
    scenario: str
    state: str
    progress: float
    started_at: str | None
    finished_at: str | None
    error: dict[str, str] | None


def job_out(j: Job) -> JobOut:
    return JobOut(id=j.id, scenario=j.scenario, state=j.state, progress=j.progress,
                  started_at=j.started_at.isoformat() if j.started_at else None,
                  finished_at=j.finished_at.isoformat() if j.finished_at else None, error=j.error)


def _finite(x: Any) -> Any:
    """The summary as strict JSON: NaN and infinities become None."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    return x


def _job(svc: Service, job_id: str) -> Job:
    job = svc.jobs.get(job_id)
    if job is None:
        raise ApiError("not_found", en=f"what-if run {job_id}", zh=f"模拟任务 {job_id}")
    return job  # type: ignore[no-any-return]


@router.get("/api/whatif/scenarios", response_model=list[str], summary="scenarios / 情景列表")
def scenarios(*, svc: Svc, _: CanWhatIf) -> list[str]:
    return svc.jobs.scenarios()  # type: ignore[no-any-return]


@router.post("/api/whatif", response_model=JobOut, status_code=202, summary="start a what-if run / 启动模拟",
             responses={429: {"description": "too many runs waiting; come back after Retry-After / 排队任务过多"}})
def start(*, body: StartIn, svc: Svc, claims: CanWhatIf) -> JobOut:
    try:
        job = svc.jobs.start(body.scenario, from_store=body.from_store, owner=claims.sub)
    except Busy as exc:
        raise ApiError("too_many", en=exc.en, zh=exc.zh, headers={"Retry-After": str(exc.retry_after_s)}) from exc
    if job is None:
        raise ApiError("not_found", en=f"scenario {body.scenario}", zh=f"情景 {body.scenario}")
    return job_out(job)


@router.get("/api/whatif/{job_id}", response_model=JobOut, summary="progress / 进度")
def progress(*, job_id: JobId, svc: Svc, _: CanWhatIf) -> JobOut:
    return job_out(_job(svc, job_id))


@router.delete("/api/whatif/{job_id}", response_model=JobOut,
               summary="cancel a run, or delete a finished one and its files / 取消或删除模拟任务")
def cancel(*, job_id: JobId, svc: Svc, _: CanWhatIf) -> JobOut:
    job = svc.jobs.cancel(job_id)
    if job is None:
        raise ApiError("not_found", en=f"what-if run {job_id}", zh=f"模拟任务 {job_id}")
    return job_out(job)


@router.get("/api/whatif/{job_id}/results", summary="results / 结果")
def results(*, job_id: JobId, svc: Svc, _: CanWhatIf) -> dict[str, Any]:
    job = _job(svc, job_id)
    if job.state != "done" or job.summary is None:
        raise ApiError("conflict", en=f"run is {job.state}, not done", zh="任务尚未完成")
    return {"job": job_out(job).model_dump(), "summary": _finite(json.loads(json.dumps(job.summary, default=str)))}
