"""The skew premium and the net exposure caps on the node (docs/design.md "Skew premium and exposure
limits"): the majority side pays more than the base open fee and the minority less, exactly as the
Python port says; the borrow premium accrues over warped time on the majority side only and is in the
AUM; the cap refuses increasing trades (nothing changes) and lets reducing ones through; a random
sequence of opens and closes on both sides at a constant price never leaves its actor ahead."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed

from perp_pool import errors
from perp_pool.client import FeeConfig, WeightConfig
from perp_pool.constants import PRICE_DECIMALS
from perp_pool.math import borrow as borrow_math
from perp_pool.math import fees as fee_math
from perp_pool.math import liquidity, skew
from perp_pool.math.fixed import Rounding
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pricing import Side
from tests.helpers import USDC, Market, World, assert_rejected, new_market, price_usd

FEES = FeeConfig(open_position_bps=10, close_position_bps=10, protocol_share_bps=2_000, insurance_share_bps=1_000)
SOL = price_usd(150)
NO_LIMIT = 2**63
OPTIMAL = 800_000_000  # BorrowRateConfig's default optimal utilisation
# Full scale at 10 % of the 100k USD AUM = 10k USD; premium up to +60 % of the open fee, discount up
# to 40 %; the majority pays up to 0.01 %/h more.
PARAMS = skew.SkewParams(scale_aum_bps=1_000, fee_premium_max_bps=6_000, fee_discount_max_bps=4_000,
                         borrow_premium_max_rate=100_000)


async def skewed_market(world: World, params: skew.SkewParams = PARAMS) -> Market:
    m = await new_market(world, fees=FEES)
    await world.client.set_skew_config(m.pool, m.sol.custody, params)
    return m


async def open_pos(m: Market, w, side: Side, collateral: int, size: int):
    return await w.client.open_position(m.pool, m.sol.custody, m.usdc.custody, side,
                                        price_limit=NO_LIMIT if side is Side.LONG else 0,
                                        collateral_amount=collateral, size_usd=size, funding_account=w.token_account)


async def close_pos(m: Market, w, side: Side):
    return await w.client.close_position(m.pool, m.sol.custody, m.usdc.custody, side,
                                         price_limit=0 if side is Side.LONG else NO_LIMIT,
                                         receiving_account=w.token_account)


async def net_and_aum(world: World, m: Market) -> tuple[int, int]:
    sol = await world.client.fetch_custody(m.sol.custody)
    pool = await world.client.fetch_pool(m.pool)
    return sol.long_positions.size_usd - sol.short_positions.size_usd, pool.aum_usd


def expected_fee(side: Side, size: int, utilization_after: int, net: int, aum: int,
                 params: skew.SkewParams = PARAMS) -> skew.SkewFee:
    return skew.skew_open_fee(side, size, fee_math.open_fee_bps(10, utilization_after, OPTIMAL), net, aum, params)


async def test_majority_pays_a_premium_and_minority_a_discount_exactly_as_the_port(world: World) -> None:
    m = await skewed_market(world)
    a, b, c = [await world.new_wallet(m.usdc, tokens=2_000 * USDC) for _ in range(3)]
    # A long of 5k from balance: ramp 0 -> 0.5, on average 0.25 x 60 %: fee 5 USD * 1.15.
    net, aum = await net_and_aum(world, m)
    assert net == 0 and 99_000 * USDC < aum <= 100_000 * USDC  # the deposit less its dead shares
    ev = (await open_pos(m, a, Side.LONG, 500 * USDC, 5_000 * USDC)).event("PositionOpened").data
    want = expected_fee(Side.LONG, 5_000 * USDC, ev.utilization, net, aum)
    assert ev.fee_usd == want.fee_usd and 5_740_000 <= ev.fee_usd <= 5_760_000
    assert ev.fee_amount == want.fee_usd  # USDC at 1 USD
    assert want.premium_usd > 0 and ev.fee_usd > fee_math.bps_fee(5_000 * USDC, 10)
    # Another long of 5k on the majority side pays more (ramp 0.5 -> 1: 0.75 x 60 % = +45 %).
    net, aum = await net_and_aum(world, m)
    ev = (await open_pos(m, b, Side.LONG, 500 * USDC, 5_000 * USDC)).event("PositionOpened").data
    want = expected_fee(Side.LONG, 5_000 * USDC, ev.utilization, net, aum)
    assert ev.fee_usd == want.fee_usd and 7_240_000 <= ev.fee_usd <= 7_260_000
    # A short of 4k reduces the 10k imbalance: discount, less than the base fee, to the unit.
    net, aum = await net_and_aum(world, m)
    ev = (await open_pos(m, c, Side.SHORT, 500 * USDC, 4_000 * USDC)).event("PositionOpened").data
    want = expected_fee(Side.SHORT, 4_000 * USDC, ev.utilization, net, aum)
    assert ev.fee_usd == want.fee_usd and want.discount_usd > 0 and want.premium_usd == 0
    assert ev.fee_usd < fee_math.bps_fee(4_000 * USDC, 10)
    # The view quotes what a trade would pay (the same port).
    risk = await world.client.get_market_risk(m.pool, m.sol.custody)
    assert risk.net_usd == 6_000 * USDC
    assert risk.long.fee_premium_bps == skew.marginal_fee_premium_bps(6_000 * USDC, risk.aum_usd, PARAMS)
    assert 3_590 <= risk.long.fee_premium_bps <= 3_610 and risk.short.fee_premium_bps == 0
    assert 2_390 <= risk.short.fee_discount_bps <= 2_410
    assert 59_900 <= risk.long.borrow_premium_rate <= 60_100 and risk.short.borrow_premium_rate == 0


async def test_borrow_premium_accrues_on_the_majority_only_and_is_in_the_aum(world: World, node_ext) -> None:
    m = await skewed_market(world)
    longer, shorter = [await world.new_wallet(m.usdc, tokens=2_000 * USDC) for _ in range(2)]
    await open_pos(m, longer, Side.LONG, 1_000 * USDC, 8_000 * USDC)
    await open_pos(m, shorter, Side.SHORT, 500 * USDC, 3_000 * USDC)
    sol = await world.client.fetch_custody(m.sol.custody)
    assert 49_900 <= sol.skew_state.long_rate <= 50_100 and sol.skew_state.short_rate == 0  # net 5k of F ~ 10k
    node_ext.warp_clock(10 * 3_600)
    for f, p in ((m.sol, SOL), (m.usdc, price_usd(1))):
        await world.set_price(f, price=p)
    # The AUM (view) counts the premium accrued: the port with it agrees, without it does not.
    usdc_acc = await world.client.fetch_custody(m.usdc.custody)
    sol = await world.client.fetch_custody(m.sol.custody)
    now = await world.now()
    one, at = OraclePrice(price_usd(1), -PRICE_DECIMALS), OraclePrice(SOL, -PRICE_DECIMALS)
    vals = [liquidity.custody_valuation(usdc_acc, one, one, now), liquidity.custody_valuation(sol, at, at, now)]
    aum_port = liquidity.assets_under_management_usd(vals, liquidity.AumMode.MIN)
    index = skew.PremiumIndex.from_account(sol.skew_state).at(now)
    premium = skew.aggregate_premium_usd(index.long_cumulative, sol.long_positions.size_usd,
                                         sol.skew_state.long_weighted, Rounding.FLOOR)
    assert 3_990_000 <= premium <= 4_010_000  # 10 h at 0.005 %/h on 8k USD = 4 USD
    assert index.short_cumulative == sol.skew_state.short_cumulative  # the minority accrues nothing
    aum_view = await world.client.get_assets_under_management(m.pool)
    assert abs(aum_view - aum_port) <= 1_000  # a second of clock between the two reads at most
    assert aum_port - premium < aum_view - 100_000
    # Closing settles interest + premium (the long) and interest only (the short), to the unit.
    for w, side in ((longer, Side.LONG), (shorter, Side.SHORT)):
        position = await world.client.fetch_position(m.position(w, side))
        ev = (await close_pos(m, w, side)).event("PositionDecreased").data
        sol = await world.client.fetch_custody(m.sol.custody)
        cum = sol.skew_state.long_cumulative if side is Side.LONG else sol.skew_state.short_cumulative
        owed_premium = skew.position_premium_usd(cum, position.skew_premium_snapshot, position.size_usd)
        interest = borrow_math.position_interest_usd(ev.cumulative_interest, position.cumulative_interest_snapshot,
                                                     position.size_usd)
        assert ev.interest_usd == interest + owed_premium
        if side is Side.LONG:
            assert 3_990_000 <= owed_premium <= 4_010_000
        else:
            assert owed_premium == 0


async def test_exposure_cap_refuses_increasing_trades_and_allows_reducing_ones(world: World) -> None:
    caps = skew.SkewParams(max_net_exposure_usd=10_000 * USDC, max_net_exposure_aum_bps=500)  # 5k USD binds
    m = await skewed_market(world, caps)
    a, b = [await world.new_wallet(m.usdc, tokens=3_000 * USDC) for _ in range(2)]
    await open_pos(m, a, Side.LONG, 500 * USDC, 4_000 * USDC)
    risk = await world.client.get_market_risk(m.pool, m.sol.custody)
    cap = risk.net_cap_usd
    assert cap == skew.net_exposure_cap_usd(risk.aum_usd, caps) and 4_990 * USDC <= cap <= 5_000 * USDC
    assert (risk.long.headroom_usd, risk.short.headroom_usd) == (cap - 4_000 * USDC, cap + 4_000 * USDC)
    # One unit of long more than the headroom: refused, nothing changes.
    room = risk.long.headroom_usd
    await assert_rejected(errors.NetExposureLimitExceeded,
                          lambda: open_pos(m, b, Side.LONG, 500 * USDC, room + 1),
                          world.connection, [m.usdc.custody, m.sol.custody, m.usdc.vault, b.token_account,
                                             m.position(b, Side.LONG)])
    await assert_rejected(errors.NetExposureLimitExceeded,
                          lambda: a.client.increase_position(m.pool, m.sol.custody, m.usdc.custody, Side.LONG,
                                                             price_limit=NO_LIMIT, collateral_amount=0,
                                                             size_usd=room + 1, funding_account=a.token_account),
                          world.connection, [m.usdc.custody, m.sol.custody, m.usdc.vault, a.token_account,
                                             m.position(a, Side.LONG)])
    # Exactly the headroom passes; the minority side may open up to the cap on its side (crossing zero).
    await a.client.increase_position(m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=NO_LIMIT,
                                     collateral_amount=0, size_usd=room, funding_account=a.token_account)
    await open_pos(m, b, Side.SHORT, 1_000 * USDC, 2 * cap)
    # The admin lowers the cap below |net| (~5k short): reducing trades still pass, increasing do not.
    await world.client.set_skew_config(m.pool, m.sol.custody, skew.SkewParams(max_net_exposure_usd=1_000 * USDC))
    await assert_rejected(errors.NetExposureLimitExceeded,
                          lambda: b.client.increase_position(m.pool, m.sol.custody, m.usdc.custody, Side.SHORT,
                                                             price_limit=0, collateral_amount=0, size_usd=USDC,
                                                             funding_account=b.token_account),
                          world.connection, [m.usdc.custody, m.sol.custody, b.token_account])
    await a.client.increase_position(m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=NO_LIMIT,
                                     collateral_amount=0, size_usd=500 * USDC, funding_account=a.token_account)
    await b.client.decrease_position(m.pool, m.sol.custody, m.usdc.custody, Side.SHORT, price_limit=NO_LIMIT,
                                     size_usd=1_000 * USDC, receiving_account=b.token_account)
    await close_pos(m, a, Side.LONG)  # increases |net| (a close is always allowed)
    await close_pos(m, b, Side.SHORT)


async def test_bad_skew_config_is_refused(world: World) -> None:
    m = await new_market(world, fees=FEES)
    bad = skew.SkewParams(scale_aum_bps=1_000, fee_premium_max_bps=6_000, fee_discount_max_bps=4_001)
    await assert_rejected(errors.InvalidSkewConfig, lambda: world.client.set_skew_config(m.pool, m.sol.custody, bad),
                          world.connection, [m.sol.custody])


async def test_skew_and_weights_exclude_each_other(world: World) -> None:
    """A custody with a weight rule (an LP asset) takes no skew parameters, and a market with skew
    parameters no weight rule: the imbalance is measured from net 0, not from the pool's own
    holding, so on an LP asset it would charge the side that hedges the LPs (skew review, 3)."""
    m = await new_market(world, fees=FEES)
    params = skew.SkewParams(scale_aum_bps=1_000, fee_premium_max_bps=6_000, fee_discount_max_bps=4_000)
    rule = WeightConfig(target_bps=5_000, min_bps=1_000, max_bps=9_000, tax_bps=50, swap_bps=10)
    await world.client.set_custody_weights(m.pool, m.sol.custody, rule)
    await assert_rejected(errors.InvalidSkewConfig,
                          lambda: world.client.set_skew_config(m.pool, m.sol.custody, params),
                          world.connection, [m.sol.custody])
    # Without the weight rule the skew is accepted; then a weight rule is refused.
    await world.client.set_custody_weights(m.pool, m.sol.custody, WeightConfig())
    await world.client.set_skew_config(m.pool, m.sol.custody, params)
    await assert_rejected(errors.InvalidWeightConfig,
                          lambda: world.client.set_custody_weights(m.pool, m.sol.custody, rule),
                          world.connection, [m.sol.custody])


OPS = st.lists(st.tuples(st.sampled_from(["open_long", "open_short", "close_long", "close_short"]),
                         st.integers(100, 20_000)), min_size=2, max_size=7)


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=OPS)
def test_opens_and_closes_on_both_sides_never_gain_and_books_balance(rpc_url: str, world: World, ops) -> None:
    """One actor's opens and closes on both sides at a constant price (the premium and discount
    included) never ends with more USDC than it started with, and the vault equals its books."""
    asyncio.run(_both_sides(rpc_url, world.admin, ops))


async def _both_sides(url: str, admin, ops: list[tuple[str, int]]) -> None:
    connection = AsyncClient(url, commitment=Confirmed, timeout=30)
    world = World(connection, admin)
    m = await skewed_market(world)
    start = 50_000 * USDC
    w = await world.new_wallet(m.usdc, tokens=start)
    held = {Side.LONG: False, Side.SHORT: False}
    for op, size in ops:
        side = Side.LONG if op.endswith("long") else Side.SHORT
        if op.startswith("open"):
            if held[side]:
                await w.client.increase_position(m.pool, m.sol.custody, m.usdc.custody, side,
                                                 price_limit=NO_LIMIT if side is Side.LONG else 0,
                                                 collateral_amount=size * USDC // 5, size_usd=size * USDC,
                                                 funding_account=w.token_account)
            else:
                await open_pos(m, w, side, size * USDC // 5, size * USDC)
                held[side] = True
        elif held[side]:
            await close_pos(m, w, side)
            held[side] = False
    for side, is_open in held.items():
        if is_open:
            await close_pos(m, w, side)
    assert await world.balance(w.token_account) <= start
    usdc = await world.client.fetch_custody(m.usdc.custody)
    a = usdc.assets
    assert await world.balance(m.usdc.vault) == (a.owned + a.collateral + a.protocol_fees + a.insurance_fund
                                                 + a.escrow + a.stake_rewards)
    sol = await world.client.fetch_custody(m.sol.custody)
    assert (sol.long_positions.size_usd, sol.short_positions.size_usd) == (0, 0)
    assert (sol.skew_state.long_weighted, sol.skew_state.short_weighted) == (0, 0)
    await connection.close()



async def test_a_limit_order_past_the_cap_does_not_execute(world: World) -> None:
    """Limit orders open through the same math: one that would take |net| past the cap is refused
    (the order and the escrow stay), the same order within the cap executes."""
    from perp_pool.client import OrderKind
    from perp_pool.tokens import ensure_ata

    m = await skewed_market(world, skew.SkewParams(max_net_exposure_usd=500 * USDC))
    w = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
    placed = (await w.client.place_order(m.pool, m.sol.custody, m.usdc.custody, Side.LONG, OrderKind.LIMIT,
                                         trigger_price=price_usd(145), price_limit=price_usd(145),
                                         size_usd=1_000 * USDC, funding_account=w.token_account,
                                         collateral_amount=200 * USDC)
              ).event("OrderPlaced").data
    await world.set_price(m.sol, price=price_usd(144))  # reached
    executor = await ensure_ata(world.client.transport, world.admin.pubkey(), m.usdc.mint)
    await assert_rejected(errors.NetExposureLimitExceeded,
                          lambda: world.client.execute_order(placed.order, executor_receiving_account=executor),
                          world.connection, [placed.order, m.usdc.custody, m.sol.custody, m.usdc.vault,
                                             m.position(w, Side.LONG)])
    await world.client.set_skew_config(m.pool, m.sol.custody, skew.SkewParams(max_net_exposure_usd=1_000 * USDC))
    await world.client.execute_order(placed.order, executor_receiving_account=executor)
    position = await world.client.fetch_position(m.position(w, Side.LONG))
    assert position.size_usd == 1_000 * USDC
