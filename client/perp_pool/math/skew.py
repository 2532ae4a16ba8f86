"""The skew premium and the net exposure caps of a market, mirroring math/skew.rs (integer-exact;
checked on the shared vectors, tests/vectors/perps.json "skew").

Imbalance `net = long OI - short OI` (USD), measured against the pool's AUM: the ramp is
`min(|net|, F) / F` with `F = floor(AUM * scale_aum_bps / BPS)`. A trade pays the open-fee premium on
the part that moves |net| away from 0 and earns the discount on the part that moves it towards 0, both
integrated along the trade's path; the majority side pays a borrow premium `max * ramp(|net|)` per hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from perp_pool import errors
from perp_pool.constants import BPS_POWER, RATE_POWER
from perp_pool.math.borrow import accrued_cumulative_interest, aggregate_interest_usd, position_interest_usd
from perp_pool.math.fixed import Rounding, mul_div, u64, u128
from perp_pool.math.pricing import Side

MAX_SKEW_SCALE_AUM_BPS = 100_000
MAX_NET_EXPOSURE_AUM_BPS = 1_000_000
NO_CAP = 2**128 - 1  # u128::MAX: "no cap" in headroom and `get_market_risk`


@dataclass(frozen=True)
class SkewParams:
    """`types::SkewParams` (all zero = no premium, no cap)."""

    scale_aum_bps: int = 0
    fee_premium_max_bps: int = 0
    fee_discount_max_bps: int = 0
    borrow_premium_max_rate: int = 0
    max_net_exposure_usd: int = 0
    max_net_exposure_aum_bps: int = 0

    @classmethod
    def from_account(cls, skew: Any) -> SkewParams:
        return cls(skew.scale_aum_bps, skew.fee_premium_max_bps, skew.fee_discount_max_bps,
                   skew.borrow_premium_max_rate, skew.max_net_exposure_usd, skew.max_net_exposure_aum_bps)


def net_exposure_usd(long_usd: int, short_usd: int) -> int:
    return long_usd - short_usd


def signed_size(side: Side, size_usd: int) -> int:
    return size_usd if side is Side.LONG else -size_usd


def full_scale_usd(aum_usd: int, scale_aum_bps: int) -> int:
    return mul_div(aum_usd, scale_aum_bps, BPS_POWER, Rounding.FLOOR)


def ramp_area_usd(a: int, b: int, full: int, rounding: Rounding) -> int:
    """Integral over [a, b] of min(x, F) / F (USD); the ramp is 1 above 0 when F = 0."""
    if a > b:
        raise errors.MathOverflow("segment runs backwards")
    if full == 0:
        return b - a
    ma, mb = min(a, full), min(b, full)
    quadratic = mul_div(mb - ma, mb + ma, u128(2 * full), rounding)
    return u128(quadratic + max(b, full) - max(a, full))


@dataclass(frozen=True)
class SkewFee:
    base_usd: int = 0
    premium_usd: int = 0
    discount_usd: int = 0
    fee_usd: int = 0


def trade_segments(net_before: int, side: Side, size_usd: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """`(reducing, increasing)` segments of |net| as (low, high) pairs."""
    size, abs_net = size_usd, abs(net_before)
    against = net_before < 0 if side is Side.LONG else net_before > 0
    reduced = min(size, abs_net) if against else 0
    start = abs_net - reduced
    return (start, abs_net), (start, start + size - reduced)


def skew_open_fee(side: Side, size_usd: int, fee_bps: int, net_before: int, aum_usd: int,
                  params: SkewParams) -> SkewFee:
    base = u64(mul_div(size_usd, fee_bps, BPS_POWER, Rounding.CEIL))
    if params.scale_aum_bps == 0:
        return SkewFee(base_usd=base, fee_usd=base)
    full = full_scale_usd(aum_usd, params.scale_aum_bps)
    (red_lo, red_hi), (inc_lo, inc_hi) = trade_segments(net_before, side, size_usd)
    bps2 = BPS_POWER * BPS_POWER
    premium = u64(mul_div(ramp_area_usd(inc_lo, inc_hi, full, Rounding.CEIL), fee_bps * params.fee_premium_max_bps,
                          bps2, Rounding.CEIL))
    discount = u64(mul_div(ramp_area_usd(red_lo, red_hi, full, Rounding.FLOOR),
                           fee_bps * params.fee_discount_max_bps, bps2, Rounding.FLOOR))
    discount = min(discount, base)
    return SkewFee(base, premium, discount, u64(base + premium - discount))


def borrow_premium_rate(side: Side, net: int, aum_usd: int, params: SkewParams) -> int:
    majority = net > 0 if side is Side.LONG else net < 0
    if params.scale_aum_bps == 0 or params.borrow_premium_max_rate == 0 or not majority:
        return 0
    full = full_scale_usd(aum_usd, params.scale_aum_bps)
    if full == 0:
        return params.borrow_premium_max_rate
    return u64(mul_div(min(abs(net), full), params.borrow_premium_max_rate, full, Rounding.FLOOR))


def marginal_fee_premium_bps(abs_net: int, aum_usd: int, params: SkewParams) -> int:
    if params.scale_aum_bps == 0 or abs_net == 0:
        return 0
    full = full_scale_usd(aum_usd, params.scale_aum_bps)
    if full == 0:
        return params.fee_premium_max_bps
    return u64(mul_div(min(abs_net, full), params.fee_premium_max_bps, full, Rounding.FLOOR))


def net_exposure_cap_usd(aum_usd: int, params: SkewParams) -> int | None:
    cap: int | None = None
    if params.max_net_exposure_usd > 0:
        cap = params.max_net_exposure_usd
    if params.max_net_exposure_aum_bps > 0:
        by_aum = mul_div(aum_usd, params.max_net_exposure_aum_bps, BPS_POWER, Rounding.FLOOR)
        cap = by_aum if cap is None else min(cap, by_aum)
    return cap


def check_net_exposure(net_before: int, net_after: int, aum_usd: int, params: SkewParams) -> None:
    """NetExposureLimitExceeded if the trade leaves |net| beyond the cap, unless it only reduces |net|
    without crossing zero (a trade across zero must end within the cap: review finding 1)."""
    same_side = (net_before >= 0 and net_after >= 0) or (net_before <= 0 and net_after <= 0)
    if same_side and abs(net_after) <= abs(net_before):
        return
    cap = net_exposure_cap_usd(aum_usd, params)
    if cap is not None and abs(net_after) > cap:
        raise errors.NetExposureLimitExceeded()


def headroom_usd(side: Side, net: int, aum_usd: int, params: SkewParams) -> int:
    cap = net_exposure_cap_usd(aum_usd, params)
    if cap is None:
        return NO_CAP
    return max(cap - net, 0) if side is Side.LONG else max(cap + net, 0)


def skew_params_valid(params: SkewParams) -> bool:
    premiums_without_scale = params.scale_aum_bps == 0 and (
        params.fee_premium_max_bps > 0 or params.fee_discount_max_bps > 0 or params.borrow_premium_max_rate > 0)
    return (not premiums_without_scale and params.scale_aum_bps <= MAX_SKEW_SCALE_AUM_BPS
            and params.fee_premium_max_bps + params.fee_discount_max_bps <= BPS_POWER
            and params.fee_discount_max_bps <= params.fee_premium_max_bps
            and params.borrow_premium_max_rate <= RATE_POWER
            and params.max_net_exposure_aum_bps <= MAX_NET_EXPOSURE_AUM_BPS)


@dataclass(frozen=True)
class PremiumIndex:
    """`math::skew::PremiumIndex` / `state::skew::SkewState` (rates and exact indexes per side)."""

    long_rate: int = 0
    short_rate: int = 0
    long_cumulative: int = 0
    short_cumulative: int = 0
    last_update: int = 0

    @classmethod
    def from_account(cls, state: Any) -> PremiumIndex:
        return cls(state.long_rate, state.short_rate, state.long_cumulative, state.short_cumulative,
                   state.last_update)

    def at(self, now: int) -> PremiumIndex:
        return PremiumIndex(
            self.long_rate, self.short_rate,
            accrued_cumulative_interest(self.long_cumulative, self.long_rate, self.last_update, now),
            accrued_cumulative_interest(self.short_cumulative, self.short_rate, self.last_update, now),
            max(self.last_update, now))

    def cumulative(self, side: Side) -> int:
        return self.long_cumulative if side is Side.LONG else self.short_cumulative

    def rate(self, side: Side) -> int:
        return self.long_rate if side is Side.LONG else self.short_rate

    def with_rates(self, net: int, aum_usd: int, params: SkewParams) -> PremiumIndex:
        return PremiumIndex(borrow_premium_rate(Side.LONG, net, aum_usd, params),
                            borrow_premium_rate(Side.SHORT, net, aum_usd, params),
                            self.long_cumulative, self.short_cumulative, self.last_update)


def position_premium_usd(cumulative: int, snapshot: int, size_usd: int) -> int:
    return position_interest_usd(cumulative, snapshot, size_usd)


def aggregate_premium_usd(cumulative: int, size_usd_total: int, weighted: int, rounding: Rounding) -> int:
    return aggregate_interest_usd(cumulative, size_usd_total, weighted, rounding)


def custody_premium_cumulative(custody: Any, side: Side, now: int) -> int:
    """The traded custody's premium index of `side` accrued to `now` (0 for an account without one)."""
    state = getattr(custody, "skew_state", None)
    if state is None:
        return 0
    return PremiumIndex.from_account(state).at(now).cumulative(side)
