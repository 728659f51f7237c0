"""The machinery every ``t26`` command shares, implemented once.

:func:`command` registers a function as a typer command and gives it the common options
(``--json``, ``--home``, ``--debug`` and, for commands that compute results, ``--no-track``). The
function takes a :class:`Ctx` first and returns an :class:`Out`; the wrapper renders it as JSON on
stdout or as rich tables, and turns :class:`trade2026.errors.T26Error` into a one-line message and
its exit code (2 for bad input, 1 for a runtime failure). No heavy library is imported here.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import inspect
import math
import os
import sys
import time
import traceback
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from trade2026 import dumps, json_default, set_compile_listener
from trade2026.errors import T26Error

T = TypeVar("T")

# Help shows what a value looks like, never a Python type: TEXT, INTEGER, NUMBER, PATH, A|B choices,
# "TEXT ..." for a repeatable option or a list of arguments, and nothing after a flag (no <bool>).
_HELP_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "Path": "PATH", "bool": "BOOLEAN"}


def _help_type(self: Any, ctx: Any) -> str | None:
    if getattr(self, "is_flag", False):
        return None
    if getattr(self, "metavar", None) is not None:
        return str(self.metavar)
    label = _ORIGINAL_DISPLAY_TYPE(self, ctx).strip("<>")
    listed = label.startswith("list[") and label.endswith("]")
    label = label[5:-1] if listed else label
    label = "|".join(_HELP_TYPES.get(part, part.upper() if part.isidentifier() else part) for part in label.split("|"))
    many = listed or getattr(self, "nargs", 1) != 1
    return f"{label} ..." if many else label


def _patch_help_types() -> None:
    from typer import core

    core._TyperParameter.display_type = _help_type  # type: ignore[method-assign,assignment]
    core.TyperOption.display_type_rich = _help_type  # type: ignore[method-assign]
    core.TyperArgument.display_type_rich = _help_type  # type: ignore[method-assign]


from typer import core as _typer_core  # noqa: E402  (typer is imported above; this is its core module)

_ORIGINAL_DISPLAY_TYPE = _typer_core._TyperParameter.display_type
_patch_help_types()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON result on stdout.")]
HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="Home directory with the lake and MLflow runs (env T26_HOME, default ~/.t26).",
        show_default=False,
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")]
NoTrackOpt = Annotated[bool, typer.Option("--no-track", help="Do not log this run to MLflow.")]
UniverseOpt = Annotated[
    str | None,
    typer.Option("--universe", help='Instead of --symbols: "ACC,ACZV" or "sector:NAME" (from the symbols table).'),
]
# One --periods-per-year for every command that annualises (checked by core.check_periods_per_year).
PeriodsOpt = Annotated[
    float | None,
    typer.Option(
        "--periods-per-year",
        help="Bars per year for annualising (default: inferred from the bars' spacing and calendar).",
        show_default=False,
    ),
]


@dataclass
class Out:
    """What a command returns.

    ``data`` is the ``--json`` result (a list of row objects for a table, an object otherwise).
    ``tables`` are ``(title, rows)`` pairs rendered for people; when empty, ``data`` is rendered.
    ``lines`` are printed after the tables in human mode.
    """

    data: Any
    tables: Sequence[tuple[str, Sequence[dict[str, Any]]]] = ()
    lines: Sequence[str] = ()


@dataclass
class Ctx:
    """Per-invocation context handed to every command function."""

    home: Path | None = None
    json: bool = False
    debug: bool = False
    track: bool = True
    started: float = field(default_factory=time.time)  # when the command began: a run's start (its duration)
    _settings: Any = field(default=None, repr=False)
    _lake: Any = field(default=None, repr=False)

    @property
    def settings(self) -> Any:
        if self._settings is None:
            from trade2026.config import load_settings

            self._settings = load_settings(self.home)
        return self._settings

    @property
    def lake(self) -> Any:
        if self._lake is None:
            from trade2026.lake import Lake

            self._lake = Lake(self.settings.home, root=self.settings.lake_root)
        return self._lake

    def log(self, message: str) -> None:
        """A human progress message on stderr (never on stdout, which is for results)."""
        if not self.json:
            _stderr_console().print(message, highlight=False)

    def progress(self, items: Iterable[T], *, total: int | None = None, description: str = "working") -> Iterator[T]:
        """Iterate with a progress bar on stderr, shown only when stderr is a terminal (never under --json)."""
        if self.json or not is_terminal():
            yield from items
            return
        from rich.progress import Progress

        with Progress(console=_stderr_console(), transient=True) as bar:
            task = bar.add_task(description, total=total)
            for item in items:
                yield item
                bar.advance(task)

    @contextlib.contextmanager
    def progress_bar(self, description: str, *, spinner_only: bool = False) -> Iterator[Any]:
        """A live progress line on stderr for long library work, or None off a terminal and under --json.

        Yields ``advance(stage, done, total)``, the callback library functions take as ``progress``
        (e.g. ``monte_carlo(progress=advance)``): a spinner and the elapsed time from the start, then
        a bar of ``done``/``total`` naming the last finished stage. ``spinner_only`` (when the library
        draws its own bar, as over several PRISM runs) yields None and shows nothing.
        """
        if self.json or spinner_only or not is_terminal():
            yield None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn(), console=_stderr_console(), transient=True) as bar:
            task = bar.add_task(description, total=None)

            def advance(stage: str, done: int, total: int) -> None:
                bar.update(task, description=f"{description} ({stage} done)", completed=done, total=total)

            yield advance

    def tracking_run(self, name: str, **kw: Any) -> Any:
        """An MLflow run context (a no-op one under ``--no-track``), dated from the command's start so
        its duration covers the work even when the run is opened after it."""
        from trade2026 import tracking

        if not self.track:
            return tracking.null_run()
        kw.setdefault("start_time", self.started)
        return tracking.start_run(name, settings=self.settings, **kw)


def is_terminal() -> bool:
    """Whether stderr is a terminal: progress is drawn only there."""
    return sys.stderr.isatty()


@functools.cache
def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@functools.cache
def _stdout_console() -> Any:
    from rich.console import Console

    return Console()


# Quantities shown as percentages in tables (the JSON keeps fractions): returns, volatilities,
# drawdowns, probabilities and rates. A column is one by its name; a row of a metric table
# (``metric``/``field`` naming one) has its numbers shown so.
PERCENT = frozenset(
    {
        "total_return", "cagr", "ann_return", "ann_vol", "ann_mean", "vol_ann", "max_drawdown", "return",
        "mean_return", "mean_ret", "excess", "hit_rate", "prob_loss", "risk_of_ruin", "prob_drawdown_breach",
        "volatility", "expected_return", "tracking_error", "win_rate", "share",
    }
)  # fmt: skip


def _number(value: float) -> str:
    """A float without scientific notation for ordinary magnitudes (1e-9 < |x| < 1e15)."""
    if not math.isfinite(value):
        return str(value)
    mag = abs(value)
    if value == 0:
        return "0"
    if mag >= 1e15 or mag < 1e-9:
        return f"{value:.4g}"
    if mag >= 1e4:
        return f"{value:,.0f}" if mag >= 1e6 else f"{value:,.2f}".rstrip("0").rstrip(".")
    if mag >= 1e-4:
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    digits = min(12, 2 - math.floor(math.log10(mag)))  # three significant digits
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def _percent(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return _fmt(value)
    return f"{value * 100:,.2f}%"


def _weights(value: dict[str, Any]) -> str:
    """Weights largest first (by size), the zeros folded into a count."""
    nonzero = sorted(((k, v) for k, v in value.items() if v), key=lambda kv: -abs(kv[1]))
    zeros = len(value) - len(nonzero)
    text = ", ".join(f"{k}={_number(float(v))}" for k, v in nonzero)
    return f"{text}{', ' if text and zeros else ''}{f'{zeros} at 0' if zeros else ''}"


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, _dt.datetime):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dict):
        if len(value) >= 3 and all(isinstance(v, float) for v in value.values()):  # weights, not parameters
            return _weights(value)
        return ", ".join(f"{k}={_fmt(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def _cell(row: dict[str, Any], col: str) -> str:
    value = row.get(col)
    named = row.get("metric", row.get("field"))
    if col in PERCENT or (isinstance(named, str) and named in PERCENT and col not in ("metric", "field")):
        return _percent(value)
    return _fmt(value)


def _sorted_weights(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A table of weights (a ``weight`` column) largest first, rows at zero folded into one line."""
    if not rows or any(not isinstance(r.get("weight"), int | float) for r in rows):
        return list(rows)
    nonzero = sorted((r for r in rows if r["weight"]), key=lambda r: -abs(r["weight"]))
    zeros = len(rows) - len(nonzero)
    if zeros:
        first = next(iter(rows[0]))
        nonzero.append({first: f"({zeros} more at 0)"})
    return nonzero


