"""`lp lock`, `lp stakes`, `lp claim`, `lp unlock --amount` and the staking block of `pool info`
against the node, as an LP would use them: human units in, base units in --json, named errors."""

from __future__ import annotations

import pytest

from perp_pool.cli import app
from perp_pool.client import FeeConfig
from perp_pool.constants import BPS_POWER, WEEK_SECONDS
from perp_pool.tokens import ensure_ata, mint_tokens
from tests.cli.conftest import RUNNER, failed, market_args, node_clock, ok, token_balance, usdc_ata
from tests.helpers import USDC, Market, World, new_market
from tests.staking_support import LADDER

FEES = FeeConfig(staker_share_bps=3_000)


@pytest.fixture
async def staked_market(world: World) -> Market:
    """100k USDC of liquidity, the stake pool (the example ladder), 10k USDC in the admin's wallet."""
    m = await new_market(world, liquidity=100_000 * USDC, fees=FEES)
    await world.client.init_stake_pool(m.pool, m.usdc.custody, ladder=LADDER, junior_share_bps=6_500)
    account = await ensure_ata(world.client.transport, world.admin.pubkey(), m.usdc.mint)
    await mint_tokens(world.client.transport, m.usdc.mint, account, 10_000 * USDC)
    return m


def route_fees(cli, m: Market) -> None:
    """The admin opens and closes a 1,000 USD long: 2 USD of fees, 0.6 USD to the stakers."""
    ok(cli("trade", "open", *market_args(m), "--amount", "100", "--size", "1000"))
    ok(cli("trade", "close", *market_args(m)))


def test_an_lp_locks_earns_claims_and_unlocks_from_the_cli(cli, staked_market: Market, world: World,
                                                           rpc_url: str, node_ext) -> None:
    m = staked_market
    deposit = ok(cli("lp", "deposit", "--pool", m.name, "--mint", m.usdc.mint, "--amount", "1000"))
    lp = deposit["data"]["lp_amount_out"]
    node_ext.advance_slots(1)
    locked = ok(cli("lp", "lock", "--pool", m.name, "--amount", "all", "--tier", "1"))
    assert locked["event"] == "LpLocked"
    d = locked["data"]
    assert (d["amount_in"], d["amount"], d["tier"], d["multiplier_bps"]) == (lp, lp, 1, 11_000)
    assert d["weight"] == lp * 11_000 // BPS_POWER and d["lock_end"] % WEEK_SECONDS == 0
    # A lower tier while the lock runs, an unlock before its end: named errors, exit 1.
    doc = failed(cli("lp", "lock", "--pool", m.name, "--amount", "0", "--tier", "0"))
    assert (doc["error"], doc["code"]) == ("LockShortened", 6055)
    doc = failed(cli("lp", "unlock", "--pool", m.name, "--amount", "all"))
    assert doc["error"] == "StakeLocked"

    route_fees(cli, m)
    stakes = ok(cli("lp", "stakes", "--pool", m.name))
    (row,) = stakes["stakes"]
    assert (row["tranche"], row["amount"], row["unlockable"]) == ("junior", lp, False)
    assert 0 < row["earned"] <= 600_000  # the only staker: everything routed less the floors
    assert row["earned"] >= 600_000 - 2
    before = token_balance(rpc_url, usdc_ata(world.admin.pubkey(), m))
    claimed = ok(cli("lp", "claim", "--pool", m.name))
    assert claimed["event"] == "StakeRewardsClaimed" and claimed["data"]["amount"] == row["earned"]
    assert token_balance(rpc_url, usdc_ata(world.admin.pubkey(), m)) == before + row["earned"]
    doc = failed(cli("lp", "claim", "--pool", m.name))
    assert doc["error"] == "ZeroAmount"

    # After the lock's end: the LP comes back.
    node_ext.warp_clock(d["lock_end"] - node_clock(rpc_url))
    for mint, price in ((m.usdc.mint, "1"), (m.sol.mint, "150")):  # the warp made the prices stale
        ok(cli("oracle", "set", "--pool", m.name, "--mint", mint, "--price", price))
    unlocked = ok(cli("lp", "unlock", "--pool", m.name, "--amount", "all"))
    assert unlocked["event"] == "LpStakeUnlocked" and unlocked["data"]["amount_out"] == lp
    assert ok(cli("lp", "stakes", "--pool", m.name))["stakes"][0]["amount"] == 0


def test_pool_info_shows_the_locked_share_in_80_columns(cli, staked_market: Market, rpc_url: str, node_ext,
                                                        admin_keypair_file, tmp_path) -> None:
    m = staked_market
    ok(cli("lp", "deposit", "--pool", m.name, "--mint", m.usdc.mint, "--amount", "5000"))
    node_ext.advance_slots(1)
    ok(cli("lp", "lock", "--pool", m.name, "--amount", "2500", "--tier", "2"))
    info = ok(cli("pool", "info", m.name))
    staking = info["staking"]
    assert staking["ladder"][4] == {"duration_days": 364, "multiplier_bps": 30_000}
    (junior,) = staking["tranches"]
    assert junior["tranche"] == "junior" and junior["locked_amount"] == 2_500 * USDC
    # Of the supply every LP price uses: the mint's and the dead shares.
    assert junior["lp_supply"] == info["lp_supply"] + info["dead_lp_supply"]
    assert junior["locked_share_bps"] == 2_500 * USDC * BPS_POWER // junior["lp_supply"]
    assert 89 * 86_400 <= junior["weighted_remaining_lock_sec"] <= 96 * 86_400
    base = ["--rpc-url", rpc_url, "--keypair", str(admin_keypair_file), "--config", str(tmp_path / "none.yml")]
    text = RUNNER.invoke(app, [*base, "pool", "info", m.name], env={"COLUMNS": "80"})
    assert text.exit_code == 0, text.stderr
    lines = text.stdout.rstrip("\n").splitlines()
    assert max(len(line) for line in lines) <= 80, text.stdout
    assert any(line.startswith("  locked share (%)") for line in lines)
    assert any("lock tiers: 7d 1x, 30d 1.1x, 90d 1.5x, 180d 2x, 364d 3x" in line for line in lines)


def test_lp_stakes_in_a_pool_without_a_stake_pool_is_a_named_error(cli, idle_market: Market) -> None:
    doc = failed(cli("lp", "stakes", "--pool", idle_market.name), exit_code=3)
    assert doc["error"] == "StakePoolNotFound"
