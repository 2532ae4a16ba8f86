"""LP capital safety (issue 8), continued: findings F4-F7 on the node (see tests/test_lp_safety.py
for F1-F3 and the conventions)."""
from __future__ import annotations

import functools

import pytest

from perp_pool import errors
from perp_pool.client import (
    FeeConfig,
    OracleConfig,
    Permissions,
    PricingConfig,
)
from perp_pool.constants import PRICE_DECIMALS
from perp_pool.localnet import NodeExtensions
from perp_pool.math import fees as fee_math
from perp_pool.math import pnl as pnl_math
from perp_pool.math import pricing as pricing_math
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pricing import Side
from perp_pool.math.trade import (
    CollateralCustody,
    PositionState,
    compute_open_position,
    health_inputs,
    within_initial_leverage,
)
from perp_pool.math.trade import Market as TradeMarket
from perp_pool.tokens import create_mint, token_account_frozen, transfer_tokens
from tests.helpers import (
    USDC,
    World,
    assert_rejected,
    new_market,
    price_usd,
)
from tests.lp_safety_support import (
    NO_INTEREST,
    ONE_USD,
    assert_vault_accounted,
    aum,
    close_position,
    increase,
    keeper,
    open_position,
)

# ---- F4: the liquidator's reward ranks behind the LPs -----------------------------------------

F4_FEES = FeeConfig(open_position_bps=10, close_position_bps=10, liquidation_bps=50, liquidator_reward_bps=20,
                    protocol_share_bps=2_000, insurance_share_bps=0)


async def test_f4_underwater_self_liquidation_pays_no_reward(world: World) -> None:
    """A long whose loss (300 USD) exceeds its collateral (~98.5 USDC) liquidated by its owner.

    Old rule (reward paid first from the pot): the owner recovered the 3 USD reward and the LPs'
    bad debt grew by it; `reward_paid == 0`, the owner's balance unchanged and the custody's
    `owned` rising by the whole collateral fail on it.
    """
    m = await new_market(world, fees=F4_FEES, borrow_rate=NO_INTEREST)
    w = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
    await open_position(w, m, Side.LONG, 100 * USDC, 1_500 * USDC)
    position_key = m.position(w, Side.LONG)
    position = await world.client.fetch_position(position_key)
    before = await world.client.fetch_custody(m.usdc.custody)
    assert before.assets.insurance_fund == 0
    balance = await world.balance(w.token_account)

    await world.set_price(m.sol, price=price_usd(120))  # -20 %: a 300 USD loss
    ev = (await w.client.liquidate(position_key, receiving_account=w.token_account)).event("PositionLiquidated").data
    assert ev.liquidator == w.pubkey == ev.owner
    assert ev.loss_usd == 300 * USDC > position.collateral_usd
    assert ev.reward_usd == fee_math.liquidator_reward_usd(1_500 * USDC, 20) > 0
    assert (ev.reward_paid, ev.fee_paid, ev.remainder_to_pool) == (0, 0, 0)
    assert ev.lp_paid == position.collateral_amount
    assert ev.insurance_draw == 0
    assert ev.bad_debt_usd == ev.loss_usd + ev.interest_usd - position.collateral_amount
    assert await world.balance(w.token_account) == balance
    after = await world.client.fetch_custody(m.usdc.custody)
    assert after.assets.owned - before.assets.owned == position.collateral_amount
    assert after.assets.collateral == before.assets.collateral - position.collateral_amount
    assert after.bad_debt_usd == before.bad_debt_usd + ev.bad_debt_usd
    assert (await world.connection.get_account_info(position_key)).value is None
    await assert_vault_accounted(world, m.usdc)


