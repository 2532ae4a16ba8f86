"""The Python client on multi-asset pools, against the node: typed views and quotes that agree
with what the instructions then do, remaining accounts for pools of 2 and 3 funded custodies
(a swap's two legs left out), deposits and redemptions of every custody's token (volatile too),
and the program's errors mapped to their named exceptions with nothing changed."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair

from perp_pool import errors
from perp_pool.client import LiquidityQuote, PoolWeights, SwapQuote, WeightConfig
from perp_pool.client.multi_asset import weight_config
from perp_pool.constants import BPS_POWER, WEIGHT_POWER
from tests.helpers import World, assert_rejected
from tests.multi_pool_support import SOL_WEIGHTS, USDC_WEIGHTS, MultiPool, fund_wallet, new_multi_pool, three_assets


@pytest.fixture(scope="module")
async def trio(world: World) -> MultiPool:
    return await new_multi_pool(world, three_assets())


async def test_pool_weights_are_typed_and_in_pool_order(world: World, trio: MultiPool) -> None:
    weights = await world.client.get_pool_weights(trio.pool)
    assert isinstance(weights, PoolWeights)
    pool = await world.client.fetch_pool(trio.pool)
    assert [c.custody for c in weights.custodies] == list(pool.custodies)
    assert [c.custody for c in weights.custodies] == [f.custody for f in trio.custodies.values()]
    assert weights.targets_bps == BPS_POWER
    assert weights.total_owned_usd == sum(c.owned_usd for c in weights.custodies)
    for c, asset in zip(weights.custodies, trio.assets.values(), strict=True):
        assert c.weights == asset.weights
        custody = await world.client.fetch_custody(c.custody)
        assert c.owned == custody.assets.owned
        # Funded at the targets; every deposit paid the same flat fee rate, so the weights stay there
        # to within the floor of the fees' rounding.
        assert abs(c.weight_bps - asset.weights.target_bps) <= 1
        assert c.net_quantity == c.owned * 10 ** (12 - asset.decimals)  # no positions: long what it owns
    assert abs(sum(c.weight_ppb for c in weights.custodies) - WEIGHT_POWER) < len(weights.custodies)


async def test_deposits_and_redemptions_of_every_custody_match_their_quotes(world: World, trio: MultiPool) -> None:
    """Three custodies: each deposit names the two others (and their oracles) in remaining accounts."""
    for symbol, f in trio.custodies.items():
        amount = trio.assets[symbol].liquidity // 100
        w = await world.new_wallet(f, tokens=amount)
        quote = await w.client.get_add_liquidity_amount_and_fee(trio.pool, f.mint, amount_in=amount)
        assert isinstance(quote, LiquidityQuote) and quote.fee_amount > 0
        assert quote == await w.client.get_add_liquidity_amount_and_fee(trio.pool, f.custody, amount_in=amount)
        added = (await world.deposit_and_wait(f, w, amount, min_lp_out=None)).event("LiquidityAdded").data
        assert (added.lp_amount_out, added.fee_bps, added.fee_amount) == (quote.amount_out, quote.fee_bps,
                                                                          quote.fee_amount)
        lp = await world.balance(w.lp_account)
        out = await w.client.get_remove_liquidity_amount_and_fee(trio.pool, f.mint, lp_amount_in=lp)
        removed = (await world.withdraw(f, w, lp, min_out=None)).event("LiquidityRemoved").data
        assert (removed.amount_out, removed.fee_bps) == (out.amount_out, out.fee_bps)
        assert await world.balance(w.token_account) == out.amount_out


async def test_a_swap_between_two_of_three_custodies_pays_its_quote(world: World, trio: MultiPool) -> None:
    owner = await world.funded_keypair()
    sol, btc = trio["SOL"], trio["BTC"]
    accounts = await fund_wallet(world, trio, owner.pubkey(), {"SOL": 2 * 10**9, "BTC": 0})
    client = world.client.with_wallet(owner)
    quote = await client.get_swap_amount_and_fee(trio.pool, sol.mint, btc.mint, amount_in=2 * 10**9)
    assert isinstance(quote, SwapQuote)
    assert quote.in_usd == 300 * 10**6 and quote.gross_out == 600_000  # 300 USD of BTC at 50,000
    assert quote.amount_out == quote.gross_out - quote.fee_amount and quote.fee_bps > 0
    ix = await client.build_swap_ix(trio.pool, sol.mint, btc.mint, amount_in=1, min_amount_out=0)
    legs = {sol.custody, btc.custody}
    remaining = [m.pubkey for m in ix.accounts[-2:]]
    assert remaining[0] == trio["USDC"].custody and not legs & set(remaining)  # the third custody only
    swapped = (await client.swap(trio.pool, sol.mint, btc.mint, amount_in=2 * 10**9)).event("Swapped").data
    assert (swapped.amount_out, swapped.fee_bps, swapped.dispensing_weight_ppb) == (
        quote.amount_out, quote.fee_bps, quote.dispensing_weight_ppb)
    assert await world.balance(accounts["BTC"]) == quote.amount_out and await world.balance(accounts["SOL"]) == 0


async def test_the_fee_leans_with_the_weight(world: World) -> None:
    """After a swap leaves USDC above its target and SOL below: a USDC deposit (further away) is
    quoted dearer than a SOL deposit of the same value (toward), and the USDC redemption cheaper."""
    m = await new_multi_pool(world)
    owner = await world.funded_keypair()
    await fund_wallet(world, m, owner.pubkey(), {"USDC": 10_000 * 10**6, "SOL": 0})
    await world.client.with_wallet(owner).swap(m.pool, m["USDC"].mint, m["SOL"].mint, amount_in=10_000 * 10**6)
    weights = await world.client.get_pool_weights(m.pool)
    assert weights.of(m["USDC"].custody).weight_bps > USDC_WEIGHTS.target_bps
    assert weights.of(m["SOL"].custody).weight_bps < SOL_WEIGHTS.target_bps
    usdc = await world.client.get_add_liquidity_amount_and_fee(m.pool, m["USDC"].mint, amount_in=1_500 * 10**6)
    sol = await world.client.get_add_liquidity_amount_and_fee(m.pool, m["SOL"].mint, amount_in=10 * 10**9)
    assert usdc.fee_bps > 10 > sol.fee_bps  # the flat fee is 10 BPS: taxed above it, rebated below


async def test_a_swap_past_the_max_weight_is_refused_and_changes_nothing(world: World) -> None:
    m = await new_multi_pool(world)
    owner = await world.funded_keypair()
    accounts = await fund_wallet(world, m, owner.pubkey(), {"USDC": 40_000 * 10**6, "SOL": 0})
    client = world.client.with_wallet(owner)
    watched = [m["USDC"].custody, m["SOL"].custody, m["USDC"].vault, m["SOL"].vault, *accounts.values()]
    # 55k + 40k USDC of 140k: 68 % ... 95k / (100k + 40k - 40k) = 95 % > 80 % max
    await assert_rejected(errors.TokenWeightOutOfRange, lambda: client.swap(
        m.pool, m["USDC"].mint, m["SOL"].mint, amount_in=40_000 * 10**6, min_amount_out=0), world.connection, watched)
    await assert_rejected(errors.TokenWeightOutOfRange, lambda: client.get_swap_amount_and_fee(
        m.pool, m["USDC"].mint, m["SOL"].mint, amount_in=40_000 * 10**6), world.connection, watched)
    quote = await client.get_swap_amount_and_fee(m.pool, m["USDC"].mint, m["SOL"].mint, amount_in=1_000 * 10**6)
    await assert_rejected(errors.SlippageExceeded, lambda: client.swap(
        m.pool, m["USDC"].mint, m["SOL"].mint, amount_in=1_000 * 10**6, min_amount_out=quote.amount_out + 1),
        world.connection, watched)


async def test_weights_are_set_by_mint_or_custody_and_only_by_the_admin(world: World) -> None:
    m = await new_multi_pool(world, fund=False)
    new = {"target_bps": 6_000, "min_bps": 1_000, "max_bps": 9_000, "tax_bps": 30, "swap_bps": 10}
    set_ = (await world.client.set_custody_weights(m.pool, m["USDC"].mint, new)).event("CustodyWeightsSet").data
    assert weight_config(set_.weights) == WeightConfig(**new)
    assert weight_config((await world.client.fetch_custody(m["USDC"].custody)).weights) == WeightConfig(**new)
    await world.client.set_custody_weights(m.pool, m["USDC"].custody, USDC_WEIGHTS)
    stranger = world.client.with_wallet(await world.funded_keypair())
    await assert_rejected(errors.Unauthorized, lambda: stranger.set_custody_weights(m.pool, m["SOL"].mint, new),
                          world.connection, [m["SOL"].custody])
    await assert_rejected(errors.InvalidWeightConfig, lambda: world.client.set_custody_weights(
        m.pool, m["SOL"].mint, WeightConfig(5_000, 6_000, 7_000)), world.connection, [m["SOL"].custody])
    with pytest.raises(errors.AccountNotFound):
        await world.client.set_custody_weights(m.pool, Keypair().pubkey(), new)


def test_weight_config_accepts_dicts_and_refuses_unknown_fields() -> None:
    assert weight_config({"target_bps": 1, "max_bps": 2}) == WeightConfig(target_bps=1, max_bps=2)
    with pytest.raises(ValueError, match="unknown weight fields: target"):
        weight_config({"target": 1})
