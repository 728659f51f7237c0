"""A client of the control API for scripts and cron (``t26 serve status|halt|resume|kill|orders``).

Standard library only (``urllib``), so it works wherever ``t26`` is installed. Errors: the API
unreachable is a :class:`~trade2026.errors.T26Error` naming the URL (exit 1); a refusal (401 wrong
token, 429, 4xx bad input) is an :class:`~trade2026.errors.InputError` with the API's message (exit 2).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from trade2026.errors import InputError, T26Error
from trade2026.live._api_server import TOKEN_ENV, read_token


class ApiClient:
    """Calls on a running ``t26 serve --api``.

    Parameters
    ----------
    url : str
        The API's base URL, e.g. ``http://127.0.0.1:8765`` (what ``t26 serve`` printed).
    token : str, optional
        The bearer token; default from ``token_file``, else ``$T26_API_TOKEN``.
    token_file : str, optional
        A file holding the token.
    timeout : float
        Seconds per request.
    """

    def __init__(
        self, url: str, *, token: str | None = None, token_file: str | None = None, timeout: float = 10.0
    ) -> None:
        if not url.startswith(("http://", "https://")):
            msg = f"url must be http://HOST:PORT (what t26 serve printed), got {url!r}"
            raise InputError(msg, option="url")
        self.url = url.rstrip("/")
        self.token = token if token is not None else read_token(token_file)
        if not self.token:
            msg = f"no API token: give token_file (the file t26 serve named) or set {TOKEN_ENV}"
            raise InputError(msg, option="token_file")
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One call; the decoded JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read()).get("detail", exc.reason)
            except (ValueError, AttributeError):
                detail = exc.reason
            msg = f"control API at {self.url} refused {method} {path} ({exc.code}): {detail}"
            if exc.code >= 500:
                raise T26Error(msg) from None
            raise InputError(msg) from None
        except (urllib.error.URLError, OSError) as exc:
            why = getattr(exc, "reason", exc)
            msg = f"control API at {self.url} is unreachable ({why}); check url and that t26 serve runs with --api"
            raise T26Error(msg, option="url") from None

    def status(self) -> dict[str, Any]:
        """The state (``/api/v1/state``) and, under ``health``, ``/health``."""
        return {**self.request("GET", "/api/v1/state"), "health": self.request("GET", "/health")}

    def set_state(self, action: str, reason: str) -> dict[str, Any]:
        """``action``: ``halt``, ``reduce`` or ``resume``."""
        return dict(self.request("POST", f"/api/v1/{action}", {"reason": reason}))

    def kill(self, reason: str) -> dict[str, Any]:
        """The kill switch (the caller asked for the confirmation)."""
        return dict(self.request("POST", "/api/v1/kill", {"confirm": "KILL", "reason": reason}))

    def orders(self, scope: str = "working") -> list[dict[str, Any]]:
        return list(self.request("GET", f"/api/v1/orders?scope={scope}"))
