"""The stress simulator's exact engine against the chain: a few positions opened on a test pool,
the price moved along a short deterministic path (half an hour a step, the clock warped), the
keeper's rule applied on the node (liquidate a position liquidatable at the previous step and
now), the survivors closed at the end; the simulator, given the same prices and times, gives the
same token amounts: each position's opening, the step and kind of its end, fees, rewards,
insurance draws, bad debt, what the traders received, and the pool's owned tokens after."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from perp_pool.client import BorrowRateConfig, FeeConfig, PricingConfig
from perp_pool.constants import PRICE_POWER
from perp_pool.localnet import NodeExtensions
from perp_pool.math.pricing import Side
from perp_pool.risk.book import Trader, open_book
from perp_pool.risk.exact import run_exact
from perp_pool.risk.outcome import LIQUIDATED, OPEN_AT_END
from perp_pool.risk.params import pool_params_from_accounts
from tests.helpers import USDC, World, new_market
from tests.test_liquidation import keeper_wallet
from tests.test_trading import close_pos, open_pos, trader

pytestmark = pytest.mark.node_ext

FEES = FeeConfig(open_position_bps=10, close_position_bps=10, liquidation_bps=50, liquidator_reward_bps=20,
                 protocol_share_bps=2_000, insurance_share_bps=3_000)
# A constant 0.5 %/h (no utilisation slopes): interest is material over the path's hours.
RATE = BorrowRateConfig(base_rate=5_000_000, slope1=0, slope2=0)
PRICING = PricingConfig(trade_spread_long_bps=10, trade_spread_short_bps=10)
STEP_SEC = 1_800
TRADERS = [Trader(Side.LONG, 3_000 * USDC, 150 * USDC), Trader(Side.LONG, 2_000 * USDC, 200 * USDC),
           Trader(Side.SHORT, 2_500 * USDC, 100 * USDC), Trader(Side.SHORT, 1_000 * USDC, 250 * USDC)]
# USD, tenths: the 20x long is liquidatable at 145 and liquidated at 145.2 (its collateral pays the
# fee and the keeper); the 10x long at 130 / 129 (bad debt: the insurance fund is drawn empty); the
# 25x short at 153 / 161 (bad debt, nothing left in the fund); the 4x short is closed at the end, a
# step of its own (the simulator has one time per step: two settlements in one step could land in
# two different seconds of the node's clock and owe different interest, so no step has two).
PATH = [1500, 1470, 1450, 1452, 1390, 1300, 1290, 1530, 1610, 1610]
PRICES = [p * PRICE_POWER // 10 for p in PATH]



def assert_settlements_match(exact: Any, chain_end: dict[int, tuple[int, int, object]]) -> None:
    """Each simulated settlement equals the chain's event to the token unit: fees and their split,
    insurance draw and bad debt, the liquidation reward or the close's payout, and what the LPs took
    in (loss and interest, the LPs' part of the fee, the fund's draw, a liquidation's remainder)."""
    for i, o in enumerate(exact.outcomes):
        kind, _, ev = chain_end[i]
        e: Any = ev
        assert (o.fee_paid, o.protocol_fee, o.insurance_fee, o.staker_fee) == (
            e.fee_paid, e.protocol_fee_amount, e.insurance_fee_amount, e.staker_fee_amount), i
        assert (o.insurance_draw, o.bad_debt_usd) == (e.insurance_draw, e.bad_debt_usd), i
        fee_lp = e.fee_paid - e.protocol_fee_amount - e.insurance_fee_amount - e.staker_fee_amount
        if kind == LIQUIDATED:
            assert o.reward_paid == e.reward_paid, i
            assert o.owned_in == e.lp_paid + fee_lp + e.insurance_draw + e.remainder_to_pool, i
        else:
            assert (o.amount_out, o.owned_out) == (e.amount_out, e.profit_amount), i
            assert o.owned_in == e.lp_paid + fee_lp + e.insurance_draw, i

async def test_the_exact_engine_replays_the_chain(world: World, node_ext: NodeExtensions) -> None:
    m = await new_market(world, fees=FEES, pricing=PRICING, borrow_rate=RATE)
    c = world.client
    before = await c.fetch_custody(m.usdc.custody)
    pool = pool_params_from_accounts("replay", before, await c.fetch_custody(m.sol.custody), PRICES[0], None)
    # The simulator counts the protocol's fees from t0 (the LP deposit's are already there).
    protocol0 = before.assets.protocol_fees
    wallets, opened = [], []
    for t in TRADERS:
        w = await trader(world, m)
        wallets.append(w)
        opened.append((await open_pos(world, m, w, t.side, t.collateral_in, t.size_usd)).event("PositionOpened").data)
    positions = [m.position(w, t.side) for w, t in zip(wallets, TRADERS, strict=True)]

    # The opens: the book the simulator opens is the chain's, position by position.
    book = open_book(pool, TRADERS)
    for p, address in zip(book.positions, positions, strict=True):
        chain = await c.fetch_position(address)
        assert (p.quantity, p.size_usd, p.collateral_amount, p.locked_amount) == (
            chain.quantity, chain.size_usd, chain.collateral_amount, chain.locked_amount)
    custody = (await c.fetch_custody(m.usdc.custody)).assets
    assert (book.owned, book.locked, book.insurance_fund, protocol0 + book.protocol_fees) == (
        custody.owned, custody.locked, custody.insurance_fund, custody.protocol_fees)
    assert book.rate == RATE.base_rate
    # t0 is the last open (the opens may straddle a second): the simulator's index is 0 then, each
    # snapshot relative to it (an earlier open owes interest already).
    t0, index0 = opened[-1].time, opened[-1].cumulative_interest
    book = replace(book, snapshots=tuple(ev.cumulative_interest - index0 for ev in opened))

    # The path on the node: warp, publish both prices, the keeper's rule, one step at a time.
    _, keeper, account = await keeper_wallet(world, m)
    seconds = [0]
    seen = [False] * len(positions)
    chain_end: dict[int, tuple[int, int, object]] = {}  # position -> (kind, step, event)
    settled_at: dict[int, list[int]] = {}  # step -> the times its settlements landed
    for step, price in enumerate(PRICES[1:], start=1):
        node_ext.warp_clock(STEP_SEC)
        await world.set_price(m.usdc, price=PRICE_POWER)
        await world.set_price(m.sol, price=price)
        now = await world.now()
        for i, address in enumerate(positions):
            if i in chain_end:
                continue
            liquidatable = await c.get_liquidation_state(address)
            if liquidatable and seen[i]:
                ev = (await keeper.liquidate(address, receiving_account=account)).event("PositionLiquidated").data
                chain_end[i] = (LIQUIDATED, step, ev)
                settled_at.setdefault(step, []).append(ev.time)
                now = ev.time
            seen[i] = liquidatable
        if step == len(PRICES) - 1:
            for i, (w, t) in enumerate(zip(wallets, TRADERS, strict=True)):
                if i not in chain_end:
                    ev = (await close_pos(world, m, w, t.side)).event("PositionDecreased").data
                    chain_end[i] = (OPEN_AT_END, step, ev)
                    settled_at.setdefault(step, []).append(ev.time)
                    now = ev.time
        seconds.append(now - t0)
    # One time per step holds for the settlements: each step's settlements landed in one second.
    assert all(len(set(times)) == 1 for times in settled_at.values()), settled_at

    exact = run_exact(book, PRICES, seconds, keeper_delay=1)
    kinds = [(o.kind, o.step) for o in exact.outcomes]
    assert kinds == [(chain_end[i][0], chain_end[i][1]) for i in range(len(positions))]
    assert kinds == [(LIQUIDATED, 3), (LIQUIDATED, 6), (LIQUIDATED, 8), (OPEN_AT_END, 9)]
    assert_settlements_match(exact, chain_end)
    closed: Any = chain_end[3][2]
    assert closed.interest_usd > 0  # the close paid interest
    # Each kind of settlement happened: a liquidation paying fee and reward, bad debt with and
    # without the insurance fund, a close.
    assert exact.outcomes[0].reward_paid > 0 and exact.outcomes[0].bad_debt_usd == 0
    assert exact.outcomes[1].insurance_draw > 0 and exact.outcomes[1].bad_debt_usd > 0
    assert exact.outcomes[2].insurance_draw == 0 and exact.outcomes[2].bad_debt_usd > 0
    assert exact.totals.bad_debt_usd > 0 and exact.totals.insurance_draw > 0  # the crash left bad debt

    after = await c.fetch_custody(m.usdc.custody)
    a = after.assets
    assert exact.totals.owned == a.owned
    assert exact.totals.insurance_fund == a.insurance_fund
    assert protocol0 + exact.totals.protocol_fees == a.protocol_fees
    assert exact.totals.stake_rewards == a.stake_rewards
    assert exact.totals.bad_debt_usd == after.bad_debt_usd
    assert a.locked == 0 and a.collateral == 0


# A SOL-funded pool (LPs in USDC and SOL) with a skew premium: two asset-backed longs (collateral,
# lock and payout in SOL) beside stable-backed positions. The long side stays the majority, beyond
# the ramp's full scale (1 bp of AUM), the whole path, so both premium rates are constant on chain as
# the simulator holds them (the longs pay the maximum, the short none); the borrow rates are
# constant too. Path: the 20x USDC long is liquidated at step 3, the 5x SOL-backed long (its SOL
# collateral falling with the price) at step 7, the 25x USDC short at step 9; the 2x SOL-backed long
# is closed at the end with a profit paid in SOL. One settlement a step (see above).
SKEW = dict(scale_aum_bps=1, fee_premium_max_bps=5_000, fee_discount_max_bps=3_000, borrow_premium_max_rate=3_000_000)
SOL_UNIT = 10**9
MIXED = [Trader(Side.LONG, 3_000 * USDC, 150 * USDC), Trader(Side.LONG, 3_000 * USDC, 4 * SOL_UNIT, None, True),
         Trader(Side.LONG, 1_000 * USDC, 3_333_333_333, None, True), Trader(Side.SHORT, 500 * USDC, 20 * USDC)]
MIXED_PATH = [1500, 1470, 1450, 1452, 1390, 1300, 1250, 1240, 1530, 1610, 1610]
MIXED_PRICES = [p * PRICE_POWER // 10 for p in MIXED_PATH]


async def test_the_exact_engine_replays_asset_backed_longs_and_the_skew(world: World, node_ext: NodeExtensions) -> None:
    from perp_pool.math import skew
    from perp_pool.math.health import cumulative_interest_at
    from perp_pool.math.skew import custody_premium_cumulative

    m = await new_market(world, fees=FEES, pricing=PRICING, borrow_rate=RATE, sol_price=MIXED_PRICES[0])
    c = world.client
    lp = await world.new_wallet(m.sol, tokens=1_000 * SOL_UNIT)
    await world.deposit_and_wait(m.sol, lp, 1_000 * SOL_UNIT)
    await c.set_skew_config(m.pool, m.sol.custody, skew.SkewParams(**SKEW))
    usdc0, sol0 = await c.fetch_custody(m.usdc.custody), await c.fetch_custody(m.sol.custody)
    aum = (await c.fetch_pool(m.pool)).aum_usd
    pool = pool_params_from_accounts("replay", usdc0, sol0, MIXED_PRICES[0], None, aum)
    assert pool.market.skew() == skew.SkewParams(**SKEW) and pool.market.lp_tokens == sol0.assets.owned > 0

    wallets, opened, addresses = [], [], []
    for t in MIXED:
        if t.asset_backed:
            w = await world.new_wallet(m.sol, tokens=10 * SOL_UNIT)
            ev = await w.client.open_position(m.pool, m.sol.custody, m.sol.custody, Side.LONG, price_limit=2**63,
                                              collateral_amount=t.collateral_in, size_usd=t.size_usd,
                                              funding_account=w.token_account)
            addresses.append(w.client.position_address(m.pool, m.sol.custody, m.sol.custody, Side.LONG))
        else:
            w = await trader(world, m)
            ev = await open_pos(world, m, w, t.side, t.collateral_in, t.size_usd)
            addresses.append(m.position(w, t.side))
        wallets.append(w)
        opened.append(ev.event("PositionOpened").data)

    book = open_book(pool, MIXED)
    assert book.backed == (False, True, True, False) and book.rejected == {}
    for p, ev in zip(book.positions, opened, strict=True):  # the skew-priced fees and the SOL amounts
        assert (p.collateral_amount, p.locked_amount) == (ev.collateral_amount, ev.locked_amount)
    assert book.market is not None  # the open fees (skew premium / discount included) in each custody's tokens
    assert book.open_fees == sum(ev.fee_amount for ev, t in zip(opened, MIXED, strict=True) if not t.asset_backed)
    assert book.market.open_fees == sum(ev.fee_amount for ev, t in zip(opened, MIXED, strict=True) if t.asset_backed)
    usdc1, sol1 = await c.fetch_custody(m.usdc.custody), await c.fetch_custody(m.sol.custody)
    assert (book.owned, book.locked, book.insurance_fund) == (usdc1.assets.owned, usdc1.assets.locked,
                                                             usdc1.assets.insurance_fund)
    assert (book.market.owned, book.market.locked, book.market.insurance_fund) == (
        sol1.assets.owned, sol1.assets.locked, sol1.assets.insurance_fund)
    state = sol1.skew_state
    assert (book.premium_rates, book.rate, book.market_rate) == (
        (state.long_rate, state.short_rate), RATE.base_rate, RATE.base_rate)
    assert book.premium_rates[0] == SKEW["borrow_premium_max_rate"] and book.premium_rates[1] == 0
    # t0 is the last open: each snapshot relative to its custody's index (and its side's premium index) then
    t0 = opened[-1].time
    index0 = {str(m.usdc.custody): cumulative_interest_at(usdc1, t0),
              str(m.sol.custody): cumulative_interest_at(sol1, t0)}
    chain = [await c.fetch_position(a) for a in addresses]
    book = replace(book, snapshots=tuple(p.cumulative_interest_snapshot - index0[str(p.collateral_custody)]
                                         for p in chain),
                   premium_snapshots=tuple(p.skew_premium_snapshot - custody_premium_cumulative(
                       sol1, Side.LONG if t.side is Side.LONG else Side.SHORT, t0) for p, t in zip(chain, MIXED,
                                                                                                   strict=True)))

    _, keeper, account = await keeper_wallet(world, m)
    keeper_sol = await world.new_wallet(m.sol)
    seconds = [0]
    seen = [False] * len(addresses)
    chain_end: dict[int, tuple[int, int, object]] = {}
    settled_at: dict[int, list[int]] = {}
    for step, price in enumerate(MIXED_PRICES[1:], start=1):
        node_ext.warp_clock(STEP_SEC)
        await world.set_price(m.usdc, price=PRICE_POWER)
        await world.set_price(m.sol, price=price)
        now = await world.now()
        for i, address in enumerate(addresses):
            if i in chain_end:
                continue
            liquidatable = await c.get_liquidation_state(address)
            if liquidatable and seen[i]:
                who, to = (keeper_sol.client, keeper_sol.token_account) if MIXED[i].asset_backed else (keeper, account)
                ev = (await who.liquidate(address, receiving_account=to)).event("PositionLiquidated").data
                chain_end[i] = (LIQUIDATED, step, ev)
                settled_at.setdefault(step, []).append(ev.time)
                now = ev.time
            seen[i] = liquidatable
        if step == len(MIXED_PRICES) - 1:
            for i, (w, t) in enumerate(zip(wallets, MIXED, strict=True)):
                if i in chain_end:
                    continue
                if t.asset_backed:
                    tx = await w.client.close_position(m.pool, m.sol.custody, m.sol.custody, Side.LONG,
                                                       price_limit=0, receiving_account=w.token_account)
                else:
                    tx = await close_pos(world, m, w, t.side)
                ev = tx.event("PositionDecreased").data
                chain_end[i] = (OPEN_AT_END, step, ev)
                settled_at.setdefault(step, []).append(ev.time)
                now = ev.time
        seconds.append(now - t0)
    assert all(len(set(times)) == 1 for times in settled_at.values()), settled_at

    exact = run_exact(book, MIXED_PRICES, seconds, keeper_delay=1)
    kinds = [(o.kind, o.step) for o in exact.outcomes]
    assert kinds == [(chain_end[i][0], chain_end[i][1]) for i in range(len(addresses))]
    assert kinds == [(LIQUIDATED, 3), (LIQUIDATED, 7), (OPEN_AT_END, 10), (LIQUIDATED, 9)]
    assert_settlements_match(exact, chain_end)
    settled: list[Any] = [ev for _, _, ev in chain_end.values()]
    assert all(ev.interest_usd > 0 for ev in settled)  # borrow interest, and the premium on the longs
    assert exact.outcomes[2].owned_out > 0  # the SOL-backed long's profit, paid in SOL
    usdc2, sol2 = await c.fetch_custody(m.usdc.custody), await c.fetch_custody(m.sol.custody)
    t = exact.totals
    assert (t.owned, t.insurance_fund, t.stake_rewards) == (usdc2.assets.owned, usdc2.assets.insurance_fund,
                                                           usdc2.assets.stake_rewards)
    assert (t.market_owned, t.market_insurance_fund, t.market_stake_rewards) == (
        sol2.assets.owned, sol2.assets.insurance_fund, sol2.assets.stake_rewards)
    assert usdc0.assets.protocol_fees + t.protocol_fees == usdc2.assets.protocol_fees
    assert sol0.assets.protocol_fees + t.market_protocol_fees == sol2.assets.protocol_fees
    assert t.bad_debt_usd == usdc2.bad_debt_usd + sol2.bad_debt_usd
    assert sol2.assets.locked == 0 and sol2.assets.collateral == 0 and usdc2.assets.locked == 0
