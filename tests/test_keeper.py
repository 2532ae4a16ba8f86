"""The liquidation keeper against the node: exactly the unhealthy positions, once, whatever happens."""

from __future__ import annotations

import asyncio
import contextlib
import inspect

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed

from perp_pool.client import FeeConfig, PerpPoolClient
from perp_pool.clock import node_unix_time
from perp_pool.keeper.health import evaluate
from perp_pool.keeper.liquidator import LiquidationKeeper
from perp_pool.localnet import free_port
from perp_pool.math.pricing import Side
from perp_pool.tokens import ensure_ata
from tests.helpers import USDC, World, new_market, price_usd
from tests.test_trading import open_pos, trader

FEES = FeeConfig(liquidation_bps=50, liquidator_reward_bps=20)
# (side, collateral USDC, size USD): leverage 5x .. 45x, both sides
BOOK = [(Side.LONG, 100, 500), (Side.LONG, 100, 2_000), (Side.LONG, 60, 2_500), (Side.LONG, 100, 4_000),
        (Side.SHORT, 100, 500), (Side.SHORT, 100, 2_500), (Side.SHORT, 80, 3_000)]


async def book(world: World, m, entries=BOOK):
    positions = []
    for side, collateral, size in entries:
        w = await trader(world, m)
        await open_pos(world, m, w, side, collateral * USDC, size * USDC)
        positions.append(m.position(w, side))
    return positions


# The loop tests run twice: polling on a timer, and on PubSub (where the poll interval is only the
# heartbeat, so a reaction faster than it comes from a notification).
MODES = ["polling", "subscription"]


async def keeper_for(world: World, m, connection: AsyncClient | None = None, *, ws_url: str | None = None,
                     poll_interval: float = 0.1) -> LiquidationKeeper:
    kp = await world.funded_keypair()
    await ensure_ata(world.client.transport, kp.pubkey(), m.usdc.mint)
    client = PerpPoolClient(connection or world.connection, kp)
    return LiquidationKeeper(client, m.pool, poll_interval=poll_interval, ws_url=ws_url, subscribe=ws_url is not None)


def mode_of(keeper: LiquidationKeeper) -> str:
    """What the `perp_keeper_mode` gauge says."""
    for state in MODES:
        if keeper.metrics.registry.get_sample_value("perp_keeper_mode", {"perp_keeper_mode": state}) == 1:
            return state
    raise AssertionError("no keeper mode")


async def until(predicate, timeout_s: float = 10.0) -> None:
    """Polls `predicate` (plain or async) until it holds."""
    for _ in range(int(timeout_s / 0.05)):
        result = predicate()
        if await result if inspect.isawaitable(result) else result:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("condition not reached")


async def alive(world: World, positions) -> set:
    infos = (await world.connection.get_multiple_accounts(positions, commitment=Confirmed)).value
    return {p for p, i in zip(positions, infos, strict=True) if i is not None}


async def test_offchain_health_and_liquidation_price_match_the_views(world: World) -> None:
    m = await new_market(world, fees=FEES)
    positions = await book(world, m)
    await world.set_price(m.sol, price=price_usd(141))
    keeper = await keeper_for(world, m)
    views = await keeper.fetch_positions()
    markets, now = await keeper.fetch_markets(views)
    assert {v.address for v in views} == set(positions)
    for v in views:
        state = await world.client.get_liquidation_state(v.address)
        price = await world.client.get_liquidation_price(v.address)
        # The views ran at some second in [now, later]: interest accrued by the second moves the
        # liquidation price, so the program must agree with the off-chain math at one of them.
        later = await node_unix_time(world.connection)
        candidates = {(h.liquidatable, h.liquidation_price) for h in (
            evaluate(v, markets[v.custody], markets[v.collateral_custody], t, with_liquidation_price=True)
            for t in range(now, later + 1))}
        assert (state, price) in candidates


PATHS = {
    "down_then_up": (price_usd(146), price_usd(141), price_usd(152), price_usd(160), price_usd(130)),
    "straight_up": (price_usd(151), price_usd(153), price_usd(156), price_usd(175)),
    "whipsaw": (price_usd("148.5"), price_usd("151.5"), price_usd(147), price_usd("153.5"), price_usd(144)),
}


