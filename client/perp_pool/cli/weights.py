"""A multi-asset pool's weights for `pool info` and `pool swap`: each custody's owned value and
weight now against its target and bounds, which way its deposit and redemption fees lean, and the
pool's net exposure per asset (the program's `get_pool_weights`)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from perp_pool.cli.output import short
from perp_pool.cli.tables import column, print_wide, table
from perp_pool.client import PerpPoolClient, PoolWeights, weight_bps
from perp_pool.constants import BPS_DECIMALS, QUANTITY_DECIMALS, USD_DECIMALS, WEIGHT_POWER

__all__ = ["fee_leanings", "has_weight_rules", "render_weights", "weights_summary"]

BPS_PER_PPB = WEIGHT_POWER // 10**BPS_DECIMALS  # a weight in ppb is this many times its BPS


def fee_leanings(weight_ppb: int, rule: dict[str, int], pool_owns: bool) -> tuple[str, str]:
    """(deposit, redemption): which way a small move's fee leans now, as the program's rule steers
    it: "toward" (toward the target: at most the flat fee, less a rebate that grows with the
    distance), "away" (above the flat fee), "refused" (a deposit at or past the max weight),
    "flat" (no weight rule, or the pool owns nothing yet). An LP redemption is never refused by the
    min weight (the program's rule since the review's W2: it pays the tax instead; swaps out are
    refused there). A large move can cross the target, and a move across it gets no rebate: quote
    it (`pool swap --quote-only`, the deposit's quote)."""
    if rule["max_bps"] == 0 or not pool_owns:
        return "flat", "flat"
    target, high = rule["target_bps"] * BPS_PER_PPB, rule["max_bps"] * BPS_PER_PPB
    deposit = "refused" if weight_ppb >= high else ("toward" if weight_ppb < target else "away")
    # The min weight binds swaps out, never LP redemptions.
    redemption = "toward" if weight_ppb > target else "away"
    return deposit, redemption


async def weights_summary(client: PerpPoolClient, pool: Any, custodies: dict[Any, Any],
                          symbols: dict[str, str] | None = None) -> dict[str, Any]:
    """`get_pool_weights` as JSON: per custody (pool.custodies order) its mint and decimals, what
    the pool owns (tokens, USD at the min price), its weight (ppb and BPS) and rule (BPS), the
    fee leanings, and the pool's net exposure (QUANTITY_DECIMALS, and in the token's base units
    toward zero, and USD). `symbols`: {mint: symbol} to label the custodies with (the pools
    config's; a mint without one shows shortened)."""
    weights: PoolWeights = await client.get_pool_weights(pool)
    rows = []
    for c in weights.custodies:
        account = custodies[c.custody]
        rule = c.weights.__dict__.copy()
        deposit, redemption = fee_leanings(c.weight_ppb, rule, weights.total_owned_usd > 0)
        scale = 10 ** (QUANTITY_DECIMALS - account.decimals)
        net_tokens = abs(c.net_quantity) // scale * (1 if c.net_quantity >= 0 else -1)
        rows.append({
            "custody": str(c.custody), "mint": str(account.mint),
            "symbol": (symbols or {}).get(str(account.mint)), "decimals": account.decimals,
            "is_stable": account.is_stable, "owned": c.owned, "owned_usd": c.owned_usd,
            "weight_ppb": c.weight_ppb, "weight_bps": weight_bps(c.weight_ppb), **rule,
            "deposit_fee": deposit, "redemption_fee": redemption,
            "net_quantity": c.net_quantity, "net_tokens": net_tokens, "net_usd": c.net_usd,
        })
    return {"total_owned_usd": weights.total_owned_usd, "targets_bps": weights.targets_bps,
            "has_rules": any(r["max_bps"] for r in rows), "custodies": rows}


def _label(row: dict[str, Any]) -> str:
    return str(row.get("symbol") or short(row["mint"]))


def has_weight_rules(info: dict[str, Any]) -> bool:
    weights = info.get("weights")
    return bool(weights and weights["has_rules"])


def _percent(bps: list[int | None]) -> list[str]:
    return column(bps, 2, min_places=0, missing="-")  # BPS -> % (2 decimals)


def render_weights(out: Console, w: dict[str, Any], title: str | None = None, *, weights: bool = True,
                   exposure: bool = True, legend: bool = True) -> None:
    """Two tables that fit 80 columns: the weights (owned USD, weight now, target, min-max,
    fee leanings, with a legend of the leanings) and the net exposure (tokens, USD); `weights` /
    `exposure` / `legend` leave one out."""
    if weights:
        _render_weight_table(out, w, title, legend)
    if weights and exposure:
        out.print()
    if exposure:
        _render_exposure(out, w, None if weights else title)


def _render_weight_table(out: Console, w: dict[str, Any], title: str | None, legend: bool) -> None:
    rows = w["custodies"]
    owned = column([r["owned_usd"] for r in rows], USD_DECIMALS, max_places=2)
    now = column([r["weight_bps"] for r in rows], 2)
    ruled = [r["max_bps"] > 0 for r in rows]
    targets = _percent([r["target_bps"] if on else None for r, on in zip(rows, ruled, strict=True)])
    lows = _percent([r["min_bps"] if on else None for r, on in zip(rows, ruled, strict=True)])
    highs = _percent([r["max_bps"] if on else None for r, on in zip(rows, ruled, strict=True)])
    heading = title or f"weights (targets sum to {column([w['targets_bps']], 2, min_places=0)[0]} %)"
    out.print(heading, markup=False, highlight=False, soft_wrap=True)
    t = table(None,
              [("custody", "left"), ("owned\n(USD)", "right"), ("weight\n(%)", "right"), ("target\n(%)", "right"),
               ("range\n(%)", "right"), ("deposit\nfee", "left"), ("redeem\nfee", "left")])
    for i, r in enumerate(rows):
        span = f"{lows[i]}-{highs[i]}" if ruled[i] else "-"
        t.add_row(_label(r), owned[i], now[i], targets[i], span, r["deposit_fee"], r["redemption_fee"])
    print_wide(out, t)
    for line in ("  fee of a small move: toward the target = at most the flat fee (a rebate",
                 "  growing with the distance), away = above it, refused = past the max")[:2 if legend else 0]:
        out.print(line, markup=False, highlight=False, soft_wrap=True)


def _render_exposure(out: Console, w: dict[str, Any], title: str | None) -> None:
    rows = w["custodies"]
    out.print(title or "net exposure of the pool (what it owns, after traders' positions)", markup=False,
              highlight=False, soft_wrap=True)
    e = table(None,
              [("custody", "left"), ("net\n(tokens)", "right"), ("net\n(USD)", "right"), ("", "left")])
    usd = column([r["net_usd"] for r in rows], USD_DECIMALS, max_places=2)
    for i, r in enumerate(rows):
        tokens = column([r["net_tokens"]], r["decimals"], max_places=4)[0]
        side = "long" if r["net_quantity"] > 0 else ("short" if r["net_quantity"] < 0 else "")
        e.add_row(_label(r), tokens, usd[i], side)
    print_wide(out, e)
