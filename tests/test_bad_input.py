"""Bad input gets a named error and changes nothing (balances and accounts compared byte for byte)."""

from __future__ import annotations

import secrets

import pytest
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair

from perp_pool import errors
from perp_pool.client import FeeConfig, OracleConfig, Permissions
from perp_pool.tokens import create_mint, ensure_ata, mint_tokens
from tests.helpers import USDC, PoolFixture, Wallet, World, assert_rejected, price_usd

U64_MAX = 2**64 - 1


def watched(p: PoolFixture, *wallets: Wallet) -> list:
    keys = [p.pool, p.custody, p.vault, p.lp_mint, p.oracle]
    for w in wallets:
        keys += [w.token_account, w.lp_account]
    return keys


async def funded_pool(world: World, tokens: int = 1_000 * USDC, deposit: int = 500 * USDC, **kw):
    p = await world.new_pool(**kw)
    w = await world.new_wallet(p, tokens=tokens)
    if deposit:
        await world.deposit(p, w, deposit)
    return p, w


def with_meta(ix: Instruction, index: int, meta: AccountMeta) -> Instruction:
    accounts = list(ix.accounts)
    accounts[index] = meta
    return Instruction(ix.program_id, ix.data, accounts)


# ---- add_liquidity ---------------------------------------------------------------------------

async def test_deposit_of_zero_is_refused(world: World) -> None:
    p, w = await funded_pool(world, deposit=0)
    await assert_rejected(errors.ZeroAmount, lambda: world.deposit(p, w, 0), world.connection, watched(p, w))


async def test_deposit_overflowing_the_usd_value_is_refused(world: World) -> None:
    # At 10^12 USD per token, u64::MAX base units are worth more than a u64 of micro-USD.
    p, w = await funded_pool(world, deposit=0, price=10**18, expo=-6)
    await assert_rejected(errors.MathOverflow, lambda: world.deposit(p, w, U64_MAX), world.connection, watched(p, w))


async def test_deposit_of_more_than_the_wallet_holds_fails_in_the_token_program(world: World) -> None:
    p, w = await funded_pool(world, tokens=10 * USDC, deposit=0)
    await assert_rejected(errors.TokenInsufficientFunds, lambda: world.deposit(p, w, 11 * USDC),
                          world.connection, watched(p, w))


async def test_deposit_from_someone_elses_token_account_is_refused(world: World) -> None:
    p, victim = await funded_pool(world, deposit=0)
    thief = await world.new_wallet(p)

    async def steal():
        # 10 USDC: a first deposit must be worth more than the dead shares (1 USD) to get this far
        return await thief.client.add_liquidity(p.pool, p.custody, amount_in=10 * USDC,
                                                funding_account=victim.token_account,
                                                lp_token_account=thief.lp_account)

    await assert_rejected(errors.TokenOwnerMismatch, steal, world.connection, watched(p, victim, thief))


async def test_deposit_without_the_owner_signature_is_refused(world: World) -> None:
    p, victim = await funded_pool(world, deposit=0)
    thief = await world.new_wallet(p)
    ix = await thief.client.build_add_liquidity_ix(p.pool, p.custody, amount_in=USDC, min_lp_amount_out=0,
                                                   funding_account=victim.token_account,
                                                   lp_token_account=thief.lp_account, owner=victim.pubkey)
    unsigned = with_meta(ix, 0, AccountMeta(victim.pubkey, False, True))
    await assert_rejected(errors.AccountNotSigner, lambda: thief.client.send([unsigned]),
                          world.connection, watched(p, victim, thief))


async def test_deposit_of_another_mint_is_refused(world: World) -> None:
    p, w = await funded_pool(world, deposit=0)
    other_mint = await create_mint(world.client.transport, 6)
    other = await ensure_ata(world.client.transport, w.pubkey, other_mint)
    await mint_tokens(world.client.transport, other_mint, other, 10 * USDC)

    async def deposit_other():
        return await w.client.add_liquidity(p.pool, p.custody, amount_in=USDC, funding_account=other,
                                            lp_token_account=w.lp_account)

    await assert_rejected(errors.InvalidMint, deposit_other, world.connection, [*watched(p, w), other])


