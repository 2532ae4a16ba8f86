"""Trading fees and their split, mirroring math/fees.rs (fees round up, shares round down: the
protocol's, the insurance fund's and the LP stakers' cuts are floors, the rounding dust stays with LPs)."""

from __future__ import annotations

from dataclasses import dataclass

from perp_pool import errors
from perp_pool.constants import BPS_POWER, RATE_POWER
from perp_pool.math.fixed import Rounding, mul_div, u64


def bps_fee(amount: int, bps: int) -> int:
    return u64(mul_div(amount, bps, BPS_POWER, Rounding.CEIL))


def open_fee_bps(open_bps: int, utilization_after: int, optimal_utilization: int) -> int:
    """The open fee grows linearly above optimal utilisation, to 2x at 100 %."""
    if optimal_utilization >= RATE_POWER:
        raise errors.InvalidCustodyConfig()
    utilization = min(utilization_after, RATE_POWER)
    if utilization <= optimal_utilization:
        return open_bps
    extra = mul_div(open_bps, utilization - optimal_utilization, RATE_POWER - optimal_utilization, Rounding.CEIL)
    return u64(open_bps + u64(extra))


def open_position_fee_usd(size_usd: int, open_bps: int, utilization_after: int, optimal_utilization: int) -> int:
    return bps_fee(size_usd, open_fee_bps(open_bps, utilization_after, optimal_utilization))


def close_position_fee_usd(size_delta_usd: int, close_bps: int) -> int:
    return bps_fee(size_delta_usd, close_bps)


def liquidation_fee_usd(size_usd: int, liquidation_bps: int) -> int:
    return bps_fee(size_usd, liquidation_bps)


def liquidator_reward_usd(size_usd: int, liquidator_reward_bps: int) -> int:
    return bps_fee(size_usd, liquidator_reward_bps)


@dataclass(frozen=True)
class FeeSplit:
    protocol: int  # -> assets.protocol_fees
    insurance: int  # -> assets.insurance_fund
    stakers: int  # -> assets.stake_rewards (and stake_rewards_routed)
    lp: int  # -> assets.owned


def split_fee(fee: int, protocol_share_bps: int, insurance_share_bps: int, staker_share_bps: int) -> FeeSplit:
    if protocol_share_bps + insurance_share_bps + staker_share_bps > BPS_POWER:
        raise errors.InvalidCustodyConfig()
    protocol = u64(mul_div(fee, protocol_share_bps, BPS_POWER, Rounding.FLOOR))
    insurance = u64(mul_div(fee, insurance_share_bps, BPS_POWER, Rounding.FLOOR))
    stakers = u64(mul_div(fee, staker_share_bps, BPS_POWER, Rounding.FLOOR))
    return FeeSplit(protocol, insurance, stakers, u64(fee - protocol - insurance - stakers))
