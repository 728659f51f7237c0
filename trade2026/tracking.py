"""MLflow runs for the commands that compute results.

By default runs go to an embedded sqlite store, ``<home>/mlflow.db``, with artifacts under
``<home>/mlartifacts``; ``T26_MLFLOW_URI`` points at a tracking server instead. Telemetry is off.
MLflow is imported only when a run is started or listed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trade2026.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from trade2026.config import Settings

EXPERIMENT = "t26"


def _check_store(settings: Settings, *, write: bool = True) -> None:
    """Fail in seconds, naming the setting, when the tracking store cannot work.

    MLflow retries an HTTP tracking server that is down for minutes, and a sqlite store in a read-only
    home for as long; a TCP connect and a write check tell at once.
    """
    from urllib.parse import urlsplit

    uri = settings.tracking_uri
    if uri.startswith(("http://", "https://")):
        from trade2026._net import unreachable

        parts = urlsplit(uri)
        why = unreachable(parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80))
        if why:
            msg = (
                f"the MLflow tracking server at {uri} does not answer ({why}); start it, point "
                "T26_MLFLOW_URI at a running server, or turn tracking off"
            )
            raise ConfigError(msg, option="no_track")
    elif uri.startswith("sqlite:///") and write:
        db = Path(uri.removeprefix("sqlite:///"))
        try:
            db.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"cannot create the home {db.parent} for MLflow's database ({exc.strerror}); pick a writable home"
            raise ConfigError(msg, option="home") from None
        try:  # a probe, not os.access: that says yes to root on a read-only file system's neighbours
            with tempfile.TemporaryFile(dir=db.parent):
                pass
            if db.exists():
                with open(db, "r+b"):
                    pass
        except OSError as exc:
            msg = f"MLflow's database {db} is not writable ({exc.strerror}); pick a writable home or turn tracking off"
            raise ConfigError(msg, option="home") from None


def _client(settings: Settings, *, write: bool = True) -> Any:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # A server that dies mid-run fails the request in tens of seconds, not MLflow's minutes.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    _check_store(settings, write=write)
    import logging

    for name in ("alembic", "mlflow", "mlflow.store.db.utils", "mlflow.tracking"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=settings.tracking_uri)


def _experiment_id(client: Any, settings: Settings, name: str) -> str:
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return str(exp.experiment_id)
    location = None
    if settings.tracking_uri.startswith("sqlite:///"):
        settings.artifact_root.mkdir(parents=True, exist_ok=True)
        location = settings.artifact_root.as_uri()
    try:
        return str(client.create_experiment(name, artifact_location=location))
    except Exception:  # a concurrent creator won
        exp = client.get_experiment_by_name(name)
        if exp is None:
            raise
        return str(exp.experiment_id)


class Run:
    """A live MLflow run: log params, metrics and artifacts; ``run_id`` names it."""

    def __init__(self, client: Any, run_id: str) -> None:
        self._client = client
        self.run_id: str | None = run_id

    def log_params(self, params: Mapping[str, Any]) -> None:
        from mlflow.entities import Param

        items = [Param(str(k), str(v)[:6000]) for k, v in params.items()]
        if items:
            self._client.log_batch(self.run_id, params=items)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        import math
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = []
        for k, v in metrics.items():
            try:
                f = float(v)
            except (TypeError, ValueError):
                continue
            if math.isfinite(f):
                items.append(Metric(str(k), f, now, step or 0))
        if items:
            self._client.log_batch(self.run_id, metrics=items)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        for k, v in tags.items():
            self._client.set_tag(self.run_id, str(k), str(v))

    def log_artifact(self, path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        self._client.log_artifact(self.run_id, str(path), artifact_path)

    def log_text(self, text: str, name: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
            self.log_artifact(p, str(Path(name).parent) if Path(name).parent != Path(".") else None)

    def log_dict(self, obj: Any, name: str) -> None:
        from trade2026._json import dumps

        self.log_text(dumps(obj, indent=2), name)


class NullRun:
    """Stands in for a run under ``--no-track``: every call does nothing."""

    run_id: str | None = None

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None


@contextlib.contextmanager
def null_run() -> Iterator[NullRun]:
    yield NullRun()


@contextlib.contextmanager
def start_run(
    name: str,
    *,
    settings: Settings | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    experiment: str = EXPERIMENT,
) -> Iterator[Run]:
    """Start an MLflow run named ``name``; it ends FINISHED, or FAILED if the block raises."""
    from trade2026.config import load_settings

    settings = settings or load_settings()
    client = _client(settings)
    exp_id = _experiment_id(client, settings, experiment)
    all_tags = {"mlflow.runName": name, "t26.command": name, **(tags or {})}
    run = client.create_run(exp_id, run_name=name, tags={k: str(v) for k, v in all_tags.items()})
    handle = Run(client, run.info.run_id)
    if params:
        handle.log_params(params)
    try:
        yield handle
    except BaseException:
        client.set_terminated(handle.run_id, status="FAILED")
        raise
    client.set_terminated(handle.run_id, status="FINISHED")


def _row(run: Any) -> dict[str, Any]:
    info = run.info
    start = dt.datetime.fromtimestamp(info.start_time / 1000, dt.UTC) if info.start_time else None
    end = dt.datetime.fromtimestamp(info.end_time / 1000, dt.UTC) if info.end_time else None
    return {
        "run_id": info.run_id,
        "name": info.run_name,
        "status": info.status,
        "start": start,
        "duration_s": round((end - start).total_seconds(), 3) if start and end else None,
        "metrics": dict(run.data.metrics),
    }


def list_runs(
    settings: Settings | None = None, *, experiment: str = EXPERIMENT, limit: int = 50, name: str | None = None
) -> list[dict[str, Any]]:
    """The newest runs first: id, name, status, start time, duration and metrics."""
    from trade2026.config import load_settings

    settings = settings or load_settings()
    if settings.tracking_uri.startswith("sqlite:///") and not (settings.home / "mlflow.db").exists():
        return []
    client = _client(settings, write=False)
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        return []
    flt = f"attributes.run_name = '{name}'" if name else ""
    runs = client.search_runs(
        [exp.experiment_id], filter_string=flt, max_results=limit, order_by=["attributes.start_time DESC"]
    )
    return [_row(r) for r in runs]


def get_run(run_id: str, settings: Settings | None = None) -> dict[str, Any]:
    """One run in full: params, metrics, tags and artifact paths."""
    from trade2026.config import load_settings

    settings = settings or load_settings()
    client = _client(settings, write=False)
    try:
        run = client.get_run(run_id)
    except Exception as exc:
        msg = f"no MLflow run {run_id!r} in {settings.tracking_uri}; list runs with `t26 runs ls`"
        raise NotFoundError(msg) from exc
    row = _row(run)
    row["params"] = dict(run.data.params)
    row["tags"] = {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")}
    row["artifact_uri"] = run.info.artifact_uri
    row["artifacts"] = [a.path for a in client.list_artifacts(run_id)]
    return row


__all__ = ["EXPERIMENT", "NullRun", "Run", "get_run", "list_runs", "null_run", "start_run"]