async def test_deposit_into_a_substituted_vault_is_refused(world: World) -> None:
    p, w = await funded_pool(world, deposit=0)
    fake_vault = await ensure_ata(world.client.transport, Keypair().pubkey(), p.mint)
    ix = await w.client.build_add_liquidity_ix(p.pool, p.custody, amount_in=USDC, min_lp_amount_out=0,
                                               funding_account=w.token_account, lp_token_account=w.lp_account,
                                               overrides={"custody_token_account": fake_vault})
    await assert_rejected(errors.InvalidVault, lambda: w.client.send([ix]), world.connection,
                          [*watched(p, w), fake_vault])


async def test_deposit_minting_a_substituted_lp_mint_is_refused(world: World) -> None:
    p, w = await funded_pool(world, deposit=0)
    other = await world.new_pool()
    ix = await w.client.build_add_liquidity_ix(p.pool, p.custody, amount_in=USDC, min_lp_amount_out=0,
                                               funding_account=w.token_account, lp_token_account=w.lp_account,
                                               overrides={"lp_token_mint": other.lp_mint})
    await assert_rejected(errors.InvalidLpTokenMint, lambda: w.client.send([ix]), world.connection,
                          [*watched(p, w), other.lp_mint])


async def test_deposit_with_a_custody_of_another_pool_is_refused(world: World) -> None:
    p, w = await funded_pool(world, deposit=0)
    other = await world.new_pool(mint=p.mint)  # same token, another pool
    ix = await w.client.build_add_liquidity_ix(p.pool, other.custody, amount_in=USDC, min_lp_amount_out=0,
                                               funding_account=w.token_account, lp_token_account=w.lp_account)
    # The custody's seeds bind it to its pool: Anchor refuses it before the handler runs.
    await assert_rejected(errors.ConstraintSeeds, lambda: w.client.send([ix]), world.connection,
                          [*watched(p, w), other.custody, other.vault])


async def test_deposit_priced_by_a_substituted_oracle_is_refused(world: World) -> None:
    p, w = await funded_pool(world, deposit=0)
    other = await world.new_pool(price=price_usd(2))  # someone else's oracle says 2 USD
    ix = await w.client.build_add_liquidity_ix(p.pool, p.custody, amount_in=USDC, min_lp_amount_out=0,
                                               funding_account=w.token_account, lp_token_account=w.lp_account,
                                               overrides={"custody_oracle_account": other.oracle})
    await assert_rejected(errors.InvalidOracleAccount, lambda: w.client.send([ix]), world.connection,
                          watched(p, w))


@pytest.mark.node_ext
async def test_oracle_account_with_the_wrong_owner_is_refused(world: World, node_ext) -> None:
    p, w = await funded_pool(world, deposit=0)
    # Same address and bytes, but owned by another program: a forged oracle.
    info = (await world.connection.get_account_info(p.oracle)).value
    node_ext.set_account(str(p.oracle), lamports=info.lamports, data=bytes(info.data),
                         owner="11111111111111111111111111111111")
    await assert_rejected(errors.InvalidOracleAccount, lambda: world.deposit(p, w, USDC), world.connection,
                          [p.pool, p.custody, p.vault, w.token_account, w.lp_account])


async def test_deposit_at_a_stale_price_is_refused(world: World) -> None:
    # The oracle's first price is already 31 s old (later prices may not go back in time).
    p, w = await funded_pool(world, deposit=0, oracle=OracleConfig(max_price_age_sec=30),
                             publish_time=await world.now() - 31)
    await assert_rejected(errors.StaleOraclePrice, lambda: world.deposit(p, w, USDC), world.connection, watched(p, w))


@pytest.mark.node_ext
async def test_price_goes_stale_when_the_clock_moves_past_max_age(world: World, node_ext) -> None:
    p, w = await funded_pool(world, deposit=0, oracle=OracleConfig(max_price_age_sec=30))
    node_ext.warp_clock(31)
    await assert_rejected(errors.StaleOraclePrice, lambda: world.deposit(p, w, USDC), world.connection, watched(p, w))


async def test_deposit_at_a_low_confidence_price_is_refused(world: World) -> None:
    p, w = await funded_pool(world, deposit=0, oracle=OracleConfig(max_price_error_bps=100))
    await world.set_price(p, price=1_000_000, expo=-6, conf=10_001)  # 1 USD, conf 1.0001 % > 1 %
    await assert_rejected(errors.OraclePriceConfidenceTooLow, lambda: world.deposit(p, w, USDC), world.connection,
                          watched(p, w))


