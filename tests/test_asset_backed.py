"""Asset-backed longs on the node (docs/design.md "Asset-backed positions"): a long on SOL whose
collateral custody is the SOL custody itself. Collateral, locked payoff and profit are SOL of the
SOL custody (LP-deposited); the pool's valuation counts the position's collateral and cap as SOL
valued at the price (not the USD they were worth when it opened); shorts keep stable collateral.

Every expectation is the Python port's value from the accounts the program holds, to the token
unit; the valuation is also checked against the exact per-position claim.
"""

from __future__ import annotations

from perp_pool import errors
from perp_pool.client import BorrowRateConfig, FeeConfig, OracleConfig
from perp_pool.constants import PRICE_DECIMALS
from perp_pool.keeper import health as keeper_health
from perp_pool.math import health, liquidity, trade
from perp_pool.math import pnl as pnl_math
from perp_pool.math.fixed import Rounding
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pricing import Side, TradePrices
from tests.helpers import SOL, USDC, Market, World, assert_rejected, new_market, price_usd

NO_INTEREST = BorrowRateConfig(base_rate=0, slope1=0, slope2=0)
FEES = FeeConfig(add_liquidity_bps=0, remove_liquidity_bps=0, open_position_bps=10, close_position_bps=10,
                 protocol_share_bps=2_000, insurance_share_bps=1_000, liquidation_bps=50, liquidator_reward_bps=20)
P0 = price_usd(100)
NO_LIMIT_LONG = 2**63
SIZE = 1_000 * USDC  # 10 SOL at 100
COLLATERAL = 2 * SOL  # 200 USD at entry: 5x


async def sol_market(world: World) -> Market:
    """USDC and SOL custodies, LPs in both: 100_000 USDC and 1_000 SOL; SOL at 100."""
    m = await new_market(world, fees=FEES, borrow_rate=NO_INTEREST, sol_price=P0,
                         oracle=OracleConfig(max_price_age_sec=3_600))
    lp = await world.new_wallet(m.sol, tokens=1_000 * SOL)
    await world.deposit_and_wait(m.sol, lp, 1_000 * SOL)
    return m


async def sol_trader(world: World, m: Market, sol: int = 10 * SOL):
    return await world.new_wallet(m.sol, tokens=sol)


def position_address(w, m: Market, side: Side = Side.LONG):
    return w.client.position_address(m.pool, m.sol.custody, m.sol.custody, side)


async def open_backed(m: Market, w, collateral: int = COLLATERAL, size: int = SIZE):
    return await w.client.open_position(m.pool, m.sol.custody, m.sol.custody, Side.LONG, price_limit=NO_LIMIT_LONG,
                                        collateral_amount=collateral, size_usd=size, funding_account=w.token_account)


def at(price: int) -> OraclePrice:
    return OraclePrice(price, -PRICE_DECIMALS)


async def vault_accounted(world: World, m: Market) -> None:
    for f in (m.sol, m.usdc):
        a = (await world.client.fetch_custody(f.custody)).assets
        assert await world.balance(f.vault) == (a.owned + a.collateral + a.protocol_fees + a.insurance_fund
                                                + a.escrow + a.stake_rewards)
        assert a.locked <= a.owned


async def port_valuation(world: World, m: Market, position: object, price: int) -> health.PositionValuation:
    sol = await world.client.fetch_custody(m.sol.custody)
    state = trade.PositionState(Side.LONG, position.quantity, position.size_usd,  # type: ignore[attr-defined]
                                position.collateral_amount, position.locked_amount)  # type: ignore[attr-defined]
    return health.position_valuation(state, position.cumulative_interest_snapshot,  # type: ignore[attr-defined]
                                     sol, TradePrices(price, price), sol, at(price), at(price), await world.now(),
                                     aliased=True)


