"""`make demo`: the spine end to end on the embedded local node.

Starts `perp-localnet`, creates a pool with a USDC-like custody priced by a custom oracle, has two
LPs deposit, moves the oracle, has one LP withdraw, and prints what happened at each step — the
program's events, balances and the views — then stops the node.
"""

from __future__ import annotations

import argparse
import asyncio
import struct
import sys
from decimal import Decimal

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.sysvar import CLOCK

from perp_pool.client import FeeConfig, OracleConfig, PerpPoolClient
from perp_pool.constants import LP_DECIMALS, USD_DECIMALS
from perp_pool.localnet import LocalNode
from perp_pool.tokens import create_mint, ensure_ata, mint_tokens, token_balance

SOL = 10**9


def human(amount: int, decimals: int) -> str:
    return f"{Decimal(amount) / (Decimal(10) ** decimals):,.{decimals}f}"


async def _clock_now(connection: AsyncClient) -> int:
    info = (await connection.get_account_info(CLOCK, commitment=Confirmed)).value
    assert info is not None
    return struct.unpack_from("<q", bytes(info.data), 32)[0]


async def run(rpc_url: str) -> None:
    connection = AsyncClient(rpc_url, commitment=Confirmed, timeout=30)
    admin = Keypair()
    await connection.confirm_transaction((await connection.request_airdrop(admin.pubkey(), 100 * SOL)).value, Confirmed)
    client = PerpPoolClient(connection, admin)
    step = 0

    def say(text: str) -> None:
        nonlocal step
        step += 1
        print(f"\n[{step}] {text}")

    if (await connection.get_account_info(client.perpetuals_address)).value is None:
        await client.initialize()
    say(f"program {client.program_id} initialised; admin {admin.pubkey()}")

    pool_name = "demo-usdc"
    await client.add_pool(pool_name)
    pool = client.pool_address(pool_name)
    usdc = await create_mint(client.transport, 6)
    fees = FeeConfig(add_liquidity_bps=10, remove_liquidity_bps=20, protocol_share_bps=2_000)
    await client.add_custody(pool, usdc, oracle=OracleConfig(max_price_error_bps=100, max_price_age_sec=30), fees=fees)
    custody = client.custody_address(pool, usdc)
    await client.set_custom_oracle_price(custody, price=1_000_000, expo=-6, conf=100, ema=1_000_000,
                                         publish_time=await _clock_now(connection))
    say(f"pool '{pool_name}' {pool} with a USDC custody; oracle 1.000000 ± 0.0001; "
        f"fees: deposit {fees.add_liquidity_bps} bps, withdraw {fees.remove_liquidity_bps} bps, "
        f"protocol share {fees.protocol_share_bps / 100:.0f}%")

    lps = {}
    for name, amount in (("alice", 10_000), ("bob", 5_000)):
        kp = Keypair()
        await connection.confirm_transaction((await connection.request_airdrop(kp.pubkey(), 10 * SOL)).value, Confirmed)
        token = await ensure_ata(client.transport, kp.pubkey(), usdc)
        lp = await ensure_ata(client.transport, kp.pubkey(), client.lp_mint_address(pool))
        await mint_tokens(client.transport, usdc, token, amount * 10**6)
        lps[name] = (client.with_wallet(kp), token, lp)
        result = await lps[name][0].add_liquidity(pool, custody, amount_in=amount * 10**6, funding_account=token,
                                                  lp_token_account=lp)
        ev = result.event("LiquidityAdded").data
        say(f"{name} deposits {human(ev.amount_in, 6)} USDC: fee {human(ev.fee_amount, 6)} "
            f"(protocol {human(ev.protocol_fee_amount, 6)}), receives {human(ev.lp_amount_out, LP_DECIMALS)} LP "
            f"[tx {result.signature}, slot {result.slot}]")

    aum = await client.get_assets_under_management(pool)
    price = await client.get_lp_token_price(pool)
    say(f"views: AUM {human(aum, USD_DECIMALS)} USD, LP price {human(price, USD_DECIMALS)} USD")

    await client.set_custom_oracle_price(custody, price=998_000, expo=-6, conf=100, ema=999_000,
                                         publish_time=await _clock_now(connection))
    aum = await client.get_assets_under_management(pool)
    price = await client.get_lp_token_price(pool)
    say(f"oracle moves to 0.998000 (EMA 0.999000): AUM {human(aum, USD_DECIMALS)} USD, "
        f"LP price {human(price, USD_DECIMALS)} USD")

    alice, alice_token, alice_lp = lps["alice"]
    lp_balance = await token_balance(connection, alice_lp)
    # A withdrawal is refused in the slot of the pool's last deposit; a moment later it is fine.
    await asyncio.sleep(1.0)
    result = await alice.remove_liquidity(pool, custody, lp_amount_in=lp_balance // 2, receiving_account=alice_token,
                                          lp_token_account=alice_lp)
    ev = result.event("LiquidityRemoved").data
    say(f"alice burns {human(ev.lp_amount_in, LP_DECIMALS)} LP: receives {human(ev.amount_out, 6)} USDC, "
        f"fee {human(ev.fee_amount, 6)} [tx {result.signature}]")

    c = await client.fetch_custody(custody)
    vault = await token_balance(connection, c.token_account)
    print("\nSummary")
    print(f"  vault balance      {human(vault, 6):>20} USDC")
    print(f"  custody owned      {human(c.assets.owned, 6):>20} USDC (LPs)")
    print(f"  protocol fees      {human(c.assets.protocol_fees, 6):>20} USDC")
    print(f"  alice USDC         {human(await token_balance(connection, alice_token), 6):>20}")
    print(f"  alice LP           {human(await token_balance(connection, alice_lp), LP_DECIMALS):>20}")
    print(f"  LP price           {human(await client.get_lp_token_price(pool), USD_DECIMALS):>20} USD")
    assert vault == c.assets.owned + c.assets.protocol_fees, "vault must equal owned + protocol fees"
    print("  check              vault == owned + protocol fees: ok")
    await connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rpc-url", help="use this node instead of starting perp-localnet")
    args = parser.parse_args(argv)
    if args.rpc_url:
        asyncio.run(run(args.rpc_url))
        return 0
    with LocalNode() as node:
        print(f"perp-localnet started at {node.url} (healthy in {node.start_to_healthy_s:.2f}s)")
        asyncio.run(run(node.url))
    print("\nnode stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
