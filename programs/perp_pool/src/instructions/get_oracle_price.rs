//! `get_oracle_price` (view, simulate only): a custody's oracle reading, fully checked, in
//! PRICE_DECIMALS: spot and EMA rounded down, min rounded down, max rounded up.

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED},
        errors::PerpPoolError,
        math::{oracle::min_max_price, safe_math::Rounding},
        state::{custody::Custody, oracle::read_oracle_price, perpetuals::Perpetuals, pool::Pool},
    },
    anchor_lang::prelude::*,
};

/// PRICE_DECIMALS (10^-9 USD per whole token).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OraclePrices {
    pub spot: u64,
    /// Equal to spot when the oracle has no EMA.
    pub ema: u64,
    pub min: u64,
    pub max: u64,
}

#[derive(Accounts)]
pub struct GetOraclePrice<'info> {
    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody.mint.as_ref()],
        bump = custody.bump
    )]
    pub custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `custody.oracle.oracle_account`; checked by `read_oracle_price`.
    #[account(
        constraint = custody_oracle_account.key() == custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub custody_oracle_account: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<GetOraclePrice>) -> Result<OraclePrices> {
    let now = Clock::get()?.unix_timestamp;
    let (spot, ema) = read_oracle_price(
        &ctx.accounts.custody_oracle_account.to_account_info(),
        &ctx.accounts.custody.oracle,
        now,
    )?;
    let (min, max) = min_max_price(spot, ema)?;
    Ok(OraclePrices {
        spot: spot.scale_to_price_decimals(Rounding::Floor)?,
        ema: ema.scale_to_price_decimals(Rounding::Floor)?,
        min: min.scale_to_price_decimals(Rounding::Floor)?,
        max: max.scale_to_price_decimals(Rounding::Ceil)?,
    })
}
