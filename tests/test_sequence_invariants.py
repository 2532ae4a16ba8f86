"""Economic invariants over SEQUENCES of operations, on the node (issue 8, "make the suite find this
class of bug by itself"): the leaks an independent review found all needed several operations in a
row, each of which looked fine alone.

- At a constant oracle price, no sequence of one trader's operations (open, increase, partial
  decrease, add / remove collateral, close, with dust sizes that buy less than one old quantity
  unit) ends with more tokens than it started with — on markets priced from 10^-4 to 10^6 USD.
- At constant AUM, no sequence of deposits and withdrawals by one LP ends with a gain, and no
  LP's value per LP unit falls because of another LP's deposit or withdrawal.
- Calling the permissionless `update_pool_aum` any number of times between the same two instants
  leaves the borrow index exactly where one call leaves it.
"""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed

from perp_pool import errors
from perp_pool.client import BorrowRateConfig, FeeConfig, PricingConfig
from perp_pool.localnet import NodeExtensions
from perp_pool.math.pricing import Side
from tests.helpers import USDC, World, market_deposit, new_market, price_usd

FEES = FeeConfig(open_position_bps=10, close_position_bps=10, liquidation_bps=50, liquidator_reward_bps=20,
                 protocol_share_bps=2_000, insurance_share_bps=1_000, add_liquidity_bps=10, remove_liquidity_bps=10)
# Oracle prices in PRICE_DECIMALS: 10^-4, 150, 100,000 and 10^6 USD per token.
PRICES = [price_usd("0.0001"), price_usd(150), price_usd(100_000), price_usd(1_000_000)]
SETTINGS = dict(deadline=None, phases=[Phase.generate], print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example, HealthCheck.function_scoped_fixture])

# Sizes in micro-USD: dust (below one micro-token at 100,000 USD), small and large.
sizes = st.one_of(st.integers(1, 200_000), st.integers(USDC, 2_000 * USDC))
trader_ops = st.one_of(
    # (collateral, leverage in BPS): valid opens, so most sequences have a position to work on.
    st.tuples(st.just("open"), st.sampled_from(list(Side)), st.integers(20 * USDC, 300 * USDC),
              st.integers(11_000, 100_000)),
    st.tuples(st.just("increase"), st.sampled_from(list(Side)), st.integers(0, 50 * USDC), sizes),
    st.tuples(st.just("decrease"), st.sampled_from(list(Side)), st.integers(1, 9_999)),
    st.tuples(st.just("add_collateral"), st.sampled_from(list(Side)), st.integers(1, 50 * USDC)),
    st.tuples(st.just("remove_collateral"), st.sampled_from(list(Side)), st.integers(1, 50 * USDC)),
    st.tuples(st.just("close"), st.sampled_from(list(Side))),
    st.tuples(st.just("update_aum")),
)
REFUSED = (errors.TransactionFailed, errors.AccountNotFound, ValueError, LookupError)