async def test_an_asset_backed_long_locks_sol_and_is_paid_its_profit_in_sol(world: World) -> None:
    m = await sol_market(world)
    w = await sol_trader(world, m)
    sol_before = await world.client.fetch_custody(m.sol.custody)
    ev = (await open_backed(m, w)).event("PositionOpened").data
    sol = await world.client.fetch_custody(m.sol.custody)
    expected = trade.compute_open_position(Side.LONG, SIZE, P0, P0, COLLATERAL,
                                           trade.CollateralCustody.from_custody(sol_before, at(P0), at(P0)),
                                           trade.Market.from_custody(sol_before))
    assert (ev.collateral_amount, ev.locked_amount, ev.fee_amount) == (
        expected.collateral_amount, expected.locked_amount, expected.fee_amount)
    assert ev.locked_amount == 10 * SOL  # 1x payoff of 1_000 USD in SOL at 100
    assert sol.assets.locked == sol_before.assets.locked + ev.locked_amount
    assert sol.assets.collateral == ev.collateral_amount
    # token-denominated aggregates; no USD registered for this position
    assert sol.long_positions.collateral_quantity == ev.collateral_amount * 1_000  # 9 -> 12 decimals
    assert sol.long_positions.max_profit_quantity == ev.locked_amount * 1_000
    assert sol.long_positions.collateral_usd == 0 and sol.long_positions.max_profit_usd == 0
    await vault_accounted(world, m)

    up = price_usd(150)  # +50 %
    await world.set_price(m.sol, price=up)
    p = await world.client.fetch_position(position_address(w, m))
    v = await port_valuation(world, m, p, up)
    sol = await world.client.fetch_custody(m.sol.custody)
    port = trade.compute_decrease_position(
        trade.PositionState(Side.LONG, p.quantity, p.size_usd, p.collateral_amount, p.locked_amount), SIZE,
        v.exit_price, v.interest_usd, sol.assets.insurance_fund,
        trade.CollateralCustody.from_custody(sol, at(up), at(up)), trade.Market.from_custody(sol))
    balance = await world.balance(w.token_account)
    close = (await w.client.close_position(m.pool, m.sol.custody, m.sol.custody, Side.LONG, price_limit=0,
                                           receiving_account=w.token_account)).event("PositionDecreased").data
    profit_usd = pnl_math.quantity_value_usd(p.quantity, up, Rounding.FLOOR) - SIZE
    assert close.profit_usd == port.pnl.profit_usd == profit_usd == 500 * USDC  # never capped: 10 SOL lock
    assert close.profit_amount == port.profit_amount == profit_usd * SOL // (150 * USDC)  # max price, floor
    assert close.amount_out == port.amount_out
    assert await world.balance(w.token_account) == balance + port.amount_out
    after = await world.client.fetch_custody(m.sol.custody)
    assert after.assets.locked == sol_before.assets.locked
    assert after.assets.collateral == 0
    assert after.assets.owned == sol.assets.owned - port.owned_out + port.owned_in
    assert after.long_positions.collateral_quantity == 0 and after.long_positions.max_profit_quantity == 0
    assert after.long_positions.open_positions == 0
    await vault_accounted(world, m)


async def aum_port(world: World, m: Market, price: int) -> tuple[int, int]:
    """(min-mode AUM, max-mode AUM) of the pool by the port at SOL `price` (spot = EMA, conf 0)."""
    usdc = await world.client.fetch_custody(m.usdc.custody)
    sol = await world.client.fetch_custody(m.sol.custody)
    now = await world.now()
    vals = [liquidity.custody_valuation(usdc, at(price_usd(1)), at(price_usd(1)), now),
            liquidity.custody_valuation(sol, at(price), at(price), now)]
    return (liquidity.assets_under_management_usd(vals, liquidity.AumMode.MIN),
            liquidity.assets_under_management_usd(vals, liquidity.AumMode.MAX))


