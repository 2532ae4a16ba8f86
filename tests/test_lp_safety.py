"""LP capital safety (issue 8): one named regression test per finding of the review, on the node.

Each test asserts the exact on-chain outcome (token balances, account fields, named errors) of a
sequence that leaked LP value on the program before issue 8; its docstring names the assertion
the old rule breaks. docs/design.md "# LP capital safety (issue 8)" states the rules tested here.
"""

from __future__ import annotations

from typing import Any

from perp_pool import errors
from perp_pool.client import (
    DEFAULT_LIQUIDITY_SLIPPAGE_BPS,
    FeeConfig,
    min_out_after_slippage,
)
from perp_pool.constants import DEAD_LP_SUPPLY, HOUR_SECONDS, PRICE_DECIMALS, RATE_POWER
from perp_pool.localnet import NodeExtensions
from perp_pool.math import borrow as borrow_math
from perp_pool.math import pnl as pnl_math
from perp_pool.math.fixed import Rounding, mul_div
from perp_pool.math.pricing import Side
from perp_pool.tokens import ensure_ata, mint_tokens
from tests.helpers import (
    USDC,
    Wallet,
    World,
    assert_rejected,
    market_deposit,
    new_market,
    price_usd,
)
from tests.lp_safety_support import (
    NO_INTEREST,
    ONE_USD,
    assert_vault_accounted,
    aum,
    close_ix,
    close_position,
    increase,
    open_ix,
    open_position,
    refresh_prices,
)

# ---- F1: short increases create no profit ------------------------------------------------------

F1_PRICE = 100_000 * ONE_USD  # 100,000 USD per token (PRICE_DECIMALS)
F1_FEES = FeeConfig(open_position_bps=10, close_position_bps=10, protocol_share_bps=2_000, insurance_share_bps=1_000)


async def test_f1_short_dust_increases_create_no_profit(world: World) -> None:
    """50 increases of 0.09 USD on a 1,000 USD short at 100,000 USD, then a close at the same price.

    Old rule (quantity floor(size*10^6/price), entry re-derived as size / Σ floored quantities):
    each increase added 0 quantity and raised the short's entry ~0.009 %, so the close paid
    ~+4.5 USD of profit; `ev.profit_usd == 0` and `final < initial` both fail on it.
    """
    m = await new_market(world, sol_price=F1_PRICE, fees=F1_FEES, borrow_rate=NO_INTEREST)
    initial = 1_000 * USDC
    w = await world.new_wallet(m.usdc, tokens=initial)
    delta = 90_000  # 0.09 USD
    # The old rule: quantity floor(delta * 10^6 / price) with prices at 6 decimals floored to 0.
    old_price = F1_PRICE // 10 ** (PRICE_DECIMALS - 6)
    assert delta * 10**6 // old_price == 0
    opened = (await open_position(w, m, Side.SHORT, 100 * USDC, 1_000 * USDC)).event("PositionOpened").data
    assert opened.quantity == pnl_math.entry_quantity(Side.SHORT, 1_000 * USDC, F1_PRICE)

    increases = 50
    quantity_deltas, fees_paid = [], [opened.fee_amount]
    for _ in range(increases):
        ev = (await increase(w, m, Side.SHORT, 0, delta)).event("PositionIncreased").data
        # Each increase adds the quantity of its size, rounded against the short (ceil), never 0.
        assert ev.quantity_delta == pnl_math.entry_quantity(Side.SHORT, delta, F1_PRICE) > 0
        quantity_deltas.append(ev.quantity_delta)
        fees_paid.append(ev.fee_amount)

    position = await world.client.fetch_position(m.position(w, Side.SHORT))
    size = 1_000 * USDC + increases * delta
    assert position.size_usd == size
    assert position.quantity == opened.quantity + sum(quantity_deltas)
    assert position.price == pnl_math.average_entry_price(Side.SHORT, size, position.quantity) == F1_PRICE

    closed = (await close_position(w, m, Side.SHORT)).event("PositionDecreased").data
    assert closed.exit_price == F1_PRICE
    assert (closed.profit_usd, closed.loss_usd) == (0, 0)  # old program: profit_usd ~ 4_500_000
    assert closed.quantity_delta == position.quantity
    fees_paid.append(closed.fee_usd)  # USDC at 1 USD: tokens == micro-USD
    final = await world.balance(w.token_account)
    assert final == initial - sum(fees_paid)
    assert final < initial
    await assert_vault_accounted(world, m.usdc)


