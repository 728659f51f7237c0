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

from trade2026._runs import RETURNS_ARTIFACT  # ts + one column of simple returns per series (Run.log_returns)
from trade2026.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from trade2026._runs import RunComparison
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
        from trade2026._net import silent, unreachable

        parts = urlsplit(uri)
        why = unreachable(parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80))
        why = why or silent(uri.rstrip("/") + "/health")  # connected, but does it answer?
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
    # With a server URI MLflow writes "View run ... at: URL" to stdout when a run ends, which would
    # break --json (stdout holds the result and nothing else); commands print the run id themselves.
    os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
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

    def log_curve(self, name: str, steps: Any, values: Any) -> None:
        """A learning curve: metric ``name`` at each step (non-finite values are skipped)."""
        import math
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [
            Metric(str(name), float(v), now, int(s))
            for s, v in zip(steps, values, strict=True)
            if math.isfinite(float(v))
        ]
        for i in range(0, len(items), 1000):  # MLflow's batch limit
            self._client.log_batch(self.run_id, metrics=items[i : i + 1000])

    def log_artifacts(self, path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        """Log every file of a directory (e.g. a saved model) under ``artifact_path``."""
        self._client.log_artifacts(self.run_id, str(path), artifact_path)

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

    def log_returns(self, ts: Any, returns: Mapping[str, Any]) -> None:
        """Log simple returns per period (``ts`` and one series per name) as the artifact
        :data:`RETURNS_ARTIFACT`, the curves :func:`compare_runs` overlays."""
        from trade2026._runs import returns_csv

        self.log_text(returns_csv(ts, returns), RETURNS_ARTIFACT)


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
    parent_run_id: str | None = None,
    start_time: float | None = None,
) -> Iterator[Run]:
    """Start an MLflow run named ``name``; it ends FINISHED, or FAILED if the block raises.

    ``parent_run_id`` nests it under another run (MLflow's ``mlflow.parentRunId`` tag).
    ``start_time`` (seconds since the epoch, ``time.time()``) dates the run's start when the work
    began before the run was opened, so its duration covers the work (default: now).
    """
    from trade2026.config import load_settings

    settings = settings or load_settings()
    client = _client(settings)
    exp_id = _experiment_id(client, settings, experiment)
    all_tags = {"mlflow.runName": name, "t26.command": name, **(tags or {})}
    if parent_run_id:
        all_tags["mlflow.parentRunId"] = parent_run_id
    started = int(start_time * 1000) if start_time is not None else None
    run = client.create_run(exp_id, start_time=started, run_name=name, tags={k: str(v) for k, v in all_tags.items()})
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
    """One run in full: params, metrics, tags and artifact paths; ``run_id`` may be a unique prefix
    (see :func:`resolve_run_id`)."""
    from trade2026.config import load_settings

    settings = settings or load_settings()
    client = _client(settings, write=False)
    run_id = resolve_run_id(run_id, settings)
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


def resolve_run_id(ref: str, settings: Settings | None = None, *, experiment: str = EXPERIMENT) -> str:
    """The full id of the run whose id is ``ref`` or starts with it.

    Raises NotFoundError when no run matches and InputError (listing the candidates) when several
    do, so a prefix as short as ``t26 runs ls`` shows is enough while it is unique.
    """
    from trade2026._runs import match_prefix
    from trade2026.config import load_settings

    settings = settings or load_settings()
    ref = ref.strip()
    if len(ref) == 32 or not ref:  # a full id (or nothing to match): MLflow answers for it
        return ref
    client = _client(settings, write=False)
    from mlflow.entities import ViewType

    exp = client.get_experiment_by_name(experiment)
    ids: list[str] = []
    token = None
    while exp is not None:
        page = client.search_runs(
            [exp.experiment_id], max_results=1000, page_token=token, run_view_type=ViewType.ACTIVE_ONLY
        )
        ids += [r.info.run_id for r in page]
        token = page.token
        if not token:
            break
    return match_prefix(ref, ids, settings.tracking_uri)


def compare_runs(run_ids: list[str], settings: Settings | None = None) -> RunComparison:
    """Runs side by side (:class:`trade2026._runs.RunComparison`): metrics and params of each run
    (ids may be unique prefixes) and the equity of the return series they logged
    (:meth:`Run.log_returns`); ``to_dict()`` is ``t26 runs compare --json``."""
    from trade2026._runs import compare
    from trade2026.config import load_settings

    settings = settings or load_settings()
    return compare(_client(settings, write=False), [get_run(r, settings) for r in run_ids])


