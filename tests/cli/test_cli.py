"""The `perp-pool` CLI end to end on the node, in --json mode (one JSON document per command).

Tests are sync and invoke the app in-process with typer's CliRunner (the CLI runs its own event
loop); chain state is built by async fixtures with the session's admin, whose keypair file is the
CLI's wallet.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from solders.keypair import Keypair
from spl.token.instructions import get_associated_token_address

from perp_pool.cli.trade import entry_limit
from perp_pool.constants import BPS_POWER, DEAD_LP_SUPPLY, PRICE_DECIMALS, PRICE_POWER, RATE_POWER
from perp_pool.math import borrow as borrow_math
from perp_pool.math import fees as fee_math
from perp_pool.math.liquidity import compute_remove_liquidity
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pricing import Side
from perp_pool.tokens import ensure_ata, mint_tokens
from tests.cli.conftest import (
    FEES,
    LIQUIDITY,
    SOL_PRICE,
    WALLET_USDC,
    account_exists,
    failed,
    market_args,
    node_clock,
    ok,
    token_balance,
    usdc_ata,
)
from tests.helpers import USDC, Market, World, new_market, price_usd

# ---- pool info ----------------------------------------------------------------------------------


def deposit_state() -> tuple[int, int, int]:
    """(owned, protocol fees, LP supply priced against) after the market's 100k USDC deposit at 1 USD.
    The supply counts the first deposit's dead shares, which the mint's supply does not."""
    fee = fee_math.bps_fee(LIQUIDITY, FEES.add_liquidity_bps)
    protocol = fee * FEES.protocol_share_bps // BPS_POWER
    return LIQUIDITY - protocol, protocol, LIQUIDITY - fee


def test_pool_info_reports_aum_lp_price_supply_and_custodies(cli, idle_market: Market) -> None:
    info = ok(cli("pool", "info", idle_market.name))
    owned, protocol, supply = deposit_state()
    assert (info["address"], info["lp_mint"]) == (str(idle_market.pool), str(idle_market.lp_mint))
    assert info["aum_usd"] == owned  # USDC at exactly 1 USD, no positions
    assert info["lp_supply"] == supply - DEAD_LP_SUPPLY and info["lp_decimals"] == 6  # the mint's supply
    assert (info["dead_lp_supply"], info["lp_cooldown_sec"]) == (DEAD_LP_SUPPLY, 0)
    assert info["lp_price_usd"] == owned * 10**6 // supply
    usdc, sol = info["custodies"]
    assert (usdc["mint"], usdc["decimals"], usdc["is_stable"]) == (str(idle_market.usdc.mint), 6, True)
    assert (usdc["owned"], usdc["protocol_fees"], usdc["locked"], usdc["collateral"]) == (owned, protocol, 0, 0)
    one = price_usd(1)
    assert usdc["oracle_price"] == {"spot": one, "ema": one, "min": one, "max": one}
    assert (sol["mint"], sol["decimals"], sol["is_stable"], sol["owned"]) == (str(idle_market.sol.mint), 9, False, 0)
    assert sol["oracle_price"]["spot"] == SOL_PRICE and sol["oracle_type"] == "custom"


def test_pool_info_reports_open_interest_utilisation_and_borrow_rate(cli, traded_market: Market) -> None:
    usdc, sol = ok(cli("pool", "info", traded_market.name))["custodies"]
    assert (sol["long_size_usd"], sol["long_positions"]) == (1_500 * USDC, 1)
    assert (sol["short_size_usd"], sol["short_positions"]) == (1_000 * USDC, 1)
    assert usdc["locked"] == 2_500 * USDC  # 1x payoff cap of both sizes, in USDC at 1 USD
    open_fees = fee_math.bps_fee(1_500 * USDC, 10) + fee_math.bps_fee(1_000 * USDC, 10)
    assert usdc["collateral"] == 200 * USDC - open_fees
    assert usdc["utilization"] == borrow_math.utilization(usdc["locked"], usdc["owned"])
    assert usdc["borrow_rate"] == borrow_math.borrow_rate(usdc["utilization"], 0, 80_000, 120_000, 800_000_000)
    assert 0 < usdc["utilization"] < RATE_POWER


def test_pool_info_without_json_prints_tables(cli, idle_market: Market) -> None:
    result = cli("pool", "info", idle_market.name, json_mode=False)
    assert result.exit_code == 0, result.stderr
    assert idle_market.name in result.stdout and "AUM (USD)" in result.stdout
    assert "dead LP supply" in result.stdout and "LP cooldown" in result.stdout
    assert not result.stdout.lstrip().startswith("{")


def test_unknown_pool_is_a_named_error(cli) -> None:
    assert failed(cli("pool", "info", "no-such-pool"), exit_code=3)["error"] == "PoolNotFound"


# ---- positions ----------------------------------------------------------------------------------


def test_positions_list_agrees_with_the_program_on_liquidation_prices(cli, traded_market: Market) -> None:
    data = ok(cli("positions", "list", "--pool", traded_market.name, "--verify"))
    rows = {p["side"]: p for p in data["positions"]}
    assert set(rows) == {"long", "short"}
    for p in rows.values():
        assert p["error"] is None
        assert p["liquidation_price"] == p["liquidation_price_onchain"]
        assert p["liquidation_price_match"] is True
    long, short = rows["long"], rows["short"]
    assert (long["size_usd"], long["entry_price"], long["exit_price"]) == (1_500 * USDC, SOL_PRICE, SOL_PRICE)
    assert long["collateral_amount"] == 100 * USDC - fee_math.bps_fee(1_500 * USDC, 10)
    assert long["pnl_usd"] == 0 and not long["liquidatable"]
    assert long["liquidation_price"] < SOL_PRICE < short["liquidation_price"]
    assert 0 < long["leverage_bps"] and short["size_usd"] == 1_000 * USDC


def test_positions_list_filters_by_owner(cli, traded_market: Market, world: World) -> None:
    mine = ok(cli("positions", "list", "--pool", traded_market.name, "--owner", str(world.admin.pubkey())))
    others = ok(cli("positions", "list", "--pool", traded_market.name, "--owner", str(Keypair().pubkey())))
    assert len(mine["positions"]) == 2 and others["positions"] == []


# ---- liquidity ----------------------------------------------------------------------------------


def expected_lp_out(amount_in: int) -> int:
    owned, _, supply = deposit_state()
    net = amount_in - fee_math.bps_fee(amount_in, FEES.add_liquidity_bps)
    return net * supply // owned  # deposit_usd = net at 1 USD; AUM (max) = owned


def test_lp_deposit_converts_the_human_amount_with_the_mint_decimals(cli, market: Market, world: World,
                                                                     rpc_url: str) -> None:
    out = ok(cli("lp", "deposit", "--pool", market.name, "--mint", market.usdc.mint, "--amount", "100.5"))
    assert out["event"] == "LiquidityAdded"
    assert out["data"]["amount_in"] == 100_500_000
    assert out["data"]["lp_amount_out"] == expected_lp_out(100_500_000) == out["quote_lp_amount_out"]
    # the default minimum: the quote less the default 50 bps of slippage
    assert out["min_lp_amount_out"] == expected_lp_out(100_500_000) * 9_950 // 10_000
    lp_account = get_associated_token_address(world.admin.pubkey(), market.lp_mint)
    assert out["lp_token_account"] == str(lp_account)
    assert token_balance(rpc_url, lp_account) == expected_lp_out(100_500_000)
    assert token_balance(rpc_url, usdc_ata(world.admin.pubkey(), market)) == WALLET_USDC - 100_500_000


def test_amount_with_more_decimals_than_the_mint_is_refused_before_sending(cli, market: Market, world: World,
                                                                          rpc_url: str) -> None:
    doc = failed(cli("lp", "deposit", "--pool", market.name, "--mint", market.usdc.mint, "--amount", "1.0000001"),
                 exit_code=2)
    assert doc["error"] == "InvalidAmount" and "6 decimal places" in doc["message"]
    assert token_balance(rpc_url, usdc_ata(world.admin.pubkey(), market)) == WALLET_USDC


def test_lp_withdraw_redeems_at_the_pool_price(cli, market: Market, world: World, rpc_url: str, node_ext) -> None:
    added = ok(cli("lp", "deposit", "--pool", market.name, "--mint", market.usdc.mint, "--amount", "1000"))["data"]
    node_ext.advance_slots(1)  # the deposit froze the LP account until the next slot (0 s cooldown)
    out = ok(cli("lp", "withdraw", "--pool", market.name, "--mint", market.usdc.mint, "--lp-amount", "250.25"))
    expected = compute_remove_liquidity(250_250_000, aum_min_usd=added["custody_owned"], lp_supply=added["lp_supply"],
                                        decimals=6, max_price=OraclePrice(PRICE_POWER, -PRICE_DECIMALS),
                                        available_amount=added["custody_owned"],
                                        remove_liquidity_bps=FEES.remove_liquidity_bps,
                                        protocol_share_bps=FEES.protocol_share_bps)
    assert out["event"] == "LiquidityRemoved"
    assert (out["data"]["lp_amount_in"], out["data"]["amount_out"]) == (250_250_000, expected.amount_out)
    assert out["quote_amount_out"] == expected.amount_out
    assert out["min_amount_out"] == expected.amount_out * 9_950 // 10_000
    assert token_balance(rpc_url, usdc_ata(world.admin.pubkey(), market)) == (
        WALLET_USDC - 1_000 * USDC + expected.amount_out)


def test_lp_deposit_with_a_minimum_above_the_quote_is_refused(cli, market: Market, world: World,
                                                               rpc_url: str) -> None:
    quote = expected_lp_out(10 * USDC)
    above = f"{(quote + 1) // 10**6}.{(quote + 1) % 10**6:06d}"
    doc = failed(cli("lp", "deposit", "--pool", market.name, "--mint", market.usdc.mint, "--amount", "10",
                     "--min-lp-out", above))
    assert (doc["error"], doc["code"]) == ("SlippageExceeded", 6012)
    assert token_balance(rpc_url, usdc_ata(world.admin.pubkey(), market)) == WALLET_USDC
    exact = f"{quote // 10**6}.{quote % 10**6:06d}"
    out = ok(cli("lp", "deposit", "--pool", market.name, "--mint", market.usdc.mint, "--amount", "10",
                 "--min-lp-out", exact, "--slippage-bps", "0"))
    assert out["min_lp_amount_out"] == out["data"]["lp_amount_out"] == quote


@pytest.fixture
async def cooldown_market(world: World) -> Market:
    """Like `market`, but a deposit's LP stays frozen for 15 minutes."""
    m = await new_market(world, liquidity=LIQUIDITY, fees=FEES, lp_cooldown_sec=900)
    account = await ensure_ata(world.client.transport, world.admin.pubkey(), m.usdc.mint)
    await mint_tokens(world.client.transport, m.usdc.mint, account, WALLET_USDC)
    return m


