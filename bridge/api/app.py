"""The FastAPI application of the twin service: :func:`create_app`.

One HTTP port carries the REST API (OpenAPI document at ``/api/openapi.json``,
docs at ``/api/docs``) and the live websocket feed (``/api/live``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from bridge.api import errors, web
from bridge.api.auth import PERMISSIONS, TokenSigner, load_or_create_secret
from bridge.api.context import ApiSettings, HallView, Service
from bridge.api.limits import Limits
from bridge.api.live_route import LiveHub
from bridge.api.whatif_jobs import JobRunner, Runner
from bridge.store import Store
from bridge.store import service_queries as q
from bridge.twin.live import TwinState
from simulation.scene import Scene

DESCRIPTION = """relic-twin: the digital twin of a museum hall, for preventive conservation.
文物预防性保护数字孪生服务。

Sign in at `/api/auth/token` and send `Authorization: Bearer <token>`. Roles: visitor (public relic
content), staff (monitoring, alerts), curator (archive, thresholds, what-if), admin (users, settings).
Errors are JSON: `{"error": {"code", "message": {"en", "zh"}}}`."""


def create_app(runtime_or_store: Any, settings: ApiSettings | None = None, *, scene: Scene | None = None,
               state: TwinState | None = None, whatif_runner: Runner | None = None,
               sites: Mapping[str, Any] | None = None, control: Any = None) -> FastAPI:
    """The API over a running twin (``TwinRuntime``: store, scene, live state) or a bare :class:`Store`.

    settings : limits, data folder, token secret (see :class:`ApiSettings`)
    scene, state : when given a bare store, the hall and live state to serve (optional)
    whatif_runner : replaces the simulation for what-if runs (tests)
    sites : site id -> :class:`bridge.site.model.Site`: serve as a provincial hub (``/api/hub/...``,
        users scoped to their site)
    control : the hall's ``bridge.control.runtime.ControlRuntime`` (else the runtime's ``control``)
    """
    settings = settings or ApiSettings()
    states = getattr(runtime_or_store, "states", None)  # a SiteRuntime: every hall of a site
    if isinstance(runtime_or_store, Store):
        store = runtime_or_store
    else:
        store = runtime_or_store.store
        scene = scene or runtime_or_store.scene
        state = state or runtime_or_store.state
    secret = settings.secret or load_or_create_secret(settings.data_dir)
    signer = TokenSigner(secret, settings.token_ttl_s)
    svc = Service.build(store, settings, signer, scene, state)
    if states is not None:
        svc.halls = {h: HallView(h, st.scene, st) for h, st in states.items()}
        svc.site = runtime_or_store.site
    svc.on_ack = getattr(runtime_or_store, "acknowledge", None)
    svc.runtime = None if isinstance(runtime_or_store, Store) else runtime_or_store
    svc.sites = dict(sites) if sites is not None else None
    svc.on_adopt = getattr(runtime_or_store, "adopt_device", None)
    svc.control = control if control is not None else getattr(runtime_or_store, "control", None)
    svc.controls = dict(getattr(runtime_or_store, "controls", None) or {})  # serve --site: one per hall
    scenarios = scene.root / "scenarios" if scene is not None else None
    initial_state = None
    if scene is not None:
        from bridge.twin.whatif import stored_initial_state

        def initial_state() -> dict[str, tuple[float, float]]:  # the hall as stored now, for from_store runs
            return stored_initial_state(scene, store.latest(hall=scene.id))[0]

    svc.jobs = JobRunner(scenarios, settings.data_dir / "whatif", initial_state=initial_state, limits=settings.whatif,
                         **({"run": whatif_runner} if whatif_runner else {}))
    q.ensure_roles(store, {r: ",".join(sorted(p)) for r, p in PERMISSIONS.items()})

    from bridge.api import (
        live_route,
        routes_alerts,
        routes_calibrations,
        routes_control,
        routes_details,
        routes_devices,
        routes_files,
        routes_monitor,
        routes_profiles,
        routes_relics,
        routes_reports,
        routes_site,
        routes_users,
        routes_whatif,
    )

    svc.tickets = live_route.Tickets()
    routes_relics.seed_from_scene(svc)
    app = FastAPI(title="relic-twin", version="1", description=DESCRIPTION, openapi_url="/api/openapi.json",
                  docs_url=None, redoc_url=None)
    app.state.service = svc
    app.state.hub = LiveHub(state) if state is not None else None
    errors.install(app)
    web.install(app, settings.exhibit_dir)  # /api/docs and /exhibit/ from local files
    for module in (routes_users, routes_relics, routes_monitor, routes_details, routes_alerts, routes_files,
                   routes_whatif, routes_profiles, routes_reports, routes_calibrations, routes_devices,
                   routes_site, routes_control, live_route):
        app.include_router(module.router)
    if sites is not None:
        from bridge.api import routes_hub

        app.include_router(routes_hub.router)
    app.add_middleware(Limits, rate_per_s=settings.rate_per_s, burst=settings.burst,
                       login_per_min=settings.login_per_min, max_body=settings.max_body,
                       max_upload=settings.max_upload, clock=settings.limits_clock)

    @app.get("/api/health", tags=["service"], summary="liveness / 健康检查")
    def health() -> dict[str, Any]:
        return {"status": "ok", "hall": scene.id if scene else "", "site": svc.site.id if svc.site else "",
                "halls": sorted(svc.halls)}

    return app
