"""Offline: the Python perpetuals math agrees with the program's on tests/vectors/perps.json.

Every section of the vectors file has a runner below (`RUNNERS`); a section no runner checks, or
a runner whose section is gone, fails `test_every_vector_section_is_checked`. Outputs are compared
whole: a result dataclass (perp_pool.math.trade mirrors math/trade.rs field for field) must equal
the program's JSON exactly, nested structs included.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from perp_pool import errors
from perp_pool.constants import BPS_POWER, HOUR_SECONDS, PRICE_POWER, RATE_POWER
from perp_pool.math import (
    backing,
    borrow,
    exposure,
    fees,
    liquidity,
    orders,
    pnl,
    pricing,
    skew,
    staking,
    trade,
    tranche,
    weights,
)
from perp_pool.math.fixed import U64_MAX, Rounding
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pricing import Side

ROOT = Path(__file__).resolve().parents[1]
VECTORS = json.loads((ROOT / "tests" / "vectors" / "perps.json").read_text())
SECTIONS = [k for k in VECTORS if k != "_doc"]


def jsonable(value: Any) -> Any:
    """A Python result in the vectors' JSON shape (dataclasses as objects, enums by value)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


# ---- inputs --------------------------------------------------------------------------------------


def side(c: dict) -> Side:
    return Side(c["side"])


def oracle(c: dict, key: str) -> OraclePrice:
    return OraclePrice(c[key], c["exponent"])


def collateral(c: dict) -> trade.CollateralCustody:
    k = c["collateral"]
    return trade.CollateralCustody(
        decimals=k["decimals"], min_price=oracle(k, "min_price"), max_price=oracle(k, "max_price"), owned=k["owned"],
        locked=k["locked"], max_utilization=k["max_utilization"], max_total_locked_usd=k["max_total_locked_usd"],
        protocol_share_bps=k["protocol_share_bps"], insurance_share_bps=k["insurance_share_bps"],
        staker_share_bps=k["staker_share_bps"], optimal_utilization=k["optimal_utilization"])


def skew_params(c: dict) -> skew.SkewParams:
    return skew.SkewParams(**c["params"])


def market(c: dict) -> trade.Market:
    m = c["market"]
    k = m.get("skew")
    market_skew = trade.MarketSkew() if k is None else trade.MarketSkew(skew_params(k), k["net_usd"], k["aum_usd"])
    return trade.Market(**{f.name: m[f.name] for f in dataclasses.fields(trade.Market) if f.name != "skew"},
                        skew=market_skew)


def position(c: dict) -> trade.PositionState:
    p = c["position"]
    return trade.PositionState(side(p), p["quantity"], p["size_usd"], p["collateral_amount"], p["locked_amount"])


def health_inputs(c: dict) -> pnl.HealthInputs:
    return pnl.HealthInputs(side(c), c["quantity"], c["size_usd"], c["collateral_usd"], c["max_profit_usd"],
                            c["close_fee_usd"], c["interest_usd"], c["max_leverage_bps"])


def order_kind(c: dict) -> orders.OrderKind:
    return orders.OrderKind(c["kind"])


def custody_valuation(k: dict) -> liquidity.CustodyValuation:
    trading = liquidity.TradingValuation(**{f.name: int(k[f.name])
                                            for f in dataclasses.fields(liquidity.TradingValuation) if f.name in k})
    return liquidity.CustodyValuation(k["owned"], k["decimals"], oracle(k, "min_price"), oracle(k, "max_price"),
                                      trading)


# ---- one runner per section (programs/perp_pool/tests/perps_vectors/ `run`) ----------------------


def _health(c: dict) -> dict:
    inputs = health_inputs(c)
    equity = pnl.equity_usd(inputs, c["exit_price"])
    return {"equity_usd": equity, "liquidatable": pnl.is_liquidatable(inputs, c["exit_price"]),
            "leverage_bps": pnl.leverage_bps(c["size_usd"], equity)}


def _aum(c: dict) -> dict:
    vals = [custody_valuation(k) for k in c["custodies"]]
    return {"aum_min_usd": liquidity.assets_under_management_usd(vals, liquidity.AumMode.MIN),
            "aum_max_usd": liquidity.assets_under_management_usd(vals, liquidity.AumMode.MAX)}


def _exposure_book(c: dict) -> dict:
    cross = exposure.Crossing(c["crossing"])
    book = exposure.ExposureBook()
    for op in c["ops"]:
        getattr(book, op["op"])(cross, int(op["quantity"]), int(op["usd"]))
    slots = [{"index": i, "lo_id": s.lo_id, "hi_id": s.hi_id, "count": s.count, "quantity": str(s.quantity),
              "usd": str(s.usd)} for i, s in enumerate(book.slots) if s.count > 0]
    return {"slots": slots, "excess_usd": [str(book.excess_usd(cross, p)) for p in c["prices"]]}


def _position_health(c: dict) -> dict:
    h = trade.health_inputs(position(c), c["interest_usd"], collateral(c), market(c))
    return {"collateral_usd": h.collateral_usd, "max_profit_usd": h.max_profit_usd, "close_fee_usd": h.close_fee_usd,
            "liquidatable": pnl.is_liquidatable(h, c["exit_price"]),
            "liquidation_price": pnl.liquidation_price(h, c["spread_bps"], backing.TokenBacking(
                c["position"]["collateral_amount"], c["position"]["locked_amount"], c["collateral"]["decimals"])
                if c.get("aliased") else None)}