async def test_aum_counts_the_asset_backed_claim_at_every_price(world: World) -> None:
    """The pool's valuation with an asset-backed long open equals the port in both modes at prices
    below, at and far above entry, and never values the pool above what it holds net of the
    position's exact claim (min mode: redemptions) nor below it (max mode: deposits). Registering
    the cap as USD at entry (100 USD of SOL per locked SOL) made min-mode AUM at 300 overstate the
    pool by the position's profit above that cap: redeemers took it from the remaining LPs."""
    m = await sol_market(world)
    w = await sol_trader(world, m)
    await open_backed(m, w)
    depositor = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
    for price in (price_usd(100), price_usd(90), price_usd(150), price_usd(300), price_usd(1_000),
                  price_usd(85)):
        await world.set_price(m.sol, price=price)
        p = await world.client.fetch_position(position_address(w, m))
        usdc = await world.client.fetch_custody(m.usdc.custody)
        sol = await world.client.fetch_custody(m.sol.custody)
        aum_min, aum_max = await aum_port(world, m, price)
        assert await world.client.get_assets_under_management(m.pool) == aum_min, price
        quote = await depositor.client.quote_add_liquidity(m.pool, m.usdc.custody, amount_in=1_000 * USDC,
                                                           funding_account=depositor.token_account,
                                                           lp_token_account=depositor.lp_account)
        fair = liquidity.compute_add_liquidity(1_000 * USDC, 6, at(price_usd(1)), aum_max, await world.lp_supply(m),
                                               0, 0)
        assert quote.lp_amount_out == fair.lp_amount_out, price
        # the exact claim of the one position: clamp(x, -c·P, L·P), each end in its mode's rounding
        x_hi = pnl_math.quantity_value_usd(p.quantity, price, Rounding.CEIL) - p.size_usd
        x_lo = pnl_math.quantity_value_usd(p.quantity, price, Rounding.FLOOR) - p.size_usd
        c_hi = at(price).token_to_usd(p.collateral_amount, 9, Rounding.CEIL)
        k_lo = at(price).token_to_usd(p.locked_amount, 9, Rounding.FLOOR)
        claim_lo = min(max(x_lo, -c_hi), k_lo)
        held = (usdc.assets.owned + at(price).token_to_usd(sol.assets.owned, 9, Rounding.FLOOR))
        # min mode never above what the pool holds net of the claim (the claim only rounds up)
        assert aum_min <= held - claim_lo, price
        held_hi = usdc.assets.owned + at(price).token_to_usd(sol.assets.owned, 9, Rounding.CEIL)
        claim_hi = min(max(x_hi, -at(price).token_to_usd(p.collateral_amount, 9, Rounding.FLOOR)),
                       at(price).token_to_usd(p.locked_amount, 9, Rounding.CEIL))
        assert aum_max >= held_hi - claim_hi, price
        if price == price_usd(300):
            # profit 2_000 USD (10 SOL bought at 100), within the 10 SOL lock (3_000 USD at 300);
            # the cap registered in USD at entry said 1_000
            assert claim_lo == 2_000 * USDC
            assert aum_min == held - 2_000 * USDC


async def test_an_asset_backed_short_is_refused_and_changes_nothing(world: World) -> None:
    m = await sol_market(world)
    w = await sol_trader(world, m)
    watched = [m.sol.custody, m.sol.vault, w.token_account, position_address(w, m, Side.SHORT)]
    await assert_rejected(errors.InvalidCollateralCustody, lambda: w.client.open_position(
        m.pool, m.sol.custody, m.sol.custody, Side.SHORT, price_limit=0, collateral_amount=COLLATERAL,
        size_usd=SIZE, funding_account=w.token_account), world.connection, watched)
    # a long on the USDC market with SOL collateral: volatile collateral of another custody
    await assert_rejected(errors.InvalidCollateralCustody, lambda: w.client.open_position(
        m.pool, m.usdc.custody, m.sol.custody, Side.LONG, price_limit=NO_LIMIT_LONG, collateral_amount=COLLATERAL,
        size_usd=SIZE, funding_account=w.token_account), world.connection,
        [m.sol.custody, m.usdc.custody, m.sol.vault, w.token_account])
    await vault_accounted(world, m)


