"""Portfolio weights given as text: ``SYM=w,...``, a JSON file, ``latest`` (the lake's last optimised
portfolio) or ``equal`` (1/N over a universe), read the same way by every command that takes them."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from trade2026.errors import ConfigError, InputError, NotFoundError

WEIGHTS_TABLE = "portfolio_weights"
_USAGE = "use SYM=WEIGHT,... , a .json file, 'latest' or 'equal'"


def _pairs(text: str, what: str, usage: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, val = part.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError(part)
            out[key.strip()] = float(val)
        except ValueError:
            msg = f"bad {what} entry {part!r}; {usage}"
            raise InputError(msg) from None
    return out


def parse_pairs(text: str | None, *, what: str = "bounds") -> dict[str, float]:
    """``"Tech=0.3,Energy=0.1"`` -> ``{"Tech": 0.3, "Energy": 0.1}`` (empty for None or "").

    ``what`` names the parameter in the error a bad entry raises (InputError).
    """
    return _pairs(text or "", what, "use NAME=NUMBER[,NAME=NUMBER...]")


def latest_weights(lake: Any, *, what: str = "weights") -> dict[str, float]:
    """The weights of the portfolio appended last to the lake's ``portfolio_weights`` table."""
    import polars as pl

    if not lake.exists(WEIGHTS_TABLE):
        msg = (
            f"{what}='latest' needs the lake table {WEIGHTS_TABLE!r}; optimise a portfolio first "
            "(optimize_report(...).save(lake) or `t26 portfolio optimize`)"
        )
        raise NotFoundError(msg)
    df = lake.read(WEIGHTS_TABLE)
    last = df.sort("created_at").tail(1).get_column("portfolio_id")[0]
    rows = df.filter(pl.col("portfolio_id") == last)
    return {str(s): float(w) for s, w in rows.select("symbol", "weight").iter_rows()}


def parse_weights(
    spec: str | os.PathLike[str] | Mapping[str, float],
    *,
    lake: Any = None,
    universe: Sequence[str] | None = None,
    what: str = "weights",
) -> dict[str, float]:
    """Portfolio weights from any of the forms the toolkit accepts.

    Parameters
    ----------
    spec : str, path or mapping
        ``"SYM=w,SYM=w"``; a ``.json`` file holding ``{sym: w}`` or ``{"weights": {sym: w}}``
        (what ``t26 portfolio optimize --json`` prints); ``"latest"``: the last portfolio in the
        lake's ``portfolio_weights`` table; ``"equal"``: 1/N over ``universe``; or a mapping.
    lake : Lake, optional
        Needed for ``"latest"``.
    universe : sequence of str, optional
        Needed for ``"equal"``.
    what : str
        The parameter's name, used in error messages.

    Returns
    -------
    dict of str to float
        Symbol -> weight (fractions of capital), as given (not normalised).
    """
    if isinstance(spec, Mapping):
        try:
            return {str(k): float(v) for k, v in spec.items()}
        except (TypeError, ValueError):
            msg = f"{what} must map symbols to numbers, got {dict(spec)!r}"
            raise InputError(msg) from None
    text = os.fspath(spec).strip()
    if text == "equal":
        if not universe:
            msg = f"{what}='equal' needs the universe to spread the weights over"
            raise ConfigError(msg)
        return {s: 1.0 / len(universe) for s in universe}
    if text == "latest":
        if lake is None:
            msg = f"{what}='latest' reads the lake's {WEIGHTS_TABLE!r} table; pass lake="
            raise ConfigError(msg)
        return latest_weights(lake, what=what)
    path = Path(text)
    if path.suffix.lower() == ".json":
        if not path.exists():
            msg = f"{what} file {path} does not exist"
            raise InputError(msg)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            msg = f"{what} file {path} is not valid JSON: {exc}"
            raise InputError(msg) from None
        data = data.get("weights", data) if isinstance(data, dict) else data
        if not isinstance(data, dict):
            msg = f"{what} file {path} must hold an object symbol -> weight (or {{'weights': {{...}}}})"
            raise InputError(msg)
        return parse_weights(data, what=what)
    out = _pairs(text, what, _USAGE)
    if not out:
        msg = f"{what} is empty; {_USAGE}"
        raise InputError(msg)
    return out


__all__ = ["WEIGHTS_TABLE", "latest_weights", "parse_pairs", "parse_weights"]