def render_rows(title: str, rows: Sequence[dict[str, Any]]) -> None:
    """One table of row objects; headers and cells fold instead of being cut at narrow widths."""
    from rich.table import Table
    from rich.text import Text

    console = _stdout_console()
    if not rows:
        console.print(f"[bold]{title}[/bold]: no rows" if title else "no rows")
        return
    rows = _sorted_weights(rows)
    table = Table(title=title or None, title_justify="left", header_style="bold")
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    for col in columns:
        numeric = all(isinstance(r.get(col), int | float) for r in rows if r.get(col) is not None)
        table.add_column(Text(str(col), overflow="fold"), justify="right" if numeric else "left", overflow="fold")
    for row in rows:  # data is text, never markup (a symbol named "[/x]" must print as itself)
        table.add_row(*(Text(_cell(row, c)) for c in columns))
    console.print(table)


def render(out: Out, *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(dumps(out.data) + "\n")
        return
    tables = list(out.tables)
    if not tables and not (out.lines and out.data in ([], {}, None)):  # an empty result the lines explain
        data = out.data
        if isinstance(data, list):
            tables = [("", data)]
        elif isinstance(data, dict):
            tables = [("", [{"field": k, "value": v} for k, v in data.items()])]
    for title, rows in tables:
        render_rows(title, list(rows))
    console = _stdout_console()
    for line in out.lines:
        console.print(line, highlight=False)


def _flag_for(option: str | None, command: Any, flags: dict[str, str]) -> str | None:
    """The command-line flag of the command that sets library parameter ``option``, if it has one."""
    if not option:
        return None
    flag = flags.get(option, "--" + option.replace("_", "-"))
    known = {o for p in getattr(command, "params", ()) for o in getattr(p, "opts", ())}
    return flag if flag in known else None


def fail(
    exc: BaseException, *, debug: bool, command: Any = None, flags: dict[str, str] | None = None
) -> typing.NoReturn:
    """Print a one-line error on stderr and exit with the error's code.

    A :class:`T26Error` naming an ``option`` gets the flag that sets it on this ``command`` appended
    (``flags`` maps library parameter names to flags where they differ, e.g. ``columns`` -> ``--map``).
    """
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, T26Error):
        code = exc.exit_code
        text = str(exc)
        flag = _flag_for(exc.option, command, flags or {})
        if flag:
            first, *rest = text.splitlines() or [""]
            text = "\n".join([f"{first} (command line: {flag})", *rest])
    else:
        code = 1
        text = f"unexpected failure: {type(exc).__name__}: {exc}"
        if not debug:
            text += " (rerun with --debug for the traceback)"
    first, *rest = text.splitlines() or [""]
    sys.stderr.write(f"error: {first}\n")
    for line in rest:
        sys.stderr.write(f"  {line}\n")
    raise typer.Exit(code)


