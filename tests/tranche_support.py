"""Shared set-up of the LP tranche tests (tests/test_tranches*.py): tranched markets, LP wallets
of either tranche, and the program's deposit / redemption / view arithmetic recomputed from chain
state with the client's ports (perp_pool.math.tranche and perp_pool.math.liquidity)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from solana.rpc.core import RPCException
from solders.instruction import Instruction
from solders.pubkey import Pubkey

from perp_pool import errors
from perp_pool.client import BorrowRateConfig, FeeConfig, OracleConfig, PricingConfig
from perp_pool.constants import PRICE_DECIMALS
from perp_pool.math import liquidity
from perp_pool.math import tranche as tm
from perp_pool.math.fixed import Rounding
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.tranche import SeniorTerms, Tranche
from perp_pool.tokens import ensure_ata
from tests.helpers import USDC_DECIMALS, Market, Wallet, World, new_market
from tests.lp_safety_support import NO_INTEREST, ONE_USD

JUNIOR, SENIOR = Tranche.JUNIOR, Tranche.SENIOR
NO_FEES = FeeConfig(add_liquidity_bps=0, remove_liquidity_bps=0, open_position_bps=0, close_position_bps=0,
                    liquidation_bps=0, liquidator_reward_bps=0, protocol_share_bps=0, insurance_share_bps=0)
ORACLE = OracleConfig(max_price_age_sec=3_600)  # what new_market configures
ONE = OraclePrice(ONE_USD, -PRICE_DECIMALS)  # the USDC custody's price in every test: exactly 1 USD


@dataclass
class TMarket:
    """A tranched (or not) market and the configuration it was created with."""

    m: Market
    fees: FeeConfig
    pricing: PricingConfig
    borrow_rate: BorrowRateConfig

    @property
    def pool(self) -> Pubkey:
        return self.m.pool

    def mint(self, world: World, tranche: Tranche) -> Pubkey:
        return world.client.lp_mint_address(self.m.pool, tranche)


async def tranched_market(world: World, *, rate_bps: int | None, ratio_bps: int = 100_000,
                          fees: FeeConfig = NO_FEES, borrow_rate: BorrowRateConfig = NO_INTEREST,
                          pricing: PricingConfig | None = None) -> TMarket:
    """A USDC/SOL market with no liquidity; with a senior tranche unless `rate_bps` is None."""
    pricing = pricing or PricingConfig(max_utilization=950_000_000)
    m = await new_market(world, liquidity=0, fees=fees, borrow_rate=borrow_rate, pricing=pricing)
    if rate_bps is not None:
        await world.client.add_senior_tranche(m.pool, rate_bps=rate_bps, max_senior_junior_ratio_bps=ratio_bps,
                                              senior_deposit_ratio_bps=ratio_bps)
    return TMarket(m, fees, pricing, borrow_rate)


@dataclass
class LP:
    """One owner with a USDC account and an LP account in each tranche."""

    junior: Wallet
    senior: Wallet

    def of(self, tranche: Tranche) -> Wallet:
        return self.junior if tranche is JUNIOR else self.senior

    @property
    def token_account(self) -> Pubkey:
        return self.junior.token_account


async def new_lp(world: World, t: TMarket, tokens: int, *, senior: bool = True) -> LP:
    w = await world.new_wallet(t.m.usdc, tokens=tokens)
    senior_account = w.lp_account
    if senior:
        senior_account = await ensure_ata(world.client.transport, w.pubkey, t.mint(world, SENIOR))
    return LP(w, Wallet(w.keypair, w.client, w.token_account, senior_account))


async def deposit_ix(t: TMarket, w: Wallet, tranche: Tranche, amount: int, min_out: int = 0) -> Instruction:
    return await w.client.build_add_liquidity_ix(t.pool, t.m.usdc.custody, amount_in=amount,
                                                 min_lp_amount_out=min_out, funding_account=w.token_account,
                                                 lp_token_account=w.lp_account, owner=w.pubkey, tranche=tranche)


async def redeem_ix(t: TMarket, w: Wallet, tranche: Tranche, lp_amount: int, min_out: int = 0) -> Instruction:
    return await w.client.build_remove_liquidity_ix(t.pool, t.m.usdc.custody, lp_amount_in=lp_amount,
                                                    min_amount_out=min_out, receiving_account=w.token_account,
                                                    lp_token_account=w.lp_account, owner=w.pubkey, tranche=tranche)


async def deposit(t: TMarket, lp: LP, tranche: Tranche, amount: int):
    w = lp.of(tranche)
    return await w.client.send([await deposit_ix(t, w, tranche, amount)])


async def redeem(t: TMarket, lp: LP, tranche: Tranche, lp_amount: int):
    w = lp.of(tranche)
    return await w.client.send([await redeem_ix(t, w, tranche, lp_amount)])


async def tx_time(world: World, result: Any) -> int:
    """The Clock's unix_timestamp the transaction ran at (its slot's block time, once the node
    has closed that slot)."""
    for _ in range(100):
        try:
            value = (await world.connection.get_block_time(result.slot)).value
        except RPCException:  # the slot is still open
            value = None
        if value is not None:
            return int(value)
        await asyncio.sleep(0.05)
    raise TimeoutError(f"no block time for slot {result.slot}")


async def mint_supply(world: World, mint: Pubkey) -> int:
    return int((await world.connection.get_token_supply(mint)).value.amount)


@dataclass(frozen=True)
class Book:
    """What the program prices LP against, read from the accounts: the senior terms and supply,
    the junior supply with its dead shares, the coverage limit and the USDC custody."""

    terms: SeniorTerms
    tranched: bool
    senior_supply: int
    junior_supply: int
    ratio_bps: int
    deposit_ratio_bps: int
    max_senior_usd: int
    owned: int
    locked: int
    add_bps: int
    remove_bps: int
    protocol_bps: int

    def supply(self, tranche: Tranche) -> int:
        return self.junior_supply if tranche is JUNIOR else self.senior_supply


async def book(world: World, t: TMarket) -> Book:
    pool = await world.client.fetch_pool(t.pool)
    custody = await world.client.fetch_custody(t.m.usdc.custody)
    s = pool.senior
    return Book(SeniorTerms(s.index, s.index_time, s.rate_bps), s.mint != Pubkey.default(), s.supply,
                await mint_supply(world, t.m.lp_mint) + pool.dead_lp_supply, s.max_senior_junior_ratio_bps,
                s.senior_deposit_ratio_bps, s.max_senior_usd,
                custody.assets.owned, custody.assets.locked, custody.fees.add_liquidity_bps,
                custody.fees.remove_liquidity_bps, custody.fees.protocol_share_bps)


def expect_deposit(b: Book, tranche: Tranche, amount: int, aum_max: int, now: int,
                   aum_min: int | None = None) -> liquidity.AddLiquidityAmounts:
    """`controller::liquidity::apply_deposit` of `amount` USDC (at 1 USD) into `tranche`, its
    named refusals included. A senior deposit's coverage is checked at min-mode NAVs (`aum_min`,
    default `aum_max`: equal when no position is open) under the senior-deposit limit, then the
    capacity."""
    navs = tm.tranche_navs(aum_max, b.terms, b.senior_supply, now, tranche, True)
    supply = b.supply(tranche)
    if b.tranched and tranche is JUNIOR and not tm.junior_issuable(navs.junior_usd, supply):
        raise errors.JuniorTrancheWipedOut()
    nav, priced_supply = tm.tranche_price(navs, b.terms, supply, now, tranche, True)
    out = liquidity.compute_add_liquidity(amount, USDC_DECIMALS, ONE, nav, priced_supply, b.add_bps,
                                          b.protocol_bps)
    if tranche is SENIOR:
        low = tm.tranche_navs(aum_max if aum_min is None else aum_min, b.terms, b.senior_supply, now, JUNIOR, False)
        senior_after = low.senior_usd + out.deposit_usd
        if not tm.coverage_holds(senior_after, low.junior_usd, b.deposit_ratio_bps):
            raise errors.CoverageLimitExceeded()
        if b.max_senior_usd and senior_after > b.max_senior_usd:
            raise errors.SeniorCapacityExceeded()
    return out


def expect_redeem(b: Book, tranche: Tranche, lp_amount: int, aum_min: int,
                  now: int) -> liquidity.RemoveLiquidityAmounts:
    """`controller::liquidity::apply_withdrawal` of `lp_amount` LP of `tranche` for USDC (at 1 USD),
    its named refusals included."""
    navs = tm.tranche_navs(aum_min, b.terms, b.senior_supply, now, tranche, False)
    junior_of_tranched = b.tranched and tranche is JUNIOR
    if junior_of_tranched and navs.junior_usd == 0:
        raise errors.JuniorTrancheWipedOut()
    out = liquidity.compute_remove_liquidity(lp_amount, navs.of(tranche), b.supply(tranche), USDC_DECIMALS, ONE,
                                             b.owned - b.locked, b.remove_bps, b.protocol_bps)
    if junior_of_tranched and not tm.coverage_holds(navs.senior_usd, navs.junior_usd - out.withdraw_usd,
                                                    b.ratio_bps):
        raise errors.CoverageLimitExceeded()
    return out


def navs_at(aum: int, b: Book, now: int) -> tm.TrancheNavs:
    """The NAVs as `get_tranche_state` reports them at `now` (index and target rounded down)."""
    index = tm.senior_index(b.terms, now, Rounding.FLOOR)
    return tm.split_navs(aum, tm.senior_target_usd(b.senior_supply, index, Rounding.FLOOR))


async def tranche_state(world: World, t: TMarket, **stress: int) -> tuple[Any, int, int]:
    """`get_tranche_state` and the node's clock read just before and just after it."""
    lo = await world.now()
    state = await world.client.get_tranche_state(t.pool, **stress)
    hi = await world.now()
    return state, lo, hi


