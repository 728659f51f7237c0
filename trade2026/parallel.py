"""One way to fan out work: ``serial``, local ``processes``, or a ``ray`` cluster.

Parameter sweeps, walk-forward windows, CV folds and simulation seeds all go through
:func:`run_tasks`, so a user moves from a laptop to a cluster by changing ``--executor``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from trade2026.errors import ConfigError, DependencyError, T26Error

T = TypeVar("T")
R = TypeVar("R")
EXECUTORS = ("serial", "processes", "ray")


def _progress(total: int, description: str, enabled: bool) -> Any:
    if not (enabled and sys.stderr.isatty()):
        return None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    bar.start()
    task = bar.add_task(description or "tasks", total=total)
    return bar, task


def run_tasks(
    fn: Callable[[T], R],
    tasks: Iterable[T],
    *,
    executor: str = "serial",
    ray_address: str | None = None,
    max_workers: int | None = None,
    progress: bool = False,
    description: str = "",
) -> list[R]:
    """Apply ``fn`` to every task and return the results in task order.

    Parameters
    ----------
    fn : callable
        A picklable top-level function of one argument (processes and Ray ship it to workers).
    tasks : iterable
        The task arguments.
    executor : {"serial", "processes", "ray"}
        Where to run: in this process, in a local process pool (spawned, so safe with polars and
        numba threads), or on Ray (``ray_address`` of a cluster, or a local Ray started with
        ``max_workers`` CPUs and shut down afterwards).
    max_workers : int, optional
        Pool size; defaults to the number of CPUs.
    progress : bool
        Show a progress bar on stderr when it is a terminal.
    """
    items: Sequence[T] = list(tasks)
    if executor not in EXECUTORS:
        msg = f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}"
        raise ConfigError(msg)
    if max_workers is not None and max_workers < 1:
        msg = f"max_workers must be >= 1, got {max_workers}"
        raise ConfigError(msg)
    if not items:
        return []
    bar = _progress(len(items), description, progress)
    try:
        if executor == "serial":
            out = []
            for item in items:
                out.append(fn(item))
                if bar:
                    bar[0].advance(bar[1])
            return out
        if executor == "processes":
            return _processes(fn, items, max_workers, bar)
        return _ray(fn, items, ray_address, max_workers, bar)
    finally:
        if bar:
            bar[0].stop()


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: a daemon thread ends the worker as soon as its parent is gone.

    A parent killed with SIGKILL cannot tell its pool to stop; without this, spawned workers run on
    (or wait) for minutes. When the parent dies the worker is re-parented, so ``getppid`` changes.
    """
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="t26-parent-watch", daemon=True).start()


def _processes(fn: Callable[[T], R], items: Sequence[T], max_workers: int | None, bar: Any) -> list[R]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    workers = min(max_workers or os.cpu_count() or 1, len(items))
    results: list[Any] = [None] * len(items)
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("spawn"),
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
            if bar:
                bar[0].advance(bar[1])
    return results


def _check_reachable(address: str) -> None:
    """Fail within seconds when a ``host:port`` (or ``ray://host:port``) Ray address does not answer.

    ``ray.init`` on an address nobody listens at retries for minutes; a TCP connect tells at once.
    ``auto`` and addresses without a port are left to Ray.
    """
    from trade2026._net import unreachable

    host, sep, port = address.split("://", 1)[-1].rpartition(":")
    if not sep or not port.isdigit():
        return
    why = unreachable(host, int(port))
    if why:
        msg = (
            f"no Ray cluster answers at ray_address {address!r} ({why}); start one with "
            "`ray start --head`, fix the address, or use another executor"
        )
        raise ConfigError(msg, option="ray_address")


def _ray(fn: Callable[[T], R], items: Sequence[T], address: str | None, max_workers: int | None, bar: Any) -> list[R]:
    try:
        import ray
    except ImportError as exc:
        msg = "the ray executor needs Ray: pip install 'trade2026[distributed]'"
        raise DependencyError(msg) from exc
    if address and not ray.is_initialized():
        _check_reachable(address)
    with _RAY_LOCK:  # fan-outs from several threads share one Ray session; the last one out ends it
        if not ray.is_initialized():
            _init_ray(ray, address, max_workers)
            _RAY_STATE["owned"] = True
        _RAY_STATE["users"] += 1
    try:
        remote = ray.remote(fn)
        refs = [remote.remote(item) for item in items]
        index = {ref: i for i, ref in enumerate(refs)}
        results: list[Any] = [None] * len(items)
        pending = list(refs)
        finished = 0
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                try:
                    results[index[ref]] = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:  # the task itself raised: as it would serially
                    if isinstance(exc.cause, Exception):
                        raise exc.cause from exc
                    raise
                except ray.exceptions.RayError as exc:  # the cluster lost the task beyond Ray's retries
                    for other in pending:
                        with contextlib.suppress(Exception):  # the error below is what matters
                            ray.cancel(other, force=True)
                    raise _lost(exc, finished, len(items), address) from exc
                finished += 1
                if bar:
                    bar[0].advance(bar[1])
        return results
    finally:
        with _RAY_LOCK:
            _RAY_STATE["users"] -= 1
            if _RAY_STATE["users"] == 0 and _RAY_STATE["owned"]:
                _RAY_STATE["owned"] = False
                ray.shutdown()


_RAY_LOCK = threading.Lock()
_RAY_STATE = {"users": 0, "owned": False}  # run_tasks calls on Ray now, and whether they started it


def _init_ray(ray: Any, address: str | None, max_workers: int | None) -> None:
    kwargs: dict[str, Any] = {
        "ignore_reinit_error": True,
        "include_dashboard": False,
        "log_to_driver": False,
        "logging_level": "ERROR",
    }
    if address:
        ray.init(address=address, **kwargs)
        return
    # Workers of a local Ray inherit the environment: give them the driver's import path
    # so functions from scripts, notebooks' folders and test modules resolve there too.
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([*paths, *([old] if old else [])])
    try:
        ray.init(num_cpus=max_workers or os.cpu_count() or 1, **kwargs)
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def _lost(exc: BaseException, finished: int, total: int, address: str | None) -> T26Error:
    """The one-line error for work a Ray cluster lost (a node or worker died, an object was lost)."""
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    where = f"the Ray cluster at {address}" if address else "the local Ray"
    msg = (
        f"{where} lost a task ({type(exc).__name__}: {first}) after {finished} of {total} tasks finished; "
        "no result was returned or written. Rerun (Ray already retried the task), check the cluster's "
        "nodes (`ray status`), or use another executor"
    )
    return T26Error(msg)


__all__ = ["EXECUTORS", "run_tasks"]
