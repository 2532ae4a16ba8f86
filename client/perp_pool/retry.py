"""The one retry policy of the client, keepers and bots (on tenacity): what is *transient*, and how
it is retried.

A failure is transient when sending the same request again can succeed:

- the node unreachable or slow: httpx errors (connect, read, timeouts, HTTP status), OS errors
  (connection refused or reset; TimeoutError), `asyncio.TimeoutError`, and solana-py's wrapper of
  them (`SolanaRpcException`);
- a JSON-RPC error reply (`RPCException`: the node is behind, the blockhash was not found, ...)
  and a transaction not confirmed in time (`UnconfirmedTxError`,
  `TransactionExpiredBlockheightExceededError`);
- a bare `errors.TransactionFailed` without an instruction error: what the transport raises when
  it cannot tell what happened to a transaction (confirmed but not found, ...).

A program's verdict (`errors.PerpPoolError`, Anchor's and SPL Token's errors, runtime instruction
errors) is never transient: sending the same thing again would fail the same way, so it is raised
at once. Neither is anything else (a bug).

The policy: exponential backoff `base, 2*base, 4*base, ...` capped at `cap` (RETRY_BASE_S,
RETRY_MAX_S unless a caller has a reason), each retry logged as an `event=rpc_error` line; forever
or for a number of attempts; the wait between attempts ends early, raising `Stopped`, when the
caller's stop event is set (the long-running loops).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from solana.exceptions import SolanaRpcException
from solana.rpc.core import RPCException, TransactionExpiredBlockheightExceededError, UnconfirmedTxError
from solders.transaction_status import TransactionErrorInstructionError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, stop_never, wait_exponential

from perp_pool import errors
from perp_pool.logfmt import kv

__all__ = ["RETRY_BASE_S", "RETRY_MAX_S", "TRANSIENT_ERRORS", "Stopped", "is_transient", "retry_transient",
           "sleep_or_stop"]

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


def is_transient(exc: BaseException) -> bool:
    """Whether retrying what raised `exc` can succeed (see the module docstring)."""
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


async def retry_transient(op: Callable[[], Awaitable[T]], *, what: str, stop: asyncio.Event | None = None,
                          attempts: int | None = None, base: float = RETRY_BASE_S, cap: float = RETRY_MAX_S,
                          logger: logging.Logger = log, event: str = "rpc_error",
                          on_transient: Callable[[BaseException], None] | None = None, **context: Any) -> T:
    """Runs `op` until it succeeds, backing off after each transient failure (`base * 2**n`, at
    most `cap`); any other failure propagates at once. With `attempts`, the last transient failure
    propagates after that many tries. With `stop`, raises `Stopped` if it is set while waiting.
    Each retry is logged (`event=<event> op=<what> ...` plus `context`) and passed to `on_transient`."""
    last_failure: list[BaseException] = []

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        assert exc is not None  # only failed attempts are retried
        last_failure[:] = [exc]
        if on_transient is not None:
            on_transient(exc)
        logger.warning(kv(event=event, op=what, error=type(exc).__name__, detail=str(exc)[:200],
                          attempt=state.attempt_number, retry_in=state.upcoming_sleep, **context))

    async def sleep(seconds: float) -> None:
        if stop is None:
            await asyncio.sleep(seconds)
        elif await sleep_or_stop(stop, seconds):
            raise Stopped(what) from (last_failure[0] if last_failure else None)

    retrying = AsyncRetrying(
        retry=retry_if_exception(is_transient),
        wait=wait_exponential(multiplier=base, max=cap),
        stop=stop_never if attempts is None else stop_after_attempt(attempts),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,  # the last failure itself, not tenacity's RetryError, when attempts run out
    )
    return await retrying(op)