def _open_fee(c: dict) -> dict:
    args = (c["open_position_bps"], c["utilization_after"], c["optimal_utilization"])
    return {"fee_bps": fees.open_fee_bps(*args), "fee_usd": fees.open_position_fee_usd(c["size_usd"], *args)}


def _ladder(c: dict) -> list[staking.LockTier]:
    return [staking.LockTier(t["duration_days"], t["multiplier_bps"]) for t in c["ladder"]]


def _stake_split(c: dict) -> list[Any]:
    split = staking.RewardSplit()
    out: list[Any] = []
    for routed in c["routed"]:
        try:
            out.append(list(split.take(routed, c["junior_share_bps"])))
        except errors.PerpPoolError as exc:
            out.append({"error": type(exc).__name__})
    return out


STAKE_T0 = 2_800 * staking.WEEK_SECONDS  # the vectors' start: week 2_800


def _stake_sequence(c: dict) -> dict:
    """programs/perp_pool/tests/perps_vectors/staking.rs `sequence`: every lock / unlock / claim updates
    first; a refused step changes nothing."""
    import copy

    ladder = _ladder(c)
    slot_of = c["stakers"]
    now, routed = STAKE_T0, 0
    split = staking.RewardSplit(junior_share_bps=c["junior_share_bps"])
    slots = [staking.TrancheStakes(staking.week_of(STAKE_T0)) for _ in range(2)]
    stakes = [staking.StakePosition() for _ in slot_of]
    paid = [0] * len(slot_of)

    def update() -> staking.Pulled:
        return staking.update_slots(split, slots, routed, split.junior_share_bps, now)

    results: list[dict] = []
    for op in c["ops"]:
        saved = copy.deepcopy((split, slots, stakes, paid))
        try:
            kind, w = op["op"], op.get("who", 0)
            if kind == "route":
                routed += op["amount"]
                result: dict = {}
            elif kind == "warp":
                now += op["seconds"]
                result = {}
            elif kind == "update":
                p = update()
                result = {"new_rewards": list(p.new_rewards), "returned_to_lps": p.returned_to_lps}
            elif kind == "share":
                update()
                split.rebase(split.junior_share_bps)
                split.junior_share_bps = op["bps"]
                result = {}
            elif kind == "lock":
                if op["tier"] >= len(ladder):
                    raise errors.InvalidLockTier()
                update()
                earned = staking.lock(slots[slot_of[w]], stakes[w], op["amount"], op["tier"], ladder[op["tier"]], now)
                result = {"earned": earned}
            elif kind == "unlock":
                update()
                result = {"earned": staking.unlock(slots[slot_of[w]], stakes[w], op["amount"], now)}
            elif kind == "claim":
                update()
                amount = staking.claim(slots[slot_of[w]], stakes[w])
                paid[w] += amount
                result = {"paid": amount}
            else:
                raise AssertionError(f"op {kind}")
        except errors.PerpPoolError as exc:
            split, slots, stakes, paid = saved
            result = {"error": type(exc).__name__}
        results.append(result)

    def big(v: int) -> str:
        return str(v)

    return {
        "results": results,
        "pulled_routed": big(split.pulled_routed),
        "slots": [{"staked_amount": s.staked_amount, "total_weight": big(s.total_weight),
                   "reward_index": big(s.reward_index), "entitled": big(s.entitled),
                   "returned_to_lps": big(s.returned_to_lps), "claimed": big(s.claimed),
                   "locked_amount": s.locked_amount, "locked_end_sum": big(s.locked_end_sum),
                   "last_week": s.last_week} for s in slots],
        "stakes": [{"amount": s.amount, "tier": s.tier, "multiplier_bps": s.multiplier_bps, "lock_end": s.lock_end,
                    "weight": big(s.weight), "boost_weight": big(s.boost_weight),
                    "index_snapshot": big(s.index_snapshot), "earned": s.earned} for s in stakes],
        "paid": paid,
    }
def _terms(c: dict) -> tranche.SeniorTerms:
    return tranche.SeniorTerms(int(c["index"]), c["index_time"], c["rate_bps"])


def _navs_json(n: tranche.TrancheNavs) -> dict:
    return {"junior_usd": str(n.junior_usd), "senior_usd": str(n.senior_usd)}


def _skew(c: dict) -> Any:
    """The `skew` section: each case names its math/skew.rs function in `fn`."""
    p, aum = skew_params(c), c["aum_usd"]
    fn = c["fn"]
    if fn == "skew_open_fee":
        return skew.skew_open_fee(side(c), c["size_usd"], c["fee_bps"], c["net_usd"], aum, p)
    if fn == "borrow_premium_rate":
        return skew.borrow_premium_rate(side(c), c["net_usd"], aum, p)
    if fn == "check_net_exposure":
        skew.check_net_exposure(c["net_before"], c["net_after"], aum, p)
        return True
    if fn == "headroom_usd":
        return str(skew.headroom_usd(side(c), c["net_usd"], aum, p))
    if fn == "params_valid":
        return skew.skew_params_valid(p)
    raise AssertionError(f"unknown skew fn {fn}")