def test_lp_withdraw_and_unlock_wait_for_the_pools_cooldown(cli, cooldown_market: Market, world: World,
                                                            rpc_url: str, node_ext) -> None:
    m = cooldown_market
    assert ok(cli("pool", "info", m.name))["lp_cooldown_sec"] == 900
    added = ok(cli("lp", "deposit", "--pool", m.name, "--mint", m.usdc.mint, "--amount", "1000"))["data"]
    assert added["unlock_time"] >= node_clock(rpc_url) + 900 - 1
    node_ext.advance_slots(1)
    lp_account = get_associated_token_address(world.admin.pubkey(), m.lp_mint)
    for args in (("lp", "withdraw", "--pool", m.name, "--mint", m.usdc.mint, "--lp-amount", "10"),
                 ("lp", "unlock", "--pool", m.name)):
        doc = failed(cli(*args))
        assert (doc["error"], doc["code"]) == ("LiquidityCooldownActive", 6036)
    assert token_balance(rpc_url, lp_account) == added["lp_amount_out"]

    node_ext.warp_clock(added["unlock_time"] - node_clock(rpc_url))
    for mint, price in ((m.usdc.mint, "1"), (m.sol.mint, "150")):  # the warp made the prices stale
        ok(cli("oracle", "set", "--pool", m.name, "--mint", mint, "--price", price))
    unlocked = ok(cli("lp", "unlock", "--pool", m.name))
    assert unlocked["event"] == "LpUnlocked" and unlocked["unlock_time"] == added["unlock_time"]
    assert unlocked["data"]["lp_token_account"] == str(lp_account)
    out = ok(cli("lp", "withdraw", "--pool", m.name, "--mint", m.usdc.mint, "--lp-amount", "10"))
    assert out["data"]["lp_amount_in"] == 10 * USDC


