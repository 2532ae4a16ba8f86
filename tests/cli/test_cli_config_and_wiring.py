"""The CLI's config file and its wiring to the keeper, bot and oracle pusher modules."""
from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from perp_pool.cli import app
from tests.cli.conftest import (
    RUNNER,
    SOL_PRICE,
    failed,
    ok,
    usdc_ata,
)
from tests.helpers import Market, World, price_usd

# ---- config -------------------------------------------------------------------------------------


def test_config_set_then_get(tmp_path: Path) -> None:
    config = tmp_path / "perp-pool" / "config.yml"
    keypair = tmp_path / "id.json"
    set_out = ok(RUNNER.invoke(app, ["--config", str(config), "--json", "config", "set", "--rpc-url", "devnet",
                                     "--keypair", str(keypair)]))
    assert set_out["json_rpc_url"] == "https://api.devnet.solana.com"
    got = ok(RUNNER.invoke(app, ["--config", str(config), "--json", "config", "get"]))
    assert (got["rpc_url"], got["rpc_url_source"]) == ("https://api.devnet.solana.com", "config")
    assert (got["keypair"], got["keypair_source"]) == (str(keypair.resolve()), "config")
    assert got["exists"] is True


def test_config_set_keeps_the_other_lines_of_a_solana_style_file(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text('---\njson_rpc_url: "http://old:8899"\nwebsocket_url: ""\n'
                      "keypair_path: /keys/id.json\naddress_labels:\n  \"1111\": System Program\n"
                      "commitment: confirmed\n")
    ok(RUNNER.invoke(app, ["--config", str(config), "--json", "config", "set", "--rpc-url", "http://new:8899"]))
    text = config.read_text()
    assert 'json_rpc_url: "http://new:8899"' in text and "http://old" not in text
    assert "keypair_path: /keys/id.json" in text and '  "1111": System Program' in text
    assert "commitment: confirmed" in text


def test_config_file_supplies_the_node_and_wallet(idle_market: Market, rpc_url: str, admin_keypair_file: Path,
                                                  tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(f"json_rpc_url: {rpc_url}\nkeypair_path: '{admin_keypair_file}'\n")
    info = ok(RUNNER.invoke(app, ["--config", str(config), "--json", "pool", "info", idle_market.name]))
    assert info["name"] == idle_market.name


def test_usage_error_in_json_mode_is_one_json_document() -> None:
    doc = failed(RUNNER.invoke(app, ["trade", "open", "--pool", "x", "--json"]), exit_code=2)
    assert doc["error"] == "UsageError" and "--market" in doc["message"]


# ---- keepers and bots: the wiring to the modules others own -------------------------------------


class Recorder:
    """Stands in for a keeper/bot class or coroutine function and records how it was called."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []

    def cls(self, name: str) -> type:
        recorder = self

        class Fake:
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                recorder.calls.append((name, args, kwargs))

            async def run(self, *args: Any, **kwargs: Any) -> None:
                recorder.calls.append((name + ".run", args, kwargs))

        return Fake

    def coroutine(self, name: str):
        async def fake(*args: Any, **kwargs: Any) -> None:
            self.calls.append((name, args, kwargs))

        return fake

    def factory(self, name: str):
        def fake(*args: Any, **kwargs: Any) -> tuple:
            self.calls.append((name, args, kwargs))
            return (name, args)

        return fake


def fake_module(monkeypatch: pytest.MonkeyPatch, name: str, **attrs: Any) -> None:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    monkeypatch.setitem(sys.modules, name, module)


def test_keeper_liquidate_builds_the_keeper_with_the_reward_account(cli, idle_market: Market, world: World,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder()
    fake_module(monkeypatch, "perp_pool.keeper.liquidator", LiquidationKeeper=rec.cls("LiquidationKeeper"))
    out = ok(cli("keeper", "liquidate", "--pool", idle_market.name, "--interval", "0.5", "--priority-fee", "7",
                 "--metrics-port", "9464", "--max-in-flight", "3"))
    (_, args, kwargs), (run_name, run_args, _) = rec.calls
    assert args[0].wallet.pubkey() == world.admin.pubkey()
    assert kwargs == {"pool": idle_market.pool, "receiving_account": usdc_ata(world.admin.pubkey(), idle_market),
                      "poll_interval": 0.5, "priority_fee_micro_lamports": 7, "max_in_flight": 3,
                      "metrics_port": 9464}
    assert run_name == "LiquidationKeeper.run" and type(run_args[0]).__name__ == "Event"
    assert out["stopped_by"] == "finished"


def test_keeper_aum_runs_the_updater(cli, idle_market: Market, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder()
    fake_module(monkeypatch, "perp_pool.keeper.aum_updater", run_aum_updater=rec.coroutine("run_aum_updater"))
    ok(cli("keeper", "aum", "--pool", idle_market.name, "--interval", "12"))
    ((_, args, kwargs),) = rec.calls
    assert args[1] == idle_market.pool and kwargs["interval"] == 12.0 and type(kwargs["stop"]).__name__ == "Event"


def test_oracle_push_random_walk_is_wired_with_exact_units(cli, idle_market: Market,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder()
    fake_module(monkeypatch, "perp_pool.keeper.oracle_pusher", run_oracle_pusher=rec.coroutine("push"),
                FileSource=rec.factory("FileSource"), StdinSource=rec.factory("StdinSource"),
                RandomWalkSource=rec.factory("RandomWalkSource"))
    out = ok(cli("oracle", "push", "--pool", idle_market.name, "--mint", idle_market.sol.mint, "--random-walk",
                 "--seed", "7", "--start", "150.5", "--vol-bps", "20", "--interval", "0.25", "--count", "3",
                 "--ws-url", "ws://127.0.0.1:9", "--metrics-port", "9464"))
    (source_call, push_call) = rec.calls
    assert source_call == ("RandomWalkSource", (price_usd("150.5"), 20, 7), {})
    _, args, kwargs = push_call
    assert args[1:] == (idle_market.sol.custody, ("RandomWalkSource", (price_usd("150.5"), 20, 7)))
    assert (kwargs["interval"], kwargs["count"]) == (0.25, 3)
    assert (kwargs["ws_url"], kwargs["metrics_port"]) == ("ws://127.0.0.1:9", 9464)
    assert out["seed"] == 7


def test_oracle_push_needs_exactly_one_source(cli, idle_market: Market) -> None:
    doc = failed(cli("oracle", "push", "--pool", idle_market.name, "--mint", idle_market.sol.mint, "--stdin",
                     "--random-walk"), exit_code=2)
    assert doc["error"] == "InvalidSource"


def test_bot_grid_is_wired_with_base_units(cli, idle_market: Market, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder()
    fake_module(monkeypatch, "perp_pool.bots.grid", GridBot=rec.cls("GridBot"))
    ok(cli("bot", "grid", "--pool", idle_market.name, "--market", idle_market.sol.mint, "--collateral",
           idle_market.usdc.mint, "--levels", "3", "--spacing-bps", "25", "--size", "100.5", "--leverage", "2.5",
           "--interval", "2", "--dry-run"))
    (_, args, kwargs), (_, run_args, run_kwargs) = rec.calls
    assert args[1:] == (idle_market.pool, idle_market.sol.custody, idle_market.usdc.custody)
    assert kwargs == {"levels": 3, "spacing_bps": 25, "size_usd": 100_500_000, "leverage_bps": 25_000,
                      "dry_run": True, "ws_url": None, "metrics_port": None}
    assert run_kwargs == {"interval": 2.0} and type(run_args[0]).__name__ == "Event"


def test_missing_keeper_module_is_a_clear_error(cli, idle_market: Market, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "perp_pool.keeper.aum_updater", None)  # makes the import fail
    doc = failed(cli("keeper", "aum", "--pool", idle_market.name))
    assert doc["error"] == "KeeperUnavailable" and "perp_pool.keeper.aum_updater" in doc["message"]


def test_oracle_push_with_the_real_pusher_stops_after_count(cli, market: Market) -> None:
    out = ok(cli("oracle", "push", "--pool", market.name, "--mint", market.sol.mint, "--random-walk", "--seed", "1",
                 "--start", "150", "--vol-bps", "10", "--interval", "0", "--count", "2"))
    assert (out["stopped_by"], out["pushed"], out["start_price"]) == ("finished", 2, SOL_PRICE)

