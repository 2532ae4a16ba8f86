"""Test world: the program initialised once, pools with a USDC-like custody, funded LPs."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from perp_pool import errors
from perp_pool.client import FeeConfig, OracleConfig, PerpPoolClient
from perp_pool.clock import node_unix_time
from perp_pool.constants import PRICE_DECIMALS, PRICE_POWER
from perp_pool.tokens import create_mint, ensure_ata, mint_tokens, token_balance

USDC_DECIMALS = 6
USDC = 10**USDC_DECIMALS
SOL = 10**9
# Oracle prices the tests publish default to the program's own price units: `price * 10^-PRICE_DECIMALS`
# USD per whole token, so a published price compares directly with entry, exit and liquidation prices.
PRICE_EXPO = -PRICE_DECIMALS


def price_usd(amount: str | int) -> int:
    """`amount` USD per whole token in PRICE_DECIMALS, exactly: `price_usd("142.5") == 142.5 * PRICE_POWER`."""
    scaled = Decimal(str(amount)).scaleb(PRICE_DECIMALS)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} USD has more than {PRICE_DECIMALS} decimals")
    return int(scaled)

E = TypeVar("E", bound=errors.TransactionFailed)


@dataclass
class PoolFixture:
    name: str
    pool: Pubkey
    lp_mint: Pubkey
    mint: Pubkey
    custody: Pubkey
    vault: Pubkey
    oracle: Pubkey
    decimals: int = USDC_DECIMALS


@dataclass
class Wallet:
    keypair: Keypair
    client: PerpPoolClient
    token_account: Pubkey
    lp_account: Pubkey

    @property
    def pubkey(self) -> Pubkey:
        return self.keypair.pubkey()


async def unix_now(connection: AsyncClient) -> int:
    """The node's Clock sysvar `unix_timestamp` (what the program sees as now)."""
    return await node_unix_time(connection)


async def snapshot(connection: AsyncClient, addresses: Iterable[Pubkey]) -> dict[Pubkey, tuple | None]:
    """Lamports, owner and data of each account: compare before/after a rejected transaction."""
    keys = list(addresses)
    infos = (await connection.get_multiple_accounts(keys, commitment=Confirmed)).value
    return {k: (i.lamports, i.owner, bytes(i.data)) if i else None for k, i in zip(keys, infos, strict=True)}


async def assert_rejected(exc_type: type[E], action: Callable[[], Awaitable[object]],
                          connection: AsyncClient, watched: Iterable[Pubkey]) -> E:
    """Runs `action`, expects `exc_type`, and checks that no watched account changed."""
    watched = list(watched)
    before = await snapshot(connection, watched)
    with pytest.raises(exc_type) as info:
        await action()
    after = await snapshot(connection, watched)
    changed = [str(k) for k in watched if before[k] != after[k]]
    assert not changed, f"accounts changed by a rejected transaction: {changed}"
    return info.value


