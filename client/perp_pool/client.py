"""`PerpPoolClient`: typed async wrappers for every perp_pool instruction.

Each instruction has a builder (`build_<ix>_ix`, returns a solders `Instruction`, touches no
network unless it must read the pool's custodies) and a sender (`<ix>`, signs, sends, confirms,
returns a `TxResult` with the decoded events). Views (`get_*`) simulate and decode the program's
return data. Failures raise the named exceptions of `perp_pool.errors`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from anchorpy import Context, Program, Provider, Wallet
from anchorpy.error import AccountDoesNotExistError
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import get_associated_token_address

from perp_pool import pda
from perp_pool.constants import BPS_POWER, PROGRAM_ID
from perp_pool.idl import load_idl
from perp_pool.errors import AccountNotFound, TransactionFailed
from perp_pool.math.fixed import Rounding, mul_div
from perp_pool.math.pricing import Side
from perp_pool.transport import TxResult, Transport, decode_return


@dataclass(frozen=True)
class OracleConfig:
    """How a custody prices its token. For `Custom` the oracle account is the custody's PDA."""

    oracle_type: str = "Custom"  # "Custom" | "Pyth"
    oracle_authority: Pubkey | None = None
    oracle_account: Pubkey | None = None
    max_price_error_bps: int = 100
    max_price_age_sec: int = 30
    feed_id: bytes = bytes(32)  # Pyth price feed id (Pyth only)


@dataclass(frozen=True)
class FeeConfig:
    """Fees in basis points (10_000 = 100 %). Of every fee collected, `protocol_share_bps` goes to
    the protocol, `insurance_share_bps` to the insurance fund and the rest stays with LPs."""

    add_liquidity_bps: int = 10
    remove_liquidity_bps: int = 10
    protocol_share_bps: int = 2_000
    open_position_bps: int = 10
    close_position_bps: int = 10
    liquidation_bps: int = 50
    liquidator_reward_bps: int = 10
    insurance_share_bps: int = 1_000


@dataclass(frozen=True)
class PricingConfig:
    """How a custody trades: spreads in bps, leverage in bps (50x = 500_000), payoff cap in bps of
    size, utilisation cap in RATE_DECIMALS, size caps in USD (USD_DECIMALS; 0 = no cap)."""

    use_ema: bool = True
    trade_spread_long_bps: int = 0
    trade_spread_short_bps: int = 0
    min_initial_leverage_bps: int = 10_000
    max_initial_leverage_bps: int = 500_000
    max_leverage_bps: int = 1_000_000
    max_payoff_mult_bps: int = 10_000
    max_utilization: int = 900_000_000
    max_position_size_usd: int = 0
    max_total_locked_usd: int = 0


@dataclass(frozen=True)
class BorrowRateConfig:
    """Two-slope hourly borrow rate on utilisation, RATE_DECIMALS (the spec's reference values)."""

    base_rate: int = 0
    slope1: int = 80_000
    slope2: int = 120_000
    optimal_utilization: int = 800_000_000


# Tolerance of the default minimum out of a deposit or withdrawal below its simulated quote.
DEFAULT_LIQUIDITY_SLIPPAGE_BPS = 50


def min_out_after_slippage(quoted: int, slippage_bps: int) -> int:
    """The least amount accepted when `quoted` is expected: `floor(quoted * (BPS - slippage) / BPS)`."""
    if not 0 <= slippage_bps < BPS_POWER:
        raise ValueError(f"slippage_bps must be in [0, {BPS_POWER}), got {slippage_bps}")
    return mul_div(quoted, BPS_POWER - slippage_bps, BPS_POWER, Rounding.FLOOR)


@dataclass(frozen=True)
class Permissions:
    allow_add_liquidity: bool = True
    allow_remove_liquidity: bool = True
    allow_open_position: bool = True
    allow_close_position: bool = True
    allow_liquidation: bool = True


def side_of(side: Any) -> Side:
    """anchorpy's decoded `Side` enum value -> Side."""
    return Side.LONG if type(side).__name__ == "Long" else Side.SHORT


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def load_keypair(path: str | Path) -> Keypair:
    """A Solana CLI keypair file (JSON array of 64 bytes)."""
    return Keypair.from_bytes(bytes(json.loads(Path(path).expanduser().read_text())))


