"""Trigger orders on the node (docs/trigger-orders.md): each kind on each side, partial TP/SL, cancel,
the executor fee, two racing keepers, a stale oracle, void orders, the views, bad input."""

from __future__ import annotations

import asyncio
import struct

import pytest

from perp_pool import errors
from perp_pool.client import OrderKind, PerpPoolClient
from perp_pool.constants import DEFAULT_EXECUTOR_FEE_USD, DEFAULT_MAX_ORDERS_PER_OWNER
from perp_pool.keeper.liquidator import LiquidationKeeper
from perp_pool.math.fixed import U64_MAX
from perp_pool.math.pricing import Side
from perp_pool.tokens import ensure_ata
from tests.helpers import USDC, Market, World, assert_rejected, new_market, price_usd
from tests.test_trading import open_pos, trader

FEE = DEFAULT_EXECUTOR_FEE_USD  # USDC at 1 USD: the escrowed fee in base units
ANY_LONG_EXIT, ANY_SHORT_EXIT = 0, U64_MAX


async def keeper_for(world: World, m: Market) -> LiquidationKeeper:
    kp = await world.funded_keypair()
    await ensure_ata(world.client.transport, kp.pubkey(), m.usdc.mint)
    return LiquidationKeeper(PerpPoolClient(world.connection, kp), m.pool, poll_interval=0.1, execute_orders=True)


async def run_orders(keeper: LiquidationKeeper) -> None:
    """One keeper scan, its orders executed (or removed) and confirmed."""
    scan = await keeper.scan_once()
    assert keeper.orders is not None and scan.orders is not None
    keeper.orders.dispatch(scan.orders)
    await keeper.orders.drain()


async def place(w, m: Market, side: Side, kind: OrderKind, trigger: int, *, size: int = U64_MAX,
                collateral: int = 0, limit: int | None = None):
    if limit is None:
        limit = {OrderKind.STOP_LOSS: ANY_LONG_EXIT if side is Side.LONG else ANY_SHORT_EXIT}.get(kind, trigger)
    result = await w.client.place_order(m.pool, m.sol.custody, m.usdc.custody, side, kind, trigger_price=trigger,
                                        price_limit=limit, size_usd=size, funding_account=w.token_account,
                                        collateral_amount=collateral)
    return result.event("OrderPlaced").data


async def escrow_accounted(world: World, m: Market) -> None:
    """The vault holds its five buckets, and the escrow is exactly what the open orders hold."""
    a = (await world.client.fetch_custody(m.usdc.custody)).assets
    assert await world.balance(m.usdc.vault) == (a.owned + a.collateral + a.protocol_fees + a.insurance_fund
                                                 + a.escrow + a.stake_rewards)
    orders = await world.client.get_orders(pool=m.pool)
    assert a.escrow == sum(o.collateral_amount + o.executor_fee for o in orders)