def _tranche(c: dict) -> Any:
    """The `tranche` section: each case names its math/tranche.rs function in `fn`; u128 values
    are decimal strings, `mode` min/max, `priced` junior/senior."""
    fn = c["fn"]
    if fn == "senior_index":
        return str(tranche.senior_index(_terms(c), c["now"], Rounding(c["rounding"])))
    if fn == "senior_target_usd":
        return str(tranche.senior_target_usd(c["supply"], int(c["index"]), Rounding(c["rounding"])))
    if fn == "split_navs":
        return _navs_json(tranche.split_navs(int(c["aum_usd"]), int(c["senior_target_usd"])))
    priced, max_mode = tranche.Tranche(c.get("priced", "junior")), c.get("mode") == "max"
    if fn == "tranche_navs":
        return _navs_json(tranche.tranche_navs(int(c["aum_usd"]), _terms(c), c["senior_supply"], c["now"], priced,
                                               max_mode))
    if fn == "tranche_price":
        navs = tranche.TrancheNavs(int(c["junior_usd"]), int(c["senior_usd"]))
        nav, supply = tranche.tranche_price(navs, _terms(c), c["supply"], c["now"], priced, max_mode)
        return {"nav_usd": str(nav), "supply": supply}
    if fn == "coverage_holds":
        return tranche.coverage_holds(int(c["senior_usd"]), int(c["junior_usd"]), c["max_ratio_bps"])
    if fn == "stress":
        out = tranche.stress(int(c["aum_usd"]), int(c["senior_target_usd"]), int(c["insurance_usd"]),
                             int(c["trader_profit_usd"]), int(c["bad_debt_usd"]))
        return {"insurance_draw_usd": str(out.insurance_draw_usd), "insurance_after_usd": str(out.insurance_after_usd),
                "junior_loss_usd": str(out.junior_loss_usd), "senior_loss_usd": str(out.senior_loss_usd),
                "navs_after": _navs_json(out.navs_after)}
    raise AssertionError(f"unknown tranche fn {fn}")


def _weight_params(c: dict) -> weights.WeightParams:
    p = c["params"]
    return weights.WeightParams(p["target_bps"], p["min_bps"], p["max_bps"], p["tax_bps"], p["swap_bps"])


def _valuations(c: dict) -> list[liquidity.CustodyValuation]:
    return [liquidity.CustodyValuation(v["owned"], v["decimals"], oracle(v, "min_price"), oracle(v, "max_price"))
            for v in c["valuations"]]


def _leg(c: dict) -> weights.SwapLeg:
    return weights.SwapLeg(c["index"], _weight_params(c), c["owned"], c.get("locked", 0), c.get("max_utilization", 0))


def _weights(c: dict) -> Any:
    """The `weights` section: each case names its math/weights.rs function in `fn`; u128/i128 values
    are decimal strings, a weight ppb or null."""
    fn = c["fn"]
    move = weights.WeightMove(c.get("before"), c.get("after"))
    if fn == "owned_values_usd":
        return [str(v) for v in weights.owned_values_usd(_valuations(c))]
    if fn == "weight_ppb":
        return weights.weight_ppb(int(c["value_usd"]), int(c["total_usd"]))
    if fn == "weight_fee_bps":
        return weights.weight_fee_bps(_weight_params(c), c["base_bps"], move)
    if fn == "check_weight_bounds":
        return weights.check_weight_bounds(_weight_params(c), move)
    if fn == "liquidity_fee_bps":
        return weights.liquidity_fee_bps(_valuations(c), c["index"], c["owned_after"], _weight_params(c), c["base_bps"],
                                         weights.LiquidityMove(c["operation"]))
    if fn == "tokens_to_quantity":
        return str(weights.tokens_to_quantity(c["amount"], c["decimals"]))
    if fn == "net_exposure_quantity":
        return str(weights.net_exposure_quantity(c["owned"], c["decimals"], int(c["long_quantity"]),
                                                 int(c["short_quantity"])))
    if fn == "swap_gross_out":
        in_usd, gross = weights.swap_gross_out(c["amount_in"], c["in_decimals"], oracle(c, "in_min_price"),
                                               c["out_decimals"], oracle(c, "out_max_price"))
        return {"in_usd": in_usd, "gross_out": gross}
    if fn == "compute_swap":
        return weights.compute_swap(c["in_usd"], c["gross_out"], c["fee_bps"], c["protocol_share_bps"],
                                    c["available_amount"])
    if fn == "quote_swap":
        return weights.quote_swap(_valuations(c), _leg(c["receiving"]), _leg(c["dispensing"]), c["amount_in"],
                                  c["protocol_share_bps"])
    raise AssertionError(f"unknown weights fn {fn}")


