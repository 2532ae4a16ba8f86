"""Bad input to the trading and admin instructions: a named error and nothing changed."""

from __future__ import annotations

import functools

from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair

from perp_pool import errors
from perp_pool.client import BorrowRateConfig, FeeConfig, OracleConfig, Permissions, PricingConfig
from perp_pool.math.pricing import Side
from perp_pool.tokens import ensure_ata
from tests.helpers import USDC, World, assert_rejected, new_market, price_usd
from tests.test_trading import NO_LIMIT_LONG, open_pos, trader

FEES = FeeConfig()


async def opened(world: World, side: Side = Side.LONG):
    m = await new_market(world, fees=FEES, liquidity=20_000 * USDC)
    w = await trader(world, m)
    await open_pos(world, m, w, side, 100 * USDC, 1_000 * USDC)
    return m, w, m.position(w, side)


def watched(m, w, position) -> list:
    return [position, m.usdc.custody, m.sol.custody, m.usdc.vault, w.token_account, m.pool]


def unsigned(ix: Instruction, signer) -> Instruction:
    accounts = [AccountMeta(a.pubkey, False, a.is_writable) if a.pubkey == signer else a for a in ix.accounts]
    return Instruction(ix.program_id, ix.data, accounts)


async def test_open_with_zero_collateral_or_size_is_refused(world: World) -> None:
    m = await new_market(world, fees=FEES, liquidity=20_000 * USDC)
    w = await trader(world, m)
    for collateral, size in ((0, 1_000 * USDC), (100 * USDC, 0)):
        await assert_rejected(errors.ZeroAmount, functools.partial(open_pos, world, m, w, Side.LONG, collateral, size),
                              world.connection, [m.usdc.custody, m.usdc.vault, w.token_account])


async def test_open_below_min_leverage_is_refused(world: World) -> None:
    m = await new_market(world, fees=FEES, liquidity=20_000 * USDC)
    w = await trader(world, m)
    await assert_rejected(errors.MinLeverageNotMet, lambda: open_pos(world, m, w, Side.LONG, 100 * USDC, 50 * USDC),
                          world.connection, [m.usdc.custody, m.usdc.vault, w.token_account])


async def test_open_paid_from_someone_elses_account_is_refused(world: World) -> None:
    m = await new_market(world, fees=FEES, liquidity=20_000 * USDC)
    victim, thief = await trader(world, m), await trader(world, m)

    async def steal():
        return await thief.client.open_position(m.pool, m.sol.custody, m.usdc.custody, Side.LONG,
                                                price_limit=NO_LIMIT_LONG, collateral_amount=100 * USDC,
                                                size_usd=1_000 * USDC, funding_account=victim.token_account)

    await assert_rejected(errors.TokenOwnerMismatch, steal, world.connection,
                          [m.usdc.custody, m.usdc.vault, victim.token_account, thief.token_account])


async def test_close_by_someone_else_is_refused(world: World) -> None:
    m, w, position = await opened(world)
    thief = await trader(world, m)
    ix = await thief.client.build_close_position_ix(m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=0,
                                                    receiving_account=thief.token_account, owner=w.pubkey)
    await assert_rejected(errors.AccountNotSigner, lambda: thief.client.send([unsigned(ix, w.pubkey)]),
                          world.connection, [*watched(m, w, position), thief.token_account])


async def test_close_with_a_substituted_vault_is_refused(world: World) -> None:
    m, w, position = await opened(world)
    fake = await ensure_ata(world.client.transport, Keypair().pubkey(), m.usdc.mint)
    ix = await w.client.build_close_position_ix(m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=0,
                                                receiving_account=w.token_account,
                                                overrides={"collateral_custody_token_account": fake})
    await assert_rejected(errors.InvalidVault, lambda: w.client.send([ix]), world.connection,
                          [*watched(m, w, position), fake])


async def test_close_with_a_substituted_oracle_is_refused(world: World) -> None:
    m, w, position = await opened(world)
    ix = await w.client.build_close_position_ix(m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=0,
                                                receiving_account=w.token_account,
                                                overrides={"custody_oracle_account": m.usdc.oracle})
    await assert_rejected(errors.InvalidOracleAccount, lambda: w.client.send([ix]), world.connection,
                          watched(m, w, position))


async def test_close_into_an_account_of_another_mint_is_refused(world: World) -> None:
    m, w, position = await opened(world)
    ix = await w.client.build_close_position_ix(m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=0,
                                                receiving_account=w.lp_account)
    await assert_rejected(errors.InvalidMint, lambda: w.client.send([ix]), world.connection,
                          [*watched(m, w, position), w.lp_account])


async def test_close_below_the_price_limit_is_refused(world: World) -> None:
    m, w, position = await opened(world)

    async def close_with_limit():
        return await w.client.close_position(m.pool, m.sol.custody, m.usdc.custody, Side.LONG,
                                             price_limit=price_usd(150) + 1, receiving_account=w.token_account)

    await assert_rejected(errors.PriceSlippage, close_with_limit, world.connection, watched(m, w, position))


async def test_close_while_closing_is_paused_is_refused(world: World) -> None:
    m, w, position = await opened(world)
    await world.client.set_permissions(Permissions(allow_close_position=False))
    try:
        await assert_rejected(errors.InstructionNotAllowed,
                              lambda: w.client.close_position(m.pool, m.sol.custody, m.usdc.custody, Side.LONG,
                                                              price_limit=0, receiving_account=w.token_account),
                              world.connection, watched(m, w, position))
    finally:
        await world.client.set_permissions(Permissions())


