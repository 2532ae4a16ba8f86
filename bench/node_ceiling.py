"""The node's ceiling (confirmed transfers per second in-process, no RPC) against what the Python
client reaches through JSON-RPC on the same workload; prints JSON.

    .venv/bin/python bench/node_ceiling.py [--count 10000] [--rpc-count 2000]

The ceiling is `perp-localnet --bench-transfers N` (localnet/src/bench.rs): SOL transfers verified,
executed and committed through the node's own `send`, with slots closing every 400 ms. Through RPC,
solana-py's AsyncClient signs and sends the same transfers (preflight on, as by default) and
confirms them with getSignatureStatuses, three ways: one at a time, 8 in flight, and pipelined (64
sends in flight, confirmations batched 256 per call).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solana.rpc.async_api import AsyncClient  # noqa: E402
from solana.rpc.commitment import Confirmed  # noqa: E402
from solana.rpc.types import TxOpts  # noqa: E402
from solders.hash import Hash  # noqa: E402
from solders.keypair import Keypair  # noqa: E402
from solders.message import Message  # noqa: E402
from solders.signature import Signature  # noqa: E402
from solders.system_program import TransferParams, transfer  # noqa: E402
from solders.transaction import Transaction  # noqa: E402

from perp_pool.localnet import LocalNode, find_binary  # noqa: E402

OPTS = TxOpts(skip_confirmation=True, preflight_commitment=Confirmed)


class Sender:
    """Signs transfers from a few funded payers under a blockhash refreshed every second."""

    def __init__(self, conn: AsyncClient, payers: list[Keypair]):
        self.conn, self.payers = conn, payers
        self.blockhash: Hash | None = None
        self.fetched = 0.0
        self.n = 0

    async def tx(self) -> Transaction:
        if self.blockhash is None or time.monotonic() - self.fetched > 1.0:
            self.blockhash = (await self.conn.get_latest_blockhash(Confirmed)).value.blockhash
            self.fetched = time.monotonic()
        self.n += 1
        payer = self.payers[self.n % len(self.payers)]
        ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(),
                                     lamports=1_000_000 + self.n))
        return Transaction([payer], Message.new_with_blockhash([ix], payer.pubkey(), self.blockhash),
                           self.blockhash)

    async def send(self) -> Signature:
        return (await self.conn.send_raw_transaction(bytes(await self.tx()), OPTS)).value

    async def confirmed(self, sigs: list[Signature]) -> int:
        ok = 0
        pending = list(sigs)
        while pending:
            chunk, pending = pending[:256], pending[256:]
            while True:
                statuses = (await self.conn.get_signature_statuses(chunk)).value
                if all(s is not None for s in statuses):
                    ok += sum(1 for s in statuses if s is not None and s.err is None)
                    break
                await asyncio.sleep(0.01)
        return ok


def rate(ok: int, seconds: float) -> dict:
    return {"transactions": ok, "seconds": round(seconds, 3), "tx_per_s": round(ok / seconds, 1)}


async def through_rpc(url: str, count: int) -> dict:
    conn = AsyncClient(url, commitment=Confirmed, timeout=60)
    payers = [Keypair() for _ in range(8)]
    for p in payers:
        await conn.confirm_transaction((await conn.request_airdrop(p.pubkey(), 10**15)).value, Confirmed)
    sender = Sender(conn, payers)
    out = {}

    started = time.perf_counter()
    ok = 0
    for _ in range(count // 4):
        ok += await sender.confirmed([await sender.send()])
    out["sequential"] = rate(ok, time.perf_counter() - started)

    async def worker(n: int) -> int:
        return sum([await sender.confirmed([await sender.send()]) for _ in range(n)])

    started = time.perf_counter()
    ok = sum(await asyncio.gather(*(worker(count // 4 // 8) for _ in range(8))))
    out["in_flight_8"] = rate(ok, time.perf_counter() - started)

    started = time.perf_counter()
    sem = asyncio.Semaphore(64)

    async def send_one() -> Signature:
        async with sem:
            return await sender.send()

    sigs = await asyncio.gather(*(send_one() for _ in range(count)))
    ok = await sender.confirmed(list(sigs))
    out["pipelined_64"] = rate(ok, time.perf_counter() - started)
    await conn.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="transfers for the in-process ceiling")
    parser.add_argument("--rpc-count", type=int, default=2_000, help="transfers through RPC (pipelined run)")
    args = parser.parse_args()
    ceiling = json.loads(subprocess.run([str(find_binary()), "--bench-transfers", str(args.count)],
                                        check=True, capture_output=True, text=True).stdout)
    with LocalNode() as node:
        rpc = asyncio.run(through_rpc(node.url, args.rpc_count))
    best = max(r["tx_per_s"] for r in rpc.values())
    report = {
        "bench": "node_ceiling", "machine": platform.machine(), "python": platform.python_version(),
        "ceiling_in_process": ceiling,
        "python_client_through_rpc": rpc,
        "best_rpc_over_ceiling": round(best / ceiling["sequential"]["tx_per_s"], 3),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
