"""The AUM updater: calls the permissionless `update_pool_aum` once per interval, which accrues every
custody's borrow index to now and stores the pool's min-mode AUM in `pool.aum_usd`.

Without it a quiet pool's `pool.aum_usd` snapshot and its custodies' `cumulative_interest` only
move when someone trades or provides liquidity; indexers and dashboards read both.

Failures never stop the loop: a transient RPC failure is retried with the client's retry policy
(`perp_pool.retry`: exponential backoff until the next success, then the interval resumes); a
program error (a stale oracle, trading paused...) is logged and the update is tried again at the
next interval. Only a bug (an exception that is neither) propagates.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from solders.pubkey import Pubkey

from perp_pool import errors
from perp_pool.logfmt import kv
from perp_pool.retry import RETRY_BASE_S, Stopped, retry_transient, sleep_or_stop

log = logging.getLogger(__name__)


def _aum_from(result: Any) -> tuple[int | None, int | None]:
    """(aum_usd, time) from the transaction's PoolAumUpdated event, (None, None) if absent."""
    try:
        data = result.event("PoolAumUpdated").data
    except (AttributeError, LookupError):
        return None, None
    return data.aum_usd, data.time


async def run_aum_updater(client: Any, pool: Pubkey, *, interval: float, stop: asyncio.Event,
                          max_updates: int | None = None) -> int:
    """Updates `pool`'s AUM every `interval` seconds until `stop` is set or `max_updates`
    updates have landed; returns how many landed."""
    if interval < 0:
        raise ValueError("interval must be >= 0")
    if max_updates is not None and max_updates < 0:
        raise ValueError("max_updates must be >= 0")
    updates = 0
    log.info(kv(event="aum_updater_started", pool=pool, interval=interval, max_updates=max_updates))
    started = time.monotonic()

    async def update() -> Any:
        nonlocal started
        started = time.monotonic()  # the interval runs from the attempt that landed or was refused
        return await client.update_pool_aum(pool)

    while not stop.is_set() and (max_updates is None or updates < max_updates):
        try:
            result = await retry_transient(update, stop=stop, what="update_pool_aum", logger=log, pool=pool)
        except Stopped:
            break
        except errors.TransactionFailed as exc:  # the program said no: try at the next interval
            wait = max(interval - (time.monotonic() - started), RETRY_BASE_S)  # never a busy loop
            log.warning(kv(event="aum_update_rejected", pool=pool, error=type(exc).__name__,
                           detail=str(exc)[:200], retry_in=round(wait, 3)))
        else:
            updates += 1
            aum_usd, node_time = _aum_from(result)
            log.info(kv(event="aum_updated", pool=pool, aum_usd=aum_usd, time=node_time, updates=updates,
                        signature=getattr(result, "signature", None), slot=getattr(result, "slot", None)))
            if max_updates is not None and updates >= max_updates:
                break
            wait = interval - (time.monotonic() - started)
        if await sleep_or_stop(stop, wait):
            break
    log.info(kv(event="aum_updater_stopped", pool=pool, updates=updates))
    return updates


__all__ = ["run_aum_updater"]
