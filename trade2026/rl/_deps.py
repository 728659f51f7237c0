"""The ``rl`` extra's dependencies, checked once with a message that says how to install them."""

from __future__ import annotations

import functools
import importlib.util

from trade2026.errors import DependencyError


@functools.cache
def require_rl() -> None:
    """Raise DependencyError unless gymnasium, stable-baselines3 and torch are importable."""
    missing = [m for m in ("gymnasium", "stable_baselines3", "torch") if importlib.util.find_spec(m) is None]
    if missing:
        msg = (
            f"reinforcement learning needs {', '.join(missing)}: install the rl extra "
            "(pip install 'trade2026[rl]' -c constraints.txt, which pins torch to the CPU build)"
        )
        raise DependencyError(msg)
