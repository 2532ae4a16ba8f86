"""The vault check every token-moving instruction runs after its CPIs (validation/vault.rs): the vault
moves exactly as the custody's buckets (owned + collateral + protocol fees + insurance fund + order
escrow + LP stakers' rewards) and
still covers them. A donation into the vault is not a mismatch; a vault short of its buckets is."""

from __future__ import annotations

import struct

import pytest

from perp_pool import errors
from perp_pool.tokens import transfer_tokens
from tests.helpers import USDC, World, assert_rejected

AMOUNT_OFFSET = 64  # SPL token account: mint (32), owner (32), amount (u64 LE)


async def buckets(world: World, custody) -> int:
    a = (await world.client.fetch_custody(custody)).assets
    return a.owned + a.collateral + a.protocol_fees + a.insurance_fund + a.escrow + a.stake_rewards


async def test_a_donation_into_the_vault_does_not_block_the_custody(world: World) -> None:
    p = await world.new_pool()
    w = await world.new_wallet(p, tokens=1_000 * USDC)
    await world.deposit_and_wait(p, w, 500 * USDC)
    await transfer_tokens(world.client.transport, w.token_account, p.mint, p.vault, 7 * USDC, p.decimals,
                          w.keypair)
    assert await world.balance(p.vault) == await buckets(world, p.custody) + 7 * USDC

    await world.deposit_and_wait(p, w, 100 * USDC)
    await world.withdraw(p, w, await world.balance(w.lp_account) // 2)
    # The donation stays in the vault, unaccounted; everything booked moved with the vault.
    assert await world.balance(p.vault) == await buckets(world, p.custody) + 7 * USDC


@pytest.mark.node_ext
async def test_a_vault_short_of_its_buckets_refuses_token_moves(world: World, node_ext) -> None:
    p = await world.new_pool()
    w = await world.new_wallet(p, tokens=1_000 * USDC)
    await world.deposit_and_wait(p, w, 500 * USDC)
    info = (await world.connection.get_account_info(p.vault)).value
    data = bytearray(bytes(info.data))
    (amount,) = struct.unpack_from("<Q", data, AMOUNT_OFFSET)
    struct.pack_into("<Q", data, AMOUNT_OFFSET, amount - 1)
    node_ext.set_account(str(p.vault), lamports=info.lamports, data=bytes(data), owner=str(info.owner))

    watched = [p.pool, p.custody, p.vault, w.token_account, w.lp_account, p.lp_mint]
    await assert_rejected(errors.VaultBalanceMismatch, lambda: world.deposit(p, w, USDC), world.connection,
                          watched)
    await assert_rejected(errors.VaultBalanceMismatch,
                          lambda: w.client.top_up_insurance_fund(p.pool, p.custody, amount=USDC,
                                                                 funding_account=w.token_account),
                          world.connection, watched)
