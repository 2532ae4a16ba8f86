"""Test support for multi-asset pools (issue 13): the client's weight, quote and view calls in the
node tests' argument order, a `swap` builder whose accounts a bad-input test can replace, a pool
with USDC (6 decimals, stable), SOL (9) and BTC (8) custodies, its weights set, and the off-chain
valuation the ports price against.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any

from solana.rpc.commitment import Confirmed
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.sysvar import CLOCK
from spl.token.constants import TOKEN_PROGRAM_ID

from perp_pool.client import FeeConfig, OracleConfig, PerpPoolClient
from perp_pool.clock import unix_timestamp
from perp_pool.constants import PRICE_POWER
from perp_pool.math import weights
from perp_pool.math.liquidity import AumMode, CustodyValuation, assets_under_management_usd, custody_valuation
from perp_pool.math.oracle import OraclePrice, min_max_price
from perp_pool.tokens import create_mint, ensure_ata, mint_tokens
from tests.helpers import USDC_DECIMALS, Market, PoolFixture, Wallet, World

BTC_DECIMALS = 8
SOL_DECIMALS = 9
BTC = 10**BTC_DECIMALS
USDC_RULE = weights.WeightParams(target_bps=5_000, min_bps=2_000, max_bps=8_000, tax_bps=50, swap_bps=10)
SOL_RULE = weights.WeightParams(target_bps=3_000, min_bps=1_000, max_bps=5_000, tax_bps=50, swap_bps=10)
BTC_RULE = weights.WeightParams(target_bps=2_000, min_bps=0, max_bps=4_000, tax_bps=80, swap_bps=15)
WIDE = weights.WeightParams(target_bps=5_000, min_bps=0, max_bps=10_000, tax_bps=50, swap_bps=10)
RULES = [USDC_RULE, SOL_RULE, BTC_RULE]


# ---- instruction builders ------------------------------------------------------------------------


def set_custody_weights_ix(c: PerpPoolClient, pool: Pubkey, custody: Pubkey, p: weights.WeightParams) -> Instruction:
    return c.build_set_custody_weights_ix(pool, custody, asdict(p))


async def swap_accounts(c: PerpPoolClient, pool: Pubkey, receiving: Pubkey, dispensing: Pubkey) -> dict[str, Pubkey]:
    r, d = await c.fetch_custody(receiving), await c.fetch_custody(dispensing)
    return {
        "transfer_authority": c.transfer_authority_address,
        "perpetuals": c.perpetuals_address,
        "pool": pool,
        "receiving_custody": receiving,
        "receiving_custody_oracle_account": r.oracle.oracle_account,
        "receiving_custody_token_account": r.token_account,
        "dispensing_custody": dispensing,
        "dispensing_custody_oracle_account": d.oracle.oracle_account,
        "dispensing_custody_token_account": d.token_account,
        "token_program": TOKEN_PROGRAM_ID,
    }


async def swap_ix(c: PerpPoolClient, pool: Pubkey, receiving: Pubkey, dispensing: Pubkey, *, amount_in: int,
                  min_amount_out: int, funding_account: Pubkey, receiving_account: Pubkey,
                  overrides: dict[str, Pubkey] | None = None,
                  remaining: list[AccountMeta] | None = None) -> Instruction:
    """`swap`: `funding_account` holds the receiving custody's mint, `receiving_account` gets the
    dispensing custody's tokens. `overrides` replaces accounts, `remaining` the remaining accounts."""
    accounts = {"owner": c.wallet.pubkey(), "funding_account": funding_account,
                "receiving_account": receiving_account, **await swap_accounts(c, pool, receiving, dispensing),
                **(overrides or {})}
    if remaining is None:
        remaining = await c.custody_oracle_metas(pool, exclude=(receiving, dispensing))
    params = c._type("SwapParams", amount_in=amount_in, min_amount_out=min_amount_out)
    return c._ix("swap", accounts, params, remaining=remaining)


async def get_pool_weights(c: PerpPoolClient, pool: Pubkey) -> Any:
    return await c.get_pool_weights(pool)


async def get_swap_amount_and_fee(c: PerpPoolClient, pool: Pubkey, receiving: Pubkey, dispensing: Pubkey,
                                  amount_in: int) -> Any:
    return await c.get_swap_amount_and_fee(pool, receiving, dispensing, amount_in=amount_in)


