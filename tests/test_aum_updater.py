"""The AUM updater on the node: it accrues borrow interest and refreshes pool.aum_usd, and it outlives
RPC failures and refused updates."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import pytest

from perp_pool import errors
from perp_pool.keeper.aum_updater import run_aum_updater
from perp_pool.math.pricing import Side
from tests.helpers import USDC, World, new_market, price_usd
from tests.test_trading import open_pos, trader

SOL_PRICE = price_usd(150)


class FlakyClient:
    """The real client, except that the first `update_pool_aum` calls raise `failures` in turn;
    `after_update` runs after each landed update."""

    def __init__(self, client: Any, failures: list[BaseException] = (), after_update: Any = None):
        self._client = client
        self.failures = list(failures)
        self.after_update = after_update
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def update_pool_aum(self, pool: Any) -> Any:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        result = await self._client.update_pool_aum(pool)
        if self.after_update:
            self.after_update()
        return result


async def update(client: Any, pool: Any, n: int = 1) -> int:
    return await run_aum_updater(client, pool, interval=0, stop=asyncio.Event(), max_updates=n)


async def test_update_after_time_passes_accrues_interest_and_moves_pool_aum(world: World, node_ext) -> None:
    m = await new_market(world, liquidity=10_000 * USDC)
    w = await trader(world, m, usdc=2_000 * USDC)
    await open_pos(world, m, w, Side.LONG, 500 * USDC, 4_000 * USDC)  # 40 % utilisation: a nonzero rate
    assert await update(world.client, m.pool) == 1
    custody_before = await world.client.fetch_custody(m.usdc.custody)
    aum_before = (await world.client.fetch_pool(m.pool)).aum_usd

    node_ext.warp_clock(10 * 3_600)
    await world.set_price(m.usdc, price=price_usd(1))  # the warp made both oracles stale
    await world.set_price(m.sol, price=SOL_PRICE)
    assert await update(world.client, m.pool) == 1

    custody_after = await world.client.fetch_custody(m.usdc.custody)
    aum_after = (await world.client.fetch_pool(m.pool)).aum_usd
    assert custody_after.borrow_rate_state.cumulative_interest > custody_before.borrow_rate_state.cumulative_interest
    assert custody_after.borrow_rate_state.last_update >= custody_before.borrow_rate_state.last_update + 10 * 3_600
    # ten hours at ~0.004 %/h on 4_000 USD of borrowed size is ~1.6 USD owed to the LPs
    assert 1_550_000 <= aum_after - aum_before <= 1_700_000


async def test_updater_logs_the_aum_of_the_event(world: World, caplog: pytest.LogCaptureFixture) -> None:
    m = await new_market(world, liquidity=1_000 * USDC)
    with caplog.at_level(logging.INFO, logger="perp_pool.keeper.aum_updater"):
        await update(world.client, m.pool)
    aum = (await world.client.fetch_pool(m.pool)).aum_usd
    assert any("event=aum_updated" in r.getMessage() and f"aum_usd={aum} " in r.getMessage()
               for r in caplog.records)


async def test_updater_survives_a_transient_rpc_failure_and_keeps_going(world: World) -> None:
    m = await new_market(world, liquidity=1_000 * USDC)
    client = FlakyClient(world.client, [httpx.ConnectError("connection refused")])
    assert await update(client, m.pool, n=2) == 2
    assert client.calls == 3


async def test_updater_survives_a_refused_update_and_keeps_going(world: World) -> None:
    m = await new_market(world, liquidity=1_000 * USDC)
    client = FlakyClient(world.client, [errors.StaleOraclePrice()])
    assert await update(client, m.pool, n=1) == 1
    assert client.calls == 2


async def test_stop_interrupts_the_wait_between_updates(world: World) -> None:
    m = await new_market(world, liquidity=1_000 * USDC)
    stop = asyncio.Event()
    client = FlakyClient(world.client, after_update=stop.set)
    started = time.monotonic()
    assert await run_aum_updater(client, m.pool, interval=60, stop=stop) == 1
    assert time.monotonic() - started < 10


async def test_a_bug_in_the_client_is_not_swallowed() -> None:
    class Broken:
        async def update_pool_aum(self, pool: Any) -> Any:
            raise TypeError("not an RPC failure")

    with pytest.raises(TypeError):
        await update(Broken(), None)
