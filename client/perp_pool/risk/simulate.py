"""A stress run: the book opened once, the paths in batches through the vectorised engine, the
pool's value and its tranches per path; and `check`, the exact engine against the vectorised one
on sampled paths.

Determinism: the same config (seed and batch size included) gives the same numbers. The trader
population and the paths have independent streams (`SeedSequence(seed).spawn`), and each batch its
own, so a sensitivity run that changes one parameter meets the same random numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from perp_pool.constants import PRICE_DECIMALS
from perp_pool.math.fixed import Rounding
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.tranche import SeniorTerms, senior_index, senior_target_usd
from perp_pool.risk.book import OpenBook, draw_traders, open_book
from perp_pool.risk.exact import run_exact
from perp_pool.risk.outcome import OUTCOME_FIELDS, TOTAL_FIELDS
from perp_pool.risk.params import StressConfig
from perp_pool.risk.paths import price_paths
from perp_pool.risk.rules import PROGRAM_RULES, Rules
from perp_pool.risk.vectorised import I64, Prepared, Tokens, mark_to_market, prepare, run_batch

Progress = Callable[[int, int], None]  # (paths done, paths in all)


@dataclass
class Simulation:
    config: StressConfig
    book: OpenBook
    totals: dict[str, I64]  # TOTAL_FIELDS, one value per path
    final_price: I64
    aum_start_usd: int
    aum_end_usd: I64  # LP value per path: owned collateral (all settled) + the LPs' market tokens
    senior_target_start_usd: int  # 0 without tranches
    senior_target_end_usd: int
    checkpoints: I64  # steps of the fan chart
    fan_usd: npt.NDArray[np.float64]  # (paths, checkpoints) LP value, USD
    seconds: float = 0.0
    batches: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def paths(self) -> int:
        return int(self.final_price.size)

    def navs(self, end: bool) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(junior, senior) NAV per path at the horizon (`end`) or at t0 (`split_navs`)."""
        aum = self.aum_end_usd if end else np.full(self.paths, self.aum_start_usd, dtype=np.int64)
        target = self.senior_target_end_usd if end else self.senior_target_start_usd
        senior = np.minimum(aum, target)
        return aum - senior, senior


def book_for(cfg: StressConfig, rules: Rules = PROGRAM_RULES) -> OpenBook:
    population, _ = np.random.SeedSequence(cfg.run.seed).spawn(2)
    return open_book(cfg.pool, draw_traders(cfg.pool, cfg.traders, np.random.default_rng(population)), rules)


def batch_prices(cfg: StressConfig, batch: int, paths: int) -> I64:
    """The paths of batch `batch` (its own stream)."""
    _, path_seed = np.random.SeedSequence(cfg.run.seed).spawn(2)
    rng = np.random.default_rng(path_seed.spawn(batch + 1)[batch])
    r = cfg.run
    return price_paths(cfg.price, cfg.pool.market.price, paths, r.steps, r.step_sec, rng)


def market_value_usd(cfg: StressConfig, price: int, tokens: int | None = None) -> int:
    """The LPs' tokens of the market custody (`tokens`, default its t0 holding) at `price`, rounded
    down (its min-mode value)."""
    m = cfg.pool.market
    held = m.lp_tokens if tokens is None else tokens
    if not held:
        return 0
    return OraclePrice(price, -PRICE_DECIMALS).token_to_usd(held, m.decimals, Rounding.FLOOR)


def senior_targets(cfg: StressConfig) -> tuple[int, int]:
    t = cfg.pool.tranches
    if t is None:
        return 0, 0
    terms = SeniorTerms(t.senior_index, 0, t.rate_bps)
    return tuple(senior_target_usd(t.senior_supply, senior_index(terms, now, Rounding.FLOOR), Rounding.FLOOR)
                 for now in (0, cfg.run.horizon_sec))  # type: ignore[return-value]