async def test_the_liquidation_price_is_the_real_boundary_and_liquidation_pays_in_sol(world: World) -> None:
    m = await sol_market(world)
    w = await sol_trader(world, m)
    await open_backed(m, w)
    position = position_address(w, m)
    p = await world.client.fetch_position(position)
    view = await world.client.get_liquidation_price(position)
    v = await port_valuation(world, m, p, P0)
    assert view == pnl_math.liquidation_price(v.health, v.spread_bps, v.backing)
    # With the collateral fixed at its USD value now, the boundary would be lower: the fall in
    # price also shrinks the SOL collateral.
    assert view > pnl_math.liquidation_price(v.health, v.spread_bps)
    assert price_usd(80) < view < P0
    keeper = await world.new_wallet(m.sol)
    # The keeper's scan (raw Position bytes, `custody == collateral_custody`) agrees at both ticks.
    raw = (await world.connection.get_account_info(position)).value
    decoded = keeper_health.decode_position(position, bytes(raw.data))
    sol_custody = await world.client.fetch_custody(m.sol.custody)
    for price, liquidatable in ((view, False), (view - 1, True)):
        state = keeper_health.MarketState(sol_custody, at(price), at(price))
        h = keeper_health.evaluate(decoded, state, state, await world.now(), with_liquidation_price=True)
        assert (h.liquidatable, h.liquidation_price) == (liquidatable, view)
    await world.set_price(m.sol, price=view)
    assert not await world.client.get_liquidation_state(position)
    await assert_rejected(errors.PositionHealthy, lambda: keeper.client.liquidate(
        position, receiving_account=keeper.token_account), world.connection, [position, m.sol.custody])
    await world.set_price(m.sol, price=view - 1)
    assert await world.client.get_liquidation_state(position)
    sol = await world.client.fetch_custody(m.sol.custody)
    v = await port_valuation(world, m, p, view - 1)
    port = trade.compute_liquidation(
        trade.PositionState(Side.LONG, p.quantity, p.size_usd, p.collateral_amount, p.locked_amount), v.exit_price,
        v.interest_usd, sol.assets.insurance_fund, trade.CollateralCustody.from_custody(sol, at(view - 1),
                                                                                          at(view - 1)),
        trade.Market.from_custody(sol))
    ev = (await keeper.client.liquidate(position, receiving_account=keeper.token_account)).event(
        "PositionLiquidated").data
    assert await world.balance(keeper.token_account) == port.paid.reward_paid == ev.reward_paid
    assert (await world.connection.get_account_info(position)).value is None
    after = await world.client.fetch_custody(m.sol.custody)
    assert after.assets.collateral == 0 and after.long_positions.open_positions == 0
    assert after.long_positions.collateral_quantity == 0 and after.long_positions.max_profit_quantity == 0
    await vault_accounted(world, m)


