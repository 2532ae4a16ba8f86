"""`--ledger DIR` / `--reset`: a stopped node restarts with every account and landed transaction
(and its blockhashes, signatures and snapshot slot); `--reset` starts a new chain. perp-localnet
only: each test starts its own nodes."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed, Finalized
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from perp_pool.localnet import LocalNode
from perp_pool.math.pricing import Side
from tests.conftest import rpc_call
from tests.helpers import USDC, World, new_market
from tests.test_trading import close_pos, open_pos, trader

SLOT_MS = 100


def ledger_node(tmp_path: Path, ledger: Path, *args: str) -> LocalNode:
    log = tmp_path / f"node-{time.monotonic_ns()}.log"
    return LocalNode(slot_ms=SLOT_MS, log_path=log, extra_args=["--ledger", str(ledger), *args])


async def account_bytes(conn: AsyncClient, address: Pubkey) -> bytes | None:
    info = (await conn.get_account_info(address, Confirmed)).value
    return None if info is None else bytes(info.data)


async def test_a_restart_keeps_state_history_and_blockhashes(tmp_path: Path, node_ext: object) -> None:
    ledger = tmp_path / "ledger"
    with ledger_node(tmp_path, ledger, "--reset") as node:
        async with AsyncClient(node.url, commitment=Confirmed) as conn:
            world = await World.create(conn)
            market = await new_market(world, liquidity=10_000 * USDC)
            wallet = await trader(world, market)
            opened = await open_pos(world, market, wallet, Side.LONG, 100 * USDC, 1_000 * USDC)
            position = market.position(wallet, Side.LONG)
            position_data = await account_bytes(conn, position)
            pool_data = await account_bytes(conn, market.pool)
            genesis = (await conn.get_genesis_hash()).value
            blockhash = (await conn.get_latest_blockhash(Confirmed)).value.blockhash
            slot_before = (await conn.get_slot(Confirmed)).value
    # SIGTERM (LocalNode.stop): the node closed its working slot and saved the chain.
    assert any(ledger.glob("snapshot-*.tar.zst")) and (ledger / "history.bin").exists()

    with ledger_node(tmp_path, ledger) as node:
        async with AsyncClient(node.url, commitment=Confirmed) as conn:
            assert (await conn.get_genesis_hash()).value == genesis
            assert (await conn.get_slot(Confirmed)).value > slot_before
            assert await account_bytes(conn, position) == position_data
            assert await account_bytes(conn, market.pool) == pool_data
            got = (await conn.get_transaction(opened.signature, commitment=Finalized,
                                             max_supported_transaction_version=0)).value
            assert got is not None and got.slot == opened.slot
            assert got.transaction.meta is not None
            assert got.transaction.meta.log_messages == opened.logs
            block = (await conn.get_block(opened.slot, max_supported_transaction_version=0)).value
            assert any(tx.transaction.signatures[0] == opened.signature for tx in block.transactions)  # type: ignore[union-attr]
            history = (await conn.get_signatures_for_address(position)).value
            assert opened.signature in [h.signature for h in history]
            # The restored bank is the saved one: its recent blockhashes are still valid.
            valid = rpc_call(node.url, "isBlockhashValid", [str(blockhash), {"commitment": "confirmed"}])
            assert valid["result"]["value"] is True
            assert rpc_call(node.url, "getHighestSnapshotSlot")["result"]["full"] >= opened.slot
            # And the program runs on it: the position closes.
            world = World(conn, world.admin)
            wallet.client = world.client.with_wallet(wallet.keypair)
            closed = await close_pos(world, market, wallet, Side.LONG)
            assert [e.name for e in closed.events] == ["PositionDecreased"]
            assert await account_bytes(conn, position) is None


async def test_reset_starts_a_new_chain(tmp_path: Path, node_ext: object) -> None:
    ledger = tmp_path / "ledger"
    with ledger_node(tmp_path, ledger, "--reset") as node:
        async with AsyncClient(node.url, commitment=Confirmed) as conn:
            target = Keypair().pubkey()
            await conn.confirm_transaction((await conn.request_airdrop(target, 10**9)).value, Confirmed)
            genesis = (await conn.get_genesis_hash()).value
    with ledger_node(tmp_path, ledger, "--reset") as node:
        async with AsyncClient(node.url, commitment=Confirmed) as conn:
            assert (await conn.get_genesis_hash()).value != genesis
            assert (await conn.get_balance(target)).value == 0


async def test_periodic_snapshots_survive_a_crash(tmp_path: Path, node_ext: object) -> None:
    ledger = tmp_path / "ledger"
    node = ledger_node(tmp_path, ledger, "--reset", "--snapshot-interval-slots", "10").start()
    try:
        async with AsyncClient(node.url, commitment=Confirmed) as conn:
            target = Keypair().pubkey()
            sig = (await conn.request_airdrop(target, 7 * 10**8)).value
            await conn.confirm_transaction(sig, Confirmed)
            landed = (await conn.get_signature_statuses([sig])).value[0]
            assert landed is not None
            deadline = time.monotonic() + 20
            while (rpc_call(node.url, "getHighestSnapshotSlot").get("result") or {}).get("full", -1) < landed.slot:
                assert time.monotonic() < deadline, "no periodic snapshot"
                await asyncio.sleep(0.1)
    finally:
        assert node.proc is not None
        node.proc.send_signal(signal.SIGKILL)  # no clean shutdown: only the periodic snapshot
        node.proc.wait()
    with ledger_node(tmp_path, ledger) as node:
        async with AsyncClient(node.url, commitment=Confirmed) as conn:
            assert (await conn.get_balance(target)).value == 7 * 10**8
            assert (await conn.get_transaction(sig)).value is not None