def simulate(cfg: StressConfig, rules: Rules = PROGRAM_RULES, progress: Progress | None = None,
             checkpoints: int = 25, paths: int | None = None) -> Simulation:
    started = time.perf_counter()
    total = cfg.run.paths if paths is None else paths
    book = book_for(cfg, rules)
    prep = prepare(book, cfg.run.steps, cfg.run.step_sec, cfg.run.keeper_delay_steps)
    marks = np.unique(np.linspace(0, cfg.run.steps, max(2, checkpoints)).round().astype(np.int64))
    tokens = Tokens(cfg.pool.collateral.decimals)
    totals: dict[str, list[I64]] = {f: [] for f in TOTAL_FIELDS}
    finals, aums, fans = [], [], []
    done = batch = 0
    while done < total:
        size = min(cfg.run.batch_paths, total - done)
        prices = batch_prices(cfg, batch, size)
        result = run_batch(prep, prices)
        for f in TOTAL_FIELDS:
            totals[f].append(result.totals[f])
        final = prices[:, -1]
        holdings = np.array([market_value_usd(cfg, int(p), int(t)) for p, t in
                             zip(final, result.totals["market_owned"], strict=True)], dtype=np.int64)
        aums.append(tokens.tokens_to_usd(result.totals["owned"], ceil=False) + holdings)
        fan = mark_to_market(prep, prices, result, marks)
        fan[:, -1] = aums[-1] * 1e-6  # the horizon: exact
        fans.append(fan)
        finals.append(final)
        done += size
        batch += 1
        if progress is not None:
            progress(done, total)
    start, end = senior_targets(cfg)
    owned_start = int(tokens.tokens_to_usd(np.array([book.owned_start], dtype=np.int64), ceil=False)[0])
    return Simulation(
        config=cfg, book=book, totals={f: np.concatenate(v) for f, v in totals.items()},
        final_price=np.concatenate(finals), aum_start_usd=owned_start + market_value_usd(cfg, cfg.pool.market.price),
        aum_end_usd=np.concatenate(aums), senior_target_start_usd=start, senior_target_end_usd=end,
        checkpoints=marks, fan_usd=np.concatenate(fans), seconds=time.perf_counter() - started, batches=batch)


@dataclass(frozen=True)
class CheckResult:
    paths: int
    positions: int
    identical: bool
    mismatches: tuple[str, ...]
    exact_seconds: float
    vectorised_seconds: float


def check(cfg: StressConfig, sample_paths: int = 2, rules: Rules = PROGRAM_RULES,
          prep: Prepared | None = None) -> CheckResult:
    """Runs the first `sample_paths` paths of batch 0 through both engines and compares every
    position's outcome (kind, step, each token amount) and every path total."""
    book = prep.book if prep is not None else book_for(cfg, rules)
    r = cfg.run
    prices = batch_prices(cfg, 0, min(r.batch_paths, max(sample_paths, 1)))[:sample_paths]
    t0 = time.perf_counter()
    prep = prep or prepare(book, r.steps, r.step_sec, r.keeper_delay_steps)
    vec = run_batch(prep, prices)
    t1 = time.perf_counter()
    seconds = [t * r.step_sec for t in range(r.steps + 1)]
    problems = []
    for p in range(prices.shape[0]):
        exact = run_exact(book, prices[p].tolist(), seconds, r.keeper_delay_steps)
        for f in TOTAL_FIELDS:
            if int(vec.totals[f][p]) != getattr(exact.totals, f):
                problems.append(f"path {p} {f}: vectorised {int(vec.totals[f][p])} exact {getattr(exact.totals, f)}")
        for i, o in enumerate(exact.outcomes):
            for f in OUTCOME_FIELDS:
                if int(vec.outcomes[f][p, i]) != getattr(o, f):
                    problems.append(f"path {p} position {i} {f}: vectorised {int(vec.outcomes[f][p, i])} "
                                    f"exact {getattr(o, f)}")
    t2 = time.perf_counter()
    return CheckResult(prices.shape[0], len(book.positions), not problems, tuple(problems[:20]), t2 - t1, t1 - t0)


__all__ = ["CheckResult", "Progress", "Simulation", "batch_prices", "book_for", "check", "market_value_usd",
           "senior_targets", "simulate"]