INT64_MAX = 2**63 - 1


def _flag_of(name: str, command: Any) -> str:
    for p in getattr(command, "params", ()):
        if p.name == name and getattr(p, "opts", None):
            return str(p.opts[0])
    return "--" + name.rstrip("_").replace("_", "-")


def check_numbers(values: dict[str, Any], command: Any = None) -> None:
    """One check of every numeric option: floats must be finite, integers must fit in 64 bits.

    No option of any command means anything with NaN or infinity (``--capital inf``, ``--max-weight
    nan``), and an integer past int64 only fails later, deep inside numpy or polars, with exit 1.
    """
    from trade2026.errors import InputError

    for name, value in values.items():
        items = value if isinstance(value, list | tuple) else [value]
        for v in items:
            if isinstance(v, bool):
                continue
            if isinstance(v, float) and not math.isfinite(v):
                msg = f"{_flag_of(name, command)} must be a finite number, got {v}"
                raise InputError(msg)
            if isinstance(v, int) and abs(v) > INT64_MAX:
                msg = f"{_flag_of(name, command)} is too large ({v}); it must fit in 64 bits"
                raise InputError(msg)


def _panic_error(exc: BaseException) -> Exception:
    from trade2026.errors import LakeError

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else "a Rust panic"
    return LakeError(f"the storage engine failed: {text}; rerun with --debug and report it if it persists")


def _root_obj(tctx: Any) -> dict[str, Any]:
    """The options given before the subcommand (``t26 --home X data ls``)."""
    if tctx is None:
        return {}
    root = tctx.find_root()
    return root.obj if isinstance(root.obj, dict) else {}


