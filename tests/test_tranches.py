"""LP tranches on the node (issue 10): the loss cascade exact to the token unit, the senior index
over time, and the bad input of the tranche instructions.

Every expectation is recomputed from the accounts with the client's ports (perp_pool.math.tranche,
perp_pool.math.liquidity), never copied from the node; `tests/tranche_support.checked_state`
checks each `get_tranche_state` against them (junior + senior == AUM in both modes, the cascade,
the index at the view's clock, the LP prices, the senior supply == its mint's == the pool's).
USDC is priced exactly 1 USD throughout, so its tokens are micro-USD and a pool with no open
position has AUM == the USDC custody's `owned`.
"""

from __future__ import annotations

import dataclasses
import functools

import pytest

from perp_pool import errors
from perp_pool.client import BorrowRateConfig, FeeConfig, Permissions
from perp_pool.constants import DEAD_LP_SUPPLY, SENIOR_INDEX_POWER, YEAR_SECONDS
from perp_pool.localnet import NodeExtensions
from perp_pool.math import liquidity
from perp_pool.math import tranche as tm
from perp_pool.math.fixed import Rounding, mul_div
from perp_pool.math.pricing import Side
from perp_pool.math.tranche import SeniorTerms
from perp_pool.tokens import ensure_ata
from tests.helpers import USDC, World, assert_rejected, price_usd
from tests.lp_safety_support import (
    NO_INTEREST,
    ONE_USD,
    assert_vault_accounted,
    close_position,
    keeper,
    open_position,
    refresh_prices,
)
from tests.tranche_support import (
    JUNIOR,
    LP,
    NO_FEES,
    ONE,
    ORACLE,
    SENIOR,
    Book,
    TMarket,
    book,
    checked_state,
    deposit,
    expect_deposit,
    expect_redeem,
    mint_supply,
    new_lp,
    redeem,
    redeem_ix,
    tranche_state,
    tranched_market,
    tx_time,
)

SOL_150 = price_usd(150)


