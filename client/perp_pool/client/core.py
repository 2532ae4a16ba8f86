"""`PerpPoolClient`: the senders (`<ix>(...)`: build, sign, send, confirm, return the `TxResult`)
on top of the builders and views."""

from __future__ import annotations

from collections.abc import Sequence

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from perp_pool.client.multi_asset import MultiAssetClient
from perp_pool.client.params import (
    DEFAULT_LIQUIDITY_SLIPPAGE_BPS,
    BorrowRateConfig,
    FeeConfig,
    OracleConfig,
    Permissions,
    PricingConfig,
    min_out_after_slippage,
)
from perp_pool.client.risk import RiskClient
from perp_pool.constants import PROGRAM_ID
from perp_pool.math.pricing import Side
from perp_pool.math.tranche import Tranche
from perp_pool.transport import TxResult


class PerpPoolClient(MultiAssetClient, RiskClient):
    """One wallet's view of the program: `wallet` pays fees and signs by default. Builders, views
    and senders for every instruction (see the package docstring)."""

    @classmethod
    def connect(cls, rpc_url: str, wallet: Keypair, program_id: Pubkey = PROGRAM_ID) -> PerpPoolClient:
        return cls(AsyncClient(rpc_url, commitment=Confirmed, timeout=30), wallet, program_id)

    def with_wallet(self, wallet: Keypair) -> PerpPoolClient:
        """The same connection, another signer (traders, LPs, the oracle authority)."""
        return PerpPoolClient(self.connection, wallet, self.program_id)

    # ---- admin and set-up ----------------------------------------------------------------------

    async def send(self, ixs: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> TxResult:
        return await self.transport.send(ixs, signers)

    async def initialize(self) -> TxResult:
        return await self.send([self.build_initialize_ix()])

    async def set_permissions(self, permissions: Permissions) -> TxResult:
        return await self.send([self.build_set_permissions_ix(permissions)])

    async def add_pool(self, name: str, *, lp_cooldown_sec: int = 0) -> TxResult:
        return await self.send([self.build_add_pool_ix(name, lp_cooldown_sec=lp_cooldown_sec)])

    async def add_custody(self, pool: Pubkey, mint: Pubkey, *, oracle: OracleConfig, fees: FeeConfig,
                          pricing: PricingConfig = PricingConfig(), borrow_rate: BorrowRateConfig = BorrowRateConfig(),
                          is_stable: bool = True) -> TxResult:
        return await self.send([self.build_add_custody_ix(pool, mint, oracle=oracle, fees=fees, pricing=pricing,
                                                          borrow_rate=borrow_rate, is_stable=is_stable)])

    async def set_custody_config(self, pool: Pubkey, custody: Pubkey, *, oracle: OracleConfig, fees: FeeConfig,
                                 pricing: PricingConfig, borrow_rate: BorrowRateConfig) -> TxResult:
        return await self.send([self.build_set_custody_config_ix(pool, custody, oracle=oracle, fees=fees,
                                                                 pricing=pricing, borrow_rate=borrow_rate)])

    async def set_custom_oracle_price(self, custody: Pubkey, *, price: int, expo: int, conf: int, ema: int,
                                      publish_time: int) -> TxResult:
        return await self.send([self.build_set_custom_oracle_price_ix(
            custody, price=price, expo=expo, conf=conf, ema=ema, publish_time=publish_time)])

    async def withdraw_protocol_fees(self, pool: Pubkey, custody: Pubkey, *, amount: int,
                                     receiving_account: Pubkey) -> TxResult:
        return await self.send([await self.build_withdraw_protocol_fees_ix(pool, custody, amount=amount,
                                                                           receiving_account=receiving_account)])

    async def withdraw_insurance_fund(self, pool: Pubkey, custody: Pubkey, *, amount: int,
                                      receiving_account: Pubkey) -> TxResult:
        return await self.send([await self.build_withdraw_insurance_fund_ix(pool, custody, amount=amount,
                                                                            receiving_account=receiving_account)])

    async def top_up_insurance_fund(self, pool: Pubkey, custody: Pubkey, *, amount: int,
                                    funding_account: Pubkey) -> TxResult:
        return await self.send([await self.build_top_up_insurance_fund_ix(pool, custody, amount=amount,
                                                                          funding_account=funding_account)])

    async def transfer_admin(self, new_admin: Pubkey) -> TxResult:
        return await self.send([self.build_transfer_admin_ix(new_admin)])

    async def accept_admin(self) -> TxResult:
        return await self.send([self.build_accept_admin_ix()])

    async def add_senior_tranche(self, pool: Pubkey, *, rate_bps: int, max_senior_junior_ratio_bps: int,
                                 senior_deposit_ratio_bps: int, max_senior_usd: int = 0) -> TxResult:
        return await self.send([self.build_add_senior_tranche_ix(
            pool, rate_bps=rate_bps, max_senior_junior_ratio_bps=max_senior_junior_ratio_bps,
            senior_deposit_ratio_bps=senior_deposit_ratio_bps, max_senior_usd=max_senior_usd)])

    async def set_tranche_config(self, pool: Pubkey, *, rate_bps: int, max_senior_junior_ratio_bps: int,
                                 senior_deposit_ratio_bps: int, max_senior_usd: int = 0) -> TxResult:
        return await self.send([self.build_set_tranche_config_ix(
            pool, rate_bps=rate_bps, max_senior_junior_ratio_bps=max_senior_junior_ratio_bps,
            senior_deposit_ratio_bps=senior_deposit_ratio_bps, max_senior_usd=max_senior_usd)])

    async def update_pool_aum(self, pool: Pubkey) -> TxResult:
        return await self.send([await self.build_update_pool_aum_ix(pool)])

    # ---- liquidity ---------------------------------------------------------------------------

    async def add_liquidity(self, pool: Pubkey, custody: Pubkey, *, amount_in: int, funding_account: Pubkey,
                            lp_token_account: Pubkey, min_lp_amount_out: int | None = None,
                            slippage_bps: int = DEFAULT_LIQUIDITY_SLIPPAGE_BPS,
                            before: Sequence[Instruction] = (), tranche: Tranche = Tranche.JUNIOR) -> TxResult:
        """Deposits `amount_in` into `tranche`; its LP goes to `lp_token_account` (the wallet's own,
        of that tranche's mint), which stays frozen for the pool's LP cooldown. Without
        `min_lp_amount_out` the minimum is the simulated quote less `slippage_bps`."""
        if min_lp_amount_out is None:
            quote = await self.quote_add_liquidity(pool, custody, amount_in=amount_in, funding_account=funding_account,
                                                   lp_token_account=lp_token_account, before=before, tranche=tranche)
            min_lp_amount_out = min_out_after_slippage(quote.lp_amount_out, slippage_bps)
        ix = await self.build_add_liquidity_ix(pool, custody, amount_in=amount_in, min_lp_amount_out=min_lp_amount_out,
                                               funding_account=funding_account, lp_token_account=lp_token_account,
                                               tranche=tranche)
        return await self.send([*before, ix])

    async def remove_liquidity(self, pool: Pubkey, custody: Pubkey, *, lp_amount_in: int, receiving_account: Pubkey,
                               lp_token_account: Pubkey, min_amount_out: int | None = None,
                               slippage_bps: int = DEFAULT_LIQUIDITY_SLIPPAGE_BPS,
                               before: Sequence[Instruction] = (), tranche: Tranche = Tranche.JUNIOR) -> TxResult:
        """Redeems `lp_amount_in` LP of `tranche` (thawing the account if its cooldown is over).
        Without `min_amount_out` the minimum is the simulated quote less `slippage_bps`."""
        if min_amount_out is None:
            quote = await self.quote_remove_liquidity(pool, custody, lp_amount_in=lp_amount_in,
                                                      receiving_account=receiving_account,
                                                      lp_token_account=lp_token_account, before=before,
                                                      tranche=tranche)
            min_amount_out = min_out_after_slippage(quote.amount_out, slippage_bps)
        ix = await self.build_remove_liquidity_ix(pool, custody, lp_amount_in=lp_amount_in,
                                                  min_amount_out=min_amount_out, receiving_account=receiving_account,
                                                  lp_token_account=lp_token_account, tranche=tranche)
        return await self.send([*before, ix])

    async def unlock_lp(self, pool: Pubkey, lp_token_account: Pubkey, tranche: Tranche = Tranche.JUNIOR) -> TxResult:
        return await self.send([self.build_unlock_lp_ix(pool, lp_token_account, tranche=tranche)])

    # ---- trading -----------------------------------------------------------------------------

    async def open_position(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side, *,
                            price_limit: int, collateral_amount: int, size_usd: int,
                            funding_account: Pubkey) -> TxResult:
        return await self.send([await self.build_open_position_ix(
            pool, custody, collateral_custody, side, price_limit=price_limit, collateral_amount=collateral_amount,
            size_usd=size_usd, funding_account=funding_account)])

    async def increase_position(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side, *,
                                price_limit: int, collateral_amount: int, size_usd: int,
                                funding_account: Pubkey) -> TxResult:
        return await self.send([await self.build_increase_position_ix(
            pool, custody, collateral_custody, side, price_limit=price_limit, collateral_amount=collateral_amount,
            size_usd=size_usd, funding_account=funding_account)])

    async def decrease_position(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side, *,
                                price_limit: int, size_usd: int, receiving_account: Pubkey) -> TxResult:
        return await self.send([await self.build_decrease_position_ix(
            pool, custody, collateral_custody, side, price_limit=price_limit, size_usd=size_usd,
            receiving_account=receiving_account)])

    async def close_position(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side, *,
                             price_limit: int, receiving_account: Pubkey) -> TxResult:
        return await self.send([await self.build_close_position_ix(
            pool, custody, collateral_custody, side, price_limit=price_limit, receiving_account=receiving_account)])

    async def add_collateral(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side, *,
                             collateral_amount: int, funding_account: Pubkey) -> TxResult:
        return await self.send([await self.build_add_collateral_ix(
            pool, custody, collateral_custody, side, collateral_amount=collateral_amount,
            funding_account=funding_account)])

    async def remove_collateral(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side, *,
                                collateral_usd: int, receiving_account: Pubkey) -> TxResult:
        return await self.send([await self.build_remove_collateral_ix(
            pool, custody, collateral_custody, side, collateral_usd=collateral_usd,
            receiving_account=receiving_account)])

    async def liquidate(self, position: Pubkey, *, receiving_account: Pubkey) -> TxResult:
        return await self.send([await self.build_liquidate_ix(position, receiving_account=receiving_account)])

    async def close_capped_position(self, position: Pubkey, *, receiving_account: Pubkey | None = None,
                                    keeper_receiving_account: Pubkey) -> TxResult:
        return await self.send([await self.build_close_capped_position_ix(
            position, receiving_account=receiving_account, keeper_receiving_account=keeper_receiving_account)])
