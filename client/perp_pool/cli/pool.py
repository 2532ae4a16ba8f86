"""`pool info` and `positions list`: reading a pool and its positions."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from perp_pool.cli.options import PoolName
from perp_pool.cli.output import Report, render_mapping, short
from perp_pool.cli.queries import parse_pubkey, resolve_pool
from perp_pool.cli.summaries import list_positions, pool_info
from perp_pool.cli.support import run
from perp_pool.cli.units import format_bps_multiple, format_price, format_rate_percent, format_units, format_usd
from perp_pool.client import PerpPoolClient
from perp_pool.math.fixed import U64_MAX
from perp_pool.math.pnl import LIQUIDATION_PRICE_SEARCH_MAX

pool_app = typer.Typer(no_args_is_help=True, help="Pool state.")
positions_app = typer.Typer(no_args_is_help=True, help="Open positions.")


@pool_app.command("info")
def pool_info_command(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Pool name.")]) -> None:
    """AUM, LP price and supply, and each custody's assets, utilisation, borrow rate, open
    interest and oracle price."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, name)
        info = await pool_info(client, pool)
        return Report(info, lambda out: _render_pool(out, info))

    run(ctx, action)


def _render_pool(out: Console, info: dict[str, Any]) -> None:
    render_mapping(out, {
        "pool": f"{info['name']} ({info['address']})",
        "lp mint": info["lp_mint"],
        "AUM (USD)": format_usd(info["aum_usd"]),
        "LP price (USD)": format_usd(info["lp_price_usd"]),
        "LP supply": format_units(info["lp_supply"], info["lp_decimals"], group=True),
        "dead LP supply": format_units(info["dead_lp_supply"], info["lp_decimals"], group=True),
        "LP cooldown": f"{info['lp_cooldown_sec']} s after each deposit (and at least one slot)",
    })
    table = Table(title="custodies")
    for column in ("mint", "dec", "stable", "owned", "locked", "collateral", "protocol fees", "insurance",
                   "util", "borrow/h", "long OI (USD)", "short OI (USD)", "oracle spot/ema"):
        table.add_column(column, overflow="fold")
    for c in info["custodies"]:
        d = c["decimals"]
        table.add_row(
            short(c["mint"]), str(d), "yes" if c["is_stable"] else "no",
            format_units(c["owned"], d, group=True), format_units(c["locked"], d, group=True),
            format_units(c["collateral"], d, group=True), format_units(c["protocol_fees"], d, group=True),
            format_units(c["insurance_fund"], d, group=True),
            format_rate_percent(c["utilization"], 2), format_rate_percent(c["borrow_rate"]),
            f"{format_usd(c['long_size_usd'])} ({c['long_positions']})",
            f"{format_usd(c['short_size_usd'])} ({c['short_positions']})",
            f"{format_price(c['oracle_price']['spot'])} / {format_price(c['oracle_price']['ema'])}",
        )
    out.print(table)


@positions_app.command("list")
def positions_list_command(
    ctx: typer.Context,
    pool_name: PoolName,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's positions.")] = None,
    verify: Annotated[bool, typer.Option("--verify",
                                         help="Also ask the program (get_liquidation_price).")] = False,
) -> None:
    """Positions of a pool with PnL, leverage and liquidation price computed off-chain."""

    async def action(client: PerpPoolClient) -> Report:
        owner_key = parse_pubkey(owner, "owner") if owner else None
        data = await list_positions(client, await resolve_pool(client, pool_name), owner_key, verify)
        return Report(data, lambda out: _render_positions(out, data, verify))

    run(ctx, action)


def _render_positions(out: Console, data: dict[str, Any], verify: bool) -> None:
    table = Table(title=f"positions of {data['pool_name']} ({len(data['positions'])})")
    columns = ["position", "owner", "market", "side", "size (USD)", "collateral", "entry", "exit", "PnL (USD)",
               "leverage", "liq. price", "status"] + (["on-chain", "match"] if verify else [])
    for column in columns:
        table.add_column(column, overflow="fold")
    for p in data["positions"]:
        d = p["collateral_decimals"]
        row = [short(p["address"]), short(p["owner"]), short(p["market_mint"]), p["side"],
               format_usd(p["size_usd"]), format_units(p["collateral_amount"], d, group=True),
               format_price(p["entry_price"])]
        if p["error"]:
            row += ["", "", "", "", p["error"]] + (["", ""] if verify else [])
        else:
            leverage = "-" if p["leverage_bps"] is None else format_bps_multiple(p["leverage_bps"])
            row += [format_price(p["exit_price"]), format_usd(p["pnl_usd"]), leverage,
                    liquidation_price_text(p["side"], p["liquidation_price"]),
                    "LIQUIDATABLE" if p["liquidatable"] else "ok"]
            if verify:
                row += [liquidation_price_text(p["side"], p["liquidation_price_onchain"]),
                        "yes" if p["liquidation_price_match"] else "NO"]
        table.add_row(*row)
    out.print(table)


def liquidation_price_text(side: str, value: int) -> str:
    """The program's sentinels (docs/design.md) in words: a long at 0 / a short at the search
    ceiling survives any price; a long at u64::MAX / a short at 0 is liquidatable at any price."""
    if (side == "long" and value == 0) or (side == "short" and value >= LIQUIDATION_PRICE_SEARCH_MAX):
        return "never"
    if (side == "long" and value == U64_MAX) or (side == "short" and value == 0):
        return "any price"
    return format_price(value)
