"""`wallet new|address|balance|airdrop` and `faucet`: the CLI's wallet, SOL from a cluster's faucet
and test tokens from mints the wallet is the authority of.

`wallet airdrop` asks the node's faucet (`requestAirdrop`: the local node and devnet/testnet have
one, mainnet-beta has none, and says so before asking); `faucet` mints tokens of a mint whose mint
authority is the wallet, as the test mints `perp-pool localnet` (and migrations/deploy.py) create
are, and refuses any other mint, and any mint on mainnet-beta.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.instructions import MintToParams, mint_to

from perp_pool.cli.output import Report
from perp_pool.cli.queries import ata, create_ata_ix, parse_pubkey
from perp_pool.cli.support import CliError, Settings, not_found, run, run_offline, usage_error
from perp_pool.cli.tables import Row, print_block
from perp_pool.cli.units import format_units, parse_units
from perp_pool.client import PerpPoolClient
from perp_pool.tokens import TOKEN_PROGRAM_ID, MintInfo, fetch_mint, token_balance

wallet_app = typer.Typer(no_args_is_help=True, help="The CLI's wallet: create it, see it, fund it with SOL.")

SOL_DECIMALS = 9
LAMPORTS_PER_SOL = 10**SOL_DECIMALS
# Genesis hashes of the public clusters (the Solana CLI tells them apart the same way).
MAINNET_GENESIS = "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d"
CLUSTERS = {MAINNET_GENESIS: "mainnet-beta", "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG": "devnet",
            "4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY": "testnet"}


def write_new_keypair(path: Path) -> Keypair:
    """A new keypair in a Solana CLI keypair file (JSON array of 64 bytes), readable by its owner
    only; the directory is created. Never overwrites: FileExistsError."""
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    keypair = Keypair()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(list(bytes(keypair))))
    return keypair


@wallet_app.command("new")
def wallet_new_command(ctx: typer.Context) -> None:
    """Create the wallet's keypair file (--keypair, else the config's, else ~/.config/solana/id.json)
    if there is none; an existing file is never overwritten."""
    settings: Settings = ctx.obj

    def action() -> Report:
        path, source = settings.keypair_path()
        try:
            keypair, created = write_new_keypair(path), True
        except FileExistsError:
            keypair, created = settings.wallet(), False
        except OSError as exc:
            raise CliError("CannotWriteKeypair", f"cannot write {path}: {exc}") from None
        return Report({"address": str(keypair.pubkey()), "keypair": str(path), "keypair_source": source,
                       "created": created})

    run_offline(ctx, action)


@wallet_app.command("address")
def wallet_address_command(ctx: typer.Context) -> None:
    """The wallet's address (public key)."""
    settings: Settings = ctx.obj
    run_offline(ctx, lambda: Report({"address": str(settings.wallet().pubkey())},
                                    lambda out: out.print(str(settings.wallet().pubkey()))))


@wallet_app.command("balance")
def wallet_balance_command(
    ctx: typer.Context,
    mints: Annotated[list[str] | None, typer.Option("--mint", help="Also this token's balance (repeatable).")] = None,
) -> None:
    """SOL (and token) balances of the wallet."""

    async def action(client: PerpPoolClient) -> Report:
        owner = client.wallet.pubkey()
        lamports = (await client.connection.get_balance(owner, commitment=Confirmed)).value
        tokens = []
        for text in mints or []:
            mint = parse_pubkey(text, "mint")
            info = await _mint_info(client, mint)
            account = ata(owner, mint)
            amount = await token_balance(client.connection, account)
            tokens.append({"mint": str(mint), "token_account": str(account), "amount": amount,
                           "decimals": info.decimals, "display": format_units(amount, info.decimals, group=True)})
        data = {"address": str(owner), "lamports": lamports, "sol": format_units(lamports, SOL_DECIMALS),
                "tokens": tokens}

        def render(out: Console) -> None:
            print_block(out, f"wallet {owner}", [
                Row("SOL", format_units(lamports, SOL_DECIMALS, group=True)),
                *(Row(f"mint {t['mint']}", str(t["display"])) for t in tokens)])

        return Report(data, render)

    run(ctx, action)


async def _cluster(client: PerpPoolClient) -> str | None:
    """"mainnet-beta", "devnet" or "testnet" by genesis hash; None for any other (a local node)."""
    return CLUSTERS.get(str((await client.connection.get_genesis_hash()).value))


