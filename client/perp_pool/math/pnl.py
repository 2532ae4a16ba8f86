"""Position PnL, health and liquidation price, mirroring math/pnl.rs.

`liquidation_price` is the same bisection over the oracle price the program runs, so the price it
returns is exactly where `is_liquidatable` flips (the position is liquidatable one tick past it).
"""

from __future__ import annotations

from dataclasses import dataclass

from perp_pool import errors
from perp_pool.constants import BPS_POWER, PRICE_DECIMALS
from perp_pool.math.fixed import U64_MAX, Rounding, mul_div, pow10
from perp_pool.math.pricing import Side, exit_price_at

LIQUIDATION_PRICE_SEARCH_MAX = U64_MAX // 2


def position_quantity(size_usd: int, price: int) -> int:
    return mul_div(size_usd, pow10(PRICE_DECIMALS), price, Rounding.FLOOR)


@dataclass(frozen=True)
class ProfitAndLoss:
    profit_usd: int
    loss_usd: int


def position_pnl(side: Side, entry_price: int, exit_price: int, size_usd: int) -> ProfitAndLoss:
    """Profits round down, losses round up (in the pool's favour)."""
    if entry_price <= 0:
        raise errors.MathOverflow("entry price is zero")
    gains = exit_price >= entry_price if side is Side.LONG else exit_price <= entry_price
    # Saturates at u64::MAX like the program: only absurd exit prices get there, where a profit
    # is capped anyway and a loss wipes out any equity.
    amount = min(mul_div(size_usd, abs(entry_price - exit_price), entry_price,
                         Rounding.FLOOR if gains else Rounding.CEIL), U64_MAX)
    return ProfitAndLoss(amount, 0) if gains else ProfitAndLoss(0, amount)


def capped_pnl(side: Side, entry_price: int, exit_price: int, size_usd: int, max_profit_usd: int) -> ProfitAndLoss:
    pnl = position_pnl(side, entry_price, exit_price, size_usd)
    return ProfitAndLoss(min(pnl.profit_usd, max_profit_usd), pnl.loss_usd)


@dataclass(frozen=True)
class HealthInputs:
    side: Side
    entry_price: int
    size_usd: int
    collateral_usd: int
    max_profit_usd: int
    close_fee_usd: int
    interest_usd: int
    max_leverage_bps: int


def equity_usd(inputs: HealthInputs, exit_price: int) -> int:
    pnl = capped_pnl(inputs.side, inputs.entry_price, exit_price, inputs.size_usd, inputs.max_profit_usd)
    return inputs.collateral_usd + pnl.profit_usd - pnl.loss_usd - inputs.close_fee_usd - inputs.interest_usd


def is_liquidatable(inputs: HealthInputs, exit_price: int) -> bool:
    """size / equity > max leverage, or no equity left."""
    equity = equity_usd(inputs, exit_price)
    if equity <= 0:
        return True
    return inputs.size_usd * BPS_POWER > equity * inputs.max_leverage_bps


def leverage_bps(size_usd: int, equity: int) -> int:
    if equity <= 0:
        return U64_MAX
    return min(mul_div(size_usd, BPS_POWER, equity, Rounding.CEIL), U64_MAX)


def liquidation_price(inputs: HealthInputs, spread_bps: int) -> int:
    """Oracle price (PRICE_DECIMALS) at which the position stops being safe: longs are liquidatable
    strictly below it, shorts strictly above it."""
    def liquidatable(price: int) -> bool:
        return is_liquidatable(inputs, exit_price_at(inputs.side, price, spread_bps))

    top = LIQUIDATION_PRICE_SEARCH_MAX
    lo, hi = 0, top
    if inputs.side is Side.LONG:
        if not liquidatable(0):
            return 0
        if liquidatable(top):
            return U64_MAX
        while hi - lo > 1:
            mid = lo + (hi - lo) // 2
            if liquidatable(mid):
                lo = mid
            else:
                hi = mid
        return hi
    if liquidatable(0):
        return 0
    if not liquidatable(top):
        return top
    while hi - lo > 1:
        mid = lo + (hi - lo) // 2
        if liquidatable(mid):
            hi = mid
        else:
            lo = mid
    return lo


def aggregate_pnl_usd(side: Side, size_usd: int, total_quantity: int, collateral_usd: int, price: int,
                      max_payoff_mult_bps: int, trader_rounding: Rounding) -> int:
    """Traders' unrealised PnL on one side of a market from its aggregate stats (no scan),
    bounded by the payoff cap and by the collateral they can lose."""
    if size_usd == 0 and total_quantity == 0:
        return 0
    opposite = Rounding.CEIL if trader_rounding is Rounding.FLOOR else Rounding.FLOOR
    value = mul_div(total_quantity, price, pow10(PRICE_DECIMALS),
                    trader_rounding if side is Side.LONG else opposite)
    pnl = value - size_usd if side is Side.LONG else size_usd - value
    max_profit = mul_div(size_usd, max_payoff_mult_bps, BPS_POWER, Rounding.FLOOR)
    return max(min(pnl, max_profit), -collateral_usd)
