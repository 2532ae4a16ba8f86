"""`perp-pool localnet`'s refusals, before it starts anything (tests/test_readme.py runs it for
real: start, deploy, the walkthrough, Ctrl-C)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from perp_pool.cli import app
from perp_pool.failures import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_USAGE
from perp_pool.localnet import free_port
from tests.cli.conftest import RUNNER


def localnet(tmp_path: Path, *args: str, url: str | None = None):
    """Runs `perp-pool localnet` with a keypair path that must not get created by a refusal."""
    base = ["--keypair", str(tmp_path / "wallet.json"), "--config", str(tmp_path / "none.yml")]
    if url:
        base += ["--rpc-url", url]
    return RUNNER.invoke(app, [*base, "localnet", "--ledger", str(tmp_path / "ledger"), *args])


def refused(result, tmp_path: Path, exit_code: int, name: str) -> list[str]:
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith(f"error: {name}: ") for line in lines), lines
    assert not (tmp_path / "wallet.json").exists() and not (tmp_path / "ledger").exists()
    return lines


def test_it_serves_only_on_this_machine(tmp_path: Path) -> None:
    (line,) = refused(localnet(tmp_path, url="https://api.devnet.solana.com"), tmp_path, EXIT_USAGE, "NotALocalUrl")
    assert "pass --rpc-url http://127.0.0.1:PORT" in line


def test_a_node_already_running_there_is_named(tmp_path: Path, rpc_url: str) -> None:
    (line,) = refused(localnet(tmp_path, url=rpc_url), tmp_path, EXIT_FAILED, "NodeAlreadyRunning")
    assert line == (f"error: NodeAlreadyRunning: a node is already running at {rpc_url}: use it, stop it (Ctrl-C in "
                    "its terminal), or start another with --rpc-url http://127.0.0.1:OTHER_PORT")


def test_a_port_taken_by_another_program(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        (line,) = refused(localnet(tmp_path, url=f"http://127.0.0.1:{port}"), tmp_path, EXIT_FAILED, "PortInUse")
    assert f"port {port} is in use by another program" in line


def test_an_invalid_pools_config_is_reported_key_by_key(tmp_path: Path) -> None:
    config = tmp_path / "pools.toml"
    config.write_text('[[pools]]\nname = "p"\nlp_cooldown = 5\n')
    lines = refused(localnet(tmp_path, "--pools", str(config), url=f"http://127.0.0.1:{free_port()}"), tmp_path,
                    EXIT_USAGE, "InvalidPoolsConfig")
    assert lines == [
        f"error: InvalidPoolsConfig: {config}: pools[0]: has no [[pools.custodies]]: a pool needs at least one custody",
        f"error: InvalidPoolsConfig: {config}: pools[0].lp_cooldown: unknown key (did you mean lp_cooldown_sec?)"]


def test_an_unbuilt_node_says_how_to_build_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERP_LOCALNET_BIN", str(tmp_path / "no-such-binary"))
    (line,) = refused(localnet(tmp_path, url=f"http://127.0.0.1:{free_port()}"), tmp_path, EXIT_NOT_FOUND,
                      "NodeNotBuilt")
    assert "run `make build`" in line
