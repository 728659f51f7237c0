"""Saved screens: named screens in a TOML file, their results in the lake's ``screens`` table.

A screens file holds one table per screen::

    [screens.oversold_uptrend]
    condition = "rsi_14 < 30 and close > sma_200"
    rank = "-rsi_14"                  # optional score, highest first
    top = 20                          # optional
    universe = "sector:Technology"    # optional: "AAA,BBB" or "sector:NAME"
    benchmark = "AAA"                 # optional: symbol for beta_n / corr_n

Each run of a saved screen replaces that screen's rows for that date in the ``screens`` table
(``date, screen, symbol, score``), so re-running a day is idempotent and :func:`changes` can tell
which symbols entered and left since the previous recorded date.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polars as pl

from trade2026.errors import ConfigError, NotFoundError

TABLE = "screens"
EXAMPLE_SCREENS = Path(__file__).with_name("screens.toml")  # shipped example screens (momentum, oversold, ...)
_KEYS = {"condition", "rank", "top", "universe", "benchmark", "description"}
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class SavedScreen:
    """One named screen from a screens file."""

    name: str
    condition: str | None = None
    rank: str | None = None
    top: int | None = None
    universe: str | None = None
    benchmark: str | None = None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_name(name: str) -> str:
    if not _NAME_RE.match(name or ""):
        msg = f"screen name {name!r} must start with a letter and use letters, digits, _ or -"
        raise ConfigError(msg)
    return name


def load_screens(path: str | Path) -> dict[str, SavedScreen]:
    """Read and validate every screen in a TOML file (``[screens.NAME]`` tables)."""
    p = Path(path)
    if not p.exists():
        msg = (
            f"screens file {p} does not exist; create it with [screens.NAME] tables "
            f"(an example: {EXAMPLE_SCREENS}, which `t26 demo` copies to the home)"
        )
        raise NotFoundError(msg)
    if not p.is_file():
        msg = f"screens file {p} is a directory; give a TOML file of [screens.NAME] tables"
        raise ConfigError(msg)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{p} is not valid TOML: {exc}"
        raise ConfigError(msg) from exc
    table = data.get("screens")
    if not isinstance(table, dict) or not table:
        msg = f"{p} has no [screens.NAME] tables"
        raise ConfigError(msg)
    out: dict[str, SavedScreen] = {}
    for name, spec in table.items():
        check_name(name)
        if not isinstance(spec, dict):
            msg = f"{p}: screens.{name} must be a table with condition = ..., rank = ..."
            raise ConfigError(msg)
        unknown = sorted(set(spec) - _KEYS)
        if unknown:
            msg = f"{p}: screens.{name} has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_KEYS))}"
            raise ConfigError(msg)
        for key in ("condition", "rank", "universe", "benchmark", "description"):
            if key in spec and not isinstance(spec[key], str):
                msg = f"{p}: screens.{name}.{key} must be a string"
                raise ConfigError(msg)
        top = spec.get("top")
        if top is not None and (not isinstance(top, int) or isinstance(top, bool) or top < 1):
            msg = f"{p}: screens.{name}.top must be a positive integer, got {top!r}"
            raise ConfigError(msg)
        if not spec.get("condition") and not spec.get("rank"):
            msg = f"{p}: screens.{name} needs a condition or a rank"
            raise ConfigError(msg)
        from trade2026.screener._expr import BOOL, NUM, ExpressionError, compile_expression

        for key, want in (("condition", BOOL), ("rank", NUM)):
            if key in spec:
                try:
                    compile_expression(spec[key], want=want, role=f"screens.{name}.{key}")
                except ExpressionError as exc:
                    msg = f"{p}: screens.{name}.{key}: {exc}"
                    raise ConfigError(msg) from None
        out[name] = SavedScreen(name=name, **spec)
    return out


def write_example_screens(path: str | Path) -> Path | None:
    """Copy the shipped example screens file (:data:`EXAMPLE_SCREENS`) to ``path`` unless a file is there.

    Returns the path written, or None when ``path`` already existed (it is never overwritten).
    """
    p = Path(path)
    if p.exists():
        return None
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(EXAMPLE_SCREENS.read_text(encoding="utf-8"), encoding="utf-8")
    return p


def get_screen(path: str | Path, name: str) -> SavedScreen:
    screens = load_screens(path)
    if name not in screens:
        import difflib

        close = difflib.get_close_matches(name, list(screens), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; screens: {', '.join(sorted(screens))}"
        msg = f"no screen {name!r} in {path}{hint}"
        raise NotFoundError(msg)
    return screens[name]


def _frame(name: str, day: dt.date, rows: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "date": [day] * rows.height,
            "screen": [name] * rows.height,
            "symbol": rows["symbol"].to_list(),
            "score": rows["score"].cast(pl.Float64).to_list(),
        },
        schema={"date": pl.Date, "screen": pl.String, "symbol": pl.String, "score": pl.Float64},
    )


def record(lake: Any, name: str, day: dt.date, rows: pl.DataFrame) -> dict[str, Any]:
    """Replace screen ``name``'s rows for ``day`` in the ``screens`` table with ``rows``
    (``symbol, score``). Returns the write summary."""
    check_name(name)
    frame = _frame(name, day, rows)
    where = f"screen = '{name}' AND date = '{day.isoformat()}'"
    res = lake.write(TABLE, frame, mode="overwrite", replace_where=where)
    return {"table": TABLE, "rows": frame.height, "version": res.version}


def changes(lake: Any, name: str, day: dt.date, symbols: list[str]) -> dict[str, Any]:
    """Symbols that entered and left screen ``name`` since its latest recorded date before ``day``."""
    prev_date = None
    prev: list[str] = []
    if lake.exists(TABLE):
        hist = lake.scan(TABLE).filter((pl.col("screen") == name) & (pl.col("date") < day)).collect()
        if hist.height:
            prev_date = hist["date"].max()
            prev = hist.filter(pl.col("date") == prev_date)["symbol"].to_list()
    now = list(symbols)
    return {
        "previous_date": prev_date.isoformat() if isinstance(prev_date, dt.date) else None,
        "entered": sorted(set(now) - set(prev)),
        "left": sorted(set(prev) - set(now)),
        "stayed": sorted(set(now) & set(prev)),
    }


__all__ = ["TABLE", "SavedScreen", "changes", "check_name", "get_screen", "load_screens", "record"]
