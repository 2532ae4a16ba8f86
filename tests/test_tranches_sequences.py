"""LP tranches under random sequences on the node (issue 10, "hypothesis sequences keep junior +
senior NAV equal to LP-owned AUM and never move value between tranches").

- Random deposits and redemptions in both tranches by three LPs, trades opened and closed, price
  moves, clock warps and the permissionless calls (update_pool_aum, liquidate, unlock_lp, the
  views): after every step `get_tranche_state` is checked against the accounts
  (tests/tranche_support.checked_state: junior + senior == AUM in min and max mode, the cascade,
  the senior supply == its mint's == the pool's); a deposit or redemption in one tranche never
  lowers the other tranche's NAV per unit by more than the target's rounding (1 unit); any other
  step moves both NAVs the way the AUM moves (never one up and the other down) and their sum by
  exactly the AUM's change.
- The same round-trip trades in two orders on two identical tranched markets end at the same AUM,
  so at the same NAVs: the last redemptions, in one transaction on both markets, pay the same.

How NAVs at two moments are compared: the market has no borrow interest, so its AUM depends only
on the oracle prices and the positions, not on the clock; the senior claim does depend on the
clock (its index), so both NAV pairs are evaluated at ONE instant, the operation's block time,
with the AUM read before and after it.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed

from perp_pool import errors
from perp_pool.client import FeeConfig
from perp_pool.localnet import NodeExtensions
from perp_pool.math.pricing import Side
from tests.helpers import USDC, World, price_usd
from tests.lp_safety_support import (
    ONE_USD,
    assert_vault_accounted,
    close_ix,
    keeper,
    open_ix,
    refresh_prices,
)
from tests.tranche_support import (
    JUNIOR,
    LP,
    NO_FEES,
    SENIOR,
    TMarket,
    book,
    checked_state,
    deposit_ix,
    mint_supply,
    navs_at,
    new_lp,
    redeem_ix,
    tranched_market,
    tx_time,
)

FEES = FeeConfig(open_position_bps=10, close_position_bps=10, liquidation_bps=50, liquidator_reward_bps=20,
                 protocol_share_bps=2_000, insurance_share_bps=1_000, add_liquidity_bps=10, remove_liquidity_bps=10)
SETTINGS = dict(deadline=None, phases=[Phase.generate], print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example, HealthCheck.function_scoped_fixture])
REFUSED = (errors.TransactionFailed, errors.AccountNotFound, ValueError, LookupError)
LP_COUNT, TRADER_COUNT = 3, 2
tranches = st.sampled_from([JUNIOR, SENIOR])
sides = st.sampled_from([Side.LONG, Side.SHORT])
deposits = st.tuples(st.just("deposit"), st.integers(0, LP_COUNT - 1), tranches,
                     st.one_of(st.integers(1, 2_000), st.integers(USDC, 8_000 * USDC)))
redemptions = st.tuples(st.just("redeem"), st.integers(0, LP_COUNT - 1), tranches, st.integers(1, 10_000))
opens = st.tuples(st.just("open"), st.integers(0, TRADER_COUNT - 1), sides, st.integers(50 * USDC, 1_000 * USDC),
                  st.integers(11_000, 200_000))
closes = st.tuples(st.just("close"), st.integers(0, TRADER_COUNT - 1), sides)
operations = st.one_of(
    deposits, deposits, deposits, redemptions, redemptions, redemptions, opens, opens, closes, closes,
    st.tuples(st.just("price"), st.integers(-2_500, 2_500)),
    st.tuples(st.just("warp"), st.integers(1, 30 * 86_400)),
    st.tuples(st.just("update_aum")),
    st.tuples(st.just("liquidate"), st.integers(0, TRADER_COUNT - 1), sides),
    st.tuples(st.just("unlock"), st.integers(0, LP_COUNT - 1), tranches),
    st.tuples(st.just("views")),
)


def per_unit_not_lower(before: tuple[int, int], after: tuple[int, int], slack: int) -> bool:
    """(after.nav + slack) / after.supply >= before.nav / before.supply, exactly: `slack` units of
    the NAV after are rounding of the senior target (floor(supply x index)), not value."""
    (nav0, supply0), (nav1, supply1) = before, after
    if supply0 == 0 or supply1 == 0:
        return True
    return (nav1 + slack) * supply0 >= nav0 * supply1


async def _sequence(url: str, admin, ops: list[tuple], ext: NodeExtensions) -> dict[str, int]:
    connection = AsyncClient(url, commitment=Confirmed, timeout=30)
    world = World(connection, admin)
    t = await tranched_market(world, rate_bps=1_000, ratio_bps=100_000, fees=FEES)
    m = t.m
    lps = [await new_lp(world, t, 60_000 * USDC) for _ in range(LP_COUNT)]
    traders = [await new_lp(world, t, 20_000 * USDC, senior=False) for _ in range(TRADER_COUNT)]
    _, keeper_client, keeper_account = await keeper(world, m)
    await lps[0].junior.client.send([await deposit_ix(t, lps[0].junior, JUNIOR, 20_000 * USDC)])
    await lps[1].senior.client.send([await deposit_ix(t, lps[1].senior, SENIOR, 30_000 * USDC)])
    sol = price_usd(150)
    counts: dict[str, int] = {}
    state, b, _ = await checked_state(world, t)
    for op in ops:
        kind = op[0]
        prior_state, prior = state, b
        result = None
        try:
            if kind in ("deposit", "redeem"):
                lp: LP = lps[op[1]]
                w = lp.of(op[2])
                if kind == "deposit":
                    ix = await deposit_ix(t, w, op[2], op[3])
                else:
                    held = await world.balance(w.lp_account)
                    ix = await redeem_ix(t, w, op[2], held * op[3] // 10_000)
                result = await w.client.send([ix])
            elif kind == "open":
                w = traders[op[1]].junior
                result = await w.client.send([await open_ix(w, m, op[2], op[3], op[3] * op[4] // 10_000)])
            elif kind == "close":
                w = traders[op[1]].junior
                result = await w.client.send([await close_ix(w, m, op[2])])
            elif kind == "price":
                sol = min(max(sol * (10_000 + op[1]) // 10_000, price_usd(30)), price_usd(800))
                await world.set_price(m.sol, price=sol)
            elif kind == "warp":
                ext.warp_clock(op[1])
                await refresh_prices(world, [(m.usdc, ONE_USD), (m.sol, sol)])
            elif kind == "update_aum":
                result = await world.client.update_pool_aum(t.pool)
            elif kind == "liquidate":
                result = await keeper_client.liquidate(m.position(traders[op[1]].junior, op[2]),
                                                       receiving_account=keeper_account)
            elif kind == "unlock":
                w = lps[op[1]].of(op[2])
                result = await world.client.unlock_lp(t.pool, w.lp_account, tranche=op[2])
            elif kind == "views":
                await world.client.get_lp_token_price(t.pool, JUNIOR)
                await world.client.get_lp_token_price(t.pool, SENIOR)
                await world.client.get_assets_under_management(t.pool)
            counts[kind] = counts.get(kind, 0) + 1
        except REFUSED as exc:
            name = f"refused:{kind}:{type(exc).__name__}"
            counts[name] = counts.get(name, 0) + 1
        ext.advance_slots(1)  # the next LP deposit cooldown (0 s) is over
        state, b, _ = await checked_state(world, t, full=False)
        if kind in ("price", "warp") or result is None:
            continue
        # One instant for both sides of the comparison: the operation's own clock.
        at = await tx_time(world, result)
        before = navs_at(prior_state.aum_min_usd, prior, at)
        after = navs_at(state.aum_min_usd, b, at)
        if kind in ("deposit", "redeem"):
            this = op[2]
            other = SENIOR if this is JUNIOR else JUNIOR
            assert b.supply(other) == prior.supply(other)
            # The other tranche: not lower per unit, up to the senior target's rounding (1 unit).
            assert per_unit_not_lower((before.of(other), prior.supply(other)), (after.of(other), b.supply(other)), 1), \
                (op, before, after)
            # The acting tranche's other holders: not lower per unit (the senior's NAV is
            # floor(supply x index): one unit of it is the target's rounding, not value).
            assert per_unit_not_lower((before.of(this), prior.supply(this)), (after.of(this), b.supply(this)),
                                      1 if this is SENIOR else 0), (op, before, after)
        else:
            # Permissionless calls and trades: no LP is issued or burned, and value only moves
            # between the pool and the outside: both NAVs follow the AUM, none gains from the other.
            assert (b.junior_supply, b.senior_supply) == (prior.junior_supply, prior.senior_supply)
            delta = state.aum_min_usd - prior_state.aum_min_usd
            dj, ds = after.junior_usd - before.junior_usd, after.senior_usd - before.senior_usd
            assert dj + ds == delta, (op, before, after)
            assert (dj >= 0 and ds >= 0) if delta >= 0 else (dj <= 0 and ds <= 0), (op, before, after)
            if kind in ("update_aum", "unlock"):
                assert delta == 0, op  # no interest: nothing to book
    # Conservation: the vault is its buckets; the senior supply is its mint's and the pool's.
    await assert_vault_accounted(world, m.usdc)
    assert (await book(world, t)).senior_supply == await mint_supply(world, t.mint(world, SENIOR))
    await connection.close()
    return counts


def liquidity_heavy(ops: list[tuple]) -> bool:
    return len({o[0] for o in ops}) >= 6 and sum(o[0] in ("deposit", "redeem") for o in ops) >= 8


@settings(max_examples=5, **SETTINGS)
@given(ops=st.lists(operations, min_size=30, max_size=40).filter(liquidity_heavy))
def test_tranche_navs_follow_the_aum_and_no_call_moves_value_between_tranches(rpc_url: str, world: World,
                                                                                 ops: list[tuple]) -> None:
    ext = NodeExtensions(rpc_url)
    if not ext.available():
        pytest.skip("needs the local node's clock warp and slot control")
    # A third LP in both tranches from the start, so redemptions of either have something to take.
    ops = [("deposit", 2, JUNIOR, 5_000 * USDC), ("deposit", 2, SENIOR, 5_000 * USDC), *ops]
    counts = asyncio.run(_sequence(rpc_url, world.admin, ops, ext))
    print("tranche sequence:", counts)
    assert counts.get("deposit", 0) + counts.get("redeem", 0) > 0, counts


# ---- the same trades in another order ------------------------------------------------------------

# A round trip: (side, collateral, size, exit price in whole USD) from 150 USD and back. At most
# 600 USD of profit each, so every open fits the pool in any order (AUM >= 12,000 - 5 x 600).
round_trips = st.tuples(sides, st.integers(300 * USDC, 1_000 * USDC), st.integers(1_000 * USDC, 3_000 * USDC),
                        st.integers(120, 180))


async def _two_orders(url: str, admin, trips: list[tuple], order: list[int]) -> None:
    connection = AsyncClient(url, commitment=Confirmed, timeout=30)
    world = World(connection, admin)
    markets: list[TMarket] = []
    for _ in range(2):
        markets.append(await tranched_market(world, rate_bps=None, fees=NO_FEES))
    # Both senior tranches start in one transaction (the same index time), both pools get the
    # same deposits in one transaction (the same clock): identical books.
    c = world.client
    await c.send([c.build_add_senior_tranche_ix(t.pool, rate_bps=2_000, max_senior_junior_ratio_bps=200_000,
                                                  senior_deposit_ratio_bps=200_000)
                  for t in markets])
    lps: list[LP] = []
    for t in markets:
        lps.append(await new_lp(world, t, 40_000 * USDC))
    await lps[0].junior.client.send([await deposit_ix(t, x.junior, JUNIOR, 3_000 * USDC)
                                     for t, x in zip(markets, lps, strict=True)], [lps[1].junior.keypair])
    await lps[0].senior.client.send([await deposit_ix(t, x.senior, SENIOR, 9_000 * USDC)
                                     for t, x in zip(markets, lps, strict=True)], [lps[1].senior.keypair])
    traders = [await new_lp(world, t, 10_000 * USDC, senior=False) for t in markets]
    for t, trader, sequence in ((markets[0], traders[0], range(len(trips))), (markets[1], traders[1], order)):
        m = t.m
        for i in sequence:
            side, collateral, size, exit_usd = trips[i]
            w = trader.junior
            try:
                await w.client.send([await open_ix(w, m, side, collateral, size)])
            except REFUSED:
                continue  # refused the same way in both orders? checked by the equal AUMs below
            await world.set_price(m.sol, price=price_usd(exit_usd))
            state, _, _ = await checked_state(world, t)
            try:
                await w.client.send([await close_ix(w, m, side)])
            except REFUSED:
                keeper_kp, keeper_client, account = await keeper(world, m)
                await keeper_client.liquidate(m.position(w, side), receiving_account=account)
            await world.set_price(m.sol, price=price_usd(150))
    states = [await checked_state(world, t) for t in markets]
    (s0, b0, _), (s1, b1, _) = states
    # Same trades, so the same AUM (the pools are flat: AUM == owned): the NAVs are then equal.
    if s0.aum_min_usd != s1.aum_min_usd:
        await connection.close()
        raise AssertionError(f"orders ended at different AUMs: {s0.aum_min_usd} != {s1.aum_min_usd}")
    assert (b0.junior_supply, b0.senior_supply, b0.terms) == (b1.junior_supply, b1.senior_supply, b1.terms)
    # One transaction per tranche redeems a tenth of it on both markets (one clock): the same payouts.
    for tranche in (SENIOR, JUNIOR):
        ixs = []
        for t, x in zip(markets, lps, strict=True):
            w = x.of(tranche)
            ixs.append(await redeem_ix(t, w, tranche, await world.balance(w.lp_account) // 10))
        try:
            result = await lps[0].junior.client.send(ixs, [lps[1].junior.keypair])
        except (errors.JuniorTrancheWipedOut, errors.CoverageLimitExceeded) as refusal:
            # Refused: then on both markets alike (each simulated on its own).
            for t, x in zip(markets, lps, strict=True):
                w = x.of(tranche)
                with pytest.raises(type(refusal)):
                    await w.client.quote_remove_liquidity(t.pool, t.m.usdc.custody,
                                                          lp_amount_in=await world.balance(w.lp_account) // 10,
                                                          receiving_account=w.token_account,
                                                          lp_token_account=w.lp_account, tranche=tranche)
            continue
        paid = [e.data.amount_out for e in result.events if e.name == "LiquidityRemoved"]
        assert paid[0] == paid[1], (tranche, paid)
    await connection.close()


@settings(max_examples=3, **SETTINGS)
@given(data=st.data(), trips=st.lists(round_trips, min_size=3, max_size=5))
def test_the_same_trades_in_another_order_end_at_the_same_tranche_navs(rpc_url: str, world: World, data,
                                                                       trips: list[tuple]) -> None:
    """Round trips (open at 150, close at the exit price) in their order on one market and in a
    permutation on an identical one; the junior may be wiped and refilled in one order and not the
    other (no checkpoint books a swing). The AUMs end equal (the trades' PnL does not depend on the
    order: no fees, no interest, each round trip from a flat pool), and then so do both NAVs."""
    order = data.draw(st.permutations(range(len(trips))))
    asyncio.run(_two_orders(rpc_url, world.admin, trips, list(order)))


def test_junior_wiped_then_refilled_ends_where_refilled_then_wiped_does(rpc_url: str, world: World) -> None:
    """The deterministic case of the test above: a trader profit larger than the junior NAV
    (3,200 USD on 3,000: the junior wiped, the senior impaired) then a trader loss (1,200), against
    the loss first then the profit."""
    trips = [(Side.LONG, 1_000 * USDC, 6_000 * USDC, 230), (Side.SHORT, 1_500 * USDC, 6_000 * USDC, 180)]
    asyncio.run(_two_orders(rpc_url, world.admin, trips, [1, 0]))
