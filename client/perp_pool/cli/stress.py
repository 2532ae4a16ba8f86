"""`perp-pool stress`: the Monte Carlo stress simulator (perp_pool.risk) on a pool's real parameters
(`--pool`, read from chain) or a TOML file (`--config`), with a report table, `--json` and charts."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from perp_pool.cli.output import Report
from perp_pool.cli.queries import fetch_custodies, is_tranched, parse_pubkey, resolve_pool, unix_now
from perp_pool.cli.summaries import fetch_positions
from perp_pool.cli.support import Settings, run, run_offline, usage_error
from perp_pool.cli.tables import Row, print_block, table
from perp_pool.cli.units import format_rate_percent, format_usd
from perp_pool.client import PerpPoolClient, side_of
from perp_pool.constants import USD_POWER
from perp_pool.math.health import cumulative_interest_at
from perp_pool.math.pricing import Side
from perp_pool.math.skew import custody_premium_cumulative
from perp_pool.risk.params import (
    ExistingPosition,
    PoolParams,
    StressConfig,
    load_config,
    pool_params_from_accounts,
    validate,
)
from perp_pool.risk.paths import load_returns
from perp_pool.risk.report import HEADLINES, report, sensitivity
from perp_pool.risk.simulate import Simulation, check, simulate

# The sensitivity table's columns (HEADLINES keys) and their 2-line headers.
# Returns in basis points, probabilities in percentage points, USD whole.
SENSITIVITY_COLUMNS = (("lp_return_mean", "LP ret\nbp"), ("p_junior_loss", "P(jr\nloss)"),
                       ("junior_es99_usd", "jr ES99\nUSD"), ("p_senior_impaired", "P(sr\nimpair)"),
                       ("bad_debt_mean_usd", "bad debt\nUSD"), ("p_insurance_depleted", "P(fund\nempty)"))


def stress_command(
    ctx: typer.Context,
    pool_name: Annotated[str | None, typer.Option("--pool", help="Read this pool's parameters from chain (its "
                                                  "stable collateral custody, the market, tranches).")] = None,
    market: Annotated[str | None, typer.Option("--market", help="With --pool: the traded custody's mint "
                                               "(default: the pool's first non-stable custody).")] = None,
    config_path: Annotated[Path | None, typer.Option("--config", help="A stress TOML file "
                                                     "(examples/stress.example.toml); --pool replaces its [pool].")]
    = None,
    paths: Annotated[int | None, typer.Option("--paths", min=1, help="Price paths (default 10,000).")] = None,
    positions: Annotated[int | None, typer.Option("--positions", min=1, help="Traders opened at t0.")] = None,
    horizon_hours: Annotated[float | None, typer.Option("--horizon-hours", min=0.0, help="Horizon (default 24).")]
    = None,
    step_sec: Annotated[int | None, typer.Option("--step-sec", min=1, help="Step, seconds (default 60).")] = None,
    keeper_delay: Annotated[int | None, typer.Option("--keeper-delay", min=0, help="Steps between a position "
                                                     "becoming liquidatable and the keeper's liquidation.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed.")] = None,
    vol: Annotated[float | None, typer.Option("--vol", min=0.0, help="Annual volatility (0.8 = 80 %).")] = None,
    jumps: Annotated[float | None, typer.Option("--jump-intensity", min=0.0, help="Jumps a year.")] = None,
    leverage: Annotated[float | None, typer.Option("--leverage-mean", min=1.0, help="Traders' mean leverage.")]
    = None,
    size_median: Annotated[float | None, typer.Option("--size-median", min=0.0, help="Median position size, USD.")]
    = None,
    asset_backed_share: Annotated[float | None, typer.Option("--asset-backed-share", min=0.0, max=1.0, help="Share "
                                                             "of the longs that are asset-backed (collateral, "
                                                             "lock and payout in the traded token).")] = None,
    returns_csv: Annotated[Path | None, typer.Option("--returns-csv", help="Bootstrap the paths from this CSV's "
                                                     "returns or prices (one per step) instead of GBM.")] = None,
    charts: Annotated[Path | None, typer.Option("--charts", help="Write PNG charts to this directory.")] = None,
    with_sensitivity: Annotated[bool, typer.Option("--sensitivity/--no-sensitivity", help="Bump each key "
                                                   "parameter and report each metric's change.")] = True,
    sensitivity_paths: Annotated[int, typer.Option("--sensitivity-paths", min=1, help="Paths per sensitivity "
                                                   "run (default: min(paths, 2000)).")] = 2_000,
    with_open_positions: Annotated[bool, typer.Option("--open-positions/--no-open-positions", help="With --pool: "
                                                      "also settle the positions open on chain (default).")] = True,
    check_paths: Annotated[int, typer.Option("--check", min=0, help="Also run this many paths through the exact "
                                             "engine and compare every token amount (slow: ~10 s a path).")] = 0,
) -> None:
    """A Monte Carlo stress test of a pool on the program's own math (nothing is sent).

    Traders open at t0 against the pool's parameters; price paths (GBM with jumps, or a CSV
    bootstrap) move the market; the keeper liquidates after a delay; each position ends liquidated,
    stopped or closed at the horizon, settled with the program's integer rules. Reports the LP
    return distribution, insurance-fund depletion, junior / senior losses, bad debt, VaR and ES per
    tranche and which parameter moves each most. docs/design.md "Stress simulator"."""
    settings: Settings = ctx.obj

    def config() -> StressConfig:
        try:
            cfg = load_config(config_path) if config_path is not None else StressConfig()
            return _overrides(cfg, paths, positions, horizon_hours, step_sec, keeper_delay, seed, vol, jumps,
                              leverage, size_median, returns_csv, asset_backed_share)
        except (ValueError, OSError) as exc:
            raise usage_error("InvalidStressConfig", str(exc)) from None

    def simulate_report(config: StressConfig) -> Report:
        sim, sens, checked = _run(config, settings.json_output, with_sensitivity, sensitivity_paths, check_paths)
        data = report(sim, sens, checked)
        if charts is not None:
            from perp_pool.risk.charts import write_charts

            data["charts"] = [str(p) for p in write_charts(sim, charts)]
        return Report(data, lambda out: render(out, data))

    if pool_name is None:
        run_offline(ctx, lambda: simulate_report(config()))
        return

    async def action(client: PerpPoolClient) -> Report:
        cfg = config()
        pool = await chain_pool(client, pool_name, market, with_open_positions)
        return simulate_report(replace(cfg, pool=pool))

    run(ctx, action)


def _overrides(cfg: StressConfig, paths: int | None, positions: int | None, horizon_hours: float | None,
               step_sec: int | None, keeper_delay: int | None, seed: int | None, vol: float | None,
               jumps: float | None, leverage: float | None, size_median: float | None,
               returns_csv: Path | None, asset_backed_share: float | None = None) -> StressConfig:
    run_p, traders, price = cfg.run, cfg.traders, cfg.price
    if paths is not None:
        run_p = replace(run_p, paths=paths)
    if horizon_hours is not None:
        run_p = replace(run_p, horizon_sec=int(horizon_hours * 3600))
    if step_sec is not None:
        run_p = replace(run_p, step_sec=step_sec)
    if keeper_delay is not None:
        run_p = replace(run_p, keeper_delay_steps=keeper_delay)
    if seed is not None:
        run_p = replace(run_p, seed=seed)
    if positions is not None:
        traders = replace(traders, count=positions)
    if leverage is not None:
        traders = replace(traders, leverage_mean=leverage)
    if size_median is not None:
        traders = replace(traders, size_median_usd=size_median)
    if asset_backed_share is not None:
        traders = replace(traders, asset_backed_share=asset_backed_share)
    if vol is not None:
        price = replace(price, vol=vol)
    if jumps is not None:
        price = replace(price, jump_intensity=jumps)
    if returns_csv is not None:
        price = replace(price, bootstrap=tuple(load_returns(returns_csv)))
    out = StressConfig(cfg.pool, traders, price, run_p)
    validate(out)
    return out


async def chain_pool(client: PerpPoolClient, name: str, market_mint: str | None,
                     with_open_positions: bool = True) -> PoolParams:
    """The pool's parameters now: its first stable custody as the collateral, the market (by mint, or
    its first non-stable custody) at its oracle price, its tranche state, and (`with_open_positions`)
    its open positions on that market and collateral, interest owed so far included."""
    pool = await resolve_pool(client, name)
    custodies = await fetch_custodies(client, pool.account.custodies)
    stable = [(a, c) for a, c in custodies.items() if c.is_stable]
    if market_mint is not None:
        mint = parse_pubkey(market_mint, "--market")
        markets = [(a, c) for a, c in custodies.items() if c.mint == mint]
    else:
        markets = [(a, c) for a, c in custodies.items() if not c.is_stable]
    if not stable or not markets:
        raise usage_error("NoMarket", f"pool {name!r} needs a stable custody and a market custody to stress "
                          "(--market MINT picks the market)")
    market_address, market_account = markets[0]
    collateral_address, collateral_account = stable[0]
    prices = await client.get_oracle_price(pool.address, market_address)
    tranche = await client.get_tranche_state(pool.address) if is_tranched(pool) else None
    params = pool_params_from_accounts(name, collateral_account, market_account, prices.spot, tranche,
                                       pool.account.aum_usd)
    if not with_open_positions:
        return params
    now = await unix_now(client)
    index = {collateral_address: cumulative_interest_at(collateral_account, now),
             market_address: cumulative_interest_at(market_account, now)}
    premium = {s: custody_premium_cumulative(market_account, s, now) for s in (Side.LONG, Side.SHORT)}
    existing = tuple(
        ExistingPosition(side_of(p.side) is Side.LONG, p.quantity, p.size_usd, p.collateral_amount, p.locked_amount,
                         p.cumulative_interest_snapshot - index[p.collateral_custody],
                         p.skew_premium_snapshot - premium[side_of(p.side)],
                         p.collateral_custody == market_address)
        for p in (found.account for found in await fetch_positions(client, pool.address, None))
        if p.custody == market_address and p.collateral_custody in index)
    return replace(params, positions=existing)


def _run(cfg: StressConfig, json_output: bool, with_sensitivity: bool, sensitivity_paths: int,
         check_paths: int) -> tuple[Simulation, dict[str, Any] | None, dict[str, Any] | None]:
    """The simulation, the sensitivity table and the check, with a progress bar on stderr (a
    terminal, not --json)."""
    show = not json_output and sys.stderr.isatty()
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(file=sys.stderr), transient=True, disable=not show)
    with bar:
        task = bar.add_task("paths", total=cfg.run.paths)
        sim = simulate(cfg, progress=lambda done, total: bar.update(task, completed=done))
        sens = None
        if with_sensitivity:
            runs = bar.add_task("sensitivity runs", total=7)
            sens = sensitivity(cfg, min(cfg.run.paths, sensitivity_paths),
                               progress=lambda done, total: bar.update(runs, completed=done, total=total))
        checked = None
        if check_paths:
            bar.add_task(f"exact check of {check_paths} paths", total=None)
            c = check(cfg, check_paths)
            checked = {"paths": c.paths, "positions": c.positions, "identical": c.identical,
                       "mismatches": list(c.mismatches), "exact_seconds": round(c.exact_seconds, 3)}
    return sim, sens, checked


def _pct(x: float) -> str:
    return f"{x * 100:.2f} %"


def _usd(value: int) -> str:
    return format_usd(int(value)).split(".")[0]


def render(out: Console, d: dict[str, Any]) -> None:
    m, book = d["model"], d["book"]
    price = m["price"]
    model = (f"bootstrap of {price['returns']:,} returns" if price["kind"] == "bootstrap" else
             f"GBM vol {price['vol']:.0%}, {price['jump_intensity']:g} jumps/yr of {price['jump_mean']:+.1%} "
             f"sd {price['jump_std']:.1%}")
    market = d["pool"]["market"]
    market = f"{market[:4]}...{market[-4:]}" if len(market) > 12 else market
    out.print(f"stress test of pool {d['pool']['name']} on {market} (nothing is sent)",
              markup=False, highlight=False, soft_wrap=True)
    out.print(f"  {m['paths']:,} paths x {m['steps']:,} steps of {m['step_sec']} s, keeper delay "
              f"{m['keeper_delay_steps']} step(s)", markup=False, highlight=False, soft_wrap=True)
    out.print(f"  {model}", markup=False, highlight=False, soft_wrap=True)
    rejected = ", ".join(f"{k} {v}" for k, v in book["rejected"].items()) or "none"
    rows = [
        Row("positions", f"{book['positions']:,}", f"{book['open_before']:,} open before t0; refused: {rejected}"),
        Row("long / short size", f"{_usd(book['long_size_usd'])} / {_usd(book['short_size_usd'])}", "USD"),
        Row("stop-losses", f"{book['stops']:,}", f"refused past liquidation: {book['stops_refused']}"),
        Row("utilisation", _pct(book["utilization"] / 1e9), f"borrow rate "
            f"{format_rate_percent(book['borrow_rate'])}/h (held)"),
        Row("insurance fund", _usd(book["insurance_fund"]), "USD after the open fees"),
    ]
    if book["asset_backed"]:
        mc = d["market_custody"]
        rows.append(Row("asset-backed longs", f"{book['asset_backed']:,}",
                        f"{market} custody utilisation {_pct(book['market_utilization'] / 1e9)}, borrow rate "
                        f"{format_rate_percent(book['market_borrow_rate'])}/h (held); its insurance fund empty on "
                        f"{_pct(mc['p_insurance_depleted'])} of paths"))
    skew = book["skew"]
    if skew["borrow_premium_long"] or skew["borrow_premium_short"]:
        rows.append(Row("skew borrow premium", f"{format_rate_percent(skew['borrow_premium_long'])}/h long, "
                        f"{format_rate_percent(skew['borrow_premium_short'])}/h short",
                        f"net {_usd(skew['net_usd'])} USD at AUM {_usd(skew['aum_usd'])} (held)"))
    print_block(out, "traders at t0", rows)
    lp = d["lp"]["return"]
    out.print()
    if lp is None:
        out.print("the pool has no LP value at t0: no return to report", markup=False, highlight=False)
    else:
        _lp_block(out, lp, d["lp"]["p_loss"])
    out.print()
    _tranche_table(out, d)
    _losses_block(out, d)
    _sensitivity(out, d)
    c = d.get("check")
    if c:
        verdict = "identical token amounts" if c["identical"] else f"DIFFERENT: {c['mismatches'][:3]}"
        out.print(f"exact engine on {c['paths']} path(s) x {c['positions']:,} positions: {verdict}",
                  markup=False, highlight=False, soft_wrap=True)
    for path in d.get("charts", []):
        out.print(f"chart: {path}", markup=False, highlight=False, soft_wrap=True)


def _lp_block(out: Console, lp: dict[str, Any], p_loss: float) -> None:
    print_block(out, "LP return at the horizon", [
        Row("mean", _pct(lp["mean"]), f"sd {_pct(lp['std'])}"),
        Row("1 % / 5 % quantile", f"{_pct(lp['q01'])} / {_pct(lp['q05'])}"),
        Row("median", _pct(lp["q50"])),
        Row("95 % / 99 % quantile", f"{_pct(lp['q95'])} / {_pct(lp['q99'])}"),
        Row("P(loss)", _pct(p_loss)),
    ])


def _tranche_table(out: Console, d: dict[str, Any]) -> None:
    t = table("tranches (USD)", [("", "left"), ("NAV\nstart", "right"), ("P(loss)", "right"),
                                 ("VaR95", "right"), ("ES95", "right"), ("VaR99", "right"), ("ES99", "right")])
    for name, tr in d["tranches"].items():
        if tr is None:
            continue
        t.add_row(name, _usd(tr["nav_start_usd"]), _pct(tr["p_loss"]), _usd(tr["var95_usd"]), _usd(tr["es95_usd"]),
                  _usd(tr["var99_usd"]), _usd(tr["es99_usd"]))
    out.print(t)


def _losses_block(out: Console, d: dict[str, Any]) -> None:
    senior = d["tranches"]["senior"]
    bad, fund = d["bad_debt"], d["insurance_fund"]
    print_block(out, "losses past the traders' collateral", [
        Row("P(insurance fund emptied)", _pct(fund["p_depleted"]), f"mean draw {_usd(fund['draw']['mean'])} USD"),
        Row("P(bad debt)", _pct(bad["p_any"]), f"mean {_usd(bad['usd']['mean'])}, 99 % {_usd(bad['usd']['q99'])}, "
            f"max {_usd(bad['usd']['max'])} USD"),
        Row("P(senior short of its claim)", _pct(senior["p_impaired"]) if senior else "no tranches"),
        Row("liquidations a path", f"{d['liquidations']['mean']:.1f}", f"max {d['liquidations']['max']:,}"),
    ])


def _sensitivity(out: Console, d: dict[str, Any]) -> None:
    s = d.get("sensitivity")
    if s:
        out.print()
        st = table(f"sensitivity ({s['paths']:,} paths a run): change from the base",
                   [("bump", "left"), *((h, "right") for _, h in SENSITIVITY_COLUMNS)])
        for row in s["bumps"]:
            cells = []
            for key, _ in SENSITIVITY_COLUMNS:
                v = row["delta"][key]
                if key.endswith("_usd"):
                    cells.append(f"{v / USD_POWER:+,.0f}")
                elif key.startswith("lp_return"):
                    cells.append(f"{v * 10_000:+.2f}")
                else:
                    cells.append(f"{v * 100:+.2f}")
            st.add_row(f"{row['parameter']} {row['bump']}", *cells)
        out.print(st)
        out.print("(LP return in basis points, probabilities in percentage points)", markup=False, highlight=False)
        out.print("moves each metric most:", markup=False, highlight=False)
        for k, v in s["most_sensitive"].items():
            if k in HEADLINES:
                out.print(f"  {k:<22} {v or 'nothing (no bump changes it)'}", markup=False, highlight=False,
                          soft_wrap=True)


__all__ = ["chain_pool", "render", "stress_command"]
