"""Keeper latency: from the oracle update that makes N positions liquidatable to the last liquidation
confirmed, median over several runs; prints JSON.

    .venv/bin/python bench/keeper_latency.py [--positions 100] [--runs 5]

Each run opens N real 40x longs on a fresh market, starts a LiquidationKeeper (poll interval 0.2 s,
8 in flight), then moves the oracle 5 % down and waits until every position is gone.
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

from perp_pool.client import PerpPoolClient  # noqa: E402
from perp_pool.keeper.liquidator import LiquidationKeeper  # noqa: E402
from perp_pool.localnet import LocalNode  # noqa: E402
from perp_pool.math.pricing import Side  # noqa: E402
from perp_pool.tokens import ensure_ata  # noqa: E402
from tests.helpers import USDC, World, new_market, price_usd  # noqa: E402
from tests.test_trading import open_pos  # noqa: E402


async def one_run(world: World, n: int) -> dict:
    m = await new_market(world, liquidity=1_000_000 * USDC)
    sem = asyncio.Semaphore(8)

    async def open_one(i: int):
        async with sem:
            w = await world.new_wallet(m.usdc, tokens=200 * USDC)
            await open_pos(world, m, w, Side.LONG, 50 * USDC + i, 2_000 * USDC)
            return m.position(w, Side.LONG)

    positions = await asyncio.gather(*(open_one(i) for i in range(n)))
    kp = await world.funded_keypair()
    await ensure_ata(world.client.transport, kp.pubkey(), m.usdc.mint)
    keeper = LiquidationKeeper(PerpPoolClient(world.connection, kp), m.pool, poll_interval=0.2, max_in_flight=8)
    stop = asyncio.Event()
    task = asyncio.create_task(keeper.run(stop))
    await asyncio.sleep(0.3)
    started = time.perf_counter()
    await world.set_price(m.sol, price=price_usd("142.5"))  # -5 %: every 40x long is past its price
    while len(keeper.landed) < n and time.perf_counter() - started < 60:
        await asyncio.sleep(0.01)
    latency = time.perf_counter() - started
    stop.set()
    await task
    remaining = sum(1 for i in (await world.connection.get_multiple_accounts(positions)).value if i is not None)
    return {"seconds": latency, "landed": len(keeper.landed), "remaining": remaining}


async def measure(url: str, n: int, runs: int) -> dict:
    connection = AsyncClient(url, commitment=Confirmed, timeout=60)
    world = await World.create(connection)
    results = [await one_run(world, n) for _ in range(runs)]
    await connection.close()
    assert all(r["landed"] == n and r["remaining"] == 0 for r in results), results
    secs = [r["seconds"] for r in results]
    return {"positions": n, "runs": runs, "latency_s_median": round(statistics.median(secs), 3),
            "latency_s_all": [round(s, 3) for s in secs]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--positions", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with LocalNode() as node:
        report = {"bench": "keeper_latency", **asyncio.run(measure(node.url, args.positions, args.runs))}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
