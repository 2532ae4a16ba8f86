"""Skew premium and exposure caps (docs/design.md "Skew premium and exposure limits"): the admin's
`set_skew_config` and the `get_market_risk` view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from perp_pool.client.staking import StakingClient
from perp_pool.math.skew import SkewParams
from perp_pool.transport import TxResult


class RiskClient(StakingClient):
    """`set_skew_config` (builder and sender) and `get_market_risk`."""

    def build_set_skew_config_ix(self, pool: Pubkey, custody: Pubkey, params: SkewParams,
                                 admin: Pubkey | None = None) -> Instruction:
        return self._ix("set_skew_config", {"admin": admin or self.wallet.pubkey(),
                                            "perpetuals": self.perpetuals_address, "pool": pool, "custody": custody},
                        self._type("SkewParams", scale_aum_bps=params.scale_aum_bps,
                                   fee_premium_max_bps=params.fee_premium_max_bps,
                                   fee_discount_max_bps=params.fee_discount_max_bps,
                                   borrow_premium_max_rate=params.borrow_premium_max_rate,
                                   max_net_exposure_usd=params.max_net_exposure_usd,
                                   max_net_exposure_aum_bps=params.max_net_exposure_aum_bps))

    async def set_skew_config(self, pool: Pubkey, custody: Pubkey, params: SkewParams) -> TxResult:
        return await self.transport.send([self.build_set_skew_config_ix(pool, custody, params)])

    def build_get_market_risk_ix(self, pool: Pubkey, custody: Pubkey,
                                 collateral_custodies: Sequence[Pubkey] = ()) -> Instruction:
        return self._ix("get_market_risk", {"perpetuals": self.perpetuals_address, "pool": pool, "custody": custody},
                        remaining=[AccountMeta(c, is_signer=False, is_writable=False) for c in collateral_custodies])

    async def get_market_risk(self, pool: Pubkey, custody: Pubkey,
                              collateral_custodies: Sequence[Pubkey] | None = None) -> Any:
        """One market's `MarketRisk`: `net_usd` (long OI - short OI), per side (`long`, `short`) the
        open interest, marginal fee premium / discount (BPS of the open fee), borrow premium rate,
        accrued premium and cap headroom (u128::MAX = no cap), the cached AUM the premiums scale by,
        the cap, the parameters and the utilisation of `collateral_custodies` (default: the pool's
        stable custodies)."""
        if collateral_custodies is None:
            p = await self.fetch_pool(pool)
            collateral_custodies = [c for c in p.custodies if (await self.fetch_custody(c)).is_stable]
        ix = self.build_get_market_risk_ix(pool, custody, collateral_custodies)
        return self._decode("MarketRisk", (await self._simulate_view(ix)).return_data)
