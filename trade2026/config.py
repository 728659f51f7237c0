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
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from trade2026.errors import ConfigError

EXECUTORS = ("serial", "processes", "ray")


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
    try:
        with candidate.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{candidate} is not valid TOML ({exc}); fix the file or remove it"
        raise ConfigError(msg) from exc
    section = data.get("t26", data)
    if not isinstance(section, dict):
        msg = f"{candidate}: expected a [t26] table of settings"
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


__all__ = ["EXECUTORS", "Settings", "load_settings"]