async def test_deposit_at_a_future_price_is_refused(world: World) -> None:
    p, w = await funded_pool(world, deposit=0)
    await world.set_price(p, price=price_usd(1), publish_time=await world.now() + 60)
    await assert_rejected(errors.OracleFutureTimestamp, lambda: world.deposit(p, w, USDC), world.connection,
                          watched(p, w))


async def test_deposit_while_deposits_are_paused_is_refused(world: World) -> None:
    p, w = await funded_pool(world, deposit=0)
    await world.client.set_permissions(Permissions(allow_add_liquidity=False))
    try:
        await assert_rejected(errors.InstructionNotAllowed, lambda: world.deposit(p, w, USDC), world.connection,
                              watched(p, w))
    finally:
        await world.client.set_permissions(Permissions())
    await world.deposit(p, w, 10 * USDC)


# ---- remove_liquidity ------------------------------------------------------------------------

async def test_withdrawal_of_zero_is_refused(world: World, node_ext) -> None:
    p, w = await funded_pool(world)
    node_ext.advance_slots(1)
    await assert_rejected(errors.ZeroAmount, lambda: world.withdraw(p, w, 0), world.connection, watched(p, w))


async def test_withdrawal_of_more_lp_than_the_pool_issued_is_refused(world: World, node_ext) -> None:
    p, w = await funded_pool(world)
    node_ext.advance_slots(1)
    supply = await world.lp_supply(p)  # the mint's supply and the dead shares
    await assert_rejected(errors.InsufficientLiquidity, lambda: world.withdraw(p, w, supply + 1), world.connection,
                          watched(p, w))


async def test_withdrawal_of_more_lp_than_held_is_refused(world: World, node_ext) -> None:
    p, w = await funded_pool(world)
    await world.deposit(p, await world.new_wallet(p, tokens=USDC), USDC)  # supply > what w holds
    node_ext.advance_slots(1)
    held = await world.balance(w.lp_account)
    await assert_rejected(errors.TokenInsufficientFunds, lambda: world.withdraw(p, w, held + 1), world.connection,
                          watched(p, w))


async def test_withdrawal_to_an_account_of_another_mint_is_refused(world: World, node_ext) -> None:
    p, w = await funded_pool(world)
    node_ext.advance_slots(1)

    async def withdraw_into_lp_account():
        return await w.client.remove_liquidity(p.pool, p.custody, lp_amount_in=USDC, receiving_account=w.lp_account,
                                               lp_token_account=w.lp_account)

    await assert_rejected(errors.InvalidMint, withdraw_into_lp_account, world.connection, watched(p, w))


async def test_withdrawal_at_a_stale_price_is_refused(world: World, node_ext) -> None:
    p, w = await funded_pool(world, oracle=OracleConfig(max_price_age_sec=30))
    node_ext.advance_slots(1)
    node_ext.warp_clock(31)  # the price the pool was created with is now too old
    await assert_rejected(errors.StaleOraclePrice, lambda: world.withdraw(p, w, USDC), world.connection,
                          watched(p, w))


async def test_withdrawal_while_withdrawals_are_paused_is_refused(world: World, node_ext) -> None:
    p, w = await funded_pool(world)
    node_ext.advance_slots(1)
    await world.client.set_permissions(Permissions(allow_remove_liquidity=False))
    try:
        await assert_rejected(errors.InstructionNotAllowed, lambda: world.withdraw(p, w, USDC), world.connection,
                              watched(p, w))
    finally:
        await world.client.set_permissions(Permissions())


async def test_withdrawal_from_a_substituted_vault_is_refused(world: World, node_ext) -> None:
    p, w = await funded_pool(world)
    other, _ = await funded_pool(world)  # a vault holding another pool's tokens
    node_ext.advance_slots(1)
    ix = await w.client.build_remove_liquidity_ix(p.pool, p.custody, lp_amount_in=USDC, min_amount_out=0,
                                                  receiving_account=w.token_account, lp_token_account=w.lp_account,
                                                  overrides={"custody_token_account": other.vault})
    await assert_rejected(errors.InvalidVault, lambda: w.client.send([ix]), world.connection,
                          [*watched(p, w), other.vault])


