//! `get_assets_under_management` (view, simulate only): the pool's AUM in USD_DECIMALS at min
//! prices (rounded down) — the valuation LP redemptions and `get_lp_token_price` use.
//!
//! Remaining accounts: for EVERY custody of the pool, in `pool.custodies` order, the pair
//! (custody, its oracle account). Oracles are fully checked (fresh, confident), as in a trade.

use {
    crate::{
        constants::{PERPETUALS_SEED, POOL_SEED},
        math::liquidity::{assets_under_management_usd, AumMode},
        state::{perpetuals::Perpetuals, pool::Pool},
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct GetAssetsUnderManagement<'info> {
    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,
}

pub fn handler<'info>(
    ctx: Context<'_, '_, '_, 'info, GetAssetsUnderManagement<'info>>,
) -> Result<u128> {
    let now = Clock::get()?.unix_timestamp;
    let valuations = ctx
        .accounts
        .pool
        .custody_valuations(None, ctx.remaining_accounts, now)?;
    assets_under_management_usd(&valuations, AumMode::Min)
}
