"""Position quantity, PnL, health and liquidation price, mirroring math/pnl.rs.

A position holds a `quantity` of the traded token (QUANTITY_DECIMALS, bought or sold at each
entry, rounded against the trader); its PnL is `quantity * exit_price / scale - size_usd` (long),
the opposite (short), the value rounded against the trader.

`liquidation_price` is the same bisection over the oracle price the program runs, so the price it
returns is exactly where `is_liquidatable` flips (the position is liquidatable one tick past it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from perp_pool.constants import BPS_POWER, PRICE_DECIMALS, QUANTITY_DECIMALS, USD_DECIMALS
from perp_pool.math.fixed import U64_MAX, U128_MAX, Rounding, i128, mul_div, pow10, u64, u128
from perp_pool.math.pricing import Side, exit_price_at

if TYPE_CHECKING:
    from perp_pool.math.backing import TokenBacking

LIQUIDATION_PRICE_SEARCH_MAX = U64_MAX // 2


def quantity_scale() -> int:
    """`10^(QUANTITY_DECIMALS + PRICE_DECIMALS - USD_DECIMALS)`: quantity x price / this = USD."""
    return pow10(QUANTITY_DECIMALS + PRICE_DECIMALS - USD_DECIMALS)


def against_trader_quantity(side: Side) -> Rounding:
    """The rounding of a quantity the trader takes on or gives back: long floor, short ceil."""
    return Rounding.FLOOR if side is Side.LONG else Rounding.CEIL


def entry_quantity(side: Side, size_usd: int, price: int) -> int:
    """Quantity (QUANTITY_DECIMALS) bought (long, floor) or sold (short, ceil) for `size_usd` at
    `price` (PRICE_DECIMALS). MathOverflow if `price == 0`."""
    return mul_div(u64(size_usd), quantity_scale(), u64(price), against_trader_quantity(side))


def quantity_value_usd(quantity: int, price: int, rounding: Rounding) -> int:
    """USD value of `quantity` at `price`: `quantity * price / scale`, rounded as asked (u128)."""
    return mul_div(u128(quantity), u64(price), quantity_scale(), rounding)


def average_entry_price(side: Side, size_usd: int, quantity: int) -> int:
    """`size * scale / quantity`, long ceil, short floor (informational: `Position.price`).
    MathOverflow if `quantity == 0` or the price does not fit u64."""
    rounding = Rounding.CEIL if side is Side.LONG else Rounding.FLOOR
    return u64(mul_div(u64(size_usd), quantity_scale(), u128(quantity), rounding))


@dataclass(frozen=True)
class ProfitAndLoss:
    profit_usd: int
    loss_usd: int


def position_pnl(side: Side, quantity: int, exit_price: int, size_usd: int) -> ProfitAndLoss:
    """Uncapped PnL of `size_usd` holding `quantity`, exited at `exit_price`: the quantity is valued
    against the trader (long floor, short ceil). A product `quantity * exit` above u128 is taken as
    u128::MAX, like the program."""
    product = u128(quantity) * u64(exit_price)
    rounding = Rounding.FLOOR if side is Side.LONG else Rounding.CEIL
    value = U128_MAX if product > U128_MAX else mul_div(product, 1, quantity_scale(), rounding)
    gains = value >= size_usd if side is Side.LONG else value <= size_usd
    # Saturates at u64::MAX like the program: only a long's profit or a short's loss at an absurd
    # exit price gets there, where a profit is capped anyway and a loss wipes out any equity.
    amount = min(abs(value - size_usd), U64_MAX)
    return ProfitAndLoss(amount, 0) if gains else ProfitAndLoss(0, amount)


def capped_pnl(side: Side, quantity: int, exit_price: int, size_usd: int, max_profit_usd: int) -> ProfitAndLoss:
    pnl = position_pnl(side, quantity, exit_price, size_usd)
    return ProfitAndLoss(min(pnl.profit_usd, max_profit_usd), pnl.loss_usd)


@dataclass(frozen=True)
class HealthInputs:
    """Everything a position's health depends on except the exit price (math/pnl.rs HealthInputs)."""

    side: Side
    quantity: int  # QUANTITY_DECIMALS
    size_usd: int
    collateral_usd: int  # collateral tokens at the collateral custody's min price (floor)
    max_profit_usd: int  # locked tokens at the collateral custody's min price (floor)
    close_fee_usd: int  # close fee on the whole size
    interest_usd: int  # borrow interest owed now
    max_leverage_bps: int


def equity_usd(inputs: HealthInputs, exit_price: int) -> int:
    """`collateral + profit - loss - close_fee - interest` at `exit_price` (may be negative)."""
    pnl = capped_pnl(inputs.side, inputs.quantity, exit_price, inputs.size_usd, inputs.max_profit_usd)
    return i128(inputs.collateral_usd + pnl.profit_usd - pnl.loss_usd - inputs.close_fee_usd - inputs.interest_usd)


def is_liquidatable(inputs: HealthInputs, exit_price: int) -> bool:
    """`equity <= 0` or `size * BPS_POWER > equity * max_leverage_bps`."""
    equity = equity_usd(inputs, exit_price)
    if equity <= 0:
        return True
    return inputs.size_usd * BPS_POWER > u128(equity * inputs.max_leverage_bps)


def leverage_bps(size_usd: int, equity: int) -> int:
    """`ceil(size * BPS_POWER / equity)`; u64::MAX when equity <= 0 or it does not fit."""
    if equity <= 0:
        return U64_MAX
    return min(mul_div(size_usd, BPS_POWER, equity, Rounding.CEIL), U64_MAX)


def liquidation_price(inputs: HealthInputs, spread_bps: int, backing: TokenBacking | None = None) -> int:
    """Oracle price (PRICE_DECIMALS) at the liquidation boundary: longs are liquidatable strictly
    below it (0 if never, u64::MAX if always), shorts strictly above it (LIQUIDATION_PRICE_SEARCH_MAX
    if never, 0 if always). With `backing` (an asset-backed long, `liquidation_price_backed`) the
    collateral and cap are revalued at each trial price."""
    def liquidatable(price: int) -> bool:
        exit_ = exit_price_at(inputs.side, price, spread_bps)
        if backing is not None:
            return backing.is_liquidatable_at(inputs, price, exit_)
        return is_liquidatable(inputs, exit_)

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
                      max_profit_usd: int, trader_rounding: Rounding, profit_above_cap_usd: int = 0,
                      bad_debt_usd: int = 0) -> int:
    """What the traders of one side claim from the pool, from its aggregate stats (no scan): their
    PnL rounded per `trader_rounding`, minus `profit_above_cap_usd` plus `bad_debt_usd` (the
    exposure books' bounds), clamped to `[-collateral_usd, max_profit_usd]` (the caps the side's
    positions registered, `PositionStats::max_profit_usd`)."""
    if size_usd == 0 and total_quantity == 0:
        return 0
    opposite = Rounding.CEIL if trader_rounding is Rounding.FLOOR else Rounding.FLOOR
    value = i128(quantity_value_usd(total_quantity, price, trader_rounding if side is Side.LONG else opposite))
    pnl = i128(value - size_usd if side is Side.LONG else size_usd - value)
    bounded = i128(pnl - profit_above_cap_usd + bad_debt_usd)
    return max(min(bounded, max_profit_usd), -collateral_usd)