# (kind, side, trigger, the price that reaches it); the position (if any) is 1_500 USD at 150.
CASES = {
    "tp_long": (OrderKind.TAKE_PROFIT, Side.LONG, 160, 161),
    "tp_short": (OrderKind.TAKE_PROFIT, Side.SHORT, 140, 139),
    "sl_long": (OrderKind.STOP_LOSS, Side.LONG, 145, 144),
    "sl_short": (OrderKind.STOP_LOSS, Side.SHORT, 155, 156),
    "limit_long": (OrderKind.LIMIT, Side.LONG, 145, 144),
    "limit_short": (OrderKind.LIMIT, Side.SHORT, 155, 156),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_the_keeper_executes_each_order_kind_on_each_side_when_reached(world: World, case) -> None:
    kind, side, trigger, reached = case
    m = await new_market(world)
    w = await trader(world, m)
    if kind is not OrderKind.LIMIT:
        await open_pos(world, m, w, side, 100 * USDC, 1_500 * USDC)
    placed = await place(w, m, side, kind, price_usd(trigger), size=1_000 * USDC if kind is OrderKind.LIMIT
                         else U64_MAX, collateral=100 * USDC if kind is OrderKind.LIMIT else 0)
    assert placed.executor_fee == FEE
    await escrow_accounted(world, m)
    keeper = await keeper_for(world, m)
    await run_orders(keeper)  # not reached yet
    assert keeper.orders is not None and keeper.orders.landed == []
    await world.set_price(m.sol, price=price_usd(reached))
    await run_orders(keeper)
    assert keeper.orders.landed == [placed.order]
    assert await world.balance(await keeper.orders.payout.for_mint(m.usdc.mint)) == FEE
    position = (await world.connection.get_account_info(m.position(w, side))).value
    assert (position is None) == (kind is not OrderKind.LIMIT)  # TP/SL closed it all, a limit opened it
    await escrow_accounted(world, m)


async def test_a_partial_take_profit_then_the_stop_loss_closes_the_rest(world: World) -> None:
    m = await new_market(world)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)
    await place(w, m, Side.LONG, OrderKind.TAKE_PROFIT, price_usd(155), size=600 * USDC)
    await place(w, m, Side.LONG, OrderKind.STOP_LOSS, price_usd(146))
    keeper = await keeper_for(world, m)
    await world.set_price(m.sol, price=price_usd(156))
    await run_orders(keeper)
    assert (await world.client.fetch_position(m.position(w, Side.LONG))).size_usd == 900 * USDC
    await world.set_price(m.sol, price=price_usd(145))
    await run_orders(keeper)
    assert (await world.connection.get_account_info(m.position(w, Side.LONG))).value is None
    assert keeper.orders is not None and len(keeper.orders.landed) == 2
    await escrow_accounted(world, m)


async def test_cancel_refunds_the_whole_escrow(world: World) -> None:
    m = await new_market(world)
    w = await trader(world, m)
    before = await world.balance(w.token_account)
    placed = await place(w, m, Side.LONG, OrderKind.LIMIT, price_usd(140), size=1_000 * USDC, collateral=50 * USDC)
    assert before - await world.balance(w.token_account) == 50 * USDC + FEE
    ev = (await w.client.cancel_order(placed.order, receiving_account=w.token_account)).event("OrderCancelled").data
    assert (ev.refunded, ev.void, ev.executor_fee_paid) == (50 * USDC + FEE, False, 0)
    assert await world.balance(w.token_account) == before
    assert await w.client.get_orders(owner=w.pubkey) == []
    await escrow_accounted(world, m)


async def test_two_racing_keepers_execute_each_order_once(world: World) -> None:
    m = await new_market(world)
    traders = [await trader(world, m) for _ in range(4)]
    for w in traders:
        await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_000 * USDC)
        await place(w, m, Side.LONG, OrderKind.STOP_LOSS, price_usd(146))
    await world.set_price(m.sol, price=price_usd(145))
    a, b = await keeper_for(world, m), await keeper_for(world, m)
    scan_a, scan_b = await a.scan_once(), await b.scan_once()
    assert a.orders is not None and b.orders is not None and scan_a.orders and scan_b.orders
    assert len(scan_a.orders.executable) == len(scan_b.orders.executable) == 4
    a.orders.dispatch(scan_a.orders)
    b.orders.dispatch(scan_b.orders)
    await asyncio.gather(a.orders.drain(), b.orders.drain())
    assert len(a.orders.landed) + len(b.orders.landed) == 4
    assert set(a.orders.landed).isdisjoint(b.orders.landed)
    lost = a.orders.metrics.lost_race._value.get() + b.orders.metrics.lost_race._value.get()
    assert lost == 8 - 4  # the loser of each race counts it as already done
    assert a.orders.metrics.failed._value.get() == b.orders.metrics.failed._value.get() == 0
    fees = [await world.balance(await k.orders.payout.for_mint(m.usdc.mint)) for k in (a, b) if k.orders]
    assert sum(fees) == 4 * FEE
    await escrow_accounted(world, m)


