"""A position's health now, exactly as the program's views and `liquidate` decide it
(state/position.rs `Position::valuation`, math/trade.rs `health_inputs`, math/pnl.rs).

Pure: the caller passes decoded Custody accounts (anchorpy objects or anything with the same
attributes), the oracle prices it read and checked, and `now`. keeper/health.py decodes the
accounts and reads the oracles; the CLI values positions with the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from perp_pool.math.backing import TokenBacking
from perp_pool.math.borrow import accrued_cumulative_interest, position_interest_usd
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pnl import (
    HealthInputs,
    capped_pnl,
    equity_usd,
    is_liquidatable,
    leverage_bps,
    liquidation_price,
)
from perp_pool.math.pricing import Side, TradePrices, exit_price
from perp_pool.math.skew import custody_premium_cumulative, position_premium_usd
from perp_pool.math.trade import CollateralCustody, Market, PositionState, health_inputs


def spread_bps(market_custody: Any, side: Side) -> int:
    """`PricingParams::spread_bps`: the market's trade spread for `side`."""
    pricing = market_custody.pricing
    spread: int = pricing.trade_spread_long_bps if side is Side.LONG else pricing.trade_spread_short_bps
    return spread


def cumulative_interest_at(custody: Any, now: int) -> int:
    """`BorrowRateState::cumulative_interest_at`: the custody's index accrued to `now` (not written)."""
    s = custody.borrow_rate_state
    return accrued_cumulative_interest(s.cumulative_interest, s.current_rate, s.last_update, now)


@dataclass(frozen=True)
class PositionValuation:
    """A position priced now (state/position.rs PositionValuation)."""

    exit_price: int  # spread included, PRICE_DECIMALS
    spread_bps: int
    interest_usd: int  # owed now, borrow premium included (indexes accrued to now)
    health: HealthInputs
    # an asset-backed long's tokens, revalued at each trial price of the liquidation-price search
    backing: TokenBacking | None = None


def position_valuation(position: PositionState, cumulative_interest_snapshot: int, market_custody: Any,
                       market_prices: TradePrices, collateral_custody: Any, collateral_min: OraclePrice,
                       collateral_max: OraclePrice, now: int, skew_premium_snapshot: int = 0,
                       aliased: bool = False) -> PositionValuation:
    """`Position::valuation` from the traded custody's trade prices and the collateral custody's
    (min, max) price, both read and checked at `now`. `aliased`: the position's collateral custody
    is its traded custody (an asset-backed long)."""
    spread = spread_bps(market_custody, position.side)
    interest = position_interest_usd(cumulative_interest_at(collateral_custody, now), cumulative_interest_snapshot,
                                     position.size_usd)
    # the market side's borrow premium, owed with the interest (`MarketSnapshot::owed_usd`)
    interest += position_premium_usd(custody_premium_cumulative(market_custody, position.side, now),
                                     skew_premium_snapshot, position.size_usd)
    return PositionValuation(
        exit_price=exit_price(position.side, market_prices, spread),
        spread_bps=spread,
        interest_usd=interest,
        health=health_inputs(position, interest,
                             CollateralCustody.from_custody(collateral_custody, collateral_min, collateral_max),
                             Market.from_custody(market_custody)),
        backing=TokenBacking(position.collateral_amount, position.locked_amount, collateral_custody.decimals)
        if aliased else None,
    )


@dataclass(frozen=True)
class Health:
    liquidatable: bool
    equity_usd: int
    leverage_bps: int
    liquidation_price: int | None = None
    exit_price: int = 0
    profit_usd: int = 0  # capped, on the whole size
    loss_usd: int = 0


def assess(valuation: PositionValuation, with_liquidation_price: bool = False) -> Health:
    """Liquidatable, equity, leverage (and optionally the liquidation price) at the valuation's exit price."""
    h, price = valuation.health, valuation.exit_price
    pnl = capped_pnl(h.side, h.quantity, price, h.size_usd, h.max_profit_usd)
    equity = equity_usd(h, price)
    return Health(
        liquidatable=is_liquidatable(h, price),
        equity_usd=equity,
        leverage_bps=leverage_bps(h.size_usd, equity),
        liquidation_price=(liquidation_price(h, valuation.spread_bps, valuation.backing)
                           if with_liquidation_price else None),
        exit_price=price,
        profit_usd=pnl.profit_usd,
        loss_usd=pnl.loss_usd,
    )
