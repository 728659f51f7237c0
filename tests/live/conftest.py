"""Fixtures of the live tests: a PRISM venue in its own process on 127.0.0.1."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def venue_url() -> Iterator[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, "-m", "commands.main", "sim", "venue", "--port", "0", "--speed", "300", "--days", "40"]
    p = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    assert p.stderr is not None
    deadline = time.monotonic() + 60
    url = None
    while time.monotonic() < deadline:
        line = p.stderr.readline()
        m = re.search(r"listening on ([\d.]+):(\d+)", line)
        if m:
            url = f"prism://{m.group(1)}:{m.group(2)}"
            break
        if not line and p.poll() is not None:
            break
    assert url, "the venue did not start"
    try:
        yield url
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        p.stderr.close()
