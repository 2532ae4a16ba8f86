"""Custodies priced by Pyth PriceUpdateV2 accounts: owner, feed id, verification, staleness, price."""

from __future__ import annotations

import secrets

import pytest
from solders.keypair import Keypair

from perp_pool import errors
from perp_pool.client import FeeConfig, OracleConfig
from perp_pool.pyth import PYTH_RECEIVER_PROGRAM_ID, PriceUpdate, decode
from tests.helpers import USDC, PoolFixture, World, assert_rejected

pytestmark = pytest.mark.node_ext
FEED = bytes.fromhex("eaa020c61cc479712813461ce153894a96a6c00b21ed0cfc2798d1f9a9e9c94a")  # USDC/USD


async def pyth_pool(world: World, node_ext, **update) -> tuple[PoolFixture, object]:
    account = Keypair().pubkey()
    now = await world.now()
    fields = {"feed_id": FEED, "price": 99_995_000, "conf": 10_000, "exponent": -8, "publish_time": now,
              "ema_price": 100_000_000, **update}
    write_price(node_ext, account, PriceUpdate(**fields))
    c = world.client
    name = "pyth-" + secrets.token_hex(5)
    await c.add_pool(name)
    pool = c.pool_address(name)
    from perp_pool.tokens import create_mint

    mint = await create_mint(c.transport, 6)
    await c.add_custody(pool, mint, oracle=OracleConfig(oracle_type="Pyth", oracle_account=account, feed_id=FEED,
                                                       max_price_age_sec=60), fees=FeeConfig())
    custody = c.custody_address(pool, mint)
    p = PoolFixture(name, pool, c.lp_mint_address(pool), mint, custody, c.custody_vault_address(pool, mint), account)
    return p, await world.new_wallet(p, tokens=1_000 * USDC)


def write_price(node_ext, account, update: PriceUpdate, owner=PYTH_RECEIVER_PROGRAM_ID) -> None:
    node_ext.set_account(str(account), lamports=10**7, data=update.encode(), owner=str(owner))


def test_price_update_round_trips() -> None:
    u = PriceUpdate(FEED, 12_345, 6, -5, 1_700_000_000, 12_300, 7, 1_699_999_999, Keypair().pubkey(), False, 42)
    assert decode(u.encode()) == u


async def test_deposit_priced_by_pyth(world: World, node_ext) -> None:
    p, w = await pyth_pool(world, node_ext)
    ev = (await world.deposit(p, w, 100 * USDC)).event("LiquidityAdded").data
    assert (ev.price, ev.price_exponent) == (99_995_000, -8)  # min(spot, EMA)
    assert ev.deposit_usd == 99_900_000 * 99_995_000 // 100_000_000


async def test_pyth_account_with_the_wrong_owner_is_refused(world: World, node_ext) -> None:
    p, w = await pyth_pool(world, node_ext)
    data = PriceUpdate(FEED, 99_995_000, 10_000, -8, await world.now(), 100_000_000)
    write_price(node_ext, p.oracle, data, owner=Keypair().pubkey())
    await assert_rejected(errors.InvalidOracleAccount, lambda: world.deposit(p, w, USDC), world.connection,
                          [p.custody, p.vault, w.token_account])


async def test_pyth_account_for_another_feed_is_refused(world: World, node_ext) -> None:
    p, w = await pyth_pool(world, node_ext)
    write_price(node_ext, p.oracle, PriceUpdate(bytes(32), 99_995_000, 10_000, -8, await world.now(), 100_000_000))
    await assert_rejected(errors.InvalidOracleAccount, lambda: world.deposit(p, w, USDC), world.connection,
                          [p.custody, p.vault, w.token_account])


async def test_partially_verified_pyth_update_is_refused(world: World, node_ext) -> None:
    p, w = await pyth_pool(world, node_ext, fully_verified=False)
    await assert_rejected(errors.OracleNotFullyVerified, lambda: world.deposit(p, w, USDC), world.connection,
                          [p.custody, p.vault, w.token_account])


async def test_stale_pyth_price_is_refused(world: World, node_ext) -> None:
    p, w = await pyth_pool(world, node_ext)
    write_price(node_ext, p.oracle, PriceUpdate(FEED, 99_995_000, 10_000, -8, await world.now() - 61, 100_000_000))
    await assert_rejected(errors.StaleOraclePrice, lambda: world.deposit(p, w, USDC), world.connection,
                          [p.custody, p.vault, w.token_account])


async def test_negative_pyth_price_is_refused(world: World, node_ext) -> None:
    p, w = await pyth_pool(world, node_ext)
    write_price(node_ext, p.oracle, PriceUpdate(FEED, -1, 0, -8, await world.now(), 100_000_000))
    await assert_rejected(errors.InvalidOraclePrice, lambda: world.deposit(p, w, USDC), world.connection,
                          [p.custody, p.vault, w.token_account])


async def test_wide_pyth_confidence_is_refused(world: World, node_ext) -> None:
    p, w = await pyth_pool(world, node_ext, conf=2_000_000)  # 2 % > the 1 % default
    await assert_rejected(errors.OraclePriceConfidenceTooLow, lambda: world.deposit(p, w, USDC), world.connection,
                          [p.custody, p.vault, w.token_account])
