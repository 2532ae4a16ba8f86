"""Multi-asset pools: the program's account sizes (Pool, Custody, Position, Perpetuals, and a Pool
of 3 custodies) and the Python client's round-trip rate for a multi-asset deposit; prints JSON.

    .venv/bin/python bench/multi_asset.py [--rpc-url URL] [--count 100]

One round trip = `add_liquidity` into one custody of a 3-custody pool (USDC, SOL, BTC with weight
rules, funded at their targets), its minimum LP out from the program's quote (a simulation, as
the CLI and `PerpPoolClient.add_liquidity` do by default), sent, confirmed and read back with its
events, the custodies taken in turn; sequential, one wallet per custody. The same loop with an
explicit minimum (no quote) is reported too, and a swap round trip (quote, then swap).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solana.rpc.async_api import AsyncClient  # noqa: E402
from solana.rpc.commitment import Confirmed  # noqa: E402

from perp_pool.localnet import LocalNode  # noqa: E402
from perp_pool.math.pricing import Side  # noqa: E402
from tests.helpers import World  # noqa: E402
from tests.multi_pool_support import fund_wallet, new_multi_pool, three_assets  # noqa: E402


def _stats(latencies: list[float], elapsed: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "count": len(ordered),
        "seconds": round(elapsed, 3),
        "per_s": round(len(ordered) / elapsed, 1),
        "ms_p50": round(statistics.median(ordered) * 1000, 2),
        "ms_p95": round(ordered[max(int(len(ordered) * 0.95) - 1, 0)] * 1000, 2),
    }


async def measure(url: str, count: int) -> dict[str, Any]:
    connection = AsyncClient(url, commitment=Confirmed, timeout=60)
    world = await World.create(connection)
    m = await new_multi_pool(world, three_assets())
    c = world.client

    async def size(key: Any) -> int:
        return len((await connection.get_account_info(key)).value.data)

    sizes = {"Perpetuals": await size(c.perpetuals_address), "Pool (3 custodies)": await size(m.pool),
             "Custody": await size(m["SOL"].custody)}
    trader = await world.funded_keypair()
    accounts = await fund_wallet(world, m, trader.pubkey(), {"USDC": 1_000 * 10**6, "SOL": 10 * 10**9})
    trader_client = c.with_wallet(trader)
    # A long on SOL with USDC collateral: the position account's size.
    await trader_client.open_position(m.pool, m["SOL"].custody, m["USDC"].custody, Side.LONG, price_limit=2**63,
                                      collateral_amount=100 * 10**6, size_usd=500 * 10**6,
                                      funding_account=accounts["USDC"])
    sizes["Position"] = await size(trader_client.position_address(m.pool, m["SOL"].custody, m["USDC"].custody,
                                                                  Side.LONG))

    symbols = list(m.custodies)
    wallets = {}
    for s in symbols:
        unit = m.assets[s].liquidity // 10_000  # 0.01 % of the custody's liquidity per deposit
        wallets[s] = (await world.new_wallet(m[s], tokens=unit * 2 * count), unit)

    async def deposits(quoted: bool) -> dict[str, Any]:
        latencies = []
        started = time.perf_counter()
        for i in range(count):
            s = symbols[i % len(symbols)]
            w, unit = wallets[s]
            t = time.perf_counter()
            # distinct amounts keep the transactions distinct within one blockhash
            result = await w.client.add_liquidity(m.pool, m[s].custody, amount_in=unit + i,
                                                  funding_account=w.token_account, lp_token_account=w.lp_account,
                                                  min_lp_amount_out=None if quoted else 0)
            result.event("LiquidityAdded")
            latencies.append(time.perf_counter() - t)
        return _stats(latencies, time.perf_counter() - started)

    quoted = await deposits(True)
    explicit = await deposits(False)
    latencies = []
    started = time.perf_counter()
    swaps = max(count // 4, 1)
    for i in range(swaps):
        t = time.perf_counter()
        pair = ("USDC", "SOL") if i % 2 == 0 else ("SOL", "USDC")
        amount = 10 * 10**6 + i if pair[0] == "USDC" else 50_000_000 + i
        (await trader_client.swap(m.pool, m[pair[0]].mint, m[pair[1]].mint, amount_in=amount)).event("Swapped")
        latencies.append(time.perf_counter() - t)
    swap_stats = _stats(latencies, time.perf_counter() - started)
    await connection.close()
    return {
        "account_bytes": sizes,
        "pool_custodies": len(symbols),
        "deposit_round_trips_quoted": quoted,
        "deposit_round_trips_explicit_min": explicit,
        "swap_round_trips_quoted": swap_stats,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rpc-url")
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    report: dict[str, Any] = {"bench": "multi_asset"}
    if args.rpc_url:
        report.update(asyncio.run(measure(args.rpc_url, args.count)))
    else:
        with LocalNode() as node:
            report.update(asyncio.run(measure(node.url, args.count)))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
