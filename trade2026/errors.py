"""The errors the library raises.

Only ``commands/`` turns these into a message and an exit code: every subclass carries the exit code
the CLI uses (2 for bad input the user can fix, 1 for a failure at run time)::

    T26Error (exit 1)                  base class; a runtime failure
    +-- InputError (exit 2)            bad input or usage: the message says what and how to fix it
    |   +-- DataError                  data that fails validation (columns, values, keys, files)
    |   +-- ConfigError                settings, recipes, TOML files, options that do not fit
    |   +-- NotFoundError              a table, symbol, run or file that does not exist
    +-- LakeError (exit 1)             the lake could not complete an operation (I/O, commit retries)
    +-- DependencyError (exit 2)       an optional dependency (ray, yfinance, ...) is not installed
"""

from __future__ import annotations


class T26Error(Exception):
    """Base class of every error Trade2026 raises on purpose."""

    exit_code = 1


class InputError(T26Error):
    """Bad input or usage; the message names the problem and the fix."""

    exit_code = 2


class DataError(InputError):
    """Data that fails validation."""


class ConfigError(InputError):
    """A setting, recipe or option that does not fit."""


class NotFoundError(InputError):
    """A table, symbol, run or file that does not exist."""


class LakeError(T26Error):
    """The lake could not complete an operation."""


class DependencyError(T26Error):
    """An optional dependency is missing; the message names the extra to install."""

    exit_code = 2


__all__ = [
    "ConfigError",
    "DataError",
    "DependencyError",
    "InputError",
    "LakeError",
    "NotFoundError",
    "T26Error",
]
