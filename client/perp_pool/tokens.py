"""SPL Token helpers: mints, associated token accounts, balances (instructions from solana-py's spl)."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from spl.token.constants import ASSOCIATED_TOKEN_PROGRAM_ID, TOKEN_PROGRAM_ID
from spl.token.instructions import (
    InitializeMintParams,
    MintToParams,
    TransferCheckedParams,
    create_idempotent_associated_token_account,
    get_associated_token_address,
    initialize_mint,
    mint_to,
    transfer_checked,
)

from perp_pool.transport import Transport

MINT_LEN = 82

__all__ = [
    "ASSOCIATED_TOKEN_PROGRAM_ID",
    "TOKEN_PROGRAM_ID",
    "create_mint",
    "ensure_ata",
    "mint_tokens",
    "token_balance",
    "token_account_frozen",
    "transfer_tokens",
    "get_associated_token_address",
    "TokenAccount",
    "parse_token_account",
    "MintInfo",
    "parse_mint",
    "fetch_mint",
]

ACCOUNT_STATE_INITIALIZED = 1  # spl-token AccountState: Uninitialized 0, Initialized 1, Frozen 2
ACCOUNT_STATE_FROZEN = 2
TOKEN_ACCOUNT_LEN = 165

# The head of spl-token's `Account` (Pack layout, little-endian): mint, owner, amount, delegate
# (COption<Pubkey>: u32 tag + 32 bytes), state. solana-py parses it only in a private module
# (`spl.token._layouts`), so the few fields we read are unpacked here.
_ACCOUNT_HEAD = struct.Struct("<32s32sQ36xB")  # the delegate is skipped


@dataclass(frozen=True)
class TokenAccount:
    """The fields of an SPL token account the client reads."""

    mint: Pubkey
    owner: Pubkey
    amount: int
    state: int  # ACCOUNT_STATE_*

    @property
    def frozen(self) -> bool:
        return self.state == ACCOUNT_STATE_FROZEN


def parse_token_account(data: bytes) -> TokenAccount:
    """An SPL token account's data (165 bytes) -> TokenAccount; ValueError if it is not one."""
    if len(data) != TOKEN_ACCOUNT_LEN:
        raise ValueError(f"a token account has {TOKEN_ACCOUNT_LEN} bytes, got {len(data)}")
    mint, owner, amount, state = _ACCOUNT_HEAD.unpack_from(data)
    return TokenAccount(Pubkey.from_bytes(mint), Pubkey.from_bytes(owner), amount, state)


# spl-token's `Mint` (Pack layout): mint_authority COption<Pubkey> (u32 tag + 32 bytes), supply,
# decimals, is_initialized, freeze_authority COption<Pubkey>.
_MINT = struct.Struct("<I32sQBBI32s")


@dataclass(frozen=True)
class MintInfo:
    """The fields of an SPL mint; `mint_authority` None: the supply is fixed."""

    mint_authority: Pubkey | None
    supply: int
    decimals: int
    freeze_authority: Pubkey | None


def parse_mint(data: bytes) -> MintInfo:
    """An SPL mint's data (82 bytes) -> MintInfo; ValueError if it is not one."""
    if len(data) != MINT_LEN:
        raise ValueError(f"a mint has {MINT_LEN} bytes, got {len(data)}")
    auth_tag, auth, supply, decimals, initialized, freeze_tag, freeze = _MINT.unpack_from(data)
    if not initialized:
        raise ValueError("the mint is not initialized")
    return MintInfo(Pubkey.from_bytes(auth) if auth_tag else None, supply, decimals,
                    Pubkey.from_bytes(freeze) if freeze_tag else None)


async def fetch_mint(connection: AsyncClient, mint: Pubkey) -> MintInfo | None:
    """The mint at `mint`, or None if no account is there; ValueError if the account is not a mint."""
    info = (await connection.get_account_info(mint, commitment=Confirmed)).value
    if info is None:
        return None
    if info.owner != TOKEN_PROGRAM_ID:
        raise ValueError(f"{mint} is not an SPL token mint (owned by {info.owner})")
    return parse_mint(bytes(info.data))


