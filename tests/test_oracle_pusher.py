"""The oracle pusher: price sources (file, stdin, random walk), the integer EMA, and pushes on the node
read back from the custom oracle account."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from perp_pool import errors
from perp_pool.constants import PRICE_DECIMALS
from perp_pool.keeper.oracle_pusher import (
    DEFAULT_EMA_PERIOD,
    FileSource,
    IntegerEma,
    PricePoint,
    RandomWalkSource,
    StdinSource,
    ema_next,
    parse_decimal_price,
    run_oracle_pusher,
)
from tests.helpers import World, price_usd, unix_now


class RecordingClient:
    """The real client, except that each push is followed by reading the oracle back from the chain
    (so the order of what landed is observable) and the first `failures` pushes fail like an
    unreachable node. `after_push` runs after each landed push."""

    def __init__(self, client: Any, oracle: Any, failures: int = 0, after_push: Any = None):
        self._client = client
        self.oracle = oracle
        self.failures = failures
        self.after_push = after_push
        self.calls = 0
        self.readings: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def set_custom_oracle_price(self, custody: Any, **params: Any) -> Any:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise httpx.ConnectError("connection refused")
        result = await self._client.set_custom_oracle_price(custody, **params)
        self.readings.append(await self._client.fetch_custom_oracle(self.oracle))
        if self.after_push:
            self.after_push()
        return result


async def push_all(world: World, source: Any, *, count: int | None = None,
                   failures: int = 0) -> tuple[RecordingClient, int]:
    """Pushes `source` to a fresh custody's oracle with no interval; (client, pushed)."""
    p = await world.new_pool()
    client = RecordingClient(world.client, p.oracle, failures=failures)
    pushed = await run_oracle_pusher(client, p.custody, source, interval=0, stop=asyncio.Event(), count=count)
    return client, pushed


def walk(source: RandomWalkSource, n: int) -> list[int]:
    out = []
    for point in source:
        out.append(point.price)
        if len(out) == n:
            return out
    return out


# ---- sources, offline ------------------------------------------------------------------------

def test_decimal_prices_are_parsed_exactly_into_price_decimals() -> None:
    assert PRICE_DECIMALS == 9
    assert parse_decimal_price("151.25") == 151_250_000_000
    assert parse_decimal_price("0.000000001") == 1
    assert parse_decimal_price("0.00002") == 20_000
    assert parse_decimal_price("1e2") == 100_000_000_000
    assert parse_decimal_price(Decimal("98765432.123456789")) == 98_765_432_123_456_789
    assert parse_decimal_price("1.0000000005") == 1_000_000_000  # half-even at the 10th decimal
    assert parse_decimal_price("1.0000000015") == 1_000_000_002


def test_float_prices_are_refused() -> None:
    with pytest.raises(ValueError):
        parse_decimal_price(151.25)


def test_csv_without_a_price_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("time,value\n1,151.25\n")
    with pytest.raises(ValueError, match="price"):
        FileSource(path)


def test_non_positive_file_price_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("price\n151.25\n0\n")
    with pytest.raises(ValueError, match="line 3"):
        FileSource(path)


def test_json_floats_are_read_as_decimals(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text("[0.1, 0.2, 0.3]")  # 0.1 as a float is 0.1000000000000000055...
    assert [p.price for p in FileSource(path)] == [100_000_000, 200_000_000, 300_000_000]


async def test_stdin_source_reads_one_price_per_line_and_skips_bad_lines() -> None:
    stream = io.StringIO("151.25\n\n# a comment\nnot a price\n-3\n150\n")
    assert [p async for p in StdinSource(stream)] == [PricePoint(price_usd("151.25")), PricePoint(price_usd(150))]


async def test_stdin_source_reads_a_pipe_without_blocking_the_loop() -> None:
    read_fd, write_fd = os.pipe()
    reader = os.fdopen(read_fd, "r")
    try:
        points: list[int] = []

        async def consume() -> None:
            async for p in StdinSource(reader):
                points.append(p.price)

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.05)  # the reader waits on an empty pipe; the loop must stay free
        assert not task.done()
        os.write(write_fd, b"151.25\n152\n")
        os.close(write_fd)
        await asyncio.wait_for(task, timeout=5)
        assert points == [price_usd("151.25"), price_usd(152)]
    finally:
        reader.close()


def test_random_walk_is_deterministic_for_a_seed() -> None:
    start = price_usd(150)
    assert walk(RandomWalkSource(start, 50, seed=7), 500) == walk(RandomWalkSource(start, 50, seed=7), 500)


def test_random_walk_differs_between_seeds() -> None:
    start = price_usd(150)
    assert walk(RandomWalkSource(start, 50, seed=7), 50) != walk(RandomWalkSource(start, 50, seed=8), 50)


def test_random_walk_starts_at_its_start_price_and_moves_at_most_vol_bps() -> None:
    prices = walk(RandomWalkSource(price_usd(150), 25, seed=1), 1_000)
    assert prices[0] == price_usd(150)
    for before, after in itertools.pairwise(prices):
        assert abs(after * 10_000 - before * 10_000) <= before * 25 + 10_000  # 25 bps, plus rounding
    assert all(isinstance(p, int) for p in prices)


def test_random_walk_never_reaches_zero_even_at_full_volatility() -> None:
    for start in (1, 1_000, price_usd(150)):
        assert min(walk(RandomWalkSource(start, 10_000, seed=3), 5_000)) >= 1


