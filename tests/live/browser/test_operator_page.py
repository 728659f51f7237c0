"""The operator page in a real browser: a PRISM venue, ``t26 serve --api`` and headless Debian chromium.

The test drives the page as an operator would (token form, the live panels, a manual limit order
from the order form, the kill switch with its typed confirmation) and then checks the outcome
through three independent sources: the control API, the run's journal on disk, and the venue's own
account. ``T26_DOCS_SCREENSHOT=1`` also writes the screenshot to ``docs/operator_page.png``.
"""

from __future__ import annotations

import collections
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from trade2026.live import PrismClient
from trade2026.live._journal import JOURNAL_FILE, scan

CHROMIUM = shutil.which("chromium") or next((p for p in ("/usr/bin/chromium",) if os.access(p, os.X_OK)), None)
if CHROMIUM is None:
    pytest.skip(
        "no chromium binary on PATH or at /usr/bin/chromium (Debian's chromium package; .ci/run installs it)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (a dev extra) drives the browser")

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
RUN_ID = "page1"
WAIT_MS = 60_000  # each wait in the browser; the whole test is bounded by these and DEADLINE_S
DEADLINE_S = 60.0
HOLDS_A_POSITION = (
    "() => [...document.querySelectorAll('#positions tbody tr')]"
    ".some(r => r.cells.length > 1 && !['0', '—'].includes(r.cells[1].textContent))"
)


