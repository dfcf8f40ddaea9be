"""Checking what comes in: whole numbers, real numbers in a range, choices, seeds, finite arrays.

Every setting of :class:`ganlib.config.GANConfig`, every command-line option and every
public function that takes a count or a seed is checked here, so a mistake gets the same
clear message everywhere: what was expected, and what came instead. A :class:`Rule` is
one such check with what the command line needs to offer it (its kind, its choices and a
help text), so ``python -m ganlib train --help`` is written from the same rules that
:class:`~ganlib.config.GANConfig` enforces.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "MAX_SEED",
    "Rule",
    "boolean",
    "check_seed",
    "check_whole",
    "finite_as",
    "one_of",
    "real",
    "shown",
    "whole",
    "widths",
]

#: Seeds are whole numbers in [0, 2**64): what ``numpy.random.default_rng`` takes as one integer.
MAX_SEED = 2**64 - 1


def shown(value) -> str:
    """The value and its type for an error message, cut short if long."""
    try:
        text = repr(value)
    except ValueError:  # an integer of more than 4300 digits
        return "an integer too large to print"
    return f"{text[:40]}...({len(text)} characters)" if len(text) > 60 else f"{text} ({type(value).__name__})"


def _is_whole(value) -> bool:
    """A Python or NumPy integer, but not a bool (True is an int in Python, never a count here)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _interval(text: str) -> Callable[[float], bool]:
    """``"[0, 1)"`` -> a test ``inside(x)`` for that interval (``inf`` for no upper bound)."""
    low, high = (float(part) if part.strip() == "inf" else int(part) for part in text[1:-1].replace("_", "").split(","))
    above = (lambda x: x >= low) if text[0] == "[" else (lambda x: x > low)
    below = (lambda x: x <= high) if text[-1] == "]" else (lambda x: x < high)
    return lambda x: above(x) and below(x)


def check_whole(value, name: str, low: int = 0, high: int | None = None) -> int:
    """``value`` as an ``int`` if it is a whole number in [low, high], else a ``ValueError`` naming ``name``."""
    if not _is_whole(value):
        raise ValueError(f"{name} must be a whole number >= {low}, got {shown(value)}")
    if value < low or (high is not None and value > high):
        where = f"from {low:,} to {high:,}" if high is not None else f">= {low:,}"
        raise ValueError(f"{name} must be {where}, got {int(value):,}")
    return int(value)


def check_seed(value, name: str = "seed") -> int:
    """A random seed: a whole number from 0 to 2**64 - 1 (``ValueError`` otherwise)."""
    if not _is_whole(value) or not 0 <= value <= MAX_SEED:
        raise ValueError(f"{name} must be a whole number from 0 to 2**64 - 1, got {shown(value)}")
    return int(value)


def finite_as(value, dtype, what: str) -> np.ndarray:
    """``value`` converted to ``dtype``, after checking that it holds real numbers that stay finite.

    Strings, booleans, complex numbers and dates are refused, and so is a float64 of 1e300
    that would become Inf in float32. Raises ``ValueError`` naming ``what``.
    """
    value = np.asarray(value)
    if value.dtype.kind not in "fiu":
        raise ValueError(f"{what} must hold real numbers, got {value.dtype}")
    with np.errstate(over="ignore", invalid="ignore"):
        converted = value.astype(dtype)
    if not np.all(np.isfinite(converted)):
        raise ValueError(f"{what} contains NaN or Inf (or numbers too large for {np.dtype(dtype)})")
    return converted


# -- rules: one check per setting, with what the command line needs ---------------------------
@dataclass(frozen=True)
class Rule:
    """The check of one setting: ``rule(name, value)`` returns the value to store or raises ``ValueError``.

    ``kind`` ("whole", "real", "bool", "choice", "widths" or "init") and ``choices`` tell the
    command line how to read the option; ``help`` is its one-line description, and ``cli=False``
    keeps a setting off the command line (one that a named configuration sets, like the data size).
    """

    kind: str
    check: Callable[[str, object], object]
    help: str
    choices: tuple = ()
    cli: bool = True

    def __call__(self, name: str, value):
        return self.check(name, value)


def whole(interval: str, help: str, *, cli: bool = True) -> Rule:
    """A whole number (Python or NumPy integer, not bool) in ``interval``, e.g. ``"[1, inf)"``."""
    inside = _interval(interval)

    def check(name, value):
        if not _is_whole(value):
            raise ValueError(f"{name} must be a whole number in {interval}, got {shown(value)}")
        if not inside(int(value)):
            raise ValueError(f"{name} must be in {interval}, got {shown(value)}")
        return int(value)

    return Rule("whole", check, help, cli=cli)


def real(interval: str, help: str, *, cli: bool = True) -> Rule:
    """A finite number (int or float, Python or NumPy, not bool) in ``interval``, e.g. ``"[0, 1)"``."""
    inside = _interval(interval)

    def check(name, value):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{name} must be a number in {interval}, got {shown(value)}")
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            number = math.inf
        if not (math.isfinite(number) and inside(number)):
            raise ValueError(f"{name} must be in {interval}, got {shown(value)}")
        return number

    return Rule("real", check, help, cli=cli)


def boolean(help: str, *, cli: bool = True) -> Rule:
    """True or False (a NumPy bool too); not 0, 1 or a string."""

    def check(name, value):
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{name} must be True or False, got {shown(value)}")
        return bool(value)

    return Rule("bool", check, help, cli=cli)


def one_of(*options: str, help: str, cli: bool = True) -> Rule:
    """One of the given strings."""

    def check(name, value):
        if not isinstance(value, str) or value not in options:
            raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {shown(value)}")
        return value

    return Rule("choice", check, help, choices=options, cli=cli)


def widths(max_layers: int, help: str, *, cli: bool = True, example: str = "(256, 512)") -> Rule:
    """Layer widths: a list or tuple of whole numbers >= 1 (at most ``max_layers`` of them), stored as a tuple."""
    each = whole("[1, inf)", "")

    def check(name, value):
        if isinstance(value, np.ndarray) and value.ndim == 1:
            value = tuple(value)
        if not isinstance(value, (list, tuple)) or len(value) > max_layers:
            raise ValueError(
                f"{name} must be a list of at most {max_layers} layer widths, e.g. {example}; got {shown(value)}"
            )
        return tuple(each(f"each width in {name}", w) for w in value)

    return Rule("widths", check, help, cli=cli)
