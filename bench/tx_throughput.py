"""Confirmed transactions per second from the Python client against the node; prints JSON.

    .venv/bin/python bench/tx_throughput.py [--rpc-url URL] [--count 200] [--concurrency 8]

Measures, on one pool: node start-to-healthy time, sequential confirmed `add_liquidity` round trips
(send + confirm + fetch logs and events, as a bot does them) and the same with several in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solana.rpc.async_api import AsyncClient  # noqa: E402
from solana.rpc.commitment import Confirmed  # noqa: E402

from perp_pool.client import FeeConfig  # noqa: E402
from perp_pool.localnet import LocalNode  # noqa: E402
from tests.helpers import World  # noqa: E402


async def measure(url: str, count: int, concurrency: int) -> dict:
    connection = AsyncClient(url, commitment=Confirmed, timeout=60)
    world = await World.create(connection)
    p = await world.new_pool(fees=FeeConfig())
    wallets = [await world.new_wallet(p, tokens=10**12) for _ in range(concurrency)]
    # The pool's first deposit must be worth more than its dead shares (1 USD); the measured ones
    # are 1 USD-sized deposits into a funded pool.
    await world.deposit(p, wallets[0], 1_000 * 10**6)

    latencies: list[float] = []
    started = time.perf_counter()
    # Amounts differ so no two transactions are identical (a node drops duplicates).
    for i in range(count):
        t = time.perf_counter()
        await world.deposit(p, wallets[0], 1_000_000 + i)
        latencies.append(time.perf_counter() - t)
    sequential_s = time.perf_counter() - started

    async def worker(w, n: int) -> None:
        for i in range(n):
            await world.deposit(p, w, 2_000_000 + i)

    per_worker = max(1, count // concurrency)
    started = time.perf_counter()
    await asyncio.gather(*(worker(w, per_worker) for w in wallets))
    concurrent_s = time.perf_counter() - started
    await connection.close()
    latencies.sort()
    return {
        "sequential": {
            "transactions": count,
            "seconds": round(sequential_s, 3),
            "confirmed_tx_per_s": round(count / sequential_s, 1),
            "latency_ms_p50": round(statistics.median(latencies) * 1000, 2),
            "latency_ms_p95": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 2),
        },
        "concurrent": {
            "in_flight": concurrency,
            "transactions": per_worker * concurrency,
            "seconds": round(concurrent_s, 3),
            "confirmed_tx_per_s": round(per_worker * concurrency / concurrent_s, 1),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rpc-url")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    report: dict = {"bench": "tx_throughput", "instruction": "add_liquidity", "machine": platform.machine(),
                    "python": platform.python_version()}
    if args.rpc_url:
        report["node"] = args.rpc_url
        report.update(asyncio.run(measure(args.rpc_url, args.count, args.concurrency)))
    else:
        with LocalNode() as node:
            report["node"] = "perp-localnet (started by the bench)"
            report["node_start_to_healthy_ms"] = round((node.start_to_healthy_s or 0) * 1000, 1)
            report.update(asyncio.run(measure(node.url, args.count, args.concurrency)))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
