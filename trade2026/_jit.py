"""First-run compilation notices for the numba kernels.

numba compiles a ``@njit(cache=True)`` kernel on its first call and caches the machine code next to
the module (``__pycache__/*.nbi``/``*.nbc``); later processes load it in milliseconds. A new user's
first command therefore pauses while kernels compile. :func:`compile_notice` lets the library say so
before it calls the kernels: the CLI installs a listener (one line on stderr, never on stdout, never
under ``--json``); a notebook sees nothing unless it sets one with :func:`set_compile_listener`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

_listener: Callable[[str], None] | None = None
_announced: set[str] = set()


def set_compile_listener(listener: Callable[[str], None] | None) -> None:
    """Call ``listener(message)`` when a kernel is about to be compiled (``None``: stay silent)."""
    global _listener
    _listener = listener
    _announced.clear()


def is_cached(kernel: Any) -> bool:
    """Whether a numba dispatcher has machine code on disk (or in this process) already."""
    if getattr(kernel, "signatures", None):
        return True
    cache = getattr(kernel, "_cache", None)
    cache_file = getattr(cache, "_cache_file", None)
    index = getattr(cache_file, "_index_path", None)
    if index is None:  # not a cached dispatcher: nothing we can tell
        return True
    return os.path.exists(index)


def compile_notice(kernels: Iterable[Any], what: str) -> None:
    """Announce, once per process and ``what``, that kernels for ``what`` will compile now."""
    if _listener is None or what in _announced:
        return
    missing = [k for k in kernels if not is_cached(k)]
    if missing:
        _announced.add(what)
        _listener(f"compiling {len(missing)} numba kernel(s) for {what}: first run only, cached afterwards")