async def checked_state(world: World, t: TMarket, *, full: bool = True, **stress: int) -> tuple[Any, Book, int]:
    """`get_tranche_state`, checked against the accounts and the client's math: junior + senior ==
    the AUM in both modes, both NAVs the cascade of the AUM over the senior claim, the claim
    `supply x index(now)`, the index the terms' at the view's clock, the senior supply the mint's
    and the pool's, the LP prices each tranche's NAV over its supply. Returns the state, the book
    and the clock the view ran at. `full=False` leaves out the other views (fewer requests, for
    long sequences)."""
    state, lo, hi = await tranche_state(world, t, **stress)
    b = await book(world, t)
    assert state.tranched is b.tranched
    assert state.senior_supply == b.senior_supply
    if b.tranched:
        assert b.senior_supply == await mint_supply(world, t.mint(world, SENIOR))
    else:
        assert (b.senior_supply, state.senior_index, state.senior_target_usd, state.senior_nav_min_usd,
                state.senior_nav_max_usd) == (0, 0, 0, 0, 0)
    assert state.junior_supply == b.junior_supply
    assert state.max_senior_junior_ratio_bps == b.ratio_bps
    assert state.senior_rate_bps == b.terms.rate_bps
    assert state.junior_nav_min_usd + state.senior_nav_min_usd == state.aum_min_usd
    assert state.junior_nav_max_usd + state.senior_nav_max_usd == state.aum_max_usd
    if full:
        assert state.aum_min_usd == await world.client.get_assets_under_management(t.pool)
    # The view's clock: the one second of [lo, hi] whose index it reports (any of them at rate 0).
    now = next((s for s in range(lo, hi + 1) if tm.senior_index(b.terms, s, Rounding.FLOOR) == state.senior_index),
               None)
    assert now is not None, (state.senior_index, b.terms, lo, hi)
    assert state.senior_target_usd == tm.senior_target_usd(b.senior_supply, state.senior_index, Rounding.FLOOR)
    for aum, junior, senior in ((state.aum_min_usd, state.junior_nav_min_usd, state.senior_nav_min_usd),
                                (state.aum_max_usd, state.junior_nav_max_usd, state.senior_nav_max_usd)):
        assert tm.split_navs(aum, state.senior_target_usd) == tm.TrancheNavs(junior, senior)
        assert navs_at(aum, b, now) == tm.TrancheNavs(junior, senior)
    def lp_price(tranche: Tranche, at: int) -> int:
        navs = tm.tranche_navs(state.aum_min_usd, b.terms, b.senior_supply, at, tranche, False)
        nav, supply = tm.tranche_price(navs, b.terms, b.supply(tranche), at, tranche, False)
        return liquidity.lp_token_price_usd(nav, supply)

    for tranche, price in ((JUNIOR, state.junior_price_usd), (SENIOR, state.senior_price_usd)):
        assert price == lp_price(tranche, now), tranche
        if full and (b.tranched or tranche is JUNIOR):
            # `get_lp_token_price` runs a moment later (the index may have moved by then); the
            # AUM does not move with the clock in these tests (no interest accrues when checked).
            lo = await world.now()
            view = await world.client.get_lp_token_price(t.pool, tranche)
            hi = await world.now()
            assert view in {lp_price(tranche, s) for s in range(lo, hi + 1)}, tranche
    # Fees are paid in USDC (1 USD): the SOL custody's fund stays empty.
    if full:
        assert (await world.client.fetch_custody(t.m.sol.custody)).assets.insurance_fund == 0
    assert state.insurance_fund_usd == (await world.client.fetch_custody(t.m.usdc.custody)).assets.insurance_fund
    return state, b, now