async def create_mint(transport: Transport, decimals: int, authority: Keypair | None = None,
                      mint: Keypair | None = None) -> Pubkey:
    """Creates a new SPL mint (at `mint`'s address, default a new keypair's) whose mint authority is
    `authority` (default: the payer)."""
    authority = authority or transport.payer
    mint = mint or Keypair()
    rent = (await transport.connection.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
    ixs = [
        create_account(CreateAccountParams(
            from_pubkey=transport.payer.pubkey(), to_pubkey=mint.pubkey(), lamports=rent,
            space=MINT_LEN, owner=TOKEN_PROGRAM_ID,
        )),
        initialize_mint(InitializeMintParams(
            program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), decimals=decimals,
            mint_authority=authority.pubkey(), freeze_authority=None,
        )),
    ]
    await transport.send(ixs, [mint])
    return mint.pubkey()


async def ensure_ata(transport: Transport, owner: Pubkey, mint: Pubkey) -> Pubkey:
    """The owner's associated token account for `mint`, created (idempotently) by the payer."""
    ix = create_idempotent_associated_token_account(transport.payer.pubkey(), owner, mint)
    await transport.send([ix])
    return get_associated_token_address(owner, mint)


class PayoutAccounts:
    """Where a keeper is paid, per mint: the configured account, or the wallet's own associated
    token account, created (idempotently) the first time it is needed and only once however many
    sends need it at the same moment (duplicates of one create transaction fail as AlreadyProcessed).
    One instance is shared by everything a keeper sends (liquidations, closes at cap, orders)."""

    def __init__(self, transport: Transport, receiving_account: Pubkey | None = None):
        self.transport = transport
        self.receiving_account = receiving_account
        self._ready: set[Pubkey] = set()
        self._lock = asyncio.Lock()

    async def for_mint(self, mint: Pubkey) -> Pubkey:
        if self.receiving_account is not None:
            return self.receiving_account
        owner = self.transport.payer.pubkey()
        if mint not in self._ready:
            async with self._lock:
                if mint not in self._ready:
                    await ensure_ata(self.transport, owner, mint)
                    self._ready.add(mint)
        return get_associated_token_address(owner, mint)


async def mint_tokens(transport: Transport, mint: Pubkey, to: Pubkey, amount: int,
                      authority: Keypair | None = None) -> None:
    authority = authority or transport.payer
    ix = mint_to(MintToParams(program_id=TOKEN_PROGRAM_ID, mint=mint, dest=to,
                              mint_authority=authority.pubkey(), amount=amount, signers=[]))
    await transport.send([ix], [authority])


async def token_balance(connection: AsyncClient, account: Pubkey) -> int:
    """Base units in a token account (0 if it does not exist)."""
    info = (await connection.get_account_info(account, commitment=Confirmed)).value
    if info is None:
        return 0
    return parse_token_account(bytes(info.data)).amount


async def token_account_frozen(connection: AsyncClient, account: Pubkey) -> bool:
    """Whether a token account is frozen (an LP account during its deposit cooldown); False if it
    does not exist."""
    info = (await connection.get_account_info(account, commitment=Confirmed)).value
    if info is None:
        return False
    return parse_token_account(bytes(info.data)).frozen


async def transfer_tokens(transport: Transport, source: Pubkey, mint: Pubkey, dest: Pubkey, amount: int,
                          decimals: int, owner: Keypair) -> None:
    """`transfer_checked` of `amount` from `source` (owned by `owner`, who signs) to `dest`."""
    ix = transfer_checked(TransferCheckedParams(program_id=TOKEN_PROGRAM_ID, source=source, mint=mint, dest=dest,
                                                owner=owner.pubkey(), amount=amount, decimals=decimals,
                                                signers=[]))
    await transport.send([ix], [owner])
