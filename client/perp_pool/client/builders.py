"""`InstructionBuilders`: `build_<ix>_ix(...)` for every instruction (returns a solders
`Instruction`; touches the network only to read the accounts it must name)."""

from __future__ import annotations

from typing import Any

from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import get_associated_token_address

from perp_pool.client.base import ClientBase
from perp_pool.client.idl_types import OracleKind, oracle_type_value, side_of, side_value
from perp_pool.client.params import BorrowRateConfig, FeeConfig, OracleConfig, Permissions, PricingConfig
from perp_pool.math.pricing import Side
from perp_pool.math.tranche import Tranche


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


class InstructionBuilders(ClientBase):
    """Builds every perp_pool instruction for this wallet (the default owner, admin or keeper)."""

    # ---- admin and set-up --------------------------------------------------------------------

    def build_initialize_ix(self, admin: Pubkey | None = None) -> Instruction:
        return self._ix("initialize", {
            "admin": admin or self.wallet.pubkey(),
            "perpetuals": self.perpetuals_address,
            "transfer_authority": self.transfer_authority_address,
            "system_program": SYSTEM_PROGRAM_ID,
        })

    def build_set_permissions_ix(self, permissions: Permissions, admin: Pubkey | None = None) -> Instruction:
        params = self._type("SetPermissionsParams", **permissions.__dict__)
        return self._ix("set_permissions", {
            "admin": admin or self.wallet.pubkey(),
            "perpetuals": self.perpetuals_address,
        }, params)

    def build_add_pool_ix(self, name: str, *, lp_cooldown_sec: int = 0, admin: Pubkey | None = None) -> Instruction:
        """`lp_cooldown_sec`: how long a deposit's LP stays frozen in the depositor's account (0:
        until the next slot; at most MAX_LP_COOLDOWN_SEC)."""
        pool = self.pool_address(name)
        return self._ix("add_pool", {
            "admin": admin or self.wallet.pubkey(),
            "perpetuals": self.perpetuals_address,
            "transfer_authority": self.transfer_authority_address,
            "pool": pool,
            "lp_token_mint": self.lp_mint_address(pool),
            "system_program": SYSTEM_PROGRAM_ID,
            "token_program": TOKEN_PROGRAM_ID,
        }, self._type("AddPoolParams", name=name, lp_cooldown_sec=lp_cooldown_sec))

    def build_add_custody_ix(self, pool: Pubkey, mint: Pubkey, *, oracle: OracleConfig, fees: FeeConfig,
                             pricing: PricingConfig = PricingConfig(),
                             borrow_rate: BorrowRateConfig = BorrowRateConfig(),
                             is_stable: bool = True, admin: Pubkey | None = None) -> Instruction:
        custody = self.custody_address(pool, mint)
        oracle_account = oracle.oracle_account or (
            self.custom_oracle_address(custody) if OracleKind(oracle.oracle_type) is OracleKind.CUSTOM else None)
        if oracle_account is None:
            raise ValueError("a Pyth custody needs oracle_account (the PriceUpdateV2 account)")
        params = self._type(
            "AddCustodyParams",
            is_stable=is_stable,
            oracle=self._oracle_params(oracle, oracle_account),
            fees=self._type("Fees", **fees.__dict__),
            pricing=self._type("PricingParams", **pricing.__dict__),
            borrow_rate=self._type("BorrowRateParams", **borrow_rate.__dict__),
        )
        return self._ix("add_custody", {
            "admin": admin or self.wallet.pubkey(),
            "perpetuals": self.perpetuals_address,
            "transfer_authority": self.transfer_authority_address,
            "pool": pool,
            "custody": custody,
            "custody_token_account": self.custody_vault_address(pool, mint),
            "custody_token_mint": mint,
            "system_program": SYSTEM_PROGRAM_ID,
            "token_program": TOKEN_PROGRAM_ID,
        }, params)

    def build_set_custody_config_ix(self, pool: Pubkey, custody: Pubkey, *, oracle: OracleConfig, fees: FeeConfig,
                                    pricing: PricingConfig, borrow_rate: BorrowRateConfig,
                                    admin: Pubkey | None = None) -> Instruction:
        oracle_account = oracle.oracle_account or (
            self.custom_oracle_address(custody) if OracleKind(oracle.oracle_type) is OracleKind.CUSTOM else None)
        if oracle_account is None:
            raise ValueError("a Pyth custody needs oracle_account (the PriceUpdateV2 account)")
        params = self._type(
            "SetCustodyConfigParams",
            oracle=self._oracle_params(oracle, oracle_account),
            fees=self._type("Fees", **fees.__dict__),
            pricing=self._type("PricingParams", **pricing.__dict__),
            borrow_rate=self._type("BorrowRateParams", **borrow_rate.__dict__),
        )
        return self._ix("set_custody_config", {"admin": admin or self.wallet.pubkey(),
                                               "perpetuals": self.perpetuals_address, "pool": pool,
                                               "custody": custody}, params)

    def _oracle_params(self, oracle: OracleConfig, oracle_account: Pubkey) -> Any:
        return self._type(
            "OracleParams",
            oracle_account=oracle_account,
            oracle_type=oracle_type_value(oracle.oracle_type),
            oracle_authority=oracle.oracle_authority or self.wallet.pubkey(),
            max_price_error_bps=oracle.max_price_error_bps,
            max_price_age_sec=oracle.max_price_age_sec,
            feed_id=list(oracle.feed_id),
        )

    def build_set_custom_oracle_price_ix(self, custody: Pubkey, *, price: int, expo: int, conf: int, ema: int,
                                         publish_time: int, oracle_authority: Pubkey | None = None,
                                         oracle_account: Pubkey | None = None) -> Instruction:
        params = self._type("SetCustomOraclePriceParams", price=price, expo=expo, conf=conf, ema=ema,
                            publish_time=publish_time)
        return self._ix("set_custom_oracle_price", {
            "oracle_authority": oracle_authority or self.wallet.pubkey(),
            "custody": custody,
            "oracle_account": oracle_account or self.custom_oracle_address(custody),
            "system_program": SYSTEM_PROGRAM_ID,
        }, params)

    async def build_withdraw_protocol_fees_ix(self, pool: Pubkey, custody: Pubkey, *, amount: int,
                                              receiving_account: Pubkey, admin: Pubkey | None = None) -> Instruction:
        c = await self.fetch_custody(custody)
        return self._ix("withdraw_protocol_fees", {
            "admin": admin or self.wallet.pubkey(), "perpetuals": self.perpetuals_address,
            "transfer_authority": self.transfer_authority_address, "pool": pool, "custody": custody,
            "custody_token_account": c.token_account, "receiving_account": receiving_account,
            "token_program": TOKEN_PROGRAM_ID,
        }, self._type("WithdrawProtocolFeesParams", amount=amount))

    async def build_withdraw_insurance_fund_ix(self, pool: Pubkey, custody: Pubkey, *, amount: int,
                                               receiving_account: Pubkey, admin: Pubkey | None = None) -> Instruction:
        """Admin: `amount` of the custody's insurance fund to `receiving_account`."""
        c = await self.fetch_custody(custody)
        return self._ix("withdraw_insurance_fund", {
            "admin": admin or self.wallet.pubkey(), "perpetuals": self.perpetuals_address,
            "transfer_authority": self.transfer_authority_address, "pool": pool, "custody": custody,
            "custody_token_account": c.token_account, "receiving_account": receiving_account,
            "token_program": TOKEN_PROGRAM_ID,
        }, self._type("InsuranceFundParams", amount=amount))

    async def build_top_up_insurance_fund_ix(self, pool: Pubkey, custody: Pubkey, *, amount: int,
                                             funding_account: Pubkey, owner: Pubkey | None = None) -> Instruction:
        """Anyone: `amount` from `funding_account` into the custody's insurance fund."""
        c = await self.fetch_custody(custody)
        return self._ix("top_up_insurance_fund", {
            "owner": owner or self.wallet.pubkey(), "funding_account": funding_account, "pool": pool,
            "custody": custody, "custody_token_account": c.token_account, "token_program": TOKEN_PROGRAM_ID,
        }, self._type("InsuranceFundParams", amount=amount))

    def build_transfer_admin_ix(self, new_admin: Pubkey, admin: Pubkey | None = None) -> Instruction:
        return self._ix("transfer_admin", {"admin": admin or self.wallet.pubkey(),
                                           "perpetuals": self.perpetuals_address},
                        self._type("TransferAdminParams", new_admin=new_admin))

    def build_accept_admin_ix(self, new_admin: Pubkey | None = None) -> Instruction:
        return self._ix("accept_admin", {"new_admin": new_admin or self.wallet.pubkey(),
                                         "perpetuals": self.perpetuals_address})

    def _tranche_config(self, rate_bps: int, max_senior_junior_ratio_bps: int, senior_deposit_ratio_bps: int,
                        max_senior_usd: int) -> Any:
        return self._type("TrancheConfigParams", rate_bps=rate_bps,
                          max_senior_junior_ratio_bps=max_senior_junior_ratio_bps,
                          senior_deposit_ratio_bps=senior_deposit_ratio_bps, max_senior_usd=max_senior_usd)

    def build_add_senior_tranche_ix(self, pool: Pubkey, *, rate_bps: int, max_senior_junior_ratio_bps: int,
                                    senior_deposit_ratio_bps: int, max_senior_usd: int = 0) -> Instruction:
        """Gives `pool` (no LP issued yet) a senior tranche: its own LP mint, a senior target
        rate (BPS a year), the coverage limit of junior withdrawals (senior NAV at most junior NAV
        x ratio / BPS after one), the stricter one of senior deposits and the senior capacity in
        USD (0: none)."""
        return self._ix("add_senior_tranche", {
            "admin": self.wallet.pubkey(),
            "perpetuals": self.perpetuals_address,
            "transfer_authority": self.transfer_authority_address,
            "pool": pool,
            "lp_token_mint": self.lp_mint_address(pool),
            "senior_lp_token_mint": self.lp_mint_address(pool, Tranche.SENIOR),
            "system_program": SYSTEM_PROGRAM_ID,
            "token_program": TOKEN_PROGRAM_ID,
        }, self._tranche_config(rate_bps, max_senior_junior_ratio_bps, senior_deposit_ratio_bps, max_senior_usd))

    def build_set_tranche_config_ix(self, pool: Pubkey, *, rate_bps: int, max_senior_junior_ratio_bps: int,
                                    senior_deposit_ratio_bps: int, max_senior_usd: int = 0) -> Instruction:
        return self._ix("set_tranche_config", {
            "admin": self.wallet.pubkey(),
            "perpetuals": self.perpetuals_address,
            "pool": pool,
        }, self._tranche_config(rate_bps, max_senior_junior_ratio_bps, senior_deposit_ratio_bps, max_senior_usd))

    async def build_update_pool_aum_ix(self, pool: Pubkey) -> Instruction:
        return self._ix("update_pool_aum", {"perpetuals": self.perpetuals_address, "pool": pool},
                        remaining=await self.custody_oracle_metas(pool, writable=True))

    # ---- liquidity ---------------------------------------------------------------------------

    async def _liquidity_accounts(self, pool: Pubkey, custody: Pubkey, user_token_key: str, user_token: Pubkey,
                                  lp_token_account: Pubkey, owner: Pubkey | None,
                                  overrides: dict[str, Pubkey] | None,
                                  tranche: Tranche = Tranche.JUNIOR) -> dict[str, Pubkey]:
        """Accounts shared by add/remove_liquidity; `overrides` replaces any of them (tests use it to
        substitute accounts and check the program refuses)."""
        c = await self.fetch_custody(custody)
        accounts = {
            "owner": owner or self.wallet.pubkey(),
            user_token_key: user_token,
            "lp_token_account": lp_token_account,
            "transfer_authority": self.transfer_authority_address,
            "perpetuals": self.perpetuals_address,
            "pool": pool,
            "custody": custody,
            "custody_oracle_account": c.oracle.oracle_account,
            "custody_token_account": c.token_account,
            "lp_token_mint": self.lp_mint_address(pool, tranche),
            "token_program": TOKEN_PROGRAM_ID,
            "system_program": SYSTEM_PROGRAM_ID,
            **(overrides or {}),
        }
        # The cooldown record follows the (possibly substituted) LP account unless named itself.
        accounts.setdefault("lp_cooldown", self.lp_cooldown_address(accounts["lp_token_account"]))
        return accounts

    async def build_add_liquidity_ix(self, pool: Pubkey, custody: Pubkey, *, amount_in: int, min_lp_amount_out: int,
                                     funding_account: Pubkey, lp_token_account: Pubkey,
                                     owner: Pubkey | None = None, overrides: dict[str, Pubkey] | None = None,
                                     tranche: Tranche = Tranche.JUNIOR) -> Instruction:
        accounts = await self._liquidity_accounts(pool, custody, "funding_account", funding_account,
                                                  lp_token_account, owner, overrides, tranche)
        params = self._type("AddLiquidityParams", amount_in=amount_in, min_lp_amount_out=min_lp_amount_out)
        return self._ix("add_liquidity", self._only("addLiquidity", accounts, None), params,
                        remaining=await self.custody_oracle_metas(pool, exclude=custody))

    async def build_remove_liquidity_ix(self, pool: Pubkey, custody: Pubkey, *, lp_amount_in: int, min_amount_out: int,
                                        receiving_account: Pubkey, lp_token_account: Pubkey,
                                        owner: Pubkey | None = None, overrides: dict[str, Pubkey] | None = None,
                                        tranche: Tranche = Tranche.JUNIOR) -> Instruction:
        accounts = await self._liquidity_accounts(pool, custody, "receiving_account", receiving_account,
                                                  lp_token_account, owner, overrides, tranche)
        params = self._type("RemoveLiquidityParams", lp_amount_in=lp_amount_in, min_amount_out=min_amount_out)
        return self._ix("remove_liquidity", self._only("removeLiquidity", accounts, None), params,
                        remaining=await self.custody_oracle_metas(pool, exclude=custody))

    def build_unlock_lp_ix(self, pool: Pubkey, lp_token_account: Pubkey,
                           overrides: dict[str, Pubkey] | None = None,
                           tranche: Tranche = Tranche.JUNIOR) -> Instruction:
        """Thaws `lp_token_account` once its deposit cooldown is over (anyone may send it)."""
        accounts = {
            "lp_token_account": lp_token_account,
            "lp_cooldown": self.lp_cooldown_address(lp_token_account),
            "transfer_authority": self.transfer_authority_address,
            "perpetuals": self.perpetuals_address,
            "pool": pool,
            "lp_token_mint": self.lp_mint_address(pool, tranche),
            "token_program": TOKEN_PROGRAM_ID,
            **(overrides or {}),
        }
        return self._ix("unlock_lp", accounts)

    # ---- views -------------------------------------------------------------------------------

    async def build_get_assets_under_management_ix(self, pool: Pubkey) -> Instruction:
        return self._ix("get_assets_under_management", {
            "perpetuals": self.perpetuals_address,
            "pool": pool,
        }, remaining=await self.custody_oracle_metas(pool))

    async def build_get_lp_token_price_ix(self, pool: Pubkey, tranche: Tranche = Tranche.JUNIOR) -> Instruction:
        return self._ix("get_lp_token_price", {
            "perpetuals": self.perpetuals_address,
            "pool": pool,
            "lp_token_mint": self.lp_mint_address(pool, tranche),
        }, remaining=await self.custody_oracle_metas(pool))

    async def build_get_tranche_state_ix(self, pool: Pubkey, *, trader_profit_usd: int = 0,
                                         bad_debt_usd: int = 0) -> Instruction:
        return self._ix("get_tranche_state", {
            "perpetuals": self.perpetuals_address,
            "pool": pool,
            "lp_token_mint": self.lp_mint_address(pool),
        }, self._type("GetTrancheStateParams", trader_profit_usd=trader_profit_usd, bad_debt_usd=bad_debt_usd),
            remaining=await self.custody_oracle_metas(pool))

    # ---- trading -----------------------------------------------------------------------------

    async def _trade_accounts(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side,
                              owner: Pubkey | None) -> dict[str, Pubkey]:
        """Accounts every trading instruction names: the traded market, the collateral custody and
        the position PDA (oracles and vault read from the custodies)."""
        owner = owner or self.wallet.pubkey()
        market = await self.fetch_custody(custody)
        collateral = market if collateral_custody == custody else await self.fetch_custody(collateral_custody)
        return {
            "owner": owner,
            "transfer_authority": self.transfer_authority_address,
            "perpetuals": self.perpetuals_address,
            "pool": pool,
            "custody": custody,
            "custody_oracle_account": market.oracle.oracle_account,
            "collateral_custody": collateral_custody,
            "collateral_custody_oracle_account": collateral.oracle.oracle_account,
            "collateral_custody_token_account": collateral.token_account,
            "position": self.position_address(pool, custody, collateral_custody, side, owner),
            "system_program": SYSTEM_PROGRAM_ID,
            "token_program": TOKEN_PROGRAM_ID,
        }

    def _only(self, name: str, accounts: dict[str, Pubkey], overrides: dict[str, Pubkey] | None) -> dict[str, Pubkey]:
        """The accounts the IDL names for instruction `name`, from a superset (plus overrides)."""
        ix = next(i for i in self.program.idl.instructions if i.name == name)
        wanted = {_snake(a.name) for a in ix.accounts}
        merged = {**accounts, **(overrides or {})}
        return {k: v for k, v in merged.items() if k in wanted}

    async def build_open_position_ix(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side, *,
                                     price_limit: int, collateral_amount: int, size_usd: int,
                                     funding_account: Pubkey, owner: Pubkey | None = None,
                                     overrides: dict[str, Pubkey] | None = None) -> Instruction:
        accounts = await self._trade_accounts(pool, custody, collateral_custody, side, owner)
        accounts["funding_account"] = funding_account
        params = self._type("OpenPositionParams", price_limit=price_limit, collateral_amount=collateral_amount,
                            size_usd=size_usd, side=side_value(side))
        return self._ix("open_position", self._only("openPosition", accounts, overrides), params)

    async def build_increase_position_ix(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side,
                                         *, price_limit: int, collateral_amount: int, size_usd: int,
                                         funding_account: Pubkey, owner: Pubkey | None = None,
                                         overrides: dict[str, Pubkey] | None = None) -> Instruction:
        accounts = await self._trade_accounts(pool, custody, collateral_custody, side, owner)
        accounts["funding_account"] = funding_account
        params = self._type("IncreasePositionParams", price_limit=price_limit, collateral_amount=collateral_amount,
                            size_usd=size_usd)
        return self._ix("increase_position", self._only("increasePosition", accounts, overrides), params)

    async def build_decrease_position_ix(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side,
                                         *, price_limit: int, size_usd: int, receiving_account: Pubkey,
                                         owner: Pubkey | None = None,
                                         overrides: dict[str, Pubkey] | None = None) -> Instruction:
        accounts = await self._trade_accounts(pool, custody, collateral_custody, side, owner)
        accounts["receiving_account"] = receiving_account
        params = self._type("DecreasePositionParams", price_limit=price_limit, size_usd=size_usd)
        return self._ix("decrease_position", self._only("decreasePosition", accounts, overrides), params)

    async def build_close_position_ix(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side,
                                      *, price_limit: int, receiving_account: Pubkey, owner: Pubkey | None = None,
                                      overrides: dict[str, Pubkey] | None = None) -> Instruction:
        accounts = await self._trade_accounts(pool, custody, collateral_custody, side, owner)
        accounts["receiving_account"] = receiving_account
        params = self._type("ClosePositionParams", price_limit=price_limit)
        return self._ix("close_position", self._only("closePosition", accounts, overrides), params)

    async def build_add_collateral_ix(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side, *,
                                      collateral_amount: int, funding_account: Pubkey, owner: Pubkey | None = None,
                                      overrides: dict[str, Pubkey] | None = None) -> Instruction:
        accounts = await self._trade_accounts(pool, custody, collateral_custody, side, owner)
        accounts["funding_account"] = funding_account
        params = self._type("AddCollateralParams", collateral_amount=collateral_amount)
        return self._ix("add_collateral", self._only("addCollateral", accounts, overrides), params)

    async def build_remove_collateral_ix(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side,
                                         *, collateral_usd: int, receiving_account: Pubkey,
                                         owner: Pubkey | None = None,
                                         overrides: dict[str, Pubkey] | None = None) -> Instruction:
        accounts = await self._trade_accounts(pool, custody, collateral_custody, side, owner)
        accounts["receiving_account"] = receiving_account
        params = self._type("RemoveCollateralParams", collateral_usd=collateral_usd)
        return self._ix("remove_collateral", self._only("removeCollateral", accounts, overrides), params)

    async def build_liquidate_ix(self, position: Pubkey, *, receiving_account: Pubkey,
                                 liquidator: Pubkey | None = None,
                                 overrides: dict[str, Pubkey] | None = None,
                                 known: dict[str, Pubkey] | None = None) -> Instruction:
        """Anyone may liquidate; the reward goes to `receiving_account` (the collateral mint).
        `known`: the position's trade accounts when the caller has them (a keeper's scan), so
        nothing is fetched first."""
        if known is not None:
            accounts = dict(known)
        else:
            p = await self.fetch_position(position)
            accounts = await self._trade_accounts(p.pool, p.custody, p.collateral_custody, side_of(p.side),
                                                  p.owner)
        accounts.update({"liquidator": liquidator or self.wallet.pubkey(), "receiving_account": receiving_account,
                         "position": position})
        return self._ix("liquidate", self._only("liquidate", accounts, overrides))

    async def build_close_capped_position_ix(self, position: Pubkey, *, receiving_account: Pubkey | None = None,
                                             keeper_receiving_account: Pubkey, keeper: Pubkey | None = None,
                                             overrides: dict[str, Pubkey] | None = None) -> Instruction:
        """Anyone may close a position whose profit reached its payoff cap: the owner's payout goes to
        `receiving_account` (default: the owner's associated token account of the collateral mint),
        the keeper's reward to `keeper_receiving_account` (the collateral mint), the rent to the owner."""
        p = await self.fetch_position(position)
        accounts = await self._trade_accounts(p.pool, p.custody, p.collateral_custody, side_of(p.side), p.owner)
        if receiving_account is None:
            collateral = await self.fetch_custody(p.collateral_custody)
            receiving_account = get_associated_token_address(p.owner, collateral.mint)
        accounts.update({"keeper": keeper or self.wallet.pubkey(), "receiving_account": receiving_account,
                         "keeper_receiving_account": keeper_receiving_account, "position": position})
        return self._ix("close_capped_position", self._only("closeCappedPosition", accounts, overrides))
