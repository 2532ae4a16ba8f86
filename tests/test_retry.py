"""The one retry policy (perp_pool.retry), and the keeper's sends on it; offline."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from solana.rpc.core import RPCException
from solders.pubkey import Pubkey

from perp_pool import errors
from perp_pool.keeper.health import PositionView
from perp_pool.keeper.liquidator import SEND_ATTEMPTS, LiquidationKeeper
from perp_pool.math.pricing import Side
from perp_pool.retry import Stopped, is_transient, retry_transient


class Flaky:
    """An operation that raises `failures` in turn, then returns 'ok'."""

    def __init__(self, *failures: BaseException):
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def test_what_is_transient() -> None:
    assert is_transient(httpx.ConnectError("refused"))
    assert is_transient(httpx.ReadTimeout("slow"))
    assert is_transient(ConnectionResetError())
    assert is_transient(asyncio.TimeoutError())
    assert is_transient(RPCException("node is behind"))
    assert is_transient(errors.TransactionFailed("confirmed but not found"))
    assert not is_transient(errors.StaleOraclePrice())
    assert not is_transient(errors.AccountNotInitialized())
    assert not is_transient(errors.TokenInsufficientFunds())
    assert not is_transient(errors.InstructionFailed("MissingRequiredSignature"))
    assert not is_transient(TypeError("a bug"))


async def test_transient_failures_are_retried_with_a_growing_capped_pause() -> None:
    op = Flaky(httpx.ConnectError("refused"), RPCException("blockhash not found"), OSError("reset"))
    started = time.monotonic()
    assert await retry_transient(op, what="test", base=0.01, cap=0.02) == "ok"
    assert op.calls == 4
    assert 0.01 + 0.02 + 0.02 <= time.monotonic() - started < 2


@pytest.mark.parametrize("failure", [errors.StaleOraclePrice(), errors.ConstraintSeeds(), TypeError("a bug")])
async def test_a_program_verdict_or_a_bug_is_raised_at_once(failure: BaseException) -> None:
    op = Flaky(failure)
    with pytest.raises(type(failure)):
        await retry_transient(op, what="test", base=0.01)
    assert op.calls == 1


async def test_the_last_transient_failure_is_raised_when_attempts_run_out() -> None:
    op = Flaky(*(httpx.ConnectError(f"refused {i}") for i in range(5)))
    with pytest.raises(httpx.ConnectError, match="refused 2"):
        await retry_transient(op, what="test", attempts=3, base=0.001)
    assert op.calls == 3


async def test_setting_the_stop_event_ends_the_wait() -> None:
    stop = asyncio.Event()
    op = Flaky(*(httpx.ConnectError("refused") for _ in range(100)))
    seen: list[BaseException] = []
    asyncio.get_running_loop().call_later(0.1, stop.set)
    started = time.monotonic()
    with pytest.raises(Stopped):
        await retry_transient(op, what="test", stop=stop, base=60, on_transient=seen.append)
    assert time.monotonic() - started < 5
    assert op.calls == 1 and len(seen) == 1


# ---- the keeper's sends ------------------------------------------------------------------------


class FakeTransport:
    def __init__(self, *failures: BaseException):
        self.send_op = Flaky(*failures)

    async def send(self, ixs: Any) -> Any:
        await self.send_op()
        event = SimpleNamespace(data=SimpleNamespace(reward_paid=1))
        return SimpleNamespace(event=lambda name: event, signature="sig", slot=1)


def keeper_with(transport: FakeTransport) -> LiquidationKeeper:
    return LiquidationKeeper(SimpleNamespace(transport=transport), poll_interval=0.01)  # type: ignore[arg-type]


POSITION = PositionView(Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique(),
                        Pubkey.new_unique(), Side.LONG, 1, 1, 1, 1, 1, 0)


async def send(keeper: LiquidationKeeper) -> str:
    m = keeper.metrics
    return await keeper._send_for_position(
        POSITION, None, event="PositionLiquidated", log_event="liquidated", retry_event="liquidation_retry",
        counters=(m.sent, m.landed, m.lost_race, m.failed),
        not_applicable=(errors.PositionHealthy, "healthy"))


@pytest.mark.parametrize("failure, outcome", [
    (errors.StaleOraclePrice(), "failed"),  # a verdict: the next scan tries again, not this send
    (errors.AccountNotInitialized(), "gone"),  # someone else liquidated it first: done
    (errors.PositionHealthy(), "healthy"),
])
async def test_a_send_refused_by_the_program_is_not_retried(failure: BaseException, outcome: str) -> None:
    transport = FakeTransport(failure)
    keeper = keeper_with(transport)
    assert await send(keeper) == outcome
    assert transport.send_op.calls == 1 and keeper.metrics.sent._value.get() == 1
    assert keeper.metrics.failed._value.get() == (1 if outcome == "failed" else 0)
    assert keeper.metrics.lost_race._value.get() == (1 if outcome == "gone" else 0)


async def test_a_send_that_fails_transiently_is_retried_then_lands() -> None:
    transport = FakeTransport(httpx.ReadTimeout("slow"), RPCException("node is behind"))
    keeper = keeper_with(transport)
    assert await send(keeper) == "landed"
    assert transport.send_op.calls == 3 == keeper.metrics.sent._value.get()
    assert keeper.landed == [POSITION.address]


async def test_a_send_that_always_fails_transiently_fails_after_its_attempts() -> None:
    transport = FakeTransport(*(httpx.ConnectError("refused") for _ in range(SEND_ATTEMPTS + 1)))
    keeper = keeper_with(transport)
    assert await send(keeper) == "failed"
    assert transport.send_op.calls == SEND_ATTEMPTS and keeper.metrics.failed._value.get() == 1
