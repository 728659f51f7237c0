"""Settings: home directory, tracking URI and executor.

Precedence, highest first: explicit arguments (the CLI's flags) > environment variables ``T26_*`` >
a ``t26.toml`` file (``T26_CONFIG`` or ``./t26.toml``) > defaults.

===================  ==================  ========================  ==============================
setting              flag                environment               default
===================  ==================  ========================  ==============================
home                 ``--home``          ``T26_HOME``              ``~/.t26``
tracking_uri                             ``T26_MLFLOW_URI``        ``sqlite:///<home>/mlflow.db``
executor             ``--executor``      ``T26_EXECUTOR``          ``serial``
ray_address          ``--ray-address``   ``T26_RAY_ADDRESS``       none (a local Ray)
lake_root                                ``T26_LAKE``              ``<home>/lake``
===================  ==================  ========================  ==============================

Work limits (:data:`LIMITS`, :func:`check_work`): work whose estimate exceeds a limit is refused
before it starts; ``T26_MAX_<NAME>`` (e.g. ``T26_MAX_PRISM_EVENTS=1e9``) raises the limit.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from trade2026.errors import ConfigError

EXECUTORS = ("serial", "processes", "ray")
SETTINGS_KEYS = ("executor", "home", "lake_root", "ray_address", "tracking_uri")  # of a t26.toml [t26] table

# name -> (default limit, unit, what it bounds). A limit is raised with T26_MAX_<NAME>.
LIMITS: dict[str, tuple[float, str, str]] = {
    "prism_events": (
        2e8,
        "agent wake-ups",
        "simulated agent wake-ups of one call: days x session seconds x sum(agents x rate) x seeds "
        "(the default 40-agent market makes ~165,000 a 6.5-hour day)",
    ),
    "prism_agents": (1e5, "agents", "agents in one PRISM run"),
    "seeds": (1e4, "seeds", "runs (seeds) of one call"),
    "grid": (1e6, "parameter sets", "parameter sets of one sweep grid (the product of its axes)"),
    "cells": (
        5e8,
        "cells",
        "float64 cells of one in-memory matrix: parameter sets x bars x symbols of a sweep, paths x "
        "bars of a Monte Carlo (4 GB)",
    ),
}


def work_limit(name: str) -> float:
    """The limit ``name`` of :data:`LIMITS`: ``T26_MAX_<NAME>`` when set (a number > 0), else the default."""
    default, _, _ = LIMITS[name]
    var = f"T26_MAX_{name.upper()}"
    raw = os.environ.get(var)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw.replace("_", ""))
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        msg = f"{var}={raw!r} is not a limit; set it to a number > 0 (e.g. {var}={default:.0e}) or unset it"
        raise ConfigError(msg)
    return value


def check_work(name: str, amount: float, what: str) -> None:
    """Refuse work whose estimate ``amount`` (in the unit of limit ``name``) exceeds :func:`work_limit`.

    Raises a ConfigError (exit 2) naming the estimate, the limit and the ``T26_MAX_<NAME>`` variable
    that raises it; nothing has been computed or written when it is raised.
    """
    limit = work_limit(name)
    if amount > limit:
        _, unit, _ = LIMITS[name]
        var = f"T26_MAX_{name.upper()}"
        msg = (
            f"{what} is about {amount:.3g} {unit}, above the limit of {limit:.3g}; do less, or raise the "
            f"limit with {var}={_suggest(amount)} (see the README's Limits)"
        )
        raise ConfigError(msg)


def _suggest(amount: float) -> str:
    import math

    return f"{10 ** math.ceil(math.log10(max(amount, 1.0))):.0e}"


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :func:`load_settings`."""

    home: Path
    tracking_uri: str
    executor: str = "serial"
    ray_address: str | None = None
    lake_root: str = ""

    def with_overrides(self, **kw: Any) -> Settings:
        return replace(self, **{k: v for k, v in kw.items() if v is not None})

    @property
    def artifact_root(self) -> Path:
        return self.home / "mlartifacts"


def _read_toml() -> dict[str, Any]:
    path = os.environ.get("T26_CONFIG")
    candidate = Path(path) if path else Path.cwd() / "t26.toml"
    if not candidate.exists():
        if path:
            msg = f"T26_CONFIG points at {candidate}, which does not exist; fix the path or unset it"
            raise ConfigError(msg)
        return {}
    if not candidate.is_file():
        msg = f"{candidate} is a directory, not a t26.toml settings file; point T26_CONFIG at a file"
        raise ConfigError(msg)
    try:
        with candidate.open("rb") as fh:
            data = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{candidate} is not valid TOML ({exc}); fix the file or remove it"
        raise ConfigError(msg) from exc
    section = data.get("t26", data)
    if not isinstance(section, dict):
        msg = f"{candidate}: expected a [t26] table of settings"
        raise ConfigError(msg)
    for key, value in section.items():  # the schema of t26.toml: known settings, each text
        if section is data and isinstance(value, dict):
            continue  # without a [t26] table, other tables belong to other tools
        if key not in SETTINGS_KEYS:
            msg = f"{candidate}: unknown setting {key!r}; known: {', '.join(SETTINGS_KEYS)}"
            raise ConfigError(msg)
        if not isinstance(value, str) or not value:
            msg = f"{candidate}: {key} must be non-empty text, got {value!r}"
            raise ConfigError(msg)
    return section


def load_settings(
    home: str | Path | None = None,
    *,
    executor: str | None = None,
    ray_address: str | None = None,
) -> Settings:
    """Resolve settings from arguments, ``T26_*`` environment variables, ``t26.toml`` and defaults."""
    toml = _read_toml()
    raw_home = home or os.environ.get("T26_HOME") or toml.get("home") or "~/.t26"
    home_path = Path(str(raw_home)).expanduser().resolve()
    tracking = os.environ.get("T26_MLFLOW_URI") or toml.get("tracking_uri") or f"sqlite:///{home_path / 'mlflow.db'}"
    ex = executor or os.environ.get("T26_EXECUTOR") or toml.get("executor") or "serial"
    if ex not in EXECUTORS:
        msg = f"unknown executor {ex!r}; choose one of {', '.join(EXECUTORS)}"
        raise ConfigError(msg)
    ray = ray_address or os.environ.get("T26_RAY_ADDRESS") or toml.get("ray_address")
    lake_root = os.environ.get("T26_LAKE") or toml.get("lake_root") or str(home_path / "lake")
    return Settings(
        home=home_path,
        tracking_uri=str(tracking),
        executor=ex,
        ray_address=ray,
        lake_root=str(lake_root),
    )


__all__ = ["EXECUTORS", "LIMITS", "Settings", "check_work", "load_settings", "work_limit"]
