"""`MultiAssetClient`: multi-asset pools (docs/design.md "Multi-asset pools"): custody weights
(`set_custody_weights`), swaps between custodies (`swap`) and the views of weights and of what a
deposit, redemption or swap would pay (`get_pool_weights`, `get_swap_amount_and_fee`,
`get_add_liquidity_amount_and_fee`, `get_remove_liquidity_amount_and_fee`), decoded into typed
dataclasses.

A custody is named by its address or by its mint (`custody_of`): a key that is one of the pool's
custodies is taken as it is, any other as a mint of the pool. The fee rule itself is the program's
(math/weights.rs); quotes ask the program, nothing is recomputed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from solana.rpc.commitment import Confirmed
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import get_associated_token_address

from perp_pool.client.params import DEFAULT_LIQUIDITY_SLIPPAGE_BPS, WeightConfig, min_out_after_slippage
from perp_pool.client.staking import StakingClient
from perp_pool.constants import BPS_POWER, WEIGHT_POWER
from perp_pool.errors import AccountNotFound
from perp_pool.math.tranche import Tranche
from perp_pool.transport import TxResult

__all__ = ["CustodyWeight", "LiquidityQuote", "MultiAssetClient", "PoolWeights", "SwapQuote", "weight_config",
           "weight_bps"]


def weight_config(weights: WeightConfig | Mapping[str, int] | Any) -> WeightConfig:
    """A WeightConfig from itself, a dict of its fields, or anchorpy's decoded `WeightParams`."""
    if isinstance(weights, WeightConfig):
        return weights
    names = [f.name for f in fields(WeightConfig)]
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(names)
        if unknown:
            raise ValueError(f"unknown weight fields: {', '.join(sorted(unknown))} (known: {', '.join(names)})")
        return WeightConfig(**{k: int(v) for k, v in weights.items()})
    return WeightConfig(**{n: int(getattr(weights, n)) for n in names})


def weight_bps(weight_ppb: int) -> int:
    """A weight in parts per billion (WEIGHT_POWER) in BPS, floor (display and comparisons with the
    targets, which are BPS)."""
    return weight_ppb * BPS_POWER // WEIGHT_POWER


@dataclass(frozen=True)
class CustodyWeight:
    """One custody in `get_pool_weights`: what the pool owns of it, its share of the pool's owned
    value now against its rule, and the pool's net exposure to the asset."""

    custody: Pubkey
    owned: int  # tokens the pool owns (LP assets, locked payoffs included)
    owned_usd: int  # `owned` at the min price, floor (USD_DECIMALS)
    weight_ppb: int  # share of the pool's owned value, parts per billion (0 when the pool owns nothing)
    weights: WeightConfig
    net_quantity: int  # the pool's net exposure, QUANTITY_DECIMALS units of the token (negative: short)
    net_usd: int  # net_quantity at the min price, toward zero (USD_DECIMALS)

    @property
    def weight_bps(self) -> int:
        return weight_bps(self.weight_ppb)


@dataclass(frozen=True)
class PoolWeights:
    total_owned_usd: int
    custodies: tuple[CustodyWeight, ...]  # in pool.custodies order

    def of(self, custody: Pubkey) -> CustodyWeight:
        found = next((c for c in self.custodies if c.custody == custody), None)
        if found is None:
            raise KeyError(f"custody {custody} is not in the pool")
        return found

    @property
    def targets_bps(self) -> int:
        return sum(c.weights.target_bps for c in self.custodies)


@dataclass(frozen=True)
class SwapQuote:
    """What a swap of `amount_in` would do now (`get_swap_amount_and_fee`)."""

    in_usd: int  # amount_in at the receiving custody's min price
    gross_out: int  # in_usd in dispensing tokens at its max price, before the fee
    fee_bps: int  # the dearer of the two legs' weight-steered fees
    fee_amount: int  # dispensing tokens, ceil
    amount_out: int  # what the swapper receives
    receiving_weight_ppb: int  # both legs' weights after the swap
    dispensing_weight_ppb: int


@dataclass(frozen=True)
class LiquidityQuote:
    """What a deposit (`amount_out`: LP minted) or a redemption (`amount_out`: tokens paid) would
    do now, and its weight-steered fee."""

    amount_out: int
    fee_bps: int
    fee_amount: int  # tokens of the custody
    usd: int  # the deposit's value, or the LP's share of the tranche (USD_DECIMALS)


