"""Multi-asset pools for the client, CLI and bench: a pool of several funded custodies (USDC,
SOL, optionally BTC) with weight rules, funded by one LP in every custody at its target weight."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from solders.pubkey import Pubkey

from perp_pool.client import FeeConfig, OracleConfig, PricingConfig, WeightConfig
from perp_pool.constants import PRICE_POWER
from perp_pool.tokens import create_mint, ensure_ata, mint_tokens
from tests.helpers import PoolFixture, Wallet, World

USDC_WEIGHTS = WeightConfig(target_bps=5_500, min_bps=3_000, max_bps=8_000, tax_bps=10, swap_bps=5)
SOL_WEIGHTS = WeightConfig(target_bps=4_500, min_bps=2_000, max_bps=7_000, tax_bps=50, swap_bps=20)


@dataclass(frozen=True)
class Asset:
    symbol: str
    decimals: int
    is_stable: bool
    price: int  # PRICE_DECIMALS
    weights: WeightConfig
    liquidity: int  # tokens the first LP deposits (base units)


USDC_ASSET = Asset("USDC", 6, True, PRICE_POWER, USDC_WEIGHTS, 55_000 * 10**6)
SOL_ASSET = Asset("SOL", 9, False, 150 * PRICE_POWER, SOL_WEIGHTS, 300 * 10**9)  # 45,000 USD


def three_assets() -> tuple[Asset, Asset, Asset]:
    """USDC 50 %, SOL 30 %, BTC 20 %, each funded at its target (100,000 USD in all)."""
    return (Asset("USDC", 6, True, PRICE_POWER, WeightConfig(5_000, 2_000, 8_000, 10, 5), 50_000 * 10**6),
            Asset("SOL", 9, False, 150 * PRICE_POWER, WeightConfig(3_000, 1_000, 6_000, 50, 20), 200 * 10**9),
            Asset("BTC", 8, False, 50_000 * PRICE_POWER, WeightConfig(2_000, 500, 5_000, 50, 20), 4 * 10**7))


@dataclass
class MultiPool:
    name: str
    pool: Pubkey
    lp_mint: Pubkey
    custodies: dict[str, PoolFixture]  # by symbol, in pool.custodies order
    assets: dict[str, Asset]
    lp: dict[str, Wallet] = field(default_factory=dict)  # the funding LP's wallet per custody

    def __getitem__(self, symbol: str) -> PoolFixture:
        return self.custodies[symbol]


async def new_multi_pool(world: World, assets: tuple[Asset, ...] = (USDC_ASSET, SOL_ASSET), *,
                         fees: FeeConfig = FeeConfig(), pricing: PricingConfig | None = None,
                         fund: bool = True) -> MultiPool:
    """A pool of `assets` (each a custody with its weight rule, priced by a custom oracle; the
    volatile ones tradeable), funded by one LP per custody with the asset's liquidity (in order:
    the pool is at its targets once all have deposited)."""
    c = world.client
    name = "multi-" + secrets.token_hex(5)
    await c.add_pool(name, lp_cooldown_sec=0)
    pool = c.pool_address(name)
    custodies: dict[str, PoolFixture] = {}
    for a in assets:
        mint = await create_mint(c.transport, a.decimals)
        await c.add_custody(pool, mint, oracle=OracleConfig(max_price_age_sec=3_600), fees=fees,
                            pricing=pricing or PricingConfig(), is_stable=a.is_stable)
        custody = c.custody_address(pool, mint)
        f = PoolFixture(name, pool, c.lp_mint_address(pool), mint, custody, c.custody_vault_address(pool, mint),
                        c.custom_oracle_address(custody), a.decimals)
        await world.set_price(f, price=a.price)
        await c.set_custody_weights(pool, custody, a.weights)
        custodies[a.symbol] = f
    m = MultiPool(name, pool, c.lp_mint_address(pool), custodies, {a.symbol: a for a in assets})
    if fund:
        for a in assets:
            w = await world.new_wallet(m[a.symbol], tokens=a.liquidity)
            await world.deposit(m[a.symbol], w, a.liquidity)
            m.lp[a.symbol] = w
    return m


async def fund_wallet(world: World, m: MultiPool, owner: Pubkey, amounts: dict[str, int]) -> dict[str, Pubkey]:
    """Mints `amounts` (base units, by symbol) into `owner`'s associated token accounts."""
    accounts = {}
    for symbol, amount in amounts.items():
        account = await ensure_ata(world.client.transport, owner, m[symbol].mint)
        if amount:
            await mint_tokens(world.client.transport, m[symbol].mint, account, amount)
        accounts[symbol] = account
    return accounts
