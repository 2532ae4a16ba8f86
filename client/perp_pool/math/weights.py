"""Custody weights in a multi-asset pool and the fees that steer them, mirroring math/weights.rs.

Values are the custodies' owned tokens at their MIN prices (floor); weights are parts per billion
(WEIGHT_POWER), floor; no weight when the pool owns nothing. A move toward the target that does not
cross it gets a rebate on the start distance (floor, never below a zero fee); a move across the target
counts from it; any other move pays the tax on the average distance, capped at the target (ceil). A
deposit or swap further past a bound is refused (TokenWeightOutOfRange); a redemption never is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from perp_pool import errors
from perp_pool.constants import BPS_POWER, QUANTITY_DECIMALS, WEIGHT_POWER
from perp_pool.math.borrow import utilization
from perp_pool.math.fixed import Rounding, i128, mul_div, pow10, u64, u128
from perp_pool.math.liquidity import (
    AddLiquidityAmounts,
    CustodyValuation,
    RemoveLiquidityAmounts,
    compute_add_liquidity,
    compute_remove_liquidity,
    fee_amount,
    protocol_fee_amount,
    redemption_gross,
)
from perp_pool.math.oracle import OraclePrice

BPS_TO_WEIGHT = WEIGHT_POWER // BPS_POWER


@dataclass(frozen=True)
class WeightParams:
    """`types::WeightParams`; all zero (max_bps == 0) = no weight rule."""

    target_bps: int = 0
    min_bps: int = 0
    max_bps: int = 0
    tax_bps: int = 0
    swap_bps: int = 0

    def is_set(self) -> bool:
        return self.max_bps > 0

    @classmethod
    def from_account(cls, weights: Any) -> WeightParams:
        """From an anchorpy-decoded `Custody.weights`."""
        return cls(weights.target_bps, weights.min_bps, weights.max_bps, weights.tax_bps, weights.swap_bps)


@dataclass(frozen=True)
class WeightMove:
    """A custody's weight before and after an operation, ppb; None when the pool owns nothing then."""

    before: int | None
    after: int | None


def owned_values_usd(valuations: Sequence[CustodyValuation]) -> list[int]:
    """Every custody's owned value, USD (its min price, floor)."""
    return [v.min_price.token_to_usd(v.owned, v.decimals, Rounding.FLOOR) for v in valuations]


def weight_ppb(value_usd: int, total_usd: int) -> int | None:
    """`value / total` in parts per billion, floor; None when the pool owns nothing."""
    if total_usd == 0:
        return None
    if value_usd > total_usd:
        raise errors.MathOverflow()
    return u64(mul_div(value_usd, WEIGHT_POWER, total_usd, Rounding.FLOOR))


def _at(values: Sequence[int], index: int) -> int:
    if not 0 <= index < len(values):
        raise errors.InvalidCustodyAccounts()
    return values[index]


def weight_move(values: Sequence[int], index: int, value_after: int,
                other: tuple[int, int] | None = None) -> WeightMove:
    """`WeightMove::of`: custody `index`'s value goes to `value_after` (and `other`'s, for a swap)."""
    total_before = u128(sum(values))
    before_value = _at(values, index)
    total_after = u128(total_before - before_value + value_after)
    if other is not None:
        other_index, other_after = other
        total_after = u128(total_after - _at(values, other_index) + other_after)
    return WeightMove(weight_ppb(before_value, total_before), weight_ppb(value_after, total_after))