async def redemption_quotes(world: World, t: TMarket, lps: dict, state, b, now: int) -> None:
    """What every LP's whole holding (and a tenth of it) would redeem for now, simulated, equals
    its share of its tranche's NAV by the client's math — or fails with the same named error."""
    for tranche, lp in lps.items():
        w = lp.of(tranche)
        held = await world.balance(w.lp_account)
        for amount in {held, held // 10} - {0}:
            try:
                expected = expect_redeem(b, tranche, amount, state.aum_min_usd, now)
            except errors.TransactionFailed as refusal:
                with pytest.raises(type(refusal)):
                    await w.client.quote_remove_liquidity(t.pool, t.m.usdc.custody, lp_amount_in=amount,
                                                          receiving_account=w.token_account,
                                                          lp_token_account=w.lp_account, tranche=tranche)
                continue
            quote = await w.client.quote_remove_liquidity(t.pool, t.m.usdc.custody, lp_amount_in=amount,
                                                          receiving_account=w.token_account,
                                                          lp_token_account=w.lp_account, tranche=tranche)
            assert (quote.withdraw_usd, quote.amount_out) == (expected.withdraw_usd, expected.amount_out)


async def redeem_exactly(world: World, t: TMarket, lp: LP, tranche, amount: int, aum_min: int) -> int:
    """Redeems `amount` LP of `tranche` and checks the tokens received to the unit; returns them."""
    b = await book(world, t)
    before = await world.balance(lp.token_account)
    result = await redeem(t, lp, tranche, amount)
    expected = expect_redeem(b, tranche, amount, aum_min, await tx_time(world, result))
    ev = result.event("LiquidityRemoved").data
    assert ev.tranche.__class__.__name__.lower() == tranche.value
    assert ev.amount_out == expected.amount_out
    assert await world.balance(lp.token_account) - before == expected.amount_out
    return expected.amount_out


# ---- 1. the cascade ------------------------------------------------------------------------------

async def test_cascade_insurance_then_junior_then_senior_to_the_unit(world: World, node_ext: NodeExtensions) -> None:
    """Junior 2,000 USDC and senior 6,000 USDC (rate 0, coverage 5x), an insurance fund of 50
    USDC, no fees. In turn: a trader profit of ~500 (junior only), a bad debt of unpaid interest
    (insurance fund first, then junior), a trader profit larger than the junior (junior to 0,
    then senior), senior redemptions at the impaired NAV, a trader loss (refills the senior's
    claim first, then the junior). After every step the NAVs are the cascade of the AUM, the
    insurance fund moved only for the bad debt, and redemptions pay each tranche's NAV share."""
    t = await tranched_market(world, rate_bps=0, ratio_bps=50_000)
    m = t.m
    prices = [(m.usdc, ONE_USD), (m.sol, SOL_150)]
    junior_lp = await new_lp(world, t, 3_000 * USDC)
    senior_lp = await new_lp(world, t, 6_000 * USDC)
    lps = {JUNIOR: junior_lp, SENIOR: senior_lp}
    await deposit(t, junior_lp, JUNIOR, 2_000 * USDC)
    # Coverage: 6,000 * 10^4 <= 2,000 * 50_000.
    await deposit(t, senior_lp, SENIOR, 6_000 * USDC)
    donor = await new_lp(world, t, 50 * USDC, senior=False)
    await donor.junior.client.top_up_insurance_fund(t.pool, m.usdc.custody, amount=50 * USDC,
                                                    funding_account=donor.token_account)
    assert await world.balance(junior_lp.junior.lp_account) == 2_000 * USDC - DEAD_LP_SUPPLY
    assert await world.balance(senior_lp.senior.lp_account) == 6_000 * USDC  # index 1 USD per LP
    await world.after_slot(await world.slot())

    async def flat(expect_junior: int, expect_senior: int, fund: int):
        """A pool with no position: AUM == owned; the NAVs the cascade of it, as expected."""
        state, b, now = await checked_state(world, t)
        assert state.aum_min_usd == state.aum_max_usd == b.owned
        assert state.senior_target_usd == b.senior_supply  # index 1 USD per LP (rate 0)
        assert (state.junior_nav_min_usd, state.senior_nav_min_usd) == (expect_junior, expect_senior)
        assert state.insurance_fund_usd == fund
        await redemption_quotes(world, t, lps, state, b, now)
        await assert_vault_accounted(world, m.usdc)
        return state, b

    state, b = await flat(2_000 * USDC, 6_000 * USDC, 50 * USDC)

    # -- A trader profit below the junior NAV: the junior alone pays it. ------------------------
    trader = await new_lp(world, t, 5_000 * USDC, senior=False)
    await open_position(trader.junior, m, Side.LONG, 300 * USDC, 3_000 * USDC)
    await world.set_price(m.sol, price=price_usd(175))
    mid, _, _ = await checked_state(world, t)
    claim = b.owned - mid.aum_min_usd  # the open profit the pool owes, as the AUM counts it
    assert 499 * USDC < claim <= 500 * USDC
    assert (mid.junior_nav_min_usd, mid.senior_nav_min_usd) == (2_000 * USDC - claim, 6_000 * USDC)
    # The stress view of that same profit: what the pool is now, from the flat pool's numbers.
    assert tm.stress(b.owned, 6_000 * USDC, 50 * USDC, claim, 0).navs_after == tm.TrancheNavs(
        mid.junior_nav_min_usd, mid.senior_nav_min_usd)
    closed = (await close_position(trader.junior, m, Side.LONG)).event("PositionDecreased").data
    assert closed.profit_usd == claim  # the AUM counted exactly what the close pays
    await world.set_price(m.sol, price=SOL_150)
    junior_nav = 2_000 * USDC - closed.profit_usd
    state, b = await flat(junior_nav, 6_000 * USDC, 50 * USDC)
    # Both tranches redeem a slice: each is paid its NAV share, to the token unit.
    await redeem_exactly(world, t, junior_lp, JUNIOR, 100 * USDC, state.aum_min_usd)
    await redeem_exactly(world, t, senior_lp, SENIOR, 300 * USDC, state.aum_min_usd)
    state, b, _ = await checked_state(world, t)
    junior_nav, senior_nav = state.junior_nav_min_usd, state.senior_nav_min_usd
    assert senior_nav == 5_700 * USDC  # 300 whole senior LP redeemed at exactly 1 USD each

    # -- A bad debt: 250 USD of interest owed on 100 USDC of collateral. The insurance fund (50)
    # pays first, the junior the 100 it leaves; the senior is untouched. ------------------------
    high_rate = BorrowRateConfig(base_rate=1_250_000, slope1=0, slope2=0)  # 0.125 % of size an hour
    await world.client.set_custody_config(t.pool, m.usdc.custody, oracle=ORACLE, fees=NO_FEES,
                                          pricing=t.pricing, borrow_rate=high_rate)
    debtor = await new_lp(world, t, 100 * USDC, senior=False)
    await open_position(debtor.junior, m, Side.LONG, 100 * USDC, 2_000 * USDC)
    node_ext.warp_clock(100 * 3_600)
    await refresh_prices(world, prices)
    # Interest stops accruing (rate 0 from now), so the AUM no longer moves with the clock.
    await world.client.set_custody_config(t.pool, m.usdc.custody, oracle=ORACLE, fees=NO_FEES,
                                          pricing=t.pricing, borrow_rate=NO_INTEREST)
    before, b_before, _ = await checked_state(world, t)
    marked_gain = before.aum_min_usd - state.aum_min_usd  # the interest receivable the AUM counts
    assert 249 * USDC < marked_gain < 251 * USDC  # 100 h and the seconds around the warp
    assert before.senior_nav_min_usd == senior_nav
    assert before.junior_nav_min_usd == junior_nav + marked_gain
    # What the stress view says the bad debt (the interest the collateral does not cover) does.
    bad_debt = marked_gain - 100 * USDC
    predicted = (await world.client.get_tranche_state(t.pool, bad_debt_usd=bad_debt)).stress
    assert (predicted.insurance_draw_usd, predicted.insurance_after_usd) == (50 * USDC, 0)
    assert (predicted.junior_loss_usd, predicted.senior_loss_usd) == (bad_debt - 50 * USDC, 0)
    _, keeper_client, keeper_account = await keeper(world, m)
    position = m.position(debtor.junior, Side.LONG)
    ev = (await keeper_client.liquidate(position, receiving_account=keeper_account)).event("PositionLiquidated").data
    lp_owed = ev.loss_usd + ev.interest_usd  # tokens at 1 USD
    shortfall = lp_owed - ev.lp_paid
    assert ev.lp_paid == 100 * USDC and shortfall > 50 * USDC
    assert ev.insurance_draw == min(shortfall, 50 * USDC) == 50 * USDC  # the fund first, all of it
    assert ev.bad_debt_usd == shortfall - ev.insurance_draw
    after, b_after, _ = await checked_state(world, t)
    assert after.insurance_fund_usd == 0
    loss = before.aum_min_usd - after.aum_min_usd
    assert loss > 0
    # The LPs lose what the fund did not cover of the interest the AUM had counted: to the unit,
    # minus what the AUM already valued below the event (rounding of the interest aggregate and
    # of the open position's value, at most a unit each).
    assert 0 <= ev.bad_debt_usd - loss <= 2
    # ... all of it from the junior: the senior is untouched.
    assert after.senior_nav_min_usd == before.senior_nav_min_usd == senior_nav
    assert after.junior_nav_min_usd == before.junior_nav_min_usd - loss
    # As the stress view had said, up to the same rounding units.
    assert abs(predicted.junior_loss_usd - loss) <= 2
    state, b = await flat(after.junior_nav_min_usd, senior_nav, 0)
    assert b.owned == b_before.owned + ev.lp_paid + ev.insurance_draw
    junior_nav = state.junior_nav_min_usd

    # -- A trader profit larger than the junior NAV: junior to exactly 0, the senior the rest. ---
    big = await new_lp(world, t, 1_000 * USDC, senior=False)
    size = 5_400 * USDC
    await open_position(big.junior, m, Side.LONG, 600 * USDC, size)
    stressed = (await world.client.get_tranche_state(t.pool, trader_profit_usd=junior_nav + 500 * USDC)).stress
    assert (stressed.junior_loss_usd, stressed.senior_loss_usd) == (junior_nav, 500 * USDC)
    assert (stressed.junior_nav_after_usd, stressed.senior_nav_after_usd) == (0, senior_nav - 500 * USDC)
    await world.set_price(m.sol, price=price_usd(200))  # +33.3 %: ~1,800 USD of profit
    mid, _, _ = await checked_state(world, t)
    assert mid.junior_nav_min_usd == 0
    assert mid.senior_nav_min_usd == mid.aum_min_usd < senior_nav
    closed = (await close_position(big.junior, m, Side.LONG)).event("PositionDecreased").data
    assert closed.profit_usd > junior_nav
    await world.set_price(m.sol, price=SOL_150)
    senior_loss = closed.profit_usd - junior_nav
    state, b = await flat(0, senior_nav - senior_loss, 0)
    assert state.senior_to_junior_bps == 2**64 - 1

    # The wiped junior can neither redeem nor deposit; the senior cannot deposit (no coverage).
    watched = [t.pool, m.usdc.custody, m.usdc.vault, m.lp_mint, t.mint(world, SENIOR),
               junior_lp.token_account, junior_lp.junior.lp_account, senior_lp.senior.lp_account]
    await assert_rejected(errors.JuniorTrancheWipedOut, lambda: redeem(t, junior_lp, JUNIOR, USDC),
                          world.connection, watched)
    await assert_rejected(errors.JuniorTrancheWipedOut, lambda: deposit(t, junior_lp, JUNIOR, 100 * USDC),
                          world.connection, watched)
    await assert_rejected(errors.CoverageLimitExceeded, lambda: deposit(t, senior_lp, SENIOR, 10 * USDC),
                          world.connection, watched)
    # The senior redeems at its impaired NAV: its share of the AUM, to the unit.
    paid = await redeem_exactly(world, t, senior_lp, SENIOR, 570 * USDC, state.aum_min_usd)
    assert paid == mul_div(570 * USDC, state.senior_nav_min_usd, b.senior_supply, Rounding.FLOOR) < 570 * USDC
    state, b = await flat(0, state.senior_nav_min_usd - paid, 0)
    senior_nav, target = state.senior_nav_min_usd, state.senior_target_usd
    assert senior_nav < target

    # -- A trader loss: the gain refills the senior's claim first, then the junior. -------------
    loser = await new_lp(world, t, 1_000 * USDC, senior=False)
    await open_position(loser.junior, m, Side.LONG, 600 * USDC, 3_000 * USDC)
    await world.set_price(m.sol, price=price_usd(120))  # -20 %: ~600 USD of loss
    closed = (await close_position(loser.junior, m, Side.LONG)).event("PositionDecreased").data
    await world.set_price(m.sol, price=SOL_150)
    gain = closed.loss_usd
    assert gain > target - senior_nav
    state, b = await flat(gain - (target - senior_nav), target, 0)
    # The junior is back: it deposits and redeems again (priced at its own NAV).
    b = await book(world, t)
    expected = expect_deposit(b, JUNIOR, 100 * USDC, state.aum_max_usd, await world.now())
    got = (await deposit(t, junior_lp, JUNIOR, 100 * USDC)).event("LiquidityAdded").data
    assert got.lp_amount_out == expected.lp_amount_out
    assert (got.junior_nav_usd, got.senior_nav_usd) == (state.junior_nav_max_usd, state.senior_nav_max_usd)
    state, b, now = await checked_state(world, t)
    await world.after_slot(await world.slot())
    await redemption_quotes(world, t, lps, state, b, now)
    await assert_vault_accounted(world, m.usdc)


# ---- 2. the senior index over time ---------------------------------------------------------------

async def test_senior_index_accrues_at_its_rate_paid_by_the_junior(world: World, node_ext: NodeExtensions) -> None:
    """A 10 % senior rate; half a year later the senior LP is worth exactly 5 % more (simple APR:
    index + index * rate * elapsed / (10^4 * YEAR)), the junior's NAV exactly that much less; a
    rate change rebases the index at its value then (no jump), and the new rate runs from there."""
    t = await tranched_market(world, rate_bps=1_000, ratio_bps=200_000)
    m = t.m
    prices = [(m.usdc, ONE_USD), (m.sol, SOL_150)]
    junior_lp = await new_lp(world, t, 10_000 * USDC)
    senior_lp = await new_lp(world, t, 10_000 * USDC)
    await deposit(t, junior_lp, JUNIOR, 10_000 * USDC)
    dep = await deposit(t, senior_lp, SENIOR, 10_000 * USDC)
    b0 = await book(world, t)
    assert (b0.terms.index, b0.terms.rate_bps) == (SENIOR_INDEX_POWER, 1_000)
    dep_ev = dep.event("LiquidityAdded").data
    # A moment after the index started: the deposit bought at the index then (rounded up).
    dep_time = await tx_time(world, dep)
    index_then = tm.senior_index(b0.terms, dep_time, Rounding.CEIL)
    assert dep_ev.lp_amount_out == mul_div(10_000 * USDC, SENIOR_INDEX_POWER, index_then, Rounding.FLOOR)
    aum = 20_000 * USDC  # no trades, no fees: constant
    senior_units = dep_ev.lp_amount_out

    node_ext.warp_clock(YEAR_SECONDS // 2)
    await refresh_prices(world, prices)
    state, b, now = await checked_state(world, t)
    assert state.aum_min_usd == aum
    # Exactly the simple-interest index at the view's clock; at least 5 % more than at the start.
    elapsed = now - b0.terms.index_time
    assert elapsed >= YEAR_SECONDS // 2
    assert state.senior_index == SENIOR_INDEX_POWER + SENIOR_INDEX_POWER * 1_000 * elapsed // (10_000 * YEAR_SECONDS)
    assert state.senior_index >= SENIOR_INDEX_POWER * 105 // 100
    assert state.senior_target_usd == senior_units * state.senior_index // SENIOR_INDEX_POWER
    # The junior pays it: junior NAV = AUM - the senior claim.
    assert state.junior_nav_min_usd == aum - state.senior_target_usd
    assert state.senior_price_usd == await world.client.get_lp_token_price(t.pool, SENIOR)

    # Both redeem in one transaction (one clock): each paid its NAV share at that instant.
    await world.after_slot(await world.slot())
    w_s, w_j = senior_lp.senior, junior_lp.junior
    result = await w_s.client.send([await redeem_ix(t, w_s, SENIOR, 1_000 * USDC),
                                    await redeem_ix(t, w_j, JUNIOR, 1_000 * USDC)], [w_j.keypair])
    at = await tx_time(world, result)
    s_ev, j_ev = [e.data for e in result.events if e.name == "LiquidityRemoved"]
    assert s_ev.amount_out == expect_redeem(b, SENIOR, 1_000 * USDC, aum, at).amount_out
    index_floor = tm.senior_index(b.terms, at, Rounding.FLOOR)
    assert s_ev.amount_out == 1_000 * USDC * (senior_units * index_floor // SENIOR_INDEX_POWER) // senior_units
    assert s_ev.amount_out >= 1_050 * USDC - 1  # 5 % on 1,000 whole senior LP
    b_mid = dataclass_replace_supply(b, senior_units - 1_000 * USDC)
    aum -= s_ev.amount_out
    assert j_ev.amount_out == expect_redeem(b_mid, JUNIOR, 1_000 * USDC, aum, at).amount_out
    assert j_ev.junior_nav_usd == aum - tm.senior_target_usd(b_mid.senior_supply,
                                                             tm.senior_index(b.terms, at, Rounding.CEIL),
                                                             Rounding.CEIL)
    aum -= j_ev.amount_out

    # A rate change at one instant: the index is rebased to its value then; a senior redemption
    # just before and just after it, in the same transaction, are paid the same per unit.
    admin = world.client
    b1 = await book(world, t)
    result = await w_s.client.send([await redeem_ix(t, w_s, SENIOR, 100 * USDC),
                                    admin.build_set_tranche_config_ix(t.pool, rate_bps=2_000,
                                                                      max_senior_junior_ratio_bps=150_000,
                                                                      senior_deposit_ratio_bps=150_000),
                                    await redeem_ix(t, w_s, SENIOR, 100 * USDC)], [world.admin])
    at = await tx_time(world, result)
    first, second = [e.data for e in result.events if e.name == "LiquidityRemoved"]
    config = result.event("TrancheConfigSet").data
    assert config.index == tm.senior_index(b1.terms, at, Rounding.FLOOR)
    assert (config.old_rate_bps, config.rate_bps, config.time) == (1_000, 2_000, at)
    b2 = await book(world, t)
    assert b2.terms == SeniorTerms(config.index, at, 2_000)
    assert b2.ratio_bps == 150_000
    old_after_first = dataclass_replace_supply(b1, b1.senior_supply - 100 * USDC)
    aum_after_first = aum - first.amount_out
    # No jump: under the old terms or the rebased ones, the second redemption is worth the same.
    same = expect_redeem(old_after_first, SENIOR, 100 * USDC, aum_after_first, at)
    assert second.amount_out == same.amount_out
    rebased = dataclass_replace_supply(b2, b1.senior_supply - 100 * USDC)
    assert second.amount_out == expect_redeem(rebased, SENIOR, 100 * USDC, aum_after_first, at).amount_out
    assert abs(second.amount_out - first.amount_out) <= 1  # the same price per unit (floor of each)
    # The senior claim at that instant, old terms vs new: no jump (the junior's side rounds up
    # by at most one unit, the index's rounding).
    for rounding in Rounding:
        old = tm.senior_target_usd(b2.senior_supply, tm.senior_index(b1.terms, at, rounding), rounding)
        new = tm.senior_target_usd(b2.senior_supply, tm.senior_index(b2.terms, at, rounding), rounding)
        assert 0 <= old - new <= (1 if rounding is Rounding.CEIL else 0)

    # The new rate from the rebased index, simple: another half year adds 10 % of the rebased index.
    node_ext.warp_clock(YEAR_SECONDS // 2)
    await refresh_prices(world, prices)
    state, b3, now = await checked_state(world, t)
    elapsed = now - at
    assert state.senior_index == config.index + config.index * 2_000 * elapsed // (10_000 * YEAR_SECONDS)
    assert state.senior_index >= config.index * 110 // 100
    assert state.junior_nav_min_usd == state.aum_min_usd - state.senior_target_usd
    await assert_vault_accounted(world, m.usdc)


def dataclass_replace_supply(b: Book, senior_supply: int) -> Book:
    return dataclasses.replace(b, senior_supply=senior_supply)


# ---- 4. bad input: a named error and nothing changes ---------------------------------------------

async def _bad_input_market(world: World) -> tuple[TMarket, LP, LP]:
    t = await tranched_market(world, rate_bps=500, ratio_bps=20_000)  # senior at most 2x junior
    junior_lp = await new_lp(world, t, 10_000 * USDC)
    senior_lp = await new_lp(world, t, 10_000 * USDC)
    await deposit(t, junior_lp, JUNIOR, 1_000 * USDC)
    await deposit(t, senior_lp, SENIOR, 1_500 * USDC)
    await world.after_slot(await world.slot())
    return t, junior_lp, senior_lp


def _watched(world: World, t: TMarket, *lps: LP) -> list:
    keys = [t.pool, t.m.usdc.custody, t.m.usdc.vault, t.m.lp_mint, t.mint(world, SENIOR), t.m.sol.custody]
    for lp in lps:
        keys += [lp.token_account, lp.junior.lp_account, lp.senior.lp_account]
    return keys


async def test_senior_deposit_into_an_untranched_pool_is_refused(world: World) -> None:
    t = await tranched_market(world, rate_bps=None)
    lp = await new_lp(world, t, 1_000 * USDC, senior=False)
    await deposit(t, lp, JUNIOR, 500 * USDC)
    # The senior mint of a pool without tranches does not exist.
    watched = _watched(world, t, lp)
    assert (await world.connection.get_account_info(t.mint(world, SENIOR))).value is None
    await assert_rejected(errors.AccountNotInitialized, lambda: lp.junior.client.add_liquidity(
        t.pool, t.m.usdc.custody, amount_in=USDC, funding_account=lp.token_account,
        lp_token_account=lp.junior.lp_account, min_lp_amount_out=0, tranche=SENIOR), world.connection, watched)
    # Another pool's senior mint (a real mint, not this pool's): InvalidLpTokenMint.
    other = await tranched_market(world, rate_bps=0)
    account = await ensure_ata(world.client.transport, lp.junior.pubkey, other.mint(world, SENIOR))
    ix = await lp.junior.client.build_add_liquidity_ix(t.pool, t.m.usdc.custody, amount_in=USDC, min_lp_amount_out=0,
                                                       funding_account=lp.token_account, lp_token_account=account,
                                                       overrides={"lp_token_mint": other.mint(world, SENIOR)})
    await assert_rejected(errors.InvalidLpTokenMint, lambda: lp.junior.client.send([ix]), world.connection, watched)


async def test_lp_account_of_the_other_tranche_is_refused(world: World) -> None:
    t, junior_lp, senior_lp = await _bad_input_market(world)
    watched = _watched(world, t, junior_lp, senior_lp)
    crossed = {JUNIOR: senior_lp.senior.lp_account, SENIOR: senior_lp.junior.lp_account}
    for tranche, wrong_account in crossed.items():
        w = senior_lp.senior
        add = await w.client.build_add_liquidity_ix(t.pool, t.m.usdc.custody, amount_in=USDC, min_lp_amount_out=0,
                                                    funding_account=w.token_account, lp_token_account=wrong_account,
                                                    tranche=tranche)
        await assert_rejected(errors.InvalidLpTokenMint, functools.partial(w.client.send, [add]), world.connection,
                              watched)
    # Redeeming senior LP through the junior mint (and the reverse).
    for tranche, lp in ((JUNIOR, senior_lp), (SENIOR, junior_lp)):
        other = SENIOR if tranche is JUNIOR else JUNIOR
        w = lp.of(other)
        ix = await w.client.build_remove_liquidity_ix(t.pool, t.m.usdc.custody, lp_amount_in=USDC, min_amount_out=0,
                                                      receiving_account=w.token_account,
                                                      lp_token_account=w.lp_account, tranche=tranche)
        await assert_rejected(errors.InvalidLpTokenMint, functools.partial(w.client.send, [ix]), world.connection,
                              watched)


async def test_coverage_breaches_are_refused(world: World) -> None:
    """Senior at most 2x junior: a senior deposit past it and a junior redemption that would
    leave the senior past it fail with CoverageLimitExceeded; at the limit both pass."""
    t, junior_lp, senior_lp = await _bad_input_market(world)
    watched = _watched(world, t, junior_lp, senior_lp)
    state, b, now = await checked_state(world, t)
    # Room left: 2 x junior - senior (the senior's claim grows with its rate, keep a margin).
    room = 2 * state.junior_nav_max_usd - state.senior_nav_max_usd
    assert 490 * USDC < room < 510 * USDC  # ~ 2 x 1,000 - 1,500, the index's rounding and accrual apart
    await assert_rejected(errors.CoverageLimitExceeded, lambda: deposit(t, senior_lp, SENIOR, room + USDC),
                          world.connection, watched)
    await deposit(t, senior_lp, SENIOR, room - USDC)
    state, b, now = await checked_state(world, t)
    assert state.senior_to_junior_bps <= 20_000
    # Now a junior redemption of 10 USD would breach it.
    await world.after_slot(await world.slot())
    with pytest.raises(errors.CoverageLimitExceeded):
        expect_redeem(b, JUNIOR, 10 * USDC, state.aum_min_usd, now)
    await assert_rejected(errors.CoverageLimitExceeded, lambda: redeem(t, junior_lp, JUNIOR, 10 * USDC),
                          world.connection, watched)
    # The senior leaves 100; then the junior redeems within what the limit allows, to the unit.
    await redeem(t, senior_lp, SENIOR, 100 * USDC)
    state, b, now = await checked_state(world, t)
    await redeem_exactly(world, t, junior_lp, JUNIOR, 20 * USDC, state.aum_min_usd)


async def test_wiped_out_junior_can_neither_deposit_nor_redeem(world: World) -> None:
    t = await tranched_market(world, rate_bps=0, ratio_bps=200_000)
    m = t.m
    junior_lp = await new_lp(world, t, 1_000 * USDC)
    senior_lp = await new_lp(world, t, 10_000 * USDC)
    await deposit(t, junior_lp, JUNIOR, 500 * USDC)
    await deposit(t, senior_lp, SENIOR, 5_000 * USDC)
    trader = await new_lp(world, t, 1_000 * USDC, senior=False)
    await open_position(trader.junior, m, Side.LONG, 500 * USDC, 3_000 * USDC)
    await world.set_price(m.sol, price=price_usd(180))  # +20 %: 600 USD, more than the junior's 500
    state, _, _ = await checked_state(world, t)
    assert state.junior_nav_min_usd == state.junior_nav_max_usd == 0
    await world.after_slot(await world.slot())
    watched = _watched(world, t, junior_lp, senior_lp)
    await assert_rejected(errors.JuniorTrancheWipedOut, lambda: deposit(t, junior_lp, JUNIOR, 100 * USDC),
                          world.connection, watched)
    await assert_rejected(errors.JuniorTrancheWipedOut, lambda: redeem(t, junior_lp, JUNIOR, USDC),
                          world.connection, watched)
    # The price comes back: the junior is whole again, and deposits.
    await world.set_price(m.sol, price=SOL_150)
    state, b, now = await checked_state(world, t)
    assert state.junior_nav_min_usd > 0
    await deposit(t, junior_lp, JUNIOR, 100 * USDC)


async def test_add_senior_tranche_only_once_before_any_lp_and_by_the_admin(world: World) -> None:
    c = world.client
    # After LP was issued.
    t = await tranched_market(world, rate_bps=None)
    lp = await new_lp(world, t, 100 * USDC, senior=False)
    await deposit(t, lp, JUNIOR, 50 * USDC)
    watched = [t.pool, t.m.lp_mint, t.mint(world, SENIOR)]
    await assert_rejected(errors.TrancheSetupNotAllowed,
                          lambda: c.add_senior_tranche(t.pool, rate_bps=100, max_senior_junior_ratio_bps=10_000,
                                                      senior_deposit_ratio_bps=10_000),
                          world.connection, watched)
    # Twice: the senior mint exists already (its `init` fails in the system program).
    t2 = await tranched_market(world, rate_bps=100)
    watched = [t2.pool, t2.m.lp_mint, t2.mint(world, SENIOR)]
    failure = await assert_rejected(errors.TransactionFailed,
                                    lambda: c.add_senior_tranche(t2.pool, rate_bps=200,
                                                                 max_senior_junior_ratio_bps=10_000,
                                                                 senior_deposit_ratio_bps=10_000),
                                    world.connection, watched)
    assert "already in use" in " ".join(failure.logs)
    # By someone else than the admin.
    t3 = await tranched_market(world, rate_bps=None)
    stranger = (await new_lp(world, t3, 0, senior=False)).junior.client
    watched = [t3.pool, t3.m.lp_mint, t3.mint(world, SENIOR)]
    await assert_rejected(errors.Unauthorized,
                          lambda: stranger.add_senior_tranche(t3.pool, rate_bps=100,
                                                              max_senior_junior_ratio_bps=10_000,
                                                              senior_deposit_ratio_bps=10_000),
                          world.connection, watched)
    # Out-of-bounds terms.
    for rate, ratio, deposit_ratio in ((5_001, 10_000, 10_000), (100, 0, 1), (100, 200_001, 1), (100, 10_000, 0),
                                       (100, 10_000, 10_001)):
        await assert_rejected(errors.InvalidTrancheConfig,
                              lambda rate=rate, ratio=ratio, deposit_ratio=deposit_ratio: c.add_senior_tranche(
                                  t3.pool, rate_bps=rate, max_senior_junior_ratio_bps=ratio,
                                  senior_deposit_ratio_bps=deposit_ratio),
                              world.connection, watched)
    # The bounds themselves are accepted.
    await c.add_senior_tranche(t3.pool, rate_bps=5_000, max_senior_junior_ratio_bps=200_000,
                               senior_deposit_ratio_bps=200_000)
    assert (await book(world, t3)).terms.rate_bps == 5_000


async def test_set_tranche_config_bounds_untranched_pool_and_admin(world: World) -> None:
    c = world.client
    t = await tranched_market(world, rate_bps=300, ratio_bps=30_000)
    watched = [t.pool]
    for rate, ratio, deposit_ratio in ((5_001, 30_000, 30_000), (300, 0, 1), (300, 200_001, 1), (300, 30_000, 0),
                                       (300, 30_000, 30_001)):
        await assert_rejected(errors.InvalidTrancheConfig,
                              lambda rate=rate, ratio=ratio, deposit_ratio=deposit_ratio: c.set_tranche_config(
                                  t.pool, rate_bps=rate, max_senior_junior_ratio_bps=ratio,
                                  senior_deposit_ratio_bps=deposit_ratio),
                              world.connection, watched)
    stranger = (await new_lp(world, t, 0, senior=False)).junior.client
    await assert_rejected(errors.Unauthorized,
                          lambda: stranger.set_tranche_config(t.pool, rate_bps=0, max_senior_junior_ratio_bps=1,
                                                                      senior_deposit_ratio_bps=1),
                          world.connection, watched)
    plain = await tranched_market(world, rate_bps=None)
    await assert_rejected(errors.InvalidTrancheConfig,
                          lambda: c.set_tranche_config(plain.pool, rate_bps=0, max_senior_junior_ratio_bps=1,
                                                       senior_deposit_ratio_bps=1),
                          world.connection, [plain.pool])
    await c.set_tranche_config(t.pool, rate_bps=0, max_senior_junior_ratio_bps=1, senior_deposit_ratio_bps=1,
                               max_senior_usd=5 * USDC)
    b = await book(world, t)
    assert (b.ratio_bps, b.deposit_ratio_bps, b.max_senior_usd) == (1, 1, 5 * USDC)


async def test_paused_senior_deposits_and_redemptions_are_refused(world: World) -> None:
    t, junior_lp, senior_lp = await _bad_input_market(world)
    watched = _watched(world, t, junior_lp, senior_lp)
    try:
        await world.client.set_permissions(Permissions(allow_add_liquidity=False, allow_remove_liquidity=False))
        await assert_rejected(errors.InstructionNotAllowed, lambda: deposit(t, senior_lp, SENIOR, 10 * USDC),
                              world.connection, watched)
        await assert_rejected(errors.InstructionNotAllowed, lambda: redeem(t, senior_lp, SENIOR, 10 * USDC),
                              world.connection, watched)
    finally:
        await world.client.set_permissions(Permissions())
    await redeem(t, senior_lp, SENIOR, 10 * USDC)


# ---- the untranched pool is unchanged ------------------------------------------------------------

async def test_untranched_pool_prices_lp_exactly_as_before(world: World) -> None:
    """A pool without tranches: every deposit and redemption is the pre-tranche formula on the
    whole AUM and the LP supply (dead shares included), `get_tranche_state` reports it all as
    junior with every senior field 0, and its junior price is `get_lp_token_price`."""
    t = await tranched_market(world, rate_bps=None, fees=UNTRANCHED_FEES)
    m = t.m
    a = await new_lp(world, t, 20_000 * USDC, senior=False)
    bee = await new_lp(world, t, 20_000 * USDC, senior=False)
    trader = await new_lp(world, t, 2_000 * USDC, senior=False)
    for lp, amount in ((a, 10_000 * USDC), (bee, 3_333_333_333)):
        state, b, now = await checked_state(world, t)
        supply = b.junior_supply
        old = liquidity.compute_add_liquidity(amount, 6, ONE, state.aum_max_usd, supply, b.add_bps,
                                              b.protocol_bps) if supply else None
        ev = (await deposit(t, lp, JUNIOR, amount)).event("LiquidityAdded").data
        if old is not None:
            assert ev.lp_amount_out == old.lp_amount_out
        assert ev.senior_nav_usd == 0 and ev.junior_nav_usd == ev.aum_max_usd
    await open_position(trader.junior, m, Side.SHORT, 500 * USDC, 4_000 * USDC)
    await world.set_price(m.sol, price=price_usd(140))
    state, b, now = await checked_state(world, t)
    assert state.tranched is False
    assert (state.junior_nav_min_usd, state.junior_nav_max_usd) == (state.aum_min_usd, state.aum_max_usd)
    assert state.junior_price_usd == liquidity.lp_token_price_usd(state.aum_min_usd, b.junior_supply)
    assert state.junior_price_usd == await world.client.get_lp_token_price(t.pool)
    assert state.senior_price_usd == 0  # an empty senior tranche at an index of 0
    await world.after_slot(await world.slot())
    held = await world.balance(a.junior.lp_account)
    old = liquidity.compute_remove_liquidity(held // 3, state.aum_min_usd, b.junior_supply, 6, ONE,
                                             b.owned - b.locked, b.remove_bps, b.protocol_bps)
    ev = (await redeem(t, a, JUNIOR, held // 3)).event("LiquidityRemoved").data
    assert (ev.withdraw_usd, ev.amount_out) == (old.withdraw_usd, old.amount_out)
    assert ev.senior_nav_usd == 0
    await close_position(trader.junior, m, Side.SHORT)
    state, b, now = await checked_state(world, t)
    assert state.aum_min_usd == b.owned
    await assert_vault_accounted(world, m.usdc)


UNTRANCHED_FEES = FeeConfig(add_liquidity_bps=15, remove_liquidity_bps=25, protocol_share_bps=2_000,
                            open_position_bps=10, close_position_bps=10, insurance_share_bps=1_000)




# ---- leaks found by attacking the tranches, fixed: these tests failed on the first version ----------

DUST_SENIOR_LEAK = (
    "LEAK (fixed: a covered senior is priced at its index whatever its supply): a senior"
    " tranche shrunk to 1 LP base unit prices the next senior deposit at "
    "ceil(index) / 1 = 2 micro-USD per unit instead of ~1.0003 (the target is rounded up against the "
    "depositor: math/tranche.rs target_rounding, and tranche_price uses NAV / supply once supply > 0): "
    "the depositor gets half the LP it pays for, the other half goes to the junior NAV")
BURN_LOCKS_SENIOR = (
    "BUG (fixed: the next senior operation drops burned units from the count): "
    "anyone holding senior LP can burn 1 base unit with the SPL Token program; the pool's "
    "own senior count then differs from the mint's supply and EVERY senior deposit and redemption "
    "fails with TrancheSupplyMismatch (controller/liquidity.rs tranche_supply): the senior capital is "
    "locked for good")


async def test_a_senior_deposit_is_not_overcharged_when_the_senior_supply_is_dust(world: World,
                                                                                  node_ext: NodeExtensions) -> None:
    """DUST_SENIOR_LEAK, fixed. An attacker holding the junior tranche is also the only senior LP;
    once the index is not a whole number (any time after the start at a rate > 0) it redeems all
    its senior LP but one base unit. The next senior depositor (1,000 USDC) must get ~1,000 / index
    senior LP, worth what it paid (the first version gave it half, the other half to the junior)."""
    t = await tranched_market(world, rate_bps=1_000, ratio_bps=200_000)
    m = t.m
    attacker = await new_lp(world, t, 10_000 * USDC)
    victim = await new_lp(world, t, 1_000 * USDC)
    await deposit(t, attacker, JUNIOR, 5_000 * USDC)
    dep = await deposit(t, attacker, SENIOR, 10 * USDC)
    node_ext.warp_clock(86_400)
    await refresh_prices(world, [(m.usdc, ONE_USD), (m.sol, SOL_150)])
    await world.after_slot(dep.slot)
    held = await world.balance(attacker.senior.lp_account)
    await redeem(t, attacker, SENIOR, held - 1)
    before, b, _ = await checked_state(world, t)
    assert b.senior_supply == 1
    result = await deposit(t, victim, SENIOR, 1_000 * USDC)
    at = await tx_time(world, result)
    got = result.event("LiquidityAdded").data.lp_amount_out
    assert got == expect_deposit(b, SENIOR, 1_000 * USDC, before.aum_max_usd, at).lp_amount_out  # as programmed
    after, _, _ = await checked_state(world, t)
    junior_gain = after.junior_nav_min_usd - before.junior_nav_min_usd
    print(f"dust senior supply: victim paid 1000 USDC for {got} senior units; the junior NAV rose by {junior_gain}")
    # What the deposit should have bought: 1,000 USD at the index (rounded up), give or take a unit.
    fair = mul_div(1_000 * USDC, SENIOR_INDEX_POWER, tm.senior_index(b.terms, at, Rounding.CEIL), Rounding.FLOOR)
    assert got >= fair - 1, f"victim got {got} senior LP, {fair} fair; {junior_gain} micro-USD went to the junior"


async def test_a_burned_senior_lp_unit_does_not_lock_the_senior_tranche(world: World) -> None:
    """BURN_LOCKS_SENIOR, fixed."""
    from spl.token.constants import TOKEN_PROGRAM_ID
    from spl.token.instructions import BurnParams, burn

    t = await tranched_market(world, rate_bps=500, ratio_bps=200_000)
    griefer = await new_lp(world, t, 100 * USDC)
    honest = await new_lp(world, t, 10_000 * USDC)
    await deposit(t, honest, JUNIOR, 5_000 * USDC)
    await deposit(t, griefer, SENIOR, 10 * USDC)
    await deposit(t, honest, SENIOR, 5_000 * USDC)
    await world.after_slot(await world.slot())
    # The griefer's LP is its own once the (0 s) cooldown is over: thaw it, burn one unit.
    await world.client.unlock_lp(t.pool, griefer.senior.lp_account, tranche=SENIOR)
    g = griefer.senior
    await g.client.send([burn(BurnParams(program_id=TOKEN_PROGRAM_ID, account=g.lp_account,
                                         mint=t.mint(world, SENIOR), owner=g.pubkey, amount=1))])
    b = await book(world, t)
    assert await mint_supply(world, t.mint(world, SENIOR)) == b.senior_supply - 1
    # The honest senior LP redeems: it must be paid at least its NAV share (the burned unit is a
    # donation to the other senior LPs, however the program counts it).
    state = (await tranche_state(world, t))[0]
    held = await world.balance(honest.senior.lp_account)
    result = await redeem(t, honest, SENIOR, held)
    expected = expect_redeem(b, SENIOR, held, state.aum_min_usd, await tx_time(world, result))
    assert result.event("LiquidityRemoved").data.amount_out >= expected.amount_out


# ---- the operator's limits on the protection the junior sells (adversarial review R2, R4, R5) -----

async def test_senior_deposits_stop_at_their_own_limit_and_the_capacity_leaving_juniors_room_to_exit(
        world: World) -> None:
    """Senior inflows alone never lock the junior in: senior deposits stop at the senior-deposit
    limit (3x) while junior withdrawals are allowed down to the withdrawal limit (4x), so a quarter
    of the junior NAV can leave whatever senior capital arrives; the capacity caps senior NAV."""
    c = world.client
    t = await tranched_market(world, rate_bps=0, ratio_bps=40_000)
    await c.set_tranche_config(t.pool, rate_bps=0, max_senior_junior_ratio_bps=40_000, senior_deposit_ratio_bps=30_000,
                               max_senior_usd=2_500 * USDC)
    junior = await new_lp(world, t, 10_000 * USDC, senior=False)
    senior = await new_lp(world, t, 10_000 * USDC)
    await deposit(t, junior, JUNIOR, 1_000 * USDC)
    watched = [t.pool, t.m.usdc.custody, t.mint(world, SENIOR), senior.senior.lp_account]
    # The capacity first: 2,500 USD of senior NAV at most.
    await deposit(t, senior, SENIOR, 2_000 * USDC)
    await assert_rejected(errors.SeniorCapacityExceeded, lambda: deposit(t, senior, SENIOR, 600 * USDC),
                          world.connection, watched)
    await c.set_tranche_config(t.pool, rate_bps=0, max_senior_junior_ratio_bps=40_000, senior_deposit_ratio_bps=30_000,
                               max_senior_usd=0)
    # Then the 3x deposit limit (junior NAV ~1,000 with the fees it earned): 1,100 more is refused.
    state, _, _ = await checked_state(world, t)
    room = state.junior_nav_min_usd * 3 - state.senior_nav_min_usd
    assert 900 * USDC < room < 1_100 * USDC
    await assert_rejected(errors.CoverageLimitExceeded, lambda: deposit(t, senior, SENIOR, room + 10 * USDC),
                          world.connection, watched)
    await deposit(t, senior, SENIOR, room - 10 * USDC)
    # At the deposit limit, the junior can still take out up to a quarter of its NAV (4x limit).
    await world.after_slot(await world.slot())
    held = await world.balance(junior.junior.lp_account)
    await redeem(t, junior, JUNIOR, held // 5)
    state, _, _ = await checked_state(world, t)
    assert state.senior_nav_min_usd * 10_000 <= state.junior_nav_min_usd * 40_000


async def test_a_config_change_that_keeps_the_rate_does_not_rebase_the_index(world: World,
                                                                             node_ext: NodeExtensions) -> None:
    """A rebase compounds the senior claim (simple interest restarted from a higher index): only a
    rate change rebases, so changing a limit monthly costs the junior nothing."""
    c = world.client
    t = await tranched_market(world, rate_bps=1_000, ratio_bps=40_000)
    before = (await book(world, t)).terms
    node_ext.warp_clock(30 * 86_400)
    await c.set_tranche_config(t.pool, rate_bps=1_000, max_senior_junior_ratio_bps=30_000,
                               senior_deposit_ratio_bps=20_000)
    assert (await book(world, t)).terms == before
    await c.set_tranche_config(t.pool, rate_bps=900, max_senior_junior_ratio_bps=30_000,
                               senior_deposit_ratio_bps=20_000)
    after = (await book(world, t)).terms
    assert after.rate_bps == 900 and after.index > before.index and after.index_time > before.index_time
