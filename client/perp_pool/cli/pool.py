"""`pool info` and `positions list`: reading a pool and its positions."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from perp_pool.cli.options import PoolName
from perp_pool.cli.output import Report, short
from perp_pool.cli.queries import list_pools, parse_pubkey, resolve_pool
from perp_pool.cli.summaries import list_positions, pool_info
from perp_pool.cli.support import run
from perp_pool.cli.tables import Row, column, price_places, print_block, print_wide, table
from perp_pool.cli.units import format_bps_multiple, format_multiplier, format_price, format_units, format_usd
from perp_pool.client import PerpPoolClient
from perp_pool.constants import BPS_DECIMALS, PRICE_DECIMALS, RATE_DECIMALS, USD_DECIMALS
from perp_pool.math.fixed import U64_MAX
from perp_pool.math.pnl import LIQUIDATION_PRICE_SEARCH_MAX

pool_app = typer.Typer(no_args_is_help=True, help="Pool state.")
positions_app = typer.Typer(no_args_is_help=True, help="Open positions.")


Wide = Annotated[bool, typer.Option("--wide", help="One row per item with every column (wider than 80 "
                                                   "columns); the default fits 80.")]


@pool_app.command("list")
def pool_list_command(ctx: typer.Context) -> None:
    """The pools on this node: name, address, custodies."""

    async def action(client: PerpPoolClient) -> Report:
        pools = await list_pools(client)
        data = {"pools": [{"name": p.name, "address": str(p.address), "custodies": len(p.account.custodies)}
                          for p in pools]}

        def render(out: Console) -> None:
            if not pools:
                out.print("no pools on this node (create some: `perp-pool localnet`, or migrations/deploy.py)")
                return
            t = table(None, [("pool", "left"), ("address", "left"), ("custodies", "right")])
            for p in pools:
                t.add_row(escape(p.name), str(p.address), str(len(p.account.custodies)))
            out.print(t)

        return Report(data, render)

    run(ctx, action)


@pool_app.command("info")
def pool_info_command(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Pool name.")],
                      wide: Wide = False) -> None:
    """AUM, LP price and supply, the LP locked in the stake pool (share of the supply, weighted
    remaining lock time), and each custody's assets, utilisation, borrow rate, open interest and
    oracle price (one block per custody; --wide: one table)."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, name)
        info = await pool_info(client, pool)
        return Report(info, lambda out: (_render_pool_wide if wide else _render_pool)(out, info))

    run(ctx, action)


def _pool_header(out: Console, info: dict[str, Any]) -> None:
    lp = info["lp_decimals"]
    supply, dead = column([info["lp_supply"], info["dead_lp_supply"]], lp)
    aum, price = column([info["aum_usd"]], USD_DECIMALS)[0], column([info["lp_price_usd"]], USD_DECIMALS)[0]
    print_block(out, f"pool {info['name']}: {info['address']}\nLP mint: {info['lp_mint']}", [
        Row("AUM (USD)", aum),
        Row("LP price (USD)", price),
        Row("LP supply (LP)", supply),
        Row("dead LP supply (LP)", dead, "minted by the first deposit to no one"),
        Row("LP cooldown (s)", str(info["lp_cooldown_sec"]), "after each deposit, and at least one slot"),
    ])


