"""The trader population, opened at t0 against the pool with the program's own open (the ports):
what each position holds (quantity, size, collateral, lock), the pool's custodies after the opens
and the borrow rates and skew premium rates the opens leave, which the run then holds
(docs/design.md "Stress simulator"). An asset-backed long holds its collateral and lock in the
traded custody's tokens (the LPs' `lp_tokens`), a stable-backed position in the stable custody's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from perp_pool import errors
from perp_pool.constants import BPS_POWER, PRICE_DECIMALS, USD_POWER
from perp_pool.math.borrow import accrued_cumulative_interest, position_interest_usd, utilization
from perp_pool.math.fixed import Rounding
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.orders import stop_loss_safe
from perp_pool.math.pricing import Side, TradePrices, entry_price, exit_price
from perp_pool.math.trade import CollateralCustody, PositionState, health_inputs
from perp_pool.risk.params import PoolParams, TraderParams
from perp_pool.risk.rules import PROGRAM_RULES, Exposure, Rules


@dataclass(frozen=True)
class Trader:
    """One trader's order at t0: side, USD size, collateral put up (tokens of its collateral custody,
    open fee included), an optional stop-loss trigger (an EXIT price, PRICE_DECIMALS) and whether the
    collateral custody is the traded one (an asset-backed long)."""

    side: Side
    size_usd: int
    collateral_in: int
    stop_trigger: int | None = None
    asset_backed: bool = False


@dataclass(frozen=True)
class CustodyTotals:
    """A custody's LP-owned, locked and fee tokens after the opens (its own token units)."""

    owned: int
    locked: int
    insurance_fund: int
    protocol_fees: int = 0
    stake_rewards: int = 0
    open_fees: int = 0


@dataclass(frozen=True)
class OpenBook:
    """The positions opened at t0 (in trader order; the rejected ones are left out) and the pool after."""

    pool: PoolParams
    positions: tuple[PositionState, ...]
    snapshots: tuple[int, ...]  # each position's cumulative-interest snapshot (its custody's index is 0 at t0)
    stops: tuple[int | None, ...]  # stop-loss trigger (exit price) or None
    rate: int  # hourly borrow rate of the stable custody after the opens (RATE_DECIMALS), held for the run
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
    backed: tuple[bool, ...] = ()  # per position: asset-backed (collateral in the traded custody); () none
    market: CustodyTotals | None = None  # the traded custody's lending side after the opens
    market_rate: int = 0  # its hourly borrow rate after the opens, held (asset-backed longs owe it)
    premium_rates: tuple[int, int] = (0, 0)  # (long, short) skew borrow premium after the opens, held
    premium_snapshots: tuple[int, ...] = ()  # each position's premium snapshot (its side's index 0 at t0)
    aum_usd: int = 0  # the cached AUM the skew read
    long_usd: int = 0  # open interest after the opens
    short_usd: int = 0

    @property
    def spreads(self) -> tuple[int, int]:
        return self.pool.market.spread_long_bps, self.pool.market.spread_short_bps

    def spread(self, side: Side) -> int:
        return self.pool.market.spread_long_bps if side is Side.LONG else self.pool.market.spread_short_bps

    def is_backed(self, i: int) -> bool:
        return bool(self.backed) and self.backed[i]

    def cumulative(self, seconds: int, backed: bool = False) -> int:
        """The interest index of a position's collateral custody `seconds` after t0 (0 at t0), at the
        held rate: the stable custody's, or (`backed`) the traded custody's."""
        return accrued_cumulative_interest(0, self.market_rate if backed else self.rate, 0, seconds)

    def premium_cumulative(self, side: Side, seconds: int) -> int:
        """The side's skew premium index `seconds` after t0 (0 at t0), at the held premium rate."""
        return accrued_cumulative_interest(0, self.premium_rates[0 if side is Side.LONG else 1], 0, seconds)

    def interest_usd(self, i: int, seconds: int) -> int:
        """What position `i` owes `seconds` after t0: its borrow interest plus its side's skew premium,
        each rounded up as the program owes them (`MarketSnapshot::owed_usd`)."""
        p = self.positions[i]
        interest = position_interest_usd(self.cumulative(seconds, self.is_backed(i)), self.snapshots[i], p.size_usd)
        premium_snap = self.premium_snapshots[i] if self.premium_snapshots else 0
        return interest + position_interest_usd(self.premium_cumulative(p.side, seconds), premium_snap, p.size_usd)

    def custody_at(self, i: int, price: int) -> CollateralCustody:
        """Position `i`'s collateral custody as a trade sees it at the market's oracle `price`."""
        if self.is_backed(i):
            m = self.market or CustodyTotals(0, 0, 0)
            return self.pool.market.lending().custody(m.owned, m.locked, OraclePrice(price, -PRICE_DECIMALS))
        return self.pool.collateral.custody(self.owned, self.locked)