def weight_fee_bps(params: WeightParams, base_bps: int, weights: WeightMove) -> int:
    """The fee, BPS, of a move of a custody's weight from the operation's `base_bps`."""
    before, after = weights.before, weights.after
    if before is None or after is None or not params.is_set():
        return base_bps
    target = u64(params.target_bps * BPS_TO_WEIGHT)
    scale = max(target, 1)
    # A move across the target counts from it: no rebate, the tax on the part beyond (review W1).
    crosses = (before < target < after) or (after < target < before)
    d0 = 0 if crosses else abs(before - target)
    d1 = abs(after - target)
    if d1 < d0:
        rebate = u64(mul_div(params.tax_bps, d0, scale, Rounding.FLOOR))
        return max(base_bps - rebate, 0)
    average = min((d0 + d1 + 1) // 2, scale)
    return u64(base_bps + u64(mul_div(params.tax_bps, average, scale, Rounding.CEIL)))


def check_weight_bounds(params: WeightParams, weights: WeightMove) -> None:
    """Refuses a move that leaves the weight above max while raising it, or below min while lowering it."""
    before, after = weights.before, weights.after
    if before is None or after is None or not params.is_set():
        return
    if after > params.max_bps * BPS_TO_WEIGHT and after > before:
        raise errors.TokenWeightOutOfRange()
    if after < params.min_bps * BPS_TO_WEIGHT and after < before:
        raise errors.TokenWeightOutOfRange()


class LiquidityMove(Enum):
    """`math::weights::LiquidityMove`: a deposit is refused past the max bound; a redemption pays
    the tax and is never refused by the min bound."""

    DEPOSIT = "deposit"
    REDEMPTION = "redemption"


def liquidity_fee_bps(valuations: Sequence[CustodyValuation], index: int, owned_after: int,
                      params: WeightParams, base_bps: int, operation: LiquidityMove) -> int:
    """The fee, BPS, of a deposit or redemption taking custody `index`'s owned to `owned_after`
    (the tokens moved before the fee); a deposit past the custody's max bound is refused."""
    if not 0 <= index < len(valuations):
        raise errors.InvalidCustodyAccounts()
    custody = valuations[index]
    value_after = custody.min_price.token_to_usd(owned_after, custody.decimals, Rounding.FLOOR)
    weights = weight_move(owned_values_usd(valuations), index, value_after)
    if operation is LiquidityMove.DEPOSIT:
        check_weight_bounds(params, weights)
    return weight_fee_bps(params, base_bps, weights)


def tokens_to_quantity(amount: int, decimals: int) -> int:
    """A token amount in QUANTITY_DECIMALS units of the token, floor."""
    if decimals <= QUANTITY_DECIMALS:
        return u128(u64(amount) * pow10(QUANTITY_DECIMALS - decimals))
    return u64(amount) // pow10(decimals - QUANTITY_DECIMALS)


def net_exposure_quantity(owned: int, decimals: int, long_quantity: int, short_quantity: int) -> int:
    """What the pool owns of the asset minus the longs' quantity plus the shorts' (QUANTITY_DECIMALS)."""
    return i128(i128(i128(tokens_to_quantity(owned, decimals)) - i128(long_quantity)) + i128(short_quantity))


@dataclass(frozen=True)
class SwapAmounts:
    in_usd: int
    gross_out: int
    fee_bps: int
    fee_amount: int
    amount_out: int
    protocol_fee_amount: int
    owned_decrease: int


def swap_gross_out(amount_in: int, in_decimals: int, in_min_price: OraclePrice, out_decimals: int,
                   out_max_price: OraclePrice) -> tuple[int, int]:
    """(in_usd, gross_out): the tokens in at the receiving min price, in dispensing tokens at its max price, floor."""
    if amount_in == 0:
        raise errors.ZeroAmount()
    in_usd = u64(in_min_price.token_to_usd(amount_in, in_decimals, Rounding.FLOOR))
    return in_usd, u64(out_max_price.usd_to_token(in_usd, out_decimals, Rounding.FLOOR))


def compute_swap(in_usd: int, gross_out: int, fee_bps: int, protocol_share_bps: int,
                 available_amount: int) -> SwapAmounts:
    fee = fee_amount(gross_out, fee_bps)
    out = u64(gross_out - fee)
    if out == 0:
        raise errors.ZeroAmount()
    protocol = protocol_fee_amount(fee, protocol_share_bps)
    owned_decrease = u64(out + protocol)
    if owned_decrease > available_amount:
        raise errors.InsufficientLiquidity()
    return SwapAmounts(in_usd, gross_out, fee_bps, fee, out, protocol, owned_decrease)


@dataclass(frozen=True)
class SwapLeg:
    index: int
    weights: WeightParams
    owned: int
    # Tokens locked for traders' payoffs, and `pricing.max_utilization` (RATE_DECIMALS, 0 = none).
    locked: int = 0
    max_utilization: int = 0


@dataclass(frozen=True)
class SwapQuote:
    amounts: SwapAmounts
    receiving_weight_ppb: int
    dispensing_weight_ppb: int


def quote_swap(valuations: Sequence[CustodyValuation], receiving: SwapLeg, dispensing: SwapLeg, amount_in: int,
               protocol_share_bps: int) -> SwapQuote:
    """`math::weights::quote_swap`: the dearer of the two legs' weight fees, both legs moved."""
    if receiving.index == dispensing.index:
        raise errors.InvalidSwap()
    if not (receiving.weights.is_set() and dispensing.weights.is_set()):
        raise errors.InvalidSwap()
    if not (0 <= receiving.index < len(valuations) and 0 <= dispensing.index < len(valuations)):
        raise errors.InvalidCustodyAccounts()
    r_view, d_view = valuations[receiving.index], valuations[dispensing.index]
    in_usd, gross_out = swap_gross_out(amount_in, r_view.decimals, r_view.min_price, d_view.decimals,
                                       d_view.max_price)
    values = owned_values_usd(valuations)
    receiving_after = r_view.min_price.token_to_usd(u64(receiving.owned + amount_in), r_view.decimals, Rounding.FLOOR)
    dispensing_after = d_view.min_price.token_to_usd(max(dispensing.owned - gross_out, 0), d_view.decimals,
                                                     Rounding.FLOOR)
    receiving_move = weight_move(values, receiving.index, receiving_after, (dispensing.index, dispensing_after))
    dispensing_move = weight_move(values, dispensing.index, dispensing_after, (receiving.index, receiving_after))
    check_weight_bounds(receiving.weights, receiving_move)
    check_weight_bounds(dispensing.weights, dispensing_move)
    fee_bps = max(weight_fee_bps(receiving.weights, receiving.weights.swap_bps, receiving_move),
                  weight_fee_bps(dispensing.weights, dispensing.weights.swap_bps, dispensing_move))
    amounts = compute_swap(in_usd, gross_out, fee_bps, protocol_share_bps, u64(dispensing.owned - dispensing.locked))
    owned_after = u64(dispensing.owned - amounts.owned_decrease)
    if dispensing.max_utilization and utilization(dispensing.locked, owned_after) > dispensing.max_utilization:
        raise errors.MaxUtilizationExceeded()
    values_after = list(values)
    values_after[receiving.index] = receiving_after
    values_after[dispensing.index] = d_view.min_price.token_to_usd(
        owned_after, d_view.decimals, Rounding.FLOOR)
    total_after = u128(sum(values_after))
    return SwapQuote(
        amounts,
        weight_ppb(values_after[receiving.index], total_after) or 0,
        weight_ppb(values_after[dispensing.index], total_after) or 0,
    )


def add_liquidity_amounts(valuations: Sequence[CustodyValuation], index: int, amount_in: int, params: WeightParams,
                          add_liquidity_bps: int, protocol_share_bps: int, nav_usd: int,
                          lp_supply: int) -> tuple[int, AddLiquidityAmounts]:
    """`controller::liquidity::apply_deposit`'s pricing: (fee_bps, amounts) of depositing `amount_in`
    tokens of custody `index` (valued by `valuations`, before the deposit), the flat rate steered by
    the custody's weight (owned moved by `amount_in`), LP issued against `nav_usd` (the AUM, or the
    tranche's NAV, at max prices) and `lp_supply` (with the dead shares)."""
    if not 0 <= index < len(valuations):
        raise errors.InvalidCustodyAccounts()
    custody = valuations[index]
    fee_bps = liquidity_fee_bps(valuations, index, u64(custody.owned + amount_in), params, add_liquidity_bps,
                                LiquidityMove.DEPOSIT)
    return fee_bps, compute_add_liquidity(amount_in, custody.decimals, custody.min_price, nav_usd, lp_supply, fee_bps,
                                          protocol_share_bps)


def remove_liquidity_amounts(valuations: Sequence[CustodyValuation], index: int, lp_amount_in: int,
                             params: WeightParams, remove_liquidity_bps: int, protocol_share_bps: int, nav_usd: int,
                             lp_supply: int, available_amount: int) -> tuple[int, RemoveLiquidityAmounts]:
    """`apply_withdrawal`'s pricing: (fee_bps, amounts) of redeeming `lp_amount_in` LP for custody
    `index`'s tokens, the flat rate steered by the weight once the gross tokens leave, against
    `nav_usd` (the AUM, or the tranche's NAV, at min prices) and `lp_supply`."""
    if not 0 <= index < len(valuations):
        raise errors.InvalidCustodyAccounts()
    custody = valuations[index]
    _, gross = redemption_gross(lp_amount_in, nav_usd, lp_supply, custody.decimals, custody.max_price)
    fee_bps = liquidity_fee_bps(valuations, index, max(custody.owned - gross, 0), params, remove_liquidity_bps,
                                LiquidityMove.REDEMPTION)
    return fee_bps, compute_remove_liquidity(lp_amount_in, nav_usd, lp_supply, custody.decimals, custody.max_price,
                                             available_amount, fee_bps, protocol_share_bps)
