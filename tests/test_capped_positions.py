"""close_capped_position and the keeper that runs it (docs/design.md "Close at cap"): a position
whose profit reached its payoff cap is closed by anyone, its owner paid what a close pays less the
keeper's reward, so capped positions do not linger in the pool valuation."""

from __future__ import annotations

import asyncio

from perp_pool import errors
from perp_pool.client import FeeConfig, Permissions
from perp_pool.keeper.health import PositionView
from perp_pool.math.fees import liquidator_reward_usd
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pricing import Side
from perp_pool.math.trade import (
    CollateralCustody,
    compute_close_capped_position,
    compute_decrease_position,
    is_capped,
)
from perp_pool.math.trade import Market as MarketParams
from tests.helpers import PRICE_EXPO, USDC, World, assert_rejected, new_market, price_usd
from tests.test_keeper import alive, keeper_for
from tests.test_trading import open_pos, trader

FEES = FeeConfig(liquidation_bps=50, liquidator_reward_bps=20)
SIZE = 1_500 * USDC
REWARD = SIZE * 20 // 10_000  # 3 USDC


async def capped_long(world: World):
    """A 1_500 USD long at 150 with 98.5 USDC of collateral and a 1x payoff cap; SOL then at 310
    (past 2x: profit 1_600 USD uncapped, 1_500 capped)."""
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, SIZE)
    await world.set_price(m.sol, price=price_usd(310))
    return m, w, m.position(w, Side.LONG)


def watched(m, *extra):
    return [m.usdc.custody, m.sol.custody, m.usdc.vault, *extra]


async def test_a_stranger_closes_a_capped_long_and_the_owner_gets_a_close_less_the_reward(world: World) -> None:
    m, w, position = await capped_long(world)
    stranger = await world.new_wallet(m.usdc)
    p = PositionView.from_account(position, await world.client.fetch_position(position))
    usdc_before = await world.client.fetch_custody(m.usdc.custody)
    sol = await world.client.fetch_custody(m.sol.custody)
    one_usd = OraclePrice(price_usd(1), PRICE_EXPO)
    collateral = CollateralCustody.from_custody(usdc_before, one_usd, one_usd)
    assert is_capped(p.state(), price_usd(310), collateral)
    owner_before = (await world.connection.get_balance(w.pubkey)).value
    rent = (await world.connection.get_account_info(position)).value.lamports
    tokens_before = await world.balance(w.token_account)

    result = await stranger.client.close_capped_position(position, keeper_receiving_account=stranger.token_account)
    dec = result.event("PositionDecreased").data
    ev = result.event("CappedPositionClosed").data

    # What close_position would have paid at the same price and interest, by the Python ports.
    close = compute_decrease_position(p.state(), SIZE, price_usd(310), dec.interest_usd,
                                      usdc_before.assets.insurance_fund, collateral, MarketParams.from_custody(sol))
    capped = compute_close_capped_position(p.state(), price_usd(310), dec.interest_usd,
                                           usdc_before.assets.insurance_fund, collateral,
                                           MarketParams.from_custody(sol))
    assert liquidator_reward_usd(SIZE, 20) == REWARD
    assert dec.profit_usd == close.pnl.profit_usd == SIZE  # capped at the lock
    assert ev.reward_paid == capped.paid.reward_paid == REWARD
    assert (ev.position, ev.owner, ev.keeper, ev.exit_price) == (position, w.pubkey, stranger.pubkey,
                                                                 price_usd(310))
    received = await world.balance(w.token_account) - tokens_before
    assert received == close.amount_out - REWARD == capped.amount_out == dec.amount_out
    assert await world.balance(stranger.token_account) == REWARD
    assert (await world.connection.get_account_info(position)).value is None
    assert (await world.connection.get_balance(w.pubkey)).value == owner_before + rent
    usdc = await world.client.fetch_custody(m.usdc.custody)
    a = usdc.assets
    assert a.locked == 0 and a.collateral == 0
    assert await world.balance(m.usdc.vault) == (a.owned + a.collateral + a.protocol_fees + a.insurance_fund
                                                 + a.escrow + a.stake_rewards)
    # The LPs and the fee got exactly what a close gives them.
    assert a.owned == usdc_before.assets.owned + close.owned_in - close.owned_out


async def test_below_the_cap_the_close_is_refused_and_nothing_changes(world: World) -> None:
    m, w, position = await capped_long(world)
    await world.set_price(m.sol, price=price_usd(299))  # profit 1_490 of 1_500
    stranger = await world.new_wallet(m.usdc)
    await assert_rejected(
        errors.PositionNotCapped,
        lambda: stranger.client.close_capped_position(position, keeper_receiving_account=stranger.token_account),
        world.connection, watched(m, position, w.token_account, stranger.token_account, w.pubkey))


