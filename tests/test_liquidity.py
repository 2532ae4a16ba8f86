"""LP deposits and withdrawals on the node: exact amounts, fees, views, and the off-chain math agrees."""

from __future__ import annotations

from perp_pool import errors
from perp_pool.client import FeeConfig
from perp_pool.math.liquidity import (
    AumMode,
    CustodyValuation,
    assets_under_management_usd,
    compute_add_liquidity,
    compute_remove_liquidity,
    lp_token_price_usd,
)
from perp_pool.math.oracle import OraclePrice, min_max_price
from tests.helpers import USDC, PoolFixture, World, assert_rejected

FEES = FeeConfig(add_liquidity_bps=10, remove_liquidity_bps=25, protocol_share_bps=2_000)


async def onchain_state(world: World, p: PoolFixture) -> dict:
    custody = await world.client.fetch_custody(p.custody)
    oracle = await world.client.fetch_custom_oracle(p.oracle)
    supply = int((await world.connection.get_token_supply(p.lp_mint)).value.amount)
    return {"custody": custody, "oracle": oracle, "lp_supply": supply}


def valuation(state: dict, decimals: int) -> tuple[list[CustodyValuation], OraclePrice, OraclePrice]:
    o = state["oracle"]
    lo, hi = min_max_price(OraclePrice(o.price, o.expo), OraclePrice(o.ema or o.price, o.expo))
    return [CustodyValuation(state["custody"].assets.owned, decimals, lo, hi)], lo, hi


