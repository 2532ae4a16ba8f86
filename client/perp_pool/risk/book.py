"""The trader population, opened at t0 against the pool with the program's own open (the ports):
what each position holds (quantity, size, collateral, lock), the pool's custody after the opens
and the borrow rate the opens leave, which the run then holds (docs/design.md "Stress simulator").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from perp_pool import errors
from perp_pool.constants import BPS_POWER, USD_POWER
from perp_pool.math.borrow import accrued_cumulative_interest, utilization
from perp_pool.math.orders import stop_loss_safe
from perp_pool.math.pricing import Side, TradePrices, entry_price, exit_price
from perp_pool.math.trade import PositionState, health_inputs
from perp_pool.risk.params import PoolParams, TraderParams
from perp_pool.risk.rules import PROGRAM_RULES, Exposure, Rules


@dataclass(frozen=True)
class Trader:
    """One trader's order at t0: side, USD size, collateral put up (tokens, open fee included) and an
    optional stop-loss trigger (an EXIT price, PRICE_DECIMALS)."""

    side: Side
    size_usd: int
    collateral_in: int
    stop_trigger: int | None = None


@dataclass(frozen=True)
class OpenBook:
    """The positions opened at t0 (in trader order; the rejected ones are left out) and the pool after."""

    pool: PoolParams
    positions: tuple[PositionState, ...]
    snapshots: tuple[int, ...]  # each position's cumulative-interest snapshot (the index is 0 at t0)
    stops: tuple[int | None, ...]  # stop-loss trigger (exit price) or None
    rate: int  # hourly borrow rate after the opens (RATE_DECIMALS), held for the run
    owned_start: int  # collateral tokens the LPs owned before the opens
    owned: int  # after the opens (their fees' LP share)
    locked: int
    insurance_fund: int
    protocol_fees: int
    stake_rewards: int
    open_fees: int  # tokens
    rejected: dict[str, int] = field(default_factory=dict)  # program error name -> count
    stops_refused: int = 0  # stop-losses the program would refuse (past the liquidation price)
    existing: int = 0  # the first `existing` positions were open before t0 (pool.positions)

    @property
    def spreads(self) -> tuple[int, int]:
        return self.pool.market.spread_long_bps, self.pool.market.spread_short_bps

    def spread(self, side: Side) -> int:
        return self.pool.market.spread_long_bps if side is Side.LONG else self.pool.market.spread_short_bps

    def cumulative(self, seconds: int) -> int:
        """The collateral custody's interest index `seconds` after t0 (0 at t0), at the held rate."""
        return accrued_cumulative_interest(0, self.rate, 0, seconds)


def draw_traders(pool: PoolParams, params: TraderParams, rng: np.random.Generator) -> list[Trader]:
    """`params.count` traders: side, leverage and size drawn from `rng`, turned into integers (USD
    base units, collateral tokens at 1 USD, rounded down); stop-loss triggers `stop_distance` away
    from the t0 exit price."""
    m, n = pool.market, params.count
    longs = rng.random(n) < params.long_share
    lev_lo = max(m.min_initial_leverage_bps / BPS_POWER, 1.0) * 1.01
    lev_hi = m.max_initial_leverage_bps / BPS_POWER * 0.95
    sigma = params.leverage_sigma
    lev = np.clip(params.leverage_mean * np.exp(sigma * rng.standard_normal(n) - sigma**2 / 2), lev_lo,
                  max(lev_hi, lev_lo))
    sizes = params.size_median_usd * np.exp(params.size_sigma * rng.standard_normal(n))
    if m.max_position_size_usd:
        sizes = np.minimum(sizes, m.max_position_size_usd / USD_POWER)
    stops = rng.random(n) < params.stop_loss_share
    prices = TradePrices(m.price, m.price)
    out = []
    scale = 10 ** pool.collateral.decimals
    for i in range(n):
        side = Side.LONG if longs[i] else Side.SHORT
        size_usd = max(int(sizes[i] * USD_POWER), 1)
        collateral_usd = size_usd * BPS_POWER // int(lev[i] * BPS_POWER)
        collateral_in = collateral_usd * scale // USD_POWER
        trigger = None
        if stops[i]:
            spread = m.spread_long_bps if side is Side.LONG else m.spread_short_bps
            now = exit_price(side, prices, spread)
            move = 1 - params.stop_distance if side is Side.LONG else 1 + params.stop_distance
            trigger = int(now * move)
        out.append(Trader(side, size_usd, collateral_in, trigger))
    return out


def open_book(pool: PoolParams, traders: list[Trader], rules: Rules = PROGRAM_RULES) -> OpenBook:
    """The pool's open positions (`pool.positions`) first, then the traders opened in order at the
    t0 price (spot = EMA) with `rules.open_position`, each against the custody the previous opens
    left; a refused open is counted by its program error. The borrow rate is then
    `rules.borrow_rate` of the utilisation after the last open."""
    c, m = pool.collateral, pool.market
    market = m.market()
    prices = TradePrices(m.price, m.price)
    owned, locked = c.owned, c.locked
    insurance = c.insurance_fund
    protocol = stakers = fees = 0
    positions: list[PositionState] = []
    snapshots: list[int] = []
    stops: list[int | None] = []
    long_usd = short_usd = 0
    for e in pool.positions:  # already open: their locks and fees are in the custody's numbers
        side = Side.LONG if e.long else Side.SHORT
        positions.append(PositionState(side, e.quantity, e.size_usd, e.collateral_amount, e.locked_amount))
        snapshots.append(e.snapshot)
        stops.append(None)
        long_usd, short_usd = (long_usd + e.size_usd, short_usd) if e.long else (long_usd, short_usd + e.size_usd)
    exposure = Exposure(long_usd, short_usd)
    rejected: Counter[str] = Counter()
    refused_stops = 0
    for t in traders:
        spread = m.spread_long_bps if t.side is Side.LONG else m.spread_short_bps
        custody = c.custody(owned, locked)
        try:
            amounts = rules.open_position(t.side, t.size_usd, entry_price(t.side, prices, spread),
                                          exit_price(t.side, prices, spread), t.collateral_in, custody, market,
                                          exposure)
        except errors.TransactionFailed as exc:
            rejected[type(exc).__name__] += 1
            continue
        position = PositionState(t.side, amounts.quantity, t.size_usd, amounts.collateral_amount,
                                 amounts.locked_amount)
        owned += amounts.fee_split.lp
        locked += amounts.locked_amount
        insurance += amounts.fee_split.insurance
        protocol += amounts.fee_split.protocol
        stakers += amounts.fee_split.stakers
        fees += amounts.fee_amount
        exposure = (Exposure(exposure.long_usd + t.size_usd, exposure.short_usd) if t.side is Side.LONG
                    else Exposure(exposure.long_usd, exposure.short_usd + t.size_usd))
        trigger = t.stop_trigger
        if trigger is not None:
            now = exit_price(t.side, prices, spread)
            reached = now <= trigger if t.side is Side.LONG else now >= trigger
            health = health_inputs(position, 0, c.custody(owned, locked), market)
            if trigger <= 0 or reached or not stop_loss_safe(health, trigger):
                trigger = None
                refused_stops += 1
        positions.append(position)
        snapshots.append(0)
        stops.append(trigger)
    rate = rules.borrow_rate(utilization(locked, owned), c, exposure)
    return OpenBook(pool, tuple(positions), tuple(snapshots), tuple(stops), rate, c.owned, owned, locked,
                    insurance, protocol, stakers, fees, dict(rejected), refused_stops, len(pool.positions))


__all__ = ["OpenBook", "Trader", "draw_traders", "open_book"]
