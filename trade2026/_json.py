"""JSON rendering of result values shared by the library and the CLI."""

from __future__ import annotations

import datetime as _dt
import json
import math
from pathlib import Path
from typing import Any


def json_default(obj: Any) -> Any:
    """Turn the values results carry (datetimes, numpy scalars/arrays, paths, sets) into JSON."""
    if isinstance(obj, _dt.datetime | _dt.date | _dt.time):
        return obj.isoformat()
    if isinstance(obj, _dt.timedelta):
        return obj.total_seconds()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return obj.to_dict()
    if hasattr(obj, "item") and getattr(obj, "ndim", 0) == 0:  # numpy scalar
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    msg = f"cannot render {type(obj).__name__} as JSON"
    raise TypeError(msg)


def clean(obj: Any) -> Any:
    """Replace NaN/inf floats by None (recursively) so the output is strict JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    if hasattr(obj, "item") and getattr(obj, "ndim", None) == 0:
        return clean(obj.item())
    return obj


def dumps(data: Any, **kw: Any) -> str:
    return json.dumps(clean(data), default=lambda o: clean(json_default(o)), allow_nan=False, **kw)
