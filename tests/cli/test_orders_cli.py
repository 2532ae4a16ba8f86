"""`perp-pool trade order place|edit|list|cancel` and `keeper run` (orders executed in the keeper's scan)."""

from __future__ import annotations

from pathlib import Path

from solders.keypair import Keypair

from perp_pool.constants import DEFAULT_EXECUTOR_FEE_USD
from perp_pool.math.fixed import U64_MAX
from tests.cli.conftest import failed, market_args, ok, token_balance, usdc_ata
from tests.helpers import Market, World, price_usd


def test_place_list_edit_and_cancel_a_stop_loss(cli, market_with_long: Market, world: World, rpc_url: str) -> None:
    m = market_with_long
    wallet = usdc_ata(world.admin.pubkey(), m)
    before = token_balance(rpc_url, wallet)
    out = ok(cli("trade", "order", "place", *market_args(m), "--kind", "sl", "--trigger", "145"))
    d = out["data"]
    assert out["event"] == "OrderPlaced"
    assert (d["trigger_price"], d["price_limit"], d["size_usd"]) == (price_usd(145), 0, U64_MAX)  # stop-market, all
    assert before - token_balance(rpc_url, wallet) == d["executor_fee"] == DEFAULT_EXECUTOR_FEE_USD
    listed = ok(cli("trade", "order", "list", "--pool", m.name))["orders"]
    assert [(o["order"], o["kind"], o["executable"], o["void"]) for o in listed] == [
        (d["order"], "stop_loss", False, False)]
    edited = ok(cli("trade", "order", "edit", d["order"], "--trigger", "146"))
    assert edited["data"]["trigger_price"] == price_usd(146)
    doc = failed(cli("trade", "order", "edit", d["order"], "--trigger", "140"))
    assert (doc["error"], doc["code"]) == ("StopLossPastLiquidation", 6043)
    cancelled = ok(cli("trade", "order", "cancel", d["order"]))
    assert cancelled["data"]["refunded"] == DEFAULT_EXECUTOR_FEE_USD
    assert token_balance(rpc_url, wallet) == before
    assert ok(cli("trade", "order", "list", "--pool", m.name))["orders"] == []


def test_a_limit_order_needs_size_and_amount(cli, market: Market) -> None:
    doc = failed(cli("trade", "order", "place", *market_args(market), "--kind", "limit", "--trigger", "140"),
                 exit_code=2)
    assert doc["error"] == "MissingOption"
    out = ok(cli("trade", "order", "place", *market_args(market), "--kind", "limit", "--trigger", "140",
                 "--size", "1000", "--amount", "50"))
    assert (out["data"]["collateral_amount"], out["data"]["price_limit"]) == (50_000_000, price_usd(140))


def test_keeper_run_executes_the_reached_orders(cli, market_with_long: Market,
                                                keeper_keypair_file: tuple[Keypair, Path], rpc_url: str) -> None:
    m = market_with_long
    placed = ok(cli("trade", "order", "place", *market_args(m), "--kind", "tp", "--trigger", "155",
                    "--size", "500"))["data"]
    keeper, keeper_file = keeper_keypair_file
    out = ok(cli("keeper", "run", "--pool", m.name, "--once", keypair=keeper_file))
    assert out["orders_executed"] == []
    ok(cli("oracle", "set", "--pool", m.name, "--mint", str(m.sol.mint), "--price", "156"))
    out = ok(cli("keeper", "run", "--pool", m.name, "--once", keypair=keeper_file))
    assert out["orders_executed"] == [placed["order"]]
    assert token_balance(rpc_url, usdc_ata(keeper.pubkey(), m)) == DEFAULT_EXECUTOR_FEE_USD