async def _mint_info(client: PerpPoolClient, mint: Pubkey) -> MintInfo:
    try:
        info = await fetch_mint(client.connection, mint)
    except ValueError as exc:
        raise usage_error("NotAMint", f"{exc}: pass a mint address (`perp-pool pool info POOL` lists a pool's)") \
            from None
    if info is None:
        raise not_found("MintNotFound", f"no mint at {mint} on this node: check the address (`perp-pool pool info "
                        "POOL` lists a pool's mints)")
    return info


@wallet_app.command("airdrop")
def wallet_airdrop_command(
    ctx: typer.Context,
    amount_text: Annotated[str, typer.Argument(help="SOL to request.", metavar="AMOUNT")] = "1",
    to: Annotated[str | None, typer.Option("--to", help="Fund this address instead of the wallet.")] = None,
) -> None:
    """Request SOL from the node's faucet (local node, devnet, testnet; not mainnet-beta)."""

    async def action(client: PerpPoolClient) -> Report:
        lamports = parse_units(amount_text, SOL_DECIMALS, what="SOL amount")
        recipient = parse_pubkey(to, "address") if to else client.wallet.pubkey()
        cluster = await _cluster(client)
        if cluster == "mainnet-beta":
            raise CliError("AirdropUnavailable", "mainnet-beta has no faucet: send SOL to "
                           f"{recipient} from an exchange or another wallet")
        signature = (await client.connection.request_airdrop(recipient, lamports, commitment=Confirmed)).value
        await client.connection.confirm_transaction(signature, Confirmed, sleep_seconds=0.1)
        balance = (await client.connection.get_balance(recipient, commitment=Confirmed)).value
        data = {"address": str(recipient), "lamports": lamports, "signature": str(signature),
                "balance_lamports": balance, "cluster": cluster or "local"}
        return Report(data, lambda out: out.print(
            f"airdropped {format_units(lamports, SOL_DECIMALS)} SOL to {recipient}; balance "
            f"{format_units(balance, SOL_DECIMALS, group=True)} SOL"))

    run(ctx, action)


def faucet_command(
    ctx: typer.Context,
    mint_text: Annotated[str, typer.Option("--mint", help="A test mint whose mint authority is the wallet.")],
    amount_text: Annotated[str, typer.Option("--amount", help="Tokens to mint (human units, e.g. 10000).")],
    to: Annotated[str | None, typer.Option("--to", help="Owner to mint to (default: the wallet); their "
                                           "associated token account is created if missing.")] = None,
) -> None:
    """Mint test tokens into a wallet's token account (created if missing). Only mints whose mint
    authority is this wallet, like the test mints `perp-pool localnet` creates; never on mainnet-beta."""

    async def action(client: PerpPoolClient) -> Report:
        mint = parse_pubkey(mint_text, "mint")
        owner = parse_pubkey(to, "owner") if to else client.wallet.pubkey()
        info = await _mint_info(client, mint)
        amount = parse_units(amount_text, info.decimals, what="amount")
        if await _cluster(client) == "mainnet-beta":
            raise CliError("FaucetUnavailable", "the faucet mints test tokens only, and this node is mainnet-beta")
        if info.mint_authority is None:
            raise CliError("FaucetUnavailable", f"{mint} has a fixed supply (no mint authority): nobody can mint it")
        if info.mint_authority != client.wallet.pubkey():
            raise CliError("FaucetUnavailable", f"this wallet ({client.wallet.pubkey()}) is not the mint authority "
                           f"of {mint} ({info.mint_authority} is): the faucet mints only test tokens the wallet "
                           "created, such as those of `perp-pool localnet`")
        account = ata(owner, mint)
        ix = mint_to(MintToParams(program_id=TOKEN_PROGRAM_ID, mint=mint, dest=account,
                                  mint_authority=client.wallet.pubkey(), amount=amount, signers=[]))
        result = await client.send([create_ata_ix(client, mint, owner), ix])
        balance = await token_balance(client.connection, account)
        data = {"mint": str(mint), "owner": str(owner), "token_account": str(account), "amount": amount,
                "balance": balance, "decimals": info.decimals, "signature": str(result.signature)}
        return Report(data, lambda out: out.print(
            f"minted {format_units(amount, info.decimals, group=True)} of {mint} to {account}; balance "
            f"{format_units(balance, info.decimals, group=True)}"))

    run(ctx, action)
