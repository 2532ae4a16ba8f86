"""Exposure books on the node (docs/design.md "Exposure books"; findings A and B): the pool's
valuation counts each position within its own clamp, whatever other positions on its side do.

Each scenario puts one position outside its clamp (above its payoff cap, or past its bankruptcy
price), then opens a second same-side position that widens the side's aggregate clamp. Before
the books, that second position let a depositor mint LP against an AUM deflated by the first
position's profit above its cap (A), or let a redeemer leave at an AUM that still counted the
first position's bad debt as recoverable (B). The tests compare what the program quotes with the
exact per-position valuation computed from the accounts it holds.
"""

from __future__ import annotations

import dataclasses

from perp_pool import errors
from perp_pool.client import BorrowRateConfig, FeeConfig, OracleConfig, PricingConfig
from perp_pool.constants import PRICE_DECIMALS
from perp_pool.math import liquidity
from perp_pool.math import pnl as pnl_math
from perp_pool.math.exposure import ExposureBook, Threshold, crossing
from perp_pool.math.fixed import Rounding
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pricing import Side
from perp_pool.math.trade import CollateralCustody
from tests.helpers import USDC, Market, World, assert_rejected, market_deposit, new_market, price_usd
from tests.test_trading import open_pos, trader

NO_INTEREST = BorrowRateConfig(base_rate=0, slope1=0, slope2=0)
NO_FEES = FeeConfig(add_liquidity_bps=0, remove_liquidity_bps=0, open_position_bps=0, close_position_bps=0,
                    liquidation_bps=0, liquidator_reward_bps=0)
SIZE = 1_500 * USDC


async def positions_of(world: World, m: Market, wallets: list) -> list:
    return [await world.client.fetch_position(m.position(w, Side.LONG)) for w in wallets]


def exact_claim(positions: list, price: int, collateral: CollateralCustody, rounding: Rounding) -> int:
    """Σ clamp(x_i, -c_i, k_i) over longs at `price` (PRICE_DECIMALS): each position on its own."""
    total = 0
    for p in positions:
        x = pnl_math.quantity_value_usd(p.quantity, price, rounding) - p.size_usd
        total += min(max(x, -collateral.value_usd(p.collateral_amount)), collateral.value_usd(p.locked_amount))
    return total


async def valuations(world: World, m: Market, sol_price: int) -> tuple[liquidity.CustodyValuation, ...]:
    usdc = await world.client.fetch_custody(m.usdc.custody)
    sol = await world.client.fetch_custody(m.sol.custody)
    one = OraclePrice(price_usd(1), -PRICE_DECIMALS)
    at = OraclePrice(sol_price, -PRICE_DECIMALS)
    now = await world.now()
    return (liquidity.custody_valuation(usdc, one, one, now), liquidity.custody_valuation(sol, at, at, now))


def without_books(v: liquidity.CustodyValuation) -> liquidity.CustodyValuation:
    """The valuation as it was before the books: side aggregates and their clamp only."""
    return dataclasses.replace(v, trading=dataclasses.replace(
        v.trading, long_profit_above_cap_usd=0, long_bad_debt_usd=0, short_profit_above_cap_usd=0,
        short_bad_debt_usd=0))


async def test_a_long_above_its_cap_does_not_deflate_the_deposit_price(world: World) -> None:
    m = await new_market(world, fees=NO_FEES, borrow_rate=NO_INTEREST)
    first = await trader(world, m)
    await open_pos(world, m, first, Side.LONG, 100 * USDC, SIZE)  # 10 SOL at 150, cap 1_500 USD (at 300)
    await world.set_price(m.sol, price=price_usd(320))  # uncapped profit 1_700, capped 1_500
    second = await trader(world, m)
    await open_pos(world, m, second, Side.LONG, 100 * USDC, SIZE)  # widens the longs' clamp by 1_500
    usdc_v, sol_v = await valuations(world, m, price_usd(320))
    one = OraclePrice(price_usd(1), -PRICE_DECIMALS)
    collateral = CollateralCustody.from_custody(await world.client.fetch_custody(m.usdc.custody), one, one)
    claim = exact_claim(await positions_of(world, m, [first, second]), price_usd(320), collateral, Rounding.FLOOR)
    owned = usdc_v.owned  # USDC at 1 USD, 6 decimals: tokens are micro-USD

    aum_max = liquidity.assets_under_management_usd([usdc_v, sol_v], liquidity.AumMode.MAX)
    old_aum_max = liquidity.assets_under_management_usd([usdc_v, without_books(sol_v)], liquidity.AumMode.MAX)
    assert sol_v.trading.long_profit_above_cap_usd == 200 * USDC  # 10 SOL x (320 - 300)
    assert aum_max == owned - claim  # exact: both thresholds lie in grid cells away from 320
    assert old_aum_max == aum_max - 200 * USDC  # what the side clamp alone gave a depositor

    # A deposit is priced at exactly that AUM: the depositor no longer gets the first long's
    # profit above its cap as LP.
    depositor = await world.new_wallet(m.usdc, tokens=1_000_000 * USDC)
    quote = await depositor.client.quote_add_liquidity(m.pool, m.usdc.custody, amount_in=1_000_000 * USDC,
                                                       funding_account=depositor.token_account,
                                                       lp_token_account=depositor.lp_account)
    supply = await world.lp_supply(m)
    fair = liquidity.compute_add_liquidity(1_000_000 * USDC, 6, one, owned - claim, supply, 0, 0)
    old = liquidity.compute_add_liquidity(1_000_000 * USDC, 6, one, old_aum_max, supply, 0, 0)
    assert quote.lp_amount_out == fair.lp_amount_out
    assert old.lp_amount_out > fair.lp_amount_out