def test_lp_unlock_without_any_deposit_is_a_named_error(cli, idle_market: Market) -> None:
    doc = failed(cli("lp", "unlock", "--pool", idle_market.name, "--owner", str(Keypair().pubkey())))
    assert doc["error"] == "NothingToUnlock"


# ---- trading ------------------------------------------------------------------------------------


def test_trade_open_uses_the_entry_quote_plus_slippage(cli, market: Market, world: World, rpc_url: str) -> None:
    out = ok(cli("trade", "open", *market_args(market), "--amount", "100", "--size", "1500", "--slippage-bps", "50"))
    fee = fee_math.bps_fee(1_500 * USDC, 10)
    assert out["event"] == "PositionOpened" and out["side"] == "long"
    assert out["quote_price"] == SOL_PRICE
    assert out["price_limit"] == entry_limit(Side.LONG, SOL_PRICE, 50) == 150_750_000_000
    d = out["data"]
    assert (d["price"], d["size_usd"], d["collateral_in"]) == (SOL_PRICE, 1_500 * USDC, 100 * USDC)
    assert (d["fee_amount"], d["collateral_amount"], d["locked_amount"]) == (fee, 100 * USDC - fee, 1_500 * USDC)
    assert out["position"] == str(world.client.position_address(market.pool, market.sol.custody,
                                                                market.usdc.custody, Side.LONG))
    assert token_balance(rpc_url, usdc_ata(world.admin.pubkey(), market)) == WALLET_USDC - 100 * USDC