async def test_a_stale_oracle_refuses_execution_and_the_keeper_waits(world: World, node_ext) -> None:
    m = await new_market(world)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)
    placed = await place(w, m, Side.LONG, OrderKind.TAKE_PROFIT, price_usd(155))
    await world.set_price(m.sol, price=price_usd(156))
    node_ext.warp_clock(3_601)  # past the market's max_price_age_sec
    keeper = await keeper_for(world, m)
    scan = await keeper.scan_once()
    assert keeper.orders is not None and scan.orders is not None and scan.orders.executable == []
    fee_account = await keeper.orders.payout.for_mint(m.usdc.mint)
    ix = await keeper.client.build_execute_order_ix(placed.order, executor_receiving_account=fee_account)
    await assert_rejected(errors.StaleOraclePrice, lambda: keeper.client.send([ix]), world.connection,
                          [placed.order, m.usdc.vault, m.usdc.custody, m.position(w, Side.LONG)])


async def test_the_keeper_removes_void_orders_for_the_fee(world: World) -> None:
    m = await new_market(world)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)
    placed = await place(w, m, Side.LONG, OrderKind.TAKE_PROFIT, price_usd(170))
    await w.client.close_position(m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=0,
                                  receiving_account=w.token_account)
    assert (await world.client.get_order_state(placed.order)).void
    keeper = await keeper_for(world, m)
    await run_orders(keeper)
    assert keeper.orders is not None and keeper.orders.removed == [placed.order]
    assert await world.balance(await keeper.orders.payout.for_mint(m.usdc.mint)) == FEE
    await escrow_accounted(world, m)


async def test_views_list_an_owners_orders_and_say_which_are_executable(world: World) -> None:
    m = await new_market(world)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.SHORT, 100 * USDC, 1_500 * USDC)
    tp = await place(w, m, Side.SHORT, OrderKind.TAKE_PROFIT, price_usd(140), size=500 * USDC)
    sl = await place(w, m, Side.SHORT, OrderKind.STOP_LOSS, price_usd(155))
    orders = await world.client.get_orders(owner=w.pubkey, pool=m.pool)
    assert [(o.address, o.kind, o.index) for o in orders] == [(tp.order, OrderKind.TAKE_PROFIT, 0),
                                                             (sl.order, OrderKind.STOP_LOSS, 1)]
    await world.set_price(m.sol, price=price_usd(139))
    tp_state, sl_state = [await world.client.get_order_state(o) for o in orders]
    assert (tp_state.executable, tp_state.price, sl_state.executable) == (True, price_usd(139), False)


async def test_bad_orders_are_refused_by_name_and_change_nothing(world: World) -> None:
    m = await new_market(world)
    w, stranger = await trader(world, m), await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)
    placed = await place(w, m, Side.LONG, OrderKind.STOP_LOSS, price_usd(145))
    watched = [m.usdc.vault, m.usdc.custody, w.token_account, placed.order]
    args = (m.pool, m.sol.custody, m.usdc.custody, Side.LONG)

    def placing(kind: OrderKind, trigger: int, size: int, index: int | None = None):
        return lambda: w.client.place_order(*args, kind, trigger_price=price_usd(trigger), price_limit=0,
                                            size_usd=size, funding_account=w.token_account, index=index)

    await assert_rejected(errors.InvalidTriggerPrice, placing(OrderKind.TAKE_PROFIT, 149, U64_MAX), world.connection,
                          watched)
    await assert_rejected(errors.StopLossPastLiquidation, placing(OrderKind.STOP_LOSS, 140, U64_MAX),
                          world.connection, watched)
    await assert_rejected(errors.ZeroAmount, placing(OrderKind.TAKE_PROFIT, 160, 0), world.connection, watched)
    await assert_rejected(errors.TooManyOrders, placing(OrderKind.TAKE_PROFIT, 160, U64_MAX,
                                                        DEFAULT_MAX_ORDERS_PER_OWNER), world.connection, watched)
    cancel = await stranger.client.build_cancel_order_ix(placed.order, receiving_account=stranger.token_account)
    await assert_rejected(errors.Unauthorized, lambda: stranger.client.send([cancel]), world.connection, watched)
    edit = await stranger.client.build_edit_order_ix(placed.order, trigger_price=price_usd(146), price_limit=0,
                                                     size_usd=U64_MAX)
    await assert_rejected(errors.Unauthorized, lambda: stranger.client.send([edit]), world.connection, watched)
    execute = await stranger.client.build_execute_order_ix(placed.order,
                                                           executor_receiving_account=stranger.token_account)
    await assert_rejected(errors.OrderNotTriggered, lambda: stranger.client.send([execute]), world.connection,
                          watched)


