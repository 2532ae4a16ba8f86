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
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from spl.token.constants import TOKEN_PROGRAM_ID

from perp_pool import pda
from perp_pool.constants import PROGRAM_ID
from perp_pool.idl import load_idl
from perp_pool.transport import TxResult, Transport, decode_return


@dataclass(frozen=True)
class OracleConfig:
    """How a custody prices its token. For `Custom` the oracle account is the custody's PDA."""

    oracle_type: str = "Custom"  # "Custom" | "Pyth"
    oracle_authority: Pubkey | None = None
    oracle_account: Pubkey | None = None
    max_price_error_bps: int = 100
    max_price_age_sec: int = 30


@dataclass(frozen=True)
class FeeConfig:
    """Liquidity fees in basis points (10_000 = 100 %); `protocol_share_bps` of each fee goes to
    the protocol, the rest stays with LPs."""

    add_liquidity_bps: int = 10
    remove_liquidity_bps: int = 10
    protocol_share_bps: int = 2_000


@dataclass(frozen=True)
class Permissions:
    allow_add_liquidity: bool = True
    allow_remove_liquidity: bool = True
    allow_open_position: bool = True
    allow_close_position: bool = True
    allow_liquidation: bool = True


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

    # ---- accounts -------------------------------------------------------------------------

    async def fetch(self, account_type: str, address: Pubkey) -> Any:
        """Decodes one program account (`Perpetuals`, `Pool`, `Custody`, `CustomOracle`)."""
        return await self.program.account[account_type].fetch(address, Confirmed)

    async def fetch_perpetuals(self) -> Any:
        return await self.fetch("Perpetuals", self.perpetuals_address)

    async def fetch_pool(self, pool: Pubkey) -> Any:
        return await self.fetch("Pool", pool)

    async def fetch_custody(self, custody: Pubkey) -> Any:
        return await self.fetch("Custody", custody)

    async def fetch_custom_oracle(self, oracle: Pubkey) -> Any:
        return await self.fetch("CustomOracle", oracle)

    async def custody_oracle_metas(self, pool: Pubkey, exclude: Pubkey | None = None) -> list[AccountMeta]:
        """(custody, oracle) read-only pairs in `pool.custodies` order, as the program expects
        in remaining accounts; `exclude` leaves out the instruction's own custody."""
        pool_account = await self.fetch_pool(pool)
        custodies = [c for c in pool_account.custodies if c != exclude]
        metas: list[AccountMeta] = []
        for custody in custodies:
            oracle = (await self.fetch_custody(custody)).oracle.oracle_account
            metas += [AccountMeta(custody, False, False), AccountMeta(oracle, False, False)]
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

    def build_add_pool_ix(self, name: str, admin: Pubkey | None = None) -> Instruction:
        pool = self.pool_address(name)
        return self._ix("add_pool", {
            "admin": admin or self.wallet.pubkey(),
            "perpetuals": self.perpetuals_address,
            "transfer_authority": self.transfer_authority_address,
            "pool": pool,
            "lp_token_mint": self.lp_mint_address(pool),
            "system_program": SYSTEM_PROGRAM_ID,
            "token_program": TOKEN_PROGRAM_ID,
        }, self._type("AddPoolParams", name=name))

    def build_add_custody_ix(self, pool: Pubkey, mint: Pubkey, *, oracle: OracleConfig, fees: FeeConfig,
                             is_stable: bool = True, admin: Pubkey | None = None) -> Instruction:
        custody = self.custody_address(pool, mint)
        oracle_account = oracle.oracle_account or (
            self.custom_oracle_address(custody) if oracle.oracle_type == "Custom" else None)
        if oracle_account is None:
            raise ValueError("a Pyth custody needs oracle_account (the PriceUpdateV2 account)")
        oracle_type = getattr(self._type_enum("OracleType"), oracle.oracle_type)()
        params = self._type(
            "AddCustodyParams",
            is_stable=is_stable,
            oracle=self._type(
                "OracleParams",
                oracle_account=oracle_account,
                oracle_type=oracle_type,
                oracle_authority=oracle.oracle_authority or self.wallet.pubkey(),
                max_price_error_bps=oracle.max_price_error_bps,
                max_price_age_sec=oracle.max_price_age_sec,
            ),
            fees=self._type("Fees", **fees.__dict__),
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

    def _type_enum(self, name: str) -> Any:
        return self.program.type[name]

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
        return {
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
            **(overrides or {}),
        }

    async def build_add_liquidity_ix(self, pool: Pubkey, custody: Pubkey, *, amount_in: int, min_lp_amount_out: int,
                                     funding_account: Pubkey, lp_token_account: Pubkey,
                                     owner: Pubkey | None = None, overrides: dict[str, Pubkey] | None = None,
                                     ) -> Instruction:
        accounts = await self._liquidity_accounts(pool, custody, "funding_account", funding_account,
                                                  lp_token_account, owner, overrides)
        params = self._type("AddLiquidityParams", amount_in=amount_in, min_lp_amount_out=min_lp_amount_out)
        return self._ix("add_liquidity", accounts, params,
                        remaining=await self.custody_oracle_metas(pool, exclude=custody))

    async def build_remove_liquidity_ix(self, pool: Pubkey, custody: Pubkey, *, lp_amount_in: int, min_amount_out: int,
                                        receiving_account: Pubkey, lp_token_account: Pubkey,
                                        owner: Pubkey | None = None, overrides: dict[str, Pubkey] | None = None,
                                        ) -> Instruction:
        accounts = await self._liquidity_accounts(pool, custody, "receiving_account", receiving_account,
                                                  lp_token_account, owner, overrides)
        params = self._type("RemoveLiquidityParams", lp_amount_in=lp_amount_in, min_amount_out=min_amount_out)
        return self._ix("remove_liquidity", accounts, params,
                        remaining=await self.custody_oracle_metas(pool, exclude=custody))

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

    async def add_pool(self, name: str) -> TxResult:
        return await self.send([self.build_add_pool_ix(name)])

    async def add_custody(self, pool: Pubkey, mint: Pubkey, *, oracle: OracleConfig, fees: FeeConfig,
                          is_stable: bool = True) -> TxResult:
        return await self.send([self.build_add_custody_ix(pool, mint, oracle=oracle, fees=fees, is_stable=is_stable)])

    async def set_custom_oracle_price(self, custody: Pubkey, *, price: int, expo: int, conf: int, ema: int,
                                      publish_time: int) -> TxResult:
        return await self.send([self.build_set_custom_oracle_price_ix(
            custody, price=price, expo=expo, conf=conf, ema=ema, publish_time=publish_time)])

    async def add_liquidity(self, pool: Pubkey, custody: Pubkey, *, amount_in: int, funding_account: Pubkey,
                            lp_token_account: Pubkey, min_lp_amount_out: int = 0) -> TxResult:
        ix = await self.build_add_liquidity_ix(pool, custody, amount_in=amount_in, min_lp_amount_out=min_lp_amount_out,
                                               funding_account=funding_account, lp_token_account=lp_token_account)
        return await self.send([ix])

    async def remove_liquidity(self, pool: Pubkey, custody: Pubkey, *, lp_amount_in: int, receiving_account: Pubkey,
                               lp_token_account: Pubkey, min_amount_out: int = 0) -> TxResult:
        ix = await self.build_remove_liquidity_ix(pool, custody, lp_amount_in=lp_amount_in,
                                                  min_amount_out=min_amount_out, receiving_account=receiving_account,
                                                  lp_token_account=lp_token_account)
        return await self.send([ix])

    # ---- views ----------------------------------------------------------------------------

    async def get_assets_under_management(self, pool: Pubkey) -> int:
        """Pool AUM in USD (USD_DECIMALS), valued at min prices, as the program computes it."""
        sim = await self.transport.simulate([await self.build_get_assets_under_management_ix(pool)])
        return decode_return(sim.return_data, "u128")

    async def get_lp_token_price(self, pool: Pubkey) -> int:
        """USD (USD_DECIMALS) per whole LP token, as the program computes it."""
        sim = await self.transport.simulate([await self.build_get_lp_token_price_ix(pool)])
        return decode_return(sim.return_data, "u64")