def test_trade_open_past_an_explicit_price_limit_is_refused(cli, market: Market) -> None:
    doc = failed(cli("trade", "open", *market_args(market), "--amount", "100", "--size", "1500",
                     "--price-limit", "149.99"))
    assert (doc["error"], doc["code"]) == ("PriceSlippage", 6029)


def test_trade_open_short(cli, market: Market) -> None:
    out = ok(cli("trade", "open", *market_args(market, "short"), "--amount", "50", "--size", "250.5"))
    assert out["side"] == "short" and out["data"]["size_usd"] == 250_500_000
    assert out["price_limit"] == entry_limit(Side.SHORT, SOL_PRICE, 50) == 149_250_000_000


def test_trade_increase_adds_size_and_collateral(cli, market_with_long: Market) -> None:
    out = ok(cli("trade", "increase", *market_args(market_with_long), "--size", "500", "--amount", "50"))
    d = out["data"]
    assert out["event"] == "PositionIncreased" and out["quote_price"] == SOL_PRICE
    assert (d["size_delta_usd"], d["size_usd"], d["collateral_in"]) == (500 * USDC, 2_000 * USDC, 50 * USDC)
    assert d["fee_amount"] == fee_math.bps_fee(500 * USDC, 10)
    assert d["collateral_amount"] == (100 * USDC - fee_math.bps_fee(1_500 * USDC, 10) + 50 * USDC
                                      - d["fee_amount"] - d["interest_amount"])


def test_trade_decrease_closes_part_of_the_size(cli, market_with_long: Market) -> None:
    out = ok(cli("trade", "decrease", *market_args(market_with_long), "--size", "500"))
    d = out["data"]
    assert out["event"] == "PositionDecreased" and out["price_limit"] == SOL_PRICE * 9_950 // 10_000
    assert (d["size_delta_usd"], d["size_usd"], d["exit_price"]) == (500 * USDC, 1_000 * USDC, SOL_PRICE)
    assert d["fee_usd"] == fee_math.bps_fee(500 * USDC, 10)


def test_trade_add_collateral(cli, market_with_long: Market) -> None:
    out = ok(cli("trade", "add-collateral", *market_args(market_with_long), "--amount", "25.5"))
    assert out["event"] == "CollateralAdded"
    assert out["data"]["amount"] == 25_500_000
    assert out["data"]["collateral_amount"] == 100 * USDC - fee_math.bps_fee(1_500 * USDC, 10) + 25_500_000