def start_aum_usd(pool: PoolParams) -> int:
    """The cached AUM the skew prices on: `pool.aum_usd`, or the LPs' value at t0 (stable owned at 1
    USD plus their traded tokens at the t0 price, both rounded down)."""
    if pool.aum_usd is not None:
        return pool.aum_usd
    c, m = pool.collateral, pool.market
    stable = c.custody().value_usd(c.owned)
    return stable + OraclePrice(m.price, -PRICE_DECIMALS).token_to_usd(m.lp_tokens, m.decimals, Rounding.FLOOR)


def draw_traders(pool: PoolParams, params: TraderParams, rng: np.random.Generator) -> list[Trader]:
    """`params.count` traders: side, leverage and size drawn from `rng`, turned into integers (USD
    base units, collateral tokens at 1 USD or, for an asset-backed long, at the t0 price, rounded
    down); stop-loss triggers `stop_distance` away from the t0 exit price. An `asset_backed_share`
    of the longs is asset-backed (drawn after everything else, so the other draws do not move)."""
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
    backed = longs & (rng.random(n) < params.asset_backed_share) if params.asset_backed_share > 0 else longs & False
    prices = TradePrices(m.price, m.price)
    oracle = OraclePrice(m.price, -PRICE_DECIMALS)
    out = []
    scale = 10 ** pool.collateral.decimals
    for i in range(n):
        side = Side.LONG if longs[i] else Side.SHORT
        size_usd = max(int(sizes[i] * USD_POWER), 1)
        collateral_usd = size_usd * BPS_POWER // int(lev[i] * BPS_POWER)
        if backed[i]:
            collateral_in = oracle.usd_to_token(collateral_usd, m.decimals, Rounding.FLOOR)
        else:
            collateral_in = collateral_usd * scale // USD_POWER
        trigger = None
        if stops[i]:
            spread = m.spread_long_bps if side is Side.LONG else m.spread_short_bps
            now = exit_price(side, prices, spread)
            move = 1 - params.stop_distance if side is Side.LONG else 1 + params.stop_distance
            trigger = int(now * move)
        out.append(Trader(side, size_usd, collateral_in, trigger, bool(backed[i])))
    return out