async def _trader_sequence(url: str, admin, price: int, ops: list[tuple]) -> tuple[int, int, dict]:
    connection = AsyncClient(url, commitment=Confirmed, timeout=30)
    world = World(connection, admin)
    m = await new_market(world, liquidity=2_000_000 * USDC, sol_price=price, fees=FEES,
                         pricing=PricingConfig(max_utilization=950_000_000))
    start = 10_000 * USDC
    w = await world.new_wallet(m.usdc, tokens=start)
    counts: dict[str, int] = {}
    for op in ops:
        kind = op[0]
        try:
            if kind == "update_aum":
                await world.client.update_pool_aum(m.pool)
            else:
                side = op[1]
                args = (m.pool, m.sol.custody, m.usdc.custody, side)
                worst = 2**63 if side is Side.LONG else 0
                best = 0 if side is Side.LONG else 2**63
                if kind == "open":
                    await w.client.open_position(*args, price_limit=worst, collateral_amount=op[2],
                                                 size_usd=op[2] * op[3] // 10_000, funding_account=w.token_account)
                elif kind == "increase":
                    await w.client.increase_position(*args, price_limit=worst, collateral_amount=op[2],
                                                     size_usd=op[3], funding_account=w.token_account)
                elif kind == "decrease":
                    p = await w.client.fetch_position(m.position(w, side))
                    await w.client.decrease_position(*args, price_limit=best,
                                                     size_usd=max(p.size_usd * op[2] // 10_000, 1),
                                                     receiving_account=w.token_account)
                elif kind == "add_collateral":
                    await w.client.add_collateral(*args, collateral_amount=op[2], funding_account=w.token_account)
                elif kind == "remove_collateral":
                    await w.client.remove_collateral(*args, collateral_usd=op[2], receiving_account=w.token_account)
                elif kind == "close":
                    await w.client.close_position(*args, price_limit=best, receiving_account=w.token_account)
            counts[kind] = counts.get(kind, 0) + 1
        except REFUSED as exc:
            name = "refused:" + type(exc).__name__
            counts[name] = counts.get(name, 0) + 1
    # Close whatever is left, at the same price.
    for side in Side:
        if (await connection.get_account_info(m.position(w, side))).value is not None:
            await w.client.close_position(m.pool, m.sol.custody, m.usdc.custody, side,
                                          price_limit=0 if side is Side.LONG else 2**63,
                                          receiving_account=w.token_account)
    end = await world.balance(w.token_account)
    await connection.close()
    return start, end, counts


@settings(max_examples=10, **SETTINGS)
@given(price=st.sampled_from(PRICES), first=st.sampled_from(list(Side)),
       ops=st.lists(trader_ops, min_size=25, max_size=40).filter(lambda ops: len({o[0] for o in ops}) >= 5))
def test_no_trader_sequence_gains_at_a_constant_price(rpc_url: str, world: World, price: int, first: Side,
                                                      ops: list[tuple]) -> None:
    ops = [("open", first, 100 * USDC, 50_000), *ops]
    start, end, counts = asyncio.run(_trader_sequence(rpc_url, world.admin, price, ops))
    print("trader sequence at", price, ":", counts, "net", end - start)
    assert end <= start, f"a trader gained {end - start} token units at a constant price: {ops}"
    assert counts.get("open", 0) >= 1, counts  # the first open always lands: there was a position to attack


lp_ops = st.one_of(
    st.tuples(st.just("deposit"), st.integers(0, 1),
              st.one_of(st.integers(1, 1_000), st.integers(USDC, 50_000 * USDC))),
    st.tuples(st.just("withdraw"), st.integers(0, 1), st.integers(1, 10_000)),
)


async def _lp_sequence(url: str, admin, ops: list[tuple], ext: NodeExtensions) -> None:
    connection = AsyncClient(url, commitment=Confirmed, timeout=30)
    world = World(connection, admin)
    m = await new_market(world, liquidity=0, fees=FEES, borrow_rate=BorrowRateConfig(base_rate=0, slope1=0, slope2=0))
    seed = await world.new_wallet(m.usdc, tokens=100_000 * USDC)
    await market_deposit(world, m, seed, 100_000 * USDC)
    start = 100_000 * USDC
    lps = [await world.new_wallet(m.usdc, tokens=start) for _ in range(2)]

    async def lp_value_ratio() -> tuple[int, int]:
        """(AUM, supply incl. dead shares): one LP unit is worth AUM / supply."""
        aum = await world.client.get_assets_under_management(m.pool)
        mint_supply = int((await connection.get_token_supply(m.lp_mint)).value.amount)
        return aum, mint_supply + (await world.client.fetch_pool(m.pool)).dead_lp_supply

    aum0, supply0 = await lp_value_ratio()
    for op in ops:
        w = lps[op[1]]
        try:
            if op[0] == "deposit":
                await market_deposit(world, m, w, op[2])
            else:
                held = await world.balance(w.lp_account)
                await w.client.remove_liquidity(m.pool, m.usdc.custody, lp_amount_in=held * op[2] // 10_000,
                                                receiving_account=w.token_account, lp_token_account=w.lp_account,
                                                min_amount_out=0)
        except REFUSED:
            pass
        ext.advance_slots(1)
        aum1, supply1 = await lp_value_ratio()
        # The seed LP's value per unit never falls: aum1 / supply1 >= aum0 / supply0.
        assert aum1 * supply0 >= aum0 * supply1, f"an LP's deposit or withdrawal diluted the others: {op}"
        aum0, supply0 = aum1, supply1
    # Every LP redeems what it holds; none ends above what it started with.
    for w in lps:
        held = await world.balance(w.lp_account)
        if held:
            await w.client.remove_liquidity(m.pool, m.usdc.custody, lp_amount_in=held,
                                            receiving_account=w.token_account, lp_token_account=w.lp_account,
                                            min_amount_out=0)
        assert await world.balance(w.token_account) <= start
    await connection.close()


@settings(max_examples=3, **SETTINGS)
@given(ops=st.lists(lp_ops, min_size=15, max_size=30))
def test_no_lp_sequence_gains_or_dilutes_at_constant_aum(rpc_url: str, world: World, ops: list[tuple]) -> None:
    ext = NodeExtensions(rpc_url)
    if not ext.available():
        import pytest
        pytest.skip("needs the local node's slot control")
    asyncio.run(_lp_sequence(rpc_url, world.admin, ops, ext))


@settings(max_examples=3, **SETTINGS)
@given(splits=st.lists(st.integers(1, 900), min_size=1, max_size=12))
def test_update_pool_aum_any_number_of_times_changes_no_index(rpc_url: str, world: World, splits: list[int]) -> None:
    """Two identical markets with one identical position each: one accrues at every step of
    `splits` (seconds of clock warp), the other only at the end. The utilisation (so the rate)
    never changes after the open, so each index must be exactly `rate * (last_update - open)`:
    no accrual schedule loses or gains a unit."""
    ext = NodeExtensions(rpc_url)
    if not ext.available():
        import pytest
        pytest.skip("needs the local node's clock warp")

    async def run() -> None:
        connection = AsyncClient(rpc_url, commitment=Confirmed, timeout=30)
        w0 = World(connection, world.admin)
        markets = [await new_market(w0, liquidity=1_000_000 * USDC, fees=FEES) for _ in range(2)]
        positions = []
        for m in markets:
            t = await w0.new_wallet(m.usdc, tokens=1_000 * USDC)
            await t.client.open_position(m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=2**63,
                                         collateral_amount=100 * USDC, size_usd=1_000 * USDC,
                                         funding_account=t.token_account)
            positions.append(m.position(t, Side.LONG))
        for seconds in splits:
            ext.warp_clock(seconds)
            for m in markets:
                await w0.set_price(m.sol, price=price_usd(150))
                await w0.set_price(m.usdc, price=price_usd(1))
            await w0.client.update_pool_aum(markets[0].pool)
        await w0.client.update_pool_aum(markets[1].pool)
        for m, position in zip(markets, positions, strict=True):
            state = (await w0.client.fetch_custody(m.usdc.custody)).borrow_rate_state
            opened = (await w0.client.fetch_position(position)).open_time
            assert state.current_rate > 0
            assert state.cumulative_interest == state.current_rate * (state.last_update - opened)
        await connection.close()

    asyncio.run(run())
