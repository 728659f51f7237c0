"""The control API of ``t26 serve``: FastAPI over a :class:`~trade2026.live._control.Control`.

Security (the failures of other bots' APIs designed out): every route but ``/ping`` and the
operator page's static files needs ``Authorization: Bearer <token>`` (``/openapi.json`` and
``/metrics`` included); tokens are compared in constant time (of their SHA-256 digests, so not
even the length leaks); a client with ``auth_failures`` failed attempts within ``auth_window_s``
gets 429 until they age out, and each failure is logged. The bind and token checks at start are
in ``_api_server``.

Reads come from the loop's published snapshot; actions are queued to the loop, which takes them
between market events through risk and the journal (see ``_control``).
"""

# no ``from __future__ import annotations``: FastAPI reads the route functions' annotations, which
# name classes imported inside create_app

import asyncio
import hashlib
import hmac
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from trade2026._json import dumps
from trade2026.errors import NotFoundError, T26Error
from trade2026.live._api_server import stderr_log
from trade2026.live._control import STATE_DENIALS, Control

PUBLIC = ("/ping", "/")  # and /static/*: no data in them


# ---------------------------------------------------------------------- auth
class FailedAuth:
    """Failed attempts per client address; ``limit`` within ``window_s`` blocks it until they age out."""

    def __init__(self, limit: int = 5, window_s: float = 10.0) -> None:
        self.limit, self.window_s = limit, window_s
        self.seen: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        q = self.seen.setdefault(client, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def retry_after(self, client: str) -> float:
        """Seconds until ``client`` may try again (0: not blocked)."""
        now = time.monotonic()
        with self.lock:
            q = self._recent(client, now)
            return self.window_s - (now - q[0]) if len(q) >= self.limit else 0.0

    def fail(self, client: str) -> int:
        now = time.monotonic()
        with self.lock:
            if len(self.seen) > 10_000:  # forget clients with nothing recent
                for c in [c for c, q in self.seen.items() if not q or now - q[-1] > self.window_s]:
                    del self.seen[c]
            q = self._recent(client, now)
            q.append(now)
            return len(q)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class _Auth:
    """ASGI middleware: the bearer token on every path but the public ones."""

    def __init__(self, app: Any, *, token: str, failed: FailedAuth, log: Callable[[str], None]) -> None:
        self.app, self.expected, self.failed, self.log = app, _digest(token), failed, log
        self.fastapi = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in PUBLIC or path.startswith("/static/"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.failed.retry_after(client)
        if wait > 0:
            body = {"detail": f"too many failed authentications from {client}; retry in {wait:.0f} s"}
            await _send_json(send, 429, body, [(b"retry-after", str(max(1, round(wait))).encode())])
            return
        given = b""
        for k, v in scope.get("headers", ()):
            if k == b"authorization":
                given = v
        scheme, _, tok = given.decode("latin-1").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(_digest(tok.strip()), self.expected):
            scope.setdefault("state", {})["actor"] = f"api:{client}"
            await self.app(scope, receive, send)
            return
        n = self.failed.fail(client)
        what = "no bearer token" if not given else "a wrong token"
        self.log(
            f"control API: refused {client} {scope.get('method')} {path}: {what} ({n} in {self.failed.window_s:g} s)"
        )
        detail = "missing or wrong token: send the header 'Authorization: Bearer <token>'"
        await _send_json(send, 401, {"detail": detail}, [(b"www-authenticate", b"Bearer")])


async def _send_json(send: Any, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    data = dumps(body).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": data})


# ---------------------------------------------------------------------- the app
def create_app(
    control: Control,
    *,
    token: str,
    log: Callable[[str], None] | None = None,
    auth_failures: int = 5,
    auth_window_s: float = 10.0,
    keepalive_s: float = 15.0,
    action_timeout_s: float = 10.0,
    events_every_s: float = 0.25,
) -> Any:
    """The control API (a FastAPI app) of the engine behind ``control``.

    Parameters
    ----------
    control : Control
        The running loop's command queue and snapshot.
    token : str
        The bearer token (checked by :func:`api_settings`).
    log : callable, optional
        Security messages (failed authentications); default stderr.
    auth_failures, auth_window_s : int, float
        Failed attempts per client within the window before it gets 429.
    keepalive_s : float
        Seconds between keep-alive comments on ``/api/v1/events``.
    action_timeout_s : float
        How long an action waits for the loop; an action the loop has not started by then is dropped (504).
    events_every_s : float
        Shortest time between two events on ``/api/v1/events``.
    """
    from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response, StreamingResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from trade2026.live import _api_models as M
    from trade2026.live._metrics import Metrics
    from trade2026.live._page import mount_page

    class _JSON(JSONResponse):
        def render(self, content: Any) -> bytes:
            return dumps(content).encode()

    def strict_query(request: Request) -> None:
        """An unknown query parameter (a typo: ``?scop=all``) is refused, not ignored."""
        route = request.scope.get("route")
        known = {p.alias for p in route.dependant.query_params} if route is not None else set()
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            names = ", ".join(repr(u) for u in unknown)
            raise HTTPException(422, f"unknown query parameter(s) {names}; known: {', '.join(sorted(known)) or 'none'}")

    say = log or stderr_log
    metrics = Metrics(control)
    control.observe = metrics.observe
    stopping = threading.Event()
    # 422 too: a malformed request gets {"detail": "<what is wrong>"}, not FastAPI's list
    errors: dict[int | str, dict[str, Any]] = {r: {"model": M.Problem} for r in (400, 401, 422, 429, 503)}
    acting: dict[int | str, dict[str, Any]] = {r: {"model": M.Problem} for r in (409, 504)}  # state; loop too slow
    app = FastAPI(
        title="Trade2026 control API",
        version="1",
        summary="Read and steer a running t26 serve loop (bearer token on everything but /ping).",
        docs_url=None,
        redoc_url=None,
        default_response_class=_JSON,
        dependencies=[Depends(strict_query)],
    )
    app.state.stopping = stopping

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Any:
        parts = []
        for e in exc.errors():
            loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
            parts.append(f"{loc}: {e.get('msg', 'invalid')}")
        return _JSON({"detail": "invalid request: " + "; ".join(parts)}, status_code=422)

    def snap() -> dict[str, Any]:
        s = control.snapshot
        if s is None:
            raise HTTPException(503, "the trading loop has not reconciled with the venue yet; see GET /readyz")
        return s

    async def act(request: Request, action: str, reason: str, **args: Any) -> Any:
        actor = request.scope.get("state", {}).get("actor", "api:unknown")
        fut = control.submit(action, actor=actor, reason=reason, **args)
        done = asyncio.wrap_future(fut)
        try:
            try:
                return await asyncio.wait_for(asyncio.shield(done), action_timeout_s)
            except TimeoutError:
                if fut.cancel():
                    msg = f"the trading loop did not take the action within {action_timeout_s:g} s; it was not taken"
                    raise HTTPException(504, msg) from None
                return await done  # the loop is taking it: wait for what it did
        except NotFoundError as exc:
            raise HTTPException(404, str(exc)) from None
        except T26Error as exc:  # refused by the state of the run, or the loop is not running
            raise HTTPException(409 if control.running else 503, str(exc)) from None

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Any:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # a path with GET and POST routes: Allow lists both, not the first's
            path = request.url.path
            routes = [*app.routes, *api.routes]  # the router's routes are not flattened into the app's
            matching = [r for r in routes if (rx := getattr(r, "path_regex", None)) and rx.match(path)]
            allowed = {m for r in matching for m in getattr(r, "methods", None) or ()}
            headers["Allow"] = ", ".join(sorted(allowed))
        return _JSON({"detail": str(exc.detail)}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Any:  # never a bare 500 page
        say(f"control API: {request.method} {request.url.path} failed: {type(exc).__name__}: {exc}")
        return _JSON({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)

    @app.get("/ping", response_model=M.Ping, tags=["health"])
    def ping() -> Any:
        """Liveness without a token (nothing else answers without one)."""
        return {"ok": True}

    @app.get("/health", response_model=M.Health, responses=errors, tags=["health"])
    def health() -> Any:
        """Ages of the last loop step, feed event and venue answer, journal lag, reconciliation."""
        s = control.snapshot
        st = s["state"] if s is not None else {"state": "STARTING", "killed": False, "reconciled": False}
        return {
            "state": st["state"],
            "killed": st["killed"],
            **control.health.view(control.running),
            "journal_lag": s["journal_lag"] if s is not None else 0,
            "reconciled": st["reconciled"],
        }

    @app.get("/readyz", response_model=M.Ready, responses={**errors, 503: {"model": M.Ready}}, tags=["health"])
    def readyz() -> Any:
        """200 once reconciliation with the venue is done (and the loop runs), else 503."""
        s = control.snapshot
        if s is None or not s["state"]["reconciled"] or not control.running:
            return _JSON({"ready": False, "reconciliation": None}, status_code=503)
        return {"ready": True, "reconciliation": s["reconciliation"]}

    @app.get("/metrics", response_class=Response, responses=errors, tags=["health"])
    def prometheus() -> Any:
        """Prometheus text format: orders by status, rejects by reason, order-path latency, loop lag,
        equity, position per symbol."""
        body, ctype = metrics.render()
        return Response(body, media_type=ctype)

    api = APIRouter(prefix="/api/v1", responses=errors)

    @api.get("/state", response_model=M.State, tags=["read"])
    def state() -> Any:
        return snap()["state"]

    @api.get("/positions", response_model=list[M.Position], tags=["read"])
    def positions() -> Any:
        return snap()["positions"]

    @api.get("/orders", response_model=list[M.Order], tags=["read"])
    def orders(scope: str = "working") -> Any:
        """``scope``: ``working`` (default), ``done`` (the recent finished ones) or ``all``."""
        s = snap()
        if scope not in ("working", "done", "all"):
            raise HTTPException(422, f"scope must be working, done or all, got {scope!r}")
        done = control.done[:] if scope != "working" else []
        return (s["working"] if scope != "done" else []) + done

    @api.get("/fills", response_model=list[M.Fill], tags=["read"])
    def fills(since: int = 0) -> Any:
        """Fills with venue sequence number above ``since`` (the recent ones this process saw)."""
        snap()
        return [f for f in control.fills[:] if f["seq"] > since]

    @api.get("/pnl", response_model=M.Pnl, tags=["read"])
    def pnl() -> Any:
        return {**snap()["pnl"], "curve": control.curve[:]}

    @api.get("/risk", response_model=M.Risk, tags=["read"])
    def risk() -> Any:
        return snap()["risk"]

    @api.get(
        "/events",
        response_class=StreamingResponse,
        tags=["read"],
        responses={200: {"content": {"text/event-stream": {}}, "description": "snapshot events"}},
    )
    async def events(request: Request) -> Any:
        """Server-sent events: a ``snapshot`` event (state, positions, P&L, risk, working orders and
        the fills since the previous event) whenever the loop publishes, a keep-alive comment every
        15 s. Read it with ``fetch()`` streaming (the bearer header), not ``EventSource``."""

        async def stream() -> Any:
            seen, seq, quiet, last = -1, 0, time.monotonic(), ""
            yield ": connected\n\n"
            while not stopping.is_set():
                closed = control.closed
                s, v = control.snapshot, control.version
                now = time.monotonic()
                if s is not None and v != seen:  # a new snapshot: sent when it says something new
                    seen = v
                    new = [f for f in control.fills[-1000:] if f["seq"] > seq]
                    text = dumps({k: s[k] for k in ("state", "positions", "pnl", "risk", "working")})
                    if new or text != last:
                        seq = new[-1]["seq"] if new else seq
                        yield f'event: snapshot\ndata: {text[:-1]}, "fills": {dumps(new)}}}\n\n'
                        last, quiet = text, now
                if now - quiet >= keepalive_s:
                    yield ": keep-alive\n\n"
                    quiet = now
                if closed:  # the loop ended: its last snapshot was sent
                    break
                await asyncio.sleep(events_every_s)

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    def _state(request: Request, name: str, body: M.Reason) -> Any:
        return act(request, name, body.reason)

    @api.post("/halt", response_model=M.StateOut, responses=acting, tags=["act"])
    async def halt(request: Request, body: M.Reason) -> Any:
        """Stop sending new orders (working ones stay; cancel them with cancel-all)."""
        return await _state(request, "halted", body)

    @api.post("/reduce", response_model=M.StateOut, responses=acting, tags=["act"])
    async def reduce(request: Request, body: M.Reason) -> Any:
        """Reduce-only: only orders that bring a position closer to flat pass risk."""
        return await _state(request, "reducing", body)

    @api.post("/resume", response_model=M.StateOut, responses=acting, tags=["act"])
    async def resume(request: Request, body: M.Reason) -> Any:
        """Trade again (refused while the kill switch is set)."""
        return await _state(request, "active", body)

    @api.post(
        "/orders",
        response_model=M.Order,
        responses=acting,
        tags=["act"],
    )
    async def order(request: Request, body: M.OrderIn) -> Any:
        """A manual order through risk and the journal: the order, or 422 (a limit) / 409 (the
        trading state) with the risk denial's reason code."""
        out = await act(request, "order", body.reason, symbol=body.symbol, qty=body.qty, limit=body.limit)
        denial = out["denial"]
        if denial is not None:
            code = 409 if denial["code"] in STATE_DENIALS else 422
            return _JSON({"detail": denial["message"], "reason": denial["code"], "order": out["order"]}, code)
        return out["order"]

    @api.post(
        "/orders/{client_id}/cancel",
        response_model=M.Order,
        responses={**acting, 404: {"model": M.Problem}},
        tags=["act"],
    )
    async def cancel(request: Request, client_id: str, body: M.Reason | None = None) -> Any:
        """Cancel one working order (``reason`` optional)."""
        why = body.reason if body is not None else "cancel from the control API"
        return await act(request, "cancel", why, client_id=client_id)

    @api.post("/cancel-all", response_model=M.Canceled, responses=acting, tags=["act"])
    async def cancel_all(request: Request, body: M.Reason) -> Any:
        return await act(request, "cancel_all", body.reason)

    @api.post("/kill", response_model=M.Killed, responses=acting, tags=["act"])
    async def kill(request: Request, body: M.KillIn) -> Any:
        """The kill switch: latch halted (journaled, it holds across restarts), cancel every working
        order, flatten every position. Needs ``"confirm": "KILL"``."""
        if body.confirm != "KILL":
            raise HTTPException(400, f'confirm must be exactly "KILL" to set the kill switch, got {body.confirm!r}')
        return await act(request, "kill", body.reason)

    app.include_router(api)

    _secure_schema(app)
    mount_page(app)  # the operator page: / and /static/*, public, outside the schema
    return _Auth(app, token=token, failed=FailedAuth(auth_failures, auth_window_s), log=say)


def _secure_schema(app: Any) -> None:
    """Declare the bearer scheme in the OpenAPI schema, on every operation but ``/ping``."""
    from fastapi.openapi.utils import get_openapi

    def schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            s = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            s.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
            for path, ops in s["paths"].items():
                for op in ops.values():
                    if path != "/ping":
                        op["security"] = [{"bearer": []}]
            app.openapi_schema = s
        return dict(app.openapi_schema)

    app.openapi = schema