# ---- EMA math, offline -----------------------------------------------------------------------

def test_ema_step_is_the_closed_form_rounded_half_up() -> None:
    # alpha = 2/11: 100 + (110 - 100) * 2/11 = 101.818181818|18...
    assert ema_next(price_usd(100), price_usd(110), 10) == 101_818_181_818
    # exactly half way rounds up: (2*1 + 2*0) / 4 = 0.5
    assert ema_next(0, 1, 3) == 1


def test_ema_is_seeded_by_the_first_price_and_constant_on_a_constant_series() -> None:
    ema = IntegerEma(DEFAULT_EMA_PERIOD)
    assert [ema.update(price_usd(150)) for _ in range(5)] == [price_usd(150)] * 5


def test_ema_with_period_one_follows_the_price() -> None:
    ema = IntegerEma(1)
    prices = walk(RandomWalkSource(price_usd(150), 100, seed=5), 100)
    assert [ema.update(p) for p in prices] == prices


def test_ema_stays_between_the_extremes_of_its_inputs() -> None:
    ema = IntegerEma(10)
    prices = walk(RandomWalkSource(price_usd(150), 300, seed=9), 2_000)
    lo = hi = prices[0]
    for p in prices:
        lo, hi = min(lo, p), max(hi, p)
        assert lo <= ema.update(p) <= hi


# ---- pushes on the node ----------------------------------------------------------------------

async def test_csv_file_pushes_exactly_its_prices_in_order(world: World, tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("time,price,conf\n1,151.25,0.05\n2,150.5,\n3,152,0.1\n")
    client, pushed = await push_all(world, FileSource(path))
    assert pushed == 3
    assert [(r.price, r.expo, r.conf) for r in client.readings] == [
        (price_usd("151.25"), -PRICE_DECIMALS, price_usd("0.05")), (price_usd("150.5"), -PRICE_DECIMALS, 0),
        (price_usd(152), -PRICE_DECIMALS, price_usd("0.1"))]


async def test_json_file_pushes_exactly_its_numbers_and_objects_in_order(world: World, tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps([151.25, "150.5", {"price": 149, "conf": "0.02", "ema": "150.1"}]))
    client, pushed = await push_all(world, FileSource(path))
    assert pushed == 3
    assert [r.price for r in client.readings] == [price_usd("151.25"), price_usd("150.5"), price_usd(149)]
    assert (client.readings[2].conf, client.readings[2].ema) == (price_usd("0.02"), price_usd("150.1"))


async def test_pushed_ema_is_the_integer_ema_of_the_prices_when_the_source_has_none(world: World,
                                                                                     tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("price\n150\n160\n140\n")
    client, _ = await push_all(world, FileSource(path))
    first = price_usd(150)
    second = ema_next(first, price_usd(160))
    assert [r.ema for r in client.readings] == [first, second, ema_next(second, price_usd(140))]


async def test_publish_time_is_the_node_clock(world: World) -> None:
    before = await unix_now(world.connection)
    client, _ = await push_all(world, RandomWalkSource(price_usd(150), 10, seed=1), count=1)
    after = await unix_now(world.connection)
    assert before <= client.readings[0].publish_time <= after


async def test_pusher_stops_after_count_prices(world: World) -> None:
    client, pushed = await push_all(world, RandomWalkSource(price_usd(150), 50, seed=11), count=3)
    assert pushed == 3 and client.calls == 3
    assert [r.price for r in client.readings] == walk(RandomWalkSource(price_usd(150), 50, seed=11), 3)


async def test_pusher_retries_a_transient_rpc_failure(world: World, tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("price\n151\n152\n")
    client, pushed = await push_all(world, FileSource(path), failures=1)
    assert pushed == 2 and client.calls == 3
    assert [r.price for r in client.readings] == [price_usd(151), price_usd(152)]


async def test_stop_interrupts_the_wait_between_pushes(world: World) -> None:
    p = await world.new_pool()
    stop = asyncio.Event()
    client = RecordingClient(world.client, p.oracle, after_push=stop.set)
    started = time.monotonic()
    pushed = await run_oracle_pusher(client, p.custody, RandomWalkSource(price_usd(150), 10, seed=2), interval=60,
                                     stop=stop)
    assert pushed == 1
    assert time.monotonic() - started < 10


async def test_pusher_that_is_already_stopped_pushes_nothing() -> None:
    class NoClient:
        async def set_custom_oracle_price(self, *args: Any, **kwargs: Any) -> None:
            raise AssertionError("must not push")

    stop = asyncio.Event()
    stop.set()
    assert await run_oracle_pusher(NoClient(), None, RandomWalkSource(1, 1, 1), interval=0, stop=stop) == 0


async def test_pusher_raises_a_program_error_instead_of_retrying(world: World) -> None:
    p = await world.new_pool()
    stranger = world.client.with_wallet(await world.funded_keypair())  # not the oracle authority
    with pytest.raises(errors.InvalidOracleAuthority):
        await run_oracle_pusher(stranger, p.custody, RandomWalkSource(price_usd(150), 10, seed=1), interval=0,
                                stop=asyncio.Event(), count=1)


async def test_a_plain_list_of_points_is_a_source(world: World) -> None:
    client, pushed = await push_all(world, [PricePoint(price_usd(151), conf=1_000, ema=price_usd(150))])
    assert pushed == 1
    assert (client.readings[0].price, client.readings[0].conf, client.readings[0].ema) == (price_usd(151), 1_000,
                                                                                           price_usd(150))
