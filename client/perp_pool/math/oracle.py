"""Oracle price checks and token/USD conversion, mirroring math/oracle.rs."""

from __future__ import annotations

from dataclasses import dataclass

from perp_pool import errors
from perp_pool.constants import BPS_POWER, PRICE_DECIMALS, USD_DECIMALS
from perp_pool.math.fixed import Rounding, mul_div, pow10, u64, u128

MAX_PRICE_EXPONENT = 18


@dataclass(frozen=True)
class OraclePrice:
    """`price * 10^exponent` USD per whole token."""

    price: int
    exponent: int

    def token_to_usd(self, amount: int, decimals: int, rounding: Rounding) -> int:
        """Value of `amount` base units in USD (USD_DECIMALS)."""
        value = u128(u64(amount) * u64(self.price))
        shift = self.exponent + USD_DECIMALS - decimals
        if shift >= 0:
            return u128(value * pow10(shift))
        return mul_div(value, 1, pow10(-shift), rounding)

    def usd_to_token(self, usd: int, decimals: int, rounding: Rounding) -> int:
        """Base units worth `usd` (USD_DECIMALS)."""
        shift = decimals - USD_DECIMALS - self.exponent
        if shift >= 0:
            return mul_div(usd, pow10(shift), self.price, rounding)
        return mul_div(usd, 1, u128(self.price * pow10(-shift)), rounding)

    def scale_to_price_decimals(self, rounding: Rounding) -> int:
        shift = self.exponent + PRICE_DECIMALS
        if shift >= 0:
            return u64(u128(self.price * pow10(shift)))
        return u64(mul_div(self.price, 1, pow10(-shift), rounding))


def validate_oracle_price(*, price: int, expo: int, conf: int, ema: int, publish_time: int, now: int,
                          max_price_age_sec: int, max_price_error_bps: int) -> tuple[OraclePrice, OraclePrice]:
    """(spot, ema) if the price may be used at `now`; the program's error otherwise."""
    if price <= 0 or abs(expo) > MAX_PRICE_EXPONENT:
        raise errors.InvalidOraclePrice()
    if publish_time > now:
        raise errors.OracleFutureTimestamp()
    if now - publish_time > max_price_age_sec:
        raise errors.StaleOraclePrice()
    if conf * BPS_POWER > price * max_price_error_bps:
        raise errors.OraclePriceConfidenceTooLow()
    spot = OraclePrice(price, expo)
    return spot, (spot if ema == 0 else OraclePrice(ema, expo))


def min_max_price(spot: OraclePrice, ema: OraclePrice) -> tuple[OraclePrice, OraclePrice]:
    if spot.exponent != ema.exponent:
        raise errors.InvalidOraclePrice()
    return (spot, ema) if spot.price <= ema.price else (ema, spot)