def open_book(pool: PoolParams, traders: list[Trader], rules: Rules = PROGRAM_RULES) -> OpenBook:
    """The pool's open positions (`pool.positions`) first, then the traders opened in order at the
    t0 price (spot = EMA) with `rules.open_position`, each against the custody the previous opens
    left and the open interest so far (the skew, the exposure cap); a refused open is counted by its
    program error. A stable-backed position locks and pays its fee in the stable custody, an
    asset-backed long in the traded custody (the LPs' tokens of it, at the t0 price). The borrow
    rates are then `rules.borrow_rate` of each custody's utilisation after the last open, the skew
    premium rates `rules.borrow_premium` of the net open interest after it."""
    c, m = pool.collateral, pool.market
    market = m.market()
    lending = m.lending()
    prices = TradePrices(m.price, m.price)
    oracle = OraclePrice(m.price, -PRICE_DECIMALS)
    stable = {"owned": c.owned, "locked": c.locked, "insurance": c.insurance_fund, "protocol": 0, "stakers": 0,
              "fees": 0}
    traded = {"owned": m.lp_tokens, "locked": m.locked, "insurance": m.insurance_fund, "protocol": 0, "stakers": 0,
              "fees": 0}
    positions: list[PositionState] = []
    snapshots: list[int] = []
    premium_snapshots: list[int] = []
    stops: list[int | None] = []
    backed: list[bool] = []
    exposure = Exposure(aum_usd=start_aum_usd(pool))
    for e in pool.positions:  # already open: their locks and fees are in the custodies' numbers
        side = Side.LONG if e.long else Side.SHORT
        positions.append(PositionState(side, e.quantity, e.size_usd, e.collateral_amount, e.locked_amount))
        snapshots.append(e.snapshot)
        premium_snapshots.append(e.premium_snapshot)
        stops.append(None)
        backed.append(e.asset_backed)
        exposure = exposure.after(side, e.size_usd)
    rejected: Counter[str] = Counter()
    refused_stops = 0
    for t in traders:
        spread = m.spread_long_bps if t.side is Side.LONG else m.spread_short_bps
        book = traded if t.asset_backed else stable
        custody = (lending.custody(book["owned"], book["locked"], oracle) if t.asset_backed
                   else c.custody(book["owned"], book["locked"]))
        try:
            if t.asset_backed and t.side is not Side.LONG:
                raise errors.InvalidCollateralCustody()
            amounts = rules.open_position(t.side, t.size_usd, entry_price(t.side, prices, spread),
                                          exit_price(t.side, prices, spread), t.collateral_in, custody, market,
                                          exposure)
        except errors.TransactionFailed as exc:
            rejected[type(exc).__name__] += 1
            continue
        position = PositionState(t.side, amounts.quantity, t.size_usd, amounts.collateral_amount,
                                 amounts.locked_amount)
        book["owned"] += amounts.fee_split.lp
        book["locked"] += amounts.locked_amount
        book["insurance"] += amounts.fee_split.insurance
        book["protocol"] += amounts.fee_split.protocol
        book["stakers"] += amounts.fee_split.stakers
        book["fees"] += amounts.fee_amount
        exposure = exposure.after(t.side, t.size_usd)
        trigger = t.stop_trigger
        if trigger is not None:
            now = exit_price(t.side, prices, spread)
            reached = now <= trigger if t.side is Side.LONG else now >= trigger
            # an asset-backed long's collateral and cap are valued at the trigger (the program's check)
            after = (lending.custody(book["owned"], book["locked"], OraclePrice(max(trigger, 1), -PRICE_DECIMALS))
                     if t.asset_backed else c.custody(book["owned"], book["locked"]))
            health = health_inputs(position, 0, after, market)
            if trigger <= 0 or reached or not stop_loss_safe(health, trigger):
                trigger = None
                refused_stops += 1
        positions.append(position)
        snapshots.append(0)
        premium_snapshots.append(0)
        stops.append(trigger)
        backed.append(t.asset_backed)
    rate = rules.borrow_rate(utilization(stable["locked"], stable["owned"]), c, exposure)
    market_rate = rules.borrow_rate(utilization(traded["locked"], traded["owned"]), lending, exposure)
    skew = m.skew()
    premiums = (rules.borrow_premium(Side.LONG, exposure, skew), rules.borrow_premium(Side.SHORT, exposure, skew))
    return OpenBook(pool, tuple(positions), tuple(snapshots), tuple(stops), rate, c.owned, stable["owned"],
                    stable["locked"], stable["insurance"], stable["protocol"], stable["stakers"], stable["fees"],
                    dict(rejected), refused_stops, len(pool.positions), tuple(backed),
                    CustodyTotals(traded["owned"], traded["locked"], traded["insurance"], traded["protocol"],
                                  traded["stakers"], traded["fees"]),
                    market_rate, premiums, tuple(premium_snapshots), exposure.aum_usd, exposure.long_usd,
                    exposure.short_usd)


__all__ = ["CustodyTotals", "OpenBook", "Trader", "draw_traders", "open_book", "start_aum_usd"]
