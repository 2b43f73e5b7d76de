"""The service's pages from local files, never a CDN: the API docs (``/api/docs``, Swagger UI from
npm, see ``bridge/exhibit/vendor.py``) and the published web exhibit (``/exhibit/``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from bridge.errors import ConfigError
from bridge.exhibit import vendor

ASSETS = "/api/docs-assets"

NOT_INSTALLED = """<!doctype html><html lang="en"><meta charset="utf-8"><title>relic-twin</title>
<p>{what} is not installed on this server: run <code>make web</code> (needs Node.js and npm).
The OpenAPI document is at <a href="/api/openapi.json">/api/openapi.json</a>.</p>
<p lang="zh-CN">本服务器未安装{what_zh}：请运行 <code>make web</code>（需要 Node.js 与 npm）。接口文档见
<a href="/api/openapi.json">/api/openapi.json</a>。</p></html>"""


def install(app: FastAPI, exhibit_dir: Path | None) -> None:
    """Add ``/api/docs`` with its assets and, when given a published folder, ``/exhibit/``."""

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        try:
            for rel in vendor.DOCS_FILES.values():
                vendor.vendor_file(rel)
        except ConfigError:
            return HTMLResponse(NOT_INSTALLED.format(what="The docs page (Swagger UI)", what_zh="接口文档页面"),
                                status_code=503)
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="relic-twin API",
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon-32x32.png")

    @app.get(ASSETS + "/{name}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        rel = vendor.DOCS_FILES.get(name)
        if rel is None:
            raise HTTPException(404)
        try:
            return FileResponse(vendor.vendor_file(rel), headers={"Cache-Control": "public, max-age=86400"})
        except ConfigError as exc:
            raise HTTPException(404) from exc

    if exhibit_dir is not None and (exhibit_dir / "index.html").is_file():
        app.mount("/exhibit", StaticFiles(directory=exhibit_dir, html=True), name="exhibit")
    else:
        @app.get("/exhibit/{rest:path}", include_in_schema=False)
        def no_exhibit(rest: str) -> HTMLResponse:
            return HTMLResponse(NOT_INSTALLED.format(what="The web exhibit", what_zh="网上展览"), status_code=503)

    @app.get("/exhibit", include_in_schema=False)
    def exhibit_root() -> RedirectResponse:
        return RedirectResponse("/exhibit/")
