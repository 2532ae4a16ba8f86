"""Spread-adjusted entry/exit prices (PRICE_DECIMALS), mirroring math/pricing.rs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from perp_pool import errors
from perp_pool.constants import BPS_POWER
from perp_pool.math.fixed import Rounding, mul_div, u64
from perp_pool.math.oracle import OraclePrice


class Side(Enum):
    LONG = "long"
    SHORT = "short"

    @property
    def seed_byte(self) -> int:
        return 1 if self is Side.LONG else 2


@dataclass(frozen=True)
class TradePrices:
    lo: int
    hi: int


def trade_prices(spot: OraclePrice, ema: OraclePrice, use_ema: bool) -> TradePrices:
    if spot.exponent != ema.exponent:
        raise errors.InvalidOraclePrice()
    lo, hi = (min(spot.price, ema.price), max(spot.price, ema.price)) if use_ema else (spot.price, spot.price)
    lo_p = OraclePrice(lo, spot.exponent).scale_to_price_decimals(Rounding.FLOOR)
    hi_p = OraclePrice(hi, spot.exponent).scale_to_price_decimals(Rounding.CEIL)
    if lo_p == 0:
        raise errors.InvalidOraclePrice()
    return TradePrices(lo_p, hi_p)


def _spread_up(price: int, spread_bps: int) -> int:
    return u64(mul_div(price, BPS_POWER + spread_bps, BPS_POWER, Rounding.CEIL))


def _spread_down(price: int, spread_bps: int) -> int:
    return u64(mul_div(price, u64(BPS_POWER - spread_bps), BPS_POWER, Rounding.FLOOR))


def entry_price(side: Side, prices: TradePrices, spread_bps: int) -> int:
    """Longs buy above the market (hi + spread), shorts sell below it (lo - spread)."""
    if spread_bps >= BPS_POWER:
        raise errors.InvalidCustodyConfig()
    price = _spread_up(prices.hi, spread_bps) if side is Side.LONG else _spread_down(prices.lo, spread_bps)
    if price == 0:
        raise errors.InvalidOraclePrice()
    return price


def exit_price(side: Side, prices: TradePrices, spread_bps: int) -> int:
    if spread_bps >= BPS_POWER:
        raise errors.InvalidCustodyConfig()
    return _spread_down(prices.lo, spread_bps) if side is Side.LONG else _spread_up(prices.hi, spread_bps)


def exit_price_at(side: Side, oracle_price: int, spread_bps: int) -> int:
    return exit_price(side, TradePrices(oracle_price, oracle_price), spread_bps)
