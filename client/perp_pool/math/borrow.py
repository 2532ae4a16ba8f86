"""Utilisation, two-slope borrow rate and the cumulative interest index, mirroring math/borrow.rs.

Rates are per hour (RATE_DECIMALS). The index is the exact sum of `rate * seconds`; interest owed
divides by `RATE_POWER * HOUR_SECONDS` once, when it is settled.
"""

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
    """`cumulative + current_rate * (now - last_update)`, exact (units RATE_DECIMALS x seconds), so the
    index does not depend on how often it is accrued; a `now` at or before `last_update` accrues nothing."""
    if now <= last_update:
        return cumulative
    return u128(u128(cumulative) + u128(u64(current_rate) * (now - last_update)))


def interest_index_power() -> int:
    """`RATE_POWER * HOUR_SECONDS`: index units per 100 % of interest."""
    return u128(RATE_POWER * HOUR_SECONDS)


def position_interest_usd(cumulative: int, snapshot: int, size_usd: int) -> int:
    """`ceil((cumulative - snapshot) * size_usd / (RATE_POWER * HOUR_SECONDS))`: rounded up (the
    trader pays). MathOverflow if the snapshot is above the index."""
    if cumulative < snapshot:
        raise errors.MathOverflow("cumulative index below snapshot")
    return u64(mul_div(cumulative - snapshot, u64(size_usd), interest_index_power(), Rounding.CEIL))


def aggregate_interest_usd(cumulative: int, size_usd_total: int, interest_weighted: int, rounding: Rounding) -> int:
    """`(cumulative * size_usd_total - interest_weighted) / (RATE_POWER * HOUR_SECONDS)`, rounded as
    asked (`interest_weighted` = sum of size_usd x snapshot)."""
    owed = u128(cumulative * u64(size_usd_total)) - interest_weighted
    if owed < 0:
        raise errors.MathOverflow("aggregate interest below zero")
    return mul_div(owed, 1, interest_index_power(), rounding)
