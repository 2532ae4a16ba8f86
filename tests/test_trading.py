"""Leveraged positions against the pool on the node: entry, exit, PnL, fees, locking, caps."""

from __future__ import annotations

from perp_pool import errors
from perp_pool.client import FeeConfig, PricingConfig
from perp_pool.math import borrow as borrow_math
from perp_pool.math import fees as fee_math
from perp_pool.math import pnl as pnl_math
from perp_pool.math.pricing import Side
from tests.helpers import USDC, Market, World, assert_rejected, new_market, price_usd

FEES = FeeConfig(open_position_bps=10, close_position_bps=10, protocol_share_bps=2_000, insurance_share_bps=1_000)
NO_LIMIT_LONG = 2**63  # accept any entry price
SOL = price_usd(150)  # 150 USD, PRICE_DECIMALS (the tests' oracle prices are PRICE_DECIMALS too)
# A position holds quantity = size * SCALE / price of the traded token (QUANTITY_DECIMALS = 12:
# SCALE = 10^(12 + PRICE_DECIMALS - USD_DECIMALS) = 10^15); every conversion is rounded against the trader.
SCALE = pnl_math.quantity_scale()
assert SCALE == 10**15


def long_quantity(size_usd: int, price: int) -> int:
    return size_usd * SCALE // price  # a long gets the quantity rounded down


