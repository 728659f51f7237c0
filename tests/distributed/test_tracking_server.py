"""Runs, metrics, artifacts and registered models on an MLflow tracking server (``T26_MLFLOW_URI``)
that this test starts on 127.0.0.1 and stops (issue 16)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    cmd = [
        sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
        "--backend-store-uri", f"sqlite:///{base / 'server.db'}", "--artifacts-destination", str(base / "artifacts"),
        "--workers", "1",
    ]  # fmt: skip
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    log = open(base / "server.log", "w")  # noqa: SIM115 (closed below, after the server stops)
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"mlflow server exited: {(base / 'server.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("mlflow server did not start within 90 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def t26(url: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "T26_HOME": str(home), "T26_MLFLOW_URI": url, "MLFLOW_DISABLE_TELEMETRY": "true"}
    return subprocess.run(
        [sys.executable, "-m", "commands.main", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_runs_metrics_artifacts_and_models_land_on_the_server(server: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert (
        t26(server, home, "data", "sample", "--symbols", "4", "--years", "2", "--intraday-symbols", "0").returncode == 0
    )
    report = tmp_path / "bt.html"
    r = t26(server, home, "backtest", "sma_cross:fast=10,slow=30", "--report", str(report), "--json")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("{"), r.stdout[:500]  # --json: the result and nothing else
    run_id = json.loads(r.stdout)["run_id"]
    assert not (home / "mlflow.db").exists()  # nothing tracked locally

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=server)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and "sharpe" in run.data.metrics
    assert any(a.path.endswith(".html") for a in client.list_artifacts(run_id))
    r = t26(server, home, "runs", "show", run_id, "--json")
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["run_id"] == run_id and shown["metrics"]["sharpe"] == run.data.metrics["sharpe"]

    from trade2026 import tracking
    from trade2026.config import load_settings

    os.environ["T26_MLFLOW_URI"] = server
    try:
        settings = load_settings(home)
        with tracking.start_run("model", settings=settings) as mrun:
            (tmp_path / "model").mkdir()
            (tmp_path / "model" / "weights.txt").write_text("1 2 3")
            mrun.log_artifacts(tmp_path / "model", "model")
        version = tracking.register_model(
            mrun.run_id, "model", "t26-server-check", aliases=["champion"], settings=settings
        )
    finally:
        del os.environ["T26_MLFLOW_URI"]
    assert int(version["version"]) == 1
    assert client.get_model_version_by_alias("t26-server-check", "champion").run_id == mrun.run_id


def test_a_server_that_accepts_but_never_answers_fails_in_seconds(tmp_path: Path) -> None:
    """A TCP port that accepts connections and never replies (a hung server, a wrong service): the
    connect check alone passes, and MLflow would wait and retry for minutes."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)  # the kernel completes the handshakes; nobody ever reads or writes
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        home = tmp_path / "home"
        assert (
            t26(url, home, "data", "sample", "--symbols", "2", "--years", "1", "--intraday-symbols", "0").returncode
            == 0
        )
        t0 = time.monotonic()
        r = t26(url, home, "backtest", "sma_cross:fast=5,slow=20", "--json")
        assert r.returncode == 2 and "T26_MLFLOW_URI" in r.stderr and "--no-track" in r.stderr, r.stderr
        assert time.monotonic() - t0 < 60  # without the answer check: over a minute (a bound, not a timing claim)