RUNNERS: dict[str, Callable[[dict], Any]] = {
    "trade_prices": lambda c: pricing.trade_prices(oracle(c, "spot"), oracle(c, "ema"), c["use_ema"]),
    "entry_price": lambda c: pricing.entry_price(side(c), pricing.TradePrices(c["lo"], c["hi"]), c["spread_bps"]),
    "exit_price": lambda c: pricing.exit_price(side(c), pricing.TradePrices(c["lo"], c["hi"]), c["spread_bps"]),
    "utilization": lambda c: borrow.utilization(c["locked"], c["owned"]),
    "borrow_rate": lambda c: borrow.borrow_rate(c["utilization"], c["base_rate"], c["slope1"], c["slope2"],
                                                c["optimal_utilization"]),
    "accrue_interest": lambda c: borrow.accrued_cumulative_interest(c["cumulative_interest"], c["current_rate"],
                                                                    c["last_update"], c["now"]),
    "position_interest": lambda c: borrow.position_interest_usd(c["cumulative_interest"], c["snapshot"],
                                                                c["size_usd"]),
    "aggregate_interest": lambda c: borrow.aggregate_interest_usd(c["cumulative_interest"], c["size_usd"],
                                                                  c["interest_weighted"], Rounding(c["rounding"])),
    "open_fee": _open_fee,
    "bps_fee": lambda c: fees.bps_fee(c["amount"], c["bps"]),
    "fee_split": lambda c: fees.split_fee(c["fee"], c["protocol_share_bps"], c["insurance_share_bps"],
                                          c["staker_share_bps"]),
    "quantity": lambda c: pnl.entry_quantity(side(c), c["size_usd"], c["price"]),
    "quantity_value": lambda c: pnl.quantity_value_usd(c["quantity"], c["price"], Rounding(c["rounding"])),
    "average_entry_price": lambda c: pnl.average_entry_price(side(c), c["size_usd"], c["quantity"]),
    "pnl": lambda c: pnl.capped_pnl(side(c), c["quantity"], c["exit_price"], c["size_usd"], c["max_profit_usd"]),
    "health": _health,
    "liquidation_price": lambda c: pnl.liquidation_price(health_inputs(c), c["spread_bps"]),
    "aggregate_pnl": lambda c: pnl.aggregate_pnl_usd(side(c), c["size_usd"], c["total_quantity"],
                                                     c["collateral_usd"], c["price"], c["max_profit_usd"],
                                                     Rounding(c["rounding"]), int(c.get("profit_above_cap_usd", 0)),
                                                     int(c.get("bad_debt_usd", 0))),
    "exposure_book": _exposure_book,
    "aum": _aum,
    "open_position": lambda c: trade.compute_open_position(side(c), c["size_usd"], c["entry_price"], c["exit_price"],
                                                           c["collateral_in"], collateral(c), market(c)),
    "increase_position": lambda c: trade.compute_increase_position(
        position(c), c["size_delta_usd"], c["collateral_in"], c["entry_price"], c["exit_price"], c["interest_usd"],
        collateral(c), market(c)),
    "decrease_position": lambda c: trade.compute_decrease_position(
        position(c), c["size_delta_usd"], c["exit_price"], c["interest_usd"], c["insurance_fund"], collateral(c),
        market(c)),
    "liquidation": lambda c: trade.compute_liquidation(position(c), c["exit_price"], c["interest_usd"],
                                                       c["insurance_fund"], collateral(c), market(c)),
    "waterfall": lambda c: trade.waterfall(c["pot"], c["lp_owed"], c["fee"], c["reward"]),
    "within_initial_leverage": lambda c: trade.within_initial_leverage(position(c), c["exit_price"], c["interest_usd"],
                                                                       collateral(c), market(c)),
    "remove_collateral": lambda c: trade.compute_remove_collateral(position(c), c["collateral_usd"], c["exit_price"],
                                                                   c["interest_usd"], collateral(c), market(c)),
    "position_health": _position_health,
    "order_watched_price": lambda c: orders.watched_price(order_kind(c), side(c), pricing.TradePrices(c["lo"], c["hi"]),
                                                          c["spread_bps"]),
    "order_trigger_reached": lambda c: orders.trigger_reached(order_kind(c), side(c), c["price"], c["trigger"]),
    "order_placement": lambda c: orders.check_trigger_placement(order_kind(c), side(c), c["price"], c["trigger"]),
    "stop_loss_safe": lambda c: orders.check_stop_loss_safe(health_inputs(c), c["trigger"]),
    "stake_lock_end": lambda c: staking.lock_end(c["now"], c["duration_days"]),
    "stake_weight": lambda c: str(staking.lock_weight(c["amount"], c["multiplier_bps"])),
    "stake_split": _stake_split,
    "stake_ladder": lambda c: staking.validate_stake_config(_ladder(c), c["junior_share_bps"]),
    "stake_sequence": _stake_sequence,
    "trigger_close_size": lambda c: dict(zip(("size_usd", "full"),
                                             orders.trigger_close_size(c["order_size_usd"], c["position_size_usd"]),
                                             strict=True)),
    "tranche": _tranche,
    "weights": _weights,
    "skew": _skew,
}


def test_every_vector_section_is_checked() -> None:
    unchecked = sorted(set(SECTIONS) - set(RUNNERS))
    assert not unchecked, f"tests/vectors/perps.json sections no pytest checks: {unchecked}"
    gone = sorted(set(RUNNERS) - set(SECTIONS))
    assert not gone, f"runners for sections no longer in tests/vectors/perps.json: {gone}"
    assert all(VECTORS[s] for s in SECTIONS), "every section has cases"


@pytest.mark.parametrize("section,case", [pytest.param(s, c, id=f"{s}-{c['name']}") for s in SECTIONS
                                          for c in VECTORS[s]])
def test_vector(section: str, case: dict) -> None:
    assert ("expected" in case) != ("error" in case), "a case has exactly one of expected / error"
    run = RUNNERS.get(section)
    if run is None:
        pytest.fail(f"no runner for section {section}")
    if "error" in case:
        with pytest.raises(errors.error_class(case["error"])):
            run(case)
        return
    assert jsonable(run(case)) == case["expected"]


# ---- the Python results mirror the program's structs --------------------------------------------

MATH = ROOT / "programs" / "perp_pool" / "src" / "math"


def rust_struct_fields(path: Path, name: str) -> list[str]:
    src = path.read_text()
    body = re.search(r"pub struct " + name + r"\s*\{(.*?)\n\}", src, re.S)
    assert body, f"{name} not found in {path}"
    return re.findall(r"^\s*pub (\w+):", body.group(1), re.M)


