"""Shared set-up of the LP capital safety tests (tests/test_lp_safety*.py)."""
from __future__ import annotations

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from perp_pool.client import (
    BorrowRateConfig,
    PerpPoolClient,
)
from perp_pool.constants import PRICE_POWER
from perp_pool.math.pricing import Side
from perp_pool.tokens import ensure_ata
from tests.helpers import (
    PRICE_EXPO,
    Market,
    PoolFixture,
    Wallet,
    World,
)

NO_INTEREST = BorrowRateConfig(base_rate=0, slope1=0, slope2=0)
LONG_ANY = 2**63  # a long accepts any entry price, a short any exit price
ONE_USD = PRICE_POWER  # a price of 1 USD per whole token, PRICE_DECIMALS (oracle expo -PRICE_DECIMALS)



# ---- helpers ---------------------------------------------------------------------------------

def limit_for_entry(side: Side) -> int:
    return LONG_ANY if side is Side.LONG else 0


def limit_for_exit(side: Side) -> int:
    return 0 if side is Side.LONG else LONG_ANY


async def open_ix(w: Wallet, m: Market, side: Side, collateral: int, size: int) -> Instruction:
    return await w.client.build_open_position_ix(m.pool, m.sol.custody, m.usdc.custody, side,
                                                 price_limit=limit_for_entry(side), collateral_amount=collateral,
                                                 size_usd=size, funding_account=w.token_account)


async def close_ix(w: Wallet, m: Market, side: Side, receiving: Pubkey | None = None) -> Instruction:
    return await w.client.build_close_position_ix(m.pool, m.sol.custody, m.usdc.custody, side,
                                                  price_limit=limit_for_exit(side),
                                                  receiving_account=receiving or w.token_account)


async def open_position(w: Wallet, m: Market, side: Side, collateral: int, size: int):
    return await w.client.send([await open_ix(w, m, side, collateral, size)])


async def close_position(w: Wallet, m: Market, side: Side):
    return await w.client.send([await close_ix(w, m, side)])


async def increase(w: Wallet, m: Market, side: Side, collateral: int, size: int):
    return await w.client.increase_position(m.pool, m.sol.custody, m.usdc.custody, side,
                                            price_limit=limit_for_entry(side), collateral_amount=collateral,
                                            size_usd=size, funding_account=w.token_account)


async def assert_vault_accounted(world: World, p: PoolFixture) -> None:
    a = (await world.client.fetch_custody(p.custody)).assets
    assert await world.balance(p.vault) == (a.owned + a.collateral + a.protocol_fees + a.insurance_fund
                                            + a.escrow + a.stake_rewards)


async def aum(world: World, pool: Pubkey) -> int:
    return await world.client.get_assets_under_management(pool)


def oracle_ix(client: PerpPoolClient, p: PoolFixture, price: int, now: int) -> Instruction:
    return client.build_set_custom_oracle_price_ix(p.custody, price=price, expo=PRICE_EXPO, conf=0, ema=price,
                                                   publish_time=now)


async def refresh_prices(world: World, prices: list[tuple[PoolFixture, int]]) -> None:
    """Re-publishes every price at the node's now, in one transaction (after a clock warp)."""
    now = await world.now()
    await world.client.send([oracle_ix(world.client, p, price, now) for p, price in prices])


async def keeper(world: World, m: Market) -> tuple[Keypair, PerpPoolClient, Pubkey]:
    kp = await world.funded_keypair()
    account = await ensure_ata(world.client.transport, kp.pubkey(), m.usdc.mint)
    return kp, world.client.with_wallet(kp), account