async def test_pda_helpers_match_the_accounts_the_program_created(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    pool = await world.client.fetch_pool(p.pool)
    custody = await world.client.fetch_custody(p.custody)
    assert pool.name == p.name
    assert pool.lp_token_mint == p.lp_mint
    assert pool.custodies == [p.custody]
    assert custody.pool == p.pool and custody.mint == p.mint
    assert custody.token_account == p.vault
    assert custody.oracle.oracle_account == p.oracle
    assert (await world.connection.get_account_info(world.client.transfer_authority_address)).value is None


async def test_first_deposit_mints_lp_one_to_one_with_deposit_value(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    lp = await world.new_wallet(p, tokens=1_000 * USDC)
    result = await world.deposit(p, lp, 1_000 * USDC)
    fee = 1_000 * USDC * 10 // 10_000  # 1.000000 USDC
    ev = result.event("LiquidityAdded").data
    assert ev.amount_in == 1_000 * USDC
    assert ev.fee_amount == fee
    assert ev.protocol_fee_amount == fee * 2_000 // 10_000
    assert ev.lp_amount_out == 1_000 * USDC - fee  # 1 LP unit per micro-USD on an empty pool
    assert await world.balance(lp.lp_account) == ev.lp_amount_out
    assert await world.balance(lp.token_account) == 0
    assert await world.balance(p.vault) == 1_000 * USDC


async def test_deposit_fee_split_between_lps_and_protocol_is_exact(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    lp = await world.new_wallet(p, tokens=777_777_777)
    await world.deposit(p, lp, 777_777_777)
    custody = await world.client.fetch_custody(p.custody)
    fee = -(-777_777_777 * 10 // 10_000)  # rounded up: 777_778
    protocol = fee * 2_000 // 10_000
    assert custody.assets.protocol_fees == protocol
    assert custody.assets.owned == 777_777_777 - protocol
    assert await world.balance(p.vault) == custody.assets.owned + custody.assets.protocol_fees


async def test_second_deposit_priced_from_aum_matches_python_math(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    first, second = await world.new_wallet(p, tokens=5_000 * USDC), await world.new_wallet(p, tokens=1_234_567_891)
    await world.deposit(p, first, 5_000 * USDC)
    await world.set_price(p, price=1_000_300, ema=999_800, conf=50)
    state = await onchain_state(world, p)
    vals, lo, _ = valuation(state, p.decimals)
    c = state["custody"]
    expected = compute_add_liquidity(1_234_567_891, p.decimals, lo, assets_under_management_usd(vals, AumMode.MAX),
                                     state["lp_supply"], c.fees.add_liquidity_bps, c.fees.protocol_share_bps)
    ev = (await world.deposit(p, second, 1_234_567_891)).event("LiquidityAdded").data
    assert (ev.fee_amount, ev.deposit_usd, ev.lp_amount_out, ev.protocol_fee_amount) == (
        expected.fee_amount, expected.deposit_usd, expected.lp_amount_out, expected.protocol_fee_amount)
    assert await world.balance(second.lp_account) == expected.lp_amount_out


async def test_views_match_offchain_aum_and_lp_price(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    lp = await world.new_wallet(p, tokens=2_500 * USDC)
    await world.deposit(p, lp, 2_500 * USDC)
    await world.set_price(p, price=998_765, ema=999_100, conf=10)
    state = await onchain_state(world, p)
    vals, _, _ = valuation(state, p.decimals)
    aum = assets_under_management_usd(vals, AumMode.MIN)
    assert await world.client.get_assets_under_management(p.pool) == aum
    assert await world.client.get_lp_token_price(p.pool) == lp_token_price_usd(aum, state["lp_supply"])


async def test_lp_price_is_one_usd_before_any_deposit(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    assert await world.client.get_lp_token_price(p.pool) == 1_000_000
    assert await world.client.get_assets_under_management(p.pool) == 0


async def test_oracle_move_changes_aum_and_lp_price(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    lp = await world.new_wallet(p, tokens=1_000 * USDC)
    await world.deposit(p, lp, 1_000 * USDC)
    before = await world.client.get_lp_token_price(p.pool)
    await world.set_price(p, price=990_000)  # a 1 % depeg
    after = await world.client.get_lp_token_price(p.pool)
    state = await onchain_state(world, p)
    vals, _, _ = valuation(state, p.decimals)
    assert after == lp_token_price_usd(assets_under_management_usd(vals, AumMode.MIN), state["lp_supply"])
    assert before * 99 // 100 - 1 <= after < before


async def test_withdrawal_pays_exactly_what_the_math_says(world: World, node_ext) -> None:
    p = await world.new_pool(fees=FEES)
    lp = await world.new_wallet(p, tokens=3_000 * USDC)
    await world.deposit(p, lp, 3_000 * USDC)
    node_ext.advance_slots(1)
    await world.set_price(p, price=1_000_200, ema=1_000_000)
    state = await onchain_state(world, p)
    vals, _, hi = valuation(state, p.decimals)
    c = state["custody"]
    burn = 1_111_111_111
    expected = compute_remove_liquidity(burn, assets_under_management_usd(vals, AumMode.MIN), state["lp_supply"],
                                        p.decimals, hi, c.assets.owned - c.assets.locked,
                                        c.fees.remove_liquidity_bps, c.fees.protocol_share_bps)
    tokens_before = await world.balance(lp.token_account)
    ev = (await world.withdraw(p, lp, burn)).event("LiquidityRemoved").data
    assert ev.amount_out == expected.amount_out
    assert ev.fee_amount == expected.fee_amount
    assert await world.balance(lp.token_account) == tokens_before + expected.amount_out
    after = await world.client.fetch_custody(p.custody)
    assert after.assets.owned == c.assets.owned - expected.owned_decrease
    assert after.assets.protocol_fees == c.assets.protocol_fees + expected.protocol_fee_amount
    assert await world.balance(p.vault) == after.assets.owned + after.assets.protocol_fees


async def test_everyone_out_leaves_tokens_accounted_for(world: World, node_ext) -> None:
    p = await world.new_pool(fees=FEES)
    a, b = await world.new_wallet(p, tokens=700 * USDC), await world.new_wallet(p, tokens=300 * USDC)
    await world.deposit(p, a, 700 * USDC)
    await world.deposit(p, b, 300 * USDC)
    node_ext.advance_slots(1)
    for w in (a, b):
        await world.withdraw(p, w, await world.balance(w.lp_account))
    custody = await world.client.fetch_custody(p.custody)
    wallets = await world.balance(a.token_account) + await world.balance(b.token_account)
    vault = await world.balance(p.vault)
    assert wallets + vault == 1_000 * USDC
    assert vault == custody.assets.owned + custody.assets.protocol_fees
    assert (await world.connection.get_token_supply(p.lp_mint)).value.amount == "0"


async def test_withdrawal_in_the_deposit_slot_is_refused(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    lp = await world.new_wallet(p, tokens=2_000 * USDC)
    await world.deposit(p, lp, 1_000 * USDC)
    # One transaction: the deposit and the withdrawal are certainly in the same slot.
    deposit = await lp.client.build_add_liquidity_ix(p.pool, p.custody, amount_in=1_000 * USDC, min_lp_amount_out=0,
                                                     funding_account=lp.token_account, lp_token_account=lp.lp_account)
    withdraw = await lp.client.build_remove_liquidity_ix(p.pool, p.custody, lp_amount_in=1_000,
                                                         min_amount_out=0, receiving_account=lp.token_account,
                                                         lp_token_account=lp.lp_account)
    await assert_rejected(errors.WithdrawalInDepositSlot, lambda: lp.client.send([deposit, withdraw]),
                          world.connection, [p.pool, p.custody, p.vault, lp.token_account, lp.lp_account, p.lp_mint])


async def test_deposit_and_withdraw_in_one_transaction_with_slippage_guard(world: World, node_ext) -> None:
    p = await world.new_pool(fees=FEES)
    lp = await world.new_wallet(p, tokens=100 * USDC)
    await assert_rejected(errors.SlippageExceeded,
                          lambda: world.deposit(p, lp, 100 * USDC, min_lp_out=100 * USDC),
                          world.connection, [p.pool, p.custody, p.vault, lp.token_account, lp.lp_account])
    ev = (await world.deposit(p, lp, 100 * USDC, min_lp_out=99_900_000)).event("LiquidityAdded").data
    node_ext.advance_slots(1)
    await assert_rejected(errors.SlippageExceeded,
                          lambda: world.withdraw(p, lp, ev.lp_amount_out, min_out=100 * USDC),
                          world.connection, [p.pool, p.custody, p.vault, lp.token_account, lp.lp_account])


async def test_views_work_for_a_wallet_with_no_sol(world: World) -> None:
    from solders.keypair import Keypair

    from perp_pool.client import PerpPoolClient

    p = await world.new_pool(fees=FEES)
    lp = await world.new_wallet(p, tokens=1_000 * USDC)
    await world.deposit(p, lp, 1_000 * USDC)
    reader = PerpPoolClient(world.connection, Keypair())  # never funded: cannot pay a fee
    assert await reader.get_lp_token_price(p.pool) == await world.client.get_lp_token_price(p.pool)
    assert await reader.get_assets_under_management(p.pool) == 999_800_000
