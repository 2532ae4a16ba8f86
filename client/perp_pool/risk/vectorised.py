"""The vectorised engine: every path of a batch at once, with the same integer results as the exact
engine (perp_pool.risk.exact) to the token unit.

How it stays exact:
- Whether a position is liquidatable at a step depends on the price only through one comparison:
  its equity is monotone in the exit price, so at a given interest owed the predicate
  `is_liquidatable` flips at one oracle price, solved here in closed form with integers from the
  same formulas (`liquidation_thresholds`; tests check it against `pnl.liquidation_price`, the
  program's bisection). Interest grows with time, so the threshold is a (positions x steps) table.
- The first step at which the keeper's liquidation lands (liquidatable when seen and `delay` steps
  later) is bracketed with the thresholds' extremes by a running min / max and a binary search per
  path, then settled exactly by stepping through the bracket; stop-losses alike (a fixed trigger),
  then stepped past the steps where the position is liquidatable (no stop executes then).
- Settlement applies the ports' formulas (math/trade.rs `compute_liquidation`,
  `compute_decrease_position`, their waterfalls and fee splits) on int64 arrays; the one product
  that does not fit, quantity x price, is taken in Python integers (numpy object arrays).
- The insurance fund is drawn in the exact engine's order (step, then position), path by path,
  only where a settlement falls short.
The stable collateral is at 1 USD, so its token <-> USD conversions are powers of ten.
Asset-backed longs (collateral and lock in the traded token): their equity still rises with the
price (the collateral and the cap with it), so they too flip at one price per interest owed; the
table holds the program's own bisection (`liquidation_price` with `TokenBacking`) at the least and
the most interest owed, which brackets the first landing step, and the steps inside the bracket
are decided by `is_liquidatable`'s integer formula with the tokens valued at the step's price.
They settle with the traded custody's conversions at the step's price (Python integers) and its
insurance fund.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from perp_pool.constants import BPS_POWER, HOUR_SECONDS, PRICE_DECIMALS, RATE_POWER, USD_DECIMALS
from perp_pool.math.backing import TokenBacking, tokens_to_quantity
from perp_pool.math.fees import close_position_fee_usd, liquidation_fee_usd, liquidator_reward_usd
from perp_pool.math.pnl import liquidation_price, quantity_scale
from perp_pool.math.pricing import Side
from perp_pool.math.trade import health_inputs
from perp_pool.risk.book import OpenBook
from perp_pool.risk.outcome import LIQUIDATED, OPEN_AT_END, OUTCOME_FIELDS, STOPPED, TOTAL_FIELDS
from perp_pool.risk.paths import MAX_PRICE

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Obj = npt.NDArray[np.object_]
INT64_MAX = np.iinfo(np.int64).max


def _ceil_div(a: Obj, b: object) -> Obj:
    return np.asarray(-((-a) // b), dtype=object)


@dataclass(frozen=True)
class Tokens:
    """Conversions of the stable collateral custody at exactly 1 USD (the ports' `owed_tokens`,
    `paid_tokens`, `value_usd` and the bad debt's USD value), as int64 array operations."""

    decimals: int

    def usd_to_tokens(self, usd: I64, ceil: bool) -> I64:
        if self.decimals >= USD_DECIMALS:
            return np.asarray(usd * 10 ** (self.decimals - USD_DECIMALS), dtype=np.int64)
        d = 10 ** (USD_DECIMALS - self.decimals)
        return np.asarray((usd + (d - 1)) // d if ceil else usd // d, dtype=np.int64)

    def tokens_to_usd(self, amount: I64, ceil: bool) -> I64:
        if self.decimals <= USD_DECIMALS:
            return np.asarray(amount * 10 ** (USD_DECIMALS - self.decimals), dtype=np.int64)
        d = 10 ** (self.decimals - USD_DECIMALS)
        return np.asarray((amount + (d - 1)) // d if ceil else amount // d, dtype=np.int64)


@dataclass(frozen=True)
class Prepared:
    """A book's per-position constants and (positions x steps) tables, independent of the path."""

    book: OpenBook
    steps: int
    step_sec: int
    keeper_delay: int
    is_long: npt.NDArray[np.bool_]
    spread: I64
    quantity: Obj  # Python ints
    size: I64
    collateral: I64  # tokens
    collateral_usd: I64
    max_profit_usd: I64
    close_fee_amount: I64
    liquidation_fee_amount: I64
    reward_amount: I64
    interest_usd: I64  # (positions, steps + 1)
    interest_amount: I64
    liquidation_threshold: I64  # (positions, steps + 1): long liquidatable iff price < it, short iff >
    stop_threshold: I64  # long stop reached iff price < it, short iff price > it
    backed: npt.NDArray[np.bool_]  # asset-backed (collateral custody = the traded one)
    collateral_quantity: Obj  # backed: collateral tokens in quantity units (else 0)
    locked_quantity: Obj  # backed: locked tokens in quantity units (else 0)
    close_fee_usd: I64
    liquidation_fee_usd: I64
    reward_usd: I64

    @property
    def count(self) -> int:
        return int(self.size.size)


def liquidation_thresholds(book: OpenBook, interest_usd: I64) -> I64:
    """For each position (row) and interest owed (column of `interest_usd`): the oracle price at
    which `is_liquidatable` flips. A long is liquidatable iff the price is below it (0: never,
    INT64_MAX: always), a short iff above it (-1: always, INT64_MAX: never). Integer closed form:
    not liquidatable iff `equity >= max(1, ceil(size * BPS / max_leverage))`, i.e. the capped PnL at
    least `need = that + close fee + interest - collateral`; impossible if `need` exceeds the cap;
    else `floor(q e / S) >= size + need` (long) or `ceil(q e / S) <= size - need` (short), then the
    spread's rounding undone."""
    custody = book.pool.collateral.custody(book.owned, book.locked)
    market = book.pool.market.market()
    if market.max_leverage_bps <= 0:
        raise ValueError("the market has no maintenance leverage")
    scale = quantity_scale()
    rows = []
    decimals = book.pool.market.decimals
    for i, p in enumerate(book.positions):
        if book.is_backed(i):  # the bracket: the program's bisection at the least and the most interest
            h = health_inputs(p, 0, book.custody_at(i, book.pool.market.price), market)
            backing = TokenBacking(p.collateral_amount, p.locked_amount, decimals)
            first, last = (min(liquidation_price(replace(h, interest_usd=int(interest_usd[i, j])), book.spread(p.side),
                                                 backing), INT64_MAX) for j in (0, -1))
            row = np.full(interest_usd.shape[1], last, dtype=np.int64)
            row[0] = first
            rows.append(row)
            continue
        h = health_inputs(p, 0, custody, market)
        e_min = max(1, -(-(h.size_usd * BPS_POWER) // h.max_leverage_bps))
        base = e_min + h.close_fee_usd - h.collateral_usd
        need = interest_usd[i].astype(object) + base
        spread = book.spread(p.side)
        always = need > h.max_profit_usd
        if p.side is Side.LONG:
            k = need + h.size_usd
            never = k <= 0
            x = _ceil_div(np.maximum(k, 1) * scale, h.quantity)
            lo = _ceil_div(x * BPS_POWER, BPS_POWER - spread)
            row = np.where(always, INT64_MAX, np.where(never, 0, np.minimum(lo, INT64_MAX)))
        else:
            k = h.size_usd - need
            always = always | (k < 0)
            y = (np.maximum(k, 0) * scale) // h.quantity
            hs = (y * BPS_POWER) // (BPS_POWER + spread)
            row = np.where(always, -1, np.minimum(hs, INT64_MAX))
        rows.append(row.astype(np.int64))
    return np.array(rows, dtype=np.int64).reshape(len(book.positions), interest_usd.shape[1])


def stop_thresholds(book: OpenBook) -> I64:
    """Oracle price past which each stop-loss is reached (`exit <= trigger` long, `>=` short): a long
    iff price < it (0: no stop), a short iff price > it (INT64_MAX: no stop)."""
    out = []
    for p, trigger in zip(book.positions, book.stops, strict=True):
        spread = book.spread(p.side)
        if trigger is None:
            out.append(0 if p.side is Side.LONG else INT64_MAX)
        elif p.side is Side.LONG:
            out.append(-(-((trigger + 1) * BPS_POWER) // (BPS_POWER - spread)))
        else:
            out.append(((trigger - 1) * BPS_POWER) // (BPS_POWER + spread))
    return np.array(out, dtype=np.int64)


def prepare(book: OpenBook, steps: int, step_sec: int, keeper_delay: int) -> Prepared:
    market = book.pool.market.market()
    custody = book.pool.collateral.custody(book.owned, book.locked)
    tokens = Tokens(book.pool.collateral.decimals)
    n = len(book.positions)
    sizes = [p.size_usd for p in book.positions]
    backed = np.array([book.is_backed(i) for i in range(n)], dtype=bool)
    is_long = np.array([p.side is Side.LONG for p in book.positions], dtype=bool)
    times = range(steps + 1)
    stable_index = np.array([book.cumulative(t * step_sec) for t in times], dtype=object)
    market_index = np.array([book.cumulative(t * step_sec, backed=True) for t in times], dtype=object)
    long_premium = np.array([book.premium_cumulative(Side.LONG, t * step_sec) for t in times], dtype=object)
    short_premium = np.array([book.premium_cumulative(Side.SHORT, t * step_sec) for t in times], dtype=object)
    snaps = np.array(book.snapshots, dtype=object)
    premium_snaps = np.array(book.premium_snapshots or [0] * n, dtype=object)
    size_obj = np.array(sizes, dtype=object)[:, None]
    index = np.where(backed[:, None], market_index[None, :], stable_index[None, :])
    premium = np.where(is_long[:, None], long_premium[None, :], short_premium[None, :])
    # borrow interest and the side's premium, each rounded up (`position_interest_usd` twice)
    interest_usd = (_ceil_div((index - snaps[:, None]) * size_obj, RATE_POWER * HOUR_SECONDS)
                    + _ceil_div((premium - premium_snaps[:, None]) * size_obj, RATE_POWER * HOUR_SECONDS))
    interest_usd = np.asarray(interest_usd, dtype=object).astype(np.int64).reshape(n, steps + 1)
    # an asset-backed long's collateral and cap at the t0 price (only the fan chart reads them)
    heads = [health_inputs(p, 0, book.custody_at(i, book.pool.market.price) if book.is_backed(i) else custody, market)
             for i, p in enumerate(book.positions)]
    close_fee = np.array([close_position_fee_usd(s, market.close_position_bps) for s in sizes], dtype=np.int64)
    liq_fee = np.array([max(liquidation_fee_usd(s, market.liquidation_bps), int(close_fee[i]))
                        for i, s in enumerate(sizes)], dtype=np.int64)
    reward = np.array([liquidator_reward_usd(s, market.liquidator_reward_bps) for s in sizes], dtype=np.int64)
    return Prepared(
        book=book, steps=steps, step_sec=step_sec, keeper_delay=keeper_delay,
        is_long=is_long,
        spread=np.array([book.spread(p.side) for p in book.positions], dtype=np.int64),
        quantity=np.array([p.quantity for p in book.positions], dtype=object),
        size=np.array(sizes, dtype=np.int64),
        collateral=np.array([p.collateral_amount for p in book.positions], dtype=np.int64),
        collateral_usd=np.array([h.collateral_usd for h in heads], dtype=np.int64),
        max_profit_usd=np.array([h.max_profit_usd for h in heads], dtype=np.int64),
        close_fee_amount=tokens.usd_to_tokens(close_fee, ceil=True),
        liquidation_fee_amount=tokens.usd_to_tokens(liq_fee, ceil=True),
        reward_amount=tokens.usd_to_tokens(reward, ceil=True),
        interest_usd=interest_usd,
        interest_amount=tokens.usd_to_tokens(interest_usd, ceil=True),
        liquidation_threshold=liquidation_thresholds(book, interest_usd),
        stop_threshold=stop_thresholds(book),
        backed=backed,
        collateral_quantity=np.array([tokens_to_quantity(p.collateral_amount, book.pool.market.decimals)
                                      if backed[i] else 0 for i, p in enumerate(book.positions)], dtype=object),
        locked_quantity=np.array([tokens_to_quantity(p.locked_amount, book.pool.market.decimals)
                                  if backed[i] else 0 for i, p in enumerate(book.positions)], dtype=object),
        close_fee_usd=close_fee, liquidation_fee_usd=liq_fee, reward_usd=reward,
    )


def _first_pair(prices: I64, thresholds: I64, long: bool, delay: int) -> I64:
    """(paths, positions): the first step u >= max(1, delay) with the price past the position's
    (fixed) threshold at u and at u - delay; steps + 1 if none."""
    paths, width = prices.shape
    steps = width - 1
    never = np.full((paths, thresholds.size), steps + 1, dtype=np.int64)
    u0 = max(1, delay)
    if u0 > steps or thresholds.size == 0:
        return never
    now, seen = prices[:, u0:], prices[:, u0 - delay:width - delay]
    if long:
        key = -np.minimum.accumulate(np.maximum(now, seen), axis=1)
        query = -thresholds
    else:
        key = np.maximum.accumulate(np.minimum(now, seen), axis=1)
        query = thresholds
    length = key.shape[1]
    for r in range(paths):
        j = np.searchsorted(key[r], query, side="right")
        never[r] = np.where(j < length, u0 + j, steps + 1)
    return never


def backed_liquidatable(prep: Prepared, cols: I64, cur: I64, price: I64) -> npt.NDArray[np.bool_]:
    """`is_liquidatable` of asset-backed longs `cols` at steps `cur` and oracle prices `price`
    (one each), the collateral and cap valued at the price (floor, `TokenBacking.revalue`)."""
    if cols.size == 0:
        return np.zeros(0, dtype=bool)
    spread = prep.spread[cols]
    exit_ = (price * (BPS_POWER - spread)) // BPS_POWER
    ones = np.ones(cols.size, dtype=bool)
    value = quantity_value(prep.quantity[cols], exit_[None, :], ones)[0]
    collateral = quantity_value(prep.collateral_quantity[cols], price[None, :], ones)[0]
    cap = quantity_value(prep.locked_quantity[cols], price[None, :], ones)[0]
    size = prep.size[cols]
    pnl = np.where(value >= size, np.minimum(value - size, cap), value - size)
    equity = collateral + pnl - prep.close_fee_usd[cols] - prep.interest_usd[cols, cur]
    max_leverage = prep.book.pool.market.max_leverage_bps
    return np.asarray((equity <= 0) | (size * BPS_POWER > equity.astype(object) * max_leverage), dtype=bool)


def _past_liquidation(prep: Prepared, cols: I64, cur: I64, price: I64) -> npt.NDArray[np.bool_]:
    """Liquidatable at `price` at step `cur` (per element): the threshold table, or the exact
    formula for asset-backed longs."""
    thr = prep.liquidation_threshold[cols, cur]
    out = np.where(prep.is_long[cols], price < thr, price > thr)
    b = np.nonzero(prep.backed[cols])[0]
    if b.size:
        out[b] = backed_liquidatable(prep, cols[b], cur[b], price[b])
    return np.asarray(out, dtype=bool)


def _first_liquidation(prices: I64, table: I64, long: bool, delay: int, prep: Prepared | None = None,
                       columns: I64 | None = None) -> I64:
    """`_first_pair` with the threshold moving with time (`table`, positions x steps): bracketed by
    its loosest and tightest values, then stepped through exactly (with `prep` and the table's
    global `columns`: by `_past_liquidation`, exact for asset-backed longs too)."""
    steps = prices.shape[1] - 1
    if long:
        early = _first_pair(prices, table.max(axis=1), True, delay)
        late = _first_pair(prices, table.min(axis=1), True, delay)
    else:
        early = _first_pair(prices, table.min(axis=1), False, delay)
        late = _first_pair(prices, table.max(axis=1), False, delay)
    result: I64 = late.copy()
    rows, cols = np.nonzero(early < late)
    cur = early[rows, cols]
    end = late[rows, cols]
    while rows.size:
        p_now, p_seen = prices[rows, cur], prices[rows, cur - delay]
        if prep is not None and columns is not None:
            g = columns[cols]
            hit = _past_liquidation(prep, g, cur, p_now) & _past_liquidation(prep, g, cur - delay, p_seen)
        else:
            t_now, t_seen = table[cols, cur], table[cols, cur - delay]
            hit = (p_now < t_now) & (p_seen < t_seen) if long else (p_now > t_now) & (p_seen > t_seen)
        result[rows[hit], cols[hit]] = cur[hit]
        cur = cur + 1
        keep = ~hit & (cur < end) & (cur <= steps)
        rows, cols, cur, end = rows[keep], cols[keep], cur[keep], end[keep]
    return result


def quantity_value(quantity: Obj, price: I64, floor: npt.NDArray[np.bool_]) -> I64:
    """`quantity * price / 10^15` (`quantity_value_usd`), rounded down where `floor` else up, exact.
    With the program's scale (10^15), quantities below 2^62, prices below 2^50 and values below 2^62
    it runs on int64 limbs: q = qh S + a 10^8 + b, e = eh 10^7 + el, every partial product below
    2^63 (about 10 ns a value); otherwise on Python integers."""
    scale = quantity_scale()
    q_max = max((int(v) for v in quantity), default=0)
    p_max = int(price.max()) if price.size else 0
    if scale != 10**15 or q_max >= 2**62 or p_max >= 2**50 or q_max * p_max >= 2**62 * scale:
        product = price.astype(object) * quantity[None, :]
        return np.asarray(np.where(floor, product // scale, _ceil_div(product, scale)).astype(np.int64))
    q = quantity.astype(np.int64)[None, :]
    qh, ql = q // scale, q % scale
    a, b = ql // 10**8, ql % 10**8
    eh, el = price // 10**7, price % 10**7
    c1, c0 = np.divmod(b * eh, 10**8)
    d1, d0 = np.divmod(a * el, 10**7)
    inner = c0 * 10**7 + d0 * 10**8 + b * el
    whole = qh * price + a * eh + c1 + d1 + inner // scale
    return np.asarray(np.where(floor, whole, whole + (inner % scale != 0)), dtype=np.int64)


def _unblocked_stops(prep: Prepared, prices: I64, liq: I64, stop: I64) -> I64:
    """A stop-loss never executes on a liquidatable position (PositionLiquidatable): where the
    first stop step finds the position liquidatable, the next step with the stop reached then and
    `delay` steps before and the position not liquidatable, before its liquidation (or none)."""
    steps, delay = prep.steps, prep.keeper_delay
    rows, cols = np.nonzero((stop <= steps) & (stop < liq))
    if rows.size == 0:
        return stop
    out: I64 = stop.copy()
    long = prep.is_long[cols]
    s_thr = prep.stop_threshold[cols]

    def past(price: I64, thr: I64) -> npt.NDArray[np.bool_]:
        return np.where(long, price < thr, price > thr)

    cur = stop[rows, cols]
    blocked = _past_liquidation(prep, cols, cur, prices[rows, cur])
    rows, cols, cur, long, s_thr = rows[blocked], cols[blocked], cur[blocked], long[blocked], s_thr[blocked]
    out[rows, cols] = steps + 1
    end = liq[rows, cols]
    while rows.size:
        cur = cur + 1
        live = (cur < end) & (cur <= steps)
        rows, cols, cur, long, s_thr, end = rows[live], cols[live], cur[live], long[live], s_thr[live], end[live]
        if rows.size == 0:
            break
        ok = (past(prices[rows, cur], s_thr) & past(prices[rows, cur - delay], s_thr)
              & ~_past_liquidation(prep, cols, cur, prices[rows, cur]))
        out[rows[ok], cols[ok]] = cur[ok]
        keep = ~ok
        rows, cols, cur, long, s_thr, end = rows[keep], cols[keep], cur[keep], long[keep], s_thr[keep], end[keep]
    return out


@dataclass
class BatchResult:
    """Per path (rows): the totals (`TOTAL_FIELDS`, int64) and per position (paths x positions) each
    outcome field (`OUTCOME_FIELDS`)."""

    totals: dict[str, I64]
    outcomes: dict[str, I64]


def run_batch(prep: Prepared, prices: I64) -> BatchResult:
    """Every path of `prices` (paths x steps + 1, the t0 price first)."""
    if prices.shape[1] != prep.steps + 1:
        raise ValueError(f"paths of {prep.steps + 1} prices expected, got {prices.shape[1]}")
    if prices.size and (int(prices.max()) > MAX_PRICE or int(prices.min()) < 1):
        raise ValueError(f"prices must be within [1, {MAX_PRICE}] (paths.MAX_PRICE)")
    book, steps, delay = prep.book, prep.steps, prep.keeper_delay
    paths, n = prices.shape[0], prep.count
    liq = np.full((paths, n), steps + 1, dtype=np.int64)
    stop = np.full((paths, n), steps + 1, dtype=np.int64)
    for long in (True, False):
        cols = np.nonzero(prep.is_long == long)[0]
        if cols.size:
            liq[:, cols] = _first_liquidation(prices, prep.liquidation_threshold[cols], long, delay, prep, cols)
            stop[:, cols] = _first_pair(prices, prep.stop_threshold[cols], long, delay)
    stop = _unblocked_stops(prep, prices, liq, stop)
    liquidated = (liq <= stop) & (liq <= steps)
    stopped = ~liquidated & (stop <= steps)
    kind = np.where(liquidated, LIQUIDATED, np.where(stopped, STOPPED, OPEN_AT_END)).astype(np.int64)
    step = np.where(liquidated, liq, np.where(stopped, stop, steps))
    rows = np.arange(paths)[:, None]
    oracle = prices[rows, step]
    spread = prep.spread[None, :]
    is_long = prep.is_long[None, :]
    exit_price = np.where(is_long, (oracle * (BPS_POWER - spread)) // BPS_POWER,
                          -((-(oracle * (BPS_POWER + spread))) // BPS_POWER))
    value = quantity_value(prep.quantity, exit_price, is_long)
    size = prep.size[None, :]
    backed = prep.backed[None, :]
    bcols = np.nonzero(prep.backed)[0]
    cap = np.broadcast_to(prep.max_profit_usd[None, :], value.shape).copy()
    if bcols.size:  # an asset-backed long's cap: its locked tokens at the step's price
        cap[:, bcols] = quantity_value(prep.locked_quantity[bcols], oracle[:, bcols],
                                       np.ones(bcols.size, dtype=bool))
    gains = np.where(is_long, value >= size, value <= size)
    diff = np.where(is_long, value - size, size - value)
    profit = np.minimum(np.where(gains, diff, 0), cap)
    loss = np.where(gains, 0, -diff)
    tokens = Tokens(book.pool.collateral.decimals)
    cols = np.arange(n)[None, :]
    interest = prep.interest_usd[cols, step]
    profit_amount = tokens.usd_to_tokens(profit, ceil=False)
    loss_amount = tokens.usd_to_tokens(loss, ceil=True)
    interest_amount = prep.interest_amount[cols, step]
    fee = np.where(liquidated, prep.liquidation_fee_amount[None, :], prep.close_fee_amount[None, :])
    fee_ahead = np.broadcast_to(prep.close_fee_amount[None, :], fee.shape)
    reward = np.where(liquidated, prep.reward_amount[None, :], 0)
    if bcols.size:  # the traded custody's conversions at the step's price (max = min = the oracle)
        decimals = book.pool.market.decimals
        px = oracle[:, bcols]
        liq_b = liquidated[:, bcols]

        def owed(usd: I64, ceil: bool) -> I64:
            return _usd_to_tokens_at(np.broadcast_to(usd, px.shape), px, decimals, ceil)
        profit_amount[:, bcols] = owed(profit[:, bcols], False)
        loss_amount[:, bcols] = owed(loss[:, bcols], True)
        interest_amount = interest_amount.copy()
        interest_amount[:, bcols] = owed(interest[:, bcols], True)
        fee = fee.copy()
        fee[:, bcols] = owed(np.where(liq_b, prep.liquidation_fee_usd[bcols][None, :],
                                      prep.close_fee_usd[bcols][None, :]), True)
        fee_ahead = fee_ahead.copy()
        fee_ahead[:, bcols] = owed(prep.close_fee_usd[bcols][None, :], True)
        reward = reward.copy()
        reward[:, bcols] = np.where(liq_b, owed(prep.reward_usd[bcols][None, :], True), 0)
    lp_owed = loss_amount + interest_amount
    pot = prep.collateral[None, :] + profit_amount
    lp_paid = np.minimum(lp_owed, pot)
    left = pot - lp_paid
    fee_first = np.minimum(np.minimum(fee, fee_ahead), left)
    left = left - fee_first
    reward_paid = np.minimum(reward, left)
    left = left - reward_paid
    fee_last = np.minimum(fee - fee_first, left)
    fee_paid = fee_first + fee_last
    rest = left - fee_last
    shortfall = lp_owed - lp_paid
    c, mk = book.pool.collateral, book.pool.market
    shares = [np.where(backed, getattr(mk, f), getattr(c, f))
              for f in ("protocol_share_bps", "insurance_share_bps", "staker_share_bps")]
    protocol = fee_paid * shares[0] // BPS_POWER
    insurance = fee_paid * shares[1] // BPS_POWER
    stakers = fee_paid * shares[2] // BPS_POWER
    fee_lp = fee_paid - protocol - insurance - stakers
    order = np.where(kind == OPEN_AT_END, steps + 1, step)
    scols = np.nonzero(~prep.backed)[0]
    draw = np.zeros_like(shortfall)
    draw[:, scols] = _draws(book.insurance_fund, shortfall[:, scols], insurance[:, scols], order[:, scols])
    market_fund = book.market.insurance_fund if book.market is not None else mk.insurance_fund
    if bcols.size:
        draw[:, bcols] = _draws(market_fund, shortfall[:, bcols], insurance[:, bcols], order[:, bcols])
    bad = shortfall - draw
    owned_in = lp_paid + fee_lp + draw + np.where(liquidated, rest, 0)
    amount_out = np.where(liquidated, 0, rest)
    bad_usd = tokens.tokens_to_usd(bad, ceil=True)
    if bcols.size:
        bad_usd[:, bcols] = _tokens_to_usd_at(bad[:, bcols], oracle[:, bcols], book.pool.market.decimals)
    outcomes = {"kind": kind, "step": step, "amount_out": amount_out, "owned_in": owned_in,
                "owned_out": profit_amount, "fee_paid": fee_paid, "protocol_fee": protocol,
                "insurance_fee": insurance, "staker_fee": stakers, "reward_paid": reward_paid,
                "insurance_draw": draw, "bad_debt_amount": bad, "bad_debt_usd": bad_usd}
    assert tuple(outcomes) == OUTCOME_FIELDS
    sb = ~prep.backed[None, :]
    mb = prep.backed[None, :]

    def total(a: I64, mask: npt.NDArray[np.bool_]) -> I64:
        return np.asarray(np.where(mask, a, 0).sum(axis=1), dtype=np.int64)
    m0 = book.market
    totals = {
        "owned": book.owned + total(owned_in - profit_amount, sb),
        "insurance_fund": book.insurance_fund + total(insurance - draw, sb),
        "protocol_fees": book.protocol_fees + total(protocol, sb),
        "stake_rewards": book.stake_rewards + total(stakers, sb),
        "bad_debt_usd": bad_usd.sum(axis=1),
        "bad_debt_amount": total(bad, sb),
        "insurance_draw": total(draw, sb),
        "rewards_paid": total(reward_paid, sb),
        "trader_amount_out": total(amount_out, sb),
        "liquidations": liquidated.sum(axis=1).astype(np.int64),
        "stops": stopped.sum(axis=1).astype(np.int64),
        "market_owned": (m0.owned if m0 else mk.lp_tokens) + total(owned_in - profit_amount, mb),
        "market_insurance_fund": market_fund + total(insurance - draw, mb),
        "market_protocol_fees": (m0.protocol_fees if m0 else 0) + total(protocol, mb),
        "market_stake_rewards": (m0.stake_rewards if m0 else 0) + total(stakers, mb),
        "market_insurance_draw": total(draw, mb),
        "market_bad_debt_amount": total(bad, mb),
        "market_rewards_paid": total(reward_paid, mb),
        "market_trader_amount_out": total(amount_out, mb),
    }
    assert tuple(totals) == TOTAL_FIELDS
    return BatchResult(totals, outcomes)


def _usd_to_tokens_at(usd: I64, price: I64, decimals: int, ceil: bool) -> I64:
    """`OraclePrice(price, -PRICE_DECIMALS).usd_to_token(usd, decimals)`, elementwise, exact."""
    u, p = usd.astype(object), price.astype(object)
    shift = decimals - USD_DECIMALS + PRICE_DECIMALS
    num, den = (u * 10**shift, p) if shift >= 0 else (u, p * 10 ** (-shift))
    return np.asarray(_ceil_div(num, den) if ceil else num // den, dtype=object).astype(np.int64)


def _tokens_to_usd_at(amount: I64, price: I64, decimals: int) -> I64:
    """`OraclePrice(price, -PRICE_DECIMALS).token_to_usd(amount, decimals, CEIL)`, elementwise, exact."""
    value = amount.astype(object) * price.astype(object)
    shift = -PRICE_DECIMALS + USD_DECIMALS - decimals
    out = value * 10**shift if shift >= 0 else _ceil_div(value, 10 ** (-shift))
    return np.asarray(out, dtype=object).astype(np.int64)


def _draws(fund: int, shortfall: I64, insurance_in: I64, order_step: I64) -> I64:
    """The insurance fund's draws, in the exact engine's order (step, then position; positions
    still open at the horizon last): each shortfall takes what the fund holds then."""
    draws = np.zeros_like(shortfall)
    n = shortfall.shape[1]
    for r in np.nonzero((shortfall > 0).any(axis=1))[0]:
        order = np.lexsort((np.arange(n), order_step[r]))
        ins = insurance_in[r, order]
        before = np.cumsum(ins) - ins
        short = shortfall[r, order]
        drawn = 0
        for j in np.nonzero(short > 0)[0]:
            d = min(int(short[j]), fund + int(before[j]) - drawn)
            draws[r, order[j]] = d
            drawn += d
    return draws


def mark_to_market(prep: Prepared, prices: I64, result: BatchResult, checkpoints: I64) -> F64:
    """(paths, checkpoints) LP value in USD (float, for charts): owned stable and traded tokens, realised
    settlements up to the checkpoint exactly, open positions marked linearly (uncapped by the
    program's AUM bounds: clipped to [-cap, collateral]) with the interest they owe."""
    book = prep.book
    out = np.empty((prices.shape[0], checkpoints.size), dtype=np.float64)
    step, kind = result.outcomes["step"], result.outcomes["kind"]
    delta = (result.outcomes["owned_in"] - result.outcomes["owned_out"]).astype(np.float64)
    q = prep.quantity.astype(np.float64) / float(quantity_scale())
    spread = prep.spread.astype(np.float64) / BPS_POWER
    usd = 10.0 ** -USD_DECIMALS
    token_usd = 10.0 ** (USD_DECIMALS - book.pool.collateral.decimals)
    held = float(book.market.owned if book.market is not None else book.pool.market.lp_tokens)
    token_scale = 10.0 ** (USD_DECIMALS - book.pool.market.decimals - PRICE_DECIMALS)
    for j, c in enumerate(checkpoints.tolist()):
        done = (kind != OPEN_AT_END) & (step <= c)
        realised = np.where(done & ~prep.backed[None, :], delta, 0.0).sum(axis=1)
        # the LPs' traded tokens (asset-backed settlements included) at the checkpoint's price
        traded = (held + np.where(done & prep.backed[None, :], delta, 0.0).sum(axis=1)) * prices[:, c] * token_scale
        o = prices[:, c].astype(np.float64)[:, None]
        value = q[None, :] * o * np.where(prep.is_long, 1 - spread, 1 + spread)[None, :]
        claim = np.where(prep.is_long[None, :], prep.size[None, :] - value, value - prep.size[None, :])
        claim = np.clip(claim, -prep.max_profit_usd[None, :], prep.collateral_usd[None, :])
        claim = claim + prep.interest_usd[:, c][None, :]
        still_open = (kind == OPEN_AT_END) | (step > c)
        owned = (book.owned + realised) * token_usd
        out[:, j] = (owned + traded + np.where(still_open, claim, 0.0).sum(axis=1)) * usd
    return out


__all__ = ["BatchResult", "MAX_PRICE", "Prepared", "Tokens", "liquidation_thresholds", "mark_to_market", "prepare",
           "quantity_value", "run_batch", "stop_thresholds"]
