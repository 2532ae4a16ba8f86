"""The pricing rules the simulated traders meet, in one place: the open (its fee, the exposure cap),
the borrow rate and the skew's borrow premium. The defaults are the program's (the integer ports in
perp_pool.math): the open fee with the market's skew premium or discount (`compute_open_position`
with `Market.skew` at the pool's net exposure before the trade and its cached AUM; a market without
skew params pays the plain utilisation-scaled fee), `NetExposureLimitExceeded` past the cap, the
two-slope borrow rate and the majority side's premium rate (`skew.borrow_premium_rate`). Another
rule is plugged in by passing a `Rules` with a different function to `open_book`: nothing else in
perp_pool.risk computes a fee at open or a rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from perp_pool.math import borrow
from perp_pool.math.pricing import Side
from perp_pool.math.skew import SkewParams, borrow_premium_rate
from perp_pool.math.trade import CollateralCustody, Market, MarketSkew, OpenPositionAmounts, compute_open_position
from perp_pool.risk.params import CollateralParams


@dataclass(frozen=True)
class Exposure:
    """The pool's open interest in the market before a trade (USD) and its cached AUM (USD): what the
    skew premium and the exposure cap price on."""

    long_usd: int = 0
    short_usd: int = 0
    aum_usd: int = 0

    @property
    def net_usd(self) -> int:
        return self.long_usd - self.short_usd

    def after(self, side: Side, size_usd: int) -> Exposure:
        if side is Side.LONG:
            return replace(self, long_usd=self.long_usd + size_usd)
        return replace(self, short_usd=self.short_usd + size_usd)


# (side, size_usd, entry_price, exit_price, collateral_in, collateral custody, market, exposure before)
OpenRule = Callable[[Side, int, int, int, int, CollateralCustody, Market, Exposure], OpenPositionAmounts]
# (utilisation RATE_DECIMALS, collateral custody params, exposure) -> hourly borrow rate RATE_DECIMALS
RateRule = Callable[[int, CollateralParams, Exposure], int]
# (side, exposure, the market's skew params) -> the side's hourly borrow premium, RATE_DECIMALS
PremiumRule = Callable[[Side, Exposure, SkewParams], int]


def program_open(side: Side, size_usd: int, entry: int, exit_: int, collateral_in: int, custody: CollateralCustody,
                 market: Market, exposure: Exposure) -> OpenPositionAmounts:
    """`open_position` as the program computes it: the utilisation-scaled open fee with the skew
    premium / discount of `market.skew.params` at the exposure's net and AUM, the exposure cap."""
    skewed = replace(market, skew=MarketSkew(market.skew.params, exposure.net_usd, exposure.aum_usd))
    return compute_open_position(side, size_usd, entry, exit_, collateral_in, custody, skewed)


def program_borrow_rate(utilization: int, params: CollateralParams, exposure: Exposure) -> int:
    """`update_borrow_rate`: the two-slope hourly rate on the collateral custody's utilisation."""
    return borrow.borrow_rate(utilization, params.base_rate, params.slope1, params.slope2, params.optimal_utilization)


def program_borrow_premium(side: Side, exposure: Exposure, params: SkewParams) -> int:
    """`SkewState` rates: the majority side's `borrow_premium_max_rate x ramp(|net|)`, the other 0."""
    return borrow_premium_rate(side, exposure.net_usd, exposure.aum_usd, params)


@dataclass(frozen=True)
class Rules:
    open_position: OpenRule = program_open
    borrow_rate: RateRule = program_borrow_rate
    borrow_premium: PremiumRule = program_borrow_premium


PROGRAM_RULES = Rules()

__all__ = ["Exposure", "OpenRule", "PROGRAM_RULES", "PremiumRule", "RateRule", "Rules", "program_borrow_premium",
           "program_borrow_rate", "program_open"]
