"""The control API of ``t26 serve``: FastAPI over a :class:`~trade2026.live._control.Control`.

Security (the failures of other bots' APIs designed out): it binds 127.0.0.1 unless told
otherwise; every route but ``/ping`` and the operator page's static files needs
``Authorization: Bearer <token>`` (``/openapi.json`` and ``/metrics`` included); an empty token,
one shorter than :data:`MIN_TOKEN` characters, and a non-loopback bind without a token are refused
before anything starts; tokens are compared in constant time (of their SHA-256 digests, so not
even the length leaks); a client with ``auth_failures`` failed attempts within ``auth_window_s``
gets 429 until they age out, and each failure is logged. With no token on a loopback bind, a
random one is made and written to a file only the user can read.

Reads come from the loop's published snapshot; actions are queued to the loop, which takes them
between market events through risk and the journal (see ``_control``).
"""

# no ``from __future__ import annotations``: FastAPI reads the route functions' annotations, which
# name classes imported inside create_app

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import os
import secrets
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trade2026._json import dumps
from trade2026.errors import ConfigError, NotFoundError, T26Error
from trade2026.live._control import STATE_DENIALS, Control

MIN_TOKEN = 24
PUBLIC = ("/ping", "/")  # and /static/*: no data in them
TOKEN_ENV = "T26_API_TOKEN"


def _stderr(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


# ---------------------------------------------------------------------- settings and refusals
@dataclass(frozen=True)
class ApiSettings:
    """Where the control API listens and its token (see :func:`api_settings`)."""

    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    token_file: str | None = None  # where the token came from (or was written to)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_token(token_file: str | Path | None = None, *, env: dict[str, str] | None = None) -> str | None:
    """The token from ``token_file`` (its content, stripped) or else ``$T26_API_TOKEN``; None when neither.

    Raises
    ------
    ConfigError
        The file cannot be read.
    """
    if token_file is not None:
        try:
            return Path(token_file).read_text().strip()
        except OSError as exc:
            msg = f"token file {token_file} cannot be read ({exc.strerror or exc})"
            raise ConfigError(msg, option="token_file") from None
    value = (os.environ if env is None else env).get(TOKEN_ENV)
    return None if value is None else value.strip()


def api_settings(
    host: str = "127.0.0.1",
    port: int = 8765,
    token_file: str | Path | None = None,
    *,
    env: dict[str, str] | None = None,
) -> ApiSettings:
    """Check the API's bind and token before anything starts.

    Raises
    ------
    ConfigError
        An empty token, a token shorter than :data:`MIN_TOKEN` characters, a non-loopback ``host``
        without a token, or a port outside 0-65535; the message names the fix.
    """
    if not 0 <= port <= 65535:
        msg = f"port must be 0-65535 (0: any free port), got {port}"
        raise ConfigError(msg, option="port")
    token = read_token(token_file, env=env)
    where = f"token file {token_file}" if token_file is not None else TOKEN_ENV
    if token is not None and not token:
        msg = f"the control API token ({where}) is empty; put a random token of {MIN_TOKEN}+ characters there"
        raise ConfigError(msg, option="token_file")
    if token is not None and len(token) < MIN_TOKEN:
        msg = (
            f"the control API token ({where}) has {len(token)} characters; it needs at least {MIN_TOKEN} "
            "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
        raise ConfigError(msg, option="token_file")
    if token is None and not is_loopback(host):
        msg = (
            f"the control API would listen on {host} (not loopback) without a token; "
            f"give one (token_file or {TOKEN_ENV}) or listen on 127.0.0.1"
        )
        raise ConfigError(msg, option="host")
    return ApiSettings(host, port, token, None if token_file is None else str(token_file))


def _new_token(run_dir: Path) -> tuple[str, str]:
    """A random token written to ``<run_dir>/api_token`` (mode 0600)."""
    token = secrets.token_urlsafe(32)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "api_token"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token, str(path)


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

    say = log or _stderr
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
    app.state.control = control
    app.openapi_schema = None

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
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(fut)), action_timeout_s)
        except TimeoutError:
            if fut.cancel():
                raise HTTPException(504, f"the trading loop did not take the action within {action_timeout_s:g} s; "
                               "it was not taken") from None  # fmt: skip
            return await asyncio.wrap_future(fut)  # it is running: wait for what it did
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


# ---------------------------------------------------------------------- the server
class ApiServer:
    """uvicorn serving the app in a daemon thread, on a socket bound at construction (port 0: any)."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        import uvicorn

        self.app = app
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((host, port))
        except OSError as exc:
            self.sock.close()
            msg = f"the control API cannot listen on {host}:{port} ({exc.strerror or exc}); pick another port (0: any)"
            raise ConfigError(msg, option="port") from None
        self.sock.listen(128)
        self.host, self.port = host, self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> "ApiServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.server.started:
            msg = f"the control API did not start on {self.url}"
            raise T26Error(msg)
        return self

    def stop(self) -> None:
        """End the event streams, then the server."""
        fast = getattr(self.app, "fastapi", None)
        if fast is not None:
            fast.state.stopping.set()
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()


@contextlib.contextmanager
def serve_api(
    settings: ApiSettings, control: Control, run_dir: str | Path, *, log: Callable[[str], None] | None = None
) -> Iterator[ApiServer]:
    """Run the control API of ``control`` while the block runs (the ``t26 serve`` loop)."""
    say = log or _stderr
    token, where = settings.token, settings.token_file
    if token is None:
        token, where = _new_token(Path(run_dir))
    app = create_app(control, token=token, log=say)
    server = ApiServer(app, settings.host, settings.port).start()
    say(f"control API on {server.url} (token: {where or TOKEN_ENV})")
    try:
        yield server
    finally:
        server.stop()