MIRRORED = [
    ("trade.rs", "PositionState", trade.PositionState),
    ("trade/open.rs", "OpenPositionAmounts", trade.OpenPositionAmounts),
    ("trade/open.rs", "IncreasePositionAmounts", trade.IncreasePositionAmounts),
    ("trade/settle.rs", "Waterfall", trade.Waterfall),
    ("trade/settle.rs", "SettlementAmounts", trade.SettlementAmounts),
    ("trade/collateral.rs", "RemoveCollateralAmounts", trade.RemoveCollateralAmounts),
    ("pnl.rs", "ProfitAndLoss", pnl.ProfitAndLoss),
    ("pnl.rs", "HealthInputs", pnl.HealthInputs),
    ("fees.rs", "FeeSplit", fees.FeeSplit),
    ("liquidity.rs", "TradingValuation", liquidity.TradingValuation),
    ("liquidity.rs", "CustodyValuation", liquidity.CustodyValuation),
    ("liquidity.rs", "AddLiquidityAmounts", liquidity.AddLiquidityAmounts),
    ("liquidity.rs", "RemoveLiquidityAmounts", liquidity.RemoveLiquidityAmounts),
    ("staking.rs", "StakePosition", staking.StakePosition),
    ("staking.rs", "RewardSplit", staking.RewardSplit),
    ("staking.rs", "Pulled", staking.Pulled),
    ("tranche.rs", "SeniorTerms", tranche.SeniorTerms),
    ("tranche.rs", "TrancheNavs", tranche.TrancheNavs),
    ("tranche.rs", "StressOutcome", tranche.StressOutcome),
    ("../types.rs", "WeightParams", weights.WeightParams),
    ("weights.rs", "WeightMove", weights.WeightMove),
    ("weights.rs", "SwapAmounts", weights.SwapAmounts),
    ("weights.rs", "SwapLeg", weights.SwapLeg),
    ("weights.rs", "SwapQuote", weights.SwapQuote),
    ("skew.rs", "SkewFee", skew.SkewFee),
    ("skew.rs", "PremiumIndex", skew.PremiumIndex),
    ("trade.rs", "MarketSkew", trade.MarketSkew),
]


@pytest.mark.parametrize("file,name,cls", MIRRORED, ids=[m[1] for m in MIRRORED])
def test_python_dataclass_mirrors_the_rust_struct(file: str, name: str, cls: type) -> None:
    assert [f.name for f in dataclasses.fields(cls)] == rust_struct_fields(MATH / file, name)


def test_trade_inputs_carry_every_custody_field_trade_rs_reads() -> None:
    """CollateralCustody / Market are flat: each `pricing.x`, `fees.x`, `borrow_rate.x` trade.rs reads is a field."""
    files = ("trade.rs", "trade/open.rs", "trade/settle.rs", "trade/collateral.rs")
    src = "".join((MATH / f).read_text() for f in files)
    read = set(re.findall(r"(?:pricing|fees|borrow_rate)\s*\.\s*(\w+)", src))
    have = {f.name for f in dataclasses.fields(trade.CollateralCustody)} | \
        {f.name for f in dataclasses.fields(trade.Market)}
    assert read and read <= have, sorted(read - have)


# ---- properties ----------------------------------------------------------------------------------

