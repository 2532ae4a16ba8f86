//! `get_exit_price_and_fee` (view, simulate only): the exit price (spread included) and the close
//! fee of closing the whole position now.

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED},
        errors::PerpPoolError,
        math::oracle::min_max_price,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool, position::Position},
    },
    anchor_lang::prelude::*,
};
use crate::state::oracle::read_oracle_price;

/// Exit price (PRICE_DECIMALS) and close fee (USD, and collateral tokens at the max price, ceil).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PriceAndFee {
    pub price: u64,
    pub fee_usd: u64,
    pub fee_amount: u64,
}

#[derive(Accounts)]
pub struct GetExitPriceAndFee<'info> {
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

    #[account(
        seeds = [CUSTODY_SEED, pool.key().as_ref(), collateral_custody.mint.as_ref()],
        bump = collateral_custody.bump
    )]
    pub collateral_custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `collateral_custody.oracle.oracle_account`.
    #[account(
        constraint = collateral_custody_oracle_account.key() == collateral_custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub collateral_custody_oracle_account: UncheckedAccount<'info>,

    #[account(
        seeds = [
            POSITION_SEED,
            position.owner.as_ref(),
            pool.key().as_ref(),
            custody.key().as_ref(),
            collateral_custody.key().as_ref(),
            &[position.side.seed_byte()]
        ],
        bump = position.bump
    )]
    pub position: Box<Account<'info, Position>>,
}

pub fn handler(ctx: Context<GetExitPriceAndFee>) -> Result<PriceAndFee> {
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let v = a.position.valuation(
        &a.custody,
        &a.custody_oracle_account.to_account_info(),
        &a.collateral_custody,
        &a.collateral_custody_oracle_account.to_account_info(),
        now,
    )?;
    let (spot, ema) = read_oracle_price(
        &a.collateral_custody_oracle_account.to_account_info(),
        &a.collateral_custody.oracle,
        now,
    )?;
    let (min_price, max_price) = min_max_price(spot, ema)?;
    let fee_usd = v.health.close_fee_usd;
    Ok(PriceAndFee {
        price: v.exit_price,
        fee_usd,
        fee_amount: a
            .collateral_custody
            .collateral_view(min_price, max_price)
            .owed_tokens(fee_usd)?,
    })
}
