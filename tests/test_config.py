from __future__ import annotations

from pathlib import Path

import pytest

from trade2026.config import load_settings
from trade2026.errors import ConfigError, DataError, InputError, LakeError, NotFoundError, T26Error


def test_home_precedence_flag_over_env_over_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("T26_HOME", raising=False)
    (tmp_path / "t26.toml").write_text('[t26]\nhome = "from-toml"\nexecutor = "processes"\n')
    assert load_settings().home == (tmp_path / "from-toml").resolve()
    assert load_settings().executor == "processes"
    monkeypatch.setenv("T26_HOME", str(tmp_path / "from-env"))
    assert load_settings().home == (tmp_path / "from-env").resolve()
    assert load_settings(tmp_path / "from-flag").home == (tmp_path / "from-flag").resolve()


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("T26_HOME", raising=False)
    monkeypatch.delenv("T26_MLFLOW_URI", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    s = load_settings()
    assert s.home == (tmp_path / ".t26").resolve()
    assert s.tracking_uri == f"sqlite:///{s.home / 'mlflow.db'}"
    assert s.lake_root == str(s.home / "lake")
    assert s.executor == "serial"


def test_tracking_uri_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("T26_MLFLOW_URI", "http://127.0.0.1:5000")
    assert load_settings(tmp_path).tracking_uri == "http://127.0.0.1:5000"


def test_bad_executor_and_bad_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="unknown executor 'gpu'"):
        load_settings(tmp_path, executor="gpu")
    (tmp_path / "t26.toml").write_text("home = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()


def test_error_hierarchy_exit_codes() -> None:
    for cls in (DataError, ConfigError, NotFoundError, InputError):
        assert issubclass(cls, T26Error)
        assert cls.exit_code == 2
    assert T26Error.exit_code == 1
    assert LakeError.exit_code == 1
