//! `set_tranche_config` (admin): changes a tranched pool's senior target rate and coverage limit.
//! When the rate changes, the senior index is first rebased to its value now (rounded down), so
//! the senior claim is continuous: the new rate applies from now on and moves no value already
//! accrued. An unchanged rate is not rebased (a rebase compounds: calling this monthly would
//! otherwise raise the senior's effective rate at the junior's cost).

use {
    crate::{
        constants::{PERPETUALS_SEED, POOL_SEED},
        errors::PerpPoolError,
        events::TrancheConfigSet,
        math::{safe_math::Rounding, tranche::senior_index},
        state::{perpetuals::Perpetuals, pool::Pool},
        types::TrancheConfigParams,
        validate,
        validation::config::validate_tranche_config,
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct SetTrancheConfig<'info> {
    pub admin: Signer<'info>,

    #[account(
        seeds = [PERPETUALS_SEED],
        bump = perpetuals.perpetuals_bump,
        has_one = admin @ PerpPoolError::Unauthorized
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(mut, seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,
}

pub fn handler(ctx: Context<SetTrancheConfig>, params: &TrancheConfigParams) -> Result<()> {
    // params
    validate_tranche_config(params)?;
    let pool = ctx.accounts.pool.as_mut();
    validate!(pool.is_tranched(), PerpPoolError::InvalidTrancheConfig)?;

    // mutate: rebase on a rate change, then the new terms.
    let now = Clock::get()?.unix_timestamp;
    let old_rate_bps = pool.senior.rate_bps;
    if params.rate_bps != old_rate_bps {
        pool.senior.index = senior_index(&pool.senior.terms(), now, Rounding::Floor)?;
        pool.senior.index_time = now.max(pool.senior.index_time);
        pool.senior.rate_bps = params.rate_bps;
    }
    let index = pool.senior.index;
    pool.senior.max_senior_junior_ratio_bps = params.max_senior_junior_ratio_bps;
    pool.senior.senior_deposit_ratio_bps = params.senior_deposit_ratio_bps;
    pool.senior.max_senior_usd = params.max_senior_usd;

    // emit
    emit!(TrancheConfigSet {
        pool: pool.key(),
        index,
        index_time: pool.senior.index_time,
        old_rate_bps,
        rate_bps: params.rate_bps,
        max_senior_junior_ratio_bps: params.max_senior_junior_ratio_bps,
        senior_deposit_ratio_bps: params.senior_deposit_ratio_bps,
        max_senior_usd: params.max_senior_usd,
        time: now,
    });
    Ok(())
}
