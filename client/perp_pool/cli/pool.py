"""`pool info`, `pool stress`, `pool risk` and `positions list`: reading a pool, its tranches and its positions;
`pool add-senior-tranche` and `pool set-tranche-config`: the admin's tranche set-up."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from perp_pool.cli.options import PoolName
from perp_pool.cli.output import Report, short, summarize
from perp_pool.cli.queries import is_tranched, list_pools, parse_pubkey, resolve_pool, tranche_lp_mint
from perp_pool.cli.risk import DEFAULT_SHOCK_BPS, pool_risk, render_pool_risk
from perp_pool.cli.summaries import list_positions, pool_info, tranche_stress
from perp_pool.cli.support import CliError, run, usage_error
from perp_pool.cli.tables import Row, column, price_places, print_block, print_wide, table
from perp_pool.cli.units import (
    format_bps_multiple,
    format_multiplier,
    format_price,
    format_units,
    format_usd,
    parse_usd,
)
from perp_pool.cli.weights import has_weight_rules, render_weights
from perp_pool.client import PerpPoolClient
from perp_pool.constants import (
    BPS_DECIMALS,
    MAX_SENIOR_JUNIOR_RATIO_BPS,
    MAX_SENIOR_RATE_BPS,
    PRICE_DECIMALS,
    RATE_DECIMALS,
    SENIOR_INDEX_DECIMALS,
    USD_DECIMALS,
)
from perp_pool.math.fixed import U64_MAX
from perp_pool.math.pnl import LIQUIDATION_PRICE_SEARCH_MAX
from perp_pool.math.tranche import Tranche

pool_app = typer.Typer(no_args_is_help=True, help="Pool state, its LP tranches and a loss's effect on them "
                                                  "(stress), swaps between a multi-asset pool's custodies; the "
                                                  "admin's tranche and weight set-up.")
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
    """AUM, LP price and supply, tranches, staking, custodies, a multi-asset pool's weights.

    Each custody's assets, utilisation, borrow rate, OI.

    A tranched pool also shows its tranches (senior rate and index, each tranche's NAV and LP
    price, senior / junior against the coverage limit, the insurance fund) under the loss cascade;
    a pool with a stake pool the LP locked in it (share of the supply, weighted remaining lock
    time). One block per custody: its assets, utilisation, borrow rate, open interest and oracle
    price (--wide: one table). A pool whose custodies have weight rules then shows the weights
    (owned USD, weight now against target and min-max, which way a deposit's and a redemption's
    fee leans) and its net exposure per asset (tokens and USD, after traders' positions)."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, name)
        info = await pool_info(client, pool)
        return Report(info, lambda out: (_render_pool_wide if wide else _render_pool)(out, info))

    run(ctx, action)


def _pool_header(out: Console, info: dict[str, Any]) -> None:
    lp = info["lp_decimals"]
    supply, dead = column([info["lp_supply"], info["dead_lp_supply"]], lp)
    aum, price = column([info["aum_usd"]], USD_DECIMALS)[0], column([info["lp_price_usd"]], USD_DECIMALS)[0]
    junior = "the junior tranche's" if info["tranches"] else ""
    print_block(out, f"pool {info['name']}: {info['address']}\nLP mint: {info['lp_mint']}", [
        Row("AUM (USD)", aum),
        Row("LP price (USD)", price, junior),
        Row("LP supply (LP)", supply, junior),
        Row("dead LP supply (LP)", dead, "minted by the first deposit to no one"),
        Row("LP cooldown (s)", str(info["lp_cooldown_sec"]), "after each deposit, and at least one slot"),
    ])
    if info["tranches"]:
        out.print()
        _render_tranches(out, info["tranches"], info["lp_decimals"])


# The loss cascade as the program applies it (math/tranche.rs `stress`, `split_navs`), in one line.
CASCADE = "losses: bad debt to the insurance fund, then junior NAV down to 0, then senior"
NO_TRANCHES = "losses: bad debt to the insurance fund, then the LPs (no senior tranche)"


def _ratio(bps: int) -> int | None:
    """A senior / junior ratio in BPS, None when it is unbounded (junior NAV 0 under a claim)."""
    return None if bps == U64_MAX else bps


def _render_tranches(out: Console, t: dict[str, Any], lp_decimals: int) -> None:
    """The tranche block of `pool info`: NAVs and LP prices at min prices (what redemptions get)."""
    usd = column([t["senior_target_usd"], t["junior_nav_min_usd"], t["senior_nav_min_usd"], t["junior_price_usd"],
                  t["senior_price_usd"], t["insurance_fund_usd"]], USD_DECIMALS)
    supplies = column([t["junior_supply"], t["senior_supply"]], lp_decimals)
    rate = column([t["senior_rate_bps"]], 2)[0]  # BPS -> % (2 decimals)
    index = column([t["senior_index"]], SENIOR_INDEX_DECIMALS)[0]
    ratio = column([_ratio(t["senior_to_junior_bps"])], BPS_DECIMALS, missing="-")[0]
    limit = column([t["max_senior_junior_ratio_bps"]], BPS_DECIMALS)[0]
    coverage_note = f"limit {limit}" + (": junior NAV is 0" if _ratio(t["senior_to_junior_bps"]) is None else "")
    print_block(out, f"tranches: senior LP mint {t['senior_lp_mint']}\n  {CASCADE}", [
        Row("senior rate (%/year)", rate, "its target, simple interest"),
        Row("senior index (USD/LP)", index, "grows at the rate"),
        Row("senior target (USD)", usd[0], "senior supply x index"),
        Row("junior NAV (USD)", usd[1], "takes losses first"),
        Row("senior NAV (USD)", usd[2], "min(target, AUM)"),
        Row("junior LP price (USD)", usd[3]),
        Row("senior LP price (USD)", usd[4]),
        Row("junior LP supply (LP)", supplies[0], "with the dead shares"),
        Row("senior LP supply (LP)", supplies[1]),
        Row("senior / junior (x)", ratio, coverage_note),
        Row("insurance fund (USD)", usd[5], "pays bad debt first"),
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
    _render_weights(out, info)


def _render_weights(out: Console, info: dict[str, Any]) -> None:
    """A multi-asset pool's weights and net exposure (pools with no weight rule show none: their
    JSON has them)."""
    if has_weight_rules(info):
        out.print()
        render_weights(out, info["weights"])


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
    _render_weights(out, info)


@pool_app.command("risk")
def pool_risk_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Pool name.")],
    shock_bps: Annotated[int, typer.Option("--shock-bps", min=1, max=10_000, help="The modelled move of every "
                                           "market against the pool, BPS (1000 = 10 %).")] = DEFAULT_SHOCK_BPS,
) -> None:
    """Each market's net exposure, open interest, skew premiums and cap headroom, and the worst
    modelled loss (every market moving --shock-bps against the pool) against the insurance fund and
    the junior tranche. Nothing is sent."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, name)
        data = await pool_risk(client, pool, shock_bps)
        return Report(data, lambda out: render_pool_risk(out, data))

    run(ctx, action)


@pool_app.command("stress")
def pool_stress_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Pool name.")],
    trader_profit_text: Annotated[str, typer.Option("--trader-profit", help="A profit the pool pays traders, USD: "
                                                    "it comes out of LP value, junior first.")] = "0",
    bad_debt_text: Annotated[str, typer.Option("--bad-debt", help="A bad debt, USD: the insurance fund pays it "
                                               "first, the LPs the rest (junior first).")] = "0",
) -> None:
    """What a trader profit or a bad debt would do to the insurance fund, junior and senior.

    The program's own cascade (get_tranche_state), now, with the LP prices and coverage it would
    leave; nothing is sent. A pool without tranches: the insurance fund, then its LPs."""

    async def action(client: PerpPoolClient) -> Report:
        trader_profit = parse_usd(trader_profit_text, what="trader profit", allow_zero=True)
        bad_debt = parse_usd(bad_debt_text, what="bad debt", allow_zero=True)
        pool = await resolve_pool(client, name)
        data = await tranche_stress(client, pool, trader_profit, bad_debt)
        return Report(data, lambda out: _render_stress(out, data))

    run(ctx, action)


def _render_stress(out: Console, d: dict[str, Any]) -> None:
    """80 columns: now, loss and after for the insurance fund, each tranche's NAV and LP price
    (USD, every digit), the coverage before and after, and the outcome in words."""
    s, after, tranched = d["stress"], d["after"], d["tranched"]
    profit, bad_debt = column([d["trader_profit_usd"], d["bad_debt_usd"]], USD_DECIMALS)
    out.print(f"stress test of pool {d['name']} (nothing is sent)", markup=False, highlight=False, soft_wrap=True)
    out.print(f"  trader profit {profit} USD, bad debt {bad_debt} USD", markup=False, highlight=False,
              soft_wrap=True)
    out.print(f"  {CASCADE if tranched else NO_TRANCHES}", markup=False, highlight=False, soft_wrap=True)
    junior = "junior" if tranched else "LP"
    rows: list[tuple[str, int, int, int]] = [
        ("insurance fund", d["insurance_fund_usd"], s["insurance_draw_usd"], s["insurance_after_usd"]),
        (f"{junior} NAV", d["junior_nav_min_usd"], s["junior_loss_usd"], s["junior_nav_after_usd"]),
    ]
    if tranched:
        rows.append(("senior NAV", d["senior_nav_min_usd"], s["senior_loss_usd"], s["senior_nav_after_usd"]))
    rows.append(("junior LP price" if tranched else "LP price", d["junior_price_usd"],
                 d["junior_price_usd"] - after["junior_price_usd"], after["junior_price_usd"]))
    if tranched:
        rows.append(("senior LP price", d["senior_price_usd"], d["senior_price_usd"] - after["senior_price_usd"],
                     after["senior_price_usd"]))
    t = table(None, [("", "left"), ("now\n(USD)", "right"), ("loss\n(USD)", "right"), ("after\n(USD)", "right")])
    now, loss, later = (column([r[1] for r in rows], USD_DECIMALS), column([r[2] for r in rows], USD_DECIMALS),
                        column([r[3] for r in rows], USD_DECIMALS))
    for i, r in enumerate(rows):
        t.add_row(r[0], now[i], loss[i], later[i])
    out.print(t)
    if tranched:
        now_ratio, after_ratio, limit = (f"{column([bps], BPS_DECIMALS)[0]}x" if bps is not None else "unbounded"
                                         for bps in (_ratio(d["senior_to_junior_bps"]),
                                                     _ratio(after["senior_to_junior_bps"]),
                                                     d["max_senior_junior_ratio_bps"]))
        out.print(f"senior / junior: {now_ratio} now, {after_ratio} after (limit {limit})", markup=False,
                  highlight=False, soft_wrap=True)
    out.print(_stress_outcome(d), markup=False, highlight=False, soft_wrap=True)


def _stress_outcome(d: dict[str, Any]) -> str:
    """The outcome in words, one short line (the table has the numbers)."""
    s = d["stress"]
    drawn, junior_loss, senior_loss = s["insurance_draw_usd"], s["junior_loss_usd"], s["senior_loss_usd"]
    if not (junior_loss or senior_loss):
        return "the insurance fund covers it all: the LPs lose nothing" if drawn else "nothing to absorb"
    if not d["tranched"]:
        return f"the LPs lose {column([junior_loss], USD_DECIMALS)[0]} USD"
    if senior_loss:
        wiped = "the junior tranche is wiped out" if junior_loss else "the junior tranche had nothing left"
        return f"{wiped}; the senior loses {column([senior_loss], USD_DECIMALS)[0]} USD"
    return f"the junior tranche absorbs {'the rest' if drawn else 'it all'}; the senior is untouched"


# ---- the admin's tranche set-up -----------------------------------------------------------------


RateBps = Annotated[int, typer.Option("--rate-bps", min=0, max=MAX_SENIOR_RATE_BPS,
                                      help="Senior target rate, BPS a year, simple (500 = 5 %).")]
RatioBps = Annotated[int, typer.Option("--max-senior-junior-ratio-bps", min=1, max=MAX_SENIOR_JUNIOR_RATIO_BPS,
                                       help="Coverage limit of junior withdrawals: senior NAV at most junior NAV x "
                                       "this / 10,000 after one (40000 = 4x).")]
DepositRatioBps = Annotated[int, typer.Option(
    "--senior-deposit-ratio-bps", min=1, max=MAX_SENIOR_JUNIOR_RATIO_BPS,
    help="Coverage limit of senior deposits, at most --max-senior-junior-ratio-bps (30000 = 3x): the gap is "
    "the junior NAV senior inflows can never lock in.")]
MaxSeniorUsd = Annotated[str, typer.Option("--max-senior-usd", help="Senior capacity in USD (0: none).")]


@pool_app.command("add-senior-tranche")
def pool_add_senior_tranche_command(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Pool name.")],
                                    rate_bps: RateBps, max_ratio_bps: RatioBps, deposit_ratio_bps: DepositRatioBps,
                                    max_senior_usd: MaxSeniorUsd = "0") -> None:
    """(Admin) Give a pool that has issued no LP yet a senior tranche.

    A second LP mint whose claim grows at --rate-bps and is paid before the junior's (the pool's
    LP mint becomes the junior, first-loss tranche). Refused once LP was issued
    (TrancheSetupNotAllowed): the deploy config's [pools.tranches] does it right after add_pool."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, name)
        if is_tranched(pool):  # the program's `init` of the senior mint would fail first, with no name
            raise CliError("TrancheSetupNotAllowed", f"pool {name!r} already has a senior tranche (LP mint "
                           f"{pool.account.senior.mint}): change its terms with `perp-pool pool set-tranche-config`")
        if deposit_ratio_bps > max_ratio_bps:
            raise usage_error("InvalidTrancheConfig", "--senior-deposit-ratio-bps must be at most "
                              "--max-senior-junior-ratio-bps: senior deposits stop before junior withdrawals do")
        result = await client.add_senior_tranche(pool.address, rate_bps=rate_bps,
                                                 max_senior_junior_ratio_bps=max_ratio_bps,
                                                 senior_deposit_ratio_bps=deposit_ratio_bps,
                                                 max_senior_usd=parse_usd(max_senior_usd, what="--max-senior-usd",
                                                                          allow_zero=True))
        return summarize(result, "SeniorTrancheAdded").report(None)

    run(ctx, action)


@pool_app.command("set-tranche-config")
def pool_set_tranche_config_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Pool name.")],
    rate_bps: Annotated[int | None, typer.Option("--rate-bps", min=0, max=MAX_SENIOR_RATE_BPS,
                                                 help="New senior target rate, BPS a year (default: unchanged).")]
    = None,
    max_ratio_bps: Annotated[int | None, typer.Option(
        "--max-senior-junior-ratio-bps", min=1, max=MAX_SENIOR_JUNIOR_RATIO_BPS,
        help="New coverage limit of junior withdrawals, BPS (default: unchanged).")] = None,
    deposit_ratio_bps: Annotated[int | None, typer.Option(
        "--senior-deposit-ratio-bps", min=1, max=MAX_SENIOR_JUNIOR_RATIO_BPS,
        help="New coverage limit of senior deposits, BPS (default: unchanged).")] = None,
    max_senior_usd: Annotated[str | None, typer.Option(
        "--max-senior-usd", help="New senior capacity in USD, 0: none (default: unchanged).")] = None,
) -> None:
    """(Admin) Change a tranched pool's senior target rate, coverage limits or senior capacity.

    A new rate applies from now on (the senior index is rebased to its value now first)."""

    async def action(client: PerpPoolClient) -> Report:
        if rate_bps is None and max_ratio_bps is None and deposit_ratio_bps is None and max_senior_usd is None:
            raise usage_error("NothingToSet", "give at least one of --rate-bps, --max-senior-junior-ratio-bps, "
                              "--senior-deposit-ratio-bps, --max-senior-usd")
        pool = await resolve_pool(client, name)
        tranche_lp_mint(pool, Tranche.SENIOR)  # a pool without a senior tranche: refused by name
        senior = pool.account.senior
        result = await client.set_tranche_config(
            pool.address, rate_bps=senior.rate_bps if rate_bps is None else rate_bps,
            max_senior_junior_ratio_bps=senior.max_senior_junior_ratio_bps if max_ratio_bps is None
            else max_ratio_bps,
            senior_deposit_ratio_bps=senior.senior_deposit_ratio_bps if deposit_ratio_bps is None
            else deposit_ratio_bps,
            max_senior_usd=senior.max_senior_usd if max_senior_usd is None
            else parse_usd(max_senior_usd, what="--max-senior-usd", allow_zero=True))
        return summarize(result, "TrancheConfigSet").report(None)

    run(ctx, action)


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
