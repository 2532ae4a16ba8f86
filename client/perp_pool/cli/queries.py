"""What the CLI reads from the chain: pools and custodies by name and mint, the node clock, oracle
prices checked exactly as the program checks them, and the wallet's token accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from anchorpy.error import AccountDoesNotExistError
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solders.instruction import Instruction
from solders.pubkey import Pubkey
from spl.token.instructions import create_idempotent_associated_token_account, get_associated_token_address

from perp_pool import errors
from perp_pool.cli.support import not_found, usage_error
from perp_pool.client import PerpPoolClient
from perp_pool.client.idl_types import oracle_kind
from perp_pool.clock import node_unix_time
from perp_pool.failures import WalletHasNoSol
from perp_pool.keeper.health import checked_oracle_price
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pricing import Side, entry_price, trade_prices
from perp_pool.math.tranche import Tranche


def _rpc_text(exc: Exception) -> str:
    info = exc.args[0] if exc.args else None
    message = getattr(info, "message", None)
    return " ".join((message if isinstance(message, str) else str(exc)).split())


def parse_pubkey(text: str, what: str) -> Pubkey:
    try:
        return Pubkey.from_string(text.strip())
    except ValueError:
        raise usage_error("InvalidPubkey", f"{what} {text!r} is not a base58 public key") from None


def oracle_type_name(custody: Any) -> str:
    """"Custom" or "Pyth": the custody's oracle type, matched by type against the IDL's enum."""
    return oracle_kind(custody.oracle.oracle_type).value


async def unix_now(client: PerpPoolClient) -> int:
    """The node's Clock sysvar `unix_timestamp`: the `now` the program sees."""
    return await node_unix_time(client.connection)


async def mint_decimals(client: PerpPoolClient, mint: Pubkey) -> int:
    """The mint's own `decimals` (what human amounts of this token are scaled by)."""
    try:
        return (await client.connection.get_token_supply(mint, commitment=Confirmed)).value.decimals
    except RPCException as exc:  # the node answers "not a mint" with an RPC error
        raise not_found("MintNotFound", f"{mint} is not an SPL token mint on this node ({_rpc_text(exc)}): "
                        "check the address (`perp-pool pool info POOL` lists a pool's mints)") from None


# ---- pools and custodies ----------------------------------------------------------------------


@dataclass
class PoolRef:
    name: str
    address: Pubkey
    account: Any


async def resolve_pool(client: PerpPoolClient, name: str) -> PoolRef:
    address = client.pool_address(name)
    try:
        return PoolRef(name, address, await client.fetch_pool(address))
    except AccountDoesNotExistError:
        raise not_found("PoolNotFound", f"no pool named {name!r} on this node (expected at {address}): "
                        "`perp-pool pool list` shows the pools there") from None


def is_tranched(pool: PoolRef) -> bool:
    """Whether the pool has a senior tranche (`add_senior_tranche`): its senior mint is set."""
    return bool(pool.account.senior.mint != Pubkey.default())


def tranche_lp_mint(pool: PoolRef, tranche: Tranche) -> Pubkey:
    """The LP mint of `tranche`: the pool's LP mint for the junior (every pool has it), the senior
    mint of a tranched pool; a pool without a senior tranche is refused by name."""
    if tranche is Tranche.JUNIOR:
        mint: Pubkey = pool.account.lp_token_mint
        return mint
    if not is_tranched(pool):
        raise not_found("NoSeniorTranche", f"pool {pool.name!r} has no senior tranche: all its LP is junior (leave "
                        "out --tranche, or --tranche junior); a senior tranche is set up before a pool's first "
                        "deposit (`perp-pool pool add-senior-tranche`)")
    senior: Pubkey = pool.account.senior.mint
    return senior


@dataclass
class CustodyRef:
    address: Pubkey
    account: Any

    @property
    def mint(self) -> Pubkey:
        mint: Pubkey = self.account.mint
        return mint


async def resolve_custody(client: PerpPoolClient, pool: PoolRef, mint: Pubkey) -> CustodyRef:
    address = client.custody_address(pool.address, mint)
    if address not in pool.account.custodies:
        raise not_found("CustodyNotFound", f"pool {pool.name!r} has no custody for mint {mint}: "
                        f"`perp-pool pool info {pool.name}` lists its mints")
    return CustodyRef(address, await client.fetch_custody(address))


