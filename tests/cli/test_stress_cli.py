"""`perp-pool stress --pool NAME`: the simulator on a pool's parameters read from the node."""

from __future__ import annotations

import pytest

from perp_pool.math.pricing import Side
from tests.cli.conftest import ok
from tests.cli.test_tranches import tranched_market
from tests.helpers import USDC, Market, World
from tests.test_trading import open_pos, trader


@pytest.fixture(scope="module")
async def stressed(world: World) -> Market:
    """50,000 USDC junior, 20,000 USDC senior, 500 USDC in the insurance fund, one open 10x long."""
    m = await tranched_market(world, junior=50_000 * USDC, senior=20_000 * USDC, insurance=500 * USDC)
    w = await trader(world, m)
    await open_pos(world, m, w, Side.LONG, 100 * USDC, 1_000 * USDC)
    return m


def test_stress_reads_the_pool_from_chain(cli, stressed: Market) -> None:
    doc = ok(cli("stress", "--pool", stressed.name, "--paths", "6", "--positions", "20", "--horizon-hours", "1",
                 "--no-sensitivity", "--check", "1"))
    assert doc["pool"]["name"] == stressed.name and doc["pool"]["tranched"] is True
    # The chain's numbers: the LPs' USDC (deposits less their fees), the senior's claim, the fund.
    senior = doc["tranches"]["senior"]["nav_start_usd"]
    assert 19_900 * USDC <= senior <= 20_000 * USDC
    assert 69_800 * USDC <= doc["lp"]["aum_start_usd"] <= 70_010 * USDC
    assert doc["book"]["insurance_fund"] >= 500 * USDC
    assert doc["book"]["open_before"] == 1  # the long opened on chain, settled with the rest
    assert doc["book"]["positions"] + sum(doc["book"]["rejected"].values()) == 21
    assert doc["check"]["identical"] is True


def test_stress_on_an_unknown_pool_says_so(cli) -> None:
    result = cli("stress", "--pool", "no-such-pool", "--paths", "2")
    assert result.exit_code == 3, result.stdout



@pytest.fixture(scope="module")
async def sol_funded(world: World) -> tuple[Market, int]:
    """A SOL-funded pool (2,000 LP SOL) with a skew premium and one asset-backed long open; its cached AUM."""
    from perp_pool.math import skew
    from tests.helpers import SOL, new_market

    m = await new_market(world)
    lp = await world.new_wallet(m.sol, tokens=2_000 * SOL)
    await world.deposit_and_wait(m.sol, lp, 2_000 * SOL)
    params = skew.SkewParams(scale_aum_bps=100, fee_premium_max_bps=5_000, borrow_premium_max_rate=1_000_000)
    await world.client.set_skew_config(m.pool, m.sol.custody, params)
    w = await world.new_wallet(m.sol, tokens=10 * SOL)
    await w.client.open_position(m.pool, m.sol.custody, m.sol.custody, Side.LONG, price_limit=2**63,
                                 collateral_amount=2 * SOL, size_usd=1_000 * USDC, funding_account=w.token_account)
    return m, (await world.client.fetch_pool(m.pool)).aum_usd


def test_stress_reads_asset_backed_positions_and_the_skew_from_chain(cli, sol_funded: tuple[Market, int]) -> None:
    """The run settles the chain's asset-backed long in SOL beside the simulated ones (half the longs
    asset-backed), reads the cached AUM and the skew params, and the exact engine agrees."""
    from tests.helpers import SOL

    m, aum = sol_funded
    doc = ok(cli("stress", "--pool", m.name, "--paths", "4", "--positions", "30", "--horizon-hours", "1",
                 "--asset-backed-share", "0.5", "--no-sensitivity", "--check", "2"))
    book = doc["book"]
    assert book["open_before"] == 1 and book["asset_backed"] >= 2  # the chain's and simulated ones
    assert book["skew"]["aum_usd"] == aum > 0
    assert book["skew"]["net_usd"] == book["long_size_usd"] - book["short_size_usd"]
    assert book["skew"]["borrow_premium_long"] + book["skew"]["borrow_premium_short"] > 0
    assert 1_990 * SOL <= doc["market_custody"]["lp_tokens_start"] <= 2_000 * SOL  # less the deposit fee
    assert doc["model"]["traders"]["asset_backed_share"] == 0.5
    assert doc["check"]["identical"] is True