def command(
    app: typer.Typer,
    name: str | None = None,
    *,
    tracked: bool = False,
    flags: dict[str, str] | None = None,
    **kw: Any,
) -> Callable[[Callable[..., Out]], Callable[..., Out]]:
    """Register ``fn(ctx, ...) -> Out`` as a command of ``app`` with the shared options.

    ``flags`` maps library parameter names to this command's flags where they differ (for errors
    that name an ``option``; see :func:`fail`).
    """

    def deco(fn: Callable[..., Out]) -> Callable[..., Out]:
        hints = typing.get_type_hints(fn, include_extras=True)
        sig = inspect.signature(fn)
        params = [
            p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values() if p.name != "ctx"
        ]
        kwonly = inspect.Parameter.KEYWORD_ONLY
        extra = [
            inspect.Parameter("typer_ctx", kwonly, annotation=typer.Context),
            inspect.Parameter("json_", kwonly, default=False, annotation=JsonOpt),
            inspect.Parameter("home", kwonly, default=None, annotation=HomeOpt),
            inspect.Parameter("debug", kwonly, default=False, annotation=DebugOpt),
        ]
        if tracked:
            extra.append(inspect.Parameter("no_track", kwonly, default=False, annotation=NoTrackOpt))

        def wrapper(**kwargs: Any) -> None:
            tctx = kwargs.pop("typer_ctx", None)
            root = _root_obj(tctx)
            as_json = bool(kwargs.pop("json_"))
            home = kwargs.pop("home") or root.get("home")
            debug = bool(kwargs.pop("debug")) or bool(root.get("debug"))
            no_track = bool(kwargs.pop("no_track", False))
            ctx = Ctx(home=home, json=as_json, debug=debug, track=not no_track)
            set_compile_listener(None if as_json else ctx.log)
            command_obj = getattr(tctx, "command", None)
            try:
                check_numbers(kwargs, command_obj)
                out = fn(ctx, **kwargs)
                render(out, as_json=as_json)
            except (typer.Exit, typer.Abort):
                raise
            except KeyboardInterrupt:
                sys.stderr.write("interrupted\n")
                raise typer.Exit(130) from None
            except Exception as exc:
                fail(exc, debug=debug, command=command_obj, flags=flags)
            except BaseException as exc:  # a Rust panic inside deltalake/polars (pyo3 PanicException)
                if type(exc).__name__ != "PanicException":
                    raise
                fail(_panic_error(exc), debug=debug, command=command_obj, flags=flags)

        wrapper.__name__ = fn.__name__
        wrapper.__qualname__ = fn.__qualname__
        wrapper.__doc__ = fn.__doc__
        wrapper.__module__ = fn.__module__
        new_params = params + extra
        wrapper.__signature__ = sig.replace(parameters=new_params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in new_params}
        app.command(name, **kw)(wrapper)
        return fn

    return deco


def parse_date(text: str | None, opt: str, *, end_of_day: bool = False) -> _dt.datetime | None:
    """An option's ``YYYY-MM-DD`` or ISO timestamp as a UTC datetime (naive values are UTC).

    With ``end_of_day`` a bare date means its last microsecond, so ``--end 2024-01-31`` includes
    every bar stamped that day.
    """
    from trade2026.errors import InputError

    if text is None:
        return None
    try:
        d = _dt.datetime.fromisoformat(text.strip())
    except ValueError:
        msg = f"{opt} {text!r} is not a date; use YYYY-MM-DD or an ISO timestamp"
        raise InputError(msg) from None
    d = d.replace(tzinfo=_dt.UTC) if d.tzinfo is None else d.astimezone(_dt.UTC)
    if end_of_day and len(text.strip()) <= 10:
        d = d + _dt.timedelta(days=1) - _dt.timedelta(microseconds=1)
    return d


def universe_arg(symbols: str | None, universe: str | None) -> str | list[str] | None:
    """What ``--symbols``/``--universe`` select, for ``Lake.read_bars(universe=...)`` (one of the two)."""
    from trade2026.errors import InputError

    if symbols and universe:
        msg = "give --symbols or --universe, not both"
        raise InputError(msg)
    return split_list(symbols) or universe


def split_list(text: str | None) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]`` (comma-separated option values)."""
    return [s.strip() for s in (text or "").split(",") if s.strip()]


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in {"1", "true", "yes"}


__all__ = [
    "Ctx",
    "Out",
    "PeriodsOpt",
    "command",
    "dumps",
    "fail",
    "json_default",
    "parse_date",
    "render",
    "render_rows",
    "split_list",
    "universe_arg",
    "UniverseOpt",
]
