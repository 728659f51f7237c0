"""Where the control API listens: its settings and the refusals at start, the token, the uvicorn server.

:func:`api_settings` refuses (before anything starts) an empty token, one shorter than
:data:`MIN_TOKEN` characters, and a non-loopback bind without a token. With no token on a loopback
bind, :func:`serve_api` makes a random one and writes it to a file only the user can read.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trade2026.errors import ConfigError, T26Error
from trade2026.live._control import Control

MIN_TOKEN = 24
TOKEN_ENV = "T26_API_TOKEN"


def stderr_log(message: str) -> None:
    """The API's log lines (its address, failed authentications): stderr, also under ``--json``."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


# ---------------------------------------------------------------------- settings and refusals
@dataclass(frozen=True)
class ApiSettings:
    """Where the control API listens and its token (see :func:`api_settings`)."""

    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = field(default=None, repr=False)  # never in a log or a traceback
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

    def start(self, timeout: float = 10.0) -> ApiServer:
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
    from trade2026.live._api import create_app

    say = log or stderr_log
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
