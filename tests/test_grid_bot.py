"""The grid bot: the pure grid rule offline; dry run and live trading on the node with scripted
oracle prices (the bot itself uses only the public client API)."""

from __future__ import annotations

import asyncio

from perp_pool.bots.grid import Action, ActionKind, GridBot, grid_decision, grid_targets
from perp_pool.math import fees as fee_math
from perp_pool.math.pricing import Side
from tests.helpers import USDC, Market, World, new_market, price_usd

REFERENCE = price_usd(150)
LEVELS, SPACING_BPS = 3, 100  # levels at 148.5, 147 and 145.5
UNIT = 100 * USDC
LEVERAGE_BPS = 50_000  # 5x
COLLATERAL = UNIT * 10_000 // LEVERAGE_BPS + fee_math.bps_fee(UNIT, 10)  # 20 USDC + the 0.1 % open fee


def buy_limit(price: int) -> int:
    return -(-price * 10_050 // 10_000)  # entry + 0.5 % slippage, rounded up


def sell_limit(price: int) -> int:
    return price * 9_950 // 10_000  # exit - 0.5 % slippage, rounded down


async def bot_for(world: World, m: Market, *, dry_run: bool) -> tuple[GridBot, object]:
    w = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
    bot = GridBot(w.client, m.pool, m.sol.custody, m.usdc.custody, levels=LEVELS, spacing_bps=SPACING_BPS,
                  size_usd=UNIT, leverage_bps=LEVERAGE_BPS, dry_run=dry_run)
    return bot, w


async def step_at(world: World, m: Market, bot: GridBot, price: int) -> list[Action]:
    await world.set_price(m.sol, price=price)
    return await bot.step()


# ---- the grid rule, offline ------------------------------------------------------------------

def test_grid_buys_a_unit_per_level_crossed_down_and_sells_it_one_level_up() -> None:
    assert grid_targets(price_usd("150"), REFERENCE, LEVELS, SPACING_BPS) == (0, 0)
    assert grid_targets(price_usd("148.5"), REFERENCE, LEVELS, SPACING_BPS) == (1, 1)  # at L1: buy it
    assert grid_targets(price_usd("148.4"), REFERENCE, LEVELS, SPACING_BPS) == (1, 2)  # below L1: keep up to 2
    assert grid_targets(price_usd("146"), REFERENCE, LEVELS, SPACING_BPS) == (2, 3)
    assert grid_targets(price_usd("149"), REFERENCE, LEVELS, SPACING_BPS) == (0, 1)  # above L1, below R: keep 1
    assert grid_targets(price_usd("100"), REFERENCE, LEVELS, SPACING_BPS) == (3, 3)


def test_grid_holds_between_its_buy_and_sell_levels() -> None:
    # one unit bought at 148.5 is kept anywhere in (148.5, 150) and at 147.5
    for price in ("148.6", "149.99", "147.5"):
        assert grid_decision(UNIT, price_usd(price), REFERENCE, levels=LEVELS, spacing_bps=SPACING_BPS,
                             unit_usd=UNIT) is None


def test_grid_never_targets_more_than_levels_units() -> None:
    decision = grid_decision(0, 1, REFERENCE, levels=LEVELS, spacing_bps=SPACING_BPS, unit_usd=UNIT)
    assert decision == (ActionKind.OPEN, LEVELS * UNIT)
    assert grid_decision(5 * UNIT, 1, REFERENCE, levels=LEVELS, spacing_bps=SPACING_BPS,
                         unit_usd=UNIT) == (ActionKind.DECREASE, 2 * UNIT)


# ---- on the node -----------------------------------------------------------------------------

async def test_dry_run_returns_the_grid_actions_for_a_price_path_and_sends_nothing(world: World) -> None:
    m = await new_market(world, sol_price=REFERENCE)
    bot, w = await bot_for(world, m, dry_run=True)
    lamports = (await world.connection.get_balance(w.pubkey)).value
    path = ["150", "148", "146.5", "144", "143", "147.6", "150.1"]
    actions = [await step_at(world, m, bot, price_usd(p)) for p in path]
    assert actions == [
        [],
        [Action(ActionKind.OPEN, Side.LONG, UNIT, buy_limit(price_usd("148")), COLLATERAL)],
        [Action(ActionKind.INCREASE, Side.LONG, UNIT, buy_limit(price_usd("146.5")), COLLATERAL)],
        [Action(ActionKind.INCREASE, Side.LONG, UNIT, buy_limit(price_usd("144")), COLLATERAL)],
        [],  # all three levels held
        [Action(ActionKind.DECREASE, Side.LONG, UNIT, sell_limit(price_usd("147.6")))],  # back above L2
        [Action(ActionKind.CLOSE, Side.LONG, 2 * UNIT, sell_limit(price_usd("150.1")))],  # back above R
    ]
    assert (await world.connection.get_account_info(bot.position)).value is None
    assert await world.balance(w.token_account) == 1_000 * USDC
    assert (await world.connection.get_balance(w.pubkey)).value == lamports  # not one fee paid


async def test_dry_run_grid_recentres_when_flat_and_the_price_rises_a_spacing(world: World) -> None:
    m = await new_market(world, sol_price=REFERENCE)
    bot, _ = await bot_for(world, m, dry_run=True)
    await step_at(world, m, bot, price_usd("150"))
    assert await step_at(world, m, bot, price_usd("152")) == []
    assert bot.reference_price == price_usd("152")
    assert [a.kind for a in await step_at(world, m, bot, price_usd("150"))] == [ActionKind.OPEN]  # below L1 = 150.48


async def test_live_bot_opens_when_the_price_falls_through_a_level(world: World) -> None:
    m = await new_market(world, sol_price=REFERENCE)
    bot, w = await bot_for(world, m, dry_run=False)
    await step_at(world, m, bot, price_usd("150"))
    assert (await world.connection.get_account_info(bot.position)).value is None
    await step_at(world, m, bot, price_usd("148"))
    position = await world.client.fetch_position(bot.position)
    assert (position.size_usd, position.price) == (UNIT, price_usd("148"))
    assert position.collateral_amount == COLLATERAL - fee_math.bps_fee(UNIT, 10)  # 5x after the fee
    assert await world.balance(w.token_account) == 1_000 * USDC - COLLATERAL


async def test_live_bot_reduces_then_closes_as_the_price_rises(world: World) -> None:
    m = await new_market(world, sol_price=REFERENCE)
    bot, _ = await bot_for(world, m, dry_run=False)
    for price in ("150", "148", "146.5"):
        await step_at(world, m, bot, price_usd(price))
    assert (await world.client.fetch_position(bot.position)).size_usd == 2 * UNIT
    await step_at(world, m, bot, price_usd("148.6"))  # above L2: sell the unit bought there
    assert (await world.client.fetch_position(bot.position)).size_usd == UNIT
    await step_at(world, m, bot, price_usd("150"))  # back at the reference: flat
    assert (await world.connection.get_account_info(bot.position)).value is None


async def test_run_stops_after_max_steps(world: World) -> None:
    m = await new_market(world, sol_price=REFERENCE)
    bot, _ = await bot_for(world, m, dry_run=True)
    bot.reference_price = REFERENCE
    await world.set_price(m.sol, price=price_usd("147"))
    actions = await bot.run(asyncio.Event(), interval=0, max_steps=3)
    assert [(a.kind, a.size_usd) for a in actions] == [(ActionKind.OPEN, 2 * UNIT)]  # then it holds
