"""The API documentation pages of every service, Swagger UI at ``/docs`` and ReDoc at
``/redoc``, served without the internet.

FastAPI's own pages load their script and style sheet from a CDN: on a network with no way
out (an agency LAN, a laptop in the field) they are blank. These pages take the same files
from the ``fastapi-offline`` distribution, installed with swx (Swagger UI's bundle and style
sheet, ReDoc's standalone script), and each service serves them itself under
``/docs/assets/``, so a page names only the service's own URLs (behind a proxy, under its
``root_path``). Swagger UI's online validator badge, which would ask validator.swagger.io
about the document, is switched off; ReDoc's "API docs by Redocly" logo, an image it loads
from cdn.redoc.ly (and hides when that fails), is kept from leaving by the pages' content
security policy: images, fonts and requests come from the service only.
"""

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from services.kernel import resources
from services.kernel.web.problems import NotFound

ASSETS_PACKAGE = "fastapi_offline"
"""The distribution whose ``static/`` folder holds the pages' files (MIT; the bundled Swagger
UI is Apache-2.0, ReDoc MIT: see NOTICE)."""
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
          "redoc.standalone.js": "text/javascript", "favicon.png": "image/png"}
DOCS_URL, REDOC_URL, ASSETS_URL = "/docs", "/redoc", "/docs/assets"
PAGE_POLICY = "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'"
"""Nothing the pages load leaves the service. Scripts and styles are not restricted: Swagger
UI starts from an inline script and ReDoc writes its styles inline."""


def assets_dir() -> Path:
    return resources.package_dir(ASSETS_PACKAGE) / "static"


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/docs``, ``/redoc`` and their files from the service; ``app`` is made with
    ``docs_url=None, redoc_url=None``, so FastAPI's CDN pages are not there as well."""
    folder = assets_dir()
    missing = [name for name in ASSETS if not (folder / name).is_file()]
    if missing:  # a page without its script is the blank page this module exists to prevent
        raise resources.NotInstalledAsFiles(f"{ASSETS_PACKAGE} lacks {', '.join(missing)} in {folder}")
    router = APIRouter(include_in_schema=False)

    def urls(request: Request) -> tuple[str, str]:
        base = request.scope.get("root_path", "")
        return f"{base}{app.openapi_url}", f"{base}{ASSETS_URL}"

    @router.get(DOCS_URL)
    def swagger_ui(request: Request) -> HTMLResponse:
        """Swagger UI: every operation, tried out against this service."""
        openapi, assets = urls(request)
        return _kept_in(get_swagger_ui_html(
            openapi_url=openapi, title=f"{app.title} · API", swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css", swagger_favicon_url=f"{assets}/favicon.png",
            oauth2_redirect_url=None, swagger_ui_parameters={"validatorUrl": None}))

    @router.get(REDOC_URL)
    def redoc(request: Request) -> HTMLResponse:
        """ReDoc: the same document, for reading."""
        openapi, assets = urls(request)
        return _kept_in(get_redoc_html(openapi_url=openapi, title=f"{app.title} · API reference",
                                       redoc_js_url=f"{assets}/redoc.standalone.js",
                                       redoc_favicon_url=f"{assets}/favicon.png", with_google_fonts=False))

    @router.get(f"{ASSETS_URL}/{{name}}")
    def asset(name: str) -> FileResponse:
        """One of the pages' files (a fixed list: no path reaches other files)."""
        if name not in ASSETS:
            raise NotFound(f"no documentation file {name}")
        return FileResponse(folder / name, media_type=ASSETS[name],
                            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})

    app.include_router(router)


def _kept_in(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = PAGE_POLICY
    page.headers["X-Content-Type-Options"] = "nosniff"
    return page
