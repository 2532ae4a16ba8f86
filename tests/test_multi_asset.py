"""Multi-asset pools on the node (issue 13): USDC (6 decimals, stable), SOL (9) and BTC (8)
custodies with custom oracles and weights.

- deposits and redemptions of each asset priced exactly from the AUM: LP out, tokens out, fees and
  fee_bps equal the port (perp_pool.math.weights) to the unit, and the views say the same first;
- weight fees move the right way, and the bounds hold at the boundary: the first token past the
  max is refused with nothing changed, the token before it is accepted; a custody pushed out of
  bounds by a price move can be brought back;
- swaps conserve: the vaults move by exactly amount_in / amount_out, both custodies' owned and
  the protocol fee are what the port says, every vault is its buckets, the min AUM does not fall;
- every bad swap input is a named error with nothing changed;
- get_pool_weights: weights, values and the pool's net exposure against open positions;
- a tranched multi-asset pool: SOL deposits priced from the USD NAVs, a SOL price drop hits the
  junior NAV first.
"""

from __future__ import annotations

from typing import Any

from solders.pubkey import Pubkey

from perp_pool import errors
from perp_pool.client import FeeConfig, Permissions, PricingConfig
from perp_pool.constants import PRICE_POWER, WEIGHT_POWER
from perp_pool.math import tranche as tranche_math
from perp_pool.math import weights
from perp_pool.math.liquidity import AumMode
from perp_pool.math.pricing import Side
from perp_pool.tokens import ensure_ata
from tests.helpers import SOL, USDC, Wallet, World, assert_rejected, price_usd
from tests.lp_safety_support import NO_INTEREST, assert_vault_accounted, open_position
from tests.multi_asset_support import (
    BTC,
    BTC_RULE,
    RULES,
    SOL_RULE,
    WIDE,
    MultiPool,
    PoolState,
    deposit,
    get_liquidity_amount_and_fee,
    get_pool_weights,
    get_swap_amount_and_fee,
    new_multi_pool,
    new_multi_wallet,
    pool_state,
    port_deposit,
    port_redeem,
    port_swap,
    redeem,
    swap,
    swap_ix,
)

FEES = FeeConfig(add_liquidity_bps=20, remove_liquidity_bps=20, protocol_share_bps=2_000)


async def seeded(world: World, rules: list[weights.WeightParams] = RULES, *, usdc: int = 10_000 * USDC,
                 sol: int = 20 * SOL, btc: int = 3 * BTC // 100, spread: bool = True,
                 fees: FeeConfig = FEES) -> tuple[MultiPool, Wallet, list[Pubkey]]:
    """The pool with 10 000 USDC, 20 SOL (3 000 USD) and 0.03 BTC (1 800 USD) deposited by one LP
    (who keeps as much again of each token); SOL and BTC with a spread between spot and EMA."""
    mp = await new_multi_pool(world, rules=rules, fees=fees, pricing=PricingConfig(), borrow_rate=NO_INTEREST)
    lp, accounts = await new_multi_wallet(world, mp, [2 * usdc, 2 * sol, 2 * btc])
    for f, amount in zip(mp.custodies, (usdc, sol, btc), strict=True):
        if amount:
            await deposit(world, mp, f, lp, accounts[mp.index(f)], amount)
    if spread:
        await world.set_price(mp.sol, price=price_usd("150.3"), ema=price_usd("149.85"))
        await world.set_price(mp.btc, price=price_usd(60_010), ema=price_usd(59_990))
    return mp, lp, accounts


def watched(mp: MultiPool, w: Wallet, accounts: list[Pubkey]) -> list[Pubkey]:
    return [mp.pool, mp.lp_mint, w.lp_account, *accounts,
            *(f.custody for f in mp.custodies), *(f.vault for f in mp.custodies)]


async def assert_all_vaults_accounted(world: World, mp: MultiPool) -> None:
    for f in mp.custodies:
        await assert_vault_accounted(world, f)