async def test_f4_liquidatable_position_still_pays_the_reward(world: World) -> None:
    """One tick past its liquidation price a position's margin pays loss, fee and reward in full,
    the rest to the LPs (the new order; unchanged amounts from the old program here)."""
    m = await new_market(world, fees=F4_FEES, borrow_rate=NO_INTEREST)
    w = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
    await open_position(w, m, Side.LONG, 100 * USDC, 1_500 * USDC)
    position_key = m.position(w, Side.LONG)
    position = await world.client.fetch_position(position_key)
    await world.set_price(m.sol, price=await world.client.get_liquidation_price(position_key) - 1)
    before = await world.client.fetch_custody(m.usdc.custody)
    _, keeper_client, account = await keeper(world, m)
    ev = (await keeper_client.liquidate(position_key, receiving_account=account)).event("PositionLiquidated").data
    reward = fee_math.liquidator_reward_usd(1_500 * USDC, 20)
    fee = fee_math.liquidation_fee_usd(1_500 * USDC, 50)
    assert 0 < ev.loss_usd < position.collateral_amount
    assert (ev.reward_paid, ev.fee_paid, ev.lp_paid) == (reward, fee, ev.loss_usd)
    assert ev.remainder_to_pool == position.collateral_amount - ev.loss_usd - reward - fee > 0
    assert (ev.bad_debt_usd, ev.insurance_draw) == (0, 0)
    assert await world.balance(account) == reward
    after = await world.client.fetch_custody(m.usdc.custody)
    lp_fee = fee - ev.protocol_fee_amount - ev.insurance_fee_amount
    assert after.assets.owned - before.assets.owned == ev.loss_usd + lp_fee + ev.remainder_to_pool
    await assert_vault_accounted(world, m.usdc)


async def test_self_liquidation_pays_no_more_than_a_close(world: World) -> None:
    """Two identical 10x longs (1_500 USD, 98.5 USDC of collateral after the open fee) at the same
    price: one owner closes, the other liquidates itself. Near the end of the margin (at 140.45
    USD the LPs' 95.5 USD loss leaves E = 3 USDC), a close pays E - 1.5 (close fee) = 1.5 USDC;
    the liquidation pays a close fee's worth (1.5) of its 7.5 USDC fee first, then 1.5 USDC of
    reward — exactly what the close pays — and nothing of the rest of the fee. Just past the
    liquidation price both pay in full and the reward (3 USDC) is still below what the close pays.

    Old rule (reward before the liquidation fee): at 140.45 the self-liquidating owner got
    min(3, E) = 3 USDC of reward, twice what a close paid, skipping the close fee; its
    `reward_paid <= close amount_out` fails on it. `add_custody` / `set_custody_config` also
    refuse `liquidation_bps < close_position_bps` now (InvalidCustodyConfig).
    """
    m = await new_market(world, fees=F4_FEES, borrow_rate=NO_INTEREST)
    reward = fee_math.liquidator_reward_usd(1_500 * USDC, 20)
    liquidation_fee = fee_math.liquidation_fee_usd(1_500 * USDC, 50)
    close_fee = fee_math.close_position_fee_usd(1_500 * USDC, 10)
    end_of_margin = price_usd("140.45")
    for at_end in (False, True):
        await world.set_price(m.sol, price=150 * ONE_USD)
        closer = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
        liquidator = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
        for w in (closer, liquidator):
            await open_position(w, m, Side.LONG, 100 * USDC, 1_500 * USDC)
        key = m.position(liquidator, Side.LONG)
        price = end_of_margin if at_end else await world.client.get_liquidation_price(key) - 1
        await world.set_price(m.sol, price=price)
        assert await world.client.get_liquidation_state(key) is True
        assert await world.client.get_liquidation_state(m.position(closer, Side.LONG)) is True

        closer_before = await world.balance(closer.token_account)
        close = (await close_position(closer, m, Side.LONG)).event("PositionDecreased").data
        paid_by_close = await world.balance(closer.token_account) - closer_before
        liquidator_before = await world.balance(liquidator.token_account)
        ev = (await liquidator.client.liquidate(key, receiving_account=liquidator.token_account)
              ).event("PositionLiquidated").data
        paid_by_liquidation = await world.balance(liquidator.token_account) - liquidator_before
        assert ev.liquidator == liquidator.pubkey == ev.owner
        assert paid_by_liquidation == ev.reward_paid <= paid_by_close
        assert ev.loss_usd == close.loss_usd and ev.lp_paid == ev.loss_usd
        left = 98_500_000 - ev.loss_usd  # what the LPs' claim leaves, the same for both
        assert paid_by_close == left - close_fee
        if at_end:
            assert left == 3 * USDC < liquidation_fee
            assert (ev.fee_paid, ev.reward_paid, ev.remainder_to_pool) == (close_fee, left - close_fee, 0)
            assert ev.reward_paid == paid_by_close
            # What the old order paid the owner: more than the close.
            assert min(reward, left) > paid_by_close
        else:
            assert (ev.fee_paid, ev.reward_paid) == (liquidation_fee, reward)
            assert ev.remainder_to_pool == left - liquidation_fee - reward > 0
        await assert_vault_accounted(world, m.usdc)

    # The liquidation fee may not be below the close fee.
    bad = FeeConfig(open_position_bps=10, close_position_bps=10, liquidation_bps=9, liquidator_reward_bps=20)
    await assert_rejected(errors.InvalidCustodyConfig, lambda: world.client.set_custody_config(
        m.pool, m.sol.custody, oracle=OracleConfig(max_price_age_sec=3_600), fees=bad, pricing=PricingConfig(),
        borrow_rate=NO_INTEREST), world.connection, [m.sol.custody])
    mint = await create_mint(world.client.transport, 6)
    await assert_rejected(errors.InvalidCustodyConfig,
                          lambda: world.client.add_custody(m.pool, mint, oracle=OracleConfig(), fees=bad),
                          world.connection, [m.pool, world.client.custody_address(m.pool, mint)])


