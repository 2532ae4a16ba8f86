"""The `perp-pool` CLI end to end on the node, in --json mode (one JSON document per command).

Tests are sync and invoke the app in-process with typer's CliRunner (the CLI runs its own event
loop); chain state is built by async fixtures with the session's admin, whose keypair file is the
CLI's wallet.
"""

from __future__ import annotations

import base64
import json
import struct
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.sysvar import CLOCK
from spl.token.instructions import get_associated_token_address
from typer.testing import CliRunner

from perp_pool.cli import app
from perp_pool.cli.trade import entry_limit
from perp_pool.client import FeeConfig, OracleConfig
from perp_pool.constants import BPS_POWER, DEAD_LP_SUPPLY, PRICE_DECIMALS, PRICE_POWER, RATE_POWER
from perp_pool.math import borrow as borrow_math
from perp_pool.math import fees as fee_math
from perp_pool.math.liquidity import compute_remove_liquidity
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pricing import Side
from perp_pool.tokens import ensure_ata, mint_tokens
from tests.conftest import rpc_call
from tests.helpers import USDC, Market, World, new_market, price_usd

FEES = FeeConfig()  # 10 bps to add/remove liquidity, open and close; 20 % protocol, 10 % insurance
LIQUIDITY = 100_000 * USDC
WALLET_USDC = 10_000 * USDC
SOL_PRICE = price_usd(150)  # PRICE_DECIMALS, as the markets' oracles publish it
NO_LIMIT = 2**63

RUNNER = CliRunner()


# ---- invoking the CLI -------------------------------------------------------------------------


def write_keypair(path: Path, keypair: Keypair) -> Path:
    path.write_text(json.dumps(list(bytes(keypair))))
    return path


@pytest.fixture(scope="module")
def admin_keypair_file(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_keypair(tmp_path_factory.mktemp("wallets") / "admin.json", world.admin)


@pytest.fixture
def cli(rpc_url: str, admin_keypair_file: Path, tmp_path: Path):
    """`cli(*args, keypair=None, json_mode=True)` -> Result, with an empty config file."""

    def invoke(*args: str, keypair: Path | None = None, json_mode: bool = True):
        base = ["--rpc-url", rpc_url, "--keypair", str(keypair or admin_keypair_file),
                "--config", str(tmp_path / "absent-config.yml")]
        return RUNNER.invoke(app, base + (["--json"] if json_mode else []) + [str(a) for a in args])

    return invoke


def ok(result) -> dict[str, Any]:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout)  # exactly one JSON document, nothing else on stdout


def failed(result, exit_code: int = 1) -> dict[str, Any]:
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    doc = json.loads(result.stdout)
    assert set(doc) == {"error", "code", "message"}
    return doc


def token_balance(rpc_url: str, account: Pubkey) -> int:
    return int(rpc_call(rpc_url, "getTokenAccountBalance", [str(account)])["result"]["value"]["amount"])


def account_exists(rpc_url: str, address: str) -> bool:
    return rpc_call(rpc_url, "getAccountInfo", [address, {"encoding": "base64"}])["result"]["value"] is not None


def node_clock(rpc_url: str) -> int:
    info = rpc_call(rpc_url, "getAccountInfo", [str(CLOCK), {"encoding": "base64"}])["result"]["value"]
    return struct.unpack_from("<q", base64.b64decode(info["data"][0]), 32)[0]


def usdc_ata(owner: Pubkey, m: Market) -> Pubkey:
    return get_associated_token_address(owner, m.usdc.mint)


def market_args(m: Market, side: str = "long") -> list[str]:
    return ["--pool", m.name, "--market", str(m.sol.mint), "--collateral", str(m.usdc.mint), "--side", side]


# ---- chain state ------------------------------------------------------------------------------


async def funded_market(world: World, **kwargs: Any) -> Market:
    """A market with 100k USDC of liquidity from another LP and 10k USDC in the admin's wallet."""
    m = await new_market(world, liquidity=LIQUIDITY, fees=FEES, **kwargs)
    account = await ensure_ata(world.client.transport, world.admin.pubkey(), m.usdc.mint)
    await mint_tokens(world.client.transport, m.usdc.mint, account, WALLET_USDC)
    return m


async def admin_opens(world: World, m: Market, side: Side, collateral: int = 100 * USDC,
                      size: int = 1_500 * USDC) -> None:
    await world.client.open_position(m.pool, m.sol.custody, m.usdc.custody, side,
                                     price_limit=NO_LIMIT if side is Side.LONG else 0, collateral_amount=collateral,
                                     size_usd=size, funding_account=usdc_ata(world.admin.pubkey(), m))


@pytest.fixture
async def market(world: World) -> Market:
    return await funded_market(world)


@pytest.fixture
async def market_with_long(world: World) -> Market:
    m = await funded_market(world)
    await admin_opens(world, m, Side.LONG)
    return m


@pytest.fixture(scope="module")
async def idle_market(world: World) -> Market:
    """Read-only tests: liquidity, no positions."""
    return await funded_market(world)


@pytest.fixture(scope="module")
async def traded_market(world: World) -> Market:
    """Read-only tests: the admin holds a 1,500 USD long and a 1,000 USD short."""
    m = await funded_market(world)
    await admin_opens(world, m, Side.LONG)
    await admin_opens(world, m, Side.SHORT, size=1_000 * USDC)
    return m


@pytest.fixture
async def stale_market(world: World, node_ext) -> Market:
    m = await funded_market(world, oracle=OracleConfig(max_price_age_sec=60))
    # A price cannot be replaced by an older one: the SOL price goes stale as the clock moves on.
    node_ext.warp_clock(61)
    await world.set_price(m.usdc, price=price_usd(1))
    return m


@pytest.fixture
async def keeper_keypair_file(world: World, tmp_path: Path) -> tuple[Keypair, Path]:
    """A funded wallet with no token accounts at all."""
    kp = await world.funded_keypair()
    return kp, write_keypair(tmp_path / "keeper.json", kp)


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
    assert failed(cli("pool", "info", "no-such-pool"))["error"] == "PoolNotFound"


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
    assert failed(cli("trade", "close", *market_args(market)))["error"] == "PositionNotFound"


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
                 "--seed", "7", "--start", "150.5", "--vol-bps", "20", "--interval", "0.25", "--count", "3"))
    (source_call, push_call) = rec.calls
    assert source_call == ("RandomWalkSource", (price_usd("150.5"), 20, 7), {})
    _, args, kwargs = push_call
    assert args[1:] == (idle_market.sol.custody, ("RandomWalkSource", (price_usd("150.5"), 20, 7)))
    assert (kwargs["interval"], kwargs["count"]) == (0.25, 3)
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
                      "dry_run": True}
    assert run_kwargs == {"interval": 2.0} and type(run_args[0]).__name__ == "Event"


def test_missing_keeper_module_is_a_clear_error(cli, idle_market: Market, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "perp_pool.keeper.aum_updater", None)  # makes the import fail
    doc = failed(cli("keeper", "aum", "--pool", idle_market.name))
    assert doc["error"] == "KeeperUnavailable" and "perp_pool.keeper.aum_updater" in doc["message"]


def test_oracle_push_with_the_real_pusher_stops_after_count(cli, market: Market) -> None:
    out = ok(cli("oracle", "push", "--pool", market.name, "--mint", market.sol.mint, "--random-walk", "--seed", "1",
                 "--start", "150", "--vol-bps", "10", "--interval", "0", "--count", "2"))
    assert (out["stopped_by"], out["pushed"], out["start_price"]) == ("finished", 2, SOL_PRICE)
