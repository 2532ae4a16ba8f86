"""The liquidation keeper: finds every position past its liquidation price and liquidates it, once;
in the same scan it finds every position whose profit reached its payoff cap and closes it with
`close_capped_position` (docs/design.md "Close at cap"), once; and (keeper/orders.py) every trigger
order whose trigger is reached, executed once, and every void one removed; and (keeper/staking.py)
`update_stake_pool` for every stake pool with routed rewards to take in or a week boundary to process.

One scan = one getProgramAccounts (Position discriminator + pool memcmp) + one getMultipleAccounts
for the custodies and their oracles + the Clock; health is computed off-chain with the program's
own integer math (keeper/health.py). Each candidate is confirmed with the `get_liquidation_state`
view, then liquidated concurrently (bounded); a capped position is confirmed by the instruction itself
(PositionNotCapped after a price move = skip) and its owner's associated token account of the
collateral mint receives the payout (no such account: skipped and counted), with compute-budget and
priority-fee instructions and fresh blockhashes on retry. A position is never in flight twice; a
position that is already gone (another keeper won the race, or the owner closed it) counts as done,
not as a failure. Transient
failures (`perp_pool.retry`: the node unreachable or slow, RPC errors) back off and retry, so the
keeper outlives a node restart; a program's verdict on a send is final for that scan (the next scan
finds the position again if it still qualifies). Metrics are Prometheus.

Scans follow the node's PubSub (keeper/subscriptions.py): a change of a position or of an oracle
the positions use wakes a scan at once, and slots wake one every `poll_interval` (the heartbeat); while the
websocket is down the keeper polls every `poll_interval` and the `perp_keeper_mode` gauge says so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from based58 import b58encode
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from solana.rpc.commitment import Confirmed
from solana.rpc.types import MemcmpOpts
from solders.account import Account
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.sysvar import CLOCK
from spl.token.constants import TOKEN_PROGRAM_ID

from perp_pool import errors
from perp_pool.client import PerpPoolClient
from perp_pool.client.orders import OrderView
from perp_pool.clock import unix_timestamp
from perp_pool.keeper.health import (
    POSITION_DISCRIMINATOR,
    POSITION_POOL_OFFSET,
    MarketState,
    PositionView,
    checked_oracle_price,
    decode_position,
    valuation,
)
from perp_pool.keeper.orders import OrderExecutor, OrderScan
from perp_pool.keeper.staking import StakePoolUpdater
from perp_pool.keeper.subscriptions import ScanTriggers, TriggerMetrics, derive_ws_url, stop_task
from perp_pool.math import health as health_math
from perp_pool.math.trade import CollateralCustody, is_capped
from perp_pool.retry import RETRY_MAX_S, Stopped, is_transient, retry_transient, sleep_or_stop
from perp_pool.tokens import (
    ACCOUNT_STATE_INITIALIZED,
    PayoutAccounts,
    get_associated_token_address,
    parse_token_account,
)

log = logging.getLogger("perp_pool.keeper.liquidator")

LIQUIDATE_COMPUTE_UNITS = 200_000
MAX_BACKOFF_S = RETRY_MAX_S  # the scan loop's longest wait after RPC failures
SEND_ATTEMPTS = 3
# A send is retried quickly (0.4 s, then 0.8 s): a liquidation is a race, and the next scan tries again.
SEND_RETRY_BASE_S = 0.4
SEND_RETRY_MAX_S = 2.0
# A position that is gone when we try: someone else liquidated or closed it first.
GONE = (errors.error_class("AccountNotInitialized"), errors.error_class("AccountDidNotDeserialize"))
# A close at cap that cannot succeed until its owner changes something (their token account was
# handed to another wallet, has another mint, is frozen): not retried, and the position is left
# alone for CAPPED_SKIP_S so it cannot keep a slot busy scan after scan.
CAPPED_PERMANENT = (errors.error_class("Unauthorized"), errors.error_class("InvalidMint"))
CAPPED_SKIP_S = 600.0


class KeeperMetrics:
    def __init__(self, registry: CollectorRegistry):
        self.registry = registry
        self.positions = Gauge("perp_keeper_positions_tracked", "Positions in the last scan", registry=registry)
        self.at_risk = Gauge("perp_keeper_positions_at_risk", "Positions liquidatable in the last scan",
                             registry=registry)
        self.sent = Counter("perp_keeper_liquidations_sent", "Liquidation transactions sent", registry=registry)
        self.landed = Counter("perp_keeper_liquidations_landed", "Liquidations confirmed", registry=registry)
        self.failed = Counter("perp_keeper_liquidations_failed", "Liquidations that failed", registry=registry)
        self.lost_race = Counter("perp_keeper_liquidations_already_done",
                                 "Positions already liquidated or closed by someone else", registry=registry)
        self.scan_latency = Histogram("perp_keeper_scan_seconds", "Scan latency", registry=registry)
        self.rpc_errors = Counter("perp_keeper_rpc_errors", "RPC failures survived", registry=registry)
        self.capped = Gauge("perp_keeper_positions_capped", "Positions at their payoff cap in the last scan",
                            registry=registry)
        self.capped_sent = Counter("perp_keeper_capped_closes_sent", "Close-at-cap transactions sent",
                                   registry=registry)
        self.capped_landed = Counter("perp_keeper_capped_closes_landed", "Close-at-cap confirmed", registry=registry)
        self.capped_failed = Counter("perp_keeper_capped_closes_failed", "Close-at-cap that failed",
                                     registry=registry)
        self.capped_lost_race = Counter("perp_keeper_capped_closes_already_done",
                                        "Capped positions already closed by someone else", registry=registry)
        self.capped_no_owner_account = Counter("perp_keeper_capped_closes_skipped_no_owner_account",
                                               "Capped positions skipped: the owner has no usable associated "
                                               "token account (missing, handed over, other mint, frozen)",
                                               registry=registry)
        # perp_keeper_mode: polling or subscription; notifications; websocket reconnects.
        self.triggers = TriggerMetrics(registry, "perp_keeper")


@dataclass
class ScanResult:
    positions: int
    liquidatable: list[PositionView] = field(default_factory=list)
    capped: list[PositionView] = field(default_factory=list)  # not liquidatable, profit at its cap
    seconds: float = 0.0
    now: int = 0
    orders: OrderScan | None = None  # trigger orders to execute / remove (keeper/orders.py)


def _kv(**fields: Any) -> str:
    return " ".join(f"{k}={v}" for k, v in fields.items())


def _account_data(address: Pubkey, info: Account | None) -> bytes:
    if info is None:
        raise errors.AccountNotFound(f"account {address} not found")
    return bytes(info.data)


def _endpoint_ws_url(client: PerpPoolClient) -> str | None:
    """The PubSub URL by the validator convention, from the client's RPC endpoint (if it has one)."""
    provider = getattr(getattr(client, "connection", None), "_provider", None)
    endpoint = getattr(provider, "endpoint_uri", None)
    return derive_ws_url(str(endpoint)) if endpoint else None


