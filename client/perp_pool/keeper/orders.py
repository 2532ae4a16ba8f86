"""Trigger-order execution, in the liquidation keeper's scan (docs/design.md "Trigger orders").

The liquidation keeper (keeper/liquidator.py) reads the orders with the positions (a second
getProgramAccounts, concurrent, same pool memcmp) and the custodies and oracles of both in its one
getMultipleAccounts; `OrderExecutor.evaluate` then decides, with the program's own integer rules
(`perp_pool.math.orders`, the watched price with spread and EMA rule, the order's price limit), which
orders to execute and which take-profits / stop-losses are void (their position is gone or replaced).
An order whose position the same scan found liquidatable is left alone: the liquidation comes first.

Each order is executed (or removed, when void) concurrently and at most once per keeper (an order is
never in flight twice); an order that is already gone when the transaction lands (another keeper
executed it, its owner cancelled it) counts as done, not as a failure. A trade rule that refuses (a
cap, leverage, the remaining position's health: the limit order or TP/SL stays open, by the
program's rule) or an owner without a usable token account for the payout leaves the order alone
for ORDER_SKIP_S. Transient failures are retried like liquidations; metrics are Prometheus, in the
keeper's registry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from based58 import b58encode
from prometheus_client import CollectorRegistry, Counter, Gauge
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solana.rpc.types import MemcmpOpts, TxOpts
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.message import Message
from solders.pubkey import Pubkey
from solders.rpc.errors import SendTransactionPreflightFailureMessage
from solders.signature import Signature
from solders.transaction import Transaction
from solders.transaction_status import TransactionConfirmationStatus
from spl.token.constants import TOKEN_PROGRAM_ID

from perp_pool import errors
from perp_pool.client import PerpPoolClient
from perp_pool.client.orders import ORDER_DISCRIMINATOR, ORDER_POOL_OFFSET, OrderView, decode_order
from perp_pool.keeper.health import MarketState, PositionView
from perp_pool.math.health import spread_bps
from perp_pool.math.orders import OrderKind, trigger_reached, watched_price
from perp_pool.math.pricing import Side
from perp_pool.retry import is_transient, retry_transient
from perp_pool.tokens import (
    ACCOUNT_STATE_INITIALIZED,
    PayoutAccounts,
    get_associated_token_address,
    parse_token_account,
)

log = logging.getLogger("perp_pool.keeper.orders")

EXECUTE_COMPUTE_UNITS = 200_000
SEND_ATTEMPTS = 3
SEND_RETRY_BASE_S = 0.4
SEND_RETRY_MAX_S = 2.0
ORDER_SKIP_S = 60.0
CONFIRM_POLL_S = 0.05
CONFIRM_TIMEOUT_S = 30.0
# Executions in flight at once: all the orders one oracle update reaches should land in about one
# slot (a stop-loss is a race against the liquidation price).
ORDER_MAX_IN_FLIGHT = 32
OWNER_ACCOUNT_TTL_S = 30.0
GONE = (errors.error_class("AccountNotInitialized"), errors.error_class("AccountDidNotDeserialize"),
        errors.AccountNotFound)
# The price moved back between the scan and the send: the next scan decides again.
NOT_NOW = (errors.error_class("OrderNotTriggered"), errors.error_class("PriceSlippage"),
           errors.error_class("OrderVoid"), errors.error_class("OrderNotVoid"))


class OrderMetrics:
    def __init__(self, registry: CollectorRegistry):
        self.tracked = Gauge("perp_keeper_orders_tracked", "Orders in the last scan", registry=registry)
        self.executable = Gauge("perp_keeper_orders_executable", "Orders executable in the last scan",
                                registry=registry)
        self.void = Gauge("perp_keeper_orders_void", "Void orders (position gone) in the last scan", registry=registry)
        self.sent = Counter("perp_keeper_orders_sent", "Order executions and removals sent", registry=registry)
        self.landed = Counter("perp_keeper_orders_landed", "Order executions confirmed", registry=registry)
        self.removed = Counter("perp_keeper_orders_void_removed", "Void orders removed", registry=registry)
        self.lost_race = Counter("perp_keeper_orders_already_done",
                                 "Orders already executed, removed or cancelled by someone else", registry=registry)
        self.refused = Counter("perp_keeper_orders_refused",
                               "Orders the program refused to execute now (a cap, leverage, ...): left alone a while",
                               registry=registry)
        self.failed = Counter("perp_keeper_orders_failed", "Order executions that failed", registry=registry)
        self.no_owner_account = Counter("perp_keeper_orders_skipped_no_owner_account",
                                        "Take-profits / stop-losses skipped: the owner has no usable associated "
                                        "token account for the payout", registry=registry)


@dataclass
class OrderScan:
    orders: int = 0
    executable: list[OrderView] = field(default_factory=list)
    void: list[OrderView] = field(default_factory=list)


class OrderExecutor:
    """Executes the orders of `pool` (None: every pool) for `client`'s wallet."""

    def __init__(self, client: PerpPoolClient, pool: Pubkey | None = None, *, receiving_account: Pubkey | None = None,
                 priority_fee_micro_lamports: int = 0, max_in_flight: int = ORDER_MAX_IN_FLIGHT,
                 registry: CollectorRegistry | None = None, payout: PayoutAccounts | None = None):
        """`payout`: where fees are paid (the liquidation keeper shares its own); else
        `receiving_account`, or the wallet's associated token account of each mint."""
        self.client = client
        self.pool = pool
        self.priority_fee = priority_fee_micro_lamports
        self.in_flight: set[Pubkey] = set()
        self._slots = asyncio.Semaphore(max_in_flight)
        self._skip_until: dict[Pubkey, float] = {}
        self.payout = payout or PayoutAccounts(client.transport, receiving_account)
        self._tasks: set[asyncio.Task[None]] = set()
        self.metrics = OrderMetrics(registry or CollectorRegistry())
        self.landed: list[Pubkey] = []
        self.removed: list[Pubkey] = []
        # The custodies of the last scan (decoded once, for building instructions without reads),
        # and owners' payout accounts found usable (checked again after OWNER_ACCOUNT_TTL_S).
        self._custodies: dict[Pubkey, Any] = {}
        self._owner_account_ok_until: dict[Pubkey, float] = {}

    # ---- scanning ---------------------------------------------------------------------------

    async def fetch_orders(self) -> list[OrderView]:
        filters: list[Any] = [MemcmpOpts(offset=0, bytes=b58encode(ORDER_DISCRIMINATOR).decode())]
        if self.pool is not None:
            filters.append(MemcmpOpts(offset=ORDER_POOL_OFFSET, bytes=str(self.pool)))
        resp = await self.client.connection.get_program_accounts(self.client.program_id, commitment=Confirmed,
                                                                 encoding="base64", filters=filters)
        return [decode_order(a.pubkey, bytes(a.account.data)) for a in resp.value]

    @staticmethod
    def custodies(orders: Iterable[OrderView]) -> set[Pubkey]:
        """The custodies (and so the oracles) the orders need read."""
        return {k for o in orders for k in (o.custody, o.collateral_custody)}

    def evaluate(self, orders: list[OrderView], positions: Iterable[PositionView], markets: dict[Pubkey, MarketState],
                 liquidatable: Iterable[Pubkey] = ()) -> OrderScan:
        """Which orders to execute now and which are void, from the scan's positions and markets (a
        market whose oracle the program would refuse is missing: its orders wait)."""
        self._custodies.update({k: market.custody for k, market in markets.items()})
        by_address = {p.address: p for p in positions}
        skip = set(liquidatable)
        clock = time.monotonic()
        scan = OrderScan(len(orders))
        program_id = self.client.program_id
        for o in orders:
            if self._skip_until.get(o.address, 0.0) > clock:
                continue
            position_address = o.position_address(program_id)
            if o.kind is not OrderKind.LIMIT:
                p = by_address.get(position_address)
                if p is None or p.size_usd == 0 or p.open_time != o.position_open_time:
                    scan.void.append(o)
                    continue
            if position_address in skip:
                continue  # liquidated first
            market = markets.get(o.custody)
            if market is None or o.collateral_custody not in markets:
                continue
            price = watched_price(o.kind, o.side, market.trade_prices(), spread_bps(market.custody, o.side))
            if trigger_reached(o.kind, o.side, price, o.trigger_price) and _within_limit(o, price):
                scan.executable.append(o)
        self.metrics.tracked.set(scan.orders)
        self.metrics.executable.set(len(scan.executable))
        self.metrics.void.set(len(scan.void))
        return scan

    # ---- executing --------------------------------------------------------------------------

    def dispatch(self, scan: OrderScan) -> int:
        """Starts an execution for each executable order and a removal for each void one not already
        in flight (after one read of the owners' payout accounts); returns how many started."""
        batch = [(o, void) for o, void in [*((o, False) for o in scan.executable), *((o, True) for o in scan.void)]
                 if o.address not in self.in_flight]
        if not batch:
            return 0
        self.in_flight.update(o.address for o, _ in batch)
        task = asyncio.create_task(self._run_batch(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return len(batch)

    async def _run_batch(self, batch: list[tuple[OrderView, bool]]) -> None:
        """The orders one scan found: payout accounts read at once, every transaction signed with one
        blockhash and sent concurrently, then confirmed together (one getSignatureStatuses per poll)
        rather than one confirmation loop each. A send that fails transiently falls back to
        `execute` / `remove_void` (fresh blockhash, retries)."""
        try:
            try:
                await self._prefetch_owner_accounts([o for o, void in batch
                                                     if not void and o.kind is not OrderKind.LIMIT])
            except Exception as exc:  # noqa: BLE001 - each execution then checks its account itself
                log.warning(f"event=owner_accounts_prefetch_failed error={type(exc).__name__}")
            prepared = await asyncio.gather(*(self._prepare_guarded(o, void) for o, void in batch))
            ready = [(o, void, ix) for (o, void), ix in zip(batch, prepared, strict=True) if ix is not None]
            if ready:
                await self._send_batch(ready)
        finally:
            self.in_flight.difference_update(o.address for o, _ in batch)

    async def _prepare_guarded(self, o: OrderView, void: bool) -> Any:
        try:
            return await self._prepare(o, void)
        except Exception as exc:  # noqa: BLE001 - one order must never stop the keeper
            self.metrics.failed.inc()
            log.error(f"event=order_error order={o.address} error={exc!r}")
            return None

    async def _send_batch(self, ready: list[tuple[OrderView, bool, Any]]) -> None:
        conn, payer = self.client.connection, self.client.wallet
        latest = (await conn.get_latest_blockhash(Confirmed)).value
        budget = self._budget()
        pending: dict[Signature, tuple[OrderView, bool]] = {}

        async def send_one(o: OrderView, void: bool, ix: Any) -> None:
            message = Message.new_with_blockhash([*budget, ix], payer.pubkey(), latest.blockhash)
            tx = Transaction([payer], message, latest.blockhash)
            async with self._slots:
                self.metrics.sent.inc()
                try:
                    sig = (await conn.send_raw_transaction(bytes(tx), opts=TxOpts(
                        skip_preflight=False, preflight_commitment=Confirmed, skip_confirmation=True))).value
                except RPCException as exc:
                    info = exc.args[0] if exc.args else None
                    if isinstance(info, SendTransactionPreflightFailureMessage):
                        self._settle(o, void, errors.translate(info.data.err, info.data.logs,
                                                               self.client.program_id), None)
                        return
                    await self._guarded(o, void)  # transient: the one-by-one path retries
                    return
                except Exception as exc:  # noqa: BLE001 - same: retried one by one if transient
                    if not is_transient(exc):
                        raise
                    await self._guarded(o, void)
                    return
            pending[sig] = (o, void)

        await asyncio.gather(*(send_one(o, void, ix) for o, void, ix in ready))
        deadline = time.monotonic() + CONFIRM_TIMEOUT_S
        while pending and time.monotonic() < deadline:
            await asyncio.sleep(CONFIRM_POLL_S)
            sigs = list(pending)
            try:
                statuses = (await conn.get_signature_statuses(sigs)).value
            except Exception as exc:  # noqa: BLE001 - poll again
                if not is_transient(exc):
                    raise
                self.metrics.failed.inc()
                continue
            for sig, status in zip(sigs, statuses, strict=True):
                if status is None or status.confirmation_status is None:
                    continue
                if status.confirmation_status == TransactionConfirmationStatus.Processed and status.err is None:
                    continue
                o, void = pending.pop(sig)
                failure = errors.translate(status.err, None, self.client.program_id) if status.err else None
                self._settle(o, void, failure, (sig, status.slot))
        for o, _void in pending.values():
            self.metrics.failed.inc()
            log.warning(f"event=order_send_failed order={o.address} error=ConfirmationTimeout")

    def _settle(self, o: OrderView, void: bool, failure: Exception | None, landed: tuple[Signature, int] | None) -> str:
        """Books the outcome of one sent transaction (`failure` None: it landed)."""
        m = self.metrics
        if failure is None and landed is not None:
            (self.removed if void else self.landed).append(o.address)
            (m.removed if void else m.landed).inc()
            log.info(f"event={'void_order_removed' if void else 'order_executed'} order={o.address} owner={o.owner} "
                     f"kind={o.kind.value} fee={o.executor_fee} signature={landed[0]} slot={landed[1]}")
            return "landed"
        if isinstance(failure, GONE):
            m.lost_race.inc()
            return "gone"
        if isinstance(failure, NOT_NOW):
            return "not_now"
        m.refused.inc()
        self._leave_alone(o)
        log.info(f"event=order_refused order={o.address} kind={o.kind.value} error={type(failure).__name__}")
        return "refused"

    async def _prefetch_owner_accounts(self, orders: list[OrderView]) -> None:
        """One getMultipleAccounts for the payout accounts the take-profits / stop-losses will need."""
        wanted: dict[Pubkey, tuple[Pubkey, Pubkey]] = {}
        clock = time.monotonic()
        for o in orders:
            collateral = self._custodies.get(o.collateral_custody)
            if collateral is None:
                continue
            account = get_associated_token_address(o.owner, collateral.mint)
            if self._owner_account_ok_until.get(account, 0.0) <= clock:
                wanted[account] = (o.owner, collateral.mint)
        keys = list(wanted)
        for start in range(0, len(keys), 100):  # the RPC's limit per call
            chunk = keys[start:start + 100]
            infos = (await self.client.connection.get_multiple_accounts(chunk, commitment=Confirmed)).value
            for account, info in zip(chunk, infos, strict=True):
                self._remember_owner_account(account, info, *wanted[account])

    async def drain(self, timeout: float = 30.0) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def _guarded(self, o: OrderView, void: bool) -> None:
        try:
            await (self.remove_void(o) if void else self.execute(o))
        except Exception as exc:  # noqa: BLE001 - one order must never stop the keeper
            self.metrics.failed.inc()
            log.error(f"event=order_error order={o.address} error={exc!r}")

    async def _custody_pair(self, o: OrderView) -> tuple[Any, Any]:
        pair = []
        for key in (o.custody, o.collateral_custody):
            if key not in self._custodies:
                self._custodies[key] = await self.client.fetch_custody(key)
            pair.append(self._custodies[key])
        return pair[0], pair[1]

    async def _owner_account_usable(self, account: Pubkey, owner: Pubkey, mint: Pubkey) -> bool:
        if self._owner_account_ok_until.get(account, 0.0) > time.monotonic():
            return True
        info = (await self.client.connection.get_account_info(account, commitment=Confirmed)).value
        return self._remember_owner_account(account, info, owner, mint)

    def _remember_owner_account(self, account: Pubkey, info: Any, owner: Pubkey, mint: Pubkey) -> bool:
        """Whether `info` is a usable payout account (exists under the token program, still the owner's,
        holds `mint`, not frozen: what `execute_trigger_order` requires); remembered for a while if so."""
        if info is None or info.owner != TOKEN_PROGRAM_ID:
            return False
        try:
            parsed = parse_token_account(bytes(info.data))
        except ValueError:
            return False
        usable = parsed.mint == mint and parsed.owner == owner and parsed.state == ACCOUNT_STATE_INITIALIZED
        if usable:
            self._owner_account_ok_until[account] = time.monotonic() + OWNER_ACCOUNT_TTL_S
        return usable

    def _leave_alone(self, o: OrderView) -> None:
        self._skip_until[o.address] = time.monotonic() + ORDER_SKIP_S

    async def _prepare(self, o: OrderView, void: bool) -> Any:
        """The instruction that executes (or, `void`, removes) `o`, or None when there is nothing to
        send (a TP/SL owner without a usable payout account: left alone; the order is gone)."""
        try:
            market, collateral = await self._custody_pair(o)
            fee_account = await self.payout.for_mint(collateral.mint)
            if void:
                return self.client.remove_void_order_ix(o, market, collateral, keeper_receiving_account=fee_account)
            receiving = None
            if o.kind is not OrderKind.LIMIT:
                receiving = get_associated_token_address(o.owner, collateral.mint)
                if not await self._owner_account_usable(receiving, o.owner, collateral.mint):
                    self.metrics.no_owner_account.inc()
                    self._leave_alone(o)
                    return None
            return self.client.execute_order_ix(o, market, collateral, executor_receiving_account=fee_account,
                                                receiving_account=receiving)
        except GONE:
            self.metrics.lost_race.inc()
            return None

    async def execute(self, o: OrderView) -> str:
        """One order now: 'landed', 'gone', 'not_now' (the price moved back), 'refused' (a trade rule;
        left alone), 'skipped' (nothing to send) or 'failed'."""
        ix = await self._prepare(o, False)
        if ix is None:
            return "skipped"
        return await self._send(o, ix, False)

    async def remove_void(self, o: OrderView) -> str:
        ix = await self._prepare(o, True)
        if ix is None:
            return "skipped"
        return await self._send(o, ix, True)

    def _budget(self) -> list[Any]:
        budget = [set_compute_unit_limit(EXECUTE_COMPUTE_UNITS)]
        if self.priority_fee:
            budget.append(set_compute_unit_price(self.priority_fee))
        return budget

    async def _send(self, o: OrderView, ix: Any, void: bool) -> str:
        """One transaction, confirmed on its own; transient failures retried with a fresh blockhash."""
        budget = self._budget()
        m = self.metrics
        log_event = "void_order_removed" if void else "order_executed"

        async def send() -> Any:
            m.sent.inc()
            return await self.client.transport.send([*budget, ix])  # a fresh blockhash each attempt

        try:
            result = await retry_transient(send, what=log_event, attempts=SEND_ATTEMPTS, base=SEND_RETRY_BASE_S,
                                           cap=SEND_RETRY_MAX_S, logger=log, event=f"{log_event}_retry",
                                           order=o.address)
        except errors.TransactionFailed as exc:
            return self._settle(o, void, exc, None)
        except Exception as exc:
            if not is_transient(exc):
                raise  # a bug: _guarded logs it
            m.failed.inc()
            log.warning(f"event=order_send_failed order={o.address} error={type(exc).__name__}")
            return "failed"
        return self._settle(o, void, None, (result.signature, result.slot))


def _within_limit(o: OrderView, price: int) -> bool:
    """The order's price limit (`check_exit_slippage` / `check_entry_slippage`)."""
    buys = (o.kind is OrderKind.LIMIT) == (o.side is Side.LONG)  # a long entry or a short exit
    return price <= o.price_limit if buys else price >= o.price_limit
