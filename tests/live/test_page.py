"""The operator page's files and routes: served without the token, kept out of the schema, self-contained."""

from __future__ import annotations

import asyncio
import re
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from trade2026.live._page import STATIC_DIR, mount_page


class Client:
    """GETs against an ASGI app in-process (httpx's ASGI transport; starlette's TestClient warns)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def get(self, path: str) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                return await c.get(path)

        return asyncio.run(go())


@pytest.fixture
def client() -> Client:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, bool]:
        return {"ok": True}

    mount_page(app)
    return Client(app)


def test_page_and_assets_are_served_with_a_strict_policy(client: Client) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'id="kill-dialog"' in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    for name, kind in (("app.js", "javascript"), ("app.css", "text/css")):
        a = client.get(f"/static/{name}")
        assert a.status_code == 200 and kind in a.headers["content-type"], name
        assert a.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/nope.js").status_code == 404
    assert client.get("/static/%2e%2e/_page.py").status_code == 404


def test_page_routes_stay_out_of_the_schema(client: Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/ping" in paths
    assert not [p for p in paths if p == "/" or p.startswith("/static")]


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.refs += [v for k, v in attrs if k in ("src", "href") and v]


def test_nothing_is_loaded_from_the_internet() -> None:
    parser = _Refs()
    parser.feed((STATIC_DIR / "index.html").read_text())
    assert parser.refs and all(r.startswith(("/static/", "data:")) for r in parser.refs), parser.refs
    for f in STATIC_DIR.iterdir():
        text = f.read_text()
        urls = set(re.findall(r"\b(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"'`)]*", text))
        assert urls <= {"http://www.w3.org/2000/svg"}, (f.name, urls)  # the SVG namespace is a name, not a fetch
        assert "@import" not in text and "url(" not in text.replace("data:", ""), f.name


def test_the_token_is_never_put_in_browser_storage() -> None:
    js = (STATIC_DIR / "app.js").read_text()
    code = "\n".join(line for line in js.splitlines() if not line.lstrip().startswith("//"))
    for api in ("localStorage", "sessionStorage", "document.cookie", "indexedDB", "history.pushState"):
        assert api not in code, api