async def test_every_change_of_an_asset_backed_long_keeps_its_aggregates_exact(world: World) -> None:
    """A limit order opens it, then increase, add and remove collateral, a partial decrease and a
    take-profit that closes it: after each step the SOL custody's token aggregates and books are
    exactly the position's registration (`aliased_registration` of its amounts), the USD aggregates
    hold nothing of it, and the vault holds its buckets (both copies of the aliased custody merged)."""
    from perp_pool.client import OrderKind
    from perp_pool.math.backing import aliased_registration
    from perp_pool.math.exposure import ExposureBook, Threshold, crossing

    m = await sol_market(world)
    w = await sol_trader(world, m)
    executor = await world.new_wallet(m.sol)
    position = position_address(w, m)

    async def check(open_: bool = True) -> None:
        sol = await world.client.fetch_custody(m.sol.custody)
        stats = sol.long_positions
        cap, bankruptcy = ExposureBook(), ExposureBook()
        if open_:
            p = await world.client.fetch_position(position)
            r = aliased_registration(Side.LONG, p.quantity, p.size_usd, p.collateral_amount, p.locked_amount, 9, 0)
            assert (p.exposure_cap_usd, p.exposure_max_profit_usd) == (r.cap_usd, 0)
            assert p.exposure_bankruptcy_usd >= r.bankruptcy_usd  # + interest owed at registration
            cap.add(crossing(Side.LONG, Threshold.CAP), r.cap_quantity, r.cap_usd)
            bankruptcy.add(crossing(Side.LONG, Threshold.BANKRUPTCY), r.bankruptcy_quantity,
                           p.exposure_bankruptcy_usd)
            assert (stats.collateral_quantity, stats.max_profit_quantity) == (
                r.collateral_quantity, r.max_profit_quantity)
            assert (stats.size_usd, stats.total_quantity, stats.locked_amount) == (
                p.size_usd, p.quantity, p.locked_amount)
            assert sol.assets.collateral == p.collateral_amount
        else:
            assert (stats.collateral_quantity, stats.max_profit_quantity, stats.size_usd) == (0, 0, 0)
        assert (stats.collateral_usd, stats.max_profit_usd) == (0, 0)
        assert ExposureBook.from_account(stats.cap_book) == cap
        assert ExposureBook.from_account(stats.bankruptcy_book) == bankruptcy
        await vault_accounted(world, m)

    placed = (await w.client.place_order(m.pool, m.sol.custody, m.sol.custody, Side.LONG, OrderKind.LIMIT,
                                         trigger_price=price_usd(95), price_limit=price_usd(95), size_usd=SIZE,
                                         funding_account=w.token_account, collateral_amount=COLLATERAL)
              ).event("OrderPlaced").data
    await check(open_=False)
    await world.set_price(m.sol, price=price_usd(94))
    await executor.client.execute_order(placed.order, executor_receiving_account=executor.token_account)
    await check()
    await w.client.increase_position(m.pool, m.sol.custody, m.sol.custody, Side.LONG, price_limit=NO_LIMIT_LONG,
                                     collateral_amount=SOL, size_usd=SIZE, funding_account=w.token_account)
    await check()
    await w.client.add_collateral(m.pool, m.sol.custody, m.sol.custody, Side.LONG, collateral_amount=SOL,
                                  funding_account=w.token_account)
    await check()
    await w.client.remove_collateral(m.pool, m.sol.custody, m.sol.custody, Side.LONG, collateral_usd=50 * USDC,
                                     receiving_account=w.token_account)
    await check()
    await w.client.decrease_position(m.pool, m.sol.custody, m.sol.custody, Side.LONG, price_limit=0,
                                     size_usd=SIZE // 2, receiving_account=w.token_account)
    await check()
    tp = (await w.client.place_order(m.pool, m.sol.custody, m.sol.custody, Side.LONG, OrderKind.TAKE_PROFIT,
                                     trigger_price=price_usd(120), price_limit=price_usd(120), size_usd=2**64 - 1,
                                     funding_account=w.token_account)).event("OrderPlaced").data
    await world.set_price(m.sol, price=price_usd(121))
    await executor.client.execute_order(tp.order, executor_receiving_account=executor.token_account,
                                        receiving_account=w.token_account)
    assert (await world.connection.get_account_info(position)).value is None
    await check(open_=False)


async def test_a_stop_loss_must_be_safe_with_the_collateral_valued_at_the_trigger(world: World) -> None:
    """5x asset-backed long at 100 (liquidation price about 84.32): a stop at 83 would be safe if
    the 1.99 SOL collateral kept its 199 USD, but at 83 it is worth 165: refused, nothing changed;
    a stop at 86 is accepted."""
    from perp_pool.client import OrderKind

    m = await sol_market(world)
    w = await sol_trader(world, m)
    await open_backed(m, w)
    view = await world.client.get_liquidation_price(position_address(w, m))
    assert price_usd(83) < view < price_usd(86)

    def stop(trigger: int):
        return w.client.place_order(m.pool, m.sol.custody, m.sol.custody, Side.LONG, OrderKind.STOP_LOSS,
                                    trigger_price=trigger, price_limit=0, size_usd=2**64 - 1,
                                    funding_account=w.token_account)
    await assert_rejected(errors.StopLossPastLiquidation, lambda: stop(price_usd(83)), world.connection,
                          [m.sol.custody, m.sol.vault, w.token_account, position_address(w, m)])
    await stop(price_usd(86))
    await vault_accounted(world, m)