async def fetch_custodies(client: PerpPoolClient, addresses: Iterable[Pubkey]) -> dict[Pubkey, Any]:
    keys = list(dict.fromkeys(addresses))
    if not keys:
        return {}
    fetched = await client.program.account["Custody"].fetch_multiple(keys, commitment=Confirmed)
    missing = [str(k) for k, v in zip(keys, fetched, strict=True) if v is None]
    if missing:
        raise not_found("AccountNotFound", f"custody accounts not found: {', '.join(missing)}")
    return dict(zip(keys, fetched, strict=True))


# ---- oracles ----------------------------------------------------------------------------------


OracleReading = tuple[OraclePrice, OraclePrice]  # (spot, ema)


async def read_oracles(client: PerpPoolClient, custodies: dict[Pubkey, Any],
                       now: int) -> dict[Pubkey, OracleReading | errors.TransactionFailed]:
    """(spot, ema) per custody at `now`, or the error the program would raise reading it."""
    keys = list(custodies)
    if not keys:
        return {}
    infos = (await client.connection.get_multiple_accounts(
        [custodies[k].oracle.oracle_account for k in keys], commitment=Confirmed)).value
    out: dict[Pubkey, OracleReading | errors.TransactionFailed] = {}
    for key, info in zip(keys, infos, strict=True):
        try:
            out[key] = checked_oracle_price(client.program_id, client.program.coder.accounts, custodies[key], info,
                                            now)
        except errors.TransactionFailed as exc:
            out[key] = exc
    return out


def checked_prices(oracles: dict[Pubkey, OracleReading | errors.TransactionFailed], key: Pubkey) -> OracleReading:
    """The (spot, ema) read for `key`, or the program's error reading it, raised."""
    found = oracles[key]
    if isinstance(found, errors.TransactionFailed):
        raise found
    return found


def spread_bps(custody: Any, side: Side) -> int:
    pricing = custody.pricing
    spread: int = pricing.trade_spread_long_bps if side is Side.LONG else pricing.trade_spread_short_bps
    return spread


async def entry_price_now(client: PerpPoolClient, custody: CustodyRef, side: Side) -> int:
    """The entry price a trade on `custody` would get now (PRICE_DECIMALS), computed off-chain."""
    now = await unix_now(client)
    oracles = await read_oracles(client, {custody.address: custody.account}, now)
    spot, ema = checked_prices(oracles, custody.address)
    prices = trade_prices(spot, ema, custody.account.pricing.use_ema)
    return entry_price(side, prices, spread_bps(custody.account, side))


# ---- token accounts ---------------------------------------------------------------------------


def ata(owner: Pubkey, mint: Pubkey) -> Pubkey:
    return get_associated_token_address(owner, mint)


def create_ata_ix(client: PerpPoolClient, mint: Pubkey, owner: Pubkey | None = None) -> Instruction:
    """Creates the wallet's (or `owner`'s) associated token account if it is missing (idempotent)."""
    return create_idempotent_associated_token_account(client.wallet.pubkey(), owner or client.wallet.pubkey(), mint)


async def require_token_account(client: PerpPoolClient, mint: Pubkey, what: str) -> Pubkey:
    """The wallet's associated token account for `mint`, which must exist (it funds a transfer)."""
    account = ata(client.wallet.pubkey(), mint)
    if (await client.connection.get_account_info(account, commitment=Confirmed)).value is None:
        raise not_found("TokenAccountNotFound",
                        f"the wallet {client.wallet.pubkey()} has no {what} token account for mint {mint} ({account}): "
                        f"get some of these tokens first (test tokens: `perp-pool faucet --mint {mint} --amount N`)")
    return account


async def require_sol(client: PerpPoolClient) -> None:
    """Fails before anything is sent when the wallet holds no SOL at all (keepers and bots would
    otherwise start and fail every transaction)."""
    if (await client.connection.get_balance(client.wallet.pubkey(), commitment=Confirmed)).value == 0:
        raise WalletHasNoSol()


# ---- pools on the node --------------------------------------------------------------------------


async def list_pools(client: PerpPoolClient) -> list[PoolRef]:
    """Every pool of the program on this node (one getProgramAccounts), by name."""
    found = await client.program.account["Pool"].all()
    return sorted((PoolRef(p.account.name, p.public_key, p.account) for p in found), key=lambda p: p.name)