async def test_an_underwater_long_does_not_inflate_the_redemption_price(world: World) -> None:
    m = await new_market(world, fees=NO_FEES, borrow_rate=NO_INTEREST)
    lp = await world.new_wallet(m.usdc, tokens=10_000 * USDC)
    await market_deposit(world, m, lp, 10_000 * USDC)
    first = await trader(world, m)
    await open_pos(world, m, first, Side.LONG, 100 * USDC, SIZE)  # 10 SOL at 150, bankrupt at 140
    await world.set_price(m.sol, price=price_usd(120))  # loss 300 on 100 of collateral: 200 bad debt
    second = await trader(world, m)
    await open_pos(world, m, second, Side.LONG, 400 * USDC, SIZE)  # widens the longs' clamp by 400
    usdc_v, sol_v = await valuations(world, m, price_usd(120))
    one = OraclePrice(price_usd(1), -PRICE_DECIMALS)
    collateral = CollateralCustody.from_custody(await world.client.fetch_custody(m.usdc.custody), one, one)
    claim = exact_claim(await positions_of(world, m, [first, second]), price_usd(120), collateral, Rounding.CEIL)

    aum_min = liquidity.assets_under_management_usd([usdc_v, sol_v], liquidity.AumMode.MIN)
    old_aum_min = liquidity.assets_under_management_usd([usdc_v, without_books(sol_v)], liquidity.AumMode.MIN)
    assert sol_v.trading.long_bad_debt_usd == 200 * USDC  # 10 SOL x (140 - 120)
    assert aum_min == usdc_v.owned - claim
    assert old_aum_min == aum_min + 200 * USDC  # the side clamp alone counted the bad debt as owed to LPs
    assert await world.client.get_assets_under_management(m.pool) == aum_min

    lp_amount = await world.balance(lp.lp_account)
    quote = await lp.client.quote_remove_liquidity(m.pool, m.usdc.custody, lp_amount_in=lp_amount,
                                                   receiving_account=lp.token_account, lp_token_account=lp.lp_account)
    supply = await world.lp_supply(m)
    usdc = await world.client.fetch_custody(m.usdc.custody)
    fair = liquidity.compute_remove_liquidity(lp_amount, usdc_v.owned - claim, supply, 6, one,
                                              usdc.assets.owned - usdc.assets.locked, 0, 0)
    assert quote.amount_out == fair.amount_out


