"""The lake on an S3-compatible object store: moto's server on 127.0.0.1, started and stopped here.

Every lake command runs as a subprocess with only environment settings (``T26_LAKE=s3://...``,
``AWS_ENDPOINT_URL``, ``AWS_ALLOW_HTTP``, keys), as a user would configure it (issue 16).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow
moto_server = pytest.importorskip("moto.server")
BUCKET = "t26-lake"


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, str]]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }
    import boto3

    boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=BUCKET)
    try:
        yield env
    finally:
        server.stop()


def t26(env: dict[str, str], home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "T26_HOME": str(home), "MLFLOW_DISABLE_TELEMETRY": "true"}
    cmd = [sys.executable, "-m", "commands.main", *args]
    root = Path(__file__).resolve().parents[2]
    return subprocess.run(cmd, env=full, capture_output=True, text=True, timeout=timeout, cwd=root)


def _csv(path: Path, tag: str, n: int) -> Path:
    rows = ["date,symbol,open,high,low,close,volume"]
    rows += [
        f"{2001 + i // 300}-{1 + (i // 25) % 12:02d}-{1 + i % 25:02d},{tag}{i % 7},10,11,9,10.5,100" for i in range(n)
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_every_lake_command_works_on_the_object_store(s3: dict[str, str], tmp_path: Path) -> None:
    env = {**s3, "T26_LAKE": f"s3://{BUCKET}/lake-a"}
    home = tmp_path / "home"
    r = t26(env, home, "data", "sample", "--symbols", "4", "--years", "1", "--intraday-symbols", "1",
            "--intraday-days", "1", "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert not (home / "lake").exists()  # nothing went to the local disk
    listing = json.loads(t26(env, home, "data", "ls", "--json").stdout)
    assert {t["table"] for t in listing} == {"bars_1d", "bars_1m", "ticks", "symbols"}
    n = json.loads(t26(env, home, "sql", "SELECT count(*) AS n FROM bars_1d", "--json").stdout)[0]["n"]
    assert n == next(t["rows"] for t in listing if t["table"] == "bars_1d")
    f = _csv(tmp_path / "mine.csv", "MINE", 50)
    assert t26(env, home, "data", "ingest", str(f), "--json").returncode == 0
    hist = json.loads(t26(env, home, "data", "history", "bars_1d", "--json").stdout)
    assert [h["version"] for h in hist][:2] == [1, 0]
    old = json.loads(t26(env, home, "data", "show", "bars_1d", "--version", "0", "--limit", "0", "--json").stdout)
    assert len(old) == n  # time travel: version 0 is the sample alone
    r = t26(env, home, "data", "compact", "bars_1d", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["files_removed"] >= 2
    r = t26(env, home, "data", "vacuum", "bars_1d", "--dry-run", "--retention-hours", "0", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["files"] >= 2


def test_concurrent_writers_into_one_table_lose_no_commit(s3: dict[str, str], tmp_path: Path) -> None:
    env = {**s3, "T26_LAKE": f"s3://{BUCKET}/lake-b"}
    files = [_csv(tmp_path / f"w{j}.csv", f"W{j}_", 150) for j in range(3)]
    home = tmp_path / "home"
    for _round in range(2):  # the first round races on creating the table, the second on merging
        full = {**os.environ, **env, "T26_HOME": str(home)}
        root = Path(__file__).resolve().parents[2]
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "commands.main", "data", "ingest", str(f), "--json"],
                env=full,
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for f in files
        ]
        for p in procs:
            _out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
    rows = json.loads(
        t26(env, home, "sql", "SELECT count(*) AS n, count(DISTINCT symbol) AS s FROM bars_1d", "--json").stdout
    )
    assert rows == [{"n": 3 * 150, "s": 3 * 7}]  # every row once, nothing lost, nothing doubled


def test_a_wrong_endpoint_fails_in_seconds_naming_the_setting(tmp_path: Path) -> None:
    with socket.socket() as s:  # bound, never listening: connections are refused
        s.bind(("127.0.0.1", 0))
        env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{s.getsockname()[1]}", "AWS_ALLOW_HTTP": "true",
               "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_REGION": "us-east-1",
               "T26_LAKE": f"s3://{BUCKET}/lake"}  # fmt: skip
        t0 = time.monotonic()
        for args in (("data", "ls"), ("data", "show", "bars_1d")):
            r = t26(env, tmp_path / "home", *args)
            assert r.returncode == 2 and "AWS_ENDPOINT_URL" in r.stderr, r.stderr
            assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert time.monotonic() - t0 < 60  # the object store alone retries for minutes (a bound, not a timing claim)


def test_store_errors_name_the_credentials() -> None:
    from trade2026.errors import ConfigError, LakeError
    from trade2026.lake._lake import _store_error

    err: Any = _store_error("s3://b/l", OSError("Generic S3 error: 403 Forbidden: InvalidAccessKeyId"))
    assert isinstance(err, ConfigError) and "AWS_ACCESS_KEY_ID" in str(err)
    assert isinstance(_store_error("s3://b/l", OSError("timeout")), LakeError)


def test_prism_runs_are_one_transaction_on_the_object_store(s3: dict[str, str], tmp_path: Path) -> None:
    """PRISM's eight tables are written in one lake transaction; its undo record lives next to the
    tables on the store and is gone once the run completes; a rerun replaces the symbol's rows."""
    import boto3

    env = {**s3, "T26_LAKE": f"s3://{BUCKET}/lake-prism"}
    home = tmp_path / "home"
    small = ("sim", "prism", "--agents", "mm=2,noise=6,value=3,momentum=2", "--session", "30m", "--days", "1")
    for seed in ("1", "2"):
        r = t26(env, home, *small, "--seed", seed, "--no-track", "--json")
        assert r.returncode == 0, r.stderr
    runs = json.loads(t26(env, home, "sql", "SELECT symbol, run_id, status FROM prism_runs", "--json").stdout)
    assert len(runs) == 1 and runs[0]["status"] == "complete"
    ids = json.loads(t26(env, home, "sql", "SELECT DISTINCT run_id FROM ticks_prism", "--json").stdout)
    assert [i["run_id"] for i in ids] == [runs[0]["run_id"]]
    client = boto3.client(
        "s3",
        endpoint_url=s3["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="lake-prism/").get("Contents", [])]
    assert any("/_delta_log/" in k for k in keys)
    assert not [k for k in keys if "/_t26_txn/" in k and k.endswith(".json")]


def test_research_commands_and_lake_slices_read_the_object_store(s3: dict[str, str], tmp_path: Path) -> None:
    """Commands that read the lake work there too, and sweep workers (spawned processes) read a
    LakeSlice of an s3:// lake with the storage options from their own environment."""
    env = {**s3, "T26_LAKE": f"s3://{BUCKET}/lake-c"}
    home = tmp_path / "home"
    args = ("data", "sample", "--symbols", "3", "--years", "2", "--intraday-symbols", "0")
    assert t26(env, home, *args).returncode == 0
    r = t26(env, home, "backtest", "sma_cross:fast=5,slow=20", "--grid", "fast=5:10:5,slow=20:40:20", "--no-track",
            "--json")  # fmt: skip
    assert r.returncode == 0 and json.loads(r.stdout)["n_bars"] > 400, r.stderr
    r = t26(env, home, "screen", "close > 0", "--json")
    assert r.returncode == 0 and len(json.loads(r.stdout)["rows"]) == 3, r.stderr

    # In a process of its own: deltalake holds the GIL while it calls the moto server's thread in this one.
    code = """if True:
        import os, numpy as np
        from trade2026.backtest import run_sweep
        from trade2026.lake import Lake, LakeSlice
        lake = Lake(root=os.environ["T26_LAKE"])
        source = LakeSlice.of(lake, "bars_1d")
        assert source.storage_options == ()  # no credential inside the task: the workers' environment has them
        grid = "fast=5:30:5,slow=20:80:20"
        serial = run_sweep(lake.read_bars("bars_1d"), "sma_cross", grid)
        remote = run_sweep(source, "sma_cross", grid, executor="processes", max_workers=2)
        np.testing.assert_array_equal(remote.returns, serial.returns)
        print("equal", serial.n_trials)
    """
    full = {**os.environ, **env, "T26_HOME": str(home)}
    root = Path(__file__).resolve().parents[2]
    r = subprocess.run([sys.executable, "-c", code], env=full, cwd=root, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.split() == ["equal", "21"], r.stderr[-2000:]


def test_bad_credentials_exit_2_naming_the_keys(tmp_path: Path) -> None:
    """A server that checks keys (moto with authentication on, its own process): wrong keys are a
    one-line exit 2 naming AWS_ACCESS_KEY_ID, for reads, listings and writes alike."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ALLOW_HTTP": "true",
               "AWS_ACCESS_KEY_ID": "wrong", "AWS_SECRET_ACCESS_KEY": "wrong", "AWS_REGION": "us-east-1",
               "T26_LAKE": f"s3://{BUCKET}/lake"}  # fmt: skip
        sample = ("data", "sample", "--symbols", "2", "--years", "1", "--intraday-symbols", "0")
        for args in (("data", "ls"), ("data", "show", "bars_1d"), ("sql", "SELECT 1 AS x FROM bars_1d"), sample):
            r = t26(env, tmp_path / "home", *args)
            err = [line for line in r.stderr.splitlines() if line.startswith("error:")]
            assert r.returncode == 2 and len(err) == 1 and "AWS_ACCESS_KEY_ID" in err[0], (args, r.stderr)
            assert "Traceback" not in r.stderr
    finally:
        srv.terminate()
        srv.wait(30)