class World:
    def __init__(self, connection: AsyncClient, admin: Keypair):
        self.connection = connection
        self.admin = admin
        self.client = PerpPoolClient(connection, admin)

    @classmethod
    async def create(cls, connection: AsyncClient, admin: Keypair | None = None) -> World:
        admin = admin or Keypair()
        world = cls(connection, admin)
        await world.airdrop(admin.pubkey(), 100 * SOL)
        info = (await connection.get_account_info(world.client.perpetuals_address)).value
        if info is None:
            await world.client.initialize()
        else:
            perpetuals = await world.client.fetch_perpetuals()
            if perpetuals.admin != admin.pubkey():
                pytest.skip("perp_pool is initialised on this node by another admin (set ANCHOR_WALLET)")
        return world

    async def airdrop(self, to: Pubkey, lamports: int) -> None:
        sig = (await self.connection.request_airdrop(to, lamports)).value
        await self.connection.confirm_transaction(sig, Confirmed, sleep_seconds=0.1)

    async def funded_keypair(self, lamports: int = 10 * SOL) -> Keypair:
        kp = Keypair()
        await self.airdrop(kp.pubkey(), lamports)
        return kp

    async def now(self) -> int:
        return await unix_now(self.connection)

    async def new_pool(self, *, fees: FeeConfig = FeeConfig(), oracle: OracleConfig = OracleConfig(),
                       price: int = PRICE_POWER, expo: int = PRICE_EXPO, conf: int = 0, ema: int | None = None,
                       decimals: int = USDC_DECIMALS, mint: Pubkey | None = None,
                       lp_cooldown_sec: int = 0, publish_time: int | None = None) -> PoolFixture:
        """A pool with one custody, priced 1 USD by default (`price`, `conf`, `ema` are `* 10^expo` USD).
        `lp_cooldown_sec` 0: a deposit's LP is redeemable from the next slot.
        `publish_time` of the first price (default now): a fresh oracle is the only one that takes
        an old price, publish times never go backwards."""
        name = "pool-" + secrets.token_hex(6)
        c = self.client
        await c.add_pool(name, lp_cooldown_sec=lp_cooldown_sec)
        pool = c.pool_address(name)
        mint = mint or await create_mint(c.transport, decimals)
        await c.add_custody(pool, mint, oracle=oracle, fees=fees)
        custody = c.custody_address(pool, mint)
        fixture = PoolFixture(name, pool, c.lp_mint_address(pool), mint, custody,
                              c.custody_vault_address(pool, mint), c.custom_oracle_address(custody), decimals)
        await self.set_price(fixture, price=price, expo=expo, conf=conf, ema=price if ema is None else ema,
                             publish_time=publish_time)
        return fixture

    async def set_price(self, p: PoolFixture, *, price: int, expo: int = PRICE_EXPO, conf: int = 0,
                        ema: int | None = None, publish_time: int | None = None) -> None:
        """Publishes `price` (and `conf`, `ema`) `* 10^expo` USD; by default PRICE_DECIMALS."""
        await self.client.set_custom_oracle_price(
            p.custody, price=price, expo=expo, conf=conf, ema=price if ema is None else ema,
            publish_time=await self.now() if publish_time is None else publish_time)

    async def new_wallet(self, p: PoolFixture, tokens: int = 0) -> Wallet:
        kp = await self.funded_keypair()
        token_account = await ensure_ata(self.client.transport, kp.pubkey(), p.mint)
        lp_account = await ensure_ata(self.client.transport, kp.pubkey(), p.lp_mint)
        if tokens:
            await mint_tokens(self.client.transport, p.mint, token_account, tokens)
        return Wallet(kp, self.client.with_wallet(kp), token_account, lp_account)

    async def balance(self, account: Pubkey) -> int:
        return await token_balance(self.connection, account)

    async def slot(self) -> int:
        return (await self.connection.get_slot(Confirmed)).value

    async def after_slot(self, slot: int, timeout_s: float = 10.0) -> int:
        """Waits until the node has moved past `slot` (the next transaction lands in a later slot:
        what ends a zero-second LP cooldown). Works on any node; tests with `node_ext` may call
        `advance_slots` instead."""
        deadline = time.monotonic() + timeout_s
        while (now := await self.slot()) <= slot:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the node did not move past slot {slot}")
            await asyncio.sleep(0.02)
        return now

    async def lp_supply(self, p: PoolFixture | Market) -> int:
        """The supply every LP price uses: the LP mint's supply plus the pool's dead shares."""
        mint_supply = int((await self.connection.get_token_supply(p.lp_mint)).value.amount)
        return mint_supply + (await self.client.fetch_pool(p.pool)).dead_lp_supply

    async def deposit(self, p: PoolFixture, w: Wallet, amount: int, min_lp_out: int | None = 0):
        """`min_lp_out=None`: the client's default, the simulated quote less its slippage."""
        return await w.client.add_liquidity(p.pool, p.custody, amount_in=amount, funding_account=w.token_account,
                                            lp_token_account=w.lp_account, min_lp_amount_out=min_lp_out)

    async def deposit_and_wait(self, p: PoolFixture, w: Wallet, amount: int, min_lp_out: int | None = 0):
        """A deposit, then the wait that ends a zero-second cooldown (one slot)."""
        result = await self.deposit(p, w, amount, min_lp_out)
        await self.after_slot(result.slot)
        return result

    async def withdraw(self, p: PoolFixture, w: Wallet, lp_amount: int, min_out: int | None = 0):
        return await w.client.remove_liquidity(p.pool, p.custody, lp_amount_in=lp_amount,
                                               receiving_account=w.token_account, lp_token_account=w.lp_account,
                                               min_amount_out=min_out)


@dataclass
class Market:
    """A pool whose USDC custody holds the liquidity and collateral and whose SOL custody is traded."""

    name: str
    pool: Pubkey
    lp_mint: Pubkey
    usdc: PoolFixture  # the collateral custody (stable)
    sol: PoolFixture  # the traded custody (oracle only, no tokens needed)

    def position(self, w: Wallet, side) -> Pubkey:
        return w.client.position_address(self.pool, self.sol.custody, self.usdc.custody, side)


async def new_market(world: World, *, liquidity: int = 100_000 * USDC, sol_price: int = 150 * PRICE_POWER,
                     fees: FeeConfig = FeeConfig(), pricing=None, borrow_rate=None,
                     oracle: OracleConfig = OracleConfig(max_price_age_sec=3_600), name: str | None = None,
                     lp_cooldown_sec: int = 0, tranches: tuple[int, int] | None = None) -> Market:
    """`tranches`: (rate_bps, max_senior_junior_ratio_bps) of a senior tranche added right after
    the pool (the `liquidity` is then junior)."""
    from perp_pool.client import BorrowRateConfig, PricingConfig

    pricing = pricing or PricingConfig()
    borrow_rate = borrow_rate or BorrowRateConfig()
    c = world.client
    name = name or "mkt-" + secrets.token_hex(6)
    await c.add_pool(name, lp_cooldown_sec=lp_cooldown_sec)
    pool = c.pool_address(name)
    if tranches is not None:
        await c.add_senior_tranche(pool, rate_bps=tranches[0], max_senior_junior_ratio_bps=tranches[1],
                                   senior_deposit_ratio_bps=tranches[1])
    fixtures = []
    for decimals, stable, price in ((USDC_DECIMALS, True, PRICE_POWER), (9, False, sol_price)):
        mint = await create_mint(c.transport, decimals)
        await c.add_custody(pool, mint, oracle=oracle, fees=fees, pricing=pricing, borrow_rate=borrow_rate,
                            is_stable=stable)
        custody = c.custody_address(pool, mint)
        f = PoolFixture(name, pool, c.lp_mint_address(pool), mint, custody, c.custody_vault_address(pool, mint),
                        c.custom_oracle_address(custody), decimals)
        await world.set_price(f, price=price)
        fixtures.append(f)
    market = Market(name, pool, c.lp_mint_address(pool), fixtures[0], fixtures[1])
    if liquidity:
        lp = await world.new_wallet(market.usdc, tokens=liquidity)
        await market_deposit(world, market, lp, liquidity)
    return market


async def market_deposit(world: World, m: Market, w: Wallet, amount: int):
    ix = await w.client.build_add_liquidity_ix(m.pool, m.usdc.custody, amount_in=amount, min_lp_amount_out=0,
                                               funding_account=w.token_account, lp_token_account=w.lp_account)
    return await w.client.send([ix])