class PerpPoolClient:
    """One wallet's view of the program: `wallet` pays fees and signs by default."""

    def __init__(self, connection: AsyncClient, wallet: Keypair, program_id: Pubkey = PROGRAM_ID):
        self.connection = connection
        self.wallet = wallet
        self.program_id = program_id
        self.program = Program(load_idl(), program_id, Provider(connection, Wallet(wallet)))
        self.transport = Transport(connection, wallet, self.program)
        self._wallet_funded: bool | None = None  # learnt on the first view

    @classmethod
    def connect(cls, rpc_url: str, wallet: Keypair, program_id: Pubkey = PROGRAM_ID) -> "PerpPoolClient":
        return cls(AsyncClient(rpc_url, commitment=Confirmed, timeout=30), wallet, program_id)

    def with_wallet(self, wallet: Keypair) -> "PerpPoolClient":
        """The same connection, another signer (traders, LPs, the oracle authority)."""
        return PerpPoolClient(self.connection, wallet, self.program_id)

    async def close(self) -> None:
        await self.connection.close()

    # ---- addresses ------------------------------------------------------------------------

    @property
    def perpetuals_address(self) -> Pubkey:
        return pda.get_perpetuals_address(self.program_id)[0]

    @property
    def transfer_authority_address(self) -> Pubkey:
        return pda.get_transfer_authority_address(self.program_id)[0]

    def pool_address(self, name: str) -> Pubkey:
        return pda.get_pool_address(name, self.program_id)[0]

    def lp_mint_address(self, pool: Pubkey) -> Pubkey:
        return pda.get_lp_token_mint_address(pool, self.program_id)[0]

    def custody_address(self, pool: Pubkey, mint: Pubkey) -> Pubkey:
        return pda.get_custody_address(pool, mint, self.program_id)[0]

    def custody_vault_address(self, pool: Pubkey, mint: Pubkey) -> Pubkey:
        return pda.get_custody_token_account_address(pool, mint, self.program_id)[0]

    def custom_oracle_address(self, custody: Pubkey) -> Pubkey:
        return pda.get_custom_oracle_address(custody, self.program_id)[0]

    def lp_cooldown_address(self, lp_token_account: Pubkey) -> Pubkey:
        return pda.get_lp_cooldown_address(lp_token_account, self.program_id)[0]

    def position_address(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side,
                         owner: Pubkey | None = None) -> Pubkey:
        return pda.get_position_address(owner or self.wallet.pubkey(), pool, custody, collateral_custody, side,
                                        self.program_id)[0]

    # ---- accounts -------------------------------------------------------------------------

    async def fetch(self, account_type: str, address: Pubkey) -> Any:
        """Decodes one program account (`Perpetuals`, `Pool`, `Custody`, `CustomOracle`, `Position`);
        raises `errors.AccountNotFound` if it does not exist."""
        try:
            return await self.program.account[account_type].fetch(address, Confirmed)
        except AccountDoesNotExistError as exc:
            raise AccountNotFound(f"{account_type} {address} does not exist") from exc

    async def fetch_perpetuals(self) -> Any:
        return await self.fetch("Perpetuals", self.perpetuals_address)

    async def fetch_pool(self, pool: Pubkey) -> Any:
        return await self.fetch("Pool", pool)

    async def fetch_custody(self, custody: Pubkey) -> Any:
        return await self.fetch("Custody", custody)

    async def fetch_custom_oracle(self, oracle: Pubkey) -> Any:
        return await self.fetch("CustomOracle", oracle)

    async def fetch_position(self, position: Pubkey) -> Any:
        return await self.fetch("Position", position)

    async def fetch_lp_cooldown(self, lp_token_account: Pubkey) -> Any | None:
        """The deposit cooldown record of an LP token account (`deposit_slot`, `unlock_time`), or
        None if nothing was ever deposited into it."""
        try:
            return await self.fetch("LpCooldown", self.lp_cooldown_address(lp_token_account))
        except AccountNotFound:
            return None

    async def custody_oracle_metas(self, pool: Pubkey, exclude: Pubkey | None = None,
                                   writable: bool = False) -> list[AccountMeta]:
        """(custody, oracle) read-only pairs in `pool.custodies` order, as the program expects
        in remaining accounts; `exclude` leaves out the instruction's own custody."""
        pool_account = await self.fetch_pool(pool)
        custodies = [c for c in pool_account.custodies if c != exclude]
        metas: list[AccountMeta] = []
        for custody in custodies:
            oracle = (await self.fetch_custody(custody)).oracle.oracle_account
            metas += [AccountMeta(custody, False, writable), AccountMeta(oracle, False, False)]
        return metas

    # ---- builders -------------------------------------------------------------------------

    def _ix(self, name: str, accounts: dict[str, Pubkey], *args: Any,
            remaining: Sequence[AccountMeta] = ()) -> Instruction:
        return self.program.instruction[name](*args, ctx=Context(accounts=accounts, remaining_accounts=list(remaining)))

    def _type(self, type_name: str, /, **fields: Any) -> Any:
        return self.program.type[type_name](**fields)

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
                             pricing: PricingConfig = PricingConfig(), borrow_rate: BorrowRateConfig = BorrowRateConfig(),
                             is_stable: bool = True, admin: Pubkey | None = None) -> Instruction:
        custody = self.custody_address(pool, mint)
        oracle_account = oracle.oracle_account or (
            self.custom_oracle_address(custody) if oracle.oracle_type == "Custom" else None)
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

    def _oracle_params(self, oracle: OracleConfig, oracle_account: Pubkey) -> Any:
        return self._type(
            "OracleParams",
            oracle_account=oracle_account,
            oracle_type=getattr(self.program.type["OracleType"], oracle.oracle_type)(),
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

    async def _liquidity_accounts(self, pool: Pubkey, custody: Pubkey, user_token_key: str, user_token: Pubkey,
                                  lp_token_account: Pubkey, owner: Pubkey | None,
                                  overrides: dict[str, Pubkey] | None) -> dict[str, Pubkey]:
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
            "lp_token_mint": self.lp_mint_address(pool),
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
                                     ) -> Instruction:
        accounts = await self._liquidity_accounts(pool, custody, "funding_account", funding_account,
                                                  lp_token_account, owner, overrides)
        params = self._type("AddLiquidityParams", amount_in=amount_in, min_lp_amount_out=min_lp_amount_out)
        return self._ix("add_liquidity", self._only("addLiquidity", accounts, None), params,
                        remaining=await self.custody_oracle_metas(pool, exclude=custody))

    async def build_remove_liquidity_ix(self, pool: Pubkey, custody: Pubkey, *, lp_amount_in: int, min_amount_out: int,
                                        receiving_account: Pubkey, lp_token_account: Pubkey,
                                        owner: Pubkey | None = None, overrides: dict[str, Pubkey] | None = None,
                                        ) -> Instruction:
        accounts = await self._liquidity_accounts(pool, custody, "receiving_account", receiving_account,
                                                  lp_token_account, owner, overrides)
        params = self._type("RemoveLiquidityParams", lp_amount_in=lp_amount_in, min_amount_out=min_amount_out)
        return self._ix("remove_liquidity", self._only("removeLiquidity", accounts, None), params,
                        remaining=await self.custody_oracle_metas(pool, exclude=custody))

    def build_unlock_lp_ix(self, pool: Pubkey, lp_token_account: Pubkey,
                           overrides: dict[str, Pubkey] | None = None) -> Instruction:
        """Thaws `lp_token_account` once its deposit cooldown is over (anyone may send it)."""
        accounts = {
            "lp_token_account": lp_token_account,
            "lp_cooldown": self.lp_cooldown_address(lp_token_account),
            "transfer_authority": self.transfer_authority_address,
            "perpetuals": self.perpetuals_address,
            "pool": pool,
            "lp_token_mint": self.lp_mint_address(pool),
            "token_program": TOKEN_PROGRAM_ID,
            **(overrides or {}),
        }
        return self._ix("unlock_lp", accounts)

    async def build_get_assets_under_management_ix(self, pool: Pubkey) -> Instruction:
        return self._ix("get_assets_under_management", {
            "perpetuals": self.perpetuals_address,
            "pool": pool,
        }, remaining=await self.custody_oracle_metas(pool))

    async def build_get_lp_token_price_ix(self, pool: Pubkey) -> Instruction:
        return self._ix("get_lp_token_price", {
            "perpetuals": self.perpetuals_address,
            "pool": pool,
            "lp_token_mint": self.lp_mint_address(pool),
        }, remaining=await self.custody_oracle_metas(pool))

    # ---- senders --------------------------------------------------------------------------

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

    async def set_custom_oracle_price(self, custody: Pubkey, *, price: int, expo: int, conf: int, ema: int,
                                      publish_time: int) -> TxResult:
        return await self.send([self.build_set_custom_oracle_price_ix(
            custody, price=price, expo=expo, conf=conf, ema=ema, publish_time=publish_time)])

    async def quote_add_liquidity(self, pool: Pubkey, custody: Pubkey, *, amount_in: int, funding_account: Pubkey,
                                  lp_token_account: Pubkey, before: Sequence[Instruction] = ()) -> Any:
        """What depositing `amount_in` would do now: the `LiquidityAdded` event of the deposit
        simulated with no minimum (`lp_amount_out`, `dead_lp_amount`, `fee_amount`, `unlock_time`,
        ...). `before`: instructions the real transaction runs first (e.g. creating the LP token
        account). Raises what the deposit would raise."""
        ix = await self.build_add_liquidity_ix(pool, custody, amount_in=amount_in, min_lp_amount_out=0,
                                               funding_account=funding_account, lp_token_account=lp_token_account)
        return self._simulated_event(await self.transport.simulate([*before, ix]), "LiquidityAdded")

    async def quote_remove_liquidity(self, pool: Pubkey, custody: Pubkey, *, lp_amount_in: int,
                                     receiving_account: Pubkey, lp_token_account: Pubkey,
                                     before: Sequence[Instruction] = ()) -> Any:
        """What redeeming `lp_amount_in` LP would pay now: the `LiquidityRemoved` event of the
        withdrawal simulated with no minimum (`amount_out`, `fee_amount`, ...). Raises what the
        withdrawal would raise (e.g. `LiquidityCooldownActive`)."""
        ix = await self.build_remove_liquidity_ix(pool, custody, lp_amount_in=lp_amount_in, min_amount_out=0,
                                                  receiving_account=receiving_account,
                                                  lp_token_account=lp_token_account)
        return self._simulated_event(await self.transport.simulate([*before, ix]), "LiquidityRemoved")

    @staticmethod
    def _simulated_event(sim: Any, name: str) -> Any:
        found = [e for e in sim.events if e.name == name]
        if len(found) != 1:
            raise TransactionFailed(f"the simulation emitted {len(found)} {name} events", logs=sim.logs)
        return found[0].data

    async def add_liquidity(self, pool: Pubkey, custody: Pubkey, *, amount_in: int, funding_account: Pubkey,
                            lp_token_account: Pubkey, min_lp_amount_out: int | None = None,
                            slippage_bps: int = DEFAULT_LIQUIDITY_SLIPPAGE_BPS,
                            before: Sequence[Instruction] = ()) -> TxResult:
        """Deposits `amount_in`; LP goes to `lp_token_account` (the wallet's own), which stays
        frozen for the pool's LP cooldown. Without `min_lp_amount_out` the minimum is the
        simulated quote less `slippage_bps`."""
        if min_lp_amount_out is None:
            quote = await self.quote_add_liquidity(pool, custody, amount_in=amount_in, funding_account=funding_account,
                                                   lp_token_account=lp_token_account, before=before)
            min_lp_amount_out = min_out_after_slippage(quote.lp_amount_out, slippage_bps)
        ix = await self.build_add_liquidity_ix(pool, custody, amount_in=amount_in, min_lp_amount_out=min_lp_amount_out,
                                               funding_account=funding_account, lp_token_account=lp_token_account)
        return await self.send([*before, ix])

    async def remove_liquidity(self, pool: Pubkey, custody: Pubkey, *, lp_amount_in: int, receiving_account: Pubkey,
                               lp_token_account: Pubkey, min_amount_out: int | None = None,
                               slippage_bps: int = DEFAULT_LIQUIDITY_SLIPPAGE_BPS,
                               before: Sequence[Instruction] = ()) -> TxResult:
        """Redeems `lp_amount_in` LP (thawing the account if its cooldown is over). Without
        `min_amount_out` the minimum is the simulated quote less `slippage_bps`."""
        if min_amount_out is None:
            quote = await self.quote_remove_liquidity(pool, custody, lp_amount_in=lp_amount_in,
                                                      receiving_account=receiving_account,
                                                      lp_token_account=lp_token_account, before=before)
            min_amount_out = min_out_after_slippage(quote.amount_out, slippage_bps)
        ix = await self.build_remove_liquidity_ix(pool, custody, lp_amount_in=lp_amount_in,
                                                  min_amount_out=min_amount_out, receiving_account=receiving_account,
                                                  lp_token_account=lp_token_account)
        return await self.send([*before, ix])

    async def unlock_lp(self, pool: Pubkey, lp_token_account: Pubkey) -> TxResult:
        return await self.send([self.build_unlock_lp_ix(pool, lp_token_account)])

    def build_set_custody_config_ix(self, pool: Pubkey, custody: Pubkey, *, oracle: OracleConfig, fees: FeeConfig,
                                    pricing: PricingConfig, borrow_rate: BorrowRateConfig,
                                    admin: Pubkey | None = None) -> Instruction:
        oracle_account = oracle.oracle_account or (
            self.custom_oracle_address(custody) if oracle.oracle_type == "Custom" else None)
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

    async def build_update_pool_aum_ix(self, pool: Pubkey) -> Instruction:
        return self._ix("update_pool_aum", {"perpetuals": self.perpetuals_address, "pool": pool},
                        remaining=await self.custody_oracle_metas(pool, writable=True))

    async def set_custody_config(self, pool: Pubkey, custody: Pubkey, *, oracle: OracleConfig, fees: FeeConfig,
                                 pricing: PricingConfig, borrow_rate: BorrowRateConfig) -> TxResult:
        return await self.send([self.build_set_custody_config_ix(pool, custody, oracle=oracle, fees=fees,
                                                                 pricing=pricing, borrow_rate=borrow_rate)])

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

    async def update_pool_aum(self, pool: Pubkey) -> TxResult:
        return await self.send([await self.build_update_pool_aum_ix(pool)])

    # ---- trading --------------------------------------------------------------------------

    def _side(self, side: Side) -> Any:
        enum = self.program.type["Side"]
        return enum.Long() if side is Side.LONG else enum.Short()

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
                            size_usd=size_usd, side=self._side(side))
        return self._ix("open_position", self._only("openPosition", accounts, overrides), params)

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

    async def build_increase_position_ix(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side,
                                         *, price_limit: int, collateral_amount: int, size_usd: int,
                                         funding_account: Pubkey, owner: Pubkey | None = None,
                                         overrides: dict[str, Pubkey] | None = None) -> Instruction:
        accounts = await self._trade_accounts(pool, custody, collateral_custody, side, owner)
        accounts["funding_account"] = funding_account
        params = self._type("IncreasePositionParams", price_limit=price_limit, collateral_amount=collateral_amount,
                            size_usd=size_usd)
        return self._ix("increase_position", self._only("increasePosition", accounts, overrides), params)

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
                                 overrides: dict[str, Pubkey] | None = None) -> Instruction:
        """Anyone may liquidate; the reward goes to `receiving_account` (the collateral mint)."""
        p = await self.fetch_position(position)
        accounts = await self._trade_accounts(p.pool, p.custody, p.collateral_custody, side_of(p.side), p.owner)
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

    async def close_capped_position(self, position: Pubkey, *, receiving_account: Pubkey | None = None,
                                    keeper_receiving_account: Pubkey) -> TxResult:
        return await self.send([await self.build_close_capped_position_ix(
            position, receiving_account=receiving_account, keeper_receiving_account=keeper_receiving_account)])

    async def increase_position(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side, *,
                                price_limit: int, collateral_amount: int, size_usd: int,
                                funding_account: Pubkey) -> TxResult:
        return await self.send([await self.build_increase_position_ix(
            pool, custody, collateral_custody, side, price_limit=price_limit, collateral_amount=collateral_amount,
            size_usd=size_usd, funding_account=funding_account)])

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

    async def open_position(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side, *,
                            price_limit: int, collateral_amount: int, size_usd: int,
                            funding_account: Pubkey) -> TxResult:
        return await self.send([await self.build_open_position_ix(
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

    # ---- views ----------------------------------------------------------------------------

    async def get_assets_under_management(self, pool: Pubkey) -> int:
        """Pool AUM in USD (USD_DECIMALS), valued at min prices, as the program computes it."""
        sim = await self._simulate_view(await self.build_get_assets_under_management_ix(pool))
        return decode_return(sim.return_data, "u128")

    async def get_lp_token_price(self, pool: Pubkey) -> int:
        """USD (USD_DECIMALS) per whole LP token, as the program computes it."""
        sim = await self._simulate_view(await self.build_get_lp_token_price_ix(pool))
        return decode_return(sim.return_data, "u64")

    async def _view(self, name: str, accounts: dict[str, Pubkey], *args: Any) -> bytes | None:
        return (await self._simulate_view(self._ix(name, accounts, *args))).return_data

    async def _simulate_view(self, ix: Instruction) -> Any:
        """Views are simulated with this wallet paying; a wallet that does not exist on chain (a
        read-only key with no SOL) borrows the admin's address as fee payer, unsigned, so anyone
        can ask the program."""
        if self._wallet_funded is None:
            balance = (await self.connection.get_balance(self.wallet.pubkey(), Confirmed)).value
            self._wallet_funded = balance > 0
        if self._wallet_funded:
            return await self.transport.simulate([ix])
        return await self.transport.simulate([ix], fee_payer=(await self.fetch_perpetuals()).admin)

    async def _position_view_accounts(self, position: Pubkey, name: str) -> dict[str, Pubkey]:
        p = await self.fetch_position(position)
        accounts = await self._trade_accounts(p.pool, p.custody, p.collateral_custody, side_of(p.side), p.owner)
        accounts["position"] = position
        return self._only(name, accounts, None)

    def _decode(self, type_name: str, data: bytes | None) -> Any:
        if data is None:
            raise TransactionFailed(f"the view returned no {type_name}")
        return self.program.coder.types.decode(type_name, data)

    async def get_entry_price_and_fee(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side, *,
                                      collateral_amount: int, size_usd: int) -> Any:
        """What opening would cost now: entry price, fee (USD and tokens), liquidation price."""
        accounts = self._only("getEntryPriceAndFee",
                              await self._trade_accounts(pool, custody, collateral_custody, side, None), None)
        params = self._type("GetEntryPriceAndFeeParams", collateral_amount=collateral_amount, size_usd=size_usd,
                            side=self._side(side))
        return self._decode("NewPositionPricesAndFee", await self._view("get_entry_price_and_fee", accounts, params))

    async def get_exit_price_and_fee(self, position: Pubkey) -> Any:
        accounts = await self._position_view_accounts(position, "getExitPriceAndFee")
        return self._decode("PriceAndFee", await self._view("get_exit_price_and_fee", accounts))

    async def get_pnl(self, position: Pubkey) -> Any:
        """`profit_usd`, `loss_usd` if the position closed now (profit capped at its locked amount)."""
        accounts = await self._position_view_accounts(position, "getPnl")
        return self._decode("ProfitAndLoss", await self._view("get_pnl", accounts))

    async def get_liquidation_price(self, position: Pubkey) -> int:
        """Oracle price (PRICE_DECIMALS) past which the position is liquidatable."""
        accounts = await self._position_view_accounts(position, "getLiquidationPrice")
        return decode_return(await self._view("get_liquidation_price", accounts), "u64")

    async def get_liquidation_state(self, position: Pubkey) -> bool:
        """True if `liquidate` would succeed now."""
        accounts = await self._position_view_accounts(position, "getLiquidationState")
        data = await self._view("get_liquidation_state", accounts)
        if data is None or len(data) != 1:
            raise TransactionFailed("get_liquidation_state returned no bool")
        return data == b"\x01"

    async def get_oracle_price(self, pool: Pubkey, custody: Pubkey) -> Any:
        c = await self.fetch_custody(custody)
        accounts = {"perpetuals": self.perpetuals_address, "pool": pool, "custody": custody,
                    "custody_oracle_account": c.oracle.oracle_account}
        return self._decode("OraclePrices", await self._view("get_oracle_price", accounts))
