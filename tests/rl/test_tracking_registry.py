"""tracking's additions: learning curves with steps, nested runs, the model registry by name and alias."""

from __future__ import annotations

import pytest

from trade2026 import tracking
from trade2026.config import load_settings
from trade2026.errors import NotFoundError


def test_parse_model_ref() -> None:
    assert tracking.parse_model_ref("m") == ("m", None, None)
    assert tracking.parse_model_ref("m@champion") == ("m", "champion", None)
    assert tracking.parse_model_ref("m/3") == ("m", None, 3)
    assert tracking.parse_model_ref("dir/sub") == ("dir/sub", None, None)


@pytest.mark.slow
def test_curves_nested_runs_and_the_registry(home, tmp_path) -> None:
    settings = load_settings(home)
    with pytest.raises(NotFoundError, match="no MLflow store"):
        tracking.get_model_version("m", settings)
    art = tmp_path / "model"
    art.mkdir()
    (art / "weights.txt").write_text("v1")
    with tracking.start_run("parent", settings=settings) as parent:
        pass
    rows = []
    for i in range(2):
        with tracking.start_run("child", settings=settings, parent_run_id=parent.run_id) as run:
            run.log_curve("reward", [10, 20, 30], [0.1, float("nan"), 0.3])
            run.log_artifacts(art, "model")
            rows.append(
                tracking.register_model(
                    run.run_id,
                    "model",
                    "m",
                    aliases=("best",) if i == 0 else ("newest",),
                    tags={"seed": i},
                    model_tags={"kind": "test"},
                    settings=settings,
                )
            )
    assert [r["version"] for r in rows] == [1, 2]
    client = tracking._client(settings)
    hist = client.get_metric_history(rows[0]["run_id"], "reward")
    assert [(m.step, m.value) for m in hist] == [(10, 0.1), (30, 0.3)]
    assert client.get_run(rows[1]["run_id"]).data.tags["mlflow.parentRunId"] == parent.run_id
    assert tracking.get_model_version("m@best", settings)["version"] == 1
    assert tracking.get_model_version("m/2", settings)["tags"]["seed"] == "1"
    assert tracking.get_model_version("m", settings)["version"] == 2  # the newest
    tracking.set_model_alias("m", "best", 2, settings)
    assert tracking.get_model_version("m@best", settings)["version"] == 2
    path, row = tracking.download_model("m@newest", tmp_path / "dl", settings)
    assert (path / "weights.txt").read_text() == "v1" and row["version"] == 2
    listed = tracking.list_models(settings, tag=("kind", "test"))
    assert [(r["version"], r["aliases"]) for r in listed] == [(2, ["best", "newest"]), (1, [])]
    assert tracking.list_models(settings, tag=("kind", "other")) == []
    with pytest.raises(NotFoundError, match="no registered model version"):
        tracking.get_model_version("m@missing", settings)
