"""The operator page of ``t26 serve --api``: static HTML/JS/CSS shipped in the package, served at ``/``.

The page is plain files in ``trade2026/live/static`` (no build step, nothing loaded from the
internet). It holds no secret: the operator types the API token into its form, the script keeps it
in a variable and sends it as ``Authorization: Bearer`` on every call (never in browser storage,
cookies or the URL), so ``/`` and ``/static/*`` are the only routes besides ``/ping`` that answer
without the token. Both are left out of the OpenAPI schema, and every answer carries a strict
Content-Security-Policy (scripts, styles and connections from this origin only; no framing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).with_name("static")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def mount_page(app: Any) -> None:
    """Serve the operator page on ``app`` (a FastAPI or Starlette app): ``/`` and ``/static/*``.

    Neither route needs the token (the files are public; the data they show comes from the API,
    which does) and neither appears in the OpenAPI schema.
    """
    from starlette.responses import FileResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    class _Static(StaticFiles):
        async def get_response(self, path: str, scope: Any) -> Any:
            response = await super().get_response(path, scope)
            response.headers.update(SECURITY_HEADERS)
            return response

    async def index(request: Any) -> Any:
        return FileResponse(STATIC_DIR / "index.html", headers=SECURITY_HEADERS)

    # plain Starlette routes: FastAPI's schema generator only lists its own APIRoutes
    app.router.routes.append(Route("/", index, methods=["GET"], name="operator_page"))
    app.router.routes.append(Mount("/static", app=_Static(directory=STATIC_DIR), name="static"))