async def test_f1_increase_that_buys_no_quantity_is_refused(world: World) -> None:
    """A long at 2,000,000 USD increased by 1 micro-USD buys floor(10^15 / 2*10^15) = 0 quantity:
    refused with NoExposureChange, nothing changes (the old program had no such error and accepted it)."""
    price = 2_000_000 * ONE_USD
    m = await new_market(world, sol_price=price, fees=F1_FEES, borrow_rate=NO_INTEREST)
    w = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
    await open_position(w, m, Side.LONG, 100 * USDC, 1_000 * USDC)
    assert pnl_math.entry_quantity(Side.LONG, 1, price) == 0
    await assert_rejected(errors.NoExposureChange, lambda: increase(w, m, Side.LONG, 0, 1), world.connection,
                          [m.position(w, Side.LONG), m.usdc.custody, m.sol.custody, m.usdc.vault, w.token_account])


async def test_f1_ten_x_long_on_a_token_at_two_hundred_thousandths_of_a_usd(world: World) -> None:
    """A 1,000 USD long with 100 USDC (10x) on a token at 0.00002 USD (oracle 2, expo -5): 20_000
    units of 10^-9 USD, so its liquidation price lies strictly between 0 and the entry; it opens,
    is valued and closes exactly.

    Old rule (PRICE_DECIMALS = 6): the price was 20 units of 10^-6 USD, every tick 5 %; the
    liquidation price below rounded up to 19 (5 % down instead of 8.8 %) and `== 18_240` fails.
    """
    m = await new_market(world, fees=F1_FEES, borrow_rate=NO_INTEREST)
    await world.set_price(m.sol, price=2, expo=-5)
    entry = price_usd("0.00002")
    assert entry == 20_000
    w = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
    opened = (await open_position(w, m, Side.LONG, 100 * USDC, 1_000 * USDC)).event("PositionOpened").data
    assert opened.price == entry  # no spread, spot == EMA
    assert opened.quantity == pnl_math.entry_quantity(Side.LONG, 1_000 * USDC, entry) == 50_000_000 * 10**12
    assert opened.collateral_amount == 99 * USDC  # 100 less the 10 bps open fee
    position_key = m.position(w, Side.LONG)

    # 100x maintenance: equity 99 - 1 (close fee) + value - 1_000 USD must stay >= 10 USD, so the
    # 5 * 10^7 tokens must be worth 912 USD: P >= 912 / (5 * 10^7) USD = 0.00001824 USD = 18_240.
    liquidation = await world.client.get_liquidation_price(position_key)
    assert liquidation == 18_240
    assert 0 < liquidation < entry
    await world.set_price(m.sol, price=liquidation)
    assert await world.client.get_liquidation_state(position_key) is False
    await world.set_price(m.sol, price=liquidation - 1)
    assert await world.client.get_liquidation_state(position_key) is True

    # Valued at +5 % (0.000021 USD, another exponent): 50 USD of profit.
    await world.set_price(m.sol, price=21, expo=-6)
    pnl = await world.client.get_pnl(position_key)
    assert (pnl.profit_usd, pnl.loss_usd) == (50 * USDC, 0)
    assert (await world.client.get_exit_price_and_fee(position_key)).price == 21_000

    closed = (await close_position(w, m, Side.LONG)).event("PositionDecreased").data
    assert (closed.exit_price, closed.profit_usd, closed.loss_usd) == (21_000, 50 * USDC, 0)
    assert closed.amount_out == 99 * USDC + 50 * USDC - USDC  # collateral + profit - close fee
    assert await world.balance(w.token_account) == 1_000 * USDC - 100 * USDC + closed.amount_out
    assert (await world.connection.get_account_info(position_key)).value is None
    await assert_vault_accounted(world, m.usdc)


# ---- F2: interest does not depend on the accrual schedule --------------------------------------