@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
async def test_keeper_liquidates_exactly_the_positions_past_their_price(world: World, path) -> None:
    m = await new_market(world, fees=FEES)
    positions = await book(world, m)
    keeper = await keeper_for(world, m)
    liquidated = 0
    for price in path:
        await world.set_price(m.sol, price=price)
        open_now = await alive(world, positions)
        expected = {p for p in open_now if await world.client.get_liquidation_state(p)}
        scan = await keeper.scan_once()
        assert {p.address for p in scan.liquidatable} == expected, f"price {price}"
        keeper.dispatch(scan.liquidatable)
        await keeper.drain()
        assert await alive(world, positions) == open_now - expected, f"price {price}"
        liquidated += len(expected)
    assert liquidated > 0 and liquidated == len(keeper.landed)
    assert keeper.metrics.failed._value.get() == 0


async def test_two_racing_keepers_liquidate_each_position_once(world: World) -> None:
    m = await new_market(world, fees=FEES)
    positions = await book(world, m, [(Side.LONG, 50, 2_000)] * 6)
    # Just past their liquidation price (~148.05): what is left of the 48 USDC of collateral after
    # the LPs' 33.33 USD loss (14.67) pays the 10 USDC liquidation fee, then the 4 USDC reward;
    # both rank behind the loss, and the reward behind the fee.
    await world.set_price(m.sol, price=price_usd("147.5"))
    a, b = await keeper_for(world, m), await keeper_for(world, m)
    scan_a, scan_b = await a.scan_once(), await b.scan_once()
    assert len(scan_a.liquidatable) == len(scan_b.liquidatable) == 6
    a.dispatch(scan_a.liquidatable)
    b.dispatch(scan_b.liquidatable)
    await asyncio.gather(a.drain(), b.drain())
    assert await alive(world, positions) == set()
    assert len(a.landed) + len(b.landed) == 6
    assert set(a.landed).isdisjoint(b.landed)
    reward = 2_000 * USDC * 20 // 10_000
    balances = [await world.balance(await k.payout.for_mint(m.usdc.mint)) for k in (a, b)]
    assert sum(balances) == 6 * reward
    assert a.metrics.failed._value.get() == b.metrics.failed._value.get() == 0