def test_trade_remove_collateral_pays_its_usd_value_out(cli, market_with_long: Market, world: World,
                                                        rpc_url: str) -> None:
    out = ok(cli("trade", "remove-collateral", *market_args(market_with_long), "--usd", "20"))
    assert out["event"] == "CollateralRemoved"
    assert (out["data"]["collateral_usd_requested"], out["data"]["amount_out"]) == (20 * USDC, 20 * USDC)
    assert token_balance(rpc_url, usdc_ata(world.admin.pubkey(), market_with_long)) == (
        WALLET_USDC - 100 * USDC + 20 * USDC)


def test_trade_close_returns_collateral_less_fees(cli, market_with_long: Market, world: World,
                                                  rpc_url: str) -> None:
    out = ok(cli("trade", "close", *market_args(market_with_long)))
    d = out["data"]
    assert out["event"] == "PositionDecreased" and d["size_usd"] == 0
    fee = fee_math.bps_fee(1_500 * USDC, 10)
    assert d["amount_out"] == 100 * USDC - 2 * fee - d["interest_usd"]
    assert token_balance(rpc_url, usdc_ata(world.admin.pubkey(), market_with_long)) == (
        WALLET_USDC - 100 * USDC + d["amount_out"])
    assert not account_exists(rpc_url, out["position"])


def test_trade_on_a_missing_position_is_a_named_error(cli, market: Market) -> None:
    assert failed(cli("trade", "close", *market_args(market)), exit_code=3)["error"] == "PositionNotFound"


def test_stale_oracle_price_is_reported_by_name(cli, stale_market: Market) -> None:
    doc = failed(cli("trade", "open", *market_args(stale_market), "--amount", "100", "--size", "1500"))
    assert (doc["error"], doc["code"]) == ("StaleOraclePrice", 6005)


def test_program_error_without_json_is_one_line(cli, stale_market: Market) -> None:
    result = cli("trade", "open", *market_args(stale_market), "--amount", "100", "--size", "1500", json_mode=False)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "StaleOraclePrice (6005)" in lines[0]


# ---- oracle and liquidation ---------------------------------------------------------------------


def test_oracle_set_publishes_at_the_node_clock(cli, market: Market, rpc_url: str) -> None:
    before = node_clock(rpc_url)
    out = ok(cli("oracle", "set", "--pool", market.name, "--mint", market.sol.mint, "--price", "151.25",
                 "--conf", "0.1", "--ema", "151"))
    after = node_clock(rpc_url)
    d = out["data"]
    assert out["event"] == "CustomOraclePriceSet"
    assert (d["price"], d["expo"], d["conf"], d["ema"]) == (
        price_usd("151.25"), -PRICE_DECIMALS, price_usd("0.1"), price_usd(151))
    assert before <= d["publish_time"] <= after


def test_liquidate_after_the_oracle_moves_past_the_liquidation_price(
        cli, market_with_long: Market, keeper_keypair_file: tuple[Keypair, Path], rpc_url: str) -> None:
    m = market_with_long
    (position,) = ok(cli("positions", "list", "--pool", m.name))["positions"]
    price = position["liquidation_price"]
    below = f"{(price - 1) // PRICE_POWER}.{(price - 1) % PRICE_POWER:0{PRICE_DECIMALS}d}"
    ok(cli("oracle", "set", "--pool", m.name, "--mint", m.sol.mint, "--price", below))
    (now_position,) = ok(cli("positions", "list", "--pool", m.name))["positions"]
    assert now_position["liquidatable"] is True

    keeper, keeper_file = keeper_keypair_file
    out = ok(cli("liquidate", position["address"], keypair=keeper_file))
    d = out["data"]
    assert out["event"] == "PositionLiquidated" and d["exit_price"] == price - 1
    assert d["liquidator"] == str(keeper.pubkey())
    assert out["receiving_account"] == str(usdc_ata(keeper.pubkey(), m))  # created by the command
    assert d["reward_paid"] == fee_math.liquidator_reward_usd(1_500 * USDC, FEES.liquidator_reward_bps)
    assert token_balance(rpc_url, usdc_ata(keeper.pubkey(), m)) == d["reward_paid"]
    assert ok(cli("positions", "list", "--pool", m.name))["positions"] == []