# ---- F5: a liquidatable position cannot be increased ------------------------------------------

async def test_f5_liquidatable_position_cannot_be_increased(world: World) -> None:
    """A 15x long past its liquidation price, increased by 10 USD with 20 USDC more collateral:
    collateral-only leverage ~12.8x is within the 20x initial limit, the equity leverage (~43x)
    is not.

    Old rule (leverage on collateral only): the increase was accepted; `MaxLeverageExceeded` with
    every account unchanged fails on it.
    """
    pricing = PricingConfig(max_initial_leverage_bps=200_000, max_leverage_bps=1_000_000)
    fees = FeeConfig(open_position_bps=10, close_position_bps=10, liquidation_bps=50, liquidator_reward_bps=20)
    m = await new_market(world, fees=fees, pricing=pricing, borrow_rate=NO_INTEREST)
    w = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
    await open_position(w, m, Side.LONG, 100 * USDC, 1_500 * USDC)
    position_key = m.position(w, Side.LONG)
    exit_price = await world.client.get_liquidation_price(position_key) - 1
    await world.set_price(m.sol, price=exit_price)
    assert await world.client.get_liquidation_state(position_key) is True

    p = await world.client.fetch_position(position_key)
    custody = await world.client.fetch_custody(m.usdc.custody)
    one = OraclePrice(ONE_USD, -PRICE_DECIMALS)
    collateral = CollateralCustody.from_custody(custody, one, one)
    market = TradeMarket.from_custody(await world.client.fetch_custody(m.sol.custody))
    size_delta, collateral_in = 10 * USDC, 20 * USDC
    fee = fee_math.bps_fee(size_delta, 10)
    size_after, collateral_after = p.size_usd + size_delta, p.collateral_amount + collateral_in - fee
    # The old check: collateral-only leverage within the initial limit.
    assert size_after * 10_000 <= collateral_after * pricing.max_initial_leverage_bps
    # The new one: the position after the increase, its loss counted, is not.
    quantity_after = p.quantity + pnl_math.entry_quantity(Side.LONG, size_delta, exit_price)
    after = PositionState(Side.LONG, quantity_after, size_after, collateral_after, p.locked_amount + size_delta)
    assert not within_initial_leverage(after, exit_price, 0, collateral, market)

    await assert_rejected(errors.MaxLeverageExceeded,
                          lambda: increase(w, m, Side.LONG, collateral_in, size_delta), world.connection,
                          [position_key, m.usdc.custody, m.sol.custody, m.usdc.vault, w.token_account])