async def test_a_vault_short_of_its_buckets_refuses_an_order(world: World, node_ext) -> None:
    """The escrow is the vault check's fifth bucket: placing an order moves tokens and is checked."""
    m = await new_market(world)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)
    info = (await world.connection.get_account_info(m.usdc.vault)).value
    data = bytearray(bytes(info.data))
    (amount,) = struct.unpack_from("<Q", data, 64)  # SPL token account: mint, owner, then the amount
    struct.pack_into("<Q", data, 64, amount - 1)
    node_ext.set_account(str(m.usdc.vault), lamports=info.lamports, data=bytes(data), owner=str(info.owner))
    await assert_rejected(errors.VaultBalanceMismatch,
                          lambda: place(w, m, Side.LONG, OrderKind.STOP_LOSS, price_usd(145)), world.connection,
                          [m.usdc.vault, m.usdc.custody, w.token_account])


async def test_a_stop_loss_at_the_edge_of_liquidation_beats_the_liquidator_on_a_falling_path(world: World) -> None:
    """A 15x long (liquidatable below an exit of about 141.8) with its stop at 142: walking the price
    down 0.5 USD a scan, the keeper executes the stop and never liquidates the position."""
    m = await new_market(world)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)
    liquidation = await world.client.get_liquidation_price(m.position(w, Side.LONG))
    assert price_usd(141) < liquidation < price_usd(142)
    await place(w, m, Side.LONG, OrderKind.STOP_LOSS, price_usd(142))
    keeper = await keeper_for(world, m)
    for tenth in range(1_495, 1_380, -5):
        await world.set_price(m.sol, price=price_usd(tenth) // 10)
        scan = await keeper.scan_once()
        keeper.dispatch(scan.liquidatable, scan.capped)
        await keeper.drain()
        assert keeper.orders is not None and scan.orders is not None
        keeper.orders.dispatch(scan.orders)
        await keeper.orders.drain()
    assert keeper.landed == [] and keeper.orders is not None and len(keeper.orders.landed) == 1
    assert (await world.connection.get_account_info(m.position(w, Side.LONG))).value is None


async def test_a_stop_on_a_liquidatable_position_is_refused_and_the_liquidator_takes_it(world: World) -> None:
    """The price gaps from above the stop to below the liquidation price in one update: executing the
    stop then would pay the owner the margin a liquidation gives the LPs, so it is refused by name
    (PositionLiquidatable) with nothing changed, and the keeper liquidates the position."""
    m = await new_market(world)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)  # liquidatable below ~141.8
    placed = await place(w, m, Side.LONG, OrderKind.STOP_LOSS, price_usd(142))
    await world.set_price(m.sol, price=price_usd(139))
    stranger = await world.new_wallet(m.usdc)
    position = m.position(w, Side.LONG)
    watched = [position, placed.order, m.usdc.custody, m.sol.custody, m.usdc.vault, w.token_account,
               stranger.token_account]
    await assert_rejected(errors.PositionLiquidatable,
                          lambda: stranger.client.execute_order(placed.order,
                                                                executor_receiving_account=stranger.token_account,
                                                                receiving_account=w.token_account),
                          world.connection, watched)
    keeper = await keeper_for(world, m)
    scan = await keeper.scan_once()
    assert [p.address for p in scan.liquidatable] == [position]
    keeper.dispatch(scan.liquidatable, scan.capped)
    await keeper.drain()
    assert keeper.landed == [position]