class MultiAssetClient(StakingClient):
    """Weights, swaps and their quotes for this wallet (the swapper, or the admin for weights)."""

    async def custody_of(self, pool: Pubkey, key: Pubkey) -> Pubkey:
        """`key` if it is one of the pool's custodies, else the pool's custody of mint `key`
        (AccountNotFound if the pool has none)."""
        return self._custody_in(pool, (await self.fetch_pool(pool)).custodies, key)

    def _custody_in(self, pool: Pubkey, custodies: Sequence[Pubkey], key: Pubkey) -> Pubkey:
        if key in custodies:
            return key
        custody = self.custody_address(pool, key)
        if custody not in custodies:
            raise AccountNotFound(f"pool {pool} has no custody {key} nor a custody of mint {key}")
        return custody

    # ---- builders ----------------------------------------------------------------------------

    def build_set_custody_weights_ix(self, pool: Pubkey, custody: Pubkey,
                                     weights: WeightConfig | Mapping[str, int], *,
                                     admin: Pubkey | None = None) -> Instruction:
        """`custody` is the custody's address (see `set_custody_weights` for a mint)."""
        w = weight_config(weights)
        return self._ix("set_custody_weights", {
            "admin": admin or self.wallet.pubkey(),
            "perpetuals": self.perpetuals_address,
            "pool": pool,
            "custody": custody,
        }, self._type("WeightParams", **w.__dict__))

    async def _swap_legs(self, pool: Pubkey, in_key: Pubkey,
                         out_key: Pubkey) -> tuple[Any, Any, dict[str, Pubkey], list[AccountMeta]]:
        """The two legs (custody accounts), the swap's leg accounts and its remaining accounts (every
        other custody with its oracle, in pool.custodies order), from one read of the pool and one
        of all its custodies."""
        custodies = list((await self.fetch_pool(pool)).custodies)
        receiving = self._custody_in(pool, custodies, in_key)
        dispensing = self._custody_in(pool, custodies, out_key)
        fetched = await self.program.account["Custody"].fetch_multiple(custodies, commitment=Confirmed)
        by_key: dict[Pubkey, Any] = {}
        for custody, account in zip(custodies, fetched, strict=True):
            if account is None:
                raise AccountNotFound(f"Custody {custody} of pool {pool} does not exist")
            by_key[custody] = account
        r, d = by_key[receiving], by_key[dispensing]
        accounts = {
            "perpetuals": self.perpetuals_address,
            "pool": pool,
            "receiving_custody": receiving,
            "receiving_custody_oracle_account": r.oracle.oracle_account,
            "receiving_custody_token_account": r.token_account,
            "dispensing_custody": dispensing,
            "dispensing_custody_oracle_account": d.oracle.oracle_account,
            "dispensing_custody_token_account": d.token_account,
        }
        remaining = [meta for custody in custodies if custody not in (receiving, dispensing)
                     for meta in (AccountMeta(custody, False, False),
                                  AccountMeta(by_key[custody].oracle.oracle_account, False, False))]
        return r, d, accounts, remaining

    async def build_swap_ix(self, pool: Pubkey, in_mint: Pubkey, out_mint: Pubkey, *, amount_in: int,
                            min_amount_out: int, funding_account: Pubkey | None = None,
                            receiving_account: Pubkey | None = None, owner: Pubkey | None = None,
                            overrides: dict[str, Pubkey] | None = None) -> Instruction:
        """Swaps `amount_in` of `in_mint` (the receiving custody's token, from `funding_account`,
        default the owner's associated account) for `out_mint` (the dispensing custody's, to
        `receiving_account`, default the owner's associated account). Remaining accounts: every
        other custody of the pool with its oracle, in pool.custodies order."""
        owner = owner or self.wallet.pubkey()
        r, d, accounts, remaining = await self._swap_legs(pool, in_mint, out_mint)
        accounts.update({
            "owner": owner,
            "funding_account": funding_account or get_associated_token_address(owner, r.mint),
            "receiving_account": receiving_account or get_associated_token_address(owner, d.mint),
            "transfer_authority": self.transfer_authority_address,
            "token_program": TOKEN_PROGRAM_ID,
        })
        params = self._type("SwapParams", amount_in=amount_in, min_amount_out=min_amount_out)
        return self._ix("swap", self._only("swap", accounts, overrides), params, remaining=remaining)

    # ---- senders -----------------------------------------------------------------------------

    async def set_custody_weights(self, pool: Pubkey, custody_or_mint: Pubkey,
                                  weights: WeightConfig | Mapping[str, int]) -> TxResult:
        """Admin: the custody's weight rule (`custody_or_mint`: its address or its mint)."""
        custody = await self.custody_of(pool, custody_or_mint)
        return await self.transport.send([self.build_set_custody_weights_ix(pool, custody, weights)])

    async def swap(self, pool: Pubkey, in_mint: Pubkey, out_mint: Pubkey, *, amount_in: int,
                   min_amount_out: int | None = None, slippage_bps: int = DEFAULT_LIQUIDITY_SLIPPAGE_BPS,
                   funding_account: Pubkey | None = None, receiving_account: Pubkey | None = None,
                   before: Sequence[Instruction] = ()) -> TxResult:
        """Swaps `amount_in` of `in_mint` for `out_mint` in `pool` (the `Swapped` event says what
        was paid). Without `min_amount_out` the minimum is the program's quote less `slippage_bps`."""
        if min_amount_out is None:
            quote = await self.get_swap_amount_and_fee(pool, in_mint, out_mint, amount_in=amount_in)
            min_amount_out = min_out_after_slippage(quote.amount_out, slippage_bps)
        ix = await self.build_swap_ix(pool, in_mint, out_mint, amount_in=amount_in, min_amount_out=min_amount_out,
                                      funding_account=funding_account, receiving_account=receiving_account)
        return await self.transport.send([*before, ix])

    # ---- views -------------------------------------------------------------------------------

    async def get_pool_weights(self, pool: Pubkey) -> PoolWeights:
        """Every custody's owned value and weight now against its rule, and the pool's net
        exposure per asset (after traders' positions), as the program computes them."""
        ix = self._ix("get_pool_weights", {"perpetuals": self.perpetuals_address, "pool": pool},
                      remaining=await self.custody_oracle_metas(pool))
        decoded = self._decode("PoolWeights", (await self._simulate_view(ix)).return_data)
        return PoolWeights(decoded.total_owned_usd, tuple(
            CustodyWeight(c.custody, c.owned, c.owned_usd, c.weight_ppb, weight_config(c.weights), c.net_quantity,
                          c.net_usd) for c in decoded.custodies))

    async def get_swap_amount_and_fee(self, pool: Pubkey, in_mint: Pubkey, out_mint: Pubkey, *,
                                      amount_in: int) -> SwapQuote:
        """What swapping `amount_in` of `in_mint` for `out_mint` would pay now, and both legs'
        weights after it; raises what the swap would raise (TokenWeightOutOfRange, ...)."""
        _, _, accounts, remaining = await self._swap_legs(pool, in_mint, out_mint)
        ix = self._ix("get_swap_amount_and_fee", self._only("getSwapAmountAndFee", accounts, None),
                      self._type("GetSwapAmountAndFeeParams", amount_in=amount_in), remaining=remaining)
        q = self._decode("SwapAmountAndFee", (await self._simulate_view(ix)).return_data)
        return SwapQuote(q.in_usd, q.gross_out, q.fee_bps, q.fee_amount, q.amount_out, q.receiving_weight_ppb,
                         q.dispensing_weight_ppb)

    async def _liquidity_quote(self, name: str, pool: Pubkey, custody_or_mint: Pubkey, amount: int,
                               tranche: Tranche) -> LiquidityQuote:
        custody = await self.custody_of(pool, custody_or_mint)
        c = await self.fetch_custody(custody)
        ix = self._ix(name, {
            "perpetuals": self.perpetuals_address,
            "pool": pool,
            "custody": custody,
            "custody_oracle_account": c.oracle.oracle_account,
            "lp_token_mint": self.lp_mint_address(pool, tranche),
        }, self._type("GetLiquidityAmountAndFeeParams", amount=amount),
            remaining=await self.custody_oracle_metas(pool, exclude=custody))
        q = self._decode("LiquidityAmountAndFee", (await self._simulate_view(ix)).return_data)
        return LiquidityQuote(q.amount_out, q.fee_bps, q.fee_amount, q.usd)

    async def get_add_liquidity_amount_and_fee(self, pool: Pubkey, custody_or_mint: Pubkey, *, amount_in: int,
                                               tranche: Tranche = Tranche.JUNIOR) -> LiquidityQuote:
        """What depositing `amount_in` tokens into the custody would mint now (LP of `tranche`)
        and its fee, steered by the custody's weight; raises what the deposit would raise."""
        return await self._liquidity_quote("get_add_liquidity_amount_and_fee", pool, custody_or_mint, amount_in,
                                           tranche)

    async def get_remove_liquidity_amount_and_fee(self, pool: Pubkey, custody_or_mint: Pubkey, *, lp_amount_in: int,
                                                  tranche: Tranche = Tranche.JUNIOR) -> LiquidityQuote:
        """What redeeming `lp_amount_in` LP of `tranche` for the custody's tokens would pay now
        and its fee (the holder's LP cooldown is not checked)."""
        return await self._liquidity_quote("get_remove_liquidity_amount_and_fee", pool, custody_or_mint,
                                           lp_amount_in, tranche)