async def test_f2_interest_independent_of_accrual_schedule(world: World, node_ext: NodeExtensions) -> None:
    """Two identical markets, the same 2 % utilisation long opened and closed in the same
    transactions; `update_pool_aum` runs on market A every ~second, then every 2,999 s for 10 h,
    and never on market B.

    Old rule (index += floor(rate * dt / 3600), remainder dropped): at ~2,000 (RATE_DECIMALS)/h a
    one-second accrual adds 0, so A's index falls behind B's; `index_a == index_b` and
    `interest_a == interest_b == ceil(rate*elapsed*size/(RATE_POWER*3600)) > 0` fail on it.
    """
    fees = FeeConfig()
    ma = await new_market(world, fees=fees)
    mb = await new_market(world, fees=fees)
    w = await world.new_wallet(ma.usdc, tokens=1_000 * USDC)
    b_account = await ensure_ata(world.client.transport, w.pubkey, mb.usdc.mint)
    await mint_tokens(world.client.transport, mb.usdc.mint, b_account, 1_000 * USDC)
    wb = Wallet(w.keypair, w.client, b_account, w.lp_account)
    size = 2_000 * USDC

    result = await w.client.send([await open_ix(w, ma, Side.LONG, 200 * USDC, size),
                                  await open_ix(wb, mb, Side.LONG, 200 * USDC, size)])
    opened_a, opened_b = [e.data for e in result.events if e.name == "PositionOpened"]
    rate = opened_a.borrow_rate
    assert rate == opened_b.borrow_rate and opened_a.time == opened_b.time
    assert opened_a.cumulative_interest == opened_b.cumulative_interest
    custody = await world.client.fetch_custody(ma.usdc.custody)
    utilization = borrow_math.utilization(custody.assets.locked, custody.assets.owned)
    assert 10_000_000 <= utilization <= 30_000_000  # 1-3 %
    assert 0 < rate < HOUR_SECONDS  # old per-second accrual: floor(rate * 1 / 3600) == 0

    prices = [(ma.usdc, ONE_USD), (ma.sol, price_usd(150)), (mb.usdc, ONE_USD), (mb.sol, price_usd(150))]
    for _ in range(30):  # about one accrual per second
        node_ext.warp_clock(1)
        await world.client.update_pool_aum(ma.pool)
    for _ in range(12):  # ten hours in uneven steps
        node_ext.warp_clock(2_999)
        await refresh_prices(world, prices)
        await world.client.update_pool_aum(ma.pool)
    state_a = (await world.client.fetch_custody(ma.usdc.custody)).borrow_rate_state
    assert state_a.cumulative_interest == opened_a.cumulative_interest + rate * (
        state_a.last_update - opened_a.time)
    assert state_a.current_rate == rate

    await refresh_prices(world, prices)
    result = await w.client.send([await close_ix(w, ma, Side.LONG), await close_ix(wb, mb, Side.LONG)])
    closed_a, closed_b = [e.data for e in result.events if e.name == "PositionDecreased"]
    assert closed_a.time == closed_b.time
    expected_index = opened_a.cumulative_interest + rate * (closed_a.time - opened_a.time)
    assert closed_a.cumulative_interest == closed_b.cumulative_interest == expected_index
    expected_interest = mul_div(expected_index - opened_a.cumulative_interest, size, RATE_POWER * HOUR_SECONDS,
                                Rounding.CEIL)
    assert closed_a.interest_usd == closed_b.interest_usd == expected_interest
    assert expected_interest > 0  # charged at 2 % utilisation
    for m in (ma, mb):
        state = (await world.client.fetch_custody(m.usdc.custody)).borrow_rate_state
        assert state.cumulative_interest == expected_index
        await assert_vault_accounted(world, m.usdc)
    assert await world.balance(w.token_account) == await world.balance(b_account)


# ---- F3: first-depositor LP share inflation ---------------------------------------------------

# No deposit fee (so a deposit adds exactly its value to the AUM), a 1 % withdrawal fee.
F3_FEES = FeeConfig(add_liquidity_bps=0, remove_liquidity_bps=100, protocol_share_bps=2_000,
                    open_position_bps=10, close_position_bps=10, insurance_share_bps=0)


