"""`wallet new|address|balance|airdrop` and `faucet`: SOL from the node's faucet, test tokens from
mints the wallet is the authority of, and clear refusals where they cannot work."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.instructions import AuthorityType, SetAuthorityParams, get_associated_token_address, set_authority

from perp_pool.cli import wallet as wallet_cli
from perp_pool.failures import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_USAGE
from perp_pool.tokens import TOKEN_PROGRAM_ID, create_mint
from tests.cli.conftest import failed, ok, token_balance, write_keypair
from tests.conftest import rpc_call
from tests.helpers import SOL, World


def lamports(rpc_url: str, address: Pubkey | str) -> int:
    # At `confirmed`: a raw call reads `finalized` by default, one slot behind the airdrop just confirmed.
    return int(rpc_call(rpc_url, "getBalance", [str(address), {"commitment": "confirmed"}])["result"]["value"])


def test_wallet_new_creates_the_keypair_once(cli, tmp_path: Path) -> None:
    path = tmp_path / "dir" / "id.json"
    first = ok(cli("wallet", "new", keypair=path))
    assert first["created"] is True and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first["address"] == str(Keypair.from_bytes(bytes(json.loads(path.read_text()))).pubkey())
    again = ok(cli("wallet", "new", keypair=path))  # never overwritten
    assert (again["created"], again["address"]) == (False, first["address"])
    assert ok(cli("wallet", "address", keypair=path))["address"] == first["address"]


def test_airdrop_funds_the_wallet(cli, rpc_url: str, tmp_path: Path) -> None:
    kp = Keypair()
    path = write_keypair(tmp_path / "new.json", kp)
    out = ok(cli("wallet", "airdrop", "2.5", keypair=path))
    assert (out["lamports"], out["balance_lamports"], out["cluster"]) == (2_500_000_000, 2_500_000_000, "local")
    assert lamports(rpc_url, kp.pubkey()) == 2_500_000_000
    balance = ok(cli("wallet", "balance", keypair=path))
    assert (balance["lamports"], balance["sol"]) == (2_500_000_000, "2.500000000")


def test_airdrop_is_refused_on_mainnet(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    async def mainnet(_client) -> str:
        return "mainnet-beta"

    monkeypatch.setattr(wallet_cli, "_cluster", mainnet)
    result = cli("wallet", "airdrop", "1", json_mode=False)
    assert result.exit_code == EXIT_FAILED and result.stdout == ""
    assert result.stderr.strip().startswith("error: AirdropUnavailable: mainnet-beta has no faucet: send SOL to ")
    doc = failed(cli("faucet", "--mint", str(Keypair().pubkey()), "--amount", "1"), EXIT_NOT_FOUND)
    assert doc["error"] == "MintNotFound"  # checked before the cluster: nothing to mint anyway


@pytest.fixture
async def own_mint(world: World) -> Pubkey:
    """8 decimals; the admin (the CLI's wallet) is its mint authority."""
    return await create_mint(world.client.transport, 8)


@pytest.fixture
async def foreign_mint(world: World) -> tuple[Pubkey, Pubkey]:
    """(a mint whose authority is someone else, that someone)."""
    someone = await world.funded_keypair(SOL)
    return await create_mint(world.client.transport, 6, authority=someone), someone.pubkey()


@pytest.fixture
async def fixed_mint(world: World) -> Pubkey:
    """A mint with no mint authority left (fixed supply)."""
    fixed = await create_mint(world.client.transport, 6)
    await world.client.send([set_authority(SetAuthorityParams(
        program_id=TOKEN_PROGRAM_ID, account=fixed, authority=AuthorityType.MINT_TOKENS,
        current_authority=world.admin.pubkey(), new_authority=None))])
    return fixed


def test_faucet_mints_test_tokens_of_the_wallets_mints(cli, world: World, rpc_url: str, own_mint: Pubkey) -> None:
    mint = own_mint
    out = ok(cli("faucet", "--mint", str(mint), "--amount", "12.5"))
    account = get_associated_token_address(world.admin.pubkey(), mint)
    assert (out["amount"], out["balance"], out["token_account"]) == (1_250_000_000, 1_250_000_000, str(account))
    other = Keypair().pubkey()
    to_other = ok(cli("faucet", "--mint", str(mint), "--amount", "1", "--to", str(other)))
    assert token_balance(rpc_url, get_associated_token_address(other, mint)) == 10**8
    assert to_other["owner"] == str(other)
    balance = ok(cli("wallet", "balance", "--mint", str(mint)))
    assert balance["tokens"] == [{"mint": str(mint), "token_account": str(account), "amount": 1_250_000_000,
                                  "decimals": 8, "display": "12.50000000"}]


def test_faucet_refuses_another_wallets_mint(cli, world: World, foreign_mint: tuple[Pubkey, Pubkey]) -> None:
    foreign, someone = foreign_mint
    result = cli("faucet", "--mint", str(foreign), "--amount", "1", json_mode=False)
    assert result.exit_code == EXIT_FAILED and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line == (f"error: FaucetUnavailable: this wallet ({world.admin.pubkey()}) is not the mint authority of "
                    f"{foreign} ({someone} is): the faucet mints only test tokens the wallet created, such "
                    "as those of `perp-pool localnet`")


def test_faucet_refuses_what_is_not_a_mint_it_can_mint(cli, world: World, fixed_mint: Pubkey) -> None:
    doc = failed(cli("faucet", "--mint", str(fixed_mint), "--amount", "1"))
    assert doc["error"] == "FaucetUnavailable" and "fixed supply" in doc["message"]
    doc = failed(cli("faucet", "--mint", str(world.admin.pubkey()), "--amount", "1"), EXIT_USAGE)
    assert doc["error"] == "NotAMint"
    assert failed(cli("faucet", "--mint", str(Keypair().pubkey()), "--amount", "1"), EXIT_NOT_FOUND)[
        "error"] == "MintNotFound"
    doc = failed(cli("faucet", "--mint", str(fixed_mint), "--amount", "0.0000001"), EXIT_USAGE)
    assert doc["error"] == "InvalidAmount" and "more than 6 decimal places" in doc["message"]