async def test_open_that_would_be_liquidatable_at_once_is_refused(world: World) -> None:
    """A 50 bps spread market at 100 USD (entry 100.5, exit 99.5 for a long, the mirror for a
    short), 50x initial and 100x maintenance leverage. The largest size 2_100 USDC of collateral
    opens on collateral alone, 100_000 USD (2_000 USDC after the 100 USDC open fee: exactly 50x),
    has at once a ~995 USD (long) / ~1_005 USD (short) loss and a 100 USD close fee to pay: an
    equity of ~905 / ~895 USD, ~110x, liquidatable in the same slot. It is refused
    (MaxLeverageExceeded, every account unchanged, and `get_entry_price_and_fee` refuses it too);
    the largest size that is within 50x at the exit price with the loss and the close fee counted
    (found with the client's port of the program math) opens, one micro-USD more does not, and
    the position opened is not liquidatable.

    Old rule (leverage on collateral only): the 100_000 USD open was accepted, and
    `get_liquidation_state` of the new position was True; the `assert_rejected` fails on it.
    """
    pricing = PricingConfig(trade_spread_long_bps=50, trade_spread_short_bps=50, max_initial_leverage_bps=500_000,
                            max_leverage_bps=1_000_000)
    m = await new_market(world, fees=F4_FEES, pricing=pricing, borrow_rate=NO_INTEREST, liquidity=1_000_000 * USDC,
                         sol_price=100 * ONE_USD)
    one = OraclePrice(ONE_USD, -PRICE_DECIMALS)
    prices = pricing_math.TradePrices(100 * ONE_USD, 100 * ONE_USD)
    sol = await world.client.fetch_custody(m.sol.custody)
    market = TradeMarket.from_custody(sol)
    collateral_in, trap_size = 2_100 * USDC, 100_000 * USDC
    for side in (Side.LONG, Side.SHORT):
        w = await world.new_wallet(m.usdc, tokens=10_000 * USDC)
        key = m.position(w, side)
        collateral = CollateralCustody.from_custody(await world.client.fetch_custody(m.usdc.custody), one, one)
        entry = pricing_math.entry_price(side, prices, 50)
        exit_ = pricing_math.exit_price(side, prices, 50)
        # The old check passes: 50x on collateral after the open fee.
        fee = fee_math.bps_fee(trap_size, 10)
        assert trap_size * 10_000 == (collateral_in - fee) * pricing.max_initial_leverage_bps
        # ... and the position it opened was liquidatable at once.
        trap = PositionState(side, pnl_math.entry_quantity(side, trap_size, entry), trap_size, collateral_in - fee,
                             trap_size)
        assert pnl_math.is_liquidatable(health_inputs(trap, 0, collateral, market), exit_)
        watched = [key, m.usdc.custody, m.sol.custody, m.usdc.vault, w.token_account]
        await assert_rejected(errors.MaxLeverageExceeded,
                              functools.partial(open_position, w, m, side, collateral_in, trap_size),
                              world.connection, watched)
        with pytest.raises(errors.MaxLeverageExceeded):
            await world.client.get_entry_price_and_fee(m.pool, m.sol.custody, m.usdc.custody, side,
                                                       collateral_amount=collateral_in, size_usd=trap_size)

        def opens(size: int, side: Side = side, entry: int = entry, exit_: int = exit_,
                  collateral: CollateralCustody = collateral) -> bool:
            try:
                compute_open_position(side, size, entry, exit_, collateral_in, collateral, market)
            except errors.MaxLeverageExceeded:
                return False
            return True

        lo, hi = 1, trap_size  # opens(lo), not opens(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if opens(mid) else (lo, mid)
        # ~2_100 / (0.001 open fee + 0.001 close fee + ~0.01 spread loss + 1/50) USD
        assert 60_000 * USDC < lo < 66_000 * USDC
        await assert_rejected(errors.MaxLeverageExceeded,
                              functools.partial(open_position, w, m, side, collateral_in, lo + 1),
                              world.connection, watched)
        opened = (await open_position(w, m, side, collateral_in, lo)).event("PositionOpened").data
        expected = compute_open_position(side, lo, entry, exit_, collateral_in, collateral, market)
        assert (opened.price, opened.quantity, opened.collateral_amount) == (
            entry, expected.quantity, expected.collateral_amount)
        assert await world.client.get_liquidation_state(key) is False
        position = await world.client.fetch_position(key)
        assert within_initial_leverage(PositionState(side, position.quantity, position.size_usd,
                                                     position.collateral_amount, position.locked_amount),
                                       exit_, 0, collateral, market)
        await assert_vault_accounted(world, m.usdc)