# -- the model registry ------------------------------------------------------------------------


def _version_row(mv: Any) -> dict[str, Any]:
    return {
        "name": mv.name,
        "version": int(mv.version),
        "run_id": mv.run_id,
        "source": mv.source,
        "aliases": sorted(mv.aliases or []),
        "tags": dict(mv.tags or {}),
        "created": dt.datetime.fromtimestamp(mv.creation_timestamp / 1000, dt.UTC) if mv.creation_timestamp else None,
    }


def register_model(
    run_id: str,
    artifact_path: str,
    name: str,
    *,
    aliases: tuple[str, ...] | list[str] = (),
    tags: Mapping[str, Any] | None = None,
    model_tags: Mapping[str, Any] | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Register the artifact ``artifact_path`` of run ``run_id`` as a new version of model ``name``.

    The registered model is created on first use (with ``model_tags``); ``tags`` go on the version,
    and each alias in ``aliases`` is moved to it. Returns the version's row (name, version, run_id,
    source, aliases, tags, created).
    """
    from trade2026.config import load_settings

    settings = settings or load_settings()
    client = _client(settings)
    try:
        client.get_registered_model(name)
    except Exception:
        try:
            client.create_registered_model(name, tags={k: str(v) for k, v in (model_tags or {}).items()})
        except Exception:  # a concurrent creator won
            client.get_registered_model(name)
    source = f"{client.get_run(run_id).info.artifact_uri}/{artifact_path}"
    mv = client.create_model_version(name, source, run_id=run_id, tags={k: str(v) for k, v in (tags or {}).items()})
    for alias in aliases:
        client.set_registered_model_alias(name, alias, mv.version)
    return _version_row(client.get_model_version(name, mv.version))


def set_model_alias(name: str, alias: str, version: int, settings: Settings | None = None) -> None:
    """Point alias ``alias`` of registered model ``name`` at ``version`` (moving it if it exists)."""
    from trade2026.config import load_settings

    _client(settings or load_settings()).set_registered_model_alias(name, alias, str(version))


def parse_model_ref(ref: str) -> tuple[str, str | None, int | None]:
    """``"name"``, ``"name@alias"`` or ``"name/3"`` -> (name, alias, version)."""
    if "@" in ref:
        name, alias = ref.split("@", 1)
        return name, alias, None
    if "/" in ref:
        name, _, ver = ref.rpartition("/")
        if ver.isdigit():
            return name, None, int(ver)
    return ref, None, None


#: where each kind of registered model is listed (``t26.kind`` tag -> the command), for not-found messages
_LISTINGS = {"rl": "`t26 rl ls` lists the RL models"}
_ALL_MODELS = "`t26 models ls` lists the registered models"


def get_model_version(ref: str, settings: Settings | None = None, *, kind: str | None = None) -> dict[str, Any]:
    """The registered version ``ref`` names: ``name@alias``, ``name/version``, or ``name`` (its newest version).

    ``kind`` (the ``t26.kind`` tag: ``"rl"``, ``"metalabel"``) only shapes the not-found message: it
    names the models of that kind and where they are listed.
    """
    from trade2026.config import load_settings

    settings = settings or load_settings()
    name, alias, version = parse_model_ref(ref)
    listing = _LISTINGS.get(kind or "", _ALL_MODELS)
    if settings.tracking_uri.startswith("sqlite:///") and not (settings.home / "mlflow.db").exists():
        train = "`t26 rl train`" if kind == "rl" else "`t26 metalabel` or `t26 rl train`"
        msg = f"no registered model {name!r}: {settings.home} has no MLflow store yet (train one with {train})"
        raise NotFoundError(msg)
    client = _client(settings)
    try:
        if alias is not None:
            mv = client.get_model_version_by_alias(name, alias)
        elif version is not None:
            mv = client.get_model_version(name, str(version))
        else:
            versions = client.search_model_versions(f"name = '{name}'")
            if not versions:
                raise LookupError(name)
            mv = max(versions, key=lambda v: int(v.version))
    except Exception as exc:
        try:
            rows = list_models(settings, tag=("t26.kind", kind) if kind else None)
        except Exception:  # the store itself failed: say what was asked for, without the list
            rows = []
        same = [r for r in rows if r["name"] == name]
        if same:
            have = ", ".join(
                f"{r['version']}" + (f" ({', '.join(r['aliases'])})" if r["aliases"] else "") for r in same
            )
            known = f"{name!r} has versions {have}"
        else:
            known = f"registered: {', '.join(sorted({r['name'] for r in rows})) or 'none'}"
        msg = f"no registered model version {ref!r} in {settings.tracking_uri} ({known}); {listing}"
        raise NotFoundError(msg) from exc
    return _version_row(mv)


def download_model(
    ref: str, dst: str | os.PathLike[str], settings: Settings | None = None, *, kind: str | None = None
) -> tuple[Path, dict[str, Any]]:
    """Download the artifacts of registered version ``ref`` into ``dst``; returns (local path, version row).

    ``kind`` as in :func:`get_model_version`.
    """
    from trade2026.config import load_settings

    settings = settings or load_settings()
    row = get_model_version(ref, settings, kind=kind)
    _client(settings)
    import mlflow.artifacts

    path = mlflow.artifacts.download_artifacts(
        artifact_uri=row["source"], dst_path=str(dst), tracking_uri=settings.tracking_uri
    )
    return Path(path), row


def list_models(settings: Settings | None = None, *, tag: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    """Every version of every registered model (optionally only models with tag ``key=value``), newest first."""
    from trade2026.config import load_settings

    settings = settings or load_settings()
    if settings.tracking_uri.startswith("sqlite:///") and not (settings.home / "mlflow.db").exists():
        return []
    client = _client(settings)
    rows = []
    for rm in client.search_registered_models():
        if tag is not None and (rm.tags or {}).get(tag[0]) != tag[1]:
            continue
        by_version: dict[int, list[str]] = {}
        for alias, ver in (rm.aliases or {}).items():
            by_version.setdefault(int(ver), []).append(alias)
        for mv in client.search_model_versions(f"name = '{rm.name}'"):
            row = _version_row(mv)
            row["aliases"] = sorted(set(row["aliases"]) | set(by_version.get(row["version"], [])))
            rows.append(row)
    rows.sort(key=lambda r: (r["name"], -r["version"]))
    return rows


def model_versions(name: str, settings: Settings | None = None) -> list[dict[str, Any]]:
    """Every version of registered model ``name``, newest first (rows as :func:`list_models` gives).

    Raises NotFoundError when no model has that name.
    """
    rows = [r for r in list_models(settings) if r["name"] == name]
    if not rows:
        known = sorted({r["name"] for r in list_models(settings)})
        msg = f"no registered model {name!r} (registered: {', '.join(known) or 'none'}); `t26 models ls` lists them"
        raise NotFoundError(msg)
    return rows


def promote_model(name: str, version: int, alias: str = "champion", settings: Settings | None = None) -> dict[str, Any]:
    """Point ``alias`` of model ``name`` at ``version`` (checked to exist first); returns that version's row."""
    get_model_version(f"{name}/{int(version)}", settings)
    if not alias or "@" in alias or "/" in alias:
        msg = f"alias {alias!r} must be a plain word such as champion or challenger"
        raise ConfigError(msg)
    set_model_alias(name, alias, int(version), settings)
    return get_model_version(f"{name}@{alias}", settings)


def optuna_storage(settings: Settings | None = None) -> str:
    """The Optuna storage of the home, ``sqlite:///<home>/optuna.db`` (the home is created if needed):
    where searches keep their studies, so ``optuna-dashboard`` can open them."""
    from trade2026.config import load_settings

    settings = settings or load_settings()
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create the home {settings.home} for Optuna's database ({exc.strerror}); pick a writable home"
        raise ConfigError(msg, option="home") from None
    return f"sqlite:///{settings.home / 'optuna.db'}"


__all__ = [
    "EXPERIMENT",
    "RETURNS_ARTIFACT",
    "NullRun",
    "Run",
    "compare_runs",
    "download_model",
    "get_model_version",
    "get_run",
    "list_models",
    "list_runs",
    "model_versions",
    "null_run",
    "optuna_storage",
    "parse_model_ref",
    "promote_model",
    "register_model",
    "resolve_run_id",
    "set_model_alias",
    "start_run",
]
