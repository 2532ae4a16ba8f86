"""`bot grid`: trading bots (stop with Ctrl-C / SIGTERM)."""

from __future__ import annotations

from typing import Annotated

import typer

from perp_pool.cli.long_running import checked_arguments, run_long, unavailable, until_stopped
from perp_pool.cli.options import MarketMint, PoolName
from perp_pool.cli.output import Report
from perp_pool.cli.queries import parse_pubkey, require_sol, require_token_account, resolve_custody, resolve_pool
from perp_pool.cli.units import parse_leverage_bps, parse_usd
from perp_pool.client import PerpPoolClient

bot_app = typer.Typer(no_args_is_help=True, help="Trading bots (stop with Ctrl-C / SIGTERM).")


@bot_app.command("grid")
def bot_grid_command(
    ctx: typer.Context,
    pool_name: PoolName,
    market: MarketMint,
    collateral: Annotated[str, typer.Option("--collateral", help="Mint of the collateral custody.")],
    levels: Annotated[int, typer.Option("--levels", min=1, help="Grid levels on each side.")] = 5,
    spacing_bps: Annotated[int, typer.Option("--spacing-bps", min=1, help="Distance between levels, BPS.")] = 50,
    size_text: Annotated[str, typer.Option("--size", help="USD size per level.")] = "100",
    leverage_text: Annotated[str, typer.Option("--leverage", help="Leverage per position (e.g. 5 or 2.5).")] = "5",
    interval: Annotated[float, typer.Option("--interval", min=0.0, help="Seconds between price checks.")] = 1.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Log the orders, send nothing.")] = False,
    ws_url: Annotated[str | None, typer.Option("--ws-url", help="The node's PubSub websocket (default: the RPC "
                                               "URL's port + 1, as solana-test-validator serves it).")] = None,
    metrics_port: Annotated[int | None, typer.Option("--metrics-port", min=1, max=65535,
                                                     help="Serve Prometheus metrics on this port.")] = None,
) -> None:
    """Trade a price grid around the oracle price."""

    async def action(client: PerpPoolClient) -> Report:
        size_usd = parse_usd(size_text, what="size")
        leverage_bps = parse_leverage_bps(leverage_text)
        try:
            from perp_pool.bots.grid import GridBot
        except ImportError as exc:
            raise unavailable("perp_pool.bots.grid", exc) from None
        pool = await resolve_pool(client, pool_name)
        custody = await resolve_custody(client, pool, parse_pubkey(market, "market mint"))
        collateral_custody = await resolve_custody(client, pool, parse_pubkey(collateral, "collateral mint"))
        if not dry_run:
            await require_sol(client)
            await require_token_account(client, collateral_custody.mint, "collateral")
        with checked_arguments("grid"):
            bot = GridBot(client, pool.address, custody.address, collateral_custody.address, levels=levels,
                          spacing_bps=spacing_bps, size_usd=size_usd, leverage_bps=leverage_bps, dry_run=dry_run,
                          ws_url=ws_url, metrics_port=metrics_port)
        stopped_by, actions = await until_stopped(lambda stop: bot.run(stop, interval=interval))
        return Report({"command": "bot grid", "pool": str(pool.address), "custody": str(custody.address),
                       "collateral_custody": str(collateral_custody.address), "dry_run": dry_run,
                       "stopped_by": stopped_by, "actions": len(actions) if isinstance(actions, list) else None})

    run_long(ctx, action)
