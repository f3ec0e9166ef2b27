"""The arithmetic, exact where it can be and bounded everywhere.

Integers stay Python integers (exact at any size up to the bounds); a float anywhere makes
the result a float. Every input and result is bounded so that no request can make the
process compute or serialise something huge: operands have at most
``MAX_OPERAND_DIGITS`` digits, integer results at most ``MAX_RESULT_BITS`` bits (about
4,000 digits, below Python's 4,300-digit limit on int-to-text conversion), floats must be
finite. Out-of-range or undefined operations raise ``MathError`` (a 400), unparseable
operands ``OperandError`` (a 422) — never anything that becomes a 500.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Number = int | float

MAX_OPERAND_DIGITS = 1000
MAX_RESULT_BITS = 13_000
MAX_FACTORIAL = 1000
MAX_FIBONACCI = 10_000
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?$")


class MathError(ValueError):
    """The operation is undefined or out of range for these operands."""


class OperandError(ValueError):
    """An operand is missing or not a number."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name} {reason}")
        self.name = name
        self.reason = reason


def parse_operand(raw: Any, name: str) -> Number:
    """A JSON number or numeric text as an int (integers) or a finite float."""
    if raw is None:
        raise OperandError(name, "is required")
    if isinstance(raw, bool):
        raise OperandError(name, "must be a number, not a boolean")
    if isinstance(raw, int):
        value: Number = raw
    elif isinstance(raw, float):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if len(text) > MAX_OPERAND_DIGITS + 10:
            raise OperandError(name, f"has more than {MAX_OPERAND_DIGITS} digits")
        if _INTEGER.match(text):
            value = int(text)
        elif _DECIMAL.match(text):
            value = float(text)
        else:
            raise OperandError(name, "must be a number")
    else:
        raise OperandError(name, "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise OperandError(name, "must be a finite number")
    if isinstance(value, int) and _digits_exceed(value, MAX_OPERAND_DIGITS):
        raise OperandError(name, f"has more than {MAX_OPERAND_DIGITS} digits")
    return value


def _digits_exceed(value: int, digits: int) -> bool:
    # Compared by size, never by converting a huge integer to text.
    limit: int = 10**digits
    return abs(value) >= limit


def _checked(value: Number) -> Number:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MathError("The result is out of range")
        return value
    if value.bit_length() > MAX_RESULT_BITS:
        raise MathError("The result is too large")
    return value


def _integer_argument(value: Number, name: str, limit: int) -> int:
    if not isinstance(value, int):
        raise OperandError(name, "must be a whole number")
    if value < 0:
        raise MathError(f"{name} must not be negative")
    if value > limit:
        raise MathError(f"{name} must be at most {limit}")
    return value


def add(a: Number, b: Number) -> Number:
    return a + b


def subtract(a: Number, b: Number) -> Number:
    return a - b


def multiply(a: Number, b: Number) -> Number:
    return a * b


def divide(a: Number, b: Number) -> Number:
    if b == 0:
        raise MathError("Division by zero is undefined")
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    return a / b


def power(a: Number, b: Number) -> Number:
    if a == 0 and b < 0:
        raise MathError("0 cannot be raised to a negative power")
    if isinstance(a, int) and isinstance(b, int) and b >= 0:
        # a**b has at most b * bits(a) bits: refuse before computing, not after.
        if abs(a) > 1 and b * abs(a).bit_length() > MAX_RESULT_BITS + abs(a).bit_length():
            raise MathError("The result is too large")
        result: int = a**b
        return result
    try:
        return math.pow(float(a), float(b))
    except ValueError:
        raise MathError("The result is not a real number") from None


def sqrt(a: Number) -> Number:
    if a < 0:
        raise MathError("The square root of a negative number is not a real number")
    if isinstance(a, int):
        root = math.isqrt(a)
        if root * root == a:
            return root
    return math.sqrt(a)


def factorial(n: Number) -> int:
    return math.factorial(_integer_argument(n, "n", MAX_FACTORIAL))


def fibonacci(n: Number) -> int:
    count = _integer_argument(n, "n", MAX_FIBONACCI)
    previous, current = 0, 1
    for _ in range(count):
        previous, current = current, previous + current
    return previous


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    operands: tuple[str, ...]
    run: Callable[..., Number]


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("add", ("a", "b"), add),
        Operation("subtract", ("a", "b"), subtract),
        Operation("multiply", ("a", "b"), multiply),
        Operation("divide", ("a", "b"), divide),
        Operation("pow", ("a", "b"), power),
        Operation("sqrt", ("a",), sqrt),
        Operation("factorial", ("n",), factorial),
        Operation("fibonacci", ("n",), fibonacci),
    )
}


def compute(operation: Operation, operands: dict[str, Number]) -> Number:
    """Run ``operation``; ``MathError`` for anything undefined or out of range."""
    try:
        result = operation.run(*(operands[name] for name in operation.operands))
    except (OverflowError, ZeroDivisionError):
        # Overflow converting to float, or a float operation out of range.
        raise MathError("The result is out of range") from None
    return _checked(result)