# ---- F6: a stranger's deposit blocks no one ----------------------------------------------------

COOLDOWN = 600


async def test_f6_stranger_deposit_does_not_block_withdrawals(world: World, node_ext: NodeExtensions) -> None:
    """LP A withdraws in the same transaction (so the same slot) as stranger B's dust deposit.

    Old rule (pool-wide last-deposit slot): A's withdrawal failed with WithdrawalInDepositSlot, so
    the transaction (and `a_out.amount_out == ...`) fails on it; the old program had no
    LiquidityCooldownActive, freeze, unlock_lp or InvalidLpTokenAccount either.
    """
    p = await world.new_pool(fees=FeeConfig(add_liquidity_bps=0, remove_liquidity_bps=0), lp_cooldown_sec=COOLDOWN)
    assert (await world.client.fetch_pool(p.pool)).lp_cooldown_sec == COOLDOWN
    a = await world.new_wallet(p, tokens=1_000 * USDC)
    b = await world.new_wallet(p, tokens=10 * USDC)
    a_dep = (await world.deposit(p, a, 1_000 * USDC)).event("LiquidityAdded").data
    assert a_dep.unlock_time - COOLDOWN <= await world.now()
    assert await token_account_frozen(world.connection, a.lp_account)
    cooldown = await world.client.fetch_lp_cooldown(a.lp_account)
    assert cooldown.unlock_time == a_dep.unlock_time and cooldown.deposit_slot == a_dep.slot

    # A's capital is held for the cooldown.
    await assert_rejected(errors.LiquidityCooldownActive, lambda: world.withdraw(p, a, USDC), world.connection,
                          [a.lp_account, a.token_account, p.custody, p.vault, p.pool, p.lp_mint])
    node_ext.warp_clock(COOLDOWN + 1)
    await world.set_price(p, price=ONE_USD)
    await world.after_slot(a_dep.slot)  # and never in the deposit's own slot

    # B's dust deposit and A's withdrawal in one transaction: the same slot.
    deposit_b = await world.client.build_add_liquidity_ix(p.pool, p.custody, amount_in=USDC, min_lp_amount_out=0,
                                                          funding_account=b.token_account,
                                                          lp_token_account=b.lp_account, owner=b.pubkey)
    a_lp = a_dep.lp_amount_out
    withdraw_a = await world.client.build_remove_liquidity_ix(p.pool, p.custody, lp_amount_in=a_lp // 2,
                                                              min_amount_out=0, receiving_account=a.token_account,
                                                              lp_token_account=a.lp_account, owner=a.pubkey)
    result = await a.client.send([deposit_b, withdraw_a], [b.keypair])
    b_dep = result.event("LiquidityAdded").data
    a_out = result.event("LiquidityRemoved").data
    assert b_dep.slot == result.slot
    # No fees, 1 USD per token, LP still at 1 USD: A gets exactly its share.
    assert a_out.amount_out == a_lp // 2
    assert await world.balance(a.token_account) == a_out.amount_out
    assert await world.balance(a.lp_account) == a_lp - a_lp // 2
    assert not await token_account_frozen(world.connection, a.lp_account)  # thawed by the redemption

    # B's own LP is held: no redemption, no transfer, no early unlock.
    b_lp = b_dep.lp_amount_out
    watched_b = [b.lp_account, b.token_account, a.lp_account, p.custody, p.vault, p.pool, p.lp_mint,
                 world.client.lp_cooldown_address(b.lp_account)]
    await assert_rejected(errors.LiquidityCooldownActive, lambda: world.withdraw(p, b, b_lp), world.connection,
                          watched_b)
    await assert_rejected(errors.TokenAccountFrozen,
                          lambda: transfer_tokens(world.client.transport, b.lp_account, p.lp_mint, a.lp_account, 1,
                                                  6, b.keypair),
                          world.connection, watched_b)
    await assert_rejected(errors.LiquidityCooldownActive, lambda: world.client.unlock_lp(p.pool, b.lp_account),
                          world.connection, watched_b)
    assert errors.TokenAccountFrozen.code == 17

    # Nobody can mint (and so freeze) into someone else's LP account.
    await assert_rejected(errors.InvalidLpTokenAccount,
                          lambda: b.client.add_liquidity(p.pool, p.custody, amount_in=USDC,
                                                         funding_account=b.token_account,
                                                         lp_token_account=a.lp_account, min_lp_amount_out=0),
                          world.connection, watched_b + [world.client.lp_cooldown_address(a.lp_account)])

    # After the cooldown: anyone thaws B's account, B transfers and redeems.
    node_ext.warp_clock(COOLDOWN + 1)
    await world.set_price(p, price=ONE_USD)
    await world.after_slot(b_dep.slot)
    unlocked = (await world.client.unlock_lp(p.pool, b.lp_account)).event("LpUnlocked").data
    assert unlocked.lp_token_account == b.lp_account and unlocked.owner == b.pubkey
    assert not await token_account_frozen(world.connection, b.lp_account)
    await assert_rejected(errors.LiquidityCooldownActive, lambda: world.client.unlock_lp(p.pool, b.lp_account),
                          world.connection, watched_b)  # not frozen any more
    await transfer_tokens(world.client.transport, b.lp_account, p.lp_mint, a.lp_account, 1, 6, b.keypair)
    b_out = (await world.withdraw(p, b, b_lp - 1)).event("LiquidityRemoved").data
    assert b_out.amount_out == b_lp - 1
    assert await world.balance(b.lp_account) == 0
    assert await world.balance(b.token_account) == 9 * USDC + b_out.amount_out
    await assert_vault_accounted(world, p)


