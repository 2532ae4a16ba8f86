"""Utilisation, two-slope borrow rate and the cumulative interest index, mirroring math/borrow.rs."""

from __future__ import annotations

from perp_pool import errors
from perp_pool.constants import HOUR_SECONDS, RATE_POWER
from perp_pool.math.fixed import Rounding, mul_div, u64, u128


def utilization(locked: int, owned: int) -> int:
    """locked / owned in RATE_DECIMALS (0 for an empty custody)."""
    if owned == 0:
        return 0
    return u64(mul_div(locked, RATE_POWER, owned, Rounding.FLOOR))


def borrow_rate(utilization: int, base_rate: int, slope1: int, slope2: int, optimal_utilization: int) -> int:
    """Hourly rate (RATE_DECIMALS): base + U/optimal*slope1 below optimal, then + slope2 on the excess."""
    if optimal_utilization >= RATE_POWER:
        raise errors.InvalidCustodyConfig()
    if utilization < optimal_utilization:
        return u64(base_rate + u64(mul_div(utilization, slope1, optimal_utilization, Rounding.FLOOR)))
    variable = mul_div(u64(utilization - optimal_utilization), slope2, RATE_POWER - optimal_utilization,
                       Rounding.FLOOR)
    return u64(u64(base_rate + slope1) + u64(variable))


def accrued_cumulative_interest(cumulative: int, current_rate: int, last_update: int, now: int) -> int:
    if now <= last_update:
        return cumulative
    return u128(cumulative + mul_div(current_rate, now - last_update, HOUR_SECONDS, Rounding.FLOOR))


def position_interest_usd(cumulative: int, snapshot: int, size_usd: int) -> int:
    """Interest a position owes since its snapshot, rounded up (the trader pays)."""
    if cumulative < snapshot:
        raise errors.MathOverflow("cumulative index below snapshot")
    return u64(mul_div(cumulative - snapshot, size_usd, RATE_POWER, Rounding.CEIL))


def aggregate_interest_usd(cumulative: int, size_usd_total: int, interest_weighted: int, rounding: Rounding) -> int:
    owed = u128(cumulative * size_usd_total) - interest_weighted
    if owed < 0:
        raise errors.MathOverflow("aggregate interest below zero")
    return mul_div(owed, 1, RATE_POWER, rounding)
