"""What the unattended loops (oracle pusher, AUM updater, grid bot) share: which failures are worth
retrying, exponential backoff that a stop event interrupts, the node's clock and key=value logs.

A failure is *transient* when retrying the same request can succeed: the node unreachable or slow
(httpx / OS errors, solana-py's wrappers), a JSON-RPC error reply, a transaction that was not
confirmed in time or not found after confirmation. A program's verdict (`errors.PerpPoolError`,
Anchor's and SPL Token's errors, runtime instruction errors) is never transient: sending the same
thing again would fail the same way.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, TypeVar

import httpx
from solana.exceptions import SolanaRpcException
from solana.rpc.core import RPCException, TransactionExpiredBlockheightExceededError, UnconfirmedTxError
from solders.transaction_status import TransactionErrorInstructionError

from perp_pool import errors

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_BASE_S = 0.25
RETRY_MAX_S = 30.0

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    httpx.HTTPError,
    SolanaRpcException,
    RPCException,
    UnconfirmedTxError,
    TransactionExpiredBlockheightExceededError,
    OSError,  # includes ConnectionError and (3.11+) TimeoutError
    asyncio.TimeoutError,
)


class Stopped(Exception):
    """The stop event was set while waiting to retry."""


def kv(**fields: Any) -> str:
    """`key=value` pairs for one structured log line (values with spaces are quoted)."""
    parts = []
    for key, value in fields.items():
        text = str(value)
        if not text or any(c.isspace() for c in text) or '"' in text:
            text = '"' + text.replace('"', "'") + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    # The bare base class is what the transport raises when it cannot tell what happened to a
    # transaction (confirmed but not found, blockhash expired, ...); subclasses are verdicts.
    return type(exc) is errors.TransactionFailed and not isinstance(exc.err, TransactionErrorInstructionError)


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Waits `seconds` or until `stop` is set; True when stopped."""
    if stop.is_set():
        return True
    if seconds <= 0:
        return False
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        return False
    return True


class Backoff:
    """Delays `base, 2*base, 4*base, ...` capped at `cap`; `reset()` after a success."""

    def __init__(self, base: float = RETRY_BASE_S, cap: float = RETRY_MAX_S):
        self.base = base
        self.cap = cap
        self.failures = 0

    def next_delay(self) -> float:
        delay = min(self.base * (2 ** self.failures), self.cap)
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0


async def retry_transient(op: Callable[[], Awaitable[T]], *, stop: asyncio.Event, what: str,
                          logger: logging.Logger = log, **context: Any) -> T:
    """Runs `op` until it succeeds, backing off after each transient failure; a non-transient
    failure propagates; raises `Stopped` if `stop` is set while waiting."""
    backoff = Backoff()
    while True:
        try:
            return await op()
        except Exception as exc:
            if not is_transient(exc):
                raise
            delay = backoff.next_delay()
            logger.warning(kv(event="rpc_error", op=what, error=type(exc).__name__, detail=str(exc)[:200],
                              attempt=backoff.failures, retry_in=delay, **context))
            if await sleep_or_stop(stop, delay):
                raise Stopped(what) from exc

from perp_pool.clock import node_unix_time  # noqa: E402  (re-exported)

__all__ = ["Backoff", "Stopped", "TRANSIENT_ERRORS", "is_transient", "kv", "node_unix_time", "retry_transient",
           "sleep_or_stop"]
