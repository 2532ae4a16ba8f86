//! `get_lp_token_price` (view, simulate only): USD_DECIMALS per whole LP token of the tranche
//! `lp_token_mint` names, floor(nav_min * 10^LP_DECIMALS / supply) with the tranche's NAV at min
//! prices (the whole AUM for the only LP of a pool without tranches); 1 USD (1_000_000) while the
//! junior supply is 0, the senior index while the senior supply is 0.
//!
//! Remaining accounts: for EVERY custody of the pool, in `pool.custodies` order, the pair
//! (custody, its oracle account).

use {
    crate::{
        constants::{PERPETUALS_SEED, POOL_SEED},
        errors::PerpPoolError,
        math::{
            liquidity::{assets_under_management_usd, AumMode},
            tranche::lp_price_usd,
        },
        state::{perpetuals::Perpetuals, pool::Pool},
        types::Tranche,
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

    /// Either tranche's LP mint.
    #[account(
        constraint = pool.lp_mint_tranche(&lp_token_mint.key()).is_some() @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_mint: Box<Account<'info, Mint>>,
}

pub fn handler<'info>(ctx: Context<'_, '_, '_, 'info, GetLpTokenPrice<'info>>) -> Result<u64> {
    let now = Clock::get()?.unix_timestamp;
    let pool = &ctx.accounts.pool;
    let mint = &ctx.accounts.lp_token_mint;
    let tranche = pool
        .lp_mint_tranche(&mint.key())
        .ok_or_else(|| error!(PerpPoolError::InvalidLpTokenMint))?;
    let valuations = pool.custody_valuations(None, ctx.remaining_accounts, now)?;
    let aum_min_usd = assets_under_management_usd(&valuations, AumMode::Min)?;
    // The senior mint, when it is the one asked about: units a holder burned are no claim
    // (controller::liquidity), whether or not a senior operation has dropped them from the count.
    let senior_supply = match tranche {
        Tranche::Junior => pool.senior.supply,
        Tranche::Senior => mint.supply.min(pool.senior.supply),
    };
    let supply = match tranche {
        Tranche::Junior => pool.lp_supply(mint.supply)?,
        Tranche::Senior => senior_supply,
    };
    lp_price_usd(
        aum_min_usd,
        &pool.senior.terms(),
        senior_supply,
        supply,
        now,
        tranche,
    )
}