class LiquidationKeeper:
    def __init__(self, client: PerpPoolClient, pool: Pubkey | None = None, *, receiving_account: Pubkey | None = None,
                 poll_interval: float = 1.0, priority_fee_micro_lamports: int = 0, max_in_flight: int = 8,
                 metrics_port: int | None = None, registry: CollectorRegistry | None = None,
                 ws_url: str | None = None, subscribe: bool = True, execute_orders: bool = False,
                 update_stake_pools: bool = True):
        """`ws_url`: the node's PubSub (default: the RPC URL's port + 1, the validator convention);
        `subscribe=False` polls only. `update_stake_pools`: send `update_stake_pool` in every scan where
        a stake pool has something to take in or a week boundary to process."""
        self.client = client
        self.pool = pool
        self.poll_interval = poll_interval
        self.priority_fee = priority_fee_micro_lamports
        self.in_flight: set[Pubkey] = set()
        self._slots = asyncio.Semaphore(max_in_flight)
        # Closes at cap have slots of their own: they can never delay a liquidation.
        self._capped_slots = asyncio.Semaphore(max(1, max_in_flight // 4))
        self._capped_skip_until: dict[Pubkey, float] = {}
        # A missing reward account would fail every liquidation with AccountNotInitialized, which
        # reads as "someone else was first": created once, shared with the order executor.
        self.payout = PayoutAccounts(client.transport, receiving_account)
        self._tasks: set[asyncio.Task[None]] = set()
        self.metrics = KeeperMetrics(registry or CollectorRegistry())
        self.metrics_port = metrics_port
        self.landed: list[Pubkey] = []
        self._markets: dict[Pubkey, MarketState] = {}  # custodies as of the last scan
        self.triggers: ScanTriggers | None = None
        ws_url = ws_url or (_endpoint_ws_url(client) if subscribe else None)
        if subscribe and ws_url:
            self.triggers = ScanTriggers(ws_url, client.program_id, self._position_filters(),
                                         heartbeat_s=poll_interval, metrics=self.metrics.triggers)
        # Trigger orders (`execute_orders`, `perp-pool keeper run`): read and judged in the same scan
        # (keeper/orders.py).
        self.orders = OrderExecutor(client, pool, payout=self.payout,
                                    priority_fee_micro_lamports=priority_fee_micro_lamports,
                                    registry=self.metrics.registry) if execute_orders else None
        self.stake_updater = (StakePoolUpdater(client, pool, self.metrics.registry) if update_stake_pools
                              else None)
        # The stake pool update runs beside the scans, one at a time: the loop never waits for it,
        # so an update that cannot land (congestion, an expiring blockhash) never delays a liquidation.
        self._stake_update: asyncio.Task[int] | None = None

    # ---- scanning ---------------------------------------------------------------------------

    def _position_filters(self) -> list[MemcmpOpts]:
        filters = [MemcmpOpts(offset=0, bytes=b58encode(POSITION_DISCRIMINATOR).decode())]
        if self.pool is not None:
            filters.append(MemcmpOpts(offset=POSITION_POOL_OFFSET, bytes=str(self.pool)))
        return filters

    async def fetch_positions(self) -> list[PositionView]:
        filters: list[Any] = list(self._position_filters())
        resp = await self.client.connection.get_program_accounts(self.client.program_id, commitment=Confirmed,
                                                                 encoding="base64", filters=filters)
        return [decode_position(a.pubkey, bytes(a.account.data)) for a in resp.value]

    async def fetch_orders(self) -> list[OrderView]:
        return await self.orders.fetch_orders() if self.orders is not None else []

    async def fetch_markets(self, positions: list[PositionView],
                            extra: Iterable[Pubkey] = ()) -> tuple[dict[Pubkey, MarketState], int]:
        """Every custody the positions (and `extra`) use, with a checked oracle price, and the node's clock."""
        custodies = sorted({p.custody for p in positions} | {p.collateral_custody for p in positions} | set(extra),
                           key=bytes)
        conn = self.client.connection
        infos = (await conn.get_multiple_accounts([CLOCK, *custodies], commitment=Confirmed)).value
        now = unix_timestamp(_account_data(CLOCK, infos[0]))
        coder = self.client.program.coder.accounts
        decoded = {k: coder.decode(_account_data(k, i)) for k, i in zip(custodies, infos[1:], strict=True)}
        oracle_keys = [decoded[k].oracle.oracle_account for k in custodies]
        if self.triggers is not None:  # a price change wakes the next scan (custodies change with
            self.triggers.watch_accounts(oracle_keys)  # every trade: the heartbeat covers them)
        oracles = (await conn.get_multiple_accounts(oracle_keys, commitment=Confirmed)).value if oracle_keys else []
        markets: dict[Pubkey, MarketState] = {}
        for key, oracle in zip(custodies, oracles, strict=True):
            try:
                spot, ema = checked_oracle_price(self.client.program_id, coder, decoded[key], oracle, now)
            except errors.TransactionFailed as exc:  # stale/low-confidence: the program would refuse too
                log.warning(_kv(event="oracle_unusable", custody=key, reason=type(exc).__name__))
                continue
            markets[key] = MarketState(decoded[key], spot, ema)
        return markets, now

    async def scan_once(self) -> ScanResult:
        started = time.perf_counter()
        positions, orders = await asyncio.gather(self.fetch_positions(), self.fetch_orders())
        markets, now = (await self.fetch_markets(positions, OrderExecutor.custodies(orders)) if positions or orders
                        else ({}, 0))
        self._markets.update(markets)
        result = ScanResult(len(positions), now=now)
        for p in positions:
            market, collateral = markets.get(p.custody), markets.get(p.collateral_custody)
            if market is None or collateral is None or p.size_usd == 0:
                continue
            v = valuation(p, market, collateral, now)
            if health_math.assess(v).liquidatable:
                result.liquidatable.append(p)
            elif (is_capped(p.state(), v.exit_price,
                            CollateralCustody.from_custody(collateral.custody, *collateral.min_max()))
                  and self._capped_skip_until.get(p.address, 0.0) <= time.monotonic()):
                result.capped.append(p)
        if self.orders is not None:
            result.orders = self.orders.evaluate(orders, positions, markets, {p.address for p in result.liquidatable})
        result.seconds = time.perf_counter() - started
        self.metrics.positions.set(result.positions)
        self.metrics.at_risk.set(len(result.liquidatable))
        self.metrics.capped.set(len(result.capped))
        self.metrics.scan_latency.observe(result.seconds)
        return result

    # ---- liquidating -----------------------------------------------------------------------

    async def _owner_account_usable(self, account: Pubkey, owner: Pubkey, mint: Pubkey) -> bool:
        """The owner's account exists under the token program, is still the owner's, holds `mint` and
        is not frozen: what `close_capped_position` requires of it."""
        info = (await self.client.connection.get_account_info(account, commitment=Confirmed)).value
        if info is None or info.owner != TOKEN_PROGRAM_ID:
            return False
        try:
            parsed = parse_token_account(bytes(info.data))
        except ValueError:  # a mint or a multisig, not a token account
            return False
        return parsed.mint == mint and parsed.owner == owner and parsed.state == ACCOUNT_STATE_INITIALIZED

    def _known_accounts(self, p: PositionView) -> dict[str, Pubkey] | None:
        """The position's trade accounts from the last scan's custodies (None if it has not them):
        a liquidation then fetches nothing before its view and its send."""
        market, collateral = self._markets.get(p.custody), self._markets.get(p.collateral_custody)
        if market is None or collateral is None:
            return None
        c = self.client
        return {"owner": p.owner, "transfer_authority": c.transfer_authority_address,
                "perpetuals": c.perpetuals_address, "pool": p.pool, "custody": p.custody,
                "custody_oracle_account": market.custody.oracle.oracle_account,
                "collateral_custody": p.collateral_custody,
                "collateral_custody_oracle_account": collateral.custody.oracle.oracle_account,
                "collateral_custody_token_account": collateral.custody.token_account, "position": p.address,
                "system_program": SYSTEM_PROGRAM_ID, "token_program": TOKEN_PROGRAM_ID}

    async def liquidate(self, p: PositionView) -> str:
        """'landed', 'gone' (someone else did it, or it was closed), 'healthy' or 'failed'."""
        known = self._known_accounts(p)
        try:
            if not await self.client.get_liquidation_state(p.address, known=known):
                return "healthy"  # the price moved back between the scan and now
            if p.collateral_custody in self._markets:
                mint = self._markets[p.collateral_custody].custody.mint
            else:
                mint = (await self.client.fetch_custody(p.collateral_custody)).mint
            ix = await self.client.build_liquidate_ix(p.address, receiving_account=await self.payout.for_mint(mint),
                                                      known=known)
        except (*GONE, errors.AccountNotFound):
            self.metrics.lost_race.inc()
            return "gone"
        m = self.metrics
        return await self._send_for_position(
            p, ix, event="PositionLiquidated", log_event="liquidated", retry_event="liquidation_retry",
            counters=(m.sent, m.landed, m.lost_race, m.failed),
            not_applicable=(errors.error_class("PositionHealthy"), "healthy"))

    async def close_capped(self, p: PositionView) -> str:
        """'landed', 'gone' (someone else did it, or it was closed), 'uncapped' (the price moved back),
        'no_owner_account' (the owner has no usable associated token account of the collateral mint:
        left alone for CAPPED_SKIP_S), 'refused' (a permanent refusal, also left alone) or 'failed'."""
        try:
            collateral = await self.client.fetch_custody(p.collateral_custody)
            owner_account = get_associated_token_address(p.owner, collateral.mint)
            if not await self._owner_account_usable(owner_account, p.owner, collateral.mint):
                self.metrics.capped_no_owner_account.inc()
                self._capped_skip_until[p.address] = time.monotonic() + CAPPED_SKIP_S
                log.info(_kv(event="capped_skipped_no_owner_account", position=p.address, owner=p.owner))
                return "no_owner_account"
            ix = await self.client.build_close_capped_position_ix(
                p.address, receiving_account=owner_account,
                keeper_receiving_account=await self.payout.for_mint(collateral.mint))
        except (*GONE, errors.AccountNotFound):
            self.metrics.capped_lost_race.inc()
            return "gone"
        m = self.metrics
        return await self._send_for_position(
            p, ix, event="CappedPositionClosed", log_event="closed_at_cap", retry_event="capped_close_retry",
            counters=(m.capped_sent, m.capped_landed, m.capped_lost_race, m.capped_failed),
            not_applicable=(errors.error_class("PositionNotCapped"), "uncapped"), permanent=CAPPED_PERMANENT)

    async def _send_for_position(self, p: PositionView, ix: Any, *, event: str, log_event: str, retry_event: str,
                                 counters: tuple[Counter, Counter, Counter, Counter],
                                 not_applicable: tuple[type[Exception], str],
                                 permanent: tuple[type[Exception], ...] = ()) -> str:
        """Sends a liquidation or a close at cap with the compute budget; a transient failure is
        retried (a fresh blockhash each of SEND_ATTEMPTS tries, a doubling pause), a program's
        verdict is not: 'landed'; 'gone' (someone else was first); `not_applicable[1]` when the
        program says the price moved back; 'refused' for a `permanent` error (the position is then
        left alone for CAPPED_SKIP_S); 'failed' for any other verdict or when every try failed
        transiently. `counters` are (sent, landed, already done, failed)."""
        sent, landed, lost_race, failed = counters
        budget = [set_compute_unit_limit(LIQUIDATE_COMPUTE_UNITS)]
        if self.priority_fee:
            budget.append(set_compute_unit_price(self.priority_fee))

        async def send() -> Any:
            sent.inc()
            return await self.client.transport.send([*budget, ix])  # a fresh blockhash each attempt

        try:
            result = await retry_transient(send, what=retry_event, attempts=SEND_ATTEMPTS, base=SEND_RETRY_BASE_S,
                                           cap=SEND_RETRY_MAX_S, logger=log, event=retry_event,
                                           position=p.address)
        except GONE:
            lost_race.inc()
            return "gone"
        except not_applicable[0]:
            return not_applicable[1]
        except permanent as exc:
            failed.inc()
            self._capped_skip_until[p.address] = time.monotonic() + CAPPED_SKIP_S
            log.warning(_kv(event="close_refused", position=p.address, error=type(exc).__name__))
            return "refused"
        except Exception as exc:
            if not (isinstance(exc, errors.TransactionFailed) or is_transient(exc)):
                raise  # a bug: _liquidate_guarded logs it
            failed.inc()
            log.warning(_kv(event="send_failed", action=log_event, position=p.address, error=type(exc).__name__))
            return "failed"
        ev = result.event(event).data
        landed.inc()
        self.landed.append(p.address)
        log.info(_kv(event=log_event, position=p.address, owner=p.owner, size_usd=p.size_usd,
                     reward=ev.reward_paid, signature=result.signature, slot=result.slot))
        return "landed"

    async def _liquidate_guarded(self, p: PositionView, capped: bool = False) -> None:
        async with self._capped_slots if capped else self._slots:
            try:
                await (self.close_capped(p) if capped else self.liquidate(p))
            except Exception as exc:  # noqa: BLE001 - one position must never stop the keeper
                self.metrics.failed.inc()
                log.error(_kv(event="liquidation_error", position=p.address, error=repr(exc)))
            finally:
                self.in_flight.discard(p.address)

    def dispatch(self, candidates: Sequence[PositionView], capped: Sequence[PositionView] = ()) -> int:
        """Starts a liquidation for each candidate, and a close at cap for each capped position, not
        already in flight; returns how many started."""
        started = 0
        for p, is_capped_close in [*((p, False) for p in candidates), *((p, True) for p in capped)]:
            if p.address in self.in_flight:
                continue
            self.in_flight.add(p.address)
            task = asyncio.create_task(self._liquidate_guarded(p, is_capped_close))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        return started

    async def drain(self, timeout: float = 30.0) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    # ---- the loop ----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        if self.metrics_port is not None:
            start_http_server(self.metrics_port, registry=self.metrics.registry)
        log.info(_kv(event="keeper_started", pool=self.pool, wallet=self.client.wallet.pubkey(),
                     interval=self.poll_interval, ws=self.triggers.ws_url if self.triggers else None))
        subscriber = asyncio.create_task(self.triggers.run()) if self.triggers else None
        try:
            await self._loop(stop)
        finally:
            await stop_task(subscriber)
            await stop_task(self._stake_update)  # type: ignore[arg-type]
        await self.drain()
        if self.orders is not None:
            await self.orders.drain()
        log.info(_kv(event="keeper_stopped", landed=len(self.landed)))

    async def update_stake_pools(self, stop: asyncio.Event, now: int = 0) -> int:
        """Sends `update_stake_pool` where needed (keeper/staking.py); a program error is logged, the
        next scan tries again. Returns the updates that landed."""
        updater = self.stake_updater
        if updater is None:
            return 0
        async def tick() -> int:
            return await updater.tick(now or None)

        try:
            return await retry_transient(tick, stop=stop, what="stake_pool_update", cap=MAX_BACKOFF_S, logger=log,
                                         on_transient=lambda _: self.metrics.rpc_errors.inc())
        except errors.TransactionFailed as exc:
            log.warning(_kv(event="stake_pool_update_rejected", error=type(exc).__name__, detail=str(exc)[:200]))
            return 0

    def _start_stake_update(self, stop: asyncio.Event, now: int) -> None:
        """Starts `update_stake_pools` in the background unless the previous one still runs."""
        if self.stake_updater is None or (self._stake_update is not None and not self._stake_update.done()):
            return

        async def update() -> int:
            try:
                return await self.update_stake_pools(stop, now)
            except Stopped:
                return 0

        self._stake_update = asyncio.create_task(update())

    async def _loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                scan = await retry_transient(self.scan_once, stop=stop, what="scan", cap=MAX_BACKOFF_S, logger=log,
                                             on_transient=lambda _: self.metrics.rpc_errors.inc())
            except Stopped:
                break
            started = self.dispatch(scan.liquidatable, scan.capped)
            if self.orders is not None and scan.orders is not None:
                started += self.orders.dispatch(scan.orders)
            if scan.liquidatable or scan.capped or started:
                log.info(_kv(event="scan", positions=scan.positions, at_risk=len(scan.liquidatable),
                             capped=len(scan.capped), started=started, ms=round(scan.seconds * 1000, 1)))
            self._start_stake_update(stop, scan.now)
            if self.triggers is not None:
                await self.triggers.wait(stop, self.poll_interval)
            else:
                await sleep_or_stop(stop, self.poll_interval)
