"""The stress simulator (perp_pool.risk, `perp-pool stress`), offline: the exact engine applies the
ports as the program does, the vectorised engine gives the same token amounts, paths, report, JSON,
charts and the CLI. The node replay is tests/test_stress_replay.py."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from perp_pool.cli import app
from perp_pool.constants import PRICE_POWER, USD_POWER
from perp_pool.math import pnl
from perp_pool.math.borrow import accrued_cumulative_interest, position_interest_usd
from perp_pool.math.pricing import Side, TradePrices, entry_price, exit_price, exit_price_at
from perp_pool.math.trade import (
    PositionState,
    compute_decrease_position,
    compute_liquidation,
    compute_open_position,
    health_inputs,
)
from perp_pool.risk.book import OpenBook, Trader, open_book
from perp_pool.risk.exact import run_exact
from perp_pool.risk.outcome import LIQUIDATED, OPEN_AT_END, STOPPED
from perp_pool.risk.params import (
    CollateralParams,
    ExistingPosition,
    PathParams,
    PoolParams,
    RunParams,
    StressConfig,
    TraderParams,
    load_config,
)
from perp_pool.risk.paths import load_returns, log_returns, price_paths
from perp_pool.risk.report import SCHEMA, metrics, report, sensitivity, var_es
from perp_pool.risk.rules import Rules, program_open
from perp_pool.risk.simulate import book_for, check, simulate
from perp_pool.risk.vectorised import INT64_MAX, liquidation_thresholds, prepare, run_batch, stop_thresholds

ROOT = Path(__file__).resolve().parents[1]
USDC = USD_POWER
SOL = 150 * PRICE_POWER

# A small, violent run: every outcome happens (liquidations, stops, insurance draws, bad debt).
SMALL = StressConfig(
    pool=replace(PoolParams(), collateral=replace(CollateralParams(), insurance_fund=3 * USDC, base_rate=200_000)),
    traders=TraderParams(count=40, leverage_mean=25.0, stop_loss_share=0.4, stop_distance=0.02),
    price=PathParams(vol=3.0, jump_intensity=3_000.0, jump_mean=-0.05, jump_std=0.1),
    run=RunParams(paths=24, horizon_sec=7_200, step_sec=60, keeper_delay_steps=3, batch_paths=10),
)


def _book(traders: list[Trader], **collateral: int) -> OpenBook:
    pool = replace(PoolParams(), collateral=replace(CollateralParams(), **collateral))
    return open_book(pool, traders)


def test_a_single_long_is_opened_and_liquidated_exactly_as_the_ports_say() -> None:
    """Hand-made calls of the ports (open, interest, liquidation predicate, liquidation) give the
    exact engine's outcome and the vectorised one's, to the token."""
    book = _book([Trader(Side.LONG, 2_000 * USDC, 100 * USDC)], base_rate=500_000, insurance_fund=0)
    pool = book.pool
    custody, market = pool.collateral.custody(), pool.market.market()
    prices0 = TradePrices(SOL, SOL)
    opened = compute_open_position(Side.LONG, 2_000 * USDC, entry_price(Side.LONG, prices0, 10),
                                   exit_price(Side.LONG, prices0, 10), 100 * USDC, custody, market)
    position = PositionState(Side.LONG, opened.quantity, 2_000 * USDC, opened.collateral_amount, opened.locked_amount)
    assert book.positions == (position,)
    assert book.owned == pool.collateral.owned + opened.fee_split.lp
    assert book.insurance_fund == opened.fee_split.insurance

    # 147, 146, then a crash to 140: liquidatable from the crash (step 3), liquidated one step later.
    path = [SOL, 147 * PRICE_POWER, 146 * PRICE_POWER, 140 * PRICE_POWER, 139 * PRICE_POWER, 141 * PRICE_POWER]
    seconds = [60 * t for t in range(len(path))]
    custody_after = pool.collateral.custody(book.owned, book.locked)

    def interest(step: int) -> int:
        return position_interest_usd(accrued_cumulative_interest(0, book.rate, 0, seconds[step]), 0, position.size_usd)

    def liquidatable(step: int) -> bool:
        h = health_inputs(position, interest(step), custody_after, market)
        return pnl.is_liquidatable(h, exit_price_at(Side.LONG, path[step], 10))

    assert [liquidatable(t) for t in range(len(path))] == [False, False, False, True, True, True]
    want = compute_liquidation(position, exit_price_at(Side.LONG, path[4], 10), interest(4), book.insurance_fund,
                               custody_after, market)
    assert interest(4) > 0 and want.bad_debt_amount > 0  # 0.05 %/h for 4 minutes; the crash leaves bad debt

    exact = run_exact(book, path, seconds, keeper_delay=1)
    (o,) = exact.outcomes
    assert (o.kind, o.step) == (LIQUIDATED, 4)
    assert (o.owned_in, o.owned_out, o.fee_paid, o.reward_paid) == (want.owned_in, want.owned_out,
                                                                     want.paid.fee_paid, want.paid.reward_paid)
    assert (o.insurance_draw, o.bad_debt_amount, o.bad_debt_usd) == (want.insurance_draw, want.bad_debt_amount,
                                                                     want.bad_debt_usd)
    assert exact.totals.owned == book.owned + want.owned_in - want.owned_out
    assert exact.totals.bad_debt_usd == want.bad_debt_usd

    prep = prepare(book, len(path) - 1, 60, 1)
    vec = run_batch(prep, np.array([path], dtype=np.int64))
    assert int(vec.outcomes["kind"][0, 0]) == LIQUIDATED and int(vec.outcomes["step"][0, 0]) == 4
    assert int(vec.totals["owned"][0]) == exact.totals.owned
    assert int(vec.totals["bad_debt_usd"][0]) == exact.totals.bad_debt_usd


def test_a_position_open_at_the_horizon_is_closed_there_with_the_close_port() -> None:
    book = _book([Trader(Side.SHORT, 1_000 * USDC, 200 * USDC)], base_rate=100_000)
    path = [SOL, 149 * PRICE_POWER, 148 * PRICE_POWER]
    exact = run_exact(book, path, [0, 3_600, 7_200], keeper_delay=0)
    (o,) = exact.outcomes
    position = book.positions[0]
    custody = book.pool.collateral.custody(book.owned, book.locked)
    interest = position_interest_usd(accrued_cumulative_interest(0, book.rate, 0, 7_200), 0, position.size_usd)
    want = compute_decrease_position(position, position.size_usd, exit_price_at(Side.SHORT, path[-1], 10), interest,
                                     book.insurance_fund, custody, book.pool.market.market())
    assert (o.kind, o.step, o.amount_out, o.owned_out) == (OPEN_AT_END, 2, want.amount_out, want.owned_out)
    assert want.owned_out > 0  # the short won 1 USD a SOL
    assert exact.totals.trader_amount_out == want.amount_out


def test_thresholds_are_where_the_program_flips_liquidatable() -> None:
    """The closed-form thresholds equal the program's bisection (`liquidation_price`) for longs and
    shorts at several interest amounts; the stop thresholds are where `exit <= / >= trigger` flips."""
    rng = random.Random(5)
    traders = []
    for _ in range(24):
        side = rng.choice(list(Side))
        size = rng.randint(50, 50_000) * USDC
        traders.append(Trader(side, size, size * 10_000 // rng.randint(12_000, 450_000),
                              int(SOL * (0.97 if side is Side.LONG else 1.03))))
    book = _book(traders)
    interest = np.array([[0, 1, 10**5, 10**7] for _ in book.positions], dtype=np.int64)
    table = liquidation_thresholds(book, interest)
    custody = book.pool.collateral.custody(book.owned, book.locked)
    stops = stop_thresholds(book)
    for i, p in enumerate(book.positions):
        spread = book.spread(p.side)
        for j in range(interest.shape[1]):
            h = health_inputs(p, int(interest[i, j]), custody, book.pool.market.market())
            assert int(table[i, j]) == pnl.liquidation_price(h, spread)
        trigger = book.stops[i]
        if trigger is None:
            assert int(stops[i]) == (0 if p.side is Side.LONG else INT64_MAX)
            continue
        t = int(stops[i])
        if p.side is Side.LONG:  # reached iff price < t
            assert exit_price_at(p.side, t - 1, spread) <= trigger < exit_price_at(p.side, t, spread)
        else:  # reached iff price > t
            assert exit_price_at(p.side, t, spread) < trigger <= exit_price_at(p.side, t + 1, spread)


@pytest.mark.parametrize("delay", [0, 3])
def test_vectorised_equals_exact_on_sampled_paths(delay: int) -> None:
    cfg = replace(SMALL, run=replace(SMALL.run, keeper_delay_steps=delay))
    result = check(cfg, sample_paths=6)
    assert result.identical, result.mismatches
    assert result.paths == 6
    sim = simulate(replace(cfg, run=replace(cfg.run, paths=6)))
    t = sim.totals
    # The sample covers every kind of settlement, so the comparison means something.
    assert t["liquidations"].sum() > 0 and t["stops"].sum() > 0
    assert t["insurance_draw"].sum() > 0 and t["bad_debt_usd"].sum() > 0


def test_a_mismatch_is_reported() -> None:
    """check() compares amounts: a vectorised result off by one token unit is caught."""
    from perp_pool.risk import simulate as sim_module

    original = sim_module.run_batch

    def off_by_one(prep, prices):  # type: ignore[no-untyped-def]
        out = original(prep, prices)
        out.outcomes["amount_out"][0, 0] += 1
        return out

    sim_module.run_batch = off_by_one
    try:
        result = check(SMALL, sample_paths=1)
    finally:
        sim_module.run_batch = original
    assert not result.identical
    assert "position 0 amount_out" in result.mismatches[0]


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    a, b = simulate(SMALL), simulate(SMALL)
    for f in a.totals:
        assert np.array_equal(a.totals[f], b.totals[f])
    assert np.array_equal(a.aum_end_usd, b.aum_end_usd)
    c = simulate(replace(SMALL, run=replace(SMALL.run, seed=8)))
    assert not np.array_equal(a.aum_end_usd, c.aum_end_usd)


def test_gbm_moments() -> None:
    rng = np.random.default_rng(1)
    step, n = 60, 400_000
    dt = step / 31_536_000
    plain = log_returns(PathParams(drift=0.1, vol=0.8, jump_intensity=0.0), 1, n, step, rng)
    assert plain.mean() == pytest.approx((0.1 - 0.32) * dt, abs=4 * 0.8 * math.sqrt(dt / n))
    assert plain.std() == pytest.approx(0.8 * math.sqrt(dt), rel=0.01)
    # Jumps: the drift is corrected so the price's own drift stays `drift` (here 0): E[e^r] = 1.
    jumpy = log_returns(PathParams(drift=0.0, vol=0.5, jump_intensity=20_000.0, jump_mean=-0.02, jump_std=0.03), 1, n,
                        step, rng)
    assert float(np.exp(jumpy).mean()) == pytest.approx(1.0, abs=2e-4)
    assert jumpy.std() > 0.5 * math.sqrt(dt) * 1.5  # the jumps add variance
    prices = price_paths(PathParams(), SOL, 3, 10, 60, rng)
    assert prices.shape == (3, 11) and (prices[:, 0] == SOL).all() and prices.dtype == np.int64


def test_csv_bootstrap(tmp_path: Path) -> None:
    prices_csv = tmp_path / "prices.csv"
    prices_csv.write_text("time,close\n1,100\n2,110\n3,99\n")
    returns = load_returns(prices_csv)
    assert returns == pytest.approx([math.log(1.1), math.log(0.9)])
    returns_csv = tmp_path / "returns.csv"
    returns_csv.write_text("return\n0.01\n-0.02\n0.005\n")
    assert load_returns(returns_csv) == [0.01, -0.02, 0.005]
    bad = tmp_path / "bad.csv"
    bad.write_text("price\n100\nabc\n")
    with pytest.raises(ValueError, match="bad.csv:3"):
        load_returns(bad)
    sample = tuple(load_returns(returns_csv))
    drawn = log_returns(PathParams(bootstrap=sample), 50, 30, 60, np.random.default_rng(2))
    assert set(np.unique(drawn)) == set(sample)
    cfg = replace(SMALL, price=PathParams(bootstrap=sample), run=replace(SMALL.run, paths=4))
    sim = simulate(cfg)
    ratio = sim.final_price / cfg.pool.market.price
    assert np.all(np.abs(np.log(ratio)) <= 0.02 * cfg.run.steps + 1e-9)


def test_var_and_expected_shortfall() -> None:
    pnl_sample = np.arange(-99, 1, dtype=np.int64)  # losses 99 .. 0 on 100 paths
    assert var_es(pnl_sample, 0.95) == (95, 97)  # the worst 5: 99 .. 95
    assert var_es(pnl_sample, 0.99) == (99, 99)
    assert var_es(np.arange(1, 101, dtype=np.int64), 0.99) == (0, 0)  # a tail that gains is no loss


def test_report_fields_and_json(tmp_path: Path) -> None:
    sim = simulate(SMALL)
    sens = sensitivity(SMALL, paths=6)
    data = report(sim, sens)
    doc = json.loads(json.dumps(data))
    assert doc["schema"] == SCHEMA
    for key in ("lp", "tranches", "insurance_fund", "bad_debt", "liquidations", "book", "fan", "sensitivity"):
        assert key in doc
    junior = doc["tranches"]["junior"]
    for key in ("nav_start_usd", "p_loss", "var95_usd", "es95_usd", "var99_usd", "es99_usd", "return"):
        assert key in junior
    assert junior["es99_usd"] >= junior["var99_usd"] >= 0 and junior["es95_usd"] >= junior["var95_usd"]
    assert doc["tranches"]["senior"]["p_impaired"] >= 0
    assert 0 <= doc["insurance_fund"]["p_depleted"] <= 1 and doc["bad_debt"]["p_any"] > 0
    assert set(doc["lp"]["return"]) == {"mean", "std", "q01", "q05", "q25", "q50", "q75", "q95", "q99"}
    assert len(doc["fan"]["q50"]) == len(doc["fan"]["steps"])
    assert [r["parameter"] for r in doc["sensitivity"]["bumps"]] == ["vol", "jumps", "leverage", "keeper_delay",
                                                                     "maint_lev", "fund"]
    assert set(doc["sensitivity"]["most_sensitive"]) == set(doc["sensitivity"]["base"])
    # Junior and senior NAV add up to the LPs' value on every path, and the senior is paid first.
    junior_end, senior_end = sim.navs(end=True)
    assert np.array_equal(junior_end + senior_end, sim.aum_end_usd)
    assert metrics(sim)["lp"]["aum_start_usd"] == sim.aum_start_usd


def test_charts_are_pngs(tmp_path: Path) -> None:
    from perp_pool.risk.charts import write_charts

    files = write_charts(simulate(SMALL), tmp_path / "charts")
    assert [f.name for f in files] == ["lp_value_fan.png", "tranche_losses.png"]
    for f in files:
        data = f.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000


def test_example_config_loads_and_bad_keys_are_named(tmp_path: Path) -> None:
    cfg = load_config(ROOT / "examples" / "stress.example.toml")
    assert cfg.pool.market.price == SOL and cfg.run.paths == 10_000 and cfg.pool.tranches is not None
    bad = tmp_path / "bad.toml"
    bad.write_text("[traders]\nleverage = 3\n")
    with pytest.raises(ValueError, match="traders.leverage: unknown key"):
        load_config(bad)
    bad.write_text("[pool]\ntranches = false\n[run]\npaths = 0\n")
    with pytest.raises(ValueError, match="run.paths"):
        load_config(bad)


def test_another_open_rule_plugs_in_in_one_place() -> None:
    """A rule doubling the open fee (a stand-in for a skew premium) is the only change needed."""

    def double_fee(side, size, entry, exit_, collateral_in, custody, market, exposure):  # type: ignore[no-untyped-def]
        return program_open(side, size, entry, exit_, collateral_in, custody,
                            replace(market, open_position_bps=market.open_position_bps * 2), exposure)

    traders = [Trader(Side.LONG, 1_000 * USDC, 100 * USDC), Trader(Side.SHORT, 1_000 * USDC, 100 * USDC)]
    pool = PoolParams()
    base, doubled = open_book(pool, traders), open_book(pool, traders, Rules(open_position=double_fee))
    assert doubled.open_fees == 2 * base.open_fees > 0
    seen = []
    open_book(pool, traders, Rules(borrow_rate=lambda u, c, e: seen.append(e) or 7))
    assert seen[0].long_usd == seen[0].short_usd == 1_000 * USDC


def _cli(*args: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["--config", str(tmp_path / "absent.yml"), *args])


def test_cli_json_and_table(tmp_path: Path) -> None:
    small = ["stress", "--paths", "8", "--positions", "30", "--horizon-hours", "1", "--no-sensitivity"]
    result = _cli("--json", *small, "--check", "1", tmp_path=tmp_path)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    doc = json.loads(result.stdout)
    assert doc["schema"] == SCHEMA and doc["model"]["paths"] == 8 and doc["model"]["steps"] == 60
    assert doc["check"]["identical"] is True
    assert "charts" not in doc  # only with --charts (test_charts_are_pngs checks the files)
    table = _cli(*small, tmp_path=tmp_path)
    assert table.exit_code == 0, table.stdout
    assert "stress test of pool demo" in table.stdout and "ES99" in table.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[price]\nvol = -1\n")
    refused = _cli("--json", "stress", "--config", str(bad), tmp_path=tmp_path)
    assert refused.exit_code == 2
    assert json.loads(refused.stdout)["error"] == "InvalidStressConfig"


def test_stop_and_end_kinds_exist_in_the_small_run() -> None:
    sim_prep = prepare(open_book(SMALL.pool, [Trader(Side.LONG, 1_000 * USDC, 100 * USDC, int(SOL * 0.99))]), 3,
                       60, 0)
    path = np.array([[SOL, int(SOL * 0.985), int(SOL * 0.985), int(SOL * 0.985)]], dtype=np.int64)
    out = run_batch(sim_prep, path)
    assert int(out.outcomes["kind"][0, 0]) == STOPPED and int(out.outcomes["step"][0, 0]) == 1


def test_positions_open_before_t0_are_settled_with_the_interest_they_owe() -> None:
    """A pool's open positions (from chain) come first in the book, owe interest from their own
    snapshot (before t0), change neither owned nor locked at t0, and both engines agree on them."""
    opened = open_book(SMALL.pool, [Trader(Side.LONG, 5_000 * USDC, 300 * USDC),
                                    Trader(Side.SHORT, 4_000 * USDC, 250 * USDC)])
    existing = tuple(ExistingPosition(p.side is Side.LONG, p.quantity, p.size_usd, p.collateral_amount,
                                      p.locked_amount, -3_600 * 200_000) for p in opened.positions)
    pool = replace(SMALL.pool, positions=existing,
                   collateral=replace(SMALL.pool.collateral, locked=opened.locked))
    cfg = replace(SMALL, pool=pool)
    book = book_for(cfg)
    assert book.existing == 2 and book.positions[:2] == opened.positions
    assert book.snapshots[:2] == (-720_000_000, -720_000_000) and set(book.snapshots[2:]) == {0}
    prep = prepare(book, 2, 60, 0)
    # An hour at 0.02 %/h is owed at t0 already.
    assert int(prep.interest_usd[0, 0]) == position_interest_usd(0, -720_000_000, 5_000 * USDC) == 1 * USDC
    result = check(cfg, sample_paths=4)
    assert result.identical, result.mismatches


def test_a_stop_loss_never_executes_on_a_liquidatable_position() -> None:
    """Stop reached at step 1 (the position still healthy), a crash past the liquidation price at
    step 2 (the keeper saw no liquidation at step 1, and the program refuses the stop then:
    PositionLiquidatable), back between the two at step 3: the stop executes there, at that price."""
    trader_ = Trader(Side.LONG, 1_000 * USDC, 50 * USDC, int(SOL * 0.99))
    book = open_book(PoolParams(), [trader_])
    custody = book.pool.collateral.custody(book.owned, book.locked)
    h = health_inputs(book.positions[0], 0, custody, book.pool.market.market())
    boundary = pnl.liquidation_price(h, 10)
    band = (boundary + int(SOL * 0.985)) // 2  # stop reached, not liquidatable
    path = [SOL, band, boundary - 5 * PRICE_POWER, band, band]
    exact = run_exact(book, path, [0, 60, 120, 180, 240], keeper_delay=1)
    (o,) = exact.outcomes
    assert (o.kind, o.step) == (STOPPED, 3)
    vec = run_batch(prepare(book, len(path) - 1, 60, 1), np.array([path], dtype=np.int64))
    assert (int(vec.outcomes["kind"][0, 0]), int(vec.outcomes["step"][0, 0])) == (STOPPED, 3)
    assert int(vec.outcomes["amount_out"][0, 0]) == o.amount_out > 0


@pytest.mark.parametrize(("seed", "delay", "distance", "leverage"),
                         [(1, 0, 0.005, 30.0), (2, 1, 0.02, 8.0), (3, 4, 0.005, 8.0), (4, 2, 0.01, 40.0)])
def test_vectorised_equals_exact_across_configs(seed: int, delay: int, distance: float, leverage: float) -> None:
    cfg = replace(SMALL, traders=replace(SMALL.traders, stop_distance=distance, leverage_mean=leverage),
                  run=replace(SMALL.run, seed=seed, keeper_delay_steps=delay, horizon_sec=3_600))
    result = check(cfg, sample_paths=3)
    assert result.identical, result.mismatches


# The skew premium, a net cap and asset-backed longs on a SOL-funded pool (issue 14, issue 13).
SKEWED = replace(SMALL, pool=replace(SMALL.pool, market=replace(
    SMALL.pool.market, lp_tokens=5_000 * 10**9, insurance_fund=2 * 10**7, base_rate=300_000,
    skew_scale_aum_bps=50, fee_premium_max_bps=5_000, fee_discount_max_bps=5_000, borrow_premium_max_rate=2_000_000,
    max_net_exposure_aum_bps=15)), traders=replace(SMALL.traders, long_share=0.7, asset_backed_share=0.5))


def test_the_skew_prices_each_open_as_the_port_says_and_the_cap_refuses_by_name() -> None:
    book = book_for(SKEWED)
    plain = book_for(replace(SKEWED, pool=replace(SKEWED.pool, market=replace(
        SKEWED.pool.market, skew_scale_aum_bps=0, fee_premium_max_bps=0, fee_discount_max_bps=0,
        borrow_premium_max_rate=0, max_net_exposure_aum_bps=0))))
    assert book.rejected.get("NetExposureLimitExceeded", 0) > 0 and "NetExposureLimitExceeded" not in plain.rejected
    assert len(book.positions) < len(plain.positions)
    # the majority (long) side pays the borrow premium, the minority none
    assert book.long_usd > book.short_usd and book.premium_rates[0] > 0 and book.premium_rates[1] == 0
    # each open's fee is compute_open_position with the skew at the net so far (replayed here)
    from perp_pool.math.skew import borrow_premium_rate
    from perp_pool.risk.book import start_aum_usd
    aum = start_aum_usd(SKEWED.pool)
    assert book.aum_usd == aum
    assert book.premium_rates[0] == borrow_premium_rate(Side.LONG, book.long_usd - book.short_usd, aum,
                                                        SKEWED.pool.market.skew())
    # one long then one short of the same size: the long pays the premium, the short (reducing) the discount
    pool = replace(SKEWED.pool, collateral=replace(SKEWED.pool.collateral, base_rate=0))
    no_skew = replace(pool, market=plain.pool.market)
    traders = [Trader(Side.LONG, 3_000 * USDC, 300 * USDC), Trader(Side.SHORT, 3_000 * USDC, 300 * USDC)]
    skewed, flat = open_book(pool, traders[:1]), open_book(no_skew, traders[:1])
    from perp_pool.math.trade import MarketSkew
    prices = TradePrices(SOL, SOL)
    custody = pool.collateral.custody()
    want = compute_open_position(Side.LONG, 3_000 * USDC, entry_price(Side.LONG, prices, 10),
                                 exit_price(Side.LONG, prices, 10), 300 * USDC, custody,
                                 replace(pool.market.market(), skew=MarketSkew(pool.market.skew(), 0, aum)))
    assert skewed.open_fees == want.fee_amount > flat.open_fees and want.skew_fee.premium_usd > 0
    both, both_flat = open_book(pool, traders), open_book(no_skew, traders)
    assert both.open_fees - skewed.open_fees < both_flat.open_fees - flat.open_fees  # the short's discount
    # asset-backed longs lock the LPs' SOL, their fees and collateral are SOL
    assert any(book.backed) and book.market is not None and book.market.locked > 0


def test_a_held_position_owes_its_sides_premium() -> None:
    book = book_for(SKEWED)
    i = next(j for j, p in enumerate(book.positions) if p.side is Side.LONG and not book.is_backed(j))
    p = book.positions[i]
    want = (position_interest_usd(accrued_cumulative_interest(0, book.rate, 0, 3_600), 0, p.size_usd)
            + position_interest_usd(accrued_cumulative_interest(0, book.premium_rates[0], 0, 3_600), 0, p.size_usd))
    assert book.interest_usd(i, 3_600) == want > 0


@pytest.mark.parametrize("delay", [0, 2])
def test_vectorised_equals_exact_with_skew_and_asset_backed_longs(delay: int) -> None:
    cfg = replace(SKEWED, run=replace(SKEWED.run, keeper_delay_steps=delay))
    result = check(cfg, sample_paths=5)
    assert result.identical, result.mismatches
    sim = simulate(replace(cfg, run=replace(cfg.run, paths=5)))
    t = sim.totals
    # the asset-backed longs settled in SOL: liquidations with fees to the SOL custody's split, profits paid
    book = sim.book
    assert book.market is not None
    assert (t["market_protocol_fees"] >= book.market.protocol_fees).all()
    assert (t["market_protocol_fees"] > book.market.protocol_fees).any()
    assert t["liquidations"].sum() > 0 and t["market_insurance_draw"].sum() + t["market_bad_debt_amount"].sum() >= 0
    # the LP value at the horizon counts the SOL they own after the settlements at the final price
    from perp_pool.risk.simulate import market_value_usd
    for p in range(sim.paths):
        assert int(sim.aum_end_usd[p]) == (int(t["owned"][p]) + market_value_usd(
            cfg, int(sim.final_price[p]), int(t["market_owned"][p])))


def test_an_asset_backed_long_is_liquidated_with_its_collateral_revalued() -> None:
    """One 5x SOL-backed long at 150: liquidated at the program's (bisected) liquidation price, not
    at the USD-fixed-collateral one, and settled in SOL at that step's price."""
    pool = replace(PoolParams(), market=replace(PoolParams().market, lp_tokens=1_000 * 10**9, spread_long_bps=0,
                                                slope1=0, slope2=0))
    book = open_book(pool, [Trader(Side.LONG, 1_500 * USDC, 2 * 10**9, None, True)])
    assert book.is_backed(0) and book.market is not None and book.market.locked == book.positions[0].locked_amount
    prep = prepare(book, 4, 60, 0)
    thr = int(prep.liquidation_threshold[0, 0])
    # the program's bisection with the tokens revalued; the collateral fixed at its t0 USD value would
    # put it lower (a 5x long: about 84 % of the entry with the collateral moving, 81 % without)
    from perp_pool.math.backing import TokenBacking
    p = book.positions[0]
    h = health_inputs(p, 0, book.custody_at(0, SOL), pool.market.market())
    assert thr == pnl.liquidation_price(h, 0, TokenBacking(p.collateral_amount, p.locked_amount, 9))
    assert thr > pnl.liquidation_price(h, 0) and 0.83 * SOL < thr < 0.85 * SOL
    path = [SOL, SOL, thr, thr - 1, thr - 1]
    exact = run_exact(book, path, [0, 60, 120, 180, 240], keeper_delay=0)
    (o,) = exact.outcomes
    assert (o.kind, o.step) == (LIQUIDATED, 3)
    vec = run_batch(prep, np.array([path], dtype=np.int64))
    assert (int(vec.outcomes["kind"][0, 0]), int(vec.outcomes["step"][0, 0])) == (LIQUIDATED, 3)
    assert int(vec.outcomes["owned_in"][0, 0]) == o.owned_in and int(vec.totals["market_owned"][0]) == \
        exact.totals.market_owned
    assert exact.totals.owned == book.owned  # the stable custody is untouched


