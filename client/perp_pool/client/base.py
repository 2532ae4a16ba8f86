"""`ClientBase`: one wallet's connection to the program, its addresses and account fetches, and
the two primitives every builder uses (`_ix`, `_type`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from anchorpy import Context, Program, Provider, Wallet
from anchorpy.error import AccountDoesNotExistError
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from perp_pool import pda
from perp_pool.constants import PROGRAM_ID
from perp_pool.errors import AccountNotFound
from perp_pool.idl import load_idl
from perp_pool.math.pricing import Side
from perp_pool.math.tranche import Tranche
from perp_pool.transport import Transport


class ClientBase:
    """The connection, the wallet (pays fees and signs by default), the program and its addresses."""

    def __init__(self, connection: AsyncClient, wallet: Keypair, program_id: Pubkey = PROGRAM_ID):
        self.connection = connection
        self.wallet = wallet
        self.program_id = program_id
        self.program = Program(load_idl(), program_id, Provider(connection, Wallet(wallet)))
        self.transport = Transport(connection, wallet, self.program)
        self._wallet_funded: bool | None = None  # learnt on the first view

    async def close(self) -> None:
        await self.connection.close()

    # ---- addresses ---------------------------------------------------------------------------

    @property
    def perpetuals_address(self) -> Pubkey:
        return pda.get_perpetuals_address(self.program_id)[0]

    @property
    def transfer_authority_address(self) -> Pubkey:
        return pda.get_transfer_authority_address(self.program_id)[0]

    def pool_address(self, name: str) -> Pubkey:
        return pda.get_pool_address(name, self.program_id)[0]

    def lp_mint_address(self, pool: Pubkey, tranche: Tranche = Tranche.JUNIOR) -> Pubkey:
        """The LP mint of `tranche`: the pool's LP mint (junior, the only one of a pool without
        tranches) or its senior LP mint."""
        if tranche is Tranche.SENIOR:
            return pda.get_senior_lp_token_mint_address(pool, self.program_id)[0]
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

    # ---- accounts ----------------------------------------------------------------------------

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

    async def custody_oracle_metas(self, pool: Pubkey, exclude: Pubkey | Sequence[Pubkey] | None = None,
                                   writable: bool = False) -> list[AccountMeta]:
        """(custody, oracle) read-only pairs in `pool.custodies` order, as the program expects
        in remaining accounts; `exclude` leaves out the instruction's own custody (a swap: both
        of its legs). Every custody is read in one request, whatever the pool's size."""
        pool_account = await self.fetch_pool(pool)
        excluded = {exclude} if isinstance(exclude, Pubkey) else set(exclude or ())
        custodies = [c for c in pool_account.custodies if c not in excluded]
        if not custodies:
            return []
        fetched = await self.program.account["Custody"].fetch_multiple(custodies, commitment=Confirmed)
        metas: list[AccountMeta] = []
        for custody, account in zip(custodies, fetched, strict=True):
            if account is None:
                raise AccountNotFound(f"Custody {custody} of pool {pool} does not exist")
            metas += [AccountMeta(custody, False, writable), AccountMeta(account.oracle.oracle_account, False, False)]
        return metas

    # ---- instructions ------------------------------------------------------------------------

    def _ix(self, name: str, accounts: dict[str, Pubkey], *args: Any,
            remaining: Sequence[AccountMeta] = ()) -> Instruction:
        return self.program.instruction[name](*args, ctx=Context(accounts=accounts, remaining_accounts=list(remaining)))

    def _type(self, type_name: str, /, **fields: Any) -> Any:
        return self.program.type[type_name](**fields)
