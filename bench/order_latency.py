"""Order latency: from the oracle update that reaches N trigger orders to the last execution
confirmed, median over several runs; prints JSON.

    .venv/bin/python bench/order_latency.py [--orders 100] [--runs 5] [--kind sl|limit]

Each run gives N traders a 10x long of 1_000 USD at 150 on a fresh market and a stop-loss at 146
each (`--kind limit`: a limit long at 145 each instead, no position), starts the keeper as
`perp-pool keeper run` does (LiquidationKeeper with orders, poll interval 0.2 s; the orders a scan
finds are signed with one blockhash, sent 32 at a time and confirmed together), then moves the
oracle to 144.5 (every trigger reached, no position liquidatable) and waits until every order has
executed.
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

from perp_pool.client import OrderKind, PerpPoolClient  # noqa: E402
from perp_pool.keeper.liquidator import LiquidationKeeper  # noqa: E402
from perp_pool.localnet import LocalNode  # noqa: E402
from perp_pool.math.pricing import Side  # noqa: E402
from perp_pool.tokens import ensure_ata  # noqa: E402
from tests.helpers import USDC, World, new_market, price_usd  # noqa: E402
from tests.test_trading import open_pos  # noqa: E402


async def one_run(world: World, n: int, kind: str) -> dict:
    m = await new_market(world, liquidity=1_000_000 * USDC)
    sem = asyncio.Semaphore(8)

    async def order_one(i: int):
        async with sem:
            w = await world.new_wallet(m.usdc, tokens=300 * USDC)
            args = (m.pool, m.sol.custody, m.usdc.custody, Side.LONG)
            if kind == "sl":
                await open_pos(world, m, w, Side.LONG, 100 * USDC + i, 1_000 * USDC)
                placed = await w.client.place_order(*args, OrderKind.STOP_LOSS, trigger_price=price_usd(146),
                                                    price_limit=0, size_usd=2**64 - 1,
                                                    funding_account=w.token_account)
            else:
                placed = await w.client.place_order(*args, OrderKind.LIMIT, trigger_price=price_usd(145),
                                                    price_limit=price_usd(145), size_usd=1_000 * USDC,
                                                    funding_account=w.token_account, collateral_amount=100 * USDC)
            return placed.event("OrderPlaced").data.order

    orders = await asyncio.gather(*(order_one(i) for i in range(n)))
    kp = await world.funded_keypair()
    await ensure_ata(world.client.transport, kp.pubkey(), m.usdc.mint)
    keeper = LiquidationKeeper(PerpPoolClient(world.connection, kp), m.pool, poll_interval=0.2, max_in_flight=8,
                               execute_orders=True)
    assert keeper.orders is not None
    stop = asyncio.Event()
    task = asyncio.create_task(keeper.run(stop))
    await asyncio.sleep(0.3)
    started = time.perf_counter()
    await world.set_price(m.sol, price=price_usd("144.5"))
    while len(keeper.orders.landed) < n and time.perf_counter() - started < 60:
        await asyncio.sleep(0.01)
    latency = time.perf_counter() - started
    stop.set()
    await task
    remaining = sum(1 for i in (await world.connection.get_multiple_accounts(orders)).value if i is not None)
    return {"seconds": latency, "landed": len(keeper.orders.landed), "remaining": remaining,
            "liquidated": len(keeper.landed)}


async def measure(url: str, n: int, runs: int, kind: str) -> dict:
    connection = AsyncClient(url, commitment=Confirmed, timeout=60)
    world = await World.create(connection)
    results = [await one_run(world, n, kind) for _ in range(runs)]
    await connection.close()
    assert all(r["landed"] == n and r["remaining"] == 0 and r["liquidated"] == 0 for r in results), results
    secs = [r["seconds"] for r in results]
    return {"orders": n, "kind": kind, "runs": runs, "latency_s_median": round(statistics.median(secs), 3),
            "latency_s_all": [round(s, 3) for s in secs]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--kind", choices=("sl", "limit"), default="sl")
    args = parser.parse_args()
    with LocalNode() as node:
        report = {"bench": "order_latency", **asyncio.run(measure(node.url, args.orders, args.runs, args.kind))}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