# ---- F7: decisions ------------------------------------------------------------------------------

async def test_f7_add_collateral_allowed_while_opens_paused(world: World) -> None:
    """Opens paused, liquidations allowed: add_collateral moves exactly its amount (the old program
    gated it by allow_open_position: InstructionNotAllowed). With liquidations paused too it is
    refused."""
    m = await new_market(world, fees=F4_FEES, borrow_rate=NO_INTEREST)
    w = await world.new_wallet(m.usdc, tokens=1_000 * USDC)
    await open_position(w, m, Side.SHORT, 100 * USDC, 1_000 * USDC)
    key = m.position(w, Side.SHORT)
    before = await world.client.fetch_position(key)
    balance = await world.balance(w.token_account)
    custody_before = await world.client.fetch_custody(m.usdc.custody)

    async def add(amount: int):
        return await w.client.add_collateral(m.pool, m.sol.custody, m.usdc.custody, Side.SHORT,
                                             collateral_amount=amount, funding_account=w.token_account)

    await world.client.set_permissions(Permissions(allow_open_position=False))
    try:
        await assert_rejected(errors.InstructionNotAllowed, lambda: increase(w, m, Side.SHORT, 0, USDC),
                              world.connection, [key, m.usdc.custody, m.usdc.vault, w.token_account])
        ev = (await add(25 * USDC)).event("CollateralAdded").data
        assert ev.collateral_amount == before.collateral_amount + 25 * USDC
        after = await world.client.fetch_position(key)
        assert after.collateral_amount == before.collateral_amount + 25 * USDC
        assert after.collateral_usd == before.collateral_usd + 25 * USDC
        assert (after.size_usd, after.quantity, after.locked_amount) == (
            before.size_usd, before.quantity, before.locked_amount)
        assert await world.balance(w.token_account) == balance - 25 * USDC
        custody = await world.client.fetch_custody(m.usdc.custody)
        assert custody.assets.collateral == custody_before.assets.collateral + 25 * USDC
        assert custody.assets.owned == custody_before.assets.owned
        await assert_vault_accounted(world, m.usdc)

        await world.client.set_permissions(Permissions(allow_open_position=False, allow_liquidation=False))
        await assert_rejected(errors.InstructionNotAllowed, lambda: add(USDC), world.connection,
                              [key, m.usdc.custody, m.usdc.vault, w.token_account])
    finally:
        await world.client.set_permissions(Permissions())