def _render_staking(out: Console, info: dict[str, Any]) -> None:
    """One block per open tranche slot of the pool's stake pool: how much liquidity is locked and
    for how long (amount-weighted)."""
    staking = info.get("staking")
    if not staking:
        return
    lp = info["lp_decimals"]
    tiers = ", ".join(f"{t['duration_days']}d {format_multiplier(t['multiplier_bps'])}" for t in staking["ladder"])
    for t in staking["tranches"]:
        staked, locked = column([t["staked_amount"], t["locked_amount"]], lp)
        shares = column([t["staked_share_bps"], t["locked_share_bps"]], 2)
        days = column([t["weighted_remaining_lock_sec"] * 10 // 86_400], 1, min_places=1)[0]
        out.print()
        print_block(out, f"staking, {t['tranche']} tranche: {staking['stake_pool']}\n  lock tiers: {tiers}", [
            Row("staked LP (LP)", staked),
            Row("locked LP (LP)", locked),
            Row("staked share (%)", shares[0]),
            Row("locked share (%)", shares[1]),
            Row("locked time left (d)", days),
        ])


def _render_pool(out: Console, info: dict[str, Any]) -> None:
    _pool_header(out, info)
    _render_staking(out, info)
    count = len(info["custodies"])
    for i, c in enumerate(info["custodies"], 1):
        d = c["decimals"]
        tokens = column([c["owned"], c["locked"], c["collateral"], c["protocol_fees"], c["insurance_fund"],
                         c["escrow"], c["stake_rewards"]], d)
        prices = [c["oracle_price"]["spot"], c["oracle_price"]["ema"]]
        spot, ema = column(prices, PRICE_DECIMALS, max_places=price_places(prices, PRICE_DECIMALS))
        usd = column([c["long_size_usd"], c["short_size_usd"], c["bad_debt_usd"]], USD_DECIMALS)
        rates = column([c["utilization"] * 100, c["borrow_rate"] * 100], RATE_DECIMALS, max_places=4)
        kind = "stable (liquidity and collateral)" if c["is_stable"] else "market"
        out.print()
        print_block(out, f"custody {i} of {count}: mint {c['mint']}\n  {kind}, {d} decimals, {c['oracle_type']} "
                    "oracle", [
            Row("oracle price (USD)", spot, f"EMA {ema}"),
            Row("owned (tokens)", tokens[0]),
            Row("locked (tokens)", tokens[1]),
            Row("collateral (tokens)", tokens[2]),
            Row("protocol fees (tokens)", tokens[3]),
            Row("insurance fund (tokens)", tokens[4]),
            Row("order escrow (tokens)", tokens[5]),
            Row("staker rewards (tokens)", tokens[6]),
            Row("bad debt (USD)", usd[2]),
            Row("utilisation (%)", rates[0]),
            Row("borrow rate (%/h)", rates[1]),
            Row("long OI (USD)", usd[0], _count(c["long_positions"])),
            Row("short OI (USD)", usd[1], _count(c["short_positions"])),
        ])


def _count(n: int) -> str:
    return f"{n} position{'' if n == 1 else 's'}"


def _render_pool_wide(out: Console, info: dict[str, Any]) -> None:
    _pool_header(out, info)
    _render_staking(out, info)
    t = table("custodies", [("mint", "left"), ("dec", "right"), ("stable", "left"), ("owned", "right"),
                            ("locked", "right"), ("collateral", "right"), ("protocol fees", "right"),
                            ("insurance", "right"), ("escrow", "right"), ("stakers", "right"), ("util (%)", "right"),
                            ("borrow (%/h)", "right"),
                            ("long OI (USD)", "right"), ("short OI (USD)", "right"), ("price (USD)", "right"),
                            ("EMA (USD)", "right")])
    for c in info["custodies"]:
        d = c["decimals"]
        t.add_row(c["mint"], str(d), "yes" if c["is_stable"] else "no",
                  *column([c["owned"], c["locked"], c["collateral"], c["protocol_fees"], c["insurance_fund"],
                           c["escrow"], c["stake_rewards"]], d, min_places=d),
                  *column([c["utilization"] * 100, c["borrow_rate"] * 100], RATE_DECIMALS, min_places=RATE_DECIMALS),
                  f"{format_usd(c['long_size_usd'])} ({c['long_positions']})",
                  f"{format_usd(c['short_size_usd'])} ({c['short_positions']})",
                  format_price(c["oracle_price"]["spot"]), format_price(c["oracle_price"]["ema"]))
    out.print()
    print_wide(out, t)


@positions_app.command("list")
def positions_list_command(
    ctx: typer.Context,
    pool_name: PoolName,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's positions.")] = None,
    verify: Annotated[bool, typer.Option("--verify",
                                         help="Also ask the program (get_liquidation_price).")] = False,
    wide: Wide = False,
) -> None:
    """Positions of a pool with PnL, leverage and liquidation price computed off-chain."""

    async def action(client: PerpPoolClient) -> Report:
        owner_key = parse_pubkey(owner, "owner") if owner else None
        data = await list_positions(client, await resolve_pool(client, pool_name), owner_key, verify)
        return Report(data, lambda out: (_render_positions_wide if wide else _render_positions)(out, data, verify))

    run(ctx, action)


def _render_positions(out: Console, data: dict[str, Any], verify: bool) -> None:
    """80 columns: market, side, size, PnL, leverage, entry and liquidation prices, status (USD
    truncated to cents, prices to 4 places when at least 1 USD; --wide shows every digit and every
    column)."""
    rows = data["positions"]
    columns = [("market", "left"), ("side", "left"), ("size\n(USD)", "right"), ("PnL\n(USD)", "right"),
               ("leverage\n(x)", "right"), ("entry\n(USD)", "right"), ("liq. price\n(USD)", "right"),
               ("status", "left")]
    t = table(f"positions of {data['pool_name']} ({len(rows)})", columns)
    sizes = column([p["size_usd"] for p in rows], USD_DECIMALS, max_places=2)
    pnls = column([p["pnl_usd"] for p in rows], USD_DECIMALS, max_places=2)
    levs = column([p["leverage_bps"] for p in rows], BPS_DECIMALS, min_places=1, max_places=2, missing="-")
    prices = [p["entry_price"] for p in rows] + [_finite_liq(p) for p in rows]
    places = price_places(prices, PRICE_DECIMALS)
    entries = column([p["entry_price"] for p in rows], PRICE_DECIMALS, max_places=places)
    liqs = column([_finite_liq(p) for p in rows], PRICE_DECIMALS, max_places=places)
    for i, p in enumerate(rows):
        liq = liqs[i] if _finite_liq(p) is not None else (
            liquidation_price_text(p["side"], p["liquidation_price"]) if p["liquidation_price"] is not None else "")
        status = p["error"] or ("LIQUIDATABLE" if p["liquidatable"] else "ok")
        if verify and not p["error"] and not p["liquidation_price_match"]:
            status += " (differs)"
        t.add_row(short(p["market_mint"]), p["side"], sizes[i], pnls[i], levs[i], entries[i], liq, status)
    out.print(t)


def _finite_liq(p: dict[str, Any]) -> int | None:
    value = p["liquidation_price"]
    if value is None or liquidation_price_text(p["side"], value) in ("never", "any price"):
        return None
    return int(value)


def _render_positions_wide(out: Console, data: dict[str, Any], verify: bool) -> None:
    t = table(f"positions of {data['pool_name']} ({len(data['positions'])})", [
        ("position", "left"), ("owner", "left"), ("market", "left"), ("side", "left"), ("size (USD)", "right"),
        ("collateral (tokens)", "right"), ("entry (USD)", "right"), ("exit (USD)", "right"), ("PnL (USD)", "right"),
        ("leverage (x)", "right"), ("liq. price (USD)", "right"), ("status", "left"),
        *([("on-chain liq. (USD)", "right"), ("match", "left")] if verify else [])])
    for p in data["positions"]:
        d = p["collateral_decimals"]
        row = [p["address"], p["owner"], p["market_mint"], p["side"],
               format_usd(p["size_usd"]), format_units(p["collateral_amount"], d, group=True),
               format_price(p["entry_price"])]
        if p["error"]:
            row += ["", "", "", "", p["error"]] + (["", ""] if verify else [])
        else:
            leverage = "-" if p["leverage_bps"] is None else format_bps_multiple(p["leverage_bps"]).rstrip("x")
            row += [format_price(p["exit_price"]), format_usd(p["pnl_usd"]), leverage,
                    liquidation_price_text(p["side"], p["liquidation_price"]),
                    "LIQUIDATABLE" if p["liquidatable"] else "ok"]
            if verify:
                row += [liquidation_price_text(p["side"], p["liquidation_price_onchain"]),
                        "yes" if p["liquidation_price_match"] else "NO"]
        t.add_row(*row)
    print_wide(out, t)


def liquidation_price_text(side: str, value: int) -> str:
    """The program's sentinels (docs/design.md) in words: a long at 0 / a short at the search
    ceiling survives any price; a long at u64::MAX / a short at 0 is liquidatable at any price."""
    if (side == "long" and value == 0) or (side == "short" and value >= LIQUIDATION_PRICE_SEARCH_MAX):
        return "never"
    if (side == "long" and value == U64_MAX) or (side == "short" and value == 0):
        return "any price"
    return format_price(value)
