"""Every expected failure of the CLI, its keeper and its bot is one line on stderr saying what to do
(one JSON document with --json) and an exit code; the traceback only with -vv.

    no SOL -> 4, missing token account -> 3, unknown pool -> 3, no node -> 5, program error -> 1
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from solders.keypair import Keypair

from perp_pool.failures import EXIT_FAILED, EXIT_NO_FUNDS, EXIT_NOT_FOUND, EXIT_UNREACHABLE
from perp_pool.localnet import free_port
from perp_pool.tokens import ensure_ata, mint_tokens
from tests.cli.conftest import market_args, write_keypair
from tests.helpers import USDC, Market, World


def one_line(result, exit_code: int, name: str) -> str:
    """The failure's single stderr line (nothing on stdout), starting `error: <name>`."""
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {name}"), lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def broke_keypair_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Keypair, Path]:
    """A wallet that has never held SOL."""
    kp = Keypair()
    return kp, write_keypair(tmp_path_factory.mktemp("broke") / "broke.json", kp)


@pytest.fixture(scope="module")
async def broke_with_usdc(world: World, idle_market: Market, broke_keypair_file) -> Path:
    """The broke wallet, with a USDC token account holding 1,000 USDC (created and funded by the admin)."""
    kp, path = broke_keypair_file
    account = await ensure_ata(world.client.transport, kp.pubkey(), idle_market.usdc.mint)
    await mint_tokens(world.client.transport, idle_market.usdc.mint, account, 1_000 * USDC)
    return path


def no_node() -> str:
    return f"http://127.0.0.1:{free_port()}"


# ---- no SOL --------------------------------------------------------------------------------------


def test_no_sol_trading(cli, idle_market: Market, broke_with_usdc: Path, broke_keypair_file) -> None:
    line = one_line(cli("trade", "open", *market_args(idle_market), "--amount", "100", "--size", "1000",
                        keypair=broke_with_usdc, json_mode=False), EXIT_NO_FUNDS, "NoSol")
    wallet = broke_keypair_file[0].pubkey()
    assert line == (f"error: NoSol: the wallet {wallet} has no SOL to pay for transactions: run "
                    f"`perp-pool --keypair {broke_with_usdc} wallet airdrop 10`")


def test_no_sol_depositing(cli, idle_market: Market, broke_with_usdc: Path) -> None:
    line = one_line(cli("lp", "deposit", "--pool", idle_market.name, "--mint", idle_market.usdc.mint, "--amount",
                        "10", keypair=broke_with_usdc, json_mode=False), EXIT_NO_FUNDS, "NoSol")
    assert "wallet airdrop" in line


@pytest.mark.parametrize("command", ["keeper", "bot"])
def test_no_sol_keeper_and_bot_refuse_to_start(cli, idle_market: Market, broke_with_usdc: Path,
                                               command: str) -> None:
    args = (["keeper", "liquidate", "--pool", idle_market.name] if command == "keeper" else
            ["bot", "grid", "--pool", idle_market.name, "--market", str(idle_market.sol.mint), "--collateral",
             str(idle_market.usdc.mint)])
    line = one_line(cli(*args, keypair=broke_with_usdc, json_mode=False), EXIT_NO_FUNDS, "NoSol")
    assert "has no SOL to pay for transactions" in line


def test_no_sol_in_json(cli, idle_market: Market, broke_with_usdc: Path) -> None:
    result = cli("keeper", "aum", "--pool", idle_market.name, keypair=broke_with_usdc)
    assert result.exit_code == EXIT_NO_FUNDS
    assert json.loads(result.stdout)["error"] == "NoSol"


# ---- missing token account -----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["deposit", "trade", "bot"])
def test_missing_token_account_says_where_tokens_come_from(cli, idle_market: Market, keeper_keypair_file,
                                                           command: str) -> None:
    kp, path = keeper_keypair_file  # funded, no token account at all
    mint = idle_market.usdc.mint
    args = {"deposit": ["lp", "deposit", "--pool", idle_market.name, "--mint", str(mint), "--amount", "10"],
            "trade": ["trade", "open", *market_args(idle_market), "--amount", "100", "--size", "1000"],
            "bot": ["bot", "grid", "--pool", idle_market.name, "--market", str(idle_market.sol.mint),
                    "--collateral", str(mint)]}[command]
    line = one_line(cli(*args, keypair=path, json_mode=False), EXIT_NOT_FOUND, "TokenAccountNotFound")
    assert f"the wallet {kp.pubkey()} has no" in line and f"token account for mint {mint}" in line
    assert f"`perp-pool faucet --mint {mint} --amount N`" in line


