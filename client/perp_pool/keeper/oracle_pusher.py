"""The oracle pusher: writes a custody's custom oracle from a price source, one price per interval.

Sources yield `PricePoint`s, integer prices in PRICE_DECIMALS (1_000_000_000 = 1 USD per whole token):

- `FileSource(path)`: a CSV file whose header names a `price` column (human units, `151.25`) and
  optionally `conf` and `ema` (other columns are ignored), or a JSON list of numbers / strings /
  objects `{"price": .., "conf": .., "ema": ..}`. Parsed up front, so a bad file fails before any
  push; every value is parsed as a `Decimal` (JSON floats included), never a float.
- `StdinSource()`: one price per line (human units; blank lines and `#` comments skipped, a bad
  line is logged and skipped), read without blocking the event loop.
- `RandomWalkSource(start_price, vol_bps, seed)`: a deterministic multiplicative walk in integer
  math; each step moves the price by a uniform whole number of bps in `[-vol_bps, +vol_bps]`.

`run_oracle_pusher` sends `set_custom_oracle_price(price, expo=-PRICE_DECIMALS, conf, ema, publish_time)` with
`publish_time` = the node's Clock `unix_timestamp` (the program rejects future and stale prices by
that clock, not ours), never below the pusher's previous push nor the oracle's stored one: the
program refuses a publish_time older than the stored one (OraclePublishTimeRegressed), and an RPC
node whose clock lags a little must not stop the pusher. A source without an EMA gets an integer
EMA of the prices pushed (`IntegerEma`, period `DEFAULT_EMA_PERIOD`); a source without a confidence
pushes `conf = 0`.
Transient RPC failures are retried with the client's retry policy (`perp_pool.retry`); a program
error (wrong oracle authority, say) is raised, because retrying cannot fix it.

The pusher follows the node's PubSub (keeper/subscriptions.py, as the liquidation keeper does): it
watches the Clock sysvar and its oracle account (`accountSubscribe`, with `slotSubscribe` as the
heartbeat), so a push needs no read of the node: its publish_time is the newest notified Clock,
never below the oracle's stored publish_time (another writer's newer reading would make the
program refuse ours). While the websocket is down, and until both accounts have notified on the
live socket, each push reads them from the node first (one getMultipleAccounts). The
`perp_oracle_pusher_mode` gauge says which; `perp_oracle_pusher_node_reads` counts the reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import logging
import os
import struct
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any, TextIO

from prometheus_client import CollectorRegistry, Counter, start_http_server
from solana.rpc.commitment import Confirmed
from solders.account import Account
from solders.pubkey import Pubkey
from solders.sysvar import CLOCK

from perp_pool import errors
from perp_pool.clock import unix_timestamp
from perp_pool.constants import BPS_POWER, PRICE_DECIMALS
from perp_pool.keeper.health import CUSTOM_ORACLE_DISCRIMINATOR
from perp_pool.keeper.subscriptions import ScanTriggers, TriggerMetrics, client_ws_url, stop_task
from perp_pool.logfmt import kv
from perp_pool.retry import Stopped, retry_transient, sleep_or_stop

log = logging.getLogger(__name__)

PUSH_EXPO = -PRICE_DECIMALS  # prices are pushed in PRICE_DECIMALS, so the oracle needs no rescaling
DEFAULT_EMA_PERIOD = 10  # pushes; alpha = 2 / (period + 1)
MAX_PRICE = 2**63 - 1  # about 9.2e9 USD: every price a u64 with room for the program's products
_MASK64 = 2**64 - 1
REGRESSED = errors.error_class("OraclePublishTimeRegressed")


@dataclass(frozen=True)
class PricePoint:
    """One reading, PRICE_DECIMALS. `conf` / `ema` are None when the source has none."""

    price: int
    conf: int | None = None
    ema: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.price <= MAX_PRICE:
            raise ValueError(f"price must be in (0, {MAX_PRICE}], got {self.price}")
        for name in ("conf", "ema"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= MAX_PRICE:
                raise ValueError(f"{name} must be in [0, {MAX_PRICE}], got {value}")


# ---- parsing ---------------------------------------------------------------------------------

def parse_decimal_price(value: Any, field: str = "price") -> int:
    """A human-unit amount (`"151.25"`, `Decimal`, int) -> PRICE_DECIMALS integer, rounded half-even
    to the PRICE_DECIMALS-th (9th) decimal. Floats are refused: they cannot be parsed exactly."""
    if isinstance(value, (bool, float)):
        raise ValueError(f"{field}: {value!r} is not a decimal number (pass text or Decimal)")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{field}: {value!r} is not a number") from None
    else:
        raise ValueError(f"{field}: {value!r} is not a number")
    if not number.is_finite():
        raise ValueError(f"{field}: {value!r} is not finite")
    with localcontext() as ctx:
        ctx.prec = 80  # exact for any u64 price with any reasonable number of decimals
        scaled = int((number.scaleb(PRICE_DECIMALS)).to_integral_value(rounding=ROUND_HALF_EVEN))
    if scaled < 0 or scaled > MAX_PRICE:
        raise ValueError(f"{field}: {value!r} is out of range")
    return scaled


def _point(price: Any, conf: Any = None, ema: Any = None) -> PricePoint:
    def optional(value: Any, field: str) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse_decimal_price(value, field)

    return PricePoint(parse_decimal_price(price), optional(conf, "conf"), optional(ema, "ema"))


def parse_csv_prices(text: str) -> list[PricePoint]:
    reader = csv.DictReader(io.StringIO(text))
    columns = {name.strip().lower(): name for name in (reader.fieldnames or []) if name}
    if "price" not in columns:
        raise ValueError(f"the CSV header has no `price` column: {reader.fieldnames}")
    points = []
    for row in reader:
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # blank line
        try:
            points.append(_point(row.get(columns["price"]),
                                 row.get(columns["conf"]) if "conf" in columns else None,
                                 row.get(columns["ema"]) if "ema" in columns else None))
        except ValueError as exc:
            raise ValueError(f"CSV line {reader.line_num}: {exc}") from None
    return points


def parse_json_prices(text: str) -> list[PricePoint]:
    data = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    if not isinstance(data, list):
        raise ValueError("a JSON price file must hold a list")
    points = []
    for index, item in enumerate(data):
        try:
            if isinstance(item, dict):
                if "price" not in item:
                    raise ValueError("object without `price`")
                points.append(_point(item["price"], item.get("conf"), item.get("ema")))
            else:
                points.append(_point(item))
        except ValueError as exc:
            raise ValueError(f"JSON item {index}: {exc}") from None
    return points


def parse_price_line(line: str) -> PricePoint | None:
    """One stdin line -> a point; None for a blank line or a `#` comment."""
    text = line.split("#", 1)[0].strip()
    return _point(text) if text else None


# ---- sources ---------------------------------------------------------------------------------

class PriceSource:
    """Async-iterable `PricePoint`s. Finite sources end the pusher when exhausted."""

    def __iter__(self) -> Iterator[PricePoint]:
        raise TypeError(f"{type(self).__name__} can only be iterated asynchronously")

    async def __aiter__(self) -> AsyncIterator[PricePoint]:
        for point in self:
            yield point


class FileSource(PriceSource):
    """The prices of a CSV or JSON file, in order (JSON when the name ends in `.json` or the text
    starts with `[`). `loop=True` replays them forever."""

    def __init__(self, path: str | Path, *, loop: bool = False):
        self.path = Path(path)
        self.loop = loop
        text = self.path.read_text(encoding="utf-8-sig")
        is_json = self.path.suffix.lower() == ".json" or text.lstrip().startswith("[")
        self.points = parse_json_prices(text) if is_json else parse_csv_prices(text)
        if not self.points:
            raise ValueError(f"{self.path}: no prices")

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[PricePoint]:
        while True:
            yield from self.points
            if not self.loop:
                return


class StdinSource(PriceSource):
    """One price per line from standard input (or `stream`), until end of file."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream

    async def __aiter__(self) -> AsyncIterator[PricePoint]:
        async with contextlib.aclosing(_read_lines(self.stream or sys.stdin)) as lines:
            number = 0
            async for line in lines:
                number += 1
                try:
                    point = parse_price_line(line)
                except ValueError as exc:
                    log.warning(kv(event="stdin_price_skipped", line=number, reason=exc))
                    continue
                if point is not None:
                    yield point


