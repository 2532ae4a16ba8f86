//! `set_order_config` (admin): replaces a market's trigger-order parameters (most orders per
//! owner, executor fee). Orders already placed keep their escrowed fee; a lower maximum refuses
//! new placements at the indexes above it, never the orders already there.

use {
    crate::{
        constants::{CUSTODY_SEED, MAX_EXECUTOR_FEE_USD, PERPETUALS_SEED, POOL_SEED},
        errors::PerpPoolError,
        events::OrderConfigSet,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool},
        types::OrderParams,
        validate,
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct SetOrderConfig<'info> {
    pub admin: Signer<'info>,

    #[account(
        seeds = [PERPETUALS_SEED],
        bump = perpetuals.perpetuals_bump,
        has_one = admin @ PerpPoolError::Unauthorized
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    /// The traded custody whose orders these are.
    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody.mint.as_ref()],
        bump = custody.bump
    )]
    pub custody: Box<Account<'info, Custody>>,
}

pub fn handler(ctx: Context<SetOrderConfig>, params: &OrderParams) -> Result<()> {
    // params
    validate!(
        params.executor_fee_usd <= MAX_EXECUTOR_FEE_USD,
        PerpPoolError::InvalidCustodyConfig
    )?;

    // mutate
    ctx.accounts.custody.orders = *params;

    // emit
    emit!(OrderConfigSet {
        admin: ctx.accounts.admin.key(),
        pool: ctx.accounts.pool.key(),
        custody: ctx.accounts.custody.key(),
        orders: *params,
    });
    Ok(())
}