# ---- unknown pool --------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["pool", "info", "no-such-pool"],
    ["lp", "deposit", "--pool", "no-such-pool", "--mint", "11111111111111111111111111111111", "--amount", "1"],
    ["keeper", "liquidate", "--pool", "no-such-pool"],
    ["keeper", "aum", "--pool", "no-such-pool"],
    ["bot", "grid", "--pool", "no-such-pool", "--market", "11111111111111111111111111111111", "--collateral",
     "11111111111111111111111111111111"],
], ids=["pool-info", "lp-deposit", "keeper-liquidate", "keeper-aum", "bot-grid"])
def test_unknown_pool_points_at_pool_list(cli, args: list[str]) -> None:
    line = one_line(cli(*args, json_mode=False), EXIT_NOT_FOUND, "PoolNotFound")
    assert "no pool named 'no-such-pool' on this node" in line and "`perp-pool pool list`" in line


# ---- node not reachable ---------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["pool", "info", "main"],
    ["wallet", "balance"],
    ["keeper", "liquidate", "--pool", "main"],
    ["bot", "grid", "--pool", "main", "--market", "11111111111111111111111111111111", "--collateral",
     "11111111111111111111111111111111"],
], ids=["pool-info", "wallet-balance", "keeper", "bot"])
def test_no_node_says_how_to_start_one(cli, args: list[str]) -> None:
    url = no_node()
    line = one_line(cli("--rpc-url", url, *args, json_mode=False), EXIT_UNREACHABLE, "NodeUnreachable")
    assert line == (f"error: NodeUnreachable: cannot reach a node at {url} (ConnectError): start one with "
                    "`perp-pool localnet` (or `make localnet`), or pass --rpc-url")


def test_the_traceback_is_for_vv_only(cli) -> None:
    result = cli("--rpc-url", no_node(), "-vv", "pool", "info", "main", json_mode=False)
    assert result.exit_code == EXIT_UNREACHABLE
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: NodeUnreachable")


# ---- program errors -------------------------------------------------------------------------------


def test_a_program_error_names_it_and_says_what_to_do(cli, stale_market: Market) -> None:
    line = one_line(cli("trade", "open", *market_args(stale_market), "--amount", "100", "--size", "1500",
                        json_mode=False), EXIT_FAILED, "StaleOraclePrice (6005)")
    assert line == ("error: StaleOraclePrice (6005): Oracle price is older than the custody's max_price_age_sec: "
                    "publish a fresh price (`perp-pool oracle set --pool POOL --mint MINT --price USD`, as the oracle "
                    "authority), or wait for the oracle pusher")


def test_liquidating_a_healthy_position_is_refused_in_one_line(cli, traded_market: Market, world: World) -> None:
    from perp_pool.math.pricing import Side

    c = world.client
    position = c.position_address(traded_market.pool, traded_market.sol.custody, traded_market.usdc.custody, Side.LONG)
    line = one_line(cli("liquidate", str(position), json_mode=False), EXIT_FAILED, "PositionHealthy (6028)")
    assert "nothing to liquidate" in line


def test_a_keeper_once_on_healthy_positions_liquidates_nothing(cli, traded_market: Market) -> None:
    result = cli("keeper", "liquidate", "--pool", traded_market.name, "--once")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["positions"], out["liquidatable"], out["landed"]) == (2, 0, [])


def test_missing_keypair_file(cli, tmp_path: Path) -> None:
    line = one_line(cli("wallet", "balance", keypair=tmp_path / "none.json", json_mode=False), EXIT_NOT_FOUND,
                    "KeypairNotFound")
    assert "`perp-pool wallet new`" in line
