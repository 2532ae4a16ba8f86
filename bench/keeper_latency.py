"""Keeper latency: from the oracle update that makes N positions liquidatable to the last liquidation
confirmed, median over several runs, with the keeper polling and on PubSub subscriptions; prints JSON.

    .venv/bin/python bench/keeper_latency.py [--positions 100] [--runs 5] [--mode both|polling|subscription]

Each run opens N real 40x longs on a fresh market, starts a LiquidationKeeper (poll interval 0.2 s,
8 in flight; on subscriptions the interval is only its heartbeat and the oracle's accountNotification
wakes the scan), then moves the oracle 5 % down and waits until every position is gone.
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


async def one_run(world: World, n: int, ws_url: str | None) -> dict:
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
    keeper = LiquidationKeeper(PerpPoolClient(world.connection, kp), m.pool, poll_interval=0.2, max_in_flight=8,
                               ws_url=ws_url, subscribe=ws_url is not None)
    stop = asyncio.Event()
    task = asyncio.create_task(keeper.run(stop))
    await asyncio.sleep(0.3)
    while ws_url is not None and not (keeper.triggers and keeper.triggers.subscribed and keeper.triggers._watching):
        await asyncio.sleep(0.05)  # subscribed to the oracle: the first scan has run
    started = time.perf_counter()
    await world.set_price(m.sol, price=price_usd("142.5"))  # -5 %: every 40x long is past its price
    while len(keeper.landed) < n and time.perf_counter() - started < 60:
        await asyncio.sleep(0.01)
    latency = time.perf_counter() - started
    stop.set()
    await task
    remaining = sum(1 for i in (await world.connection.get_multiple_accounts(positions)).value if i is not None)
    return {"seconds": latency, "landed": len(keeper.landed), "remaining": remaining}


async def measure(url: str, ws_url: str, n: int, runs: int, modes: list[str]) -> dict:
    connection = AsyncClient(url, commitment=Confirmed, timeout=60)
    world = await World.create(connection)
    out = {}
    for mode in modes:
        results = [await one_run(world, n, ws_url if mode == "subscription" else None) for _ in range(runs)]
        assert all(r["landed"] == n and r["remaining"] == 0 for r in results), results
        secs = [r["seconds"] for r in results]
        out[mode] = {"latency_s_median": round(statistics.median(secs), 3),
                     "latency_s_all": [round(s, 3) for s in secs]}
    await connection.close()
    return {"positions": n, "runs": runs, **out}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--positions", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mode", choices=["both", "polling", "subscription"], default="both")
    args = parser.parse_args()
    modes = ["polling", "subscription"] if args.mode == "both" else [args.mode]
    with LocalNode() as node:
        report = {"bench": "keeper_latency",
                  **asyncio.run(measure(node.url, node.ws_url, args.positions, args.runs, modes))}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