class FlakyProxy:
    """A TCP proxy in front of the node that can go down and come back, like a restarting RPC node."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self.server: asyncio.AbstractServer | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def _pipe(self, reader, writer) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(Exception):
            writer.close()

    async def _handle(self, client_reader, client_writer) -> None:
        node_reader, node_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers |= {client_writer, node_writer}
        await asyncio.gather(self._pipe(client_reader, node_writer), self._pipe(node_reader, client_writer))

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in list(self.writers):
            with contextlib.suppress(Exception):
                w.close()
        self.writers.clear()
        await self.server.wait_closed()


@pytest.mark.parametrize("mode", MODES)
async def test_keeper_survives_the_node_going_away_and_finishes(world: World, rpc_url: str, ws_url: str,
                                                                mode: str) -> None:
    m = await new_market(world, fees=FEES)
    positions = await book(world, m, [(Side.LONG, 50, 2_000)] * 3)
    proxy = FlakyProxy(int(rpc_url.rsplit(":", 1)[1]))
    ws_proxy = FlakyProxy(int(ws_url.rsplit(":", 1)[1]))
    await proxy.up()
    await ws_proxy.up()
    connection = AsyncClient(f"http://127.0.0.1:{proxy.port}", commitment=Confirmed, timeout=2)
    subscribing = mode == "subscription"
    keeper = await keeper_for(world, m, connection, ws_url=f"ws://127.0.0.1:{ws_proxy.port}" if subscribing else None)
    stop = asyncio.Event()
    task = asyncio.create_task(keeper.run(stop))
    if subscribing:
        await until(lambda: mode_of(keeper) == "subscription")
    await asyncio.sleep(0.3)
    await proxy.down()  # the node vanishes...
    await ws_proxy.down()
    await world.set_price(m.sol, price=price_usd(140))  # ...while the positions become liquidatable
    await asyncio.sleep(1.0)
    assert keeper.metrics.rpc_errors._value.get() > 0
    assert not task.done()
    assert mode_of(keeper) == "polling"  # the websocket is down: the keeper polls
    await proxy.up()  # ...and comes back
    await ws_proxy.up()
    for _ in range(100):
        if not await alive(world, positions):
            break
        await asyncio.sleep(0.1)
    if subscribing:
        await until(lambda: mode_of(keeper) == "subscription")
    stop.set()
    await asyncio.wait_for(task, 10)
    await connection.close()
    await proxy.down()
    await ws_proxy.down()
    assert await alive(world, positions) == set()
    assert len(keeper.landed) == 3


async def test_racing_keepers_on_subscriptions_react_to_the_price_and_liquidate_once(world: World,
                                                                                     ws_url: str) -> None:
    m = await new_market(world, fees=FEES)
    positions = await book(world, m, [(Side.LONG, 50, 2_000)] * 6)
    # A 60 s heartbeat: only a notification can make these keepers scan within the test.
    a = await keeper_for(world, m, ws_url=ws_url, poll_interval=60)
    b = await keeper_for(world, m, ws_url=ws_url, poll_interval=60)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(k.run(stop)) for k in (a, b)]
    await until(lambda: mode_of(a) == mode_of(b) == "subscription")
    await until(lambda: bool(a.triggers and a.triggers._watching))
    await world.set_price(m.sol, price=price_usd("147.5"))
    await until(lambda: _none_alive(world, positions), timeout_s=15)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert len(a.landed) + len(b.landed) == 6
    assert set(a.landed).isdisjoint(b.landed)
    assert a.metrics.failed._value.get() == b.metrics.failed._value.get() == 0


async def _none_alive(world: World, positions) -> bool:
    return not await alive(world, positions)


@pytest.mark.parametrize("mode", MODES)
async def test_keeper_leaves_healthy_positions_alone(world: World, ws_url: str, mode: str) -> None:
    m = await new_market(world, fees=FEES)
    positions = await book(world, m)
    keeper = await keeper_for(world, m, ws_url=ws_url if mode == "subscription" else None)
    stop = asyncio.Event()
    task = asyncio.create_task(keeper.run(stop))
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert await alive(world, positions) == set(positions)
    assert keeper.metrics.sent._value.get() == 0
    assert keeper.metrics.positions._value.get() == len(positions)


@pytest.mark.parametrize("mode", MODES)
async def test_keeper_reconnects_after_a_real_node_restart(world: World, node_ext, mode: str) -> None:
    """A second perp-localnet process on a fixed port is stopped and started again while the keeper
    runs. The local node keeps its ledger in memory, so the restarted node is empty: the same admin
    rebuilds the same pool (same PDA) there, positions become liquidatable, and the still-running
    keeper — which only ever saw connection errors in between — liquidates them."""
    from perp_pool.localnet import LocalNode

    port, ws_port = free_port(), free_port()
    node = LocalNode(slot_ms=100, port=port, pubsub_port=ws_port).start()
    ws_url = node.ws_url if mode == "subscription" else None
    try:
        async def setup(connection: AsyncClient):
            w2 = World(connection, world.admin)
            await w2.airdrop(world.admin.pubkey(), 100 * 10**9)
            await w2.client.initialize()
            m = await new_market(w2, fees=FEES, name="restart-demo")
            return w2, m

        conn = AsyncClient(node.url, commitment=Confirmed, timeout=2)
        w2, m = await setup(conn)
        keeper = await keeper_for(w2, m, ws_url=ws_url)
        stop = asyncio.Event()
        task = asyncio.create_task(keeper.run(stop))
        await asyncio.sleep(0.3)
        node.stop()  # the node process exits
        await asyncio.sleep(1.0)
        assert keeper.metrics.rpc_errors._value.get() > 0 and not task.done()
        assert mode_of(keeper) == "polling"
        node = LocalNode(slot_ms=100, port=port, pubsub_port=ws_port).start()  # a new node on the same ports
        w3, m3 = await setup(AsyncClient(node.url, commitment=Confirmed, timeout=5))
        assert m3.pool == m.pool
        # the keeper's wallet is funded again on the new ledger
        await w3.airdrop(keeper.client.wallet.pubkey(), 10**9)
        await ensure_ata(w3.client.transport, keeper.client.wallet.pubkey(), m3.usdc.mint)
        positions = await book(w3, m3, [(Side.LONG, 50, 2_000)] * 2)
        await w3.set_price(m3.sol, price=price_usd(140))
        for _ in range(100):
            if not await alive(w3, positions):
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, 10)
        assert await alive(w3, positions) == set()
        assert len(keeper.landed) == 2
    finally:
        node.stop()