async def get_liquidity_amount_and_fee(c: PerpPoolClient, pool: Pubkey, custody: Pubkey, amount: int, *,
                                       add: bool) -> Any:
    """`get_add_liquidity_amount_and_fee` (LP out for `amount` tokens) or the remove view (tokens
    out for `amount` LP), junior LP."""
    if add:
        return await c.get_add_liquidity_amount_and_fee(pool, custody, amount_in=amount)
    return await c.get_remove_liquidity_amount_and_fee(pool, custody, lp_amount_in=amount)


# ---- a multi-asset pool --------------------------------------------------------------------------


@dataclass
class MultiPool:
    """A pool of custodies in pool.custodies order: usdc (stable), sol, and btc if asked."""

    name: str
    pool: Pubkey
    lp_mint: Pubkey
    custodies: list[PoolFixture]

    @property
    def usdc(self) -> PoolFixture:
        return self.custodies[0]

    @property
    def sol(self) -> PoolFixture:
        return self.custodies[1]

    @property
    def btc(self) -> PoolFixture:
        return self.custodies[2]

    def market(self) -> Market:
        """The pool as a tests.helpers.Market (USDC collateral, SOL traded)."""
        return Market(self.name, self.pool, self.lp_mint, self.usdc, self.sol)

    def index(self, f: PoolFixture) -> int:
        return self.custodies.index(f)


async def new_multi_pool(world: World, *, rules: list[weights.WeightParams], prices: list[int] | None = None,
                         fees: FeeConfig = FeeConfig(), with_btc: bool = True, tranches: tuple[int, int] | None = None,
                         oracle: OracleConfig = OracleConfig(max_price_age_sec=3_600), pricing: Any = None,
                         borrow_rate: Any = None) -> MultiPool:
    """USDC, SOL (150 USD) and BTC (60 000 USD) custodies with `rules[i]` set (a rule of all zeros
    is left unset); prices are PRICE_DECIMALS. `tranches`: a senior tranche before any deposit."""
    from perp_pool.client import BorrowRateConfig, PricingConfig

    c = world.client
    name = "multi-" + secrets.token_hex(6)
    await c.add_pool(name, lp_cooldown_sec=0)
    pool = c.pool_address(name)
    if tranches is not None:
        await c.add_senior_tranche(pool, rate_bps=tranches[0], max_senior_junior_ratio_bps=tranches[1],
                                   senior_deposit_ratio_bps=tranches[1])
    specs = [(USDC_DECIMALS, True), (SOL_DECIMALS, False), (BTC_DECIMALS, False)][: 3 if with_btc else 2]
    prices = prices or [PRICE_POWER, 150 * PRICE_POWER, 60_000 * PRICE_POWER][: len(specs)]
    fixtures = []
    for (decimals, stable), price, rule in zip(specs, prices, rules, strict=True):
        mint = await create_mint(c.transport, decimals)
        await c.add_custody(pool, mint, oracle=oracle, fees=fees, pricing=pricing or PricingConfig(),
                            borrow_rate=borrow_rate or BorrowRateConfig(), is_stable=stable)
        custody = c.custody_address(pool, mint)
        f = PoolFixture(name, pool, c.lp_mint_address(pool), mint, custody, c.custody_vault_address(pool, mint),
                        c.custom_oracle_address(custody), decimals)
        await world.set_price(f, price=price)
        if rule.is_set():
            await c.send([set_custody_weights_ix(c, pool, custody, rule)])
        fixtures.append(f)
    return MultiPool(name, pool, c.lp_mint_address(pool), fixtures)


async def new_multi_wallet(world: World, mp: MultiPool, tokens: list[int] | None = None) -> tuple[Wallet, list[Pubkey]]:
    """A funded wallet with an LP account and a token account per custody (`tokens[i]` minted)."""
    w = await world.new_wallet(mp.usdc, tokens=(tokens or [0])[0])
    accounts = [w.token_account]
    for i, f in enumerate(mp.custodies[1:], start=1):
        acct = await ensure_ata(world.client.transport, w.pubkey, f.mint)
        if tokens and tokens[i]:
            await mint_tokens(world.client.transport, f.mint, acct, tokens[i])
        accounts.append(acct)
    return w, accounts


