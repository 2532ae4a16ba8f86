"""`oracle set` and `oracle push`: custom oracle prices, once or continuously."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Annotated, Any

import typer
from anchorpy.error import AccountDoesNotExistError

from perp_pool.cli.long_running import checked_arguments, run_long, unavailable, until_stopped
from perp_pool.cli.options import PoolName
from perp_pool.cli.output import Report, summarize
from perp_pool.cli.queries import (
    CustodyRef,
    PoolRef,
    oracle_type_name,
    parse_pubkey,
    require_sol,
    resolve_custody,
    resolve_pool,
    unix_now,
)
from perp_pool.cli.support import CliError, run, usage_error
from perp_pool.cli.units import format_price, parse_price
from perp_pool.client import PerpPoolClient
from perp_pool.constants import PRICE_DECIMALS
from perp_pool.math.fixed import Rounding
from perp_pool.math.oracle import OraclePrice

# The CLI's one logger name (as before the CLI became a package): log lines read the same.
log = logging.getLogger("perp_pool.cli")

oracle_app = typer.Typer(no_args_is_help=True, help="Custom oracle prices.")

OracleMint = Annotated[str, typer.Option("--mint", help="Mint of the custody to price.")]


async def custom_oracle_custody(client: PerpPoolClient, pool_name: str, mint: str) -> tuple[PoolRef, CustodyRef]:
    pool = await resolve_pool(client, pool_name)
    custody = await resolve_custody(client, pool, parse_pubkey(mint, "mint"))
    kind = oracle_type_name(custody.account)
    if kind != "Custom":
        raise CliError("NotCustomOracle", f"custody {custody.address} is priced by a {kind} oracle; only custom "
                       "oracles can be set")
    return pool, custody


@oracle_app.command("set")
def oracle_set_command(
    ctx: typer.Context,
    pool_name: PoolName,
    mint: OracleMint,
    price_text: Annotated[str, typer.Option("--price", help="USD per whole token, e.g. 151.25.")],
    conf_text: Annotated[str, typer.Option("--conf", help="Confidence interval (USD).")] = "0",
    ema_text: Annotated[str | None, typer.Option("--ema",
                                                 help="EMA price (USD); default none (spot is used).")] = None,
) -> None:
    """Write a custom oracle price (PRICE_DECIMALS = 9 decimals: expo -9) with publish_time = the
    node's clock. The wallet must be the custody's oracle authority."""

    async def action(client: PerpPoolClient) -> Report:
        _, custody = await custom_oracle_custody(client, pool_name, mint)
        value = parse_price(price_text, what="price")
        conf = parse_price(conf_text, what="confidence", allow_zero=True)
        ema = parse_price(ema_text, what="EMA") if ema_text else 0
        now = await unix_now(client)
        result = await client.set_custom_oracle_price(custody.address, price=value, expo=-PRICE_DECIMALS, conf=conf,
                                                      ema=ema, publish_time=now)
        return summarize(result, "CustomOraclePriceSet", custody=custody.address).report(None)

    run(ctx, action)


async def current_raw_price(client: PerpPoolClient, custody: CustodyRef) -> int | None:
    """The custom oracle's stored spot price in PRICE_DECIMALS, stale or not (None if never set)."""
    try:
        oracle = await client.fetch_custom_oracle(custody.account.oracle.oracle_account)
    except AccountDoesNotExistError:
        return None
    return OraclePrice(oracle.price, oracle.expo).scale_to_price_decimals(Rounding.FLOOR)


@oracle_app.command("push")
def oracle_push_command(
    ctx: typer.Context,
    pool_name: PoolName,
    mint: OracleMint,
    file: Annotated[Path | None, typer.Option("--file", help="Prices from this file.")] = None,
    stdin: Annotated[bool, typer.Option("--stdin", help="Prices from standard input.")] = False,
    random_walk: Annotated[bool, typer.Option("--random-walk", help="A seeded random walk.")] = False,
    seed: Annotated[int | None, typer.Option("--seed",
                                             help="Random walk seed (default: random, reported).")] = None,
    start: Annotated[str | None, typer.Option("--start",
                                              help="Random walk start (USD; default: current price).")] = None,
    vol_bps: Annotated[int, typer.Option("--vol-bps", min=0, help="Random walk step volatility, BPS.")] = 10,
    interval: Annotated[float, typer.Option("--interval", min=0.0, help="Seconds between pushes.")] = 1.0,
    count: Annotated[int | None, typer.Option("--count", min=1, help="Stop after this many pushes.")] = None,
    ws_url: Annotated[str | None, typer.Option("--ws-url", help="The node's PubSub websocket (default: the RPC "
                                               "URL's port + 1, as solana-test-validator serves it).")] = None,
    metrics_port: Annotated[int | None, typer.Option("--metrics-port", min=1, max=65535,
                                                     help="Serve Prometheus metrics on this port.")] = None,
) -> None:
    """Keep pushing custom oracle prices from a file, stdin or a random walk."""
    chosen = [name for name, on in (("--file", file is not None), ("--stdin", stdin), ("--random-walk", random_walk))
              if on]

    async def action(client: PerpPoolClient) -> Report:
        if len(chosen) != 1:
            raise usage_error("InvalidSource", "choose exactly one of --file, --stdin, --random-walk")
        try:
            from perp_pool.keeper.oracle_pusher import FileSource, RandomWalkSource, StdinSource, run_oracle_pusher
        except ImportError as exc:
            raise unavailable("perp_pool.keeper.oracle_pusher", exc) from None
        _, custody = await custom_oracle_custody(client, pool_name, mint)
        await require_sol(client)
        detail: dict[str, Any] = {"custody": str(custody.address), "source": chosen[0].lstrip("-")}
        if file is not None:
            with checked_arguments("--file"):
                source: Any = FileSource(file)
            detail["file"] = str(file)
        elif stdin:
            source = StdinSource()
        else:
            start_price = (parse_price(start, what="start price") if start
                           else await current_raw_price(client, custody))
            if start_price is None:
                raise usage_error("InvalidSource", "the oracle has no price yet: pass --start")
            walk_seed = seed if seed is not None else secrets.randbits(32)
            log.info("random walk from %s, vol %s bps, seed %s", format_price(start_price), vol_bps, walk_seed)
            with checked_arguments("--random-walk"):
                source = RandomWalkSource(start_price, vol_bps, walk_seed)
            detail.update({"start_price": start_price, "vol_bps": vol_bps, "seed": walk_seed})
        stopped_by, pushed = await until_stopped(
            lambda stop: run_oracle_pusher(client, custody.address, source, interval=interval, stop=stop, count=count,
                                           ws_url=ws_url, metrics_port=metrics_port))
        return Report({"command": "oracle push", **detail, "stopped_by": stopped_by,
                       "pushed": pushed if isinstance(pushed, int) else None})

    run_long(ctx, action)
