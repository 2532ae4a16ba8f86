"""Offline: the Python perpetuals math agrees with the program's on tests/vectors/perps.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perp_pool import errors
from perp_pool.math import borrow, fees, pnl, pricing
from perp_pool.math.fixed import Rounding
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pricing import Side

VECTORS = json.loads((Path(__file__).parent / "vectors" / "perps.json").read_text())


def cases(kind: str) -> list[Any]:
    return [pytest.param(c, id=c["name"]) for c in VECTORS[kind]]


def check(case: dict, fn: Callable[[], Any], convert: Callable[[Any], Any] = lambda x: x) -> None:
    if "error" in case:
        with pytest.raises(errors.error_class(case["error"])):
            fn()
        return
    assert convert(fn()) == case["expected"]


def side(case: dict) -> Side:
    return Side(case["side"])


def health_inputs(c: dict) -> pnl.HealthInputs:
    return pnl.HealthInputs(side(c), c["entry_price"], c["size_usd"], c["collateral_usd"], c["max_profit_usd"],
                            c["close_fee_usd"], c["interest_usd"], c["max_leverage_bps"])


@pytest.mark.parametrize("c", cases("trade_prices"))
def test_trade_prices(c: dict) -> None:
    check(c, lambda: pricing.trade_prices(OraclePrice(c["spot"], c["exponent"]), OraclePrice(c["ema"], c["exponent"]),
                                          c["use_ema"]), lambda p: {"lo": p.lo, "hi": p.hi})


@pytest.mark.parametrize("c", cases("entry_price"))
def test_entry_price(c: dict) -> None:
    check(c, lambda: pricing.entry_price(side(c), pricing.TradePrices(c["lo"], c["hi"]), c["spread_bps"]))


@pytest.mark.parametrize("c", cases("exit_price"))
def test_exit_price(c: dict) -> None:
    check(c, lambda: pricing.exit_price(side(c), pricing.TradePrices(c["lo"], c["hi"]), c["spread_bps"]))


@pytest.mark.parametrize("c", cases("utilization"))
def test_utilization(c: dict) -> None:
    check(c, lambda: borrow.utilization(c["locked"], c["owned"]))


@pytest.mark.parametrize("c", cases("borrow_rate"))
def test_borrow_rate(c: dict) -> None:
    check(c, lambda: borrow.borrow_rate(c["utilization"], c["base_rate"], c["slope1"], c["slope2"],
                                        c["optimal_utilization"]))


@pytest.mark.parametrize("c", cases("accrue_interest"))
def test_accrue_interest(c: dict) -> None:
    check(c, lambda: borrow.accrued_cumulative_interest(c["cumulative_interest"], c["current_rate"], c["last_update"],
                                                        c["now"]))


@pytest.mark.parametrize("c", cases("position_interest"))
def test_position_interest(c: dict) -> None:
    check(c, lambda: borrow.position_interest_usd(c["cumulative_interest"], c["snapshot"], c["size_usd"]))


@pytest.mark.parametrize("c", cases("aggregate_interest"))
def test_aggregate_interest(c: dict) -> None:
    check(c, lambda: borrow.aggregate_interest_usd(c["cumulative_interest"], c["size_usd"], c["interest_weighted"],
                                                   Rounding(c["rounding"])))


@pytest.mark.parametrize("c", cases("open_fee"))
def test_open_fee(c: dict) -> None:
    def run() -> dict:
        bps = fees.open_fee_bps(c["open_position_bps"], c["utilization_after"], c["optimal_utilization"])
        usd = fees.open_position_fee_usd(c["size_usd"], c["open_position_bps"], c["utilization_after"],
                                         c["optimal_utilization"])
        return {"fee_bps": bps, "fee_usd": usd}

    check(c, run)


@pytest.mark.parametrize("c", cases("bps_fee"))
def test_bps_fee(c: dict) -> None:
    check(c, lambda: fees.bps_fee(c["amount"], c["bps"]))


@pytest.mark.parametrize("c", cases("fee_split"))
def test_fee_split(c: dict) -> None:
    check(c, lambda: fees.split_fee(c["fee"], c["protocol_share_bps"], c["insurance_share_bps"]),
          lambda s: s.__dict__)


@pytest.mark.parametrize("c", cases("quantity"))
def test_quantity(c: dict) -> None:
    check(c, lambda: pnl.position_quantity(c["size_usd"], c["price"]))


@pytest.mark.parametrize("c", cases("pnl"))
def test_pnl(c: dict) -> None:
    check(c, lambda: pnl.capped_pnl(side(c), c["entry_price"], c["exit_price"], c["size_usd"], c["max_profit_usd"]),
          lambda p: p.__dict__)


@pytest.mark.parametrize("c", cases("health"))
def test_health(c: dict) -> None:
    def run() -> dict:
        inputs = health_inputs(c)
        equity = pnl.equity_usd(inputs, c["exit_price"])
        return {"equity_usd": equity, "leverage_bps": pnl.leverage_bps(c["size_usd"], equity),
                "liquidatable": pnl.is_liquidatable(inputs, c["exit_price"])}

    check(c, run)


@pytest.mark.parametrize("c", cases("liquidation_price"))
def test_liquidation_price(c: dict) -> None:
    check(c, lambda: pnl.liquidation_price(health_inputs(c), c["spread_bps"]))


@pytest.mark.parametrize("c", cases("aggregate_pnl"))
def test_aggregate_pnl(c: dict) -> None:
    check(c, lambda: pnl.aggregate_pnl_usd(side(c), c["size_usd"], c["total_quantity"], c["collateral_usd"],
                                           c["price"], c["max_payoff_mult_bps"], Rounding(c["rounding"])))


# ---- properties --------------------------------------------------------------------------------

sizes = st.integers(1, 10**13)
prices = st.integers(1, 10**12)


@settings(max_examples=300, deadline=None)
@given(size=sizes, entry=prices, exit_=prices)
def test_long_and_short_pnl_are_mirror_images(size: int, entry: int, exit_: int) -> None:
    long = pnl.position_pnl(Side.LONG, entry, exit_, size)
    short = pnl.position_pnl(Side.SHORT, entry, exit_, size)
    assert long.profit_usd == short.loss_usd or long.profit_usd + 1 == short.loss_usd  # floor vs ceil
    assert short.profit_usd == long.loss_usd or short.profit_usd + 1 == long.loss_usd
    assert min(long.profit_usd, long.loss_usd) == 0


@settings(max_examples=200, deadline=None)
@given(side_=st.sampled_from(list(Side)), size=st.integers(10**6, 10**12), lev=st.integers(11_000, 500_000),
       entry=st.integers(10**6, 10**11), spread=st.integers(0, 100))
def test_liquidation_price_is_the_boundary(side_: Side, size: int, lev: int, entry: int, spread: int) -> None:
    collateral = size * 10_000 // lev
    inputs = pnl.HealthInputs(side_, entry, size, collateral, size, fees.bps_fee(size, 10), 0, 1_000_000)
    price = pnl.liquidation_price(inputs, spread)
    at = pricing.exit_price_at(side_, price, spread)
    past = pricing.exit_price_at(side_, price - 1 if side_ is Side.LONG else price + 1, spread)
    if 0 < price < pnl.LIQUIDATION_PRICE_SEARCH_MAX:
        assert not pnl.is_liquidatable(inputs, at)
        assert pnl.is_liquidatable(inputs, past)
