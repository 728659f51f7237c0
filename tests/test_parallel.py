from __future__ import annotations

import math

import pytest

from trade2026.errors import ConfigError
from trade2026.parallel import run_tasks


def task(x: int) -> tuple[int, float]:
    """A small CPU task whose result depends only on its argument."""
    return x, sum(math.sin(i * x) for i in range(2000))


def test_serial_and_processes_agree() -> None:
    items = list(range(12))
    serial = run_tasks(task, items)
    assert [r[0] for r in serial] == items
    assert run_tasks(task, items, executor="processes", max_workers=2) == serial


@pytest.mark.slow
def test_ray_local_cluster_matches_serial() -> None:
    pytest.importorskip("ray")
    items = list(range(10))
    assert run_tasks(task, items, executor="ray", max_workers=2) == run_tasks(task, items)


def test_errors_and_empty() -> None:
    assert run_tasks(task, []) == []
    with pytest.raises(ConfigError, match="unknown executor"):
        run_tasks(task, [1], executor="threads")
    with pytest.raises(ConfigError, match="max_workers"):
        run_tasks(task, [1], executor="processes", max_workers=0)


def test_unreachable_ray_address_fails_within_seconds() -> None:
    pytest.importorskip("ray")
    import socket
    import time

    with socket.socket() as s:  # a port nobody listens on (bound, never listening)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        t0 = time.monotonic()
        with pytest.raises(ConfigError, match="no Ray cluster answers at ray_address") as info:
            run_tasks(task, [1], executor="ray", ray_address=f"127.0.0.1:{port}")
    assert info.value.option == "ray_address"
    assert time.monotonic() - t0 < 30  # bounded, not Ray's minutes of retries (a guard, not a timing claim)


SLEEPER = """
import sys, time
sys.path.insert(0, {root!r})
from trade2026.parallel import run_tasks
from tests.test_parallel import write_pid_and_sleep
run_tasks(write_pid_and_sleep, [{d!r} + "/a", {d!r} + "/b"], executor="processes", max_workers=2)
"""


def write_pid_and_sleep(path: str) -> None:
    import os
    import time

    with open(path, "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(120)


@pytest.mark.slow
def test_workers_exit_when_the_parent_is_killed(tmp_path) -> None:
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[1])
    parent = subprocess.Popen([sys.executable, "-c", SLEEPER.format(root=root, d=str(tmp_path))], cwd=root)
    try:
        deadline = time.monotonic() + 60
        pids: list[int] = []
        while time.monotonic() < deadline and len(pids) < 2:
            pids = [int(p.read_text()) for p in tmp_path.iterdir() if p.read_text()]
            time.sleep(0.1)
        assert len(pids) == 2, "the workers never started"
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 20
        alive = pids
        while alive and time.monotonic() < deadline:
            alive = [p for p in pids if _alive(p)]
            time.sleep(0.1)
        assert not alive, f"workers {alive} outlived their killed parent"
    finally:
        parent.kill()


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
