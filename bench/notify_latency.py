"""Notification latency: from a transaction's confirmation to the accountSubscribe notification of
the account it changed, p50/p95; prints JSON.

    .venv/bin/python bench/notify_latency.py [--count 300] [--other-subscribers 100]

On perp-localnet a transaction is confirmed when sendTransaction returns (it executed and was
committed), so "confirmation" is the moment the client has the signature back; the notification
is timestamped by a task reading the websocket (solana-py's client) as it arrives. Each transfer
changes the one watched account, `--other-subscribers` more connections watch other accounts
meanwhile (the notifier serves them too).
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

import websockets  # noqa: E402
from solana.rpc.async_api import AsyncClient  # noqa: E402
from solana.rpc.commitment import Confirmed  # noqa: E402
from solana.rpc.types import TxOpts  # noqa: E402
from solana.rpc.websocket_api import connect  # noqa: E402
from solders.keypair import Keypair  # noqa: E402
from solders.message import Message  # noqa: E402
from solders.rpc.responses import AccountNotification, SubscriptionResult  # noqa: E402
from solders.system_program import TransferParams, transfer  # noqa: E402
from solders.transaction import Transaction  # noqa: E402

from perp_pool.localnet import LocalNode  # noqa: E402


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(pick(0.95) * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2), "min_ms": round(ordered[0] * 1000, 2)}


async def measure(url: str, ws_url: str, count: int, others: int) -> dict:
    conn = AsyncClient(url, commitment=Confirmed, timeout=30)
    payer, watched = Keypair(), Keypair()
    await conn.confirm_transaction((await conn.request_airdrop(payer.pubkey(), 10**13)).value, Confirmed)
    extra = [await websockets.connect(ws_url) for _ in range(others)]
    for i, sock in enumerate(extra):
        await sock.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "accountSubscribe",
                                    "params": [str(Keypair().pubkey()), {"commitment": "confirmed"}]}))
        await sock.recv()
    arrivals: asyncio.Queue[float] = asyncio.Queue()
    async with connect(ws_url) as ws:
        await ws.account_subscribe(watched.pubkey(), Confirmed, "base64")
        assert isinstance((await ws.recv())[0], SubscriptionResult)

        async def reader() -> None:
            while True:
                for message in await ws.recv():
                    if isinstance(message, AccountNotification):
                        arrivals.put_nowait(time.perf_counter())

        task = asyncio.create_task(reader())
        confirm_to_note, send_to_note = [], []
        blockhash = (await conn.get_latest_blockhash(Confirmed)).value.blockhash
        for i in range(count):
            if i % 100 == 0:
                blockhash = (await conn.get_latest_blockhash(Confirmed)).value.blockhash
            ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=watched.pubkey(),
                                         lamports=1_000_000 + i))
            tx = Transaction([payer], Message.new_with_blockhash([ix], payer.pubkey(), blockhash), blockhash)
            sent = time.perf_counter()
            await conn.send_raw_transaction(bytes(tx), TxOpts(skip_confirmation=True, preflight_commitment=Confirmed))
            confirmed = time.perf_counter()
            arrived = await asyncio.wait_for(arrivals.get(), 10)
            confirm_to_note.append(max(0.0, arrived - confirmed))
            send_to_note.append(arrived - sent)
        task.cancel()
    for sock in extra:
        await sock.close()
    await conn.close()
    return {"notifications": count, "other_subscribers": others,
            "confirmation_to_notification": percentiles(confirm_to_note),
            "send_to_notification": percentiles(send_to_note),
            "notified_before_the_send_returned": sum(1 for v in confirm_to_note if v == 0.0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--other-subscribers", type=int, default=100)
    args = parser.parse_args()
    with LocalNode() as node:
        result = asyncio.run(measure(node.url, node.ws_url, args.count, args.other_subscribers))
    print(json.dumps({"bench": "notify_latency", **result}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
