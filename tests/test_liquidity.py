"""LP deposits and withdrawals on the node: exact amounts, fees, views, and the off-chain math agrees."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from perp_pool import errors
from perp_pool.client import FeeConfig, min_out_after_slippage
from perp_pool.constants import DEAD_LP_SUPPLY
from perp_pool.math.liquidity import (
    AumMode,
    CustodyValuation,
    assets_under_management_usd,
    compute_add_liquidity,
    compute_remove_liquidity,
    lp_token_price_usd,
)
from perp_pool.math.oracle import OraclePrice, min_max_price
from perp_pool.tokens import token_account_frozen, transfer_tokens
from tests.helpers import USDC, PoolFixture, World, assert_rejected

FEES = FeeConfig(add_liquidity_bps=10, remove_liquidity_bps=25, protocol_share_bps=2_000)


async def onchain_state(world: World, p: PoolFixture) -> dict:
    custody = await world.client.fetch_custody(p.custody)
    oracle = await world.client.fetch_custom_oracle(p.oracle)
    # Every LP price counts the pool's dead shares with the mint's supply.
    return {"custody": custody, "oracle": oracle, "lp_supply": await world.lp_supply(p)}


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
    assert (pool.lp_cooldown_sec, pool.dead_lp_supply) == (0, 0)
    assert (await world.connection.get_account_info(world.client.transfer_authority_address)).value is None
    # The transfer authority freezes LP accounts during their deposit cooldown.
    from spl.token._layouts import MINT_LAYOUT

    mint = MINT_LAYOUT.parse(bytes((await world.connection.get_account_info(p.lp_mint)).value.data))
    assert mint.freeze_authority_option == 1
    assert bytes(mint.freeze_authority) == bytes(world.client.transfer_authority_address)


async def test_first_deposit_mints_lp_one_to_one_with_deposit_value_less_the_dead_shares(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    lp = await world.new_wallet(p, tokens=1_000 * USDC)
    result = await world.deposit(p, lp, 1_000 * USDC)
    fee = 1_000 * USDC * 10 // 10_000  # 1.000000 USDC
    ev = result.event("LiquidityAdded").data
    assert ev.amount_in == 1_000 * USDC
    assert ev.fee_amount == fee
    assert ev.protocol_fee_amount == fee * 2_000 // 10_000
    # 1 LP unit per micro-USD on an empty pool, of which DEAD_LP_SUPPLY (1 LP, ~1 USD) go to no one
    assert ev.deposit_usd == 1_000 * USDC - fee
    assert ev.dead_lp_amount == DEAD_LP_SUPPLY
    assert ev.lp_amount_out == 1_000 * USDC - fee - DEAD_LP_SUPPLY
    assert ev.lp_supply == 1_000 * USDC - fee  # dead shares included
    assert (await world.client.fetch_pool(p.pool)).dead_lp_supply == DEAD_LP_SUPPLY
    assert (await world.connection.get_token_supply(p.lp_mint)).value.amount == str(ev.lp_amount_out)
    assert await world.balance(lp.lp_account) == ev.lp_amount_out
    assert await world.balance(lp.token_account) == 0
    assert await world.balance(p.vault) == 1_000 * USDC


async def test_later_deposits_mint_no_dead_shares(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    a, b = await world.new_wallet(p, tokens=1_000 * USDC), await world.new_wallet(p, tokens=1_000 * USDC)
    await world.deposit(p, a, 1_000 * USDC)
    ev = (await world.deposit(p, b, 1_000 * USDC)).event("LiquidityAdded").data
    assert ev.dead_lp_amount == 0
    assert (await world.client.fetch_pool(p.pool)).dead_lp_supply == DEAD_LP_SUPPLY


async def test_first_deposit_worth_no_more_than_the_dead_shares_is_refused(world: World) -> None:
    p = await world.new_pool(fees=FeeConfig(add_liquidity_bps=0))
    lp = await world.new_wallet(p, tokens=2 * USDC)
    # 1 USDC at 1 USD is exactly DEAD_LP_SUPPLY micro-USD: nothing would be left for the depositor.
    await assert_rejected(errors.ZeroAmount, lambda: world.deposit(p, lp, DEAD_LP_SUPPLY), world.connection,
                          [p.pool, p.custody, p.vault, lp.token_account, lp.lp_account, p.lp_mint])
    ev = (await world.deposit(p, lp, DEAD_LP_SUPPLY + 1)).event("LiquidityAdded").data
    assert (ev.lp_amount_out, ev.dead_lp_amount) == (1, DEAD_LP_SUPPLY)


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
    await world.set_price(p, price=1_000_300, ema=999_800, expo=-6, conf=50)
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
    await world.set_price(p, price=998_765, ema=999_100, expo=-6, conf=10)
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
    await world.set_price(p, price=990_000, expo=-6)  # a 1 % depeg
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
    await world.set_price(p, price=1_000_200, ema=1_000_000, expo=-6)
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
    # The dead shares still count: what the pool keeps (their value, fees, rounding) is priced
    # against them, so the next depositor buys in at the pool's price and takes none of it.
    assert await world.lp_supply(p) == DEAD_LP_SUPPLY
    aum = await world.client.get_assets_under_management(p.pool)
    assert aum > DEAD_LP_SUPPLY  # at least the dead shares' dollar plus the LPs' share of fees
    assert await world.client.get_lp_token_price(p.pool) == aum * 10**6 // DEAD_LP_SUPPLY
    c = await world.new_wallet(p, tokens=100 * USDC)
    ev = (await world.deposit(p, c, 100 * USDC)).event("LiquidityAdded").data
    assert ev.dead_lp_amount == 0
    assert ev.lp_amount_out == ev.deposit_usd * DEAD_LP_SUPPLY // aum  # priced at AUM, not 1:1


async def test_withdrawal_in_the_deposit_slot_is_refused(world: World) -> None:
    p = await world.new_pool(fees=FEES)  # zero-second cooldown: only the deposit's slot is held back
    lp = await world.new_wallet(p, tokens=2_000 * USDC)
    await world.deposit_and_wait(p, lp, 1_000 * USDC)
    # One transaction: the deposit and the withdrawal are certainly in the same slot.
    deposit = await lp.client.build_add_liquidity_ix(p.pool, p.custody, amount_in=1_000 * USDC, min_lp_amount_out=0,
                                                     funding_account=lp.token_account, lp_token_account=lp.lp_account)
    withdraw = await lp.client.build_remove_liquidity_ix(p.pool, p.custody, lp_amount_in=1_000,
                                                         min_amount_out=0, receiving_account=lp.token_account,
                                                         lp_token_account=lp.lp_account)
    await assert_rejected(errors.LiquidityCooldownActive, lambda: lp.client.send([deposit, withdraw]),
                          world.connection, [p.pool, p.custody, p.vault, lp.token_account, lp.lp_account, p.lp_mint])


async def test_a_strangers_deposit_does_not_block_another_lps_withdrawal(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    lp, stranger = await world.new_wallet(p, tokens=1_000 * USDC), await world.new_wallet(p, tokens=USDC)
    await world.deposit_and_wait(p, lp, 1_000 * USDC)
    # One transaction, so one slot: a dust deposit by someone else, then the LP's withdrawal.
    dust = await stranger.client.build_add_liquidity_ix(p.pool, p.custody, amount_in=USDC, min_lp_amount_out=0,
                                                        funding_account=stranger.token_account,
                                                        lp_token_account=stranger.lp_account)
    withdraw = await lp.client.build_remove_liquidity_ix(p.pool, p.custody, lp_amount_in=100 * USDC,
                                                         min_amount_out=0, receiving_account=lp.token_account,
                                                         lp_token_account=lp.lp_account)
    result = await lp.client.send([dust, withdraw], [stranger.keypair])
    assert [e.name for e in result.events] == ["LiquidityAdded", "LiquidityRemoved"]
    assert await world.balance(lp.lp_account) == 1_000 * USDC - USDC - DEAD_LP_SUPPLY - 100 * USDC


async def test_deposit_freezes_the_lp_account_until_the_next_slot(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    lp = await world.new_wallet(p, tokens=1_000 * USDC)
    result = await world.deposit(p, lp, 1_000 * USDC)
    ev = result.event("LiquidityAdded").data
    assert await token_account_frozen(world.connection, lp.lp_account)
    cooldown = await world.client.fetch_lp_cooldown(lp.lp_account)
    assert (cooldown.pool, cooldown.lp_token_account) == (p.pool, lp.lp_account)
    assert (cooldown.deposit_slot, cooldown.unlock_time) == (ev.slot, ev.unlock_time) == (result.slot, ev.unlock_time)
    await world.after_slot(result.slot)
    ev = (await world.withdraw(p, lp, 100 * USDC)).event("LiquidityRemoved").data  # thaws, then burns
    assert ev.lp_amount_in == 100 * USDC
    assert not await token_account_frozen(world.connection, lp.lp_account)


@pytest.mark.node_ext
async def test_lp_stays_locked_for_the_pools_cooldown_then_unlocks(world: World, node_ext) -> None:
    p = await world.new_pool(fees=FEES, lp_cooldown_sec=600)
    lp = await world.new_wallet(p, tokens=1_000 * USDC)
    before = await world.now()
    ev = (await world.deposit(p, lp, 1_000 * USDC)).event("LiquidityAdded").data
    assert before + 600 <= ev.unlock_time <= await world.now() + 600
    node_ext.advance_slots(2)
    watched = [p.pool, p.custody, p.vault, lp.token_account, lp.lp_account, p.lp_mint]
    await assert_rejected(errors.LiquidityCooldownActive, lambda: world.withdraw(p, lp, USDC), world.connection,
                          watched)
    await assert_rejected(errors.LiquidityCooldownActive, lambda: lp.client.unlock_lp(p.pool, lp.lp_account),
                          world.connection, watched)
    # Frozen LP cannot leave through a transfer either.
    other = await world.new_wallet(p)
    await assert_rejected(errors.TokenAccountFrozen,
                          lambda: transfer_tokens(lp.client.transport, lp.lp_account, p.lp_mint, other.lp_account,
                                                  USDC, 6, lp.keypair),
                          world.connection, [lp.lp_account, other.lp_account])
    node_ext.warp_clock(ev.unlock_time - await world.now())
    await world.set_price(p, price=1_000_000, expo=-6)  # the warp made the price stale
    # Anyone may unlock it once the cooldown is over.
    unlocked = (await other.client.unlock_lp(p.pool, lp.lp_account)).event("LpUnlocked").data
    assert (unlocked.pool, unlocked.lp_token_account, unlocked.owner) == (p.pool, lp.lp_account, lp.pubkey)
    assert not await token_account_frozen(world.connection, lp.lp_account)
    await transfer_tokens(lp.client.transport, lp.lp_account, p.lp_mint, other.lp_account, USDC, 6, lp.keypair)
    assert await world.balance(other.lp_account) == USDC
    # An account that is not frozen has nothing to unlock.
    with pytest.raises(errors.LiquidityCooldownActive):
        await lp.client.unlock_lp(p.pool, lp.lp_account)


async def test_lp_cannot_be_minted_into_someone_elses_account(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    lp, victim = await world.new_wallet(p, tokens=100 * USDC), await world.new_wallet(p)

    async def freeze_victim():
        return await lp.client.add_liquidity(p.pool, p.custody, amount_in=10 * USDC, funding_account=lp.token_account,
                                             lp_token_account=victim.lp_account, min_lp_amount_out=0)

    await assert_rejected(errors.InvalidLpTokenAccount, freeze_victim, world.connection,
                          [p.pool, p.custody, p.vault, lp.token_account, victim.lp_account, p.lp_mint,
                           world.client.lp_cooldown_address(victim.lp_account)])


async def test_pool_cooldown_above_the_maximum_is_refused(world: World) -> None:
    import secrets

    from perp_pool.constants import MAX_LP_COOLDOWN_SEC

    name = "pool-" + secrets.token_hex(6)
    await assert_rejected(errors.InvalidPoolConfig,
                          lambda: world.client.add_pool(name, lp_cooldown_sec=MAX_LP_COOLDOWN_SEC + 1),
                          world.connection, [world.client.pool_address(name)])
    await world.client.add_pool(name, lp_cooldown_sec=MAX_LP_COOLDOWN_SEC)
    assert (await world.client.fetch_pool(world.client.pool_address(name))).lp_cooldown_sec == MAX_LP_COOLDOWN_SEC


# ---- quotes: the client's default minimums ----------------------------------------------------

async def test_deposit_quote_is_what_the_deposit_mints(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    first, second = await world.new_wallet(p, tokens=5_000 * USDC), await world.new_wallet(p, tokens=777 * USDC)
    await world.deposit(p, first, 5_000 * USDC)
    await world.set_price(p, price=1_000_300, ema=999_800, expo=-6, conf=50)
    c = second.client
    quote = await c.quote_add_liquidity(p.pool, p.custody, amount_in=777 * USDC,
                                        funding_account=second.token_account, lp_token_account=second.lp_account)
    assert await world.balance(second.token_account) == 777 * USDC  # a quote moves nothing
    ev = (await world.deposit(p, second, 777 * USDC, min_lp_out=None)).event("LiquidityAdded").data
    assert ev.lp_amount_out == quote.lp_amount_out and ev.fee_amount == quote.fee_amount


async def test_withdrawal_quote_is_what_the_withdrawal_pays(world: World) -> None:
    p = await world.new_pool(fees=FEES)
    lp = await world.new_wallet(p, tokens=3_000 * USDC)
    await world.deposit_and_wait(p, lp, 3_000 * USDC)
    await world.set_price(p, price=1_000_200, ema=1_000_000, expo=-6)
    quote = await lp.client.quote_remove_liquidity(p.pool, p.custody, lp_amount_in=1_234 * USDC,
                                                   receiving_account=lp.token_account, lp_token_account=lp.lp_account)
    ev = (await world.withdraw(p, lp, 1_234 * USDC, min_out=None)).event("LiquidityRemoved").data
    assert ev.amount_out == quote.amount_out and ev.fee_amount == quote.fee_amount


async def test_quote_during_the_cooldown_raises_the_programs_error(world: World) -> None:
    p = await world.new_pool(fees=FEES, lp_cooldown_sec=3_600)
    lp = await world.new_wallet(p, tokens=100 * USDC)
    await world.deposit_and_wait(p, lp, 100 * USDC)
    with pytest.raises(errors.LiquidityCooldownActive):
        await world.withdraw(p, lp, USDC, min_out=None)


async def test_default_minimum_is_the_quote_less_the_slippage(world: World, monkeypatch) -> None:
    """The minimum the client sends by default is taken from its quote: a quote one unit above what
    the program will mint, with no slippage allowed, makes the deposit fail."""
    p = await world.new_pool(fees=FEES)
    lp = await world.new_wallet(p, tokens=200 * USDC)
    await world.deposit_and_wait(p, lp, 100 * USDC)
    c = lp.client
    honest = c.quote_add_liquidity

    async def optimistic(*args, **kwargs):
        return SimpleNamespace(lp_amount_out=(await honest(*args, **kwargs)).lp_amount_out + 1)

    monkeypatch.setattr(c, "quote_add_liquidity", optimistic)
    await assert_rejected(errors.SlippageExceeded,
                          lambda: c.add_liquidity(p.pool, p.custody, amount_in=50 * USDC,
                                                  funding_account=lp.token_account, lp_token_account=lp.lp_account,
                                                  slippage_bps=0),
                          world.connection, [p.pool, p.custody, p.vault, lp.token_account, lp.lp_account])
    # one bps of slippage covers one unit of a ~50 LP quote
    ev = (await c.add_liquidity(p.pool, p.custody, amount_in=50 * USDC, funding_account=lp.token_account,
                                lp_token_account=lp.lp_account, slippage_bps=1)).event("LiquidityAdded").data
    assert ev.amount_in == 50 * USDC


def test_minimum_after_slippage_rounds_down() -> None:
    assert min_out_after_slippage(1_000_000, 50) == 995_000
    assert min_out_after_slippage(999, 1) == 998  # 998.9001 rounded down
    assert min_out_after_slippage(123, 0) == 123
    with pytest.raises(ValueError):
        min_out_after_slippage(1, 10_000)


async def test_deposit_and_withdraw_in_one_transaction_with_slippage_guard(world: World, node_ext) -> None:
    p = await world.new_pool(fees=FEES)
    lp = await world.new_wallet(p, tokens=100 * USDC)
    # 100 USDC less the 0.1 USDC fee is 99.9 USD, less the first deposit's dead shares: 98.9 LP
    await assert_rejected(errors.SlippageExceeded,
                          lambda: world.deposit(p, lp, 100 * USDC, min_lp_out=98_900_001),
                          world.connection, [p.pool, p.custody, p.vault, lp.token_account, lp.lp_account])
    ev = (await world.deposit(p, lp, 100 * USDC, min_lp_out=98_900_000)).event("LiquidityAdded").data
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