async def test_f3_first_depositor_cannot_inflate_lp_price(world: World) -> None:
    """The first depositor keeps 1 LP base unit, leaves a 1 % withdrawal fee and a trading loss in
    the pool (donations to the LPs), then a victim deposits 1,500 USDC.

    Old rule (no dead shares): the attacker's 1 unit was the whole supply, worth ~100 USD, and the
    victim's LP rounded down to whole such units; `supply == DEAD_LP_SUPPLY + 1`, `unit_price < 200`
    and the victim's `loss <= unit_price + 1` micro-USD fail on it.
    """
    m = await new_market(world, liquidity=0, fees=F3_FEES, borrow_rate=NO_INTEREST)
    attacker = await world.new_wallet(m.usdc, tokens=20_000 * USDC)
    first = await market_deposit(world, m, attacker, 10_000 * USDC)
    ev = first.event("LiquidityAdded").data
    deposit_usd = 10_000 * USDC
    assert ev.deposit_usd == deposit_usd
    assert (ev.lp_amount_out, ev.dead_lp_amount) == (deposit_usd - DEAD_LP_SUPPLY, DEAD_LP_SUPPLY)
    assert await world.balance(attacker.lp_account) == deposit_usd - DEAD_LP_SUPPLY
    assert (await world.client.fetch_pool(m.pool)).dead_lp_supply == DEAD_LP_SUPPLY
    assert await world.lp_supply(m) == deposit_usd

    # All but one unit out (the LP cooldown is 0 s: the next slot), the 1 % fee stays with the LPs.
    await world.after_slot(first.slot)
    await world.withdraw(m.usdc, attacker, deposit_usd - DEAD_LP_SUPPLY - 1)
    assert await world.balance(attacker.lp_account) == 1
    # A trade lost to the pool on purpose: the pool can lock ~90 % of what it owns.
    opened = (await open_position(attacker, m, Side.LONG, 50 * USDC, 50 * USDC)).event("PositionOpened").data
    await world.set_price(m.sol, price=price_usd(90))  # -40 %
    lost = (await close_position(attacker, m, Side.LONG)).event("PositionDecreased").data
    # 20 USD, plus the micro-USD the floored quantity and value cost the long.
    assert lost.loss_usd == pnl_math.position_pnl(Side.LONG, opened.quantity, price_usd(90), 50 * USDC).loss_usd
    assert lost.loss_usd == 20 * USDC + 1
    await world.set_price(m.sol, price=price_usd(150))

    supply = await world.lp_supply(m)
    assert supply == DEAD_LP_SUPPLY + 1
    aum_before = await aum(world, m.pool)  # min == max: no spread, no confidence, no positions
    assert aum_before > 90 * USDC  # ~100 USD of donations behind 1_000_001 units
    unit_price = -(-aum_before // supply)  # ceil: what one LP base unit is worth, micro-USD
    assert unit_price < 200  # old program: the whole AUM, ~100_000_000

    victim = await world.new_wallet(m.usdc, tokens=1_500 * USDC)
    res = await world.deposit(m.usdc, victim, 1_500 * USDC)
    dep = res.event("LiquidityAdded").data
    assert dep.dead_lp_amount == 0
    assert dep.aum_max_usd == aum_before
    assert dep.lp_amount_out == mul_div(dep.deposit_usd, supply, aum_before, Rounding.FLOOR)
    aum_after = await aum(world, m.pool)
    assert aum_after == aum_before + dep.deposit_usd == aum_before + 1_500 * USDC
    supply_after = await world.lp_supply(m)
    assert supply_after == supply + dep.lp_amount_out
    redeemable = mul_div(dep.lp_amount_out, aum_after, supply_after, Rounding.FLOOR)
    loss = dep.deposit_usd - redeemable
    assert 0 <= loss <= unit_price + 1  # old program: up to one unit, ~100 USD

    await world.after_slot(res.slot)
    out = (await world.withdraw(m.usdc, victim, dep.lp_amount_out)).event("LiquidityRemoved").data
    assert out.withdraw_usd == redeemable
    # The attacker paid ~100 USD of withdrawal fee and ~20 USD of loss; its unit is worth ~unit_price.
    assert await world.balance(attacker.token_account) + unit_price < 20_000 * USDC - 100 * USDC
    await assert_vault_accounted(world, m.usdc)


async def test_f3_supply_never_returns_to_zero(world: World) -> None:
    """An LP redeems all its LP; the pool still owns tokens (the dead shares' dollar and the 1 %
    withdrawal fee). The next depositor is priced against that AUM and does not take them.

    Old rule: mint supply 0 meant "first deposit" again (1 LP per micro-USD), so the next depositor
    owned the leftover; `dead_lp_supply == DEAD_LP_SUPPLY` and `redeemable <= deposit_usd` fail.
    """
    fees = FeeConfig(add_liquidity_bps=0, remove_liquidity_bps=100, protocol_share_bps=0)
    p = await world.new_pool(fees=fees)
    first = await world.new_wallet(p, tokens=1_000 * USDC)
    res = await world.deposit_and_wait(p, first, 1_000 * USDC)
    lp = res.event("LiquidityAdded").data.lp_amount_out
    assert lp == 1_000 * USDC - DEAD_LP_SUPPLY
    await world.withdraw(p, first, lp)

    assert int((await world.connection.get_token_supply(p.lp_mint)).value.amount) == 0
    assert (await world.client.fetch_pool(p.pool)).dead_lp_supply == DEAD_LP_SUPPLY
    owned = (await world.client.fetch_custody(p.custody)).assets.owned
    assert owned > DEAD_LP_SUPPLY  # the dead shares' dollar + the withdrawal fee
    leftover_usd = await aum(world, p.pool)
    assert leftover_usd == owned  # 1 token == 1 USD

    second = await world.new_wallet(p, tokens=1_000 * USDC)
    dep = (await world.deposit(p, second, 1_000 * USDC)).event("LiquidityAdded").data
    assert dep.dead_lp_amount == 0
    assert dep.lp_amount_out == mul_div(dep.deposit_usd, DEAD_LP_SUPPLY, leftover_usd, Rounding.FLOOR)
    supply = await world.lp_supply(p)
    assert supply == DEAD_LP_SUPPLY + dep.lp_amount_out
    aum_after = await aum(world, p.pool)
    assert aum_after == leftover_usd + dep.deposit_usd
    redeemable = mul_div(dep.lp_amount_out, aum_after, supply, Rounding.FLOOR)
    assert redeemable <= dep.deposit_usd  # old program: deposit_usd + the leftover
    dead_value = mul_div(DEAD_LP_SUPPLY, aum_after, supply, Rounding.FLOOR)
    assert dead_value >= leftover_usd - 1  # the leftover stays with the dead shares
    await assert_vault_accounted(world, p)


async def test_f3_client_default_min_out_comes_from_quote(world: World) -> None:
    """`add_liquidity` / `remove_liquidity` without a minimum send the simulated quote less
    DEFAULT_LIQUIDITY_SLIPPAGE_BPS, never 0 (the old client defaulted both minimums to 0)."""
    p = await world.new_pool(fees=FeeConfig(add_liquidity_bps=10, remove_liquidity_bps=10))
    seed = await world.new_wallet(p, tokens=1_000 * USDC)
    await world.deposit(p, seed, 1_000 * USDC)
    w = await world.new_wallet(p, tokens=500 * USDC)
    sent: dict[str, int] = {}
    real_add, real_remove = w.client.build_add_liquidity_ix, w.client.build_remove_liquidity_ix

    async def spy_add(*args: Any, **kwargs: Any):
        sent["min_lp_amount_out"] = kwargs["min_lp_amount_out"]
        return await real_add(*args, **kwargs)

    async def spy_remove(*args: Any, **kwargs: Any):
        sent["min_amount_out"] = kwargs["min_amount_out"]
        return await real_remove(*args, **kwargs)

    w.client.build_add_liquidity_ix = spy_add  # type: ignore[method-assign]
    w.client.build_remove_liquidity_ix = spy_remove  # type: ignore[method-assign]
    res = await world.deposit(p, w, 500 * USDC, min_lp_out=None)
    added = res.event("LiquidityAdded").data
    assert sent["min_lp_amount_out"] == min_out_after_slippage(added.lp_amount_out,
                                                               DEFAULT_LIQUIDITY_SLIPPAGE_BPS) > 0
    await world.after_slot(res.slot)
    removed = (await world.withdraw(p, w, added.lp_amount_out, min_out=None)).event("LiquidityRemoved").data
    assert sent["min_amount_out"] == min_out_after_slippage(removed.amount_out, DEFAULT_LIQUIDITY_SLIPPAGE_BPS) > 0


