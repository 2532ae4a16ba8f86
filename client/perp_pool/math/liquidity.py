"""LP deposit/withdraw amounts, AUM and LP price, mirroring math/liquidity.rs (pool-favoured rounding).

The AUM counts, per custody, the tokens the pool owns plus the interest its borrowers owe minus the
unrealised PnL of the positions trading it (`TradingValuation.value_usd`). Every LP price uses the
pool's LP supply INCLUDING its dead shares (`pool_lp_supply`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from perp_pool import errors
from perp_pool.constants import BPS_POWER, DEAD_LP_SUPPLY, LP_DECIMALS, USD_POWER
from perp_pool.math.backing import side_clamp_usd
from perp_pool.math.borrow import accrued_cumulative_interest, aggregate_interest_usd
from perp_pool.math.exposure import ExposureBook, Threshold, crossing
from perp_pool.math.fixed import Rounding, i128, mul_div, pow10, u64, u128
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pnl import aggregate_pnl_usd
from perp_pool.math.pricing import Side
from perp_pool.math.skew import PremiumIndex


class AumMode(Enum):
    MIN = "min"  # each custody at its min price, rounded down: what redemptions are paid from
    MAX = "max"  # each custody at its max price, rounded up: what new LP is issued against


@dataclass(frozen=True)
class TradingValuation:
    """The position aggregates of one custody that move its pool's AUM: the unrealised PnL of the
    positions TRADING it and the interest owed by the positions BORROWING from it."""

    long_size_usd: int = 0
    long_quantity: int = 0  # QUANTITY_DECIMALS
    long_collateral_usd: int = 0
    short_size_usd: int = 0
    short_quantity: int = 0
    short_collateral_usd: int = 0
    # USD: the payoff caps the longs / shorts registered (PositionStats.max_profit_usd)
    long_max_profit_usd: int = 0
    short_max_profit_usd: int = 0
    # QUANTITY_DECIMALS: the asset-backed positions' collateral and locked tokens in quantity units
    # (PositionStats.collateral_quantity / max_profit_quantity), valued at the side's price
    long_collateral_quantity: int = 0
    long_max_profit_quantity: int = 0
    short_collateral_quantity: int = 0
    short_max_profit_quantity: int = 0
    borrow_size_usd: int = 0  # sum of size_usd of the positions borrowing from this custody
    interest_weighted: int = 0  # sum of size_usd * snapshot of those positions
    cumulative_interest: int = 0  # the custody's index accrued to now

    # Upper bounds from the exposure books, each at the price its mode values the side at
    # (`side_price`): longs' profit above caps (max mode), their bad debt (min mode); shorts alike.
    long_profit_above_cap_usd: int = 0
    long_bad_debt_usd: int = 0
    short_profit_above_cap_usd: int = 0
    short_bad_debt_usd: int = 0
    # the market's borrow-premium indexes accrued to now and the sides' sum of size x snapshot
    long_premium_cumulative: int = 0
    long_premium_weighted: int = 0
    short_premium_cumulative: int = 0
    short_premium_weighted: int = 0

    def value_usd(self, min_price: OraclePrice, max_price: OraclePrice, mode: AumMode) -> int:
        """Accrued interest minus what the traders claim. Min mode values the pool low: the traders'
        claim at the price that favours them, rounded up, with their bad-debt bound added, interest
        rounded down; max mode the opposite, with their profit-above-cap bound subtracted."""
        rounding = Rounding.FLOOR if mode is AumMode.MIN else Rounding.CEIL
        interest = i128(aggregate_interest_usd(self.cumulative_interest, self.borrow_size_usd, self.interest_weighted,
                                               rounding)
                        + aggregate_interest_usd(self.long_premium_cumulative, self.long_size_usd,
                                                 self.long_premium_weighted, rounding)
                        + aggregate_interest_usd(self.short_premium_cumulative, self.short_size_usd,
                                                 self.short_premium_weighted, rounding))
        claim = 0
        sides = (
            (Side.LONG, self.long_size_usd, self.long_quantity, self.long_collateral_usd,
             self.long_max_profit_usd, self.long_profit_above_cap_usd, self.long_bad_debt_usd,
             self.long_collateral_quantity, self.long_max_profit_quantity),
            (Side.SHORT, self.short_size_usd, self.short_quantity, self.short_collateral_usd,
             self.short_max_profit_usd, self.short_profit_above_cap_usd, self.short_bad_debt_usd,
             self.short_collateral_quantity, self.short_max_profit_quantity),
        )
        for side, size_usd, quantity, collateral_usd, max_profit, above_cap, bad_debt, c_q, k_q in sides:
            if size_usd == 0 and quantity == 0:
                continue
            price, rounding = side_price(side, mode, min_price, max_price)
            collateral_bound, max_profit_bound = side_clamp_usd(collateral_usd, c_q, max_profit, k_q, price, rounding)
            claim = i128(claim + aggregate_pnl_usd(
                side, size_usd, quantity, collateral_bound, price, max_profit_bound, rounding,
                above_cap if mode is AumMode.MAX else 0, bad_debt if mode is AumMode.MIN else 0))
        return i128(interest - claim)


def side_price(side: Side, mode: AumMode, min_price: OraclePrice, max_price: OraclePrice) -> tuple[int, Rounding]:
    """`math::liquidity::side_price`: the price mode `mode` values `side`'s traders at, and the
    rounding of their PnL (min mode: the traders' favourable price, PnL rounded up)."""
    pnl_rounding = Rounding.CEIL if mode is AumMode.MIN else Rounding.FLOOR
    if (side is Side.LONG) == (mode is AumMode.MIN):
        return max_price.scale_to_price_decimals(Rounding.CEIL), pnl_rounding
    return min_price.scale_to_price_decimals(Rounding.FLOOR), pnl_rounding


@dataclass(frozen=True)
class CustodyValuation:
    owned: int
    decimals: int
    min_price: OraclePrice
    max_price: OraclePrice
    # Open positions on this custody and interest owed to it (all zero without positions).
    trading: TradingValuation = field(default_factory=TradingValuation)


def custody_valuation(custody: Any, min_price: OraclePrice, max_price: OraclePrice, now: int) -> CustodyValuation:
    """`Custody::valuation`: an anchorpy-decoded Custody account as the pool valuation sees it at
    `now` (its interest index accrued to `now`, not written)."""
    longs, shorts, state = custody.long_positions, custody.short_positions, custody.borrow_rate_state
    return CustodyValuation(
        owned=custody.assets.owned,
        decimals=custody.decimals,
        min_price=min_price,
        max_price=max_price,
        trading=TradingValuation(
            long_size_usd=longs.size_usd,
            long_quantity=longs.total_quantity,
            long_collateral_usd=longs.collateral_usd,
            short_size_usd=shorts.size_usd,
            short_quantity=shorts.total_quantity,
            short_collateral_usd=shorts.collateral_usd,
            long_max_profit_usd=longs.max_profit_usd,
            short_max_profit_usd=shorts.max_profit_usd,
            long_collateral_quantity=longs.collateral_quantity,
            long_max_profit_quantity=longs.max_profit_quantity,
            short_collateral_quantity=shorts.collateral_quantity,
            short_max_profit_quantity=shorts.max_profit_quantity,
            borrow_size_usd=state.borrow_size_usd,
            interest_weighted=state.interest_weighted,
            cumulative_interest=accrued_cumulative_interest(state.cumulative_interest, state.current_rate,
                                                            state.last_update, now),
            **book_bounds(longs, shorts, min_price, max_price),
            **premium_fields(custody, now),
        ),
    )


def premium_fields(custody: Any, now: int) -> dict[str, int]:
    """The borrow-premium fields of `Custody::valuation` (zeros for an account without a skew state)."""
    state = getattr(custody, "skew_state", None)
    if state is None:
        return {}
    index = PremiumIndex.from_account(state).at(now)
    return {"long_premium_cumulative": index.long_cumulative, "long_premium_weighted": state.long_weighted,
            "short_premium_cumulative": index.short_cumulative, "short_premium_weighted": state.short_weighted}


def book_bounds(longs: Any, shorts: Any, min_price: OraclePrice, max_price: OraclePrice) -> dict[str, int]:
    """The four exposure-book bounds of `Custody::valuation` from anchorpy-decoded PositionStats."""
    def bound(stats: Any, side: Side, threshold: Threshold, mode: AumMode) -> int:
        book = ExposureBook.from_account(stats.cap_book if threshold is Threshold.CAP else stats.bankruptcy_book)
        return book.excess_usd(crossing(side, threshold), side_price(side, mode, min_price, max_price)[0])
    return {
        "long_profit_above_cap_usd": bound(longs, Side.LONG, Threshold.CAP, AumMode.MAX),
        "long_bad_debt_usd": bound(longs, Side.LONG, Threshold.BANKRUPTCY, AumMode.MIN),
        "short_profit_above_cap_usd": bound(shorts, Side.SHORT, Threshold.CAP, AumMode.MAX),
        "short_bad_debt_usd": bound(shorts, Side.SHORT, Threshold.BANKRUPTCY, AumMode.MIN),
    }


def assets_under_management_usd(custodies: list[CustodyValuation], mode: AumMode) -> int:
    """Sum over the custodies of owned tokens (min price floor / max price ceil) plus the trading
    valuation; 0 if the total is negative."""
    total = 0
    for c in custodies:
        if mode is AumMode.MIN:
            owned = c.min_price.token_to_usd(c.owned, c.decimals, Rounding.FLOOR)
        else:
            owned = c.max_price.token_to_usd(c.owned, c.decimals, Rounding.CEIL)
        total = i128(i128(total + i128(owned)) + c.trading.value_usd(c.min_price, c.max_price, mode))
    return u128(max(total, 0))


def pool_lp_supply(mint_supply: int, dead_lp_supply: int) -> int:
    """`Pool::lp_supply`: the LP mint's supply plus the pool's dead shares (what every LP price uses)."""
    return u64(mint_supply + dead_lp_supply)


def lp_token_price_usd(aum_min_usd: int, lp_supply: int) -> int:
    """USD (USD_DECIMALS) per whole LP token, `lp_supply` including the dead shares; 1 USD while
    there is no supply."""
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
    dead_lp_amount: int  # DEAD_LP_SUPPLY (+ any prior value, micro-USD) on the first deposit, else 0
    protocol_fee_amount: int
    owned_increase: int


def compute_add_liquidity(amount_in: int, decimals: int, min_price: OraclePrice, aum_max_usd: int, lp_supply: int,
                          add_liquidity_bps: int, protocol_share_bps: int) -> AddLiquidityAmounts:
    """`lp_supply` includes the dead shares. The first deposit (supply 0) mints 1 LP base unit per
    micro-USD and gives DEAD_LP_SUPPLY of it to no one (ZeroAmount unless deposit_usd > DEAD_LP_SUPPLY)."""
    if amount_in == 0:
        raise errors.ZeroAmount()
    fee = fee_amount(amount_in, add_liquidity_bps)
    net = u64(amount_in - fee)
    deposit_usd = u64(min_price.token_to_usd(net, decimals, Rounding.FLOOR))
    if lp_supply == 0:
        if deposit_usd <= DEAD_LP_SUPPLY:
            raise errors.ZeroAmount()
        # Any value the pool already has goes to the dead shares (none exists before a first deposit).
        lp_out, dead = deposit_usd - DEAD_LP_SUPPLY, u64(DEAD_LP_SUPPLY + u64(aum_max_usd))
    else:
        if aum_max_usd == 0:
            raise errors.EmptyPool()
        lp_out, dead = u64(mul_div(deposit_usd, lp_supply, aum_max_usd, Rounding.FLOOR)), 0
    if lp_out == 0:
        raise errors.ZeroAmount()
    protocol_fee = protocol_fee_amount(fee, protocol_share_bps)
    return AddLiquidityAmounts(fee, net, deposit_usd, lp_out, dead, protocol_fee, u64(amount_in - protocol_fee))


@dataclass(frozen=True)
class RemoveLiquidityAmounts:
    withdraw_usd: int
    gross_amount: int
    fee_amount: int
    amount_out: int
    protocol_fee_amount: int
    owned_decrease: int


def redemption_gross(lp_amount_in: int, aum_min_usd: int, lp_supply: int, decimals: int,
                     max_price: OraclePrice) -> tuple[int, int]:
    """(withdraw_usd, gross_amount): the LP's share of `aum_min_usd` (floor) and its tokens at
    `max_price` (floor), before the fee. Errors as `compute_remove_liquidity`."""
    if lp_amount_in == 0:
        raise errors.ZeroAmount()
    if lp_supply == 0:
        raise errors.EmptyPool()
    if lp_amount_in > lp_supply:
        raise errors.InsufficientLiquidity()
    withdraw_usd = u64(mul_div(lp_amount_in, aum_min_usd, lp_supply, Rounding.FLOOR))
    return withdraw_usd, u64(max_price.usd_to_token(withdraw_usd, decimals, Rounding.FLOOR))


def compute_remove_liquidity(lp_amount_in: int, aum_min_usd: int, lp_supply: int, decimals: int,
                             max_price: OraclePrice, available_amount: int, remove_liquidity_bps: int,
                             protocol_share_bps: int) -> RemoveLiquidityAmounts:
    """Redemption of `lp_amount_in` out of `lp_supply` (including the dead shares)."""
    withdraw_usd, gross = redemption_gross(lp_amount_in, aum_min_usd, lp_supply, decimals, max_price)
    fee = fee_amount(gross, remove_liquidity_bps)
    out = u64(gross - fee)
    if out == 0:
        raise errors.ZeroAmount()
    protocol_fee = protocol_fee_amount(fee, protocol_share_bps)
    owned_decrease = u64(out + protocol_fee)
    if owned_decrease > available_amount:
        raise errors.InsufficientLiquidity()
    return RemoveLiquidityAmounts(withdraw_usd, gross, fee, out, protocol_fee, owned_decrease)
