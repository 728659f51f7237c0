"""The screen expression language: a tokenizer and a recursive-descent parser, compiled to polars.

Grammar (lowest precedence first; keywords are case-insensitive)::

    expr     := or
    or       := and ("or" and)*
    and      := not ("and" not)*
    not      := "not" not | compare
    compare  := sum (("<" | "<=" | ">" | ">=" | "==" | "=" | "!=") sum)*   # a < b < c chains
    sum      := product (("+" | "-") product)*
    product  := unary (("*" | "/") unary)*
    unary    := "-" unary | "+" unary | atom
    atom     := NUMBER | STRING | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"

Names are price fields (``close``, ``volume``, ...), indicators (``rsi_14``, ``mom_252_21``; see
:mod:`trade2026.features.indicators`) and market-regime columns (``regime``, ``vol_regime``,
``quadrant``). Functions are element-wise (``abs``, ``log``, ``sqrt``, ``exp``, ``sign``, ``min``,
``max``) or cross-sectional over the symbols of each date (``rank``, ``pct``, ``zscore``,
``demean``). Nothing is ``eval``'ed: the tree is type-checked (number / condition / text) and turned
into a polars expression; every error points at the offending token.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from trade2026.errors import ExpressionError, InputError
from trade2026.features import indicators as ind

DATE = "ts"

# Market-level text columns a screen may test, and the values they take.
MARKET_COLUMNS: dict[str, tuple[str, ...]] = {
    "regime": ("bull", "bear"),
    "vol_regime": ("calm", "volatile"),
    "quadrant": ("bull_calm", "bull_volatile", "bear_calm", "bear_volatile"),
}


@dataclass(frozen=True)
class Token:
    kind: str  # num, str, name, op, kw, end
    text: str
    pos: int
    value: Any = None


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?(?![A-Za-z_]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<str>"[^"]*"|'[^']*')
  | (?P<op><=|>=|==|!=|<|>|=|\+|-|\*|/|\(|\)|,)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not"}
_COMPARE = {"<", "<=", ">", ">=", "==", "=", "!="}
MAX_DEPTH = 100  # nesting of parentheses, calls, operators: deeper is a generated mistake, not a screen


def _pointer(source: str, pos: int, width: int = 1) -> str:
    return f"  {source}\n  {' ' * pos}{'^' * max(width, 1)}"


def _error(source: str, tok: Token | None, what: str, hint: str = "") -> ExpressionError:
    if tok is None:
        return ExpressionError(f"{what}\n  {source}")
    where = "at the end" if tok.kind == "end" else f"at position {tok.pos + 1}"
    msg = f"{what} {where}:\n{_pointer(source, tok.pos, len(tok.text))}"
    if hint:
        msg += f"\n{hint}"
    return ExpressionError(msg)


def tokenize(source: str) -> list[Token]:
    """Split an expression into tokens; an unknown character raises :class:`ExpressionError`."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN_RE.match(source, pos)
        if m is None:
            bad = Token("op", source[pos], pos)
            hint = ""
            if source[pos] in "&|!":
                hint = "use the words and / or / not"
            elif source[pos] == "%":
                hint = "write percentages as fractions (5% -> 0.05)"
            raise _error(source, bad, f"unexpected character {source[pos]!r}", hint)
        kind = m.lastgroup or ""
        text = m.group()
        if kind == "num":
            tokens.append(Token("num", text, pos, float(text)))
        elif kind == "name":
            low = text.lower()
            if low in _KEYWORDS:
                tokens.append(Token("kw", low, pos))
            else:
                tokens.append(Token("name", text, pos))
        elif kind == "str":
            tokens.append(Token("str", text, pos, text[1:-1]))
        elif kind == "op":
            tokens.append(Token("op", "==" if text == "=" else text, pos))
        pos = m.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


# -- syntax tree ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    tok: Token


