//! `set_order_config` (admin): replaces a market's trigger-order parameters (most orders per
//! owner, executor fee). Orders already placed keep their escrowed fee; a lower maximum refuses
//! new placements at the indexes above it, never the orders already there.

use {
    crate::{
        constants::MAX_EXECUTOR_FEE_USD, errors::PerpPoolError, events::OrderConfigSet,
        instructions::shared::SetCustodyConfig, types::OrderParams, validate,
    },
    anchor_lang::prelude::*,
};

pub fn handler(ctx: Context<SetCustodyConfig>, params: &OrderParams) -> Result<()> {
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