async def deposit(world: World, mp: MultiPool, f: PoolFixture, w: Wallet, funding: Pubkey, amount: int,
                  min_lp_out: int = 0) -> Any:
    """A junior deposit, then the wait that ends its zero-second LP cooldown (one slot)."""
    result = await w.client.add_liquidity(mp.pool, f.custody, amount_in=amount, funding_account=funding,
                                          lp_token_account=w.lp_account, min_lp_amount_out=min_lp_out)
    await world.after_slot(result.slot)
    return result


async def redeem(world: World, mp: MultiPool, f: PoolFixture, w: Wallet, receiving: Pubkey, lp: int,
                 min_out: int = 0) -> Any:
    return await w.client.remove_liquidity(mp.pool, f.custody, lp_amount_in=lp, receiving_account=receiving,
                                           lp_token_account=w.lp_account, min_amount_out=min_out)


async def swap(world: World, mp: MultiPool, w: Wallet, frm: int, to: int, accounts: list[Pubkey], amount: int,
               min_out: int = 0) -> Any:
    ix = await swap_ix(w.client, mp.pool, mp.custodies[frm].custody, mp.custodies[to].custody, amount_in=amount,
                       min_amount_out=min_out, funding_account=accounts[frm], receiving_account=accounts[to])
    return await w.client.send([ix])


# ---- the pool as the ports see it ----------------------------------------------------------------


@dataclass
class PoolState:
    custodies: list[Any]  # decoded Custody accounts, pool order
    valuations: list[CustodyValuation]
    rules: list[weights.WeightParams]
    lp_supply: int  # with the dead shares
    now: int
    vaults: list[int]  # vault token balances, pool order

    def aum(self, mode: AumMode) -> int:
        return assets_under_management_usd(self.valuations, mode)


async def pool_state(world: World, mp: MultiPool) -> PoolState:
    """The pool's custodies, oracles, vault balances, LP supply and the node's clock, read in ONE
    get_multiple_accounts call (one consistent snapshot, and fast)."""
    c = world.client
    n = len(mp.custodies)
    keys = [*(f.custody for f in mp.custodies), *(f.oracle for f in mp.custodies), *(f.vault for f in mp.custodies),
            mp.lp_mint, mp.pool, CLOCK]
    infos = (await world.connection.get_multiple_accounts(keys, commitment=Confirmed)).value
    data = [bytes(i.data) if i is not None else b"" for i in infos]
    decode = c.program.coder.accounts.decode
    now = unix_timestamp(data[-1])
    custodies, valuations = [], []
    for k in range(n):
        custody, o = decode(data[k]), decode(data[n + k])
        lo, hi = min_max_price(OraclePrice(o.price, o.expo), OraclePrice(o.ema or o.price, o.expo))
        custodies.append(custody)
        valuations.append(custody_valuation(custody, lo, hi, now))
    vaults = [int.from_bytes(data[2 * n + k][64:72], "little") for k in range(n)]
    mint_supply = int.from_bytes(data[3 * n][36:44], "little")
    supply = mint_supply + decode(data[3 * n + 1]).dead_lp_supply
    rules = [weights.WeightParams.from_account(x.weights) for x in custodies]
    return PoolState(custodies, valuations, rules, supply, now, vaults)


def port_deposit(s: PoolState, i: int, amount: int) -> tuple[int, Any]:
    """(fee_bps, AddLiquidityAmounts) the port says a junior deposit of `amount` of custody `i` gets."""
    c = s.custodies[i]
    return weights.add_liquidity_amounts(s.valuations, i, amount, s.rules[i], c.fees.add_liquidity_bps,
                                         c.fees.protocol_share_bps, s.aum(AumMode.MAX), s.lp_supply)


def port_redeem(s: PoolState, i: int, lp: int) -> tuple[int, Any]:
    c = s.custodies[i]
    return weights.remove_liquidity_amounts(s.valuations, i, lp, s.rules[i], c.fees.remove_liquidity_bps,
                                            c.fees.protocol_share_bps, s.aum(AumMode.MIN), s.lp_supply,
                                            c.assets.owned - c.assets.locked)


def port_swap(s: PoolState, frm: int, to: int, amount: int) -> weights.SwapQuote:
    r, d = s.custodies[frm], s.custodies[to]
    return weights.quote_swap(
        s.valuations,
        weights.SwapLeg(frm, s.rules[frm], r.assets.owned, r.assets.locked, r.pricing.max_utilization),
        weights.SwapLeg(to, s.rules[to], d.assets.owned, d.assets.locked, d.pricing.max_utilization),
        amount, d.fees.protocol_share_bps)
