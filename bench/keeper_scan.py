"""Keeper scan speed: 10,000 positions fetched, decoded and health-checked; prints JSON.

    .venv/bin/python bench/keeper_scan.py [--positions 10000]

Needs the local node's perpnode_setAccount to place the positions: one real position is opened, and
copies of it (other owners, sizes and collateral) are written at fresh addresses. Reports the full
scan (getProgramAccounts + decode + health) and, on the same raw accounts, decode+health alone and
decoding with anchorpy's generic account coder, for the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from solana.rpc.async_api import AsyncClient  # noqa: E402
from solana.rpc.commitment import Confirmed  # noqa: E402
from solders.keypair import Keypair  # noqa: E402

from perp_pool.client import PerpPoolClient  # noqa: E402
from perp_pool.keeper.health import POSITION_SIZE, decode_position, evaluate  # noqa: E402
from perp_pool.keeper.liquidator import LiquidationKeeper  # noqa: E402
from perp_pool.localnet import LocalNode  # noqa: E402
from perp_pool.math.pricing import Side  # noqa: E402
from tests.helpers import USDC, World, new_market  # noqa: E402
from tests.test_trading import open_pos  # noqa: E402


def variants(template: bytes, n: int, seed: int = 7) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        data = bytearray(template)
        data[8:40] = bytes(Keypair().pubkey())  # owner
        size = rng.randint(100, 5_000) * USDC
        data[161:169] = size.to_bytes(8, "little")  # size_usd
        data[169:177] = rng.randint(size // 45, size // 2).to_bytes(8, "little")  # collateral_amount
        out.append((str(Keypair().pubkey()), bytes(data)))
    return out


def place(url: str, accounts: list[tuple[str, bytes]], lamports: int, owner: str) -> None:
    with httpx.Client(timeout=60) as http:
        for i in range(0, len(accounts), 500):
            batch = [{"jsonrpc": "2.0", "id": j, "method": "perpnode_setAccount",
                      "params": [key, {"lamports": lamports, "data": [base64.b64encode(data).decode(), "base64"],
                                       "owner": owner}]} for j, (key, data) in enumerate(accounts[i:i + 500])]
            replies = http.post(url, json=batch).json()
            assert all("error" not in r for r in replies), replies[:1]


async def measure(url: str, n: int, runs: int) -> dict:
    connection = AsyncClient(url, commitment=Confirmed, timeout=120)
    world = await World.create(connection)
    m = await new_market(world)
    w = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_000 * USDC)
    real = (await connection.get_account_info(m.position(w, Side.LONG))).value
    accounts = variants(bytes(real.data), n - 1)
    place(url, accounts, real.lamports, str(real.owner))

    keeper = LiquidationKeeper(PerpPoolClient(connection, world.admin), m.pool)
    scans = []
    for _ in range(runs):
        result = await keeper.scan_once()
        assert result.positions == n
        scans.append(result.seconds)

    raw = [(a.pubkey, bytes(a.account.data)) for a in (await connection.get_program_accounts(
        world.client.program_id, encoding="base64")).value if len(a.account.data) == POSITION_SIZE]
    # Every placed position must be measured: an empty list would print a meaningless 0.
    assert len(raw) == n, (len(raw), n)
    views = [decode_position(k, d) for k, d in raw]
    markets, now = await keeper.fetch_markets(views)
    started = time.perf_counter()
    for k, d in raw:
        p = decode_position(k, d)
        evaluate(p, markets[p.custody], markets[p.collateral_custody], now)
    fast = time.perf_counter() - started
    coder = world.client.program.coder.accounts
    started = time.perf_counter()
    for _, d in raw:
        coder.decode(d)
    generic = time.perf_counter() - started
    started = time.perf_counter()
    for k, d in raw:
        decode_position(k, d)
    fast_decode = time.perf_counter() - started
    await connection.close()
    scan = statistics.median(scans)
    return {
        "positions": n,
        "full_scan_s_median": round(scan, 3),
        "full_scan_positions_per_s": round(n / scan),
        "decode_and_health_s": round(fast, 3),
        "decode_and_health_positions_per_s": round(len(raw) / fast),
        "decode_only_s": round(fast_decode, 4),
        "anchorpy_generic_decode_only_s": round(generic, 3),
        "generic_over_fast_decode_ratio": round(generic / fast_decode, 1),
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--positions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with LocalNode() as node:
        report = {"bench": "keeper_scan", **asyncio.run(measure(node.url, args.positions, args.runs))}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