def short_quantity(size_usd: int, price: int) -> int:
    return -(-size_usd * SCALE // price)  # a short owes the quantity rounded up


def long_value(quantity: int, price: int) -> int:
    return quantity * price // SCALE  # what a long sells for, rounded down


def short_value(quantity: int, price: int) -> int:
    return -(-quantity * price // SCALE)  # what a short buys back for, rounded up


async def trader(world: World, m: Market, usdc: int = 1_000 * USDC):
    return await world.new_wallet(m.usdc, tokens=usdc)


async def open_pos(world: World, m: Market, w, side: Side, collateral: int, size: int, limit: int | None = None):
    if limit is None:
        limit = NO_LIMIT_LONG if side is Side.LONG else 0
    return await w.client.open_position(m.pool, m.sol.custody, m.usdc.custody, side, price_limit=limit,
                                        collateral_amount=collateral, size_usd=size, funding_account=w.token_account)


async def close_pos(world: World, m: Market, w, side: Side):
    limit = 0 if side is Side.LONG else NO_LIMIT_LONG
    return await w.client.close_position(m.pool, m.sol.custody, m.usdc.custody, side, price_limit=limit,
                                         receiving_account=w.token_account)


async def vault_accounted(world: World, m: Market) -> None:
    c = await world.client.fetch_custody(m.usdc.custody)
    a = c.assets
    assert await world.balance(m.usdc.vault) == (a.owned + a.collateral + a.protocol_fees + a.insurance_fund
                                                 + a.escrow + a.stake_rewards)


async def test_open_long_charges_the_open_fee_from_collateral_and_locks_size(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    ev = (await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_000 * USDC)).event("PositionOpened").data
    fee = fee_math.bps_fee(1_000 * USDC, 10)
    assert ev.price == SOL  # no spread configured, spot == EMA
    assert ev.fee_amount == fee
    assert ev.collateral_amount == 100 * USDC - fee
    assert ev.locked_amount == 1_000 * USDC  # 1x max payoff of size, in USDC
    assert ev.quantity == long_quantity(1_000 * USDC, SOL) == 6_666_666_666_666  # 6.666666666666 SOL
    position = await world.client.fetch_position(m.position(w, Side.LONG))
    assert (position.size_usd, position.price, position.collateral_amount) == (1_000 * USDC, SOL, 100 * USDC - fee)
    assert position.quantity == ev.quantity
    assert await world.balance(w.token_account) == 900 * USDC
    await vault_accounted(world, m)


async def test_long_closed_at_a_profit_pays_collateral_plus_profit_minus_fees(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_000 * USDC)
    await world.set_price(m.sol, price=price_usd(165))  # +10 %
    ev = (await close_pos(world, m, w, Side.LONG)).event("PositionDecreased").data
    # 6.666666666666 SOL (the quantity rounded down at entry) sold at 165 is 1_099.999999 USD
    profit = long_value(long_quantity(1_000 * USDC, SOL), price_usd(165)) - 1_000 * USDC
    assert profit == 100 * USDC - 1
    assert ev.profit_usd == profit and ev.loss_usd == 0
    assert ev.quantity_delta == long_quantity(1_000 * USDC, SOL) and ev.quantity == 0
    assert ev.fee_usd == fee_math.bps_fee(1_000 * USDC, 10)
    expected_out = (100 * USDC - fee_math.bps_fee(1_000 * USDC, 10)) + profit - ev.fee_usd - ev.interest_usd
    assert ev.amount_out == expected_out
    assert await world.balance(w.token_account) == 900 * USDC + expected_out
    assert (await world.connection.get_account_info(m.position(w, Side.LONG))).value is None
    await vault_accounted(world, m)


async def test_long_closed_at_a_loss_pays_the_pool(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_000 * USDC)
    owned_before = (await world.client.fetch_custody(m.usdc.custody)).assets.owned
    await world.set_price(m.sol, price=price_usd("142.5"))  # -5 %
    ev = (await close_pos(world, m, w, Side.LONG)).event("PositionDecreased").data
    loss = 1_000 * USDC - long_value(long_quantity(1_000 * USDC, SOL), price_usd("142.5"))
    assert loss == 50 * USDC + 1  # the quantity and its value both rounded down
    assert ev.loss_usd == loss and ev.profit_usd == 0
    assert ev.amount_out == 100 * USDC - 2 * fee_math.bps_fee(1_000 * USDC, 10) - loss - ev.interest_usd
    owned_after = (await world.client.fetch_custody(m.usdc.custody)).assets.owned
    assert owned_after > owned_before  # the trader's loss is the LPs' gain
    await vault_accounted(world, m)


async def test_short_profits_when_the_price_falls(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    ev_open = (await open_pos(world, m, w, Side.SHORT, 100 * USDC, 500 * USDC)).event("PositionOpened").data
    assert ev_open.quantity == short_quantity(500 * USDC, SOL) == 3_333_333_333_334  # rounded up for a short
    await world.set_price(m.sol, price=price_usd(120))  # -20 %
    ev = (await close_pos(world, m, w, Side.SHORT)).event("PositionDecreased").data
    profit = 500 * USDC - short_value(ev_open.quantity, price_usd(120))
    assert profit == 100 * USDC - 1  # buying back 3.333333333334 SOL at 120 costs 400.000001 USD
    assert ev.profit_usd == profit
    await vault_accounted(world, m)


async def test_short_at_a_loss_when_the_price_rises(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.SHORT, 100 * USDC, 500 * USDC)
    await world.set_price(m.sol, price=price_usd(153))  # +2 %
    ev = (await close_pos(world, m, w, Side.SHORT)).event("PositionDecreased").data
    loss = short_value(short_quantity(500 * USDC, SOL), price_usd(153)) - 500 * USDC
    assert loss == 10 * USDC + 1
    assert ev.loss_usd == loss and ev.profit_usd == 0
    await vault_accounted(world, m)


async def test_short_profit_is_capped_at_the_locked_amount(world: World) -> None:
    pricing = PricingConfig(max_payoff_mult_bps=5_000)  # a short may win at most 50 % of its size
    m = await new_market(world, fees=FEES, pricing=pricing)
    w = await trader(world, m)
    ev_open = (await open_pos(world, m, w, Side.SHORT, 100 * USDC, 1_000 * USDC)).event("PositionOpened").data
    assert ev_open.locked_amount == 500 * USDC
    await world.set_price(m.sol, price=price_usd(30))  # -80 %: uncapped profit would be 800 USD
    ev = (await close_pos(world, m, w, Side.SHORT)).event("PositionDecreased").data
    assert ev.profit_usd == 500 * USDC
    await vault_accounted(world, m)


async def test_partial_decrease_realises_pnl_pro_rata(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 200 * USDC, 2_000 * USDC)
    await world.set_price(m.sol, price=price_usd("157.5"))  # +5 %
    ev = (await w.client.decrease_position(m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=0,
                                           size_usd=500 * USDC, receiving_account=w.token_account)
          ).event("PositionDecreased").data
    assert ev.size_delta_usd == 500 * USDC
    # The closed quarter gives back a quarter of the quantity (rounded down for a long) and is
    # valued at the exit price (rounded down): 5 % of 500 USD less a micro-dollar.
    quantity = long_quantity(2_000 * USDC, SOL)
    given_back = quantity * 500 // 2_000
    assert ev.quantity_delta == given_back and ev.quantity == quantity - given_back
    assert ev.profit_usd == long_value(given_back, price_usd("157.5")) - 500 * USDC == 25 * USDC - 1
    position = await world.client.fetch_position(m.position(w, Side.LONG))
    assert position.size_usd == 1_500 * USDC
    assert position.quantity == quantity - given_back == 10 * 10**12  # exactly 10 SOL left
    assert position.locked_amount == 1_500 * USDC
    assert position.price == SOL  # the average entry of 1_500 USD of 10 SOL
    await vault_accounted(world, m)


async def test_open_above_max_initial_leverage_is_refused(world: World) -> None:
    m = await new_market(world, fees=FEES, pricing=PricingConfig(max_initial_leverage_bps=100_000))  # 10x
    w = await trader(world, m)
    await assert_rejected(errors.MaxLeverageExceeded,
                          lambda: open_pos(world, m, w, Side.LONG, 100 * USDC, 1_100 * USDC),
                          world.connection, [m.usdc.custody, m.sol.custody, m.usdc.vault, w.token_account,
                                             m.position(w, Side.LONG)])


async def test_open_above_max_position_size_is_refused(world: World) -> None:
    m = await new_market(world, fees=FEES, pricing=PricingConfig(max_position_size_usd=500 * USDC))
    w = await trader(world, m)
    await assert_rejected(errors.MaxPositionSizeExceeded,
                          lambda: open_pos(world, m, w, Side.LONG, 100 * USDC, 501 * USDC),
                          world.connection, [m.usdc.custody, m.sol.custody, m.usdc.vault, w.token_account])


async def test_open_above_max_utilisation_is_refused(world: World) -> None:
    # 10_000 USDC of liquidity, 50 % utilisation cap: 5_001 USD of size cannot be locked.
    m = await new_market(world, liquidity=10_000 * USDC, fees=FEES,
                         pricing=PricingConfig(max_utilization=500_000_000))
    w = await trader(world, m, usdc=2_000 * USDC)
    await assert_rejected(errors.MaxUtilizationExceeded,
                          lambda: open_pos(world, m, w, Side.LONG, 1_000 * USDC, 5_100 * USDC),
                          world.connection, [m.usdc.custody, m.sol.custody, m.usdc.vault, w.token_account])


async def test_open_beyond_the_price_limit_is_refused(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await assert_rejected(errors.PriceSlippage,
                          lambda: open_pos(world, m, w, Side.LONG, 100 * USDC, 1_000 * USDC, limit=SOL - 1),
                          world.connection, [m.usdc.custody, m.sol.custody, m.usdc.vault, w.token_account])


async def test_open_at_a_stale_price_is_refused(world: World, node_ext) -> None:
    m = await new_market(world, fees=FEES)  # prices may be 3_600 s old
    w = await trader(world, m)
    # Publish times never go back: the SOL price goes stale by the clock moving past its age.
    node_ext.warp_clock(3_601)
    await world.set_price(m.usdc, price=price_usd(1))  # the collateral's price is fresh
    await assert_rejected(errors.StaleOraclePrice,
                          lambda: open_pos(world, m, w, Side.LONG, 100 * USDC, 1_000 * USDC),
                          world.connection, [m.usdc.custody, m.sol.custody, m.usdc.vault, w.token_account])


async def test_open_while_opening_is_paused_is_refused(world: World) -> None:
    from perp_pool.client import Permissions

    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await world.client.set_permissions(Permissions(allow_open_position=False))
    try:
        await assert_rejected(errors.InstructionNotAllowed,
                              lambda: open_pos(world, m, w, Side.LONG, 100 * USDC, 1_000 * USDC),
                              world.connection, [m.usdc.custody, m.sol.custody, m.usdc.vault, w.token_account])
    finally:
        await world.client.set_permissions(Permissions())


async def test_collateral_must_be_a_stable_custody(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)

    async def sol_collateral():
        return await w.client.open_position(m.pool, m.sol.custody, m.sol.custody, Side.LONG, price_limit=NO_LIMIT_LONG,
                                            collateral_amount=USDC, size_usd=10 * USDC,
                                            funding_account=w.token_account)

    await assert_rejected(errors.TransactionFailed, sol_collateral, world.connection,
                          [m.usdc.custody, m.sol.custody, w.token_account])


async def test_lp_price_moves_with_unrealised_trader_pnl(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_000 * USDC)
    before = await world.client.get_lp_token_price(m.pool)
    await world.set_price(m.sol, price=price_usd(165))  # traders up 100 USD: LPs down
    after_up = await world.client.get_lp_token_price(m.pool)
    await world.set_price(m.sol, price=price_usd(135))  # traders down 100 USD: LPs up
    after_down = await world.client.get_lp_token_price(m.pool)
    assert after_up < before < after_down


async def test_offchain_liquidation_price_matches_the_health_math(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)
    p = await world.client.fetch_position(m.position(w, Side.LONG))
    inputs = pnl_math.HealthInputs(Side.LONG, p.quantity, p.size_usd, p.collateral_amount, p.locked_amount,
                                   fee_math.bps_fee(p.size_usd, 10), 0, PricingConfig().max_leverage_bps)
    price = pnl_math.liquidation_price(inputs, 0)
    assert not pnl_math.is_liquidatable(inputs, price)
    assert pnl_math.is_liquidatable(inputs, price - 1)
    assert price_usd(130) < price < SOL


# ---- increase, collateral, borrow fees, views -------------------------------------------------

async def test_increase_at_a_new_price_weights_the_entry(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_000 * USDC)
    await world.set_price(m.sol, price=price_usd(200))
    ev = (await w.client.increase_position(m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=NO_LIMIT_LONG,
                                           collateral_amount=0, size_usd=1_000 * USDC,
                                           funding_account=w.token_account)).event("PositionIncreased").data
    # 2_000 USD bought at 150 and 200: 2_000 / (1_000/150 + 1_000/200) ~ 171.428571, from the
    # quantities (each rounded down for a long), the average rounded up for a long
    added = long_quantity(1_000 * USDC, price_usd(200))
    quantity = long_quantity(1_000 * USDC, SOL) + added
    assert (ev.entry_price, ev.quantity_delta, ev.quantity) == (price_usd(200), added, quantity)
    assert ev.size_usd == 2_000 * USDC
    # 2_000 USD / 11.666666666666 SOL = 171.4285714286..., rounded up to 10^-9 USD
    assert ev.price == -(-2_000 * USDC * SCALE // quantity) == 171_428_571_429
    position = await world.client.fetch_position(m.position(w, Side.LONG))
    assert position.price == ev.price and position.locked_amount == 2_000 * USDC
    assert position.quantity == quantity
    await vault_accounted(world, m)


async def test_add_then_remove_collateral_moves_tokens_exactly(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.SHORT, 100 * USDC, 1_000 * USDC)
    before = await world.balance(w.token_account)
    await w.client.add_collateral(m.pool, m.sol.custody, m.usdc.custody, Side.SHORT, collateral_amount=50 * USDC,
                                  funding_account=w.token_account)
    assert await world.balance(w.token_account) == before - 50 * USDC
    await w.client.remove_collateral(m.pool, m.sol.custody, m.usdc.custody, Side.SHORT, collateral_usd=30 * USDC,
                                     receiving_account=w.token_account)
    assert await world.balance(w.token_account) == before - 20 * USDC
    await vault_accounted(world, m)


async def test_remove_collateral_past_max_initial_leverage_is_refused(world: World) -> None:
    m = await new_market(world, fees=FEES, pricing=PricingConfig(max_initial_leverage_bps=200_000))  # 20x
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)  # ~15x
    await assert_rejected(errors.MaxLeverageExceeded,
                          lambda: w.client.remove_collateral(m.pool, m.sol.custody, m.usdc.custody, Side.LONG,
                                                             collateral_usd=40 * USDC,
                                                             receiving_account=w.token_account),
                          world.connection, [m.position(w, Side.LONG), m.usdc.custody, m.usdc.vault, w.token_account])


async def test_borrow_fee_accrues_with_time(world: World, node_ext) -> None:

    m = await new_market(world, liquidity=10_000 * USDC, fees=FEES)
    w = await trader(world, m, usdc=2_000 * USDC)
    await open_pos(world, m, w, Side.LONG, 500 * USDC, 4_000 * USDC)  # 40 % utilisation
    position = await world.client.fetch_position(m.position(w, Side.LONG))
    custody = await world.client.fetch_custody(m.usdc.custody)
    utilization = borrow_math.utilization(custody.assets.locked, custody.assets.owned)
    assert 399_000_000 < utilization < 400_000_000  # 4_000 of 10_000 (+ the LPs' fee share)
    rate = borrow_math.borrow_rate(utilization, 0, 80_000, 120_000, 800_000_000)
    assert custody.borrow_rate_state.current_rate == rate  # ~0.004 %/h
    node_ext.warp_clock(10 * 3_600)
    for f in (m.sol, m.usdc):
        await world.set_price(f, price=SOL if f is m.sol else price_usd(1))
    ev = (await close_pos(world, m, w, Side.LONG)).event("PositionDecreased").data
    assert ev.interest_usd == borrow_math.position_interest_usd(ev.cumulative_interest,
                                                                position.cumulative_interest_snapshot, 4_000 * USDC)
    # ten hours at ~0.004 %/h on 4_000 USD is ~1.6 USD (a few seconds more of real time may add a little)
    assert 1_590_000 <= ev.interest_usd <= 1_610_000
    await vault_accounted(world, m)


async def test_views_agree_with_the_offchain_math(world: World) -> None:
    m = await new_market(world, fees=FEES)
    w = await trader(world, m)
    quote = await world.client.get_entry_price_and_fee(m.pool, m.sol.custody, m.usdc.custody, Side.LONG,
                                                       collateral_amount=100 * USDC, size_usd=1_500 * USDC)
    assert quote.price == SOL and quote.fee_usd == fee_math.bps_fee(1_500 * USDC, 10)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_500 * USDC)
    position_key = m.position(w, Side.LONG)
    p = await world.client.fetch_position(position_key)
    state = (await world.client.fetch_custody(m.usdc.custody)).borrow_rate_state
    before = await world.now()
    onchain = await world.client.get_liquidation_price(position_key)
    after = await world.now()

    def offchain(now: int) -> int:
        # Interest accrues by the second, so the view's answer depends on the second it ran in.
        cumulative = borrow_math.accrued_cumulative_interest(state.cumulative_interest, state.current_rate,
                                                             state.last_update, now)
        interest = borrow_math.position_interest_usd(cumulative, p.cumulative_interest_snapshot, p.size_usd)
        inputs = pnl_math.HealthInputs(Side.LONG, p.quantity, p.size_usd, p.collateral_amount, p.locked_amount,
                                       fee_math.bps_fee(p.size_usd, 10), interest, PricingConfig().max_leverage_bps)
        return pnl_math.liquidation_price(inputs, 0)

    assert onchain in {offchain(t) for t in range(before, after + 1)}
    await world.set_price(m.sol, price=price_usd(160))
    pnl = await world.client.get_pnl(position_key)
    assert (pnl.profit_usd, pnl.loss_usd) == (100 * USDC, 0)
    prices = await world.client.get_oracle_price(m.pool, m.sol.custody)
    assert prices.spot == price_usd(160)
    assert await world.client.get_liquidation_state(position_key) is False
