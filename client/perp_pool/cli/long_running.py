"""What the long-running commands (keepers, bots, the oracle pusher) share: running until
SIGINT/SIGTERM, info logs by default, and clear errors for missing modules and bad parameters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import typer

from perp_pool.cli.output import Report
from perp_pool.cli.support import CliError, Settings, run, usage_error
from perp_pool.client import PerpPoolClient

# The CLI's one logger name (as before the CLI became a package): log lines read the same.
log = logging.getLogger("perp_pool.cli")


def unavailable(module: str, exc: ImportError) -> CliError:
    return CliError("KeeperUnavailable", f"{module} is not available in this installation: {exc}")


async def until_stopped(body: Callable[[asyncio.Event], Awaitable[Any]]) -> tuple[str, Any]:
    """Runs `body(stop)`; SIGINT/SIGTERM set `stop`. Returns (what ended it: signal | finished,
    what `body` returned)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            log.debug("cannot install a handler for %s", sig)
    try:
        result = await body(stop)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
    return ("signal" if stop.is_set() else "finished"), result


@contextlib.contextmanager
def checked_arguments(what: str) -> Iterator[None]:
    """Around building a keeper, bot or price source: the parameter checks they make (ValueError,
    an unreadable file) are usage errors."""
    try:
        yield
    except (ValueError, OSError) as exc:
        raise usage_error("InvalidArgument", f"{what}: {exc}") from None


def run_long(ctx: typer.Context, action: Callable[[PerpPoolClient], Awaitable[Report]]) -> None:
    """A long-running command: info logs on by default so the operator sees it working."""
    settings: Settings = ctx.obj
    settings.verbose = max(settings.verbose, 1)
    run(ctx, action)
