"""``t26 serve status|halt|resume|kill|orders`` end to end against a real ``t26 serve --api`` process
trading the PRISM venue process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.live.api.conftest import TOKEN
from trade2026._json import clean, dumps
from trade2026.live import ApiClient
from trade2026.live._journal import scan

pytestmark = pytest.mark.slow


def _wait(what: str, ok: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = ok()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_client_subcommands_steer_a_running_serve(cli: Any, home: Path, venue_url: str, tmp_path: Path) -> None:
    tok = tmp_path / "token"
    tok.write_text(TOKEN + "\n")
    err = (tmp_path / "serve.err").open("w")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, "-m", "commands.main", "serve", "--strategy", "sma_cross:fast=2,slow=5", "--venue",
           venue_url, "--bar-seconds", "20", "--run-id", "c1", "--no-lake", "--api", "--port", "0",
           "--token-file", str(tok), "--json"]  # fmt: skip
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        line = _wait(
            "the API line", lambda: re.search(r"control API on (http://\S+)", (tmp_path / "serve.err").read_text())
        )
        url = line.group(1)
        base = ["--url", url, "--token-file", str(tok)]

        def status() -> dict[str, Any]:
            r = cli("serve", "status", *base, "--json")
            assert r.exit_code == 0, r.output
            return dict(json.loads(r.stdout))

        _wait("reconciliation and a fill", lambda: (s := status())["health"]["reconciled"] and s["fills"] > 0)
        s = status()
        assert s["run_id"] == "c1" and s["state"] == "ACTIVE" and s["venue"] == venue_url
        assert s["health"]["venue"]["connected"] and s["health"]["loop_age_s"] < 10
        r = cli("serve", "orders", *base, "--scope", "all", "--json")
        assert r.exit_code == 0 and all(o["client_id"].startswith("c1-") for o in json.loads(r.stdout))
        # refusals: a wrong token is exit 2, an unreachable API exit 1 naming --url
        os.environ["T26_API_TOKEN"] = "w" * 30
        try:
            r = cli("serve", "status", "--url", url, "--json")
        finally:
            del os.environ["T26_API_TOKEN"]
        assert r.exit_code == 2 and "401" in r.stderr and r.stdout == ""
        r = cli("serve", "status", "--url", "http://127.0.0.1:9", "--token-file", str(tok))
        assert r.exit_code == 1 and "--url" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        r = cli("serve", "halt", *base, "--reason", "cron halt", "--json")
        assert r.exit_code == 0 and json.loads(r.stdout) == {"state": "HALTED", "killed": False}
        r = cli("serve", "resume", *base, "--reason", "cron resume", "--json")
        assert r.exit_code == 0 and json.loads(r.stdout)["state"] == "ACTIVE"
        api = ApiClient(url, token=TOKEN)
        manual = api.request("POST", "/api/v1/orders", {"symbol": "PRISM", "qty": 7, "reason": "e2e manual"})
        assert manual["client_id"].startswith("c1-")
        _wait("a position to flatten", lambda: any(x["qty"] != 0 for x in api.request("GET", "/api/v1/positions")))
        r = cli("serve", "kill", *base, "--json", input="kill\n")  # not the typed confirmation
        assert r.exit_code == 2 and "not confirmed" in r.stderr and status()["killed"] is False
        r = cli("serve", "kill", *base, "--reason", "e2e kill", "--json", input="KILL\n")
        assert r.exit_code == 0, r.output
        # (CliRunner echoes the typed input on stdout; a terminal shows it on the terminal)
        killed = json.loads(r.stdout.splitlines()[-1])
        assert killed["killed"] is True and killed["flatten"] and status()["killed"] is True
        flat = lambda: all(x["qty"] == 0 for x in api.request("GET", "/api/v1/positions")) and not api.orders()  # noqa: E731
        _wait("flat with nothing working", flat)
        assert cli("serve", "resume", *base).exit_code == 2  # latched
        r = cli("serve", "orders", *base, "--scope", "all", "--json")  # nothing changes any more: the
        assert json.loads(r.stdout) == json.loads(dumps(clean(api.orders("all"))))  # library gives the CLI's JSON
    finally:
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=60)
        err.close()
    assert p.returncode == 0
    summary = json.loads(out)
    assert summary["kill_switch"] is True and summary["state"] == "halted"
    records, _ = scan((home / "live" / "c1" / "journal.log").read_bytes())
    actions = [(x["actor"], x["action"], x["reason"]) for x in records if x["kind"] == "action"]
    assert actions == [
        ("api:127.0.0.1", "halted", "cron halt"),
        ("api:127.0.0.1", "active", "cron resume"),
        ("api:127.0.0.1", "order", "e2e manual"),
        ("api:127.0.0.1", "kill", "e2e kill"),
    ]
    # the latch holds across a restart of the run
    r = cli("serve", "--strategy", "sma_cross:fast=2,slow=5", "--venue", venue_url, "--bar-seconds", "20",
            "--run-id", "c1", "--no-lake", "--bars", "2", "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    again = json.loads(r.stdout)
    assert again["kill_switch"] is True and again["orders"] == summary["orders"]
