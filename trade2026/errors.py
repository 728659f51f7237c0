"""The errors the library raises.

Only ``commands/`` turns these into a message and an exit code: every subclass carries the exit code
the CLI uses (2 for bad input the user can fix, 1 for a failure at run time)::

    T26Error (exit 1)                  base class; a runtime failure
    +-- InputError (exit 2)            bad input or usage: the message says what and how to fix it
    |   +-- DataError                  data that fails validation (columns, values, keys, files)
    |   +-- ConfigError                settings, recipes, TOML files, options that do not fit
    |   +-- NotFoundError              a table, symbol, run or file that does not exist
    |   +-- ExpressionError            a screen expression that does not parse; points at the token
    +-- LakeError (exit 1)             the lake could not complete an operation (I/O, commit retries)
    +-- FitError (exit 1)              a model could not be estimated on valid input
    |   +-- RegimeFitError             the Markov-switching likelihood could not be maximised
    +-- DependencyError (exit 2)       an optional dependency (ray, yfinance, ...) is not installed

Messages name the problem in the library's terms (parameter names) and say what to do. An error about
one setting names it in ``option`` (``raise ConfigError(msg, option="date_format")``); the CLI then
adds the command-line flag that sets it (``--date-format``), so the library never speaks in flags.
"""

from __future__ import annotations


class T26Error(Exception):
    """Base class of every error Trade2026 raises on purpose.

    ``option`` optionally names the parameter (of the function that raised) that fixes the problem.
    """

    exit_code = 1

    def __init__(self, *args: object, option: str | None = None) -> None:
        super().__init__(*args)
        self.option = option


class InputError(T26Error):
    """Bad input or usage; the message names the problem and the fix."""

    exit_code = 2


class DataError(InputError):
    """Data that fails validation."""


class ConfigError(InputError):
    """A setting, recipe or option that does not fit."""


class NotFoundError(InputError):
    """A table, symbol, run or file that does not exist."""


class ExpressionError(InputError):
    """A screen expression that does not parse or type-check; the message points at the token."""


class LakeError(T26Error):
    """The lake could not complete an operation."""


class FitError(T26Error):
    """A model could not be estimated on input that passed validation; the message says what to try."""


class RegimeFitError(FitError):
    """The Markov-switching likelihood could not be maximised (exit 1); the message says what to try."""


class DependencyError(T26Error):
    """An optional dependency is missing; the message names the extra to install."""

    exit_code = 2


__all__ = [
    "ConfigError",
    "DataError",
    "DependencyError",
    "ExpressionError",
    "FitError",
    "InputError",
    "LakeError",
    "NotFoundError",
    "RegimeFitError",
    "T26Error",
]
