"""The exact engine: one price path, step by step, every decision and amount from the integer ports
(perp_pool.math) exactly as the program computes them. Slow (about 10 us per position and step):
the reference the vectorised engine is checked against, and what replays a node scenario.

At each step, in position order: a position the keeper saw liquidatable `keeper_delay` steps ago
and that is liquidatable now is liquidated (`compute_liquidation`) at this step's price; else a
stop-loss reached then and now closes it (`compute_decrease_position`, the whole size) unless the
position is liquidatable now (the program refuses it: PositionLiquidatable). At the horizon every
position still open is closed at the final price, in position order. What a position owes is its
borrow interest and its side's skew premium (`OpenBook.interest_usd`). An asset-backed long is
valued and settled against the traded custody at the step's price (its collateral and cap in USD
move with it; profit paid, fees and loss taken in the traded token; that custody's insurance fund).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from perp_pool.math.orders import OrderKind, trigger_reached
from perp_pool.math.pnl import HealthInputs, is_liquidatable
from perp_pool.math.pricing import exit_price_at
from perp_pool.math.trade import SettlementAmounts, compute_decrease_position, compute_liquidation, health_inputs
from perp_pool.risk.book import OpenBook
from perp_pool.risk.outcome import LIQUIDATED, OPEN_AT_END, STOPPED, PathTotals, PositionOutcome


@dataclass(frozen=True)
class ExactPath:
    outcomes: tuple[PositionOutcome, ...]
    totals: PathTotals


def _outcome(kind: int, step: int, s: SettlementAmounts) -> PositionOutcome:
    return PositionOutcome(kind=kind, step=step, amount_out=s.amount_out, owned_in=s.owned_in, owned_out=s.owned_out,
                           fee_paid=s.paid.fee_paid, protocol_fee=s.fee_split.protocol,
                           insurance_fee=s.fee_split.insurance, staker_fee=s.fee_split.stakers,
                           reward_paid=s.paid.reward_paid, insurance_draw=s.insurance_draw,
                           bad_debt_amount=s.bad_debt_amount, bad_debt_usd=s.bad_debt_usd)


def run_exact(book: OpenBook, prices: Sequence[int], seconds: Sequence[int], keeper_delay: int) -> ExactPath:
    """`prices[t]`: the market's oracle price at step t (spot = EMA, PRICE_DECIMALS), t = 0 the opens;
    `seconds[t]`: seconds since the opens at step t (interest accrues on them at the book's rate)."""
    if len(prices) != len(seconds) or not prices:
        raise ValueError("one time per price, at least the t0 price")
    last = len(prices) - 1
    market = book.pool.market.market()
    n = len(book.positions)
    stable_custody = book.pool.collateral.custody(book.owned, book.locked)
    base = [health_inputs(p, 0, stable_custody, market) for p in book.positions]
    liq_seen: list[list[bool]] = [[] for _ in range(n)]
    stop_seen: list[list[bool]] = [[] for _ in range(n)]
    outcomes: list[PositionOutcome | None] = [None] * n
    m = book.market
    totals = {"owned": book.owned, "protocol": book.protocol_fees, "stakers": book.stake_rewards,
              "fund": book.insurance_fund, "market_owned": m.owned if m else book.pool.market.lp_tokens,
              "market_protocol": m.protocol_fees if m else 0, "market_stakers": m.stake_rewards if m else 0,
              "market_fund": m.insurance_fund if m else book.pool.market.insurance_fund}

    def settle(i: int, kind: int, step: int, s: SettlementAmounts) -> None:
        outcomes[i] = _outcome(kind, step, s)
        pre = "market_" if book.is_backed(i) else ""
        totals[pre + "fund"] += s.fee_split.insurance - s.insurance_draw
        totals[pre + "owned"] += s.owned_in - s.owned_out
        totals[pre + "protocol"] += s.fee_split.protocol
        totals[pre + "stakers"] += s.fee_split.stakers

    def fund(i: int) -> int:
        return totals["market_fund" if book.is_backed(i) else "fund"]

    for step in range(last + 1):
        for i, position in enumerate(book.positions):
            if outcomes[i] is not None:
                continue
            custody = book.custody_at(i, prices[step]) if book.is_backed(i) else stable_custody
            exit_price = exit_price_at(position.side, prices[step], book.spread(position.side))
            interest = book.interest_usd(i, seconds[step])
            h = base[i] if not book.is_backed(i) else health_inputs(position, 0, custody, market)
            liquidatable = is_liquidatable(HealthInputs(h.side, h.quantity, h.size_usd, h.collateral_usd,
                                                        h.max_profit_usd, h.close_fee_usd, interest,
                                                        h.max_leverage_bps), exit_price)
            trigger = book.stops[i]
            stop = trigger is not None and trigger_reached(OrderKind.STOP_LOSS, position.side, exit_price, trigger)
            liq_seen[i].append(liquidatable)
            stop_seen[i].append(stop)
            seen = step - keeper_delay
            if step == 0 or seen < 0:
                continue
            if liquidatable and liq_seen[i][seen]:
                settle(i, LIQUIDATED, step, compute_liquidation(position, exit_price, interest, fund(i), custody,
                                                                market))
            elif stop and stop_seen[i][seen] and not liquidatable:  # never on a liquidatable position
                settle(i, STOPPED, step, compute_decrease_position(position, position.size_usd, exit_price, interest,
                                                                   fund(i), custody, market))
    for i, position in enumerate(book.positions):
        if outcomes[i] is None:
            exit_price = exit_price_at(position.side, prices[last], book.spread(position.side))
            interest = book.interest_usd(i, seconds[last])
            settle(i, OPEN_AT_END, last, compute_decrease_position(position, position.size_usd, exit_price, interest,
                                                                   fund(i), book.custody_at(i, prices[last]), market))
    done = [o for o in outcomes if o is not None]
    stable = [o for i, o in enumerate(done) if not book.is_backed(i)]
    traded = [o for i, o in enumerate(done) if book.is_backed(i)]
    return ExactPath(tuple(done), PathTotals(
        owned=totals["owned"], insurance_fund=totals["fund"], protocol_fees=totals["protocol"],
        stake_rewards=totals["stakers"], bad_debt_usd=sum(o.bad_debt_usd for o in done),
        bad_debt_amount=sum(o.bad_debt_amount for o in stable), insurance_draw=sum(o.insurance_draw for o in stable),
        rewards_paid=sum(o.reward_paid for o in stable), trader_amount_out=sum(o.amount_out for o in stable),
        liquidations=sum(o.kind == LIQUIDATED for o in done), stops=sum(o.kind == STOPPED for o in done),
        market_owned=totals["market_owned"], market_insurance_fund=totals["market_fund"],
        market_protocol_fees=totals["market_protocol"], market_stake_rewards=totals["market_stakers"],
        market_insurance_draw=sum(o.insurance_draw for o in traded),
        market_bad_debt_amount=sum(o.bad_debt_amount for o in traded),
        market_rewards_paid=sum(o.reward_paid for o in traded),
        market_trader_amount_out=sum(o.amount_out for o in traded)))


__all__ = ["ExactPath", "run_exact"]
