"""The pricing rules the simulated traders meet, in one place: the open (its fee) and the borrow
rate. The defaults are the program's (the integer ports in perp_pool.math); a skew premium or any
other open-fee / borrow-rate rule (issue 14 parts 1-2) is plugged in by passing a `Rules` with a
different `open_position` or `borrow_rate` to `open_book`: nothing else in perp_pool.risk computes
a fee at open or a borrow rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from perp_pool.math import borrow
from perp_pool.math.pricing import Side
from perp_pool.math.trade import CollateralCustody, Market, OpenPositionAmounts, compute_open_position
from perp_pool.risk.params import CollateralParams


@dataclass(frozen=True)
class Exposure:
    """The pool's open interest in the market before a trade (USD): what a skew premium prices on."""

    long_usd: int = 0
    short_usd: int = 0


# (side, size_usd, entry_price, exit_price, collateral_in, collateral custody, market, exposure before)
OpenRule = Callable[[Side, int, int, int, int, CollateralCustody, Market, Exposure], OpenPositionAmounts]
# (utilisation RATE_DECIMALS, collateral custody params, exposure) -> hourly borrow rate RATE_DECIMALS
RateRule = Callable[[int, CollateralParams, Exposure], int]


def program_open(side: Side, size_usd: int, entry: int, exit_: int, collateral_in: int, custody: CollateralCustody,
                 market: Market, exposure: Exposure) -> OpenPositionAmounts:
    """`open_position` as the program computes it (utilisation-scaled open fee; exposure unused)."""
    return compute_open_position(side, size_usd, entry, exit_, collateral_in, custody, market)


def program_borrow_rate(utilization: int, params: CollateralParams, exposure: Exposure) -> int:
    """`update_borrow_rate`: the two-slope hourly rate on the collateral custody's utilisation."""
    return borrow.borrow_rate(utilization, params.base_rate, params.slope1, params.slope2, params.optimal_utilization)


@dataclass(frozen=True)
class Rules:
    open_position: OpenRule = program_open
    borrow_rate: RateRule = program_borrow_rate


PROGRAM_RULES = Rules()

__all__ = ["Exposure", "OpenRule", "PROGRAM_RULES", "RateRule", "Rules", "program_borrow_rate", "program_open"]
