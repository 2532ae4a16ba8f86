"""The oracle pusher and the grid bot on the node's PubSub, as the liquidation keeper: they react to
account and slot notifications while the websocket is up, poll while it is down, and their
Prometheus mode gauge says which (`perp_oracle_pusher_mode`, `perp_grid_mode`)."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from perp_pool.bots.grid import GridBot
from perp_pool.keeper.oracle_pusher import OraclePusherMetrics, RandomWalkSource, run_oracle_pusher
from perp_pool.localnet import free_port
from tests.helpers import USDC, World, new_market, price_usd
from tests.test_keeper import FlakyProxy, until
from tests.test_oracle_pusher import RecordingClient

MODES = ["polling", "subscription"]
# Where the websocket is "down": a port nothing listens on (connections are refused at once).
WEBSOCKET_DOWN = "down"
PUSHES, READS = "perp_oracle_pusher_pushes_total", "perp_oracle_pusher_node_reads_total"


def mode(registry: CollectorRegistry, prefix: str) -> str:
    """What the `<prefix>_mode` gauge says."""
    for state in MODES:
        if registry.get_sample_value(f"{prefix}_mode", {f"{prefix}_mode": state}) == 1:
            return state
    raise AssertionError(f"no {prefix} mode")


def dead_ws_url() -> str:
    return f"ws://127.0.0.1:{free_port()}"


def value(registry: CollectorRegistry, name: str) -> float:
    return registry.get_sample_value(name) or 0.0


# ---- the oracle pusher -----------------------------------------------------------------------

@pytest.mark.parametrize("websocket", ["up", WEBSOCKET_DOWN])
async def test_pusher_reads_the_node_only_while_the_websocket_is_down(world: World, ws_url: str,
                                                                      websocket: str) -> None:
    p = await world.new_pool()
    metrics = OraclePusherMetrics(CollectorRegistry())
    registry = metrics.registry
    client = RecordingClient(world.client, p.oracle)
    stop = asyncio.Event()
    started = await world.now()
    task = asyncio.create_task(run_oracle_pusher(
        client, p.custody, RandomWalkSource(price_usd(150), 10, seed=5), interval=0.1, stop=stop,
        ws_url=ws_url if websocket == "up" else dead_ws_url(), metrics=metrics))
    try:
        if websocket == "up":
            await until(lambda: mode(registry, "perp_oracle_pusher") == "subscription")
            # Once a push read nothing, the Clock and the oracle have both notified: from then on
            # no push reads the node.
            await until(lambda: value(registry, PUSHES) - value(registry, READS) >= 1)
            reads, pushes = value(registry, READS), value(registry, PUSHES)
            await until(lambda: value(registry, PUSHES) >= pushes + 5)
            assert value(registry, READS) == reads
        else:
            await until(lambda: value(registry, PUSHES) >= 5)
            assert mode(registry, "perp_oracle_pusher") == "polling"
            # While polling each push reads the Clock and the oracle once.
            assert value(registry, READS) >= value(registry, PUSHES)
            assert value(registry, "perp_oracle_pusher_ws_reconnects_total") > 0
    finally:
        stop.set()
        pushed = await asyncio.wait_for(task, 10)
    readings = client.readings
    assert pushed == len(readings) >= 5
    now = await world.now()
    times = [r.publish_time for r in readings]
    # The node's clock (not the host's), never backwards, never ahead. Not "within N seconds of now":
    # on a loaded machine the Clock notifications the pusher reads may trail the node by seconds.
    assert times == sorted(times) and started <= times[0] and times[-1] <= now


@pytest.mark.parametrize("websocket", ["up", WEBSOCKET_DOWN])
async def test_pusher_never_pushes_below_another_writers_newer_reading(world: World, ws_url: str,
                                                                       websocket: str) -> None:
    """Someone else writes the oracle with a publish_time ahead of the node's clock: the pusher
    learns it (notified, or read while polling) and keeps pushing instead of being refused."""
    p = await world.new_pool()
    metrics = OraclePusherMetrics(CollectorRegistry())
    client = RecordingClient(world.client, p.oracle)
    stop = asyncio.Event()
    task = asyncio.create_task(run_oracle_pusher(
        client, p.custody, RandomWalkSource(price_usd(150), 10, seed=6), interval=0.1, stop=stop,
        ws_url=ws_url if websocket == "up" else dead_ws_url(), metrics=metrics))
    expected = "subscription" if websocket == "up" else "polling"
    await until(lambda: mode(metrics.registry, "perp_oracle_pusher") == expected and len(client.readings) >= 2)
    ahead = await world.now() + 30
    await world.set_price(p, price=price_usd(151), publish_time=ahead)
    await until(lambda: task.done() or any(r.publish_time >= ahead and r.price != price_usd(151)
                                           for r in client.readings))
    stop.set()
    await asyncio.wait_for(task, 10)  # raises if a push was refused (OraclePublishTimeRegressed)
    assert mode(metrics.registry, "perp_oracle_pusher") == "polling"  # stopped: no socket any more


async def test_pusher_falls_back_to_reading_while_the_websocket_is_down(world: World, ws_url: str) -> None:
    p = await world.new_pool()
    proxy = FlakyProxy(int(ws_url.rsplit(":", 1)[1]))
    await proxy.up()
    metrics = OraclePusherMetrics(CollectorRegistry())
    registry = metrics.registry
    stop = asyncio.Event()
    task = asyncio.create_task(run_oracle_pusher(
        world.client, p.custody, RandomWalkSource(price_usd(150), 10, seed=7), interval=0.1, stop=stop,
        ws_url=f"ws://127.0.0.1:{proxy.port}", metrics=metrics))
    try:
        await until(lambda: mode(registry, "perp_oracle_pusher") == "subscription")
        await proxy.down()
        await until(lambda: mode(registry, "perp_oracle_pusher") == "polling")
        reads, pushes = value(registry, READS), value(registry, PUSHES)
        # Each push reads the node now (but one that had read the notified values before the flip).
        await until(lambda: value(registry, PUSHES) >= pushes + 4)
        assert value(registry, READS) >= reads + 3
        await proxy.up()
        await until(lambda: mode(registry, "perp_oracle_pusher") == "subscription")
        pushes = value(registry, PUSHES)
        await until(lambda: value(registry, PUSHES) >= pushes + 3)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await proxy.down()


# ---- the grid bot ----------------------------------------------------------------------------

async def grid_bot(world: World, m, *, ws_url: str | None) -> GridBot:
    w = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
    return GridBot(w.client, m.pool, m.sol.custody, m.usdc.custody, levels=3, spacing_bps=100, size_usd=100 * USDC,
                   leverage_bps=50_000, ws_url=ws_url, subscribe=ws_url is not None)


async def test_grid_bot_steps_on_a_price_notification(world: World, ws_url: str) -> None:
    m = await new_market(world, sol_price=price_usd(150))
    bot = await grid_bot(world, m, ws_url=ws_url)
    registry = bot.metrics.registry
    stop = asyncio.Event()
    # A 60 s interval: only a notification can make the bot step again within the test.
    task = asyncio.create_task(bot.run(stop, interval=60))
    try:
        await until(lambda: mode(registry, "perp_grid") == "subscription")
        await until(lambda: bool(bot.triggers and bot.triggers._watching))
        await until(lambda: bot.reference_price is not None)
        await world.set_price(m.sol, price=price_usd(148))  # through the first level (148.5)
        await until(_position_opened(world, bot), timeout_s=10)
        assert value(registry, "perp_grid_notifications_total") > 0
        assert mode(registry, "perp_grid") == "subscription"
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert (await world.client.fetch_position(bot.position)).size_usd == 100 * USDC


async def test_grid_bot_polls_while_the_websocket_is_down(world: World, ws_url: str) -> None:
    m = await new_market(world, sol_price=price_usd(150))
    proxy = FlakyProxy(int(ws_url.rsplit(":", 1)[1]))
    await proxy.up()
    bot = await grid_bot(world, m, ws_url=f"ws://127.0.0.1:{proxy.port}")
    registry = bot.metrics.registry
    stop = asyncio.Event()
    task = asyncio.create_task(bot.run(stop, interval=0.2))
    try:
        await until(lambda: mode(registry, "perp_grid") == "subscription")
        await proxy.down()
        await until(lambda: mode(registry, "perp_grid") == "polling")
        notified = value(registry, "perp_grid_notifications_total")
        await world.set_price(m.sol, price=price_usd(148))
        await until(_position_opened(world, bot), timeout_s=10)  # found by polling
        assert mode(registry, "perp_grid") == "polling"
        assert value(registry, "perp_grid_notifications_total") == notified
        await proxy.up()
        await until(lambda: mode(registry, "perp_grid") == "subscription")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await proxy.down()


async def test_grid_bot_without_a_websocket_polls(world: World) -> None:
    m = await new_market(world, sol_price=price_usd(150))
    bot = await grid_bot(world, m, ws_url=None)
    bot_down = GridBot(bot.client, m.pool, m.sol.custody, m.usdc.custody, levels=3, spacing_bps=100,
                       size_usd=100 * USDC, leverage_bps=50_000, dry_run=True, ws_url=dead_ws_url())
    stop = asyncio.Event()
    tasks = [asyncio.create_task(b.run(stop, interval=0.1)) for b in (bot, bot_down)]
    try:
        await until(lambda: value(bot_down.metrics.registry, "perp_grid_ws_reconnects_total") > 0)
        await until(lambda: value(bot.metrics.registry, "perp_grid_steps_total") >= 3)
        for b in (bot, bot_down):
            assert mode(b.metrics.registry, "perp_grid") == "polling"
        assert bot.triggers is None
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)


def _position_opened(world: World, bot: GridBot):
    async def check() -> bool:
        return (await world.connection.get_account_info(bot.position)).value is not None
    return check