async def test_a_receiving_account_not_owned_by_the_owner_is_refused(world: World) -> None:
    m, w, position = await capped_long(world)
    stranger = await world.new_wallet(m.usdc)
    await assert_rejected(
        errors.Unauthorized,
        lambda: stranger.client.close_capped_position(position, receiving_account=stranger.token_account,
                                                      keeper_receiving_account=stranger.token_account),
        world.connection, watched(m, position, w.token_account, stranger.token_account))


async def test_keeper_closes_a_capped_position_in_one_scan_and_leaves_an_uncapped_one(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w1, w2 = await trader(world, m), await trader(world, m)
    await open_pos(world, m, w1, Side.LONG, 100 * USDC, SIZE)  # at 150: capped from 300
    await world.set_price(m.sol, price=price_usd(200))
    await open_pos(world, m, w2, Side.LONG, 100 * USDC, SIZE)  # at 200: capped from 400
    await world.set_price(m.sol, price=price_usd(310))
    capped, uncapped = m.position(w1, Side.LONG), m.position(w2, Side.LONG)
    keeper = await keeper_for(world, m)
    scan = await keeper.scan_once()
    assert [p.address for p in scan.capped] == [capped]
    assert scan.liquidatable == []
    keeper.dispatch(scan.liquidatable, scan.capped)
    await keeper.drain()
    assert await alive(world, [capped, uncapped]) == {uncapped}
    assert keeper.landed == [capped]
    assert keeper.metrics.capped_landed._value.get() == 1
    assert keeper.metrics.capped_failed._value.get() == 0
    assert await world.balance(await keeper.payout.for_mint(m.usdc.mint)) == REWARD
    # The next scan finds nothing to do.
    scan = await keeper.scan_once()
    assert scan.capped == [] and scan.liquidatable == []


async def test_two_racing_keepers_close_a_capped_position_once(world: World) -> None:
    m, w, position = await capped_long(world)
    a, b = await keeper_for(world, m), await keeper_for(world, m)
    scan_a, scan_b = await a.scan_once(), await b.scan_once()
    assert [p.address for p in scan_a.capped] == [p.address for p in scan_b.capped] == [position]
    a.dispatch(scan_a.liquidatable, scan_a.capped)
    b.dispatch(scan_b.liquidatable, scan_b.capped)
    await asyncio.gather(a.drain(), b.drain())
    assert await alive(world, [position]) == set()
    assert len(a.landed) + len(b.landed) == 1
    balances = [await world.balance(await k.payout.for_mint(m.usdc.mint)) for k in (a, b)]
    assert sum(balances) == REWARD
    assert a.metrics.capped_failed._value.get() == b.metrics.capped_failed._value.get() == 0
    assert a.metrics.capped_lost_race._value.get() + b.metrics.capped_lost_race._value.get() == 1


async def test_keeper_leaves_alone_an_owner_whose_token_account_was_handed_over(world: World) -> None:
    """The owner gives its USDC account to another wallet (SPL SetAuthority AccountOwner): the close
    at cap cannot pay it (Unauthorized). The keeper checks the account first, sends nothing, and
    leaves the position alone for CAPPED_SKIP_S instead of retrying it every scan with a slot
    busy; a liquidation in the same scan is not delayed (closes at cap have slots of their own)."""
    from spl.token.constants import TOKEN_PROGRAM_ID
    from spl.token.instructions import AuthorityType, SetAuthorityParams, set_authority

    m, w, position = await capped_long(world)
    other = await world.funded_keypair()
    ix = set_authority(SetAuthorityParams(program_id=TOKEN_PROGRAM_ID, account=w.token_account,
                                          authority=AuthorityType.ACCOUNT_OWNER, current_authority=w.pubkey,
                                          new_authority=other.pubkey()))
    await w.client.send([ix])
    keeper = await keeper_for(world, m)
    scan = await keeper.scan_once()
    assert [p.address for p in scan.capped] == [position]
    keeper.dispatch(scan.liquidatable, scan.capped)
    await keeper.drain()
    assert await alive(world, [position]) == {position}
    assert keeper.metrics.capped_sent._value.get() == 0
    assert keeper.metrics.capped_no_owner_account._value.get() == 1
    # Skipped from now on (for CAPPED_SKIP_S): no slot is taken again.
    assert (await keeper.scan_once()).capped == []


async def test_close_at_cap_is_refused_while_closes_are_paused(world: World) -> None:
    """A close pause stops every payout, a forced close at cap included (even with liquidations on)."""
    m, w, position = await capped_long(world)
    stranger = await world.new_wallet(m.usdc)
    await world.client.set_permissions(Permissions(allow_close_position=False))
    try:
        await assert_rejected(errors.InstructionNotAllowed,
                              lambda: stranger.client.close_capped_position(
                                  position, keeper_receiving_account=stranger.token_account),
                              world.connection, watched(m, position, w.token_account))
    finally:
        await world.client.set_permissions(Permissions())
