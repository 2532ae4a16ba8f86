"""Price paths: GBM with Merton jumps, or a bootstrap of historical log returns, on a seeded numpy
Generator; returned as integer oracle prices (PRICE_DECIMALS, at least 1), one row per path,
column t the price at step t (column 0 the t0 price).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from perp_pool.risk.params import PathParams

YEAR_SECONDS = 31_536_000
# Prices above this would overflow `price * (BPS + spread)` in the vectorised engine's int64: paths
# are clipped to it (461,168 USD a token), for both engines.
MAX_PRICE = (2**63 - 1) // (2 * 10_000)
Prices = npt.NDArray[np.int64]


def log_returns(params: PathParams, paths: int, steps: int, step_sec: int,
                rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """(paths, steps) log returns. GBM-Merton: `(mu - sigma^2/2 - lambda k) dt + sigma sqrt(dt) Z +
    sum of N ~ Poisson(lambda dt) jumps ~ Normal(jump_mean, jump_std)`, with `k = E[e^J] - 1` so the
    drift of the price itself is `mu`. Bootstrap: the CSV's returns drawn with replacement."""
    if params.bootstrap:
        sample = np.asarray(params.bootstrap, dtype=np.float64)
        return sample[rng.integers(0, len(sample), size=(paths, steps))]
    dt = step_sec / YEAR_SECONDS
    kappa = math.exp(params.jump_mean + params.jump_std**2 / 2) - 1
    drift = (params.drift - params.vol**2 / 2 - params.jump_intensity * kappa) * dt
    out = drift + params.vol * math.sqrt(dt) * rng.standard_normal((paths, steps))
    if params.jump_intensity > 0:
        counts = rng.poisson(params.jump_intensity * dt, size=(paths, steps))
        jumps = counts > 0
        n = counts[jumps].astype(np.float64)
        # The sum of n normal jumps is Normal(n mean, sqrt(n) sd).
        out[jumps] += n * params.jump_mean + np.sqrt(n) * params.jump_std * rng.standard_normal(n.size)
    return out


def price_paths(params: PathParams, start_price: int, paths: int, steps: int, step_sec: int,
                rng: np.random.Generator) -> Prices:
    """(paths, steps + 1) integer prices: `start_price * exp(cumulative log return)`, rounded to the
    nearest unit, within [1, MAX_PRICE]."""
    r = log_returns(params, paths, steps, step_sec, rng)
    levels = np.empty((paths, steps + 1), dtype=np.float64)
    levels[:, 0] = 0.0
    np.cumsum(r, axis=1, out=levels[:, 1:])
    prices = np.rint(start_price * np.exp(levels))
    np.clip(prices, 1, MAX_PRICE, out=prices)
    return np.asarray(prices, dtype=np.int64)


def load_returns(path: Path) -> list[float]:
    """Log returns from a CSV: the column named `return` (or `returns`, `log_return`: per step,
    log returns) or `price` (or `close`: consecutive prices, turned into log returns); without such a
    header, the last column of numbers as prices. ValueError with the line on a bad row."""
    with path.open(newline="") as f:
        rows = [r for r in csv.reader(f) if r and any(cell.strip() for cell in r)]
    if not rows:
        raise ValueError(f"{path}: empty")
    header = [c.strip().lower() for c in rows[0]]
    kind, column, body = "price", len(header) - 1, rows
    for name in ("return", "returns", "log_return"):
        if name in header:
            kind, column, body = "return", header.index(name), rows[1:]
    if kind == "price":
        for name in ("price", "close"):
            if name in header:
                column, body = header.index(name), rows[1:]
                break
        else:
            try:
                float(rows[0][column])
            except ValueError:
                body = rows[1:]
    values = []
    for line, row in enumerate(body, start=len(rows) - len(body) + 1):
        try:
            values.append(float(row[column]))
        except (ValueError, IndexError):
            raise ValueError(f"{path}:{line}: not a number in column {column + 1}: {row!r}") from None
    if kind == "return":
        if not values:
            raise ValueError(f"{path}: no returns")
        return values
    if len(values) < 2 or min(values) <= 0:
        raise ValueError(f"{path}: at least two positive prices are needed")
    return [math.log(b / a) for a, b in zip(values, values[1:], strict=False)]


__all__ = ["MAX_PRICE", "Prices", "YEAR_SECONDS", "load_returns", "log_returns", "price_paths"]