def test_skew_and_asset_backed_keys_load_and_bad_ones_are_named(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text("[pool]\naum_usd = 5_000_000_000\n[pool.market]\nlp_tokens = 1_000_000_000_000\n"
                 "insurance_fund = 7\nskew_scale_aum_bps = 100\nfee_premium_max_bps = 4000\n"
                 "borrow_premium_max_rate = 1000\nmax_net_exposure_aum_bps = 50\n"
                 "[traders]\nasset_backed_share = 0.25\n")
    cfg = load_config(f)
    assert cfg.pool.aum_usd == 5_000_000_000 and cfg.traders.asset_backed_share == 0.25
    assert cfg.pool.market.skew().scale_aum_bps == 100 and cfg.pool.market.lending().insurance_fund == 7
    assert book_for(replace(cfg, traders=replace(cfg.traders, count=50))).aum_usd == 5_000_000_000
    for text, match in (("[pool.market]\nfee_premium_max_bps = 10\n", "skew"),  # a premium without a scale
                        ("[pool.market]\nskew_scale_aum_bps = 1\nfee_premium_max_bps = 6000\n"
                         "fee_discount_max_bps = 5000\n", "skew"),
                        ("[traders]\nasset_backed_share = 1.5\n", "asset_backed_share"),
                        ("[pool]\naum_usd = -1\n", "pool.aum_usd")):
        f.write_text(text)
        with pytest.raises(ValueError, match=match):
            load_config(f)


def test_asset_backed_longs_need_the_lps_tokens_of_the_market() -> None:
    """Without LP-owned SOL an asset-backed long cannot lock its payoff: InsufficientLiquidity, counted."""
    cfg = replace(SMALL, traders=replace(SMALL.traders, asset_backed_share=1.0))
    book = book_for(cfg)
    longs = sum(p.side is Side.LONG for p in book.positions)
    assert longs == 0 and book.rejected["InsufficientLiquidity"] > 0
    funded = book_for(replace(cfg, pool=replace(cfg.pool, market=replace(cfg.pool.market, lp_tokens=10**13))))
    assert all(funded.backed[i] for i, p in enumerate(funded.positions) if p.side is Side.LONG)
    assert funded.market is not None and funded.market.locked == sum(
        p.locked_amount for i, p in enumerate(funded.positions) if funded.backed[i]) > 0
    assert funded.locked == sum(p.locked_amount for i, p in enumerate(funded.positions) if not funded.backed[i])
