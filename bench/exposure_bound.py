"""How tight the exposure books' bounds are on a realistic book of positions; prints JSON.

    .venv/bin/python bench/exposure_bound.py [--positions 1000] [--seed 7]

Positions (the program's own math, ported to the unit in perp_pool.math) are opened at entry
prices spread log-normally (sigma 15 %) around 100 USD, leverage uniform in 2x..50x, a 1x payoff
cap, longs and shorts alike; those past maintenance margin (100x) at the reference price 100 are
dropped (keepers liquidated them), the rest registered in the books as the program registers them. Then,
for each price move, the script reports per side the exact profit above caps and bad debt (each
position on its own) against the books' bounds, in USD and in % of the side's open interest:
the bound's excess is what a depositor overpays (max mode) or a redeemer is underpaid (min mode)
for the pool's safety. Pure computation, no node.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "client"))

from perp_pool.constants import BPS_POWER, PRICE_POWER, USD_POWER  # noqa: E402
from perp_pool.math import pnl  # noqa: E402
from perp_pool.math.exposure import ExposureBook, Threshold, crossing, position_thresholds  # noqa: E402
from perp_pool.math.fixed import Rounding  # noqa: E402
from perp_pool.math.pricing import Side  # noqa: E402

MOVES_PCT = (-40, -20, -10, -5, -2, 0, 2, 5, 10, 20, 50, 100, 150)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    books = {(side, t): ExposureBook() for side in Side for t in Threshold}
    positions = []
    for _ in range(args.positions):
        side = rng.choice(list(Side))
        entry = int(100 * PRICE_POWER * math.exp(rng.gauss(0, 0.15)))
        size = rng.randint(100, 100_000) * USD_POWER
        lev = rng.uniform(2, 50)
        collateral, cap = int(size / lev), size  # 1x payoff cap
        q = pnl.entry_quantity(side, size, entry)
        # Keepers have liquidated what is past maintenance (100x) at the reference price 100.
        value = pnl.quantity_value_usd(q, 100 * PRICE_POWER, Rounding.FLOOR)
        equity = collateral + (value - size if side is Side.LONG else size - value)
        if equity * 100 <= size:
            continue
        cap_usd, bankruptcy_usd = position_thresholds(side, size, collateral, cap, 0)
        for t, usd in ((Threshold.CAP, cap_usd), (Threshold.BANKRUPTCY, bankruptcy_usd)):
            books[side, t].add(crossing(side, t), q, usd)
        positions.append((side, q, size, collateral, cap))

    rows = []
    for move in MOVES_PCT:
        price = 100 * PRICE_POWER * (100 + move) // 100
        for side in Side:
            mine = [p for p in positions if p[0] is side]
            oi = sum(p[2] for p in mine)
            above = bad = 0
            for _, q, size, collateral, cap in mine:
                value = pnl.quantity_value_usd(q, price, Rounding.FLOOR)
                x = value - size if side is Side.LONG else size - value
                above += max(0, x - cap)
                bad += max(0, -collateral - x)
            bound_above = books[side, Threshold.CAP].excess_usd(crossing(side, Threshold.CAP), price)
            bound_bad = books[side, Threshold.BANKRUPTCY].excess_usd(crossing(side, Threshold.BANKRUPTCY), price)
            rows.append({
                "move_pct": move, "side": side.value,
                "profit_above_cap_usd": above / USD_POWER, "profit_above_cap_bound_usd": bound_above / USD_POWER,
                "bad_debt_usd": bad / USD_POWER, "bad_debt_bound_usd": bound_bad / USD_POWER,
                "overcount_pct_of_oi": round(100 * ((bound_above - above) + (bound_bad - bad)) / oi, 4),
            })
    worst = max(r["overcount_pct_of_oi"] for r in rows)
    print(json.dumps({
        "bench": "exposure_bound", "positions": args.positions, "seed": args.seed,
        "slots_used": {f"{s.value}_{t.value}": sum(1 for x in books[s, t].slots if x.count)
                       for s in Side for t in Threshold},
        "open_positions": len(positions), "worst_overcount_pct_of_oi": worst, "rows": rows,
        "note": "bound >= exact always; overcount = what the pool's valuation errs on its own side",
        "bps": BPS_POWER,
    }, indent=1))


if __name__ == "__main__":
    main()
