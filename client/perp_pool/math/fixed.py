"""Checked fixed-point helpers mirroring math/safe_math.rs: u64/u128 ranges, explicit rounding."""

from __future__ import annotations

from enum import Enum

from perp_pool import errors

U64_MAX = 2**64 - 1
U128_MAX = 2**128 - 1
I128_MIN = -(2**127)
I128_MAX = 2**127 - 1


class Rounding(Enum):
    FLOOR = "floor"  # towards zero: amounts paid out, values credited to users
    CEIL = "ceil"  # away from zero: fees charged, values owed by users


def overflow(what: str) -> errors.TransactionFailed:
    return errors.MathOverflow(f"math overflow: {what}")


def u64(value: int) -> int:
    if not 0 <= value <= U64_MAX:
        raise overflow(f"{value} is not a u64")
    return value


def u128(value: int) -> int:
    if not 0 <= value <= U128_MAX:
        raise overflow(f"{value} is not a u128")
    return value


def i128(value: int) -> int:
    if not I128_MIN <= value <= I128_MAX:
        raise overflow(f"{value} is not an i128")
    return value


def pow10(exponent: int) -> int:
    return u128(10**exponent)


def div_round(value: int, divisor: int, rounding: Rounding) -> int:
    if divisor == 0:
        raise overflow("division by zero")
    q, r = divmod(value, divisor)
    return q + 1 if rounding is Rounding.CEIL and r else q


def mul_div(value: int, numerator: int, denominator: int, rounding: Rounding) -> int:
    """`value * numerator / denominator` in u128, rounded as asked (math/safe_math.rs `mul_div`)."""
    return u128(div_round(u128(value * numerator), denominator, rounding))
