"""The report of a stress run: LP return distribution, the probabilities of insurance-fund
depletion, junior loss and senior loss, the bad-debt distribution, VaR and expected shortfall per
tranche, and a sensitivity table (each key parameter bumped, every metric's change, the parameter
that moves each metric most). A JSON-ready dict: USD amounts are integers in USD_DECIMALS,
probabilities and returns fractions (0.01 = 1 %).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from perp_pool.math.borrow import utilization
from perp_pool.math.pricing import Side
from perp_pool.risk.book import CustodyTotals
from perp_pool.risk.params import StressConfig
from perp_pool.risk.rules import PROGRAM_RULES, Rules
from perp_pool.risk.simulate import Progress, Simulation, simulate

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
SCHEMA = "perp_pool.stress/1"


def _q(name: float) -> str:
    return f"q{round(name * 100):02d}"


def distribution(values: npt.NDArray[Any]) -> dict[str, float]:
    v = values.astype(np.float64)
    return {"mean": float(v.mean()), "std": float(v.std()),
            **{_q(q): float(np.quantile(v, q)) for q in QUANTILES}}


def usd_distribution(values: npt.NDArray[np.int64]) -> dict[str, int]:
    """Mean and quantiles of USD amounts (USD_DECIMALS), as integers (the quantile at a path's value)."""
    v = np.sort(values)
    return {"mean": int(round(float(v.mean()))),
            **{_q(q): int(v[min(len(v) - 1, int(np.floor(q * (len(v) - 1) + 0.5)))]) for q in QUANTILES},
            "max": int(v[-1])}


def var_es(pnl: npt.NDArray[np.int64], level: float) -> tuple[int, int]:
    """Value at risk and expected shortfall at `level` (0.95, 0.99) of a P&L sample (USD), as losses
    (positive numbers; 0 when the tail gains): VaR the loss exceeded with probability 1 - level (the
    empirical quantile, no interpolation), ES the mean loss over the worst 1 - level of paths."""
    losses = np.sort(-pnl)[::-1]
    tail = max(1, int(np.ceil(round((1 - level) * losses.size, 9))))  # 0.05 * 100 is 5.000000000000004
    var = max(0, int(losses[tail - 1]))
    es = max(0, int(round(float(losses[:tail].mean()))))
    return var, es


def tranche_metrics(start: int, end: npt.NDArray[np.int64], claim_end: int | None = None) -> dict[str, Any]:
    pnl = end - start
    var95, es95 = var_es(pnl, 0.95)
    var99, es99 = var_es(pnl, 0.99)
    out: dict[str, Any] = {
        "nav_start_usd": start,
        "nav_end_usd": usd_distribution(end),
        "return": distribution(pnl / start) if start else None,
        "p_loss": float((pnl < 0).mean()),
        "var95_usd": var95, "es95_usd": es95, "var99_usd": var99, "es99_usd": es99,
    }
    if claim_end is not None:  # the senior: short of its claim (impaired) at the horizon
        out["p_impaired"] = float((end < claim_end).mean())
        out["claim_end_usd"] = claim_end
    return out


def metrics(sim: Simulation) -> dict[str, Any]:
    cfg, book, t = sim.config, sim.book, sim.totals
    junior_start, senior_start = (int(x[0]) for x in sim.navs(end=False))
    junior_end, senior_end = sim.navs(end=True)
    tranched = cfg.pool.tranches is not None
    lp_pnl = sim.aum_end_usd - sim.aum_start_usd
    insurance_start = book.insurance_fund
    long_usd = sum(p.size_usd for p in book.positions if p.side is Side.LONG)
    short_usd = sum(p.size_usd for p in book.positions if p.side is Side.SHORT)
    bad = t["bad_debt_usd"]
    m = cfg.pool.market
    market = book.market or CustodyTotals(m.lp_tokens, m.locked, m.insurance_fund)
    return {
        "lp": {"aum_start_usd": sim.aum_start_usd, "aum_end_usd": usd_distribution(sim.aum_end_usd),
               "return": distribution(lp_pnl / sim.aum_start_usd) if sim.aum_start_usd else None,
               "p_loss": float((lp_pnl < 0).mean())},
        "tranches": {
            "junior": tranche_metrics(junior_start, junior_end),
            "senior": tranche_metrics(senior_start, senior_end, sim.senior_target_end_usd) if tranched else None,
        },
        "insurance_fund": {
            "start": insurance_start,
            "end": usd_distribution(t["insurance_fund"]),
            "p_depleted": float(((t["insurance_fund"] == 0) & (t["insurance_draw"] > 0)
                                 | (t["bad_debt_amount"] > 0)).mean()),
            "draw": usd_distribution(t["insurance_draw"]),
        },
        # The traded custody as the collateral custody of asset-backed longs, in its own tokens.
        "market_custody": {
            "lp_tokens_start": cfg.pool.market.lp_tokens,
            "lp_tokens_end": usd_distribution(t["market_owned"]),
            "insurance_fund_start": market.insurance_fund,
            "insurance_fund_end": usd_distribution(t["market_insurance_fund"]),
            "p_insurance_depleted": float(((t["market_insurance_fund"] == 0) & (t["market_insurance_draw"] > 0)
                                           | (t["market_bad_debt_amount"] > 0)).mean()),
            "insurance_draw": usd_distribution(t["market_insurance_draw"]),
            "bad_debt_tokens": usd_distribution(t["market_bad_debt_amount"]),
            "profit_paid_tokens": usd_distribution(t["market_trader_amount_out"]),
        },
        "bad_debt": {"p_any": float((bad > 0).mean()), "usd": usd_distribution(bad)},
        "liquidations": {"mean": float(t["liquidations"].mean()), "max": int(t["liquidations"].max()),
                         "rewards_paid": usd_distribution(t["rewards_paid"])},
        "stops": {"mean": float(t["stops"].mean())},
        "fees": {"protocol": usd_distribution(t["protocol_fees"]), "stakers": usd_distribution(t["stake_rewards"])},
        "book": {
            "positions": len(book.positions), "open_before": book.existing, "rejected": book.rejected,
            "stops": sum(s is not None for s in book.stops), "stops_refused": book.stops_refused,
            "long_size_usd": long_usd, "short_size_usd": short_usd, "open_fees": book.open_fees,
            "utilization": utilization(book.locked, book.owned), "borrow_rate": book.rate,
            "insurance_fund": book.insurance_fund,
            "asset_backed": sum(book.backed), "market_open_fees": market.open_fees,
            "market_locked": market.locked, "market_utilization": utilization(market.locked, market.owned),
            "market_borrow_rate": book.market_rate,
            "skew": {"aum_usd": book.aum_usd, "net_usd": book.long_usd - book.short_usd,
                     "borrow_premium_long": book.premium_rates[0], "borrow_premium_short": book.premium_rates[1]},
        },
    }


# The headline numbers the sensitivity table follows (key -> how to read it off `metrics`).
HEADLINES: dict[str, Callable[[dict[str, Any]], float]] = {
    "lp_return_mean": lambda m: float(m["lp"]["return"]["mean"]) if m["lp"]["return"] else 0.0,
    "lp_return_q01": lambda m: float(m["lp"]["return"]["q01"]) if m["lp"]["return"] else 0.0,
    "p_insurance_depleted": lambda m: float(m["insurance_fund"]["p_depleted"]),
    "p_junior_loss": lambda m: float(m["tranches"]["junior"]["p_loss"]),
    "p_senior_impaired": lambda m: float(m["tranches"]["senior"]["p_impaired"]) if m["tranches"]["senior"] else 0.0,
    "bad_debt_mean_usd": lambda m: float(m["bad_debt"]["usd"]["mean"]),
    "junior_var99_usd": lambda m: float(m["tranches"]["junior"]["var99_usd"]),
    "junior_es99_usd": lambda m: float(m["tranches"]["junior"]["es99_usd"]),
    "senior_es99_usd": lambda m: float(m["tranches"]["senior"]["es99_usd"]) if m["tranches"]["senior"] else 0.0,
}


def _bump_maintenance(cfg: StressConfig) -> StressConfig:
    m = cfg.pool.market
    lev = max(m.max_initial_leverage_bps, m.max_leverage_bps * 8 // 10)
    return replace(cfg, pool=replace(cfg.pool, market=replace(m, max_leverage_bps=lev)))


BUMPS: tuple[tuple[str, str, Callable[[StressConfig], StressConfig]], ...] = (
    ("vol", "x1.25", lambda c: replace(c, price=replace(c.price, vol=c.price.vol * 1.25))),
    ("jumps", "x2", lambda c: replace(c, price=replace(c.price, jump_intensity=c.price.jump_intensity * 2))),
    ("leverage", "x1.25", lambda c: replace(c, traders=replace(c.traders,
                                                                    leverage_mean=c.traders.leverage_mean * 1.25))),
    ("keeper_delay", "+2", lambda c: replace(c, run=replace(c.run,
                                                                  keeper_delay_steps=c.run.keeper_delay_steps + 2))),
    ("maint_lev", "x0.8", _bump_maintenance),
    ("fund", "x2", lambda c: replace(c, pool=replace(c.pool, collateral=replace(
        c.pool.collateral, insurance_fund=c.pool.collateral.insurance_fund * 2)))),
)


def sensitivity(cfg: StressConfig, paths: int, rules: Rules = PROGRAM_RULES,
                progress: Progress | None = None) -> dict[str, Any]:
    """Each of BUMPS against a base run, all on `paths` paths of the same random numbers: every
    headline metric's change, and per metric the bump that changes it most (by absolute change;
    none when no bump changes it)."""
    runs = [("base", "", cfg), *((name, how, bump(cfg)) for name, how, bump in BUMPS)]
    values: list[dict[str, float]] = []
    for k, (_, _, c) in enumerate(runs):
        m = metrics(simulate(c, rules, paths=paths, checkpoints=2))
        values.append({key: read(m) for key, read in HEADLINES.items()})
        if progress is not None:
            progress(k + 1, len(runs))
    base = values[0]
    deltas = [(name, how, {key: v[key] - base[key] for key in HEADLINES})
              for (name, how, _), v in zip(runs[1:], values[1:], strict=True)]
    rows = [{"parameter": name, "bump": how, "delta": delta} for name, how, delta in deltas]
    most: dict[str, str | None] = {}
    for key in HEADLINES:
        name, _, delta = max(deltas, key=lambda d: abs(d[2][key]))
        most[key] = name if delta[key] != 0 else None
    return {"paths": paths, "base": base, "bumps": rows, "most_sensitive": most}


def report(sim: Simulation, sensitivity_table: dict[str, Any] | None = None,
           check: dict[str, Any] | None = None) -> dict[str, Any]:
    cfg = sim.config
    r, p, tr = cfg.run, cfg.price, cfg.traders
    return {
        "schema": SCHEMA,
        "pool": {"name": cfg.pool.name, "market": cfg.pool.market.symbol, "price": cfg.pool.market.price,
                 "tranched": cfg.pool.tranches is not None,
                 "lp_market_tokens": cfg.pool.market.lp_tokens,
                 "max_leverage_bps": cfg.pool.market.max_leverage_bps},
        "model": {
            "paths": sim.paths, "steps": r.steps, "step_sec": r.step_sec, "horizon_sec": r.horizon_sec,
            "keeper_delay_steps": r.keeper_delay_steps, "seed": r.seed, "batch_paths": r.batch_paths,
            "price": ({"kind": "bootstrap", "returns": len(p.bootstrap)} if p.bootstrap else
                      {"kind": "gbm_jumps", "drift": p.drift, "vol": p.vol, "jump_intensity": p.jump_intensity,
                       "jump_mean": p.jump_mean, "jump_std": p.jump_std}),
            "traders": {"count": tr.count, "long_share": tr.long_share, "leverage_mean": tr.leverage_mean,
                        "leverage_sigma": tr.leverage_sigma, "size_median_usd": tr.size_median_usd,
                        "size_sigma": tr.size_sigma, "stop_loss_share": tr.stop_loss_share,
                        "stop_distance": tr.stop_distance, "asset_backed_share": tr.asset_backed_share},
        },
        **metrics(sim),
        "fan": {"steps": sim.checkpoints.tolist(),
                **{_q(q): np.quantile(sim.fan_usd, q, axis=0).round(6).tolist()
                   for q in (0.01, 0.05, 0.5, 0.95, 0.99)}},
        "sensitivity": sensitivity_table,
        "check": check,
        "seconds": round(sim.seconds, 3),
    }


__all__ = ["BUMPS", "HEADLINES", "QUANTILES", "SCHEMA", "distribution", "metrics", "report", "sensitivity",
           "tranche_metrics", "usd_distribution", "var_es"]

