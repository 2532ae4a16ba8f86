"""`pool risk`: each market's imbalance, premiums and cap headroom (get_market_risk), and how the
insurance fund and the junior tranche would carry the worst modelled loss: every market moving
`shock` against the pool at once (get_tranche_state's loss cascade)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from perp_pool.cli.output import jsonable, short
from perp_pool.cli.queries import PoolRef
from perp_pool.cli.tables import column, print_wide, table
from perp_pool.cli.units import format_rate_percent
from perp_pool.client import PerpPoolClient
from perp_pool.constants import BPS_DECIMALS, BPS_POWER, USD_DECIMALS
from perp_pool.math.fixed import Rounding, mul_div
from perp_pool.math.skew import NO_CAP

DEFAULT_SHOCK_BPS = 1_000  # 10 %


def shock_loss_usd(net_usd: int, shock_bps: int) -> int:
    """What the pool loses if the market moves `shock_bps` against it: the traders' net position
    gains `|net| * shock` (rounded up; payoff caps and the spread ignored: an upper bound)."""
    return mul_div(abs(net_usd), shock_bps, BPS_POWER, Rounding.CEIL)


async def pool_risk(client: PerpPoolClient, pool: PoolRef, shock_bps: int) -> dict[str, Any]:
    custodies = {c: await client.fetch_custody(c) for c in pool.account.custodies}
    stables = [c for c, acc in custodies.items() if acc.is_stable]
    markets = []
    for address, acc in custodies.items():
        idle = acc.long_positions.size_usd == 0 and acc.short_positions.size_usd == 0
        if idle and (acc.is_stable or acc.pricing.max_initial_leverage_bps == 0):
            continue  # a stable (collateral) custody or an untradeable one, with nothing open
        r = jsonable(await client.get_market_risk(pool.address, address, stables))
        r["custody"] = str(address)
        r["mint"] = str(acc.mint)
        r["shock_loss_usd"] = shock_loss_usd(r["net_usd"], shock_bps)
        markets.append(r)
    worst = sum(m["shock_loss_usd"] for m in markets)
    state = jsonable(await client.get_tranche_state(pool.address, trader_profit_usd=worst, bad_debt_usd=0))
    stress = state["stress"]
    junior = state["junior_nav_min_usd"]
    return {
        "name": pool.name,
        "address": str(pool.address),
        "shock_bps": shock_bps,
        "markets": markets,
        "worst_loss_usd": worst,
        "insurance_fund_usd": state["insurance_fund_usd"],
        "junior_nav_usd": junior,
        "senior_nav_usd": state["senior_nav_min_usd"],
        "tranched": state["tranched"],
        # junior NAV / worst loss, BPS (None: no loss modelled)
        "junior_coverage_bps": None if worst == 0 else junior * BPS_POWER // worst,
        "stress": stress,
    }


def _cap(value: int) -> int | None:
    return None if value == NO_CAP else value


def render_pool_risk(out: Console, d: dict[str, Any]) -> None:
    shock = column([d["shock_bps"] * 100], BPS_DECIMALS, min_places=0)[0]
    out.print(f"risk of pool {d['name']}: markets now, and every market moving {shock} % against the pool",
              markup=False, highlight=False, soft_wrap=True)
    t = table(None, [("market", "left"), ("net\n(USD)", "right"), ("long OI\n(USD)", "right"),
                     ("short OI\n(USD)", "right"), ("fee prem.\nL / S (bps)", "right"),
                     ("borrow prem.\nL / S (/h)", "right"), ("headroom\nL / S (USD)", "right"),
                     ("shock loss\n(USD)", "right")])
    ms = d["markets"]
    net = column([m["net_usd"] for m in ms], USD_DECIMALS)
    longs = column([m["long"]["open_interest_usd"] for m in ms], USD_DECIMALS)
    shorts = column([m["short"]["open_interest_usd"] for m in ms], USD_DECIMALS)
    loss = column([m["shock_loss_usd"] for m in ms], USD_DECIMALS)
    for i, m in enumerate(ms):
        fee = "/".join(f"+{s['fee_premium_bps']}" if s["fee_premium_bps"] else f"-{s['fee_discount_bps']}"
                       for s in (m["long"], m["short"]))
        rate = " / ".join(format_rate_percent(s["borrow_premium_rate"]) for s in (m["long"], m["short"]))
        room = " / ".join("no cap" if _cap(s["headroom_usd"]) is None
                          else column([s["headroom_usd"]], USD_DECIMALS)[0] for s in (m["long"], m["short"]))
        t.add_row(short(m["mint"]), net[i], longs[i], shorts[i], fee, rate, room, loss[i])
    print_wide(out, t)
    s = d["stress"]
    worst, fund, junior = column([d["worst_loss_usd"], d["insurance_fund_usd"], d["junior_nav_usd"]], USD_DECIMALS)
    out.print(f"worst modelled loss {worst} USD; insurance fund {fund} USD; junior NAV {junior} USD",
              markup=False, highlight=False, soft_wrap=True)
    cov = d["junior_coverage_bps"]
    coverage = "no loss modelled" if cov is None else f"{column([cov], BPS_DECIMALS)[0]}x the worst loss"
    absorbed = column([s["insurance_draw_usd"], s["junior_loss_usd"], s["senior_loss_usd"]], USD_DECIMALS)
    out.print(f"junior coverage: {coverage}; the loss takes {absorbed[0]} USD from the insurance fund, "
              f"{absorbed[1]} USD from the junior, {absorbed[2]} USD from the senior", markup=False,
              highlight=False, soft_wrap=True)