@dataclass(frozen=True)
class Num(Node):
    value: float


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class Call(Node):
    fn: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.level = 0

    def deeper(self, t: Token) -> None:
        """One level deeper into the expression; past :data:`MAX_DEPTH` an ExpressionError."""
        self.level += 1
        if self.level > MAX_DEPTH:
            raise self.fail(f"the expression nests deeper than {MAX_DEPTH} levels", t, "simplify it")

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def at(self, kind: str, *texts: str) -> bool:
        t = self.tok
        return t.kind == kind and (not texts or t.text in texts)

    def fail(self, what: str, tok: Token | None = None, hint: str = "") -> ExpressionError:
        return _error(self.source, tok or self.tok, what, hint)

    def parse(self) -> Node:
        if self.at("end"):
            raise ExpressionError('the expression is empty; e.g. "rsi_14 < 30 and close > sma_200"')
        node = self.or_()
        deepest = _depth(node)
        if deepest > MAX_DEPTH:
            raise ExpressionError(
                f"the expression nests {deepest} operations deep, more than {MAX_DEPTH}; simplify it "
                "(e.g. fewer chained terms)"
            )
        if not self.at("end"):
            t = self.tok
            hint = ""
            if t.kind in ("name", "num", "str") or t.text == "(":
                hint = "an operator (and, or, <, +, ...) is missing before it"
            elif t.text == ")":
                hint = "this ) has no matching ("
            raise self.fail(f"unexpected {self._describe(t)}", t, hint)
        return node

    @staticmethod
    def _describe(t: Token) -> str:
        if t.kind == "end":
            return "end of expression"
        return f"{t.text!r}"

    def or_(self) -> Node:
        self.deeper(self.tok)
        node = self.and_()
        self.level -= 1
        while self.at("kw", "or"):
            t = self.take()
            node = Binary(t, "or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.at("kw", "and"):
            t = self.take()
            node = Binary(t, "and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.at("kw", "not"):
            t = self.take()
            self.deeper(t)
            node = Unary(t, "not", self.not_())
            self.level -= 1
            return node
        return self.compare()

    def compare(self) -> Node:
        left = self.sum_()
        node: Node | None = None
        while self.tok.kind == "op" and self.tok.text in _COMPARE:
            t = self.take()
            right = self.sum_()
            cmp = Binary(t, t.text, left, right)
            node = cmp if node is None else Binary(t, "and", node, cmp)
            left = right
        return left if node is None else node

    def sum_(self) -> Node:
        node = self.product()
        while self.at("op", "+", "-"):
            t = self.take()
            node = Binary(t, t.text, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.at("op", "*", "/"):
            t = self.take()
            node = Binary(t, t.text, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at("op", "-", "+"):
            t = self.take()
            self.deeper(t)
            node = Unary(t, t.text, self.unary())
            self.level -= 1
            return node
        return self.atom()

    def atom(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.take()
            return Num(t, float(t.value))
        if t.kind == "str":
            self.take()
            return Str(t, str(t.value))
        if t.kind == "name":
            self.take()
            if self.at("op", "("):
                self.take()
                args = [self.or_()]
                while self.at("op", ","):
                    self.take()
                    args.append(self.or_())
                if not self.at("op", ")"):
                    raise self.fail(f"expected ',' or ')' in the call to {t.text}, found {self._describe(self.tok)}")
                self.take()
                return Call(t, t.text.lower(), tuple(args))
            return Name(t, t.text)
        if self.at("op", "("):
            self.take()
            node = self.or_()
            if not self.at("op", ")"):
                raise self.fail(
                    f"expected ')' to close the '(' at position {t.pos + 1}, found {self._describe(self.tok)}"
                )
            self.take()
            return node
        if t.kind == "end":
            raise self.fail("the expression ends too early: a value is missing")
        if t.kind == "kw":
            raise self.fail(f"expected a value, found the keyword {t.text!r}")
        raise self.fail(f"expected a value (a number, a name or '('), found {self._describe(t)}")


def _depth(root: Node) -> int:
    """The depth of a syntax tree, walked without recursion (a long chain of terms is a deep tree)."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if isinstance(node, Binary):
            stack += [(node.left, d + 1), (node.right, d + 1)]
        elif isinstance(node, Unary):
            stack.append((node.operand, d + 1))
        elif isinstance(node, Call):
            stack += [(a, d + 1) for a in node.args]
    return deepest


def parse(source: str) -> Node:
    """Parse an expression into its syntax tree (raises :class:`ExpressionError`)."""
    return _Parser(source).parse()


# -- compilation ----------------------------------------------------------------------------------
NUM, BOOL, TEXT = "number", "condition", "text"


def _xs(fn: Callable[[pl.Expr], pl.Expr]) -> Callable[[pl.Expr], pl.Expr]:
    return lambda e: fn(e).over(DATE)


def _rank(e: pl.Expr) -> pl.Expr:
    return e.rank("average")


def _pct(e: pl.Expr) -> pl.Expr:
    return e.rank("average") / e.count()


def _zscore(e: pl.Expr) -> pl.Expr:
    return (e - e.mean()) / e.std()


def _demean(e: pl.Expr) -> pl.Expr:
    return e - e.mean()


def _log(e: pl.Expr) -> pl.Expr:
    return pl.when(e > 0).then(e.log()).otherwise(None)


def _sqrt(e: pl.Expr) -> pl.Expr:
    return pl.when(e >= 0).then(e.sqrt()).otherwise(None)


# name -> (implementation over the argument expressions, min args, max args, description)
CROSS_SECTIONAL = {
    "rank": (_xs(_rank), "rank among the symbols of the date, 1 = lowest (ties averaged)"),
    "pct": (_xs(_pct), "percentile rank among the symbols of the date, in (0, 1]"),
    "zscore": (_xs(_zscore), "(x - mean) / std across the symbols of the date"),
    "demean": (_xs(_demean), "x minus its mean across the symbols of the date"),
}
ELEMENTWISE: dict[str, tuple[Callable[[pl.Expr], pl.Expr], str]] = {
    "abs": (lambda e: e.abs(), "absolute value"),
    "log": (_log, "natural log (null for x <= 0)"),
    "sqrt": (_sqrt, "square root (null for x < 0)"),
    "exp": (lambda e: e.exp(), "e to the x"),
    "sign": (lambda e: e.sign(), "-1, 0 or 1"),
}
VARIADIC = {"min": "smallest of the arguments", "max": "largest of the arguments"}
FUNCTIONS = sorted([*CROSS_SECTIONAL, *ELEMENTWISE, *VARIADIC])


@dataclass
class Compiled:
    """A compiled expression: the polars expression, its type and the columns it needs."""

    source: str
    expr: pl.Expr
    kind: str
    indicators: list[str] = field(default_factory=list)
    market: list[str] = field(default_factory=list)
    cross_sectional: bool = False


class _Compiler:
    def __init__(self, source: str) -> None:
        self.source = source
        self.indicators: list[str] = []
        self.market: list[str] = []
        self.cross_sectional = False

    def fail(self, node: Node, what: str, hint: str = "") -> ExpressionError:
        return _error(self.source, node.tok, what, hint)

    def need(self, node: Node, want: str, role: str) -> pl.Expr:
        e, kind = self.compile(node)
        if kind != want:
            hint = ""
            if want == BOOL and kind == NUM:
                hint = "compare it with something, e.g. rsi_14 < 30"
            raise self.fail(node, f"{role} must be a {want}, but this is a {kind}", hint)
        return e

    def compile(self, node: Node) -> tuple[pl.Expr, str]:
        if isinstance(node, Num):
            return pl.lit(node.value, dtype=pl.Float64), NUM
        if isinstance(node, Str):
            return pl.lit(node.value), TEXT
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Unary):
            if node.op == "not":
                return ~self.need(node.operand, BOOL, "the operand of not"), BOOL
            e = self.need(node.operand, NUM, f"the operand of unary {node.op}")
            return (-e if node.op == "-" else e), NUM
        if isinstance(node, Binary):
            return self.binary(node)
        raise self.fail(node, "unsupported expression")  # pragma: no cover

    def name(self, node: Name) -> tuple[pl.Expr, str]:
        word = node.name.lower()
        if word in ind.FIELDS:
            return pl.col(word), NUM
        if word in MARKET_COLUMNS:
            if word not in self.market:
                self.market.append(word)
            return pl.col(word), TEXT
        if word in FUNCTIONS:
            raise self.fail(node, f"{word} is a function; call it like {word}(mom_252_21)")
        try:
            ind.parse_name(word)
        except InputError as exc:
            close = ind.suggest(word, extra=[*MARKET_COLUMNS, *FUNCTIONS])
            if "unknown indicator" in str(exc):
                hint = f"did you mean: {', '.join(close)}?" if close else ""
                hint = (hint + "\n" if hint else "") + "`t26 screen --list-indicators` lists every indicator"
                raise self.fail(node, f"unknown name {node.name!r}", hint) from None
            raise self.fail(node, str(exc)) from None
        if word not in self.indicators:
            self.indicators.append(word)
        return pl.col(word), NUM

    def call(self, node: Call) -> tuple[pl.Expr, str]:
        fn = node.fn
        if fn in VARIADIC:
            if len(node.args) < 2:
                raise self.fail(node, f"{fn}() needs at least two arguments")
            args = [self.need(a, NUM, f"an argument of {fn}()") for a in node.args]
            return (pl.min_horizontal(args) if fn == "min" else pl.max_horizontal(args)), NUM
        impl = CROSS_SECTIONAL.get(fn, ELEMENTWISE.get(fn))
        if impl is None:
            close = difflib.get_close_matches(fn, FUNCTIONS, n=3, cutoff=0.5)
            hint = f"did you mean: {', '.join(close)}?\n" if close else ""
            hint += f"functions: {', '.join(FUNCTIONS)}"
            raise self.fail(node, f"unknown function {node.tok.text!r}", hint)
        if len(node.args) != 1:
            raise self.fail(node, f"{fn}() takes one argument, got {len(node.args)}")
        arg = self.need(node.args[0], NUM, f"the argument of {fn}()")
        if fn in CROSS_SECTIONAL:
            self.cross_sectional = True
        return impl[0](arg), NUM

    def binary(self, node: Binary) -> tuple[pl.Expr, str]:
        op = node.op
        if op in ("and", "or"):
            a = self.need(node.left, BOOL, f"the left side of {op}")
            b = self.need(node.right, BOOL, f"the right side of {op}")
            return (a & b if op == "and" else a | b), BOOL
        if op in ("+", "-", "*", "/"):
            a = self.need(node.left, NUM, f"the left side of {op}")
            b = self.need(node.right, NUM, f"the right side of {op}")
            out = {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]
            return out, NUM
        # comparison
        a, ka = self.compile(node.left)
        b, kb = self.compile(node.right)
        if TEXT in (ka, kb):
            return self.text_compare(node, a, ka, b, kb), BOOL
        if ka != NUM or kb != NUM:
            bad = node.left if ka != NUM else node.right
            raise self.fail(bad, f"{op} compares numbers, but this is a {ka if ka != NUM else kb}")
        out = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op]
        return out, BOOL

    def text_compare(self, node: Binary, a: pl.Expr, ka: str, b: pl.Expr, kb: str) -> pl.Expr:
        if ka != kb:
            raise self.fail(node, f"cannot compare a {ka} with a {kb}", 'e.g. regime == "bull"')
        if node.op not in ("==", "!="):
            raise self.fail(node, f"text can only be compared with == or !=, not {node.op}")
        for col, lit in ((node.left, node.right), (node.right, node.left)):
            if isinstance(col, Name) and isinstance(lit, Str):
                allowed = MARKET_COLUMNS.get(col.name.lower(), ())
                if allowed and lit.value not in allowed:
                    close = difflib.get_close_matches(lit.value, allowed, n=2, cutoff=0.5)
                    hint = f"did you mean {close[0]!r}? " if close else ""
                    hint += f"{col.name} is one of {', '.join(repr(v) for v in allowed)}"
                    raise self.fail(lit, f"{col.name} is never {lit.value!r}", hint)
        return a == b if node.op == "==" else a != b


def compile_expression(source: str, *, want: str | None = None, role: str = "the expression") -> Compiled:
    """Parse and type-check ``source``; ``want`` is :data:`BOOL` for conditions, :data:`NUM` for scores."""
    tree = parse(source)
    comp = _Compiler(source)
    if want is None:
        expr, kind = comp.compile(tree)
    else:
        e, kind = comp.compile(tree)
        if kind != want:
            hint = "compare it with something, e.g. rsi_14 < 30" if want == BOOL else ""
            if want == NUM and kind == BOOL:
                hint = "a score is arithmetic, e.g. 0.5*zscore(mom_252_21) - 0.5*zscore(vol_63)"
            msg = f"{role} must be a {want}, but {source!r} is a {kind}"
            raise ExpressionError(msg + (f"; {hint}" if hint else ""))
        expr = e
    return Compiled(source, expr, kind, comp.indicators, comp.market, comp.cross_sectional)


__all__ = [
    "BOOL",
    "CROSS_SECTIONAL",
    "ELEMENTWISE",
    "FUNCTIONS",
    "MARKET_COLUMNS",
    "NUM",
    "TEXT",
    "VARIADIC",
    "Compiled",
    "ExpressionError",
    "Node",
    "Token",
    "compile_expression",
    "parse",
    "tokenize",
]