# ---- admin and oracle ------------------------------------------------------------------------

async def test_initialize_twice_is_refused(world: World) -> None:
    before = (await world.connection.get_account_info(world.client.perpetuals_address)).value
    with pytest.raises(errors.TransactionFailed):
        await world.client.initialize()
    after = (await world.connection.get_account_info(world.client.perpetuals_address)).value
    assert bytes(before.data) == bytes(after.data)


async def test_add_pool_by_a_non_admin_is_refused(world: World) -> None:
    outsider = world.client.with_wallet(await world.funded_keypair())
    name = "evil-" + secrets.token_hex(4)
    await assert_rejected(errors.Unauthorized, lambda: outsider.add_pool(name), world.connection,
                          [world.client.pool_address(name), world.client.perpetuals_address])


async def test_add_pool_with_an_empty_name_is_refused(world: World) -> None:
    await assert_rejected(errors.InvalidPoolName, lambda: world.client.add_pool(""), world.connection,
                          [world.client.pool_address(""), world.client.perpetuals_address])


async def test_add_custody_by_a_non_admin_is_refused(world: World) -> None:
    name = "pool-" + secrets.token_hex(6)
    await world.client.add_pool(name)
    pool = world.client.pool_address(name)
    mint = await create_mint(world.client.transport, 6)
    outsider = world.client.with_wallet(await world.funded_keypair())
    await assert_rejected(errors.Unauthorized,
                          lambda: outsider.add_custody(pool, mint, oracle=OracleConfig(), fees=FeeConfig()),
                          world.connection, [pool, world.client.custody_address(pool, mint)])


async def test_add_custody_with_fees_above_100_percent_is_refused(world: World) -> None:
    name = "pool-" + secrets.token_hex(6)
    await world.client.add_pool(name)
    pool = world.client.pool_address(name)
    mint = await create_mint(world.client.transport, 6)
    await assert_rejected(errors.InvalidCustodyConfig,
                          lambda: world.client.add_custody(pool, mint, oracle=OracleConfig(),
                                                           fees=FeeConfig(add_liquidity_bps=10_001)),
                          world.connection, [pool, world.client.custody_address(pool, mint)])


async def test_set_permissions_by_a_non_admin_is_refused(world: World) -> None:
    outsider = world.client.with_wallet(await world.funded_keypair())
    await assert_rejected(errors.Unauthorized, lambda: outsider.set_permissions(Permissions(allow_add_liquidity=False)),
                          world.connection, [world.client.perpetuals_address])


async def test_oracle_price_set_by_someone_else_is_refused(world: World) -> None:
    p = await world.new_pool()
    outsider = world.client.with_wallet(await world.funded_keypair())

    async def forge():
        return await outsider.set_custom_oracle_price(p.custody, price=5_000_000, expo=-6, conf=0, ema=5_000_000,
                                                      publish_time=await world.now())

    await assert_rejected(errors.InvalidOracleAuthority, forge, world.connection, [p.oracle, p.custody])


async def test_oracle_publish_time_going_backwards_is_refused(world: World) -> None:
    p = await world.new_pool()
    stored = (await world.client.fetch_custom_oracle(p.oracle)).publish_time

    async def older():
        return await world.client.set_custom_oracle_price(p.custody, price=2_000_000, expo=-6, conf=0, ema=2_000_000,
                                                          publish_time=stored - 1)

    await assert_rejected(errors.OraclePublishTimeRegressed, older, world.connection, [p.oracle, p.custody])
    # the same publish time is not older: a correction of the current price is accepted
    await world.client.set_custom_oracle_price(p.custody, price=1_000_100, expo=-6, conf=0, ema=1_000_100,
                                               publish_time=stored)
    assert (await world.client.fetch_custom_oracle(p.oracle)).price == 1_000_100


async def test_oracle_price_of_zero_is_refused(world: World) -> None:
    p = await world.new_pool()

    async def zero():
        return await world.client.set_custom_oracle_price(p.custody, price=0, expo=-6, conf=0, ema=0,
                                                          publish_time=await world.now())

    await assert_rejected(errors.InvalidOraclePrice, zero, world.connection, [p.oracle, p.custody])
