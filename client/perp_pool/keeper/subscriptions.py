"""What wakes a keeper or a bot: PubSub notifications while the node's websocket is up, a timer while
it is down.

`ScanTriggers` keeps one websocket (solana-py's client) subscribed to a program's accounts (the
liquidation keeper's positions: `programSubscribe` with its filters; none when `program_id` is
None), the accounts its owner watches (`accountSubscribe`, added as the owner learns them) and the
slots (`slotSubscribe`, the heartbeat: a rescan every `heartbeat_s` for what time alone changes, and
the proof the socket is alive). Any program or account notification wakes the owner at once, but
for accounts watched with `wake=False` (read, not reacted to: the oracle pusher's Clock). The newest
value of each watched account seen on the live socket is kept (`account`), so an owner can read it
instead of asking the node. When the socket fails or stays silent, the mode flips to polling (a scan
every `poll_interval`), the kept values are dropped and the connection is retried with backoff; once
it is back, a scan catches up on whatever changed meanwhile. The mode is a Prometheus Enum
(`<prefix>_mode`): the liquidation keeper, the oracle pusher and the grid bot each have one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from prometheus_client import CollectorRegistry, Counter, Enum
from solana.rpc.commitment import Confirmed
from solana.rpc.types import MemcmpOpts
from solana.rpc.websocket_api import SolanaWsClientProtocol, connect
from solders.account import Account
from solders.pubkey import Pubkey
from solders.rpc.requests import AccountSubscribe
from solders.rpc.responses import (
    AccountNotification,
    ProgramNotification,
    SlotNotification,
    SubscriptionError,
    SubscriptionResult,
)

log = logging.getLogger("perp_pool.keeper.subscriptions")

POLLING, SUBSCRIPTION = "polling", "subscription"
RECONNECT_BASE_S = 0.2
RECONNECT_MAX_S = 5.0
SILENCE_S = 5.0  # no message (not even a slot) for this long: the socket is dead
OPEN_TIMEOUT_S = 3.0


def derive_ws_url(rpc_url: str) -> str:
    """The validator convention: PubSub on the RPC port + 1, ws(s) for http(s)."""
    parts = urlsplit(rpc_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    port = (parts.port or (443 if parts.scheme == "https" else 80)) + 1
    return urlunsplit((scheme, f"{parts.hostname}:{port}", parts.path, "", ""))


def client_ws_url(client: Any) -> str | None:
    """The PubSub URL by the validator convention, from the client's RPC endpoint (if it has one:
    fake clients in tests have none)."""
    provider = getattr(getattr(client, "connection", None), "_provider", None)
    endpoint = getattr(provider, "endpoint_uri", None)
    return derive_ws_url(str(endpoint)) if endpoint else None


class TriggerMetrics:
    def __init__(self, registry: CollectorRegistry, prefix: str):
        self.mode = Enum(f"{prefix}_mode", "Whether scans follow PubSub notifications or poll on a timer",
                         states=[POLLING, SUBSCRIPTION], registry=registry)
        self.notifications = Counter(f"{prefix}_notifications", "PubSub notifications that woke a scan",
                                     registry=registry)
        self.reconnects = Counter(f"{prefix}_ws_reconnects", "PubSub connection attempts that failed or ended",
                                  registry=registry)
        self.mode.state(POLLING)


class ScanTriggers:
    def __init__(self, ws_url: str, program_id: Pubkey | None, filters: Sequence[MemcmpOpts] = (), *,
                 heartbeat_s: float, metrics: TriggerMetrics, name: str = "keeper"):
        self.ws_url = ws_url
        self.program_id = program_id
        self.filters = list(filters)
        self.heartbeat_s = heartbeat_s
        self.metrics = metrics
        self.name = name
        self.wake = asyncio.Event()
        self.subscribed = False
        self._wanted: set[Pubkey] = set()
        self._quiet: set[Pubkey] = set()  # watched without waking
        self._watching: set[Pubkey] = set()
        self._values: dict[Pubkey, Account] = {}
        self._last_beat = time.monotonic()

    def watch_accounts(self, keys: Iterable[Pubkey], *, wake: bool = True) -> None:
        """Accounts whose change should wake the owner (`wake=False`: only be kept for `account`),
        subscribed at the next message."""
        keys = list(keys)
        self._wanted.update(keys)
        if not wake:
            self._quiet.update(keys)

    def account(self, key: Pubkey) -> Account | None:
        """The newest value of a watched account notified on the live socket (None while polling,
        and until it first changes after the subscription: read it from the node then)."""
        return self._values.get(key) if self.subscribed else None

    async def wait(self, stop: asyncio.Event, poll_interval: float) -> None:
        """Until a notification (or the heartbeat) wakes us, stop is set, or — while polling —
        `poll_interval` passes. In subscription mode the timeout is only a backstop."""
        timeout = max(poll_interval, SILENCE_S) * 2 if self.subscribed else poll_interval
        waiters = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
        self.wake.clear()

    def _set_mode(self, subscribed: bool) -> None:
        if subscribed != self.subscribed:
            log.info("event=%s_mode mode=%s ws=%s", self.name, SUBSCRIPTION if subscribed else POLLING, self.ws_url)
            # Wake the waiter either way: it waits with the new mode's timeout from now on.
            self.wake.set()
        self.subscribed = subscribed
        self.metrics.mode.state(SUBSCRIPTION if subscribed else POLLING)

    async def _subscribe_accounts(self, ws: SolanaWsClientProtocol) -> None:
        for key in sorted(self._wanted - self._watching, key=bytes):
            await ws.account_subscribe(key, commitment=Confirmed, encoding="base64")
            self._watching.add(key)

    def _handle(self, messages: Sequence[Any], ws: SolanaWsClientProtocol | None = None) -> None:
        for message in messages:
            if isinstance(message, AccountNotification):
                request = ws.subscriptions.get(message.subscription) if ws is not None else None
                key = request.account if isinstance(request, AccountSubscribe) else None
                if key is not None:
                    self._values[key] = message.result.value
                if key not in self._quiet:
                    self.metrics.notifications.inc()
                    self.wake.set()
            elif isinstance(message, ProgramNotification):
                self.metrics.notifications.inc()
                self.wake.set()
            elif isinstance(message, SlotNotification):
                now = time.monotonic()
                if now - self._last_beat >= self.heartbeat_s:
                    self._last_beat = now
                    self.wake.set()
            elif isinstance(message, SubscriptionResult):
                # A subscription is live from now: scan once more, for whatever changed between
                # the scan that asked for it and this moment.
                self.wake.set()
            elif isinstance(message, SubscriptionError):
                log.warning("event=subscription_refused error=%s", message)

    async def run(self) -> None:
        """Keeps the subscriptions up until cancelled."""
        backoff = RECONNECT_BASE_S
        while True:
            try:
                async with connect(self.ws_url, open_timeout=OPEN_TIMEOUT_S) as ws:
                    self._watching = set()
                    self._values = {}
                    if self.program_id is not None:
                        await ws.program_subscribe(self.program_id, Confirmed, "base64", filters=self.filters)
                    await ws.slot_subscribe()
                    await self._subscribe_accounts(ws)
                    self._set_mode(True)
                    self.wake.set()  # catch up on what changed while we were not listening
                    backoff = RECONNECT_BASE_S
                    while True:
                        self._handle(await asyncio.wait_for(ws.recv(), SILENCE_S), ws)
                        await self._subscribe_accounts(ws)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure means: poll, and try again
                self.metrics.reconnects.inc()
                if self.subscribed:
                    log.warning("event=ws_down error=%s", type(exc).__name__)
            finally:
                self._set_mode(False)
                self._values = {}
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, RECONNECT_MAX_S)


async def stop_task(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