async def test_f7_oracle_publish_time_cannot_go_backwards(world: World) -> None:
    """A custom oracle push older than the stored reading is refused (the old program accepted it
    and rolled the price back); an equal publish_time is accepted."""
    p = await world.new_pool()
    now = await world.now()
    await world.set_price(p, price=price_usd("1.01"), publish_time=now)
    await assert_rejected(errors.OraclePublishTimeRegressed,
                          lambda: world.set_price(p, price=price_usd("0.9"), publish_time=now - 1),
                          world.connection, [p.oracle])
    oracle = await world.client.fetch_custom_oracle(p.oracle)
    assert (oracle.price, oracle.publish_time) == (price_usd("1.01"), now)
    await world.set_price(p, price=price_usd("1.02"), publish_time=now)
    oracle = await world.client.fetch_custom_oracle(p.oracle)
    assert (oracle.price, oracle.publish_time) == (price_usd("1.02"), now)


async def test_f7_insurance_fund_top_up_and_admin_withdrawal(world: World) -> None:
    """Anyone tops the insurance fund up; only the admin withdraws it; each moves exactly its
    amount and never LP liquidity (the old program had neither instruction)."""
    p = await world.new_pool()
    lp = await world.new_wallet(p, tokens=1_000 * USDC)
    await world.deposit(p, lp, 1_000 * USDC)
    donor = await world.new_wallet(p, tokens=100 * USDC)
    before = (await world.client.fetch_custody(p.custody)).assets
    vault = await world.balance(p.vault)

    await assert_rejected(errors.ZeroAmount,
                          lambda: donor.client.top_up_insurance_fund(p.pool, p.custody, amount=0,
                                                                     funding_account=donor.token_account),
                          world.connection, [p.custody, p.vault, donor.token_account])
    result = await donor.client.top_up_insurance_fund(p.pool, p.custody, amount=40 * USDC,
                                                      funding_account=donor.token_account)
    ev = result.event("InsuranceFundChanged").data
    assert (ev.amount_in, ev.amount_out, ev.insurance_fund) == (40 * USDC, 0, before.insurance_fund + 40 * USDC)
    assert ev.signer == donor.pubkey
    assert await world.balance(donor.token_account) == 60 * USDC
    assert await world.balance(p.vault) == vault + 40 * USDC
    mid = (await world.client.fetch_custody(p.custody)).assets
    assert mid.insurance_fund == before.insurance_fund + 40 * USDC
    assert (mid.owned, mid.collateral, mid.protocol_fees) == (before.owned, before.collateral, before.protocol_fees)
    await assert_vault_accounted(world, p)

    # Only the admin withdraws.
    await assert_rejected(errors.Unauthorized,
                          lambda: donor.client.withdraw_insurance_fund(p.pool, p.custody, amount=10 * USDC,
                                                                       receiving_account=donor.token_account),
                          world.connection, [p.custody, p.vault, donor.token_account])
    receiver = await world.new_wallet(p)
    await assert_rejected(errors.InsufficientLiquidity,
                          lambda: world.client.withdraw_insurance_fund(p.pool, p.custody, amount=mid.insurance_fund + 1,
                                                                       receiving_account=receiver.token_account),
                          world.connection, [p.custody, p.vault, receiver.token_account])
    result = await world.client.withdraw_insurance_fund(p.pool, p.custody, amount=15 * USDC,
                                                        receiving_account=receiver.token_account)
    ev = result.event("InsuranceFundChanged").data
    assert (ev.amount_in, ev.amount_out, ev.insurance_fund) == (0, 15 * USDC, mid.insurance_fund - 15 * USDC)
    assert await world.balance(receiver.token_account) == 15 * USDC
    assert await world.balance(p.vault) == vault + 25 * USDC
    after = (await world.client.fetch_custody(p.custody)).assets
    assert after.insurance_fund == mid.insurance_fund - 15 * USDC
    assert (after.owned, after.collateral, after.protocol_fees) == (
        before.owned, before.collateral, before.protocol_fees)
    # The AUM (what LPs own) ignores the fund: still exactly the owned tokens at 1 USD.
    assert await aum(world, p.pool) == after.owned
    await assert_vault_accounted(world, p)