async def _read_lines(stream: TextIO) -> AsyncGenerator[str, None]:
    """Lines of `stream` without blocking the loop: a pipe or terminal is read through the event
    loop (a duplicate of its descriptor, so closing ours leaves `stream` open); anything else
    (a regular file, an in-memory stream) is read in a worker thread."""
    loop = asyncio.get_running_loop()
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is not None:
        reader = asyncio.StreamReader()
        pipe = os.fdopen(os.dup(fd), "rb", buffering=0)
        try:
            transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
        except (ValueError, OSError, NotImplementedError):
            pipe.close()  # a regular file: the event loop cannot poll it, and it never blocks
        else:
            try:
                while raw := await reader.readline():
                    yield raw.decode("utf-8", errors="replace")
            finally:
                transport.close()
            return
    while line := await asyncio.to_thread(stream.readline):
        yield line


def _splitmix64(state: int) -> tuple[int, int]:
    """One step of SplitMix64: (new state, 64 random bits). Integer-only and version-independent,
    unlike `random.Random`, so a seed means the same walk everywhere."""
    state = (state + 0x9E3779B97F4A7C15) & _MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return state, z ^ (z >> 31)


class RandomWalkSource(PriceSource):
    """`start_price`, then forever `price = round(price * (BPS + step) / BPS)` with `step` uniform in
    `[-vol_bps, vol_bps]` bps, clamped to `[1, MAX_PRICE]`. Iterating again replays the same walk."""

    def __init__(self, start_price: int, vol_bps: int, seed: int):
        if isinstance(start_price, bool) or not isinstance(start_price, int) or not 0 < start_price <= MAX_PRICE:
            raise ValueError(f"start_price must be a positive integer (PRICE_DECIMALS), got {start_price!r}")
        if isinstance(vol_bps, bool) or not isinstance(vol_bps, int) or not 0 <= vol_bps <= BPS_POWER:
            raise ValueError(f"vol_bps must be an integer in [0, {BPS_POWER}], got {vol_bps!r}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        self.start_price = start_price
        self.vol_bps = vol_bps
        self.seed = seed

    def __iter__(self) -> Iterator[PricePoint]:
        state = self.seed & _MASK64
        price = self.start_price
        span = 2 * self.vol_bps + 1
        while True:
            yield PricePoint(price)
            state, bits = _splitmix64(state)
            step = bits % span - self.vol_bps  # modulo bias < span / 2^64: negligible
            price = (price * (BPS_POWER + step) + BPS_POWER // 2) // BPS_POWER
            price = min(max(price, 1), MAX_PRICE)


# ---- EMA -------------------------------------------------------------------------------------

def ema_next(previous: int, price: int, period: int = DEFAULT_EMA_PERIOD) -> int:
    """`previous + alpha * (price - previous)` with alpha = 2 / (period + 1), in integers:
    `(2 * price + (period - 1) * previous) / (period + 1)` rounded half up. Stays within
    [min, max] of its inputs; period 1 follows the price exactly."""
    if period < 1:
        raise ValueError("period must be >= 1")
    n = period + 1
    return (2 * price + (period - 1) * previous + n // 2) // n


class IntegerEma:
    """Exponential moving average of a price series; the first price seeds it."""

    def __init__(self, period: int = DEFAULT_EMA_PERIOD):
        if period < 1:
            raise ValueError("period must be >= 1")
        self.period = period
        self.value: int | None = None

    def update(self, price: int) -> int:
        self.value = price if self.value is None else ema_next(self.value, price, self.period)
        return self.value


# ---- what the pusher knows of the node --------------------------------------------------------

# CustomOracle after its discriminator: price u64, expo i32, conf u64, ema u64, publish_time i64.
_ORACLE_PUBLISH_TIME_OFFSET = len(CUSTOM_ORACLE_DISCRIMINATOR) + 8 + 4 + 8 + 8


def stored_publish_time(account: Account | None) -> int:
    """The publish_time a CustomOracle account holds (0 for no account yet, as the program reads it)."""
    data = bytes(account.data) if account is not None else b""
    if not data.startswith(CUSTOM_ORACLE_DISCRIMINATOR) or len(data) < _ORACLE_PUBLISH_TIME_OFFSET + 8:
        return 0
    value: int = struct.unpack_from("<q", data, _ORACLE_PUBLISH_TIME_OFFSET)[0]
    return value


class OraclePusherMetrics:
    def __init__(self, registry: CollectorRegistry):
        self.registry = registry
        self.pushed = Counter("perp_oracle_pusher_pushes", "Prices pushed", registry=registry)
        self.node_reads = Counter("perp_oracle_pusher_node_reads",
                                  "Reads of the Clock and the oracle before a push (not notified)", registry=registry)
        # perp_oracle_pusher_mode: polling or subscription; notifications; websocket reconnects.
        self.triggers = TriggerMetrics(registry, "perp_oracle_pusher")


class NodeView:
    """The node's clock and the oracle's stored publish_time: from the notifications of the live
    websocket, else read from the node."""

    def __init__(self, client: Any, oracle: Pubkey, triggers: ScanTriggers | None, metrics: OraclePusherMetrics):
        self.client = client
        self.oracle = oracle
        self.triggers = triggers
        self.metrics = metrics
        if triggers is not None:
            triggers.watch_accounts([CLOCK, oracle], wake=False)

    async def publish_time_floor(self, *, read: bool = False) -> int:
        """max(node clock, stored publish_time): the earliest publish_time to push now (`read`: ask
        the node even if both are notified)."""
        clock = oracle = None
        if self.triggers is not None and not read:
            clock, oracle = self.triggers.account(CLOCK), self.triggers.account(self.oracle)
        if clock is None or oracle is None:
            self.metrics.node_reads.inc()
            clock, oracle = (await self.client.connection.get_multiple_accounts([CLOCK, self.oracle],
                                                                                commitment=Confirmed)).value
            if clock is None:
                raise errors.TransactionFailed("the node returned no Clock sysvar")
        return max(unix_timestamp(bytes(clock.data)), stored_publish_time(oracle))


# ---- the loop --------------------------------------------------------------------------------

async def _from_sync(points: Iterable[PricePoint]) -> AsyncIterator[PricePoint]:
    for point in points:
        yield point


async def _next_or_stop(points: AsyncIterator[PricePoint], stop: asyncio.Event) -> PricePoint | None:
    """The next point, or None when the source is exhausted or `stop` is set first."""
    if stop.is_set():
        return None
    next_task = asyncio.ensure_future(points.__anext__())
    stop_task = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({next_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop_task.cancel()
        if not next_task.done():
            next_task.cancel()
            await asyncio.wait({next_task})
    if next_task.cancelled():
        return None
    try:
        return next_task.result()
    except StopAsyncIteration:
        return None


async def run_oracle_pusher(client: Any, custody: Pubkey, source: PriceSource | Iterable[PricePoint], *,
                            interval: float, stop: asyncio.Event, count: int | None = None,
                            ws_url: str | None = None, subscribe: bool = True,
                            metrics: OraclePusherMetrics | None = None, metrics_port: int | None = None) -> int:
    """Pushes `source`'s prices to `custody`'s custom oracle, at most one per `interval` seconds,
    until `stop` is set, `count` prices are pushed or the source ends; returns how many landed.
    `client` signs as the custody's oracle authority. `ws_url`: the node's PubSub (default: the
    RPC URL's port + 1, the validator convention); `subscribe=False` reads the node before every
    push. `metrics` (default: a registry of its own) are served on `metrics_port` if given."""
    if interval < 0:
        raise ValueError("interval must be >= 0")
    if count is not None and count < 0:
        raise ValueError("count must be >= 0")
    metrics = metrics or OraclePusherMetrics(CollectorRegistry())
    if metrics_port is not None:
        start_http_server(metrics_port, registry=metrics.registry)
    ws_url = ws_url or (client_ws_url(client) if subscribe else None)
    triggers = ScanTriggers(ws_url, None, heartbeat_s=interval, metrics=metrics.triggers,
                            name="oracle_pusher") if subscribe and ws_url and not stop.is_set() else None
    ema = IntegerEma()
    pushed = 0
    last_publish_time = 0
    view: NodeView | None = None
    log.info(kv(event="oracle_pusher_started", custody=custody, source=type(source).__name__,
                interval=interval, count=count, ws=ws_url if triggers else None))
    points = source.__aiter__() if hasattr(source, "__aiter__") else _from_sync(source)
    subscriber = asyncio.create_task(triggers.run()) if triggers else None
    try:
        while count is None or pushed < count:
            started = time.monotonic()
            point = await _next_or_stop(points, stop)
            if point is None:
                break
            ema_value = ema.update(point.price)
            if point.ema is not None:
                ema_value = point.ema
            conf = point.conf or 0

            if view is None:
                view = NodeView(client, client.custom_oracle_address(custody), triggers, metrics)

            async def push(point: PricePoint = point, ema_value: int = ema_value, conf: int = conf,
                           last_publish_time: int = last_publish_time, view: NodeView = view) -> Any:
                publish_time = max(await view.publish_time_floor(), last_publish_time)
                try:
                    result = await client.set_custom_oracle_price(custody, price=point.price, expo=PUSH_EXPO, conf=conf,
                                                                  ema=ema_value, publish_time=publish_time)
                except REGRESSED:  # another writer stored a newer reading since we looked: read it, once
                    publish_time = max(await view.publish_time_floor(read=True), publish_time)
                    result = await client.set_custom_oracle_price(custody, price=point.price, expo=PUSH_EXPO, conf=conf,
                                                                  ema=ema_value, publish_time=publish_time)
                return result, publish_time

            try:
                result, publish_time = await retry_transient(push, stop=stop, what="set_custom_oracle_price",
                                                             logger=log, custody=custody)
            except Stopped:
                break
            pushed += 1
            metrics.pushed.inc()
            last_publish_time = publish_time
            log.info(kv(event="oracle_price_pushed", custody=custody, price=point.price, ema=ema_value, conf=conf,
                        publish_time=publish_time, pushed=pushed, signature=getattr(result, "signature", None)))
            if count is not None and pushed >= count:
                break
            if await sleep_or_stop(stop, interval - (time.monotonic() - started)):
                break
    finally:
        await stop_task(subscriber)
        aclose = getattr(points, "aclose", None)
        if aclose is not None:
            await aclose()
    log.info(kv(event="oracle_pusher_stopped", custody=custody, pushed=pushed))
    return pushed


__all__ = [
    "DEFAULT_EMA_PERIOD",
    "FileSource",
    "IntegerEma",
    "NodeView",
    "OraclePusherMetrics",
    "PricePoint",
    "PriceSource",
    "RandomWalkSource",
    "StdinSource",
    "ema_next",
    "parse_decimal_price",
    "parse_price_line",
    "run_oracle_pusher",
]