async def test_decrease_by_zero_or_by_the_whole_size_is_refused(world: World) -> None:
    m, w, position = await opened(world)
    for size, error in ((0, errors.ZeroAmount), (1_000 * USDC, errors.InvalidPositionState)):
        await assert_rejected(error, functools.partial(
            w.client.decrease_position, m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=0, size_usd=size,
            receiving_account=w.token_account), world.connection, watched(m, w, position))


async def test_add_collateral_of_zero_is_refused(world: World) -> None:
    m, w, position = await opened(world)
    await assert_rejected(errors.ZeroAmount, lambda: w.client.add_collateral(
        m.pool, m.sol.custody, m.usdc.custody, Side.LONG, collateral_amount=0, funding_account=w.token_account),
        world.connection, watched(m, w, position))


async def test_remove_collateral_of_zero_is_refused(world: World) -> None:
    m, w, position = await opened(world)
    await assert_rejected(errors.ZeroAmount, lambda: w.client.remove_collateral(
        m.pool, m.sol.custody, m.usdc.custody, Side.LONG, collateral_usd=0, receiving_account=w.token_account),
        world.connection, watched(m, w, position))


async def test_increase_at_a_stale_price_is_refused(world: World, node_ext) -> None:
    m, w, position = await opened(world)
    node_ext.warp_clock(3_601)  # past the market's max price age: publish times cannot go back
    await world.set_price(m.usdc, price=price_usd(1))  # only the SOL price is stale
    await assert_rejected(errors.StaleOraclePrice, lambda: w.client.increase_position(
        m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=NO_LIMIT_LONG, collateral_amount=0,
        size_usd=100 * USDC, funding_account=w.token_account), world.connection, watched(m, w, position))


# ---- admin ---------------------------------------------------------------------------------------

async def test_custody_config_by_a_non_admin_is_refused(world: World) -> None:
    m = await new_market(world, fees=FEES, liquidity=0)
    outsider = world.client.with_wallet(await world.funded_keypair())
    await assert_rejected(errors.Unauthorized, lambda: outsider.set_custody_config(
        m.pool, m.sol.custody, oracle=OracleConfig(oracle_authority=world.admin.pubkey()), fees=FEES,
        pricing=PricingConfig(), borrow_rate=BorrowRateConfig()), world.connection, [m.sol.custody])


async def test_custody_config_with_inconsistent_leverage_is_refused(world: World) -> None:
    m = await new_market(world, fees=FEES, liquidity=0)
    bad = PricingConfig(max_initial_leverage_bps=2_000_000, max_leverage_bps=1_000_000)
    await assert_rejected(errors.InvalidCustodyConfig, lambda: world.client.set_custody_config(
        m.pool, m.sol.custody, oracle=OracleConfig(), fees=FEES, pricing=bad, borrow_rate=BorrowRateConfig()),
        world.connection, [m.sol.custody])


async def test_custody_config_applies_new_limits(world: World) -> None:
    m = await new_market(world, fees=FEES, liquidity=20_000 * USDC)
    await world.client.set_custody_config(m.pool, m.sol.custody, oracle=OracleConfig(max_price_age_sec=3_600),
                                          fees=FEES, pricing=PricingConfig(max_position_size_usd=10 * USDC),
                                          borrow_rate=BorrowRateConfig())
    assert (await world.client.fetch_custody(m.sol.custody)).pricing.max_position_size_usd == 10 * USDC
    w = await trader(world, m)
    await assert_rejected(errors.MaxPositionSizeExceeded, lambda: open_pos(world, m, w, Side.LONG, 5 * USDC, 11 * USDC),
                          world.connection, [m.usdc.custody, m.usdc.vault, w.token_account])


async def test_protocol_fees_withdrawn_by_the_admin_only_and_never_more_than_collected(world: World) -> None:
    m, w, _ = await opened(world)
    fees_collected = (await world.client.fetch_custody(m.usdc.custody)).assets.protocol_fees
    assert fees_collected > 0
    treasury = await ensure_ata(world.client.transport, world.admin.pubkey(), m.usdc.mint)
    outsider = world.client.with_wallet(await world.funded_keypair())
    await assert_rejected(errors.Unauthorized, lambda: outsider.withdraw_protocol_fees(
        m.pool, m.usdc.custody, amount=1, receiving_account=treasury), world.connection,
        [m.usdc.custody, m.usdc.vault, treasury])
    await assert_rejected(errors.InsufficientLiquidity, lambda: world.client.withdraw_protocol_fees(
        m.pool, m.usdc.custody, amount=fees_collected + 1, receiving_account=treasury), world.connection,
        [m.usdc.custody, m.usdc.vault, treasury])
    await world.client.withdraw_protocol_fees(m.pool, m.usdc.custody, amount=fees_collected,
                                              receiving_account=treasury)
    assert await world.balance(treasury) == fees_collected
    assert (await world.client.fetch_custody(m.usdc.custody)).assets.protocol_fees == 0


async def test_admin_transfer_takes_two_steps(world: World) -> None:
    successor = await world.funded_keypair()
    other = world.client.with_wallet(await world.funded_keypair())
    await assert_rejected(errors.Unauthorized, lambda: other.transfer_admin(other.wallet.pubkey()),
                          world.connection, [world.client.perpetuals_address])
    await world.client.transfer_admin(successor.pubkey())
    assert (await world.client.fetch_perpetuals()).admin == world.admin.pubkey()  # nothing moves yet
    await assert_rejected(errors.Unauthorized, other.accept_admin, world.connection,
                          [world.client.perpetuals_address])
    new_admin = world.client.with_wallet(successor)
    await new_admin.accept_admin()
    assert (await world.client.fetch_perpetuals()).admin == successor.pubkey()
    # and back, so the rest of the session keeps its admin
    await new_admin.transfer_admin(world.admin.pubkey())
    await world.client.accept_admin()
    assert (await world.client.fetch_perpetuals()).admin == world.admin.pubkey()
