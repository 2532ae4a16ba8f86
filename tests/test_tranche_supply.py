"""A senior LP holder burning its own LP with the token program (which needs no mint authority)
can neither block the senior tranche nor leave a claim nobody can redeem accruing the senior rate:
the next senior deposit or redemption drops the burned units, whose value goes to the junior."""

from __future__ import annotations

import pytest
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import BurnParams, burn

from perp_pool.math.tranche import Tranche
from perp_pool.tokens import ensure_ata, fetch_mint
from tests.helpers import USDC, World


@pytest.mark.asyncio
async def test_a_burned_senior_claim_goes_to_the_junior_and_blocks_nothing(world: World) -> None:
    c = world.client
    p = await world.new_pool()
    await c.add_senior_tranche(p.pool, rate_bps=0, max_senior_junior_ratio_bps=40_000,
                               senior_deposit_ratio_bps=30_000)
    junior = await world.new_wallet(p, tokens=10_000 * USDC)
    senior = await world.new_wallet(p, tokens=10_000 * USDC)
    senior_mint = c.lp_mint_address(p.pool, Tranche.SENIOR)
    senior_lp = await ensure_ata(c.transport, senior.pubkey, senior_mint)
    await junior.client.add_liquidity(p.pool, p.custody, amount_in=1_000 * USDC, funding_account=junior.token_account,
                                      lp_token_account=junior.lp_account, min_lp_amount_out=0)
    await senior.client.add_liquidity(p.pool, p.custody, amount_in=2_000 * USDC,
                                      funding_account=senior.token_account, lp_token_account=senior_lp,
                                      min_lp_amount_out=0, tranche=Tranche.SENIOR)
    await world.after_slot(await world.slot())
    await senior.client.unlock_lp(p.pool, senior_lp, tranche=Tranche.SENIOR)
    before = await c.get_tranche_state(p.pool)

    burned = 100 * USDC  # LP base units: 100 senior LP, worth 100 USD at the index (rate 0)
    await senior.client.send([burn(BurnParams(program_id=TOKEN_PROGRAM_ID, account=senior_lp, mint=senior_mint,
                                              owner=senior.pubkey, amount=burned, signers=[]))])
    # Until a senior operation, the pool still counts the burned units (junior views undervalued).
    assert (await fetch_mint(world.connection, senior_mint)).supply == before.senior_supply - burned
    assert (await c.get_tranche_state(p.pool)).senior_supply == before.senior_supply

    # A senior redemption works and syncs the count: the burned claim is the junior's now.
    await senior.client.remove_liquidity(p.pool, p.custody, lp_amount_in=10 * USDC,
                                         receiving_account=senior.token_account, lp_token_account=senior_lp,
                                         min_amount_out=0, tranche=Tranche.SENIOR)
    after = await c.get_tranche_state(p.pool)
    assert after.senior_supply == before.senior_supply - burned - 10 * USDC
    assert after.senior_supply == (await fetch_mint(world.connection, senior_mint)).supply
    # The junior gained the burned claim (plus the redemption fee's LP share, which is the junior's).
    assert after.junior_nav_min_usd >= before.junior_nav_min_usd + burned
