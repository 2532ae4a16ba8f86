"""Liquidations on the node: the boundary, the keeper's reward, bad debt and the insurance fund."""

from __future__ import annotations

from perp_pool import errors
from perp_pool.client import BorrowRateConfig, FeeConfig
from perp_pool.math import fees as fee_math
from perp_pool.math.pricing import Side
from perp_pool.tokens import ensure_ata
from tests.helpers import USDC, World, assert_rejected, new_market, price_usd
from tests.test_trading import open_pos, trader, vault_accounted

# Boundary tests compare a price read now with a liquidation a moment later: with no borrow rate,
# no interest accrues in between to move the boundary by a tick.
NO_INTEREST = BorrowRateConfig(base_rate=0, slope1=0, slope2=0)
FEES = FeeConfig(open_position_bps=10, close_position_bps=10, liquidation_bps=50, liquidator_reward_bps=20,
                 protocol_share_bps=2_000, insurance_share_bps=3_000)


async def keeper_wallet(world: World, m):
    kp = await world.funded_keypair()
    account = await ensure_ata(world.client.transport, kp.pubkey(), m.usdc.mint)
    return kp, world.client.with_wallet(kp), account


async def test_healthy_position_cannot_be_liquidated(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)
    _, keeper, account = await keeper_wallet(world, m)
    position = m.position(w, Side.LONG)
    assert await world.client.get_liquidation_state(position) is False
    await assert_rejected(errors.PositionHealthy, lambda: keeper.liquidate(position, receiving_account=account),
                          world.connection, [position, m.usdc.custody, m.sol.custody, m.usdc.vault, account])


async def test_liquidation_is_refused_at_the_price_and_accepted_one_tick_past(world: World) -> None:
    m = await new_market(world, fees=FEES, borrow_rate=NO_INTEREST)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)
    position = m.position(w, Side.LONG)
    price = await world.client.get_liquidation_price(position)
    _, keeper, account = await keeper_wallet(world, m)

    await world.set_price(m.sol, price=price)
    assert await world.client.get_liquidation_state(position) is False
    await assert_rejected(errors.PositionHealthy, lambda: keeper.liquidate(position, receiving_account=account),
                          world.connection, [position, m.usdc.custody, m.usdc.vault, account])

    await world.set_price(m.sol, price=price - 1)
    assert await world.client.get_liquidation_state(position) is True
    ev = (await keeper.liquidate(position, receiving_account=account)).event("PositionLiquidated").data
    assert ev.exit_price == price - 1
    assert (await world.connection.get_account_info(position)).value is None
    await vault_accounted(world, m)


async def test_short_is_liquidated_one_tick_above_its_price(world: World) -> None:
    m = await new_market(world, fees=FEES, borrow_rate=NO_INTEREST)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.SHORT, 100 * USDC, 2_000 * USDC)
    position = m.position(w, Side.SHORT)
    price = await world.client.get_liquidation_price(position)
    assert price > price_usd(150)
    _, keeper, account = await keeper_wallet(world, m)
    await world.set_price(m.sol, price=price)
    assert await world.client.get_liquidation_state(position) is False
    await world.set_price(m.sol, price=price + 1)
    await keeper.liquidate(position, receiving_account=account)
    await vault_accounted(world, m)


async def test_keeper_gets_exactly_the_reward_and_the_rent(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)
    position = m.position(w, Side.LONG)
    rent = (await world.connection.get_account_info(position)).value.lamports
    kp, keeper, account = await keeper_wallet(world, m)
    await world.set_price(m.sol, price=await world.client.get_liquidation_price(position) - 1)
    sol_before = (await world.connection.get_balance(kp.pubkey())).value
    ev = (await keeper.liquidate(position, receiving_account=account)).event("PositionLiquidated").data
    reward = fee_math.liquidator_reward_usd(1_500 * USDC, 20)  # 3 USDC at 1 USD per USDC
    assert ev.reward_usd == reward and ev.reward_paid == reward
    assert await world.balance(account) == reward
    sol_after = (await world.connection.get_balance(kp.pubkey())).value
    assert sol_after - sol_before == rent - 5_000  # the position's rent, less the transaction fee


async def test_bad_debt_draws_the_insurance_fund(world: World) -> None:
    m = await new_market(world, fees=FEES)
    # Fees from a round trip fill the insurance fund first.
    filler = await trader(world, m, usdc=10_000 * USDC)
    await open_pos(world, m, filler, Side.SHORT, 2_000 * USDC, 50_000 * USDC)
    from tests.test_trading import close_pos

    await close_pos(world, m, filler, Side.SHORT)
    assert (await world.client.fetch_custody(m.usdc.custody)).assets.insurance_fund > 0

    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 2_000 * USDC)
    position = m.position(w, Side.LONG)
    fund = (await world.client.fetch_custody(m.usdc.custody)).assets.insurance_fund
    await world.set_price(m.sol, price=price_usd(120))  # -20 %: the loss (400) far exceeds the collateral (98)
    _, keeper, account = await keeper_wallet(world, m)
    ev = (await keeper.liquidate(position, receiving_account=account)).event("PositionLiquidated").data
    # The LPs' loss ranks first: the whole collateral goes to it, nothing is left for the keeper.
    assert ev.lp_paid == ev.collateral_amount and ev.reward_paid == 0 and ev.fee_paid == 0
    assert await world.balance(account) == 0
    assert ev.insurance_draw > 0
    after = await world.client.fetch_custody(m.usdc.custody)
    assert after.assets.insurance_fund == fund - ev.insurance_draw + ev.insurance_fee_amount
    assert after.bad_debt_usd == ev.bad_debt_usd
    await vault_accounted(world, m)


async def test_liquidation_while_liquidations_are_paused_is_refused(world: World) -> None:
    from perp_pool.client import Permissions

    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)
    position = m.position(w, Side.LONG)
    await world.set_price(m.sol, price=await world.client.get_liquidation_price(position) - 1)
    _, keeper, account = await keeper_wallet(world, m)
    await world.client.set_permissions(Permissions(allow_liquidation=False))
    try:
        await assert_rejected(errors.InstructionNotAllowed,
                              lambda: keeper.liquidate(position, receiving_account=account),
                              world.connection, [position, m.usdc.custody, m.usdc.vault, account])
    finally:
        await world.client.set_permissions(Permissions())
