"""The command line's one kind of error, and :mod:`ganlib.checks` turned into it.

A :class:`UserError` is a problem the user can fix (an option's value, a file): ``main``
prints it as one line, ``error: ...``, and exits with status 2. The checks of counts,
seeds and ranges are :mod:`ganlib.checks`' own, so the command line says what the library
says; only its ``ValueError`` becomes a ``UserError``, named after the option.
"""

from __future__ import annotations

from .. import checks

__all__ = ["UserError", "real_option", "seed_option", "whole_option"]


class UserError(Exception):
    """A problem the user can fix (an option's value, a file): reported as one line, exit status 2."""


def whole_option(option: str, value, low: int = 1, high: int | None = None, fix: str = "") -> int:
    """``value`` of ``option`` as a whole number in [low, high] (:func:`ganlib.checks.check_whole`); ``fix``
    is appended to the message."""
    try:
        return checks.check_whole(value, option, low, high)
    except ValueError as err:
        raise UserError(f"{err}{fix}") from None


def seed_option(value, option: str = "--seed") -> int:
    """A seed: a whole number from 0 to 2**64 - 1 (:func:`ganlib.checks.check_seed`)."""
    try:
        return checks.check_seed(value, option)
    except ValueError as err:
        raise UserError(str(err)) from None


def real_option(option: str, value, interval: str) -> float:
    """A finite number in ``interval``, e.g. ``"[0, 1]"`` (:func:`ganlib.checks.real`); NaN is refused."""
    try:
        return checks.real(interval, "")(option, value)
    except ValueError as err:
        raise UserError(str(err)) from None
