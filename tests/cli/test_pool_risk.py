"""`perp-pool pool risk`: per market net delta, OI, skew premiums and cap headroom (get_market_risk),
and the worst modelled loss (every market moving --shock-bps against the pool) through the loss
cascade of get_tranche_state."""

from __future__ import annotations

import asyncio

from perp_pool.math import skew
from perp_pool.math.pricing import Side
from tests.cli.conftest import admin_opens, funded_market, ok
from tests.helpers import USDC, World

PARAMS = skew.SkewParams(scale_aum_bps=1_000, fee_premium_max_bps=6_000, fee_discount_max_bps=4_000,
                         borrow_premium_max_rate=100_000, max_net_exposure_usd=20_000 * USDC)


async def test_pool_risk_reports_the_market_and_the_shock(cli, world: World) -> None:
    m = await funded_market(world)
    await world.client.set_skew_config(m.pool, m.sol.custody, PARAMS)
    await admin_opens(world, m, Side.LONG, collateral=500 * USDC, size=4_000 * USDC)
    doc = ok(await asyncio.to_thread(cli, "pool", "risk", m.name, "--shock-bps", "2000"))
    [market] = doc["markets"]
    assert market["custody"] == str(m.sol.custody)
    assert market["net_usd"] == 4_000 * USDC
    assert (market["long"]["open_interest_usd"], market["short"]["open_interest_usd"]) == (4_000 * USDC, 0)
    assert market["long"]["fee_premium_bps"] > 0 and market["short"]["fee_discount_bps"] > 0
    assert market["long"]["borrow_premium_rate"] > 0 == market["short"]["borrow_premium_rate"]
    assert market["long"]["headroom_usd"] == 16_000 * USDC and market["short"]["headroom_usd"] == 24_000 * USDC
    assert market["shock_loss_usd"] == doc["worst_loss_usd"] == 800 * USDC  # 20 % of the 4k net long
    s = doc["stress"]
    assert s["insurance_draw_usd"] + s["junior_loss_usd"] + s["senior_loss_usd"] == 800 * USDC
    assert doc["junior_coverage_bps"] == doc["junior_nav_usd"] * 10_000 // (800 * USDC)
    text = await asyncio.to_thread(cli, "pool", "risk", m.name, json_mode=False)
    assert text.exit_code == 0, text.stdout
    assert "worst modelled loss 400.000000 USD" in text.stdout  # the default 10 % shock
    assert "junior coverage" in text.stdout
