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