async def test_books_follow_every_change_and_empty_when_positions_close(world: World) -> None:
    """Open, increase, add and remove collateral, partial decrease, close: after each change the
    books hold exactly the open positions' current thresholds (recomputed from the accounts), and
    they are empty once every position is closed."""
    from tests.test_trading import close_pos

    m = await new_market(world, borrow_rate=NO_INTEREST)
    a, b = await trader(world, m), await trader(world, m)
    await open_pos(world, m, a, Side.LONG, 100 * USDC, SIZE)
    await open_pos(world, m, b, Side.SHORT, 200 * USDC, SIZE)

    async def check() -> None:
        sol = await world.client.fetch_custody(m.sol.custody)
        expected = {(side, t): ExposureBook() for side in Side for t in Threshold}
        for w, side in ((a, Side.LONG), (b, Side.SHORT)):
            info = await world.connection.get_account_info(m.position(w, side))
            if info.value is None:
                continue
            p = await world.client.fetch_position(m.position(w, side))
            expected[side, Threshold.CAP].add(crossing(side, Threshold.CAP), p.quantity, p.exposure_cap_usd)
            expected[side, Threshold.BANKRUPTCY].add(crossing(side, Threshold.BANKRUPTCY), p.quantity,
                                                     p.exposure_bankruptcy_usd)
        for side, stats in ((Side.LONG, sol.long_positions), (Side.SHORT, sol.short_positions)):
            assert ExposureBook.from_account(stats.cap_book) == expected[side, Threshold.CAP]
            assert ExposureBook.from_account(stats.bankruptcy_book) == expected[side, Threshold.BANKRUPTCY]

    await check()
    await a.client.increase_position(m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=2**63,
                                     collateral_amount=50 * USDC, size_usd=SIZE, funding_account=a.token_account)
    await check()
    await b.client.add_collateral(m.pool, m.sol.custody, m.usdc.custody, Side.SHORT, collateral_amount=10 * USDC,
                                  funding_account=b.token_account)
    await check()
    await b.client.remove_collateral(m.pool, m.sol.custody, m.usdc.custody, Side.SHORT, collateral_usd=5 * USDC,
                                     receiving_account=b.token_account)
    await check()
    await a.client.decrease_position(m.pool, m.sol.custody, m.usdc.custody, Side.LONG, price_limit=0,
                                     size_usd=SIZE // 2, receiving_account=a.token_account)
    await check()
    await close_pos(world, m, a, Side.LONG)
    await close_pos(world, m, b, Side.SHORT)
    sol = await world.client.fetch_custody(m.sol.custody)
    for stats in (sol.long_positions, sol.short_positions):
        assert ExposureBook.from_account(stats.cap_book) == ExposureBook()
        assert ExposureBook.from_account(stats.bankruptcy_book) == ExposureBook()


async def test_lowering_the_payoff_multiplier_does_not_change_what_the_pool_owes(world: World) -> None:
    """The side's profit clamp is the sum of the caps its positions registered, not the market's
    current multiplier: an admin lowering `max_payoff_mult_bps` (to de-risk or delist a market)
    must not make redemptions pay out profit the pool still owes (review finding F1)."""
    oracle = OracleConfig(max_price_age_sec=3_600)
    m = await new_market(world, fees=NO_FEES, borrow_rate=NO_INTEREST, oracle=oracle)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, SIZE)  # 10 SOL at 150, cap 1_500 USD
    await world.set_price(m.sol, price=price_usd(280))  # profit 1_300, under the cap
    before = await world.client.get_assets_under_management(m.pool)
    for mult in (5_000, 0):  # half the cap, then a delisted market (no new positions)
        pricing = dataclasses.replace(PricingConfig(), max_payoff_mult_bps=mult,
                                      max_initial_leverage_bps=500_000 if mult else 0,
                                      min_initial_leverage_bps=10_000 if mult else 0)
        await world.client.set_custody_config(m.pool, m.sol.custody, oracle=oracle, fees=NO_FEES, pricing=pricing,
                                              borrow_rate=NO_INTEREST)
        assert await world.client.get_assets_under_management(m.pool) == before
    sol = await world.client.fetch_custody(m.sol.custody)
    assert sol.long_positions.max_profit_usd == SIZE  # what the position registered


async def test_collateral_cannot_take_a_position_below_the_minimum_leverage(world: World) -> None:
    """add_collateral keeps size / collateral at or above the market's minimum initial leverage:
    a dust position cannot carry any collateral and so place its bankruptcy threshold anywhere
    on the exposure grid (review finding F2); refused with MinLeverageNotMet, nothing changed."""
    m = await new_market(world, fees=NO_FEES, borrow_rate=NO_INTEREST)
    w = await trader(world, m, usdc=5_000 * USDC)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, SIZE)

    async def add(amount: int) -> object:
        return await w.client.add_collateral(m.pool, m.sol.custody, m.usdc.custody, Side.LONG,
                                             collateral_amount=amount, funding_account=w.token_account)

    watched = [m.position(w, Side.LONG), m.sol.custody, m.usdc.custody, m.usdc.vault, w.token_account]
    await assert_rejected(errors.MinLeverageNotMet, lambda: add(1_401 * USDC + 1), world.connection, watched)
    await add(1_400 * USDC)  # exactly 1x: allowed
    position = await world.client.fetch_position(m.position(w, Side.LONG))
    assert position.collateral_amount == SIZE
