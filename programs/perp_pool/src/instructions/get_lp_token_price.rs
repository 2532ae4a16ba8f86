//! `get_lp_token_price` (view, simulate only): USD_DECIMALS per whole LP token,
//! floor(aum_min * 10^LP_DECIMALS / supply); 1 USD (1_000_000) while the supply is 0.
//!
//! Remaining accounts: for EVERY custody of the pool, in `pool.custodies` order, the pair
//! (custody, its oracle account).

use {
    crate::{
        constants::{PERPETUALS_SEED, POOL_SEED},
        errors::PerpPoolError,
        math::liquidity::{assets_under_management_usd, lp_token_price_usd, AumMode},
        state::{perpetuals::Perpetuals, pool::Pool},
    },
    anchor_lang::prelude::*,
    anchor_spl::token::Mint,
};

#[derive(Accounts)]
pub struct GetLpTokenPrice<'info> {
    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
        constraint = lp_token_mint.key() == pool.lp_token_mint @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_mint: Box<Account<'info, Mint>>,
}

pub fn handler<'info>(ctx: Context<'_, '_, '_, 'info, GetLpTokenPrice<'info>>) -> Result<u64> {
    let now = Clock::get()?.unix_timestamp;
    let valuations = ctx
        .accounts
        .pool
        .custody_valuations(None, ctx.remaining_accounts, now)?;
    let aum_min_usd = assets_under_management_usd(&valuations, AumMode::Min)?;
    lp_token_price_usd(
        aum_min_usd,
        ctx.accounts
            .pool
            .lp_supply(ctx.accounts.lp_token_mint.supply)?,
    )
}
