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
