"""Open+close round trips per second from the Python client, and the program's account sizes (Pool,
Custody, Position, and the LP staking accounts: StakePool, Stake); prints JSON.

    .venv/bin/python bench/trade_roundtrip.py [--rpc-url URL] [--count 100]

One round trip = open_position then close_position, each sent, confirmed and read back with its
events (as a trading bot does it), at an unchanged price.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solana.rpc.async_api import AsyncClient  # noqa: E402
from solana.rpc.commitment import Confirmed  # noqa: E402

from perp_pool.localnet import LocalNode  # noqa: E402
from perp_pool.math.pricing import Side  # noqa: E402
from tests.helpers import USDC, World, market_deposit, new_market  # noqa: E402
from tests.staking_support import LADDER  # noqa: E402


async def measure(url: str, count: int) -> dict:
    connection = AsyncClient(url, commitment=Confirmed, timeout=60)
    world = await World.create(connection)
    m = await new_market(world, liquidity=1_000_000 * USDC)
    w = await world.new_wallet(m.usdc, tokens=1_000_000 * USDC)
    args = (m.pool, m.sol.custody, m.usdc.custody, Side.LONG)
    sizes = {}
    for name, key in (("Pool", m.pool), ("Custody", m.usdc.custody)):
        sizes[name] = len((await connection.get_account_info(key)).value.data)
    # The staking accounts: the pool's stake pool and one LP's stake.
    await world.client.init_stake_pool(m.pool, m.usdc.custody, ladder=LADDER, junior_share_bps=6_500)
    staker = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
    await world.after_slot((await market_deposit(world, m, staker, 1_000 * USDC)).slot)
    await staker.client.lock_lp(m.pool, amount=USDC, tier=4, lp_token_account=staker.lp_account)
    for name, key in (("StakePool", world.client.stake_pool_address(m.pool)),
                      ("Stake", staker.client.stake_address(m.pool))):
        sizes[name] = len((await connection.get_account_info(key)).value.data)
    latencies = []
    started = time.perf_counter()
    for i in range(count):
        t = time.perf_counter()
        await w.client.open_position(*args, price_limit=2**63, collateral_amount=100 * USDC + i,
                                     size_usd=1_000 * USDC, funding_account=w.token_account)
        if i == 0:
            sizes["Position"] = len((await connection.get_account_info(m.position(w, Side.LONG))).value.data)
        # distinct limits keep the transactions distinct within one blockhash
        await w.client.close_position(*args, price_limit=i, receiving_account=w.token_account)
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    await connection.close()
    latencies.sort()
    return {
        "account_bytes": sizes,
        "round_trips": count,
        "seconds": round(elapsed, 3),
        "round_trips_per_s": round(count / elapsed, 1),
        "round_trip_ms_p50": round(statistics.median(latencies) * 1000, 2),
        "round_trip_ms_p95": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rpc-url")
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    report: dict = {"bench": "trade_roundtrip"}
    if args.rpc_url:
        report.update(asyncio.run(measure(args.rpc_url, args.count)))
    else:
        with LocalNode() as node:
            report.update(asyncio.run(measure(node.url, args.count)))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
