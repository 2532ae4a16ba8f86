"""LP deposit/withdraw amounts, AUM and LP price, mirroring math/liquidity.rs (pool-favoured rounding)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from perp_pool import errors
from perp_pool.constants import BPS_POWER, LP_DECIMALS, USD_POWER
from perp_pool.math.fixed import Rounding, mul_div, pow10, u64, u128
from perp_pool.math.oracle import OraclePrice


class AumMode(Enum):
    MIN = "min"
    MAX = "max"


@dataclass(frozen=True)
class CustodyValuation:
    owned: int
    decimals: int
    min_price: OraclePrice
    max_price: OraclePrice


def assets_under_management_usd(custodies: list[CustodyValuation], mode: AumMode) -> int:
    total = 0
    for c in custodies:
        if mode is AumMode.MIN:
            total = u128(total + c.min_price.token_to_usd(c.owned, c.decimals, Rounding.FLOOR))
        else:
            total = u128(total + c.max_price.token_to_usd(c.owned, c.decimals, Rounding.CEIL))
    return total


def lp_token_price_usd(aum_min_usd: int, lp_supply: int) -> int:
    """USD (USD_DECIMALS) per whole LP token; 1 USD while there is no supply."""
    if lp_supply == 0:
        return USD_POWER
    return u64(mul_div(aum_min_usd, pow10(LP_DECIMALS), lp_supply, Rounding.FLOOR))


def fee_amount(amount: int, fee_bps: int) -> int:
    """Fee charged on `amount`, rounded up (in the pool's favour)."""
    if fee_bps > BPS_POWER:
        raise errors.InvalidCustodyConfig()
    return u64(mul_div(amount, fee_bps, BPS_POWER, Rounding.CEIL))


def protocol_fee_amount(fee: int, protocol_share_bps: int) -> int:
    """The protocol's part of a fee, rounded down (the rest stays with LPs)."""
    if protocol_share_bps > BPS_POWER:
        raise errors.InvalidCustodyConfig()
    return u64(mul_div(fee, protocol_share_bps, BPS_POWER, Rounding.FLOOR))


@dataclass(frozen=True)
class AddLiquidityAmounts:
    fee_amount: int
    net_amount: int
    deposit_usd: int
    lp_amount_out: int
    protocol_fee_amount: int
    owned_increase: int


def compute_add_liquidity(amount_in: int, decimals: int, min_price: OraclePrice, aum_max_usd: int, lp_supply: int,
                          add_liquidity_bps: int, protocol_share_bps: int) -> AddLiquidityAmounts:
    if amount_in == 0:
        raise errors.ZeroAmount()
    fee = fee_amount(amount_in, add_liquidity_bps)
    net = u64(amount_in - fee)
    deposit_usd = u64(min_price.token_to_usd(net, decimals, Rounding.FLOOR))
    if lp_supply == 0:
        lp_out = deposit_usd
    else:
        if aum_max_usd == 0:
            raise errors.EmptyPool()
        lp_out = u64(mul_div(deposit_usd, lp_supply, aum_max_usd, Rounding.FLOOR))
    if lp_out == 0:
        raise errors.ZeroAmount()
    protocol_fee = protocol_fee_amount(fee, protocol_share_bps)
    return AddLiquidityAmounts(fee, net, deposit_usd, lp_out, protocol_fee, u64(amount_in - protocol_fee))


@dataclass(frozen=True)
class RemoveLiquidityAmounts:
    withdraw_usd: int
    gross_amount: int
    fee_amount: int
    amount_out: int
    protocol_fee_amount: int
    owned_decrease: int


def compute_remove_liquidity(lp_amount_in: int, aum_min_usd: int, lp_supply: int, decimals: int,
                             max_price: OraclePrice, available_amount: int, remove_liquidity_bps: int,
                             protocol_share_bps: int) -> RemoveLiquidityAmounts:
    if lp_amount_in == 0:
        raise errors.ZeroAmount()
    if lp_supply == 0:
        raise errors.EmptyPool()
    if lp_amount_in > lp_supply:
        raise errors.InsufficientLiquidity()
    withdraw_usd = u64(mul_div(lp_amount_in, aum_min_usd, lp_supply, Rounding.FLOOR))
    gross = u64(max_price.usd_to_token(withdraw_usd, decimals, Rounding.FLOOR))
    fee = fee_amount(gross, remove_liquidity_bps)
    out = u64(gross - fee)
    if out == 0:
        raise errors.ZeroAmount()
    protocol_fee = protocol_fee_amount(fee, protocol_share_bps)
    owned_decrease = u64(out + protocol_fee)
    if owned_decrease > available_amount:
        raise errors.InsufficientLiquidity()
    return RemoveLiquidityAmounts(withdraw_usd, gross, fee, out, protocol_fee, owned_decrease)
