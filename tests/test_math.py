"""Offline: the Python oracle and liquidity math agrees with the program's on tests/vectors/liquidity.json
(every section is checked: `test_every_vector_section_is_checked`), plus properties."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perp_pool import errors
from perp_pool.constants import DEAD_LP_SUPPLY, USD_POWER
from perp_pool.math.fixed import U64_MAX, Rounding
from perp_pool.math.liquidity import (
    AumMode,
    CustodyValuation,
    TradingValuation,
    assets_under_management_usd,
    compute_add_liquidity,
    compute_remove_liquidity,
    lp_token_price_usd,
    pool_lp_supply,
)
from perp_pool.math.oracle import OraclePrice, min_max_price, validate_oracle_price

VECTORS = json.loads((Path(__file__).parent / "vectors" / "liquidity.json").read_text())


CHECKED: set[str] = set()


def cases(kind: str) -> list[Any]:
    CHECKED.add(kind)
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
        assert dataclasses.asdict(got) == case["expected"]


@pytest.mark.parametrize("case", cases("remove_liquidity"))
def test_remove_liquidity_vectors(case: dict) -> None:
    got = expect(case, lambda: _remove(case))
    if "expected" in case:
        assert dataclasses.asdict(got) == case["expected"]


@pytest.mark.parametrize("case", cases("aum"))
def test_aum_vectors(case: dict) -> None:
    # Custodies without position fields have no positions (TradingValuation all zero, as in the program).
    trading = {f.name for f in dataclasses.fields(TradingValuation)}
    vals = [CustodyValuation(c["owned"], c["decimals"], OraclePrice(c["min_price"], c["exponent"]),
                             OraclePrice(c["max_price"], c["exponent"]),
                             TradingValuation(**{k: v for k, v in c.items() if k in trading}))
            for c in case["custodies"]]
    got = expect(case, lambda: {"aum_min_usd": assets_under_management_usd(vals, AumMode.MIN),
                                "aum_max_usd": assets_under_management_usd(vals, AumMode.MAX)})
    if "expected" in case:
        assert got == case["expected"]


@pytest.mark.parametrize("case", cases("lp_token_price"))
def test_lp_token_price_vectors(case: dict) -> None:
    got = expect(case, lambda: lp_token_price_usd(case["aum_min_usd"], case["lp_supply"]))
    if "expected" in case:
        assert got == case["expected"]


class PoolModel:
    """A single-custody pool driven only by the ported math, as the add/remove_liquidity handlers
    update it: `lp_supply` is the LP mint's supply, `dead_lp_supply` the pool's dead shares, and
    every LP price uses their sum (`pool_lp_supply`)."""

    def __init__(self, s: dict):
        self.s = s
        self.lo = OraclePrice(s["min_price"], s["exponent"])
        self.hi = OraclePrice(s["max_price"], s["exponent"])
        self.owned = self.protocol_fees = self.lp_supply = self.dead_lp_supply = 0

    def valuation(self) -> list[CustodyValuation]:
        return [CustodyValuation(self.owned, self.s["decimals"], self.lo, self.hi)]

    def supply(self) -> int:
        return pool_lp_supply(self.lp_supply, self.dead_lp_supply)

    def add(self, amount: int):
        a = compute_add_liquidity(amount, self.s["decimals"], self.lo,
                                  assets_under_management_usd(self.valuation(), AumMode.MAX), self.supply(),
                                  self.s["add_liquidity_bps"], self.s["protocol_share_bps"])
        self.owned += a.owned_increase
        self.protocol_fees += a.protocol_fee_amount
        self.lp_supply += a.lp_amount_out
        self.dead_lp_supply += a.dead_lp_amount
        return a

    def remove(self, lp: int):
        if lp > self.lp_supply:  # only minted LP can be burned
            raise errors.InsufficientLiquidity()
        r = compute_remove_liquidity(lp, assets_under_management_usd(self.valuation(), AumMode.MIN), self.supply(),
                                     self.s["decimals"], self.hi, self.owned, self.s["remove_liquidity_bps"],
                                     self.s["protocol_share_bps"])
        self.owned -= r.owned_decrease
        self.protocol_fees += r.protocol_fee_amount
        self.lp_supply -= lp
        return r

    def gain(self, amount: int) -> None:
        """The pool's tokens grow without new LP (fees, traders' losses, a donation)."""
        self.owned += amount

    def state(self) -> dict:
        aum_min = assets_under_management_usd(self.valuation(), AumMode.MIN)
        return {"owned": self.owned, "protocol_fees": self.protocol_fees, "lp_supply": self.lp_supply,
                "dead_lp_supply": self.dead_lp_supply, "aum_min_usd": aum_min,
                "lp_token_price_usd": lp_token_price_usd(aum_min, self.supply())}


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
        expected = dict(step["expected"])
        assert pool.state() == expected.pop("state")
        if got is None:
            assert expected == {}
        else:
            assert {step["op"]: dataclasses.asdict(got)} == expected


def test_every_vector_section_is_checked() -> None:
    sections = {k for k in VECTORS if k != "_doc"}
    assert sections - CHECKED == set(), "tests/vectors/liquidity.json sections no pytest checks"
    assert CHECKED - sections == set(), "tests for sections no longer in tests/vectors/liquidity.json"


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
    try:
        pool.add(seed)  # an existing LP
    except errors.ZeroAmount:  # a first deposit must exceed the dead shares
        return
    price_before = pool.state()["lp_token_price_usd"]
    try:
        lp = pool.add(amount).lp_amount_out
    except errors.ZeroAmount:
        return
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


@settings(max_examples=300, deadline=None)
@given(first=st.integers(DEAD_LP_SUPPLY + 1, 10**13), burn_to=st.integers(0, 10**6), donation=st.integers(0, 10**13),
       victim=st.integers(1, 10**13))
def test_first_depositor_cannot_inflate_the_lp_unit(first: int, burn_to: int, donation: int, victim: int) -> None:
    """The attack of issue 8 finding 3: deposit, redeem all but a few LP units, donate, let a victim
    deposit. With the dead shares the victim's rounding loss is at most one LP unit's worth, which
    the dead supply bounds by AUM / DEAD_LP_SUPPLY."""
    s = {"decimals": 6, "min_price": 100_000_000, "max_price": 100_000_000, "exponent": -8, "add_liquidity_bps": 0,
         "remove_liquidity_bps": 0, "protocol_share_bps": 0}
    pool = PoolModel(s)
    assert pool.add(first).lp_amount_out == first - DEAD_LP_SUPPLY
    assert pool.dead_lp_supply == DEAD_LP_SUPPLY
    if pool.lp_supply > burn_to:
        pool.remove(pool.lp_supply - burn_to)
    pool.gain(donation)
    aum = pool.state()["aum_min_usd"]
    unit_value = -(-aum // pool.supply())  # USD of one LP base unit, rounded up
    assert pool.supply() >= DEAD_LP_SUPPLY
    try:
        lp = pool.add(victim).lp_amount_out
    except errors.ZeroAmount:
        assert victim < unit_value  # only a deposit worth less than one LP unit gets nothing
        return
    victim_value = lp * pool.state()["aum_min_usd"] // pool.supply()
    assert victim - victim_value <= unit_value
    assert unit_value <= aum // DEAD_LP_SUPPLY + 1


def test_first_deposit_pays_for_the_dead_shares() -> None:
    usdc = OraclePrice(100_000_000, -8)
    with pytest.raises(errors.ZeroAmount):
        compute_add_liquidity(DEAD_LP_SUPPLY, 6, usdc, 0, 0, 0, 0)
    a = compute_add_liquidity(DEAD_LP_SUPPLY + 1, 6, usdc, 0, 0, 0, 0)
    assert (a.lp_amount_out, a.dead_lp_amount) == (1, DEAD_LP_SUPPLY)
    assert lp_token_price_usd(a.deposit_usd, pool_lp_supply(a.lp_amount_out, a.dead_lp_amount)) == USD_POWER