sizes = st.integers(1, 10**13)
prices = st.integers(PRICE_POWER // 10**4, PRICE_POWER * 10**6)  # 10^-4 .. 10^6 USD, PRICE_DECIMALS
sides = st.sampled_from(list(Side))


@settings(max_examples=300, deadline=None)
@given(side_=sides, size=sizes, entry=prices)
def test_entry_quantity_never_gains_at_the_entry_price(side_: Side, size: int, entry: int) -> None:
    q = pnl.entry_quantity(side_, size, entry)
    got = pnl.position_pnl(side_, q, entry, size)
    assert got.profit_usd == 0
    assert got.loss_usd <= 1  # rounding: at most one micro-USD against the trader


@settings(max_examples=300, deadline=None)
@given(size=sizes, entry=prices, exit_=prices)
def test_long_and_short_pnl_are_near_mirror_images(size: int, entry: int, exit_: int) -> None:
    long = pnl.position_pnl(Side.LONG, pnl.entry_quantity(Side.LONG, size, entry), exit_, size)
    short = pnl.position_pnl(Side.SHORT, pnl.entry_quantity(Side.SHORT, size, entry), exit_, size)
    assert min(long.profit_usd, long.loss_usd) == 0 and min(short.profit_usd, short.loss_usd) == 0
    # Both are rounded against their trader, so together they never gain.
    assert long.profit_usd - long.loss_usd + short.profit_usd - short.loss_usd <= 0


@settings(max_examples=300, deadline=None)
@given(side_=sides, size=sizes, entry=prices)
def test_average_entry_price_is_never_better_than_the_entry(side_: Side, size: int, entry: int) -> None:
    q = pnl.entry_quantity(side_, size, entry)
    assume(q > 0)
    avg = pnl.average_entry_price(side_, size, q)
    assert avg >= entry if side_ is Side.LONG else avg <= entry


@settings(max_examples=300, deadline=None)
@given(rate=st.integers(0, RATE_POWER), start=st.integers(0, 2**40), cuts=st.lists(st.integers(0, 10**6), max_size=8),
       size=sizes)
def test_interest_does_not_depend_on_the_accrual_schedule(rate: int, start: int, cuts: list[int], size: int) -> None:
    end = start + sum(cuts)
    once = borrow.accrued_cumulative_interest(0, rate, start, end)
    index, t = 0, start
    for dt in cuts:
        index = borrow.accrued_cumulative_interest(index, rate, t, t + dt)
        t += dt
    assert index == once == rate * (end - start)
    assert borrow.position_interest_usd(index, 0, size) == \
        -(-rate * (end - start) * size // (RATE_POWER * HOUR_SECONDS))


@settings(max_examples=200, deadline=None)
@given(side_=sides, size=st.integers(10**6, 10**12), entry=prices, pieces=st.lists(st.integers(1, 9_999), max_size=4),
       exit_move=st.integers(-2_000, 2_000))
def test_partial_decreases_then_close_pay_no_more_than_one_close(side_: Side, size: int, entry: int,
                                                                 pieces: list[int], exit_move: int) -> None:
    usdc = OraclePrice(100_000_000, -8)
    coll = trade.CollateralCustody(6, usdc, usdc, 10**16, 0, protocol_share_bps=2_000, insurance_share_bps=1_000,
                                   optimal_utilization=800_000_000)
    mkt = trade.Market(0, 1_000_000, 10**9, 10_000, 0, 10, 10, 50, 20)
    exit_ = max(1, entry + entry * exit_move // BPS_POWER)
    q = pnl.entry_quantity(side_, size, entry)
    assume(q > 0)
    start = trade.PositionState(side_, q, size, size, size)  # 1x collateral, locked = size
    one_close = trade.compute_decrease_position(start, size, exit_, 0, 0, coll, mkt).amount_out
    total, p = 0, start
    for bps in pieces:
        delta = p.size_usd * bps // BPS_POWER
        if delta == 0:
            continue
        try:
            s = trade.compute_decrease_position(p, delta, exit_, 0, 0, coll, mkt)
        except (errors.NoExposureChange, errors.MaxLeverageExceeded, errors.InsufficientCollateral):
            continue
        total += s.amount_out
        p = trade.PositionState(side_, s.quantity, s.size_usd, s.collateral_amount, s.locked_amount)
    total += trade.compute_decrease_position(p, p.size_usd, exit_, 0, 0, coll, mkt).amount_out
    # Each piece pays its own close fee (rounded up) and rounds its quantity against the trader.
    assert total <= one_close


@settings(max_examples=300, deadline=None)
@given(pot=st.integers(0, U64_MAX), lp=st.integers(0, U64_MAX), reward=st.integers(0, U64_MAX),
       fee=st.integers(0, U64_MAX))
def test_waterfall_pays_the_lps_first_and_conserves_the_pot(pot: int, lp: int, reward: int, fee: int) -> None:
    w = trade.waterfall(pot, lp, fee, reward)
    assert w.lp_paid + w.fee_paid + w.reward_paid + w.rest == pot
    assert w.lp_paid == min(lp, pot)
    assert w.fee_paid == 0 or w.lp_paid == lp
    assert w.reward_paid == 0 or w.fee_paid == fee
    assert w.rest == 0 or w.reward_paid == reward


@settings(max_examples=300, deadline=None)
@given(side_=sides, size=st.integers(10**6, 10**12), entry=prices, lev=st.integers(10_000, 2_000_000),
       exit_move=st.integers(-500, 500), close_bps=st.integers(0, 50), extra_liq_bps=st.integers(0, 30),
       reward_bps=st.integers(0, 50), interest=st.integers(0, 10**8))
def test_self_liquidation_pays_no_more_than_a_close(side_: Side, size: int, entry: int, lev: int, exit_move: int,
                                                    close_bps: int, extra_liq_bps: int, reward_bps: int,
                                                    interest: int) -> None:
    """The fee is paid before the reward and liquidation_bps >= close_position_bps (a valid config),
    so the reward an owner liquidating itself gets is at most what a close pays it."""
    usdc = OraclePrice(100_000_000, -8)
    coll = trade.CollateralCustody(6, usdc, usdc, 10**16, 0, protocol_share_bps=2_000, insurance_share_bps=1_000,
                                   optimal_utilization=800_000_000)
    mkt = trade.Market(0, 500_000, 1_000_000, 10_000, 0, 10, close_bps, close_bps + extra_liq_bps, reward_bps)
    q = pnl.entry_quantity(side_, size, entry)
    assume(q > 0)
    position = trade.PositionState(side_, q, size, max(1, size * BPS_POWER // lev), size)
    exit_ = max(1, entry + entry * exit_move // BPS_POWER)
    try:
        liquidation = trade.compute_liquidation(position, exit_, interest, 0, coll, mkt)
    except errors.PositionHealthy:
        return
    close = trade.compute_decrease_position(position, size, exit_, interest, 0, coll, mkt)
    assert liquidation.paid.reward_paid <= close.amount_out


@settings(max_examples=200, deadline=None)
@given(side_=sides, size=st.integers(10**6, 10**12), lev=st.integers(11_000, 500_000),
       entry=st.integers(PRICE_POWER, PRICE_POWER * 10**5),
       spread=st.integers(0, 100))
def test_liquidation_price_is_the_boundary(side_: Side, size: int, lev: int, entry: int, spread: int) -> None:
    collateral_usd = size * 10_000 // lev
    inputs = pnl.HealthInputs(side_, pnl.entry_quantity(side_, size, entry), size, collateral_usd, size,
                              fees.bps_fee(size, 10), 0, 1_000_000)
    price = pnl.liquidation_price(inputs, spread)
    at = pricing.exit_price_at(side_, price, spread)
    past = pricing.exit_price_at(side_, price - 1 if side_ is Side.LONG else price + 1, spread)
    if 0 < price < pnl.LIQUIDATION_PRICE_SEARCH_MAX:
        assert not pnl.is_liquidatable(inputs, at)
        assert pnl.is_liquidatable(inputs, past)


def test_position_valuation_is_the_programs_composition() -> None:
    """math/health.py = Position::valuation: interest at the index accrued to now, exit price with the
    side's spread, health inputs from the collateral custody's min/max price and the market."""
    from types import SimpleNamespace as NS

    from perp_pool.math import health

    market_custody = NS(pricing=NS(trade_spread_long_bps=10, trade_spread_short_bps=25, min_initial_leverage_bps=10_000,
                                   max_initial_leverage_bps=500_000, max_leverage_bps=1_000_000,
                                   max_payoff_mult_bps=10_000, max_position_size_usd=0),
                        fees=NS(open_position_bps=10, close_position_bps=10, liquidation_bps=50,
                                liquidator_reward_bps=20))
    collateral_custody = NS(decimals=6, assets=NS(owned=10**13, locked=10**9),
                            pricing=NS(max_utilization=0, max_total_locked_usd=0),
                            fees=NS(protocol_share_bps=2_000, insurance_share_bps=1_000, staker_share_bps=1_500),
                            borrow_rate=NS(optimal_utilization=800_000_000),
                            borrow_rate_state=NS(cumulative_interest=7 * 10**12, current_rate=80_000,
                                                 last_update=1_000))
    lo, hi = OraclePrice(99_950_000, -8), OraclePrice(100_010_000, -8)
    prices = pricing.TradePrices(149 * PRICE_POWER, 151 * PRICE_POWER)
    for side_, spread in ((Side.LONG, 10), (Side.SHORT, 25)):
        p = trade.PositionState(side_, pnl.entry_quantity(side_, 1_500 * 10**6, 150 * PRICE_POWER), 1_500 * 10**6,
                                99 * 10**6, 1_500 * 10**6)
        v = health.position_valuation(p, 10**12, market_custody, prices, collateral_custody, lo, hi, now=4_600)
        index = 7 * 10**12 + 80_000 * 3_600
        assert v.spread_bps == spread
        assert v.interest_usd == borrow.position_interest_usd(index, 10**12, p.size_usd)
        assert v.exit_price == pricing.exit_price(side_, prices, spread)
        coll = trade.CollateralCustody.from_custody(collateral_custody, lo, hi)
        assert v.health == trade.health_inputs(p, v.interest_usd, coll, trade.Market.from_custody(market_custody))
        h = health.assess(v, with_liquidation_price=True)
        equity = pnl.equity_usd(v.health, v.exit_price)
        got = pnl.capped_pnl(side_, p.quantity, v.exit_price, p.size_usd, v.health.max_profit_usd)
        assert h == health.Health(pnl.is_liquidatable(v.health, v.exit_price), equity,
                                  pnl.leverage_bps(p.size_usd, equity), pnl.liquidation_price(v.health, spread),
                                  v.exit_price, got.profit_usd, got.loss_usd)


@given(q=st.integers(0, 2**128 - 1), whole=st.integers(1, U64_MAX), frac=st.integers(0, 10_000),
       rounding=st.sampled_from(list(Rounding)))
def test_proportional_quantity_is_exact_beyond_the_u128_product(q: int, whole: int, frac: int,
                                                                rounding: Rounding) -> None:
    """The wide `quantity * part / whole` (math/trade.rs `proportional_quantity`) equals the exact
    arbitrary-precision quotient, rounded as asked, even where `quantity * part` exceeds u128."""
    part = whole * frac // 10_000
    exact_floor, remainder = divmod(q * part, whole)
    expected = exact_floor + (1 if rounding is Rounding.CEIL and remainder else 0)
    if expected >= 2**128:
        with pytest.raises(errors.MathOverflow):
            trade.proportional_quantity(q, part, whole, rounding)
    else:
        assert trade.proportional_quantity(q, part, whole, rounding) == expected


# Findings A and B of docs/design.md ("Exposure books"): the AUM must be a bound of what the pool
# owes position by position, whatever the mix of positions on a side. Each position is clamped on
# its own to [-collateral, cap]; the valuation sees only the side aggregates and the exposure books.
# A position: (side is long, size_usd, leverage, entry price in USD, payoff cap in BPS of size).
_position = st.tuples(st.booleans(), st.integers(10**6, 10**12), st.integers(1, 50), st.integers(1_000, 200_000),
                      st.sampled_from([2_500, 10_000, 30_000]))


def _valuation(positions: list[tuple[bool, int, int, int, int]], price_usd: int) -> tuple[int, int, int]:
    """(AUM max, AUM min, exact pool claim) of the trading part of one custody at `price_usd`,
    the positions registered in the books as the program registers them (no interest)."""
    price = price_usd * PRICE_POWER
    one = OraclePrice(price, -9)
    books = {(side, t): exposure.ExposureBook() for side in Side for t in exposure.Threshold}
    agg = {side: [0, 0, 0, 0] for side in Side}  # size, quantity, collateral, registered caps
    owed = 0
    for is_long, size, lev, entry, cap_bps in positions:
        side = Side.LONG if is_long else Side.SHORT
        q = pnl.entry_quantity(side, size, entry * PRICE_POWER)
        if q == 0:
            continue  # the program refuses such a trade (NoExposureChange)
        coll, cap = size // lev, size * cap_bps // BPS_POWER
        cap_usd, bankruptcy_usd = exposure.position_thresholds(side, size, coll, cap, 0)
        books[side, exposure.Threshold.CAP].add(exposure.crossing(side, exposure.Threshold.CAP), q, cap_usd)
        books[side, exposure.Threshold.BANKRUPTCY].add(exposure.crossing(side, exposure.Threshold.BANKRUPTCY), q,
                                                       bankruptcy_usd)
        agg[side] = [agg[side][0] + size, agg[side][1] + q, agg[side][2] + coll, agg[side][3] + cap]
        pnl_i = (pnl.quantity_value_usd(q, price, Rounding.FLOOR) - size if is_long
                 else size - pnl.quantity_value_usd(q, price, Rounding.CEIL))
        owed += min(max(pnl_i, -coll), cap)

    def bound(side: Side, t: exposure.Threshold, mode: liquidity.AumMode) -> int:
        p, _ = liquidity.side_price(side, mode, one, one)
        return books[side, t].excess_usd(exposure.crossing(side, t), p)

    # The side clamp is the sum of the caps the positions registered (PositionStats.max_profit_usd),
    # whatever multiplier each position was opened under.
    trading = liquidity.TradingValuation(
        long_size_usd=agg[Side.LONG][0], long_quantity=agg[Side.LONG][1], long_collateral_usd=agg[Side.LONG][2],
        short_size_usd=agg[Side.SHORT][0], short_quantity=agg[Side.SHORT][1], short_collateral_usd=agg[Side.SHORT][2],
        long_max_profit_usd=agg[Side.LONG][3], short_max_profit_usd=agg[Side.SHORT][3],
        long_profit_above_cap_usd=bound(Side.LONG, exposure.Threshold.CAP, liquidity.AumMode.MAX),
        long_bad_debt_usd=bound(Side.LONG, exposure.Threshold.BANKRUPTCY, liquidity.AumMode.MIN),
        short_profit_above_cap_usd=bound(Side.SHORT, exposure.Threshold.CAP, liquidity.AumMode.MAX),
        short_bad_debt_usd=bound(Side.SHORT, exposure.Threshold.BANKRUPTCY, liquidity.AumMode.MIN))
    aum = {mode: trading.value_usd(one, one, mode) for mode in liquidity.AumMode}
    return aum[liquidity.AumMode.MAX], aum[liquidity.AumMode.MIN], -owed


@given(positions=st.lists(_position, min_size=1, max_size=24), price=st.integers(1_000, 400_000))
@settings(max_examples=400)
def test_aum_max_is_an_upper_bound_of_the_pool_claim(positions: list[tuple[bool, int, int, int, int]],
                                                     price: int) -> None:
    """Finding A: a position above its cap must not deflate the deposit valuation, however many
    same-side positions widen the side's clamp."""
    aum_max, _, claim = _valuation(positions, price)
    assert aum_max >= claim - len(positions)  # rounding slack of one micro-USD per position


@given(positions=st.lists(_position, min_size=1, max_size=24), price=st.integers(1_000, 400_000))
@settings(max_examples=400)
def test_aum_min_is_a_lower_bound_of_the_pool_claim(positions: list[tuple[bool, int, int, int, int]],
                                                    price: int) -> None:
    """Finding B: a position's bad debt must not inflate the redemption valuation."""
    _, aum_min, claim = _valuation(positions, price)
    assert aum_min <= claim + len(positions)


def test_finding_a_example_no_longer_pays_the_depositor() -> None:
    """The reviewer's example: a 100 k long at 50 k with BTC at 125 k (profit 150 k, cap 100 k)
    and a fresh 100 k long at 125 k widening the side: AUM max counts the first at its cap."""
    aum_max, _, claim = _valuation([(True, 100_000 * 10**6, 10, 50_000, 10_000),
                                    (True, 100_000 * 10**6, 10, 125_000, 10_000)], 125_000)
    assert claim == -100_000 * 10**6  # the first at its cap, the second flat
    assert claim - 2 <= aum_max <= claim + 2 * 10**6


@given(size=st.integers(10**6, 10**12), locked_bps=st.integers(1, 20_000), move_bps=st.integers(0, 40_000),
       reward_bps=st.integers(0, 10_000), dip_bps=st.integers(0, 2_000))
def test_close_at_cap_never_below_collateral_and_ignores_collateral_dips(size: int, locked_bps: int, move_bps: int,
                                                                          reward_bps: int, dip_bps: int) -> None:
    """A forced close at cap: (1) the keeper's reward never exceeds the profit paid, so the owner
    gets at least what its collateral less the fees and interest would pay; (2) the cap is valued
    at the collateral's MAX price: a min price dipping below par never makes a position closable
    that is not capped at par."""
    par = OraclePrice(100_000_000, -8)
    dip = OraclePrice(100_000_000 * (BPS_POWER - dip_bps) // BPS_POWER, -8)
    at_par = trade.CollateralCustody(6, par, par, 10**16, 0, protocol_share_bps=2_000, insurance_share_bps=1_000,
                                     optimal_utilization=800_000_000)
    dipped = dataclasses.replace(at_par, min_price=dip)
    mkt = trade.Market(0, 500_000, 1_000_000, 10_000, 0, 10, 10, 50, reward_bps)
    entry = 150 * PRICE_POWER
    q = pnl.entry_quantity(Side.LONG, size, entry)
    position = trade.PositionState(Side.LONG, q, size, size // 10, size * locked_bps // BPS_POWER)
    exit_ = entry + entry * move_bps // BPS_POWER
    assert trade.is_capped(position, exit_, dipped) == trade.is_capped(position, exit_, at_par)
    try:
        forced = trade.compute_close_capped_position(position, exit_, 0, 0, at_par, mkt)
    except errors.PositionNotCapped:
        return
    close = trade.compute_decrease_position(position, size, exit_, 0, 0, at_par, mkt)
    assert forced.paid.reward_paid <= forced.profit_amount
    assert forced.amount_out == close.amount_out - forced.paid.reward_paid
    assert forced.amount_out >= close.amount_out - close.profit_amount
