"""Control API auth: the token on every schema route but /ping, refusals at start, failed-auth limit."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.live.api.conftest import AUTH, TOKEN
from trade2026.errors import ConfigError
from trade2026.live import ApiSettings, api_settings, serve


def _operations(c: Any) -> list[tuple[str, str]]:
    schema = c.get("/openapi.json", headers=AUTH).json()
    return [(m.upper(), p.replace("{client_id}", "x")) for p, ops in schema["paths"].items() for m in ops]


def test_every_route_but_ping_needs_the_token(client: Any) -> None:
    c = client(auth_failures=10**6)
    ops = _operations(c)
    assert ("GET", "/ping") in ops and ("POST", "/api/v1/kill") in ops and ("GET", "/metrics") in ops
    assert len(ops) >= 17
    for bad in ({}, {"Authorization": "Bearer " + TOKEN[:-1] + "X"}, {"Authorization": "Basic " + TOKEN},
                {"Authorization": TOKEN}, {"Authorization": "Bearer"}):  # fmt: skip
        for method, path in [*ops, ("GET", "/openapi.json"), ("GET", "/docs")]:
            r = c.request(method, path, headers=bad, json={"reason": "x"})
            if path == "/ping":
                assert r.status_code == 200 and r.json() == {"ok": True}
            else:
                assert r.status_code == 401, (method, path, bad, r.text)
                assert "Bearer" in r.json()["detail"] and r.headers["www-authenticate"] == "Bearer"
    assert c.get("/api/v1/state", headers=AUTH).status_code == 200


def test_page_routes_hold_no_data_and_are_not_in_the_schema(client: Any) -> None:
    c = client()
    paths = {p for _, p in _operations(c)}
    assert "/" not in paths and not any(p.startswith("/static") for p in paths)
    assert c.get("/static/../api/v1/state").status_code in (401, 404)  # no way around the token


def test_failed_attempts_are_limited_per_client_and_logged(client: Any) -> None:
    said: list[str] = []
    c = client(auth_failures=5, auth_window_s=30.0, log=said.append)
    codes = [c.get("/api/v1/state", headers={"Authorization": "Bearer nope"}).status_code for _ in range(5)]
    assert codes == [401] * 5
    r = c.get("/api/v1/state", headers=AUTH)  # blocked now, even with the right token
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and "retry" in r.json()["detail"]
    assert c.get("/ping").status_code == 200
    assert len(said) == 5 and "127.0.0.1" in said[-1] and "(5 in 30 s)" in said[-1]


def test_start_refusals_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="empty") as e:
        api_settings(env={"T26_API_TOKEN": ""})
    assert e.value.option == "token_file"
    with pytest.raises(ConfigError, match="at least 24"):
        api_settings(env={"T26_API_TOKEN": "short-token"})
    f = tmp_path / "tok"
    f.write_text("\n")
    with pytest.raises(ConfigError, match="empty"):
        api_settings(token_file=f, env={})
    with pytest.raises(ConfigError, match="not loopback") as e:
        api_settings("0.0.0.0", env={})
    assert e.value.option == "host"
    with pytest.raises(ConfigError, match="cannot be read"):
        api_settings(token_file=tmp_path / "missing", env={})
    assert api_settings("0.0.0.0", env={"T26_API_TOKEN": TOKEN}).token == TOKEN
    assert api_settings("::1", env={}).token is None  # loopback: a token is made at start


def test_cli_refuses_before_trading(cli: Any, sample_lake: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["serve", "--strategy", "sma_cross", "--api", "--no-lake"]
    monkeypatch.delenv("T26_API_TOKEN", raising=False)
    r = cli(*args, "--host", "0.0.0.0")
    assert r.exit_code == 2 and "--host" in r.stderr and "token" in r.stderr
    monkeypatch.setenv("T26_API_TOKEN", "")
    r = cli(*args)
    assert r.exit_code == 2 and "empty" in r.stderr
    monkeypatch.setenv("T26_API_TOKEN", "x" * 23)
    r = cli(*args)
    assert r.exit_code == 2 and "23 characters" in r.stderr and "--token-file" in r.stderr
    assert not (home / "live").exists()  # refused before any run directory or journal


def test_a_loopback_run_without_token_gets_a_private_one(sample_lake: Any, home: Path, capsys: Any) -> None:
    sym = sorted(sample_lake.read("bars_1d")["symbol"].unique().to_list())[0]
    res = serve("sma_cross", lake=sample_lake, home=home, symbols=[sym], run_id="tk", write_lake=False,
                api=ApiSettings(port=0))  # fmt: skip
    path = Path(res.run_dir) / "api_token"
    assert len(path.read_text().strip()) >= 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    err = capsys.readouterr().err
    assert "control API on http://127.0.0.1:" in err and str(path) in err
