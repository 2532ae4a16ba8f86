"""Offline: the Python math agrees with the program's on the shared vectors, plus properties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perp_pool import errors
from perp_pool.math.fixed import U64_MAX, Rounding
from perp_pool.math.liquidity import (
    AumMode,
    CustodyValuation,
    assets_under_management_usd,
    compute_add_liquidity,
    compute_remove_liquidity,
    lp_token_price_usd,
)
from perp_pool.math.oracle import OraclePrice, min_max_price, validate_oracle_price

VECTORS = json.loads((Path(__file__).parent / "vectors" / "liquidity.json").read_text())


def cases(kind: str) -> list[Any]:
    return [pytest.param(c, id=c["name"]) for c in VECTORS[kind]]


def expect(case: dict, fn) -> Any:
    if "error" in case:
        with pytest.raises(errors.error_class(case["error"])):
            fn()
        return None
    return fn()


@pytest.mark.parametrize("case", cases("token_to_usd"))
def test_token_to_usd_vectors(case: dict) -> None:
    price = OraclePrice(case["price"], case["exponent"])
    got = expect(case, lambda: price.token_to_usd(case["amount"], case["decimals"], Rounding(case["rounding"])))
    if "expected" in case:
        assert got == case["expected"]


@pytest.mark.parametrize("case", cases("usd_to_token"))
def test_usd_to_token_vectors(case: dict) -> None:
    price = OraclePrice(case["price"], case["exponent"])
    got = expect(case, lambda: price.usd_to_token(case["usd"], case["decimals"], Rounding(case["rounding"])))
    if "expected" in case:
        assert got == case["expected"]


@pytest.mark.parametrize("case", cases("oracle"))
def test_oracle_vectors(case: dict) -> None:
    def run():
        spot, ema = validate_oracle_price(
            price=case["price"], expo=case["expo"], conf=case["conf"], ema=case["ema"],
            publish_time=case["publish_time"], now=case["now"], max_price_age_sec=case["max_price_age_sec"],
            max_price_error_bps=case["max_price_error_bps"])
        return min_max_price(spot, ema)

    got = expect(case, run)
    if "expected" in case:
        lo, hi = got
        assert (lo.price, hi.price, lo.exponent) == (
            case["expected"]["min_price"], case["expected"]["max_price"], case["expected"]["exponent"])


def _add(case: dict):
    return compute_add_liquidity(case["amount_in"], case["decimals"], OraclePrice(case["price"], case["exponent"]),
                                 case["aum_max_usd"], case["lp_supply"], case["add_liquidity_bps"],
                                 case["protocol_share_bps"])


def _remove(case: dict):
    return compute_remove_liquidity(case["lp_amount_in"], case["aum_min_usd"], case["lp_supply"], case["decimals"],
                                    OraclePrice(case["price"], case["exponent"]), case["available_amount"],
                                    case["remove_liquidity_bps"], case["protocol_share_bps"])


@pytest.mark.parametrize("case", cases("add_liquidity"))
def test_add_liquidity_vectors(case: dict) -> None:
    got = expect(case, lambda: _add(case))
    if "expected" in case:
        assert got.__dict__ == case["expected"]


@pytest.mark.parametrize("case", cases("remove_liquidity"))
def test_remove_liquidity_vectors(case: dict) -> None:
    got = expect(case, lambda: _remove(case))
    if "expected" in case:
        assert got.__dict__ == case["expected"]


@pytest.mark.parametrize("case", cases("aum"))
def test_aum_vectors(case: dict) -> None:
    vals = [CustodyValuation(c["owned"], c["decimals"], OraclePrice(c["min_price"], c["exponent"]),
                             OraclePrice(c["max_price"], c["exponent"])) for c in case["custodies"]]
    assert assets_under_management_usd(vals, AumMode.MIN) == case["expected"]["aum_min_usd"]
    assert assets_under_management_usd(vals, AumMode.MAX) == case["expected"]["aum_max_usd"]


@pytest.mark.parametrize("case", cases("lp_token_price"))
def test_lp_token_price_vectors(case: dict) -> None:
    got = expect(case, lambda: lp_token_price_usd(case["aum_min_usd"], case["lp_supply"]))
    if "expected" in case:
        assert got == case["expected"]


class PoolModel:
    """A single-custody pool driven only by the ported math (what the scenarios replay)."""

    def __init__(self, s: dict):
        self.s = s
        self.lo = OraclePrice(s["min_price"], s["exponent"])
        self.hi = OraclePrice(s["max_price"], s["exponent"])
        self.owned = self.protocol_fees = self.lp_supply = 0

    def valuation(self) -> list[CustodyValuation]:
        return [CustodyValuation(self.owned, self.s["decimals"], self.lo, self.hi)]

    def add(self, amount: int):
        a = compute_add_liquidity(amount, self.s["decimals"], self.lo,
                                  assets_under_management_usd(self.valuation(), AumMode.MAX), self.lp_supply,
                                  self.s["add_liquidity_bps"], self.s["protocol_share_bps"])
        self.owned += a.owned_increase
        self.protocol_fees += a.protocol_fee_amount
        self.lp_supply += a.lp_amount_out
        return a

    def remove(self, lp: int):
        r = compute_remove_liquidity(lp, assets_under_management_usd(self.valuation(), AumMode.MIN), self.lp_supply,
                                     self.s["decimals"], self.hi, self.owned, self.s["remove_liquidity_bps"],
                                     self.s["protocol_share_bps"])
        self.owned -= r.owned_decrease
        self.protocol_fees += r.protocol_fee_amount
        self.lp_supply -= lp
        return r

    def state(self) -> dict:
        aum_min = assets_under_management_usd(self.valuation(), AumMode.MIN)
        return {"owned": self.owned, "protocol_fees": self.protocol_fees, "lp_supply": self.lp_supply,
                "aum_min_usd": aum_min, "lp_token_price_usd": lp_token_price_usd(aum_min, self.lp_supply)}


@pytest.mark.parametrize("scenario", cases("scenarios"))
def test_scenarios_replay_exactly(scenario: dict) -> None:
    pool = PoolModel(scenario)
    for step in scenario["steps"]:
        op = getattr(pool, step["op"])
        if "error" in step:
            before = pool.state()
            with pytest.raises(errors.error_class(step["error"])):
                op(step["amount"])
            assert pool.state() == before
            continue
        got = op(step["amount"])
        assert got.__dict__ == step["expected"][step["op"]]
        assert pool.state() == step["expected"]["state"]


prices = st.integers(min_value=90_000_000, max_value=110_000_000)  # a stablecoin, 8-decimal exponent
amounts = st.integers(min_value=1_000, max_value=10**13)
bps = st.integers(min_value=0, max_value=500)


@settings(max_examples=300, deadline=None)
@given(amount=amounts, price=prices, spread=st.integers(0, 500_000), add_bps=bps, remove_bps=bps,
       share=st.integers(0, 10_000), seed=amounts)
def test_deposit_then_withdraw_never_returns_more(amount: int, price: int, spread: int, add_bps: int,
                                                  remove_bps: int, share: int, seed: int) -> None:
    s = {"decimals": 6, "min_price": price, "max_price": price + spread, "exponent": -8,
         "add_liquidity_bps": add_bps, "remove_liquidity_bps": remove_bps, "protocol_share_bps": share}
    pool = PoolModel(s)
    pool.add(seed)  # an existing LP
    price_before = pool.state()["lp_token_price_usd"]
    lp = pool.add(amount).lp_amount_out
    try:
        out = pool.remove(lp).amount_out
    except errors.ZeroAmount:
        out = 0
    assert out <= amount
    # Fees and rounding only ever favour the LPs who stay.
    assert pool.state()["lp_token_price_usd"] >= price_before


@settings(max_examples=300, deadline=None)
@given(amount=st.integers(0, U64_MAX), fee=st.integers(0, 10_000), share=st.integers(0, 10_000))
def test_fees_are_bounded_and_never_negative(amount: int, fee: int, share: int) -> None:
    from perp_pool.math.liquidity import fee_amount, protocol_fee_amount

    f = fee_amount(amount, fee)
    p = protocol_fee_amount(f, share)
    assert 0 <= p <= f <= amount