def weight_of(s: PoolState, i: int, owned: int | None = None) -> int | None:
    values = weights.owned_values_usd(s.valuations)
    if owned is None:
        return weights.weight_ppb(values[i], sum(values))
    v = s.valuations[i]
    after = v.min_price.token_to_usd(owned, v.decimals, weights.Rounding.FLOOR)
    return weights.weight_move(values, i, after).after


# ---- deposits and redemptions of each asset ------------------------------------------------------


async def test_deposits_and_redemptions_of_each_asset_priced_exactly_from_aum(world: World) -> None:
    mp, _, _ = await seeded(world)
    w, accounts = await new_multi_wallet(world, mp, [3_000 * USDC, 10 * SOL, BTC // 10])
    for f, amount in zip(mp.custodies, (1_234_567_891, 3_456_789_012, 1_234_567), strict=True):
        i = mp.index(f)
        s = await pool_state(world, mp)
        fee_bps, expected = port_deposit(s, i, amount)
        view = await get_liquidity_amount_and_fee(world.client, mp.pool, f.custody, amount, add=True)
        assert (view.amount_out, view.fee_bps, view.fee_amount, view.usd) == (
            expected.lp_amount_out, fee_bps, expected.fee_amount, expected.deposit_usd)
        lp_before, vault_before = await world.balance(w.lp_account), await world.balance(f.vault)
        ev = (await deposit(world, mp, f, w, accounts[i], amount)).event("LiquidityAdded").data
        assert (ev.lp_amount_out, ev.fee_amount, ev.fee_bps, ev.protocol_fee_amount, ev.deposit_usd) == (
            expected.lp_amount_out, expected.fee_amount, fee_bps, expected.protocol_fee_amount, expected.deposit_usd)
        assert ev.aum_max_usd == s.aum(AumMode.MAX)
        assert await world.balance(w.lp_account) - lp_before == expected.lp_amount_out
        assert await world.balance(f.vault) - vault_before == amount
        custody = await world.client.fetch_custody(f.custody)
        assert custody.assets.owned == s.custodies[i].assets.owned + expected.owned_increase
        await assert_all_vaults_accounted(world, mp)
    # Redeem a third of the LP into each custody in turn.
    held = await world.balance(w.lp_account)
    for f in mp.custodies:
        i = mp.index(f)
        s = await pool_state(world, mp)
        fee_bps, expected = port_redeem(s, i, held // 4)
        view = await get_liquidity_amount_and_fee(world.client, mp.pool, f.custody, held // 4, add=False)
        assert (view.amount_out, view.fee_bps, view.fee_amount, view.usd) == (
            expected.amount_out, fee_bps, expected.fee_amount, expected.withdraw_usd)
        tokens_before = await world.balance(accounts[i])
        ev = (await redeem(world, mp, f, w, accounts[i], held // 4)).event("LiquidityRemoved").data
        assert (ev.amount_out, ev.fee_amount, ev.fee_bps, ev.protocol_fee_amount) == (
            expected.amount_out, expected.fee_amount, fee_bps, expected.protocol_fee_amount)
        assert await world.balance(accounts[i]) - tokens_before == expected.amount_out
        custody = await world.client.fetch_custody(f.custody)
        assert custody.assets.owned == s.custodies[i].assets.owned - expected.owned_decrease
        await assert_all_vaults_accounted(world, mp)


async def test_weight_fee_rises_moving_away_and_falls_moving_toward_the_target(world: World) -> None:
    mp, _, _ = await seeded(world, spread=False)
    w, accounts = await new_multi_wallet(world, mp, [5_000 * USDC, 10 * SOL, 0])
    s = await pool_state(world, mp)
    # SOL at 3 000 / 14 800 = 20.3 %, below its 30 % target: a SOL deposit moves it toward (a
    # rebate on the 20 bps base), a USDC deposit (USDC at 67.6 %, above its 50 %) moves USDC away.
    sol_weight = weight_of(s, 1)
    assert sol_weight is not None and sol_weight < SOL_RULE.target_bps * 100_000
    toward = (await deposit(world, mp, mp.sol, w, accounts[1], 2 * SOL)).event("LiquidityAdded").data
    assert toward.fee_bps < FEES.add_liquidity_bps
    assert toward.fee_bps == port_deposit(s, 1, 2 * SOL)[0]
    s = await pool_state(world, mp)
    away = (await deposit(world, mp, mp.usdc, w, accounts[0], 1_000 * USDC)).event("LiquidityAdded").data
    assert away.fee_bps > FEES.add_liquidity_bps
    assert away.fee_bps == port_deposit(s, 0, 1_000 * USDC)[0]
    # Redemptions: paid in USDC moves USDC toward its target (cheaper), in SOL moves SOL away.
    held = await world.balance(w.lp_account)
    s = await pool_state(world, mp)
    usdc_fee = port_redeem(s, 0, held // 10)[0]
    sol_fee = port_redeem(s, 1, held // 10)[0]
    assert usdc_fee < FEES.remove_liquidity_bps < sol_fee
    ev = (await redeem(world, mp, mp.usdc, w, accounts[0], held // 10)).event("LiquidityRemoved").data
    assert ev.fee_bps == usdc_fee


async def test_deposit_past_the_max_weight_refused_at_the_first_token_with_nothing_changed(world: World) -> None:
    mp, _, _ = await seeded(world)
    w, accounts = await new_multi_wallet(world, mp, [0, 100 * SOL, 0])
    s = await pool_state(world, mp)

    def refused(amount: int) -> bool:
        try:
            port_deposit(s, 1, amount)
        except errors.TokenWeightOutOfRange:
            return True
        return False

    # The first lamport amount the SOL max (50 %) refuses, by bisection on the port.
    ok, past = SOL // 10, 100 * SOL
    assert not refused(ok) and refused(past)
    while past - ok > 1:
        mid = (ok + past) // 2
        ok, past = (mid, past) if not refused(mid) else (ok, mid)
    assert (weight_of(s, 1, s.custodies[1].assets.owned + ok) or 0) <= SOL_RULE.max_bps * 100_000
    assert (weight_of(s, 1, s.custodies[1].assets.owned + past) or 0) > SOL_RULE.max_bps * 100_000
    await assert_rejected(errors.TokenWeightOutOfRange, lambda: deposit(world, mp, mp.sol, w, accounts[1], past),
                          world.connection, watched(mp, w, accounts))
    # The view refuses it the same way.
    try:
        await get_liquidity_amount_and_fee(world.client, mp.pool, mp.sol.custody, past, add=True)
        raise AssertionError("the view priced a deposit past the max")
    except errors.TokenWeightOutOfRange:
        pass
    fee_bps, expected = port_deposit(s, 1, ok)
    ev = (await deposit(world, mp, mp.sol, w, accounts[1], ok)).event("LiquidityAdded").data
    assert (ev.lp_amount_out, ev.fee_bps) == (expected.lp_amount_out, fee_bps)
    # At the max: one more lamport (any deposit that raises the weight) is refused.
    weights_view = await get_pool_weights(world.client, mp.pool)
    assert weights_view.custodies[1].weight_ppb <= SOL_RULE.max_bps * 100_000


async def test_redemption_below_the_min_weight_pays_the_tax_and_is_never_refused(world: World) -> None:
    """Review finding W2: a min bound on redemptions would let anyone who lowers a custody's weight
    (a deposit elsewhere) lock the LPs' exits out of it; a redemption past the min pays the tax."""
    mp, lp, accounts = await seeded(world)
    s = await pool_state(world, mp)
    held = await world.balance(lp.lp_account)
    # Redeem in SOL the LP worth about 2 500 of the pool's 3 000 USD of SOL: SOL from ~20 % to
    # ~4 %, under its 10 % min.
    lp_in = held * 2_500 // 14_800
    fee_bps, expected = port_redeem(s, 1, lp_in)
    _, gross = weights.redemption_gross(lp_in, s.aum(AumMode.MIN), s.lp_supply, 9, s.valuations[1].max_price)
    after = weight_of(s, 1, s.custodies[1].assets.owned - gross)
    assert after is not None and after < SOL_RULE.min_bps * 100_000
    assert fee_bps > FEES.remove_liquidity_bps
    ev = (await redeem(world, mp, mp.sol, lp, accounts[1], lp_in)).event("LiquidityRemoved").data
    assert (ev.amount_out, ev.fee_bps, ev.fee_amount) == (expected.amount_out, fee_bps, expected.fee_amount)
    await assert_all_vaults_accounted(world, mp)
    # A swap out of SOL now, which would lower it further under its min, is refused.
    w, swap_accounts = await new_multi_wallet(world, mp, [1_000 * USDC, 0, 0])
    await assert_rejected(errors.TokenWeightOutOfRange, lambda: swap(world, mp, w, 0, 1, swap_accounts, 100 * USDC),
                          world.connection, watched(mp, w, swap_accounts))


async def test_custody_pushed_out_of_bounds_by_a_price_move_can_be_brought_back(world: World) -> None:
    mp, _, _ = await seeded(world, spread=False)
    w, accounts = await new_multi_wallet(world, mp, [2_000 * USDC, 5 * SOL, 0])
    # SOL x5: 15 000 USD of 26 800: 56 % > the 50 % max.
    await world.set_price(mp.sol, price=750 * PRICE_POWER)
    view = await get_pool_weights(world.client, mp.pool)
    assert view.custodies[1].weight_ppb > SOL_RULE.max_bps * 100_000
    await assert_rejected(errors.TokenWeightOutOfRange, lambda: deposit(world, mp, mp.sol, w, accounts[1], SOL // 100),
                          world.connection, watched(mp, w, accounts))
    # A USDC deposit lowers SOL's weight (and takes USDC toward its own target): allowed.
    s = await pool_state(world, mp)
    fee_bps, expected = port_deposit(s, 0, 1_000 * USDC)
    ev = (await deposit(world, mp, mp.usdc, w, accounts[0], 1_000 * USDC)).event("LiquidityAdded").data
    assert (ev.lp_amount_out, ev.fee_bps) == (expected.lp_amount_out, fee_bps)
    # A redemption paid in SOL moves SOL back toward its bounds: allowed, with a rebate.
    s = await pool_state(world, mp)
    fee_bps, out = port_redeem(s, 1, ev.lp_amount_out // 2)
    assert fee_bps < FEES.remove_liquidity_bps
    ev2 = (await redeem(world, mp, mp.sol, w, accounts[1], ev.lp_amount_out // 2)).event("LiquidityRemoved").data
    assert (ev2.amount_out, ev2.fee_bps) == (out.amount_out, fee_bps)
    # A swap of USDC for SOL too.
    s = await pool_state(world, mp)
    q = port_swap(s, 0, 1, 100 * USDC)
    ev3 = (await swap(world, mp, w, 0, 1, accounts, 100 * USDC)).event("Swapped").data
    assert (ev3.amount_out, ev3.fee_bps) == (q.amounts.amount_out, q.amounts.fee_bps)


# ---- swaps -------------------------------------------------------------------------------------


async def swap_and_check(world: World, mp: MultiPool, w: Wallet, accounts: list[Pubkey], frm: int, to: int,
                         amount: int) -> Any:
    s = await pool_state(world, mp)
    q = port_swap(s, frm, to, amount)
    r, d = mp.custodies[frm], mp.custodies[to]
    view = await get_swap_amount_and_fee(world.client, mp.pool, r.custody, d.custody, amount)
    assert (view.in_usd, view.gross_out, view.fee_bps, view.fee_amount, view.amount_out, view.receiving_weight_ppb,
            view.dispensing_weight_ppb) == (q.amounts.in_usd, q.amounts.gross_out, q.amounts.fee_bps,
                                            q.amounts.fee_amount, q.amounts.amount_out, q.receiving_weight_ppb,
                                            q.dispensing_weight_ppb)
    balances = [await world.balance(a) for a in (r.vault, d.vault, accounts[frm], accounts[to])]
    aum_before = s.aum(AumMode.MIN)
    ev = (await swap(world, mp, w, frm, to, accounts, amount, q.amounts.amount_out)).event("Swapped").data
    assert (ev.amount_in, ev.in_usd, ev.gross_out, ev.fee_bps, ev.fee_amount, ev.protocol_fee_amount,
            ev.amount_out, ev.receiving_weight_ppb, ev.dispensing_weight_ppb) == (
        amount, q.amounts.in_usd, q.amounts.gross_out, q.amounts.fee_bps, q.amounts.fee_amount,
        q.amounts.protocol_fee_amount, q.amounts.amount_out, q.receiving_weight_ppb, q.dispensing_weight_ppb)
    after = [await world.balance(a) for a in (r.vault, d.vault, accounts[frm], accounts[to])]
    assert after[0] - balances[0] == amount
    assert balances[1] - after[1] == q.amounts.amount_out
    assert balances[2] - after[2] == amount
    assert after[3] - balances[3] == q.amounts.amount_out
    rc, dc = await world.client.fetch_custody(r.custody), await world.client.fetch_custody(d.custody)
    assert rc.assets.owned == s.custodies[frm].assets.owned + amount
    assert dc.assets.owned == s.custodies[to].assets.owned - q.amounts.owned_decrease
    assert dc.assets.protocol_fees == s.custodies[to].assets.protocol_fees + q.amounts.protocol_fee_amount
    await assert_all_vaults_accounted(world, mp)
    s_after = await pool_state(world, mp)
    assert s_after.aum(AumMode.MIN) >= aum_before
    assert ev.pool_aum_usd == s_after.aum(AumMode.MIN)
    assert (await world.client.fetch_pool(mp.pool)).aum_usd == ev.pool_aum_usd
    return ev


async def test_swaps_conserve_every_custody_and_never_lower_the_min_aum(world: World) -> None:
    mp, _, _ = await seeded(world)
    w, accounts = await new_multi_wallet(world, mp, [2_000 * USDC, 5 * SOL, BTC // 100])
    await swap_and_check(world, mp, w, accounts, 1, 0, 1_234_567_891)  # SOL -> USDC
    await swap_and_check(world, mp, w, accounts, 0, 2, 345_678_901)  # USDC -> BTC
    await swap_and_check(world, mp, w, accounts, 2, 1, 123_457)  # BTC -> SOL
    # A round trip at constant prices returns less than went in.
    before = await world.balance(accounts[0])
    ev = await swap_and_check(world, mp, w, accounts, 0, 1, 500 * USDC)
    back = await swap_and_check(world, mp, w, accounts, 1, 0, ev.amount_out)
    assert back.amount_out < 500 * USDC
    assert await world.balance(accounts[0]) == before - 500 * USDC + back.amount_out


async def test_swap_bad_input_is_refused_with_nothing_changed(world: World) -> None:
    rules = [WIDE, WIDE, weights.WeightParams()]  # BTC without a weight rule
    mp, _, _ = await seeded(world, rules)
    w, accounts = await new_multi_wallet(world, mp, [2_000 * USDC, 5 * SOL, BTC // 100])
    c, usdc, sol, btc = w.client, mp.usdc, mp.sol, mp.btc
    everything = watched(mp, w, accounts)

    async def attempt(exc: type[errors.TransactionFailed], frm: Any, to: Any, amount: int, *, min_out: int = 0,
                      funding: Pubkey | None = None, receiving: Pubkey | None = None,
                      overrides: dict[str, Pubkey] | None = None, remaining: list | None = None) -> None:
        ix = await swap_ix(c, mp.pool, frm.custody, to.custody, amount_in=amount, min_amount_out=min_out,
                           funding_account=funding or accounts[mp.index(frm)],
                           receiving_account=receiving or accounts[mp.index(to)], overrides=overrides,
                           remaining=remaining)
        await assert_rejected(exc, lambda: c.send([ix]), world.connection, everything)

    await attempt(errors.InvalidSwap, usdc, usdc, USDC)
    await attempt(errors.InvalidSwap, usdc, btc, USDC)
    await attempt(errors.InvalidSwap, btc, sol, BTC // 1000)
    await attempt(errors.ZeroAmount, usdc, sol, 0)
    await attempt(errors.ZeroAmount, sol, usdc, 1)  # 1 lamport is worth 0.15 micro-USD: nothing out
    s = await pool_state(world, mp)
    q = port_swap(s, 0, 1, 100 * USDC)
    await attempt(errors.SlippageExceeded, usdc, sol, 100 * USDC, min_out=q.amounts.amount_out + 1)
    # More USDC than the pool has unlocked: lock most of it under a synthetic long.
    trader, trader_accounts = await new_multi_wallet(world, mp, [5_000 * USDC, 0, 0])
    await open_position(trader, mp.market(), Side.LONG, 1_000 * USDC, 5_000 * USDC)
    s = await pool_state(world, mp)
    available = s.custodies[0].assets.owned - s.custodies[0].assets.locked
    sol_for_more = available * SOL // (140 * USDC)  # worth more USDC than is unlocked
    await attempt(errors.InsufficientLiquidity, sol, usdc, sol_for_more)
    # Wrong accounts.
    await attempt(errors.InvalidMint, usdc, sol, USDC, funding=accounts[1])
    await attempt(errors.InvalidMint, usdc, sol, USDC, receiving=accounts[0])
    await attempt(errors.InvalidVault, usdc, sol, USDC, overrides={"dispensing_custody_token_account": usdc.vault})
    await attempt(errors.InvalidVault, usdc, sol, USDC, overrides={"receiving_custody_token_account": sol.vault})
    await attempt(errors.InvalidOracleAccount, usdc, sol, USDC,
                  overrides={"receiving_custody_oracle_account": sol.oracle})
    await attempt(errors.InvalidOracleAccount, usdc, sol, USDC,
                  overrides={"dispensing_custody_oracle_account": btc.oracle})
    await attempt(errors.InvalidCustodyAccounts, usdc, sol, USDC, remaining=[])
    other, _, _ = await seeded(world, rules, btc=0)
    from solders.instruction import AccountMeta

    foreign = [AccountMeta(other.btc.custody, False, False), AccountMeta(other.btc.oracle, False, False)]
    await attempt(errors.InvalidCustodyAccounts, usdc, sol, USDC, remaining=foreign)
    # A custody of another pool as a leg: its PDA does not derive from this pool.
    await attempt(errors.TransactionFailed, usdc, other.sol, USDC, receiving=await ensure_ata(
        world.client.transport, w.pubkey, other.sol.mint))
    # Paused liquidity (either permission).
    for permissions in (Permissions(allow_add_liquidity=False), Permissions(allow_remove_liquidity=False)):
        try:
            await world.client.set_permissions(permissions)
            await attempt(errors.InstructionNotAllowed, usdc, sol, USDC)
        finally:
            await world.client.set_permissions(Permissions())
    # And the same swap goes through once the input is right.
    await swap_and_check(world, mp, w, accounts, 0, 1, USDC)


async def test_swap_past_a_bound_refused_on_either_leg(world: World) -> None:
    mp, _, _ = await seeded(world, spread=False)
    w, accounts = await new_multi_wallet(world, mp, [0, 100 * SOL, 5 * BTC // 100])
    s = await pool_state(world, mp)
    values = weights.owned_values_usd(s.valuations)
    # The receiving leg: 40 SOL (6 000 USD) in for USDC takes SOL from 20 % to 9 000 / 14 800 = 61 %,
    # past its 50 % max (USDC stays above its 20 % min: 4 000 / 14 800).
    await assert_rejected(errors.TokenWeightOutOfRange, lambda: swap(world, mp, w, 1, 0, accounts, 40 * SOL),
                          world.connection, watched(mp, w, accounts))
    # The dispensing leg: 0.0267 BTC (1 600 USD) in for SOL leaves SOL at 1 400 / 14 800 = 9.5 %,
    # under its 10 % min, while BTC (3 400 / 14 800 = 23 %) stays under its 40 % max.
    btc_in = 2_667_000
    btc_usd = s.valuations[2].min_price.token_to_usd(btc_in, 8, weights.Rounding.FLOOR)
    sol_out = s.valuations[1].max_price.usd_to_token(btc_usd, 9, weights.Rounding.FLOOR)
    btc_after = s.valuations[2].min_price.token_to_usd(s.custodies[2].assets.owned + btc_in, 8, weights.Rounding.FLOOR)
    sol_after = s.valuations[1].min_price.token_to_usd(s.custodies[1].assets.owned - sol_out, 9, weights.Rounding.FLOOR)
    weights.check_weight_bounds(BTC_RULE, weights.weight_move(values, 2, btc_after, (1, sol_after)))
    sol_move = weights.weight_move(values, 1, sol_after, (2, btc_after))
    assert sol_move.after is not None and sol_move.after < SOL_RULE.min_bps * 100_000
    await assert_rejected(errors.TokenWeightOutOfRange, lambda: swap(world, mp, w, 2, 1, accounts, btc_in),
                          world.connection, watched(mp, w, accounts))
    # Half as much passes.
    await swap_and_check(world, mp, w, accounts, 2, 1, btc_in // 2)


# ---- weights and net exposure ------------------------------------------------------------------


async def test_pool_weights_and_net_exposure_against_open_positions(world: World) -> None:
    mp, _, _ = await seeded(world)
    m = mp.market()
    long_trader, _ = await new_multi_wallet(world, mp, [2_000 * USDC, 0, 0])
    short_trader, _ = await new_multi_wallet(world, mp, [2_000 * USDC, 0, 0])
    await open_position(long_trader, m, Side.LONG, 500 * USDC, 3_000 * USDC)
    await open_position(short_trader, m, Side.SHORT, 400 * USDC, 1_200 * USDC)
    s = await pool_state(world, mp)
    view = await get_pool_weights(world.client, mp.pool)
    values = weights.owned_values_usd(s.valuations)
    assert view.total_owned_usd == sum(values)
    for i, (cw, custody) in enumerate(zip(view.custodies, s.custodies, strict=True)):
        assert cw.custody == mp.custodies[i].custody
        assert cw.owned == custody.assets.owned
        assert cw.owned_usd == values[i]
        assert cw.weight_ppb == weights.weight_ppb(values[i], sum(values))
        net = weights.net_exposure_quantity(custody.assets.owned, custody.decimals,
                                            custody.long_positions.total_quantity,
                                            custody.short_positions.total_quantity)
        assert cw.net_quantity == net
    sol = s.custodies[1]
    # The pool owns 20 SOL; the long (3 000 USD at ~150) holds ~20 SOL against it, the short
    # (1 200 USD) owes ~8: the pool is net ~8 SOL long.
    assert sol.long_positions.total_quantity > 0 and sol.short_positions.total_quantity > 0
    net_sol = view.custodies[1].net_quantity
    assert net_sol == 20 * 10**12 - sol.long_positions.total_quantity + sol.short_positions.total_quantity
    assert abs(net_sol - 8 * 10**12) < 10**11
    # Net USD: at the min price, toward zero.
    lo = s.valuations[1].min_price
    expected_usd = abs(net_sol) * lo.price // 10**(12 - 6 - lo.exponent) if lo.exponent < 0 else None
    assert expected_usd is not None and abs(view.custodies[1].net_usd) == expected_usd
    assert sum(cw.weight_ppb for cw in view.custodies) <= WEIGHT_POWER


# ---- tranches on a multi-asset pool ------------------------------------------------------------


async def test_tranched_multi_asset_pool_prices_sol_from_usd_navs_and_the_junior_takes_a_drop_first(
        world: World) -> None:
    from tests.tranche_support import JUNIOR, SENIOR

    mp = await new_multi_pool(world, rules=[WIDE, WIDE], with_btc=False, fees=FeeConfig(
        add_liquidity_bps=0, remove_liquidity_bps=0, protocol_share_bps=0), tranches=(0, 100_000),
        borrow_rate=NO_INTEREST)
    w, accounts = await new_multi_wallet(world, mp, [10_000 * USDC, 100 * SOL])
    c = w.client
    senior_lp = await ensure_ata(world.client.transport, w.pubkey, c.lp_mint_address(mp.pool, SENIOR))
    # Junior: 5 000 USDC and 20 SOL (3 000 USD); senior: 10 SOL (1 500 USD).
    await deposit(world, mp, mp.usdc, w, accounts[0], 5_000 * USDC)
    ev = (await deposit(world, mp, mp.sol, w, accounts[1], 20 * SOL)).event("LiquidityAdded").data
    s = await pool_state(world, mp)
    ix = await c.build_add_liquidity_ix(mp.pool, mp.sol.custody, amount_in=10 * SOL, min_lp_amount_out=0,
                                        funding_account=accounts[1], lp_token_account=senior_lp, tranche=SENIOR)
    state0 = await c.get_tranche_state(mp.pool)
    senior_ev = (await c.send([ix])).event("LiquidityAdded").data
    # The senior tranche's first LP: 1 LP unit per micro-USD of SOL at its min price, less nothing
    # dead (the senior has no dead shares): the USD value of 10 SOL at 150.
    assert senior_ev.deposit_usd == 1_500 * USDC
    assert ev.deposit_usd == 3_000 * USDC
    assert s.aum(AumMode.MIN) == 8_000 * USDC
    state1 = await c.get_tranche_state(mp.pool)
    assert state1.senior_nav_min_usd - state0.senior_nav_min_usd in (1_500 * USDC, 1_500 * USDC + 1)
    # SOL -20 %: 30 SOL lose 900 USD; the senior (1 500 USD claim, rate 0) keeps its NAV, the
    # junior (6 500 USD) takes the whole loss.
    await world.set_price(mp.sol, price=120 * PRICE_POWER)
    state2 = await c.get_tranche_state(mp.pool)
    assert state2.aum_min_usd == state1.aum_min_usd - 900 * USDC
    assert state2.senior_nav_min_usd == state1.senior_nav_min_usd
    assert state2.junior_nav_min_usd == state1.junior_nav_min_usd - 900 * USDC
    # A junior SOL deposit now is priced from the junior's lower NAV: more LP per SOL than before.
    s = await pool_state(world, mp)
    navs = tranche_math.TrancheNavs(state2.junior_nav_max_usd, state2.senior_nav_max_usd)
    ev2 = (await deposit(world, mp, mp.sol, w, accounts[1], 5 * SOL)).event("LiquidityAdded").data
    assert ev2.junior_nav_usd == navs.junior_usd
    assert ev2.deposit_usd == 600 * USDC
    assert ev2.lp_amount_out * ev.deposit_usd > ev.lp_amount_out * ev2.deposit_usd
    assert JUNIOR is not SENIOR and s.lp_supply > 0