def _until(what: str, ok: Callable[[], Any], timeout: float = DEADLINE_S) -> Any:
    end = time.monotonic() + timeout
    while True:
        got = ok()
        if got:
            return got
        if time.monotonic() > end:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def served(venue_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``t26 serve --api`` on the venue, in a tmp home, with a token file; stopped at the end."""
    home = tmp_path / "home"
    token = secrets.token_urlsafe(32)
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    risk = tmp_path / "risk.toml"
    risk.write_text("max_order_qty = 50000\nmax_position = 60000\nmax_gross = 8000000\nrate_per_s = 20\nburst = 20\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "T26_HOME": str(home)}
    env.pop("T26_API_TOKEN", None)
    cmd = [
        sys.executable, "-m", "commands.main", "serve", "--strategy", "sma_cross:fast=2,slow=5,short=1",
        "--venue", venue_url, "--bar-seconds", "20", "--run-id", RUN_ID, "--risk", str(risk), "--no-lake",
        "--api", "--port", "0", "--token-file", str(token_file),
    ]  # fmt: skip
    p = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    log: collections.deque[str] = collections.deque(maxlen=200)
    found: list[str] = []
    listening = threading.Event()

    def drain() -> None:  # reads stderr to its end (a full pipe would stall the process)
        assert p.stderr is not None
        for line in p.stderr:
            log.append(line)
            m = re.search(r"control API on (http://[\d.]+:\d+)", line)
            if m and not found:
                found.append(m.group(1))
                listening.set()
        listening.set()  # the process ended

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        listening.wait(DEADLINE_S)
        assert found, "t26 serve --api did not start:\n" + "".join(log)
        url = found[0]
        yield {"url": url, "token": token, "run_dir": home / "live" / RUN_ID, "process": p, "log": log}
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        reader.join(timeout=5)
        if p.stderr is not None:
            p.stderr.close()


def _journal(run_dir: Path) -> list[dict[str, Any]]:
    """Every record of the run's journal, read without opening it for writing (a snapshot never
    removes records from the file)."""
    records, end = scan((run_dir / JOURNAL_FILE).read_bytes())
    assert end == (run_dir / JOURNAL_FILE).stat().st_size and [r["seq"] for r in records] == list(
        range(1, len(records) + 1)
    )
    return records


def test_operator_page_shows_the_run_and_its_kill_switch_flattens_and_latches(
    served: dict[str, Any], venue_url: str, tmp_path: Path
) -> None:
    base, token = served["url"], served["token"]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10) as api:
        manual = _drive_the_page(api, base, token, tmp_path)
        _check_the_api(api, manual)
    _check_the_journal_and_venue(served, venue_url, manual)


def _drive_the_page(api: httpx.Client, base: str, token: str, tmp_path: Path) -> str:
    """Operate the page; returns the client id of the manual limit order it placed."""
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            errors: list[str] = []

            def console(m: Any) -> None:  # a CSP violation or a script error (not the expected 401 and 422)
                if m.type == "error" and "Failed to load resource" not in m.text:
                    errors.append(m.text)

            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", console)
            page.goto(base + "/")

            # a wrong token is refused by the API and the page says so
            page.get_by_label("API token").fill("not-the-token-" + "x" * 30)
            page.get_by_role("button", name="Connect").click()
            sync_api.expect(page.locator("#login-error")).to_contain_text("refused")

            page.get_by_label("API token").fill(token)
            page.get_by_role("button", name="Connect").click()
            sync_api.expect(page.locator("#stream")).to_contain_text("live")
            # the strategy trades: a position and fills appear through the live updates
            page.wait_for_function(HOLDS_A_POSITION)
            page.wait_for_function("() => document.querySelectorAll('#fills tbody tr td.num').length > 0")
            sync_api.expect(page.locator("#feed")).to_contain_text("connected")
            sync_api.expect(page.locator("#reconciled")).to_contain_text("done")

            # a manual order above max_order_qty is denied by risk: the page shows why, and the reject by reason
            page.get_by_label("Symbol").fill("PRISM")
            page.get_by_label("Qty (signed)").fill("90000")
            page.get_by_role("button", name="Send").click()
            sync_api.expect(page.locator("#message")).to_contain_text("max_order_qty")
            sync_api.expect(page.locator("#rejects")).to_contain_text("max_order_qty")

            # a manual limit buy far below the market rests: it shows as a working order with its cancel button
            mark = next(p["mark"] for p in api.get("/api/v1/positions").json() if p["symbol"] == "PRISM")
            page.get_by_label("Qty (signed)").fill("1")
            page.get_by_label("Limit").fill(f"{round(mark * 0.8, 2)}")
            page.get_by_role("button", name="Send").click()
            manual = _until(
                "the manual order to be working",
                lambda: [o for o in api.get("/api/v1/orders", params={"scope": "working"}).json() if o["limit"]],
            )[0]["client_id"]
            sync_api.expect(page.get_by_role("button", name=f"Cancel order {manual}")).to_be_visible()
            page.wait_for_function("() => document.querySelector('#chart svg path.eq') !== null")
            page.wait_for_function(HOLDS_A_POSITION)  # long or short (short=1): the kill has something to flatten
            shot = page.screenshot(path=str(tmp_path / "operator_page.png"))
            if os.environ.get("T26_DOCS_SCREENSHOT") == "1":
                (REPO / "docs").mkdir(exist_ok=True)
                (REPO / "docs" / "operator_page.png").write_bytes(shot)

            # the kill switch: the button stays disabled until KILL is typed
            page.get_by_role("button", name="Kill switch…").click()
            go = page.get_by_role("button", name="Kill: cancel all, flatten, latch")
            page.get_by_label("Reason", exact=True).fill("browser test kill")
            page.get_by_label("Type KILL to confirm").fill("kill")
            sync_api.expect(go).to_be_disabled()
            page.get_by_label("Type KILL to confirm").fill("KILL")
            go.click()
            sync_api.expect(page.locator("#killed")).to_be_visible()
            sync_api.expect(page.locator("#state")).to_have_text("HALTED")
            page.screenshot(path=str(tmp_path / "operator_page_killed.png"))

            # the token never left the page's memory
            storage = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
            assert storage == [0, 0, ""] and context.cookies() == [] and token not in page.url
            assert errors == []
        finally:
            browser.close()
    return str(manual)


def _check_the_api(api: httpx.Client, manual: str) -> None:
    """Latched, nothing working, the manual order canceled, flat."""
    state = api.get("/api/v1/state").json()
    assert state["killed"] is True and state["state"] == "HALTED"
    _until("every order to be done", lambda: api.get("/api/v1/orders", params={"scope": "working"}).json() == [])
    done = {o["client_id"]: o for o in api.get("/api/v1/orders", params={"scope": "all"}).json()}
    assert done[manual]["status"] == "canceled"
    _until("the positions to be flat", lambda: all(p["qty"] == 0 for p in api.get("/api/v1/positions").json()))


def _check_the_journal_and_venue(served: dict[str, Any], venue_url: str, manual: str) -> None:
    """Stop the process, then read what it journaled and what the venue holds for the run."""
    p = served["process"]
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=30) == 0, "".join(served["log"])
    records = _journal(served["run_dir"])
    kills = [r for r in records if r["kind"] == "state" and r["killed"]]
    assert kills and "browser test kill" in str(kills[0]["reason"]) and kills[-1]["state"] == "halted"
    assert not [r for r in records if r["kind"] == "state" and not r["killed"] and r["seq"] > kills[0]["seq"]]
    # who and why: each action the page took is journaled before it acts, with the API client and the reason
    actions = [(r["action"], r["actor"], r["reason"]) for r in records if r["kind"] == "action"]
    assert [a for a, _, _ in actions].count("order") == 2, actions  # the denied one and the resting one
    kill_action = next(r for r in records if r["kind"] == "action" and r["action"] == "kill")
    assert kill_action["seq"] < kills[0]["seq"] and kill_action["reason"] == "browser test kill"
    assert all(who.startswith("api:127.0.0.1") for _, who, _ in actions), actions
    events = {(r["client_id"], r["event"]) for r in records if r["kind"] == "event"}
    assert {(manual, "cancel_request"), (manual, "canceled")} <= events, sorted(e for e in events if e[0] == manual)
    held: collections.Counter[str] = collections.Counter()
    at_kill: dict[str, float] = {}
    for r in records:
        if r is kills[0]:
            at_kill = {s: q for s, q in held.items() if q}
        if r["kind"] == "fill":
            held[r["fill"]["symbol"]] += r["fill"]["qty"]
    assert held and all(abs(q) < 1e-9 for q in held.values()), held
    flatten = [r for r in records if r["kind"] == "intent" and r["seq"] > kills[0]["seq"]]
    assert {r["symbol"] for r in flatten} >= set(at_kill), (at_kill, flatten)  # the kill's own orders
    client = PrismClient(venue_url)
    try:
        assert all(q == 0 for q in client.balances(RUN_ID)["positions"].values())
    finally:
        client.close()
