"""Offline: the keeper's stake pool updates run beside its scans. An update that cannot land
(congestion: its transaction keeps expiring) must never hold up the scan that finds liquidations."""

from __future__ import annotations

import asyncio
import types

import pytest
from solana.rpc.core import UnconfirmedTxError

from perp_pool.keeper.liquidator import LiquidationKeeper, ScanResult


@pytest.mark.asyncio
async def test_a_stake_pool_update_that_never_lands_does_not_stall_the_liquidation_scans() -> None:
    client = types.SimpleNamespace(transport=None, program_id=None, connection=None,
                                   wallet=types.SimpleNamespace(pubkey=lambda: "keeper"))
    keeper = LiquidationKeeper(client, None, subscribe=False, poll_interval=0.01)
    scans = attempts = 0

    async def scan_once() -> ScanResult:
        nonlocal scans
        scans += 1
        return ScanResult(0, now=0)

    async def tick(now: int | None = None) -> int:
        nonlocal attempts
        attempts += 1
        raise UnconfirmedTxError("update_stake_pool not confirmed (congestion)")

    keeper.scan_once = scan_once  # type: ignore[method-assign]
    assert keeper.stake_updater is not None
    keeper.stake_updater.tick = tick  # type: ignore[method-assign]
    stop = asyncio.Event()
    loop = asyncio.create_task(keeper.run(stop))
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.wait_for(loop, 10)
    # About 100 scans in a second at a 10 ms interval; the update retried (backing off) meanwhile, and
    # only one was ever in flight.
    assert scans >= 20, f"{scans} scans in 1 s while the stake pool update kept failing"
    assert attempts >= 1
