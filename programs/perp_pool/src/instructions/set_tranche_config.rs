//! `set_tranche_config` (admin): changes a tranched pool's senior target rate and coverage limit.
//! The senior index is first rebased to its value now (rounded down), so the senior claim is
//! continuous: a rate change applies from now on and moves no value already accrued.

use {
    crate::{
        constants::{PERPETUALS_SEED, POOL_SEED},
        errors::PerpPoolError,
        events::TrancheConfigSet,
        instructions::add_senior_tranche::TrancheConfigParams,
        math::{safe_math::Rounding, tranche::senior_index},
        state::{perpetuals::Perpetuals, pool::Pool},
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
    validate_tranche_config(params.rate_bps, params.max_senior_junior_ratio_bps)?;
    let pool = ctx.accounts.pool.as_mut();
    validate!(pool.is_tranched(), PerpPoolError::InvalidTrancheConfig)?;

    // mutate: rebase, then the new terms.
    let now = Clock::get()?.unix_timestamp;
    let index = senior_index(&pool.senior.terms(), now, Rounding::Floor)?;
    let old_rate_bps = pool.senior.rate_bps;
    pool.senior.index = index;
    pool.senior.index_time = now.max(pool.senior.index_time);
    pool.senior.rate_bps = params.rate_bps;
    pool.senior.max_senior_junior_ratio_bps = params.max_senior_junior_ratio_bps;

    // emit
    emit!(TrancheConfigSet {
        pool: pool.key(),
        index,
        old_rate_bps,
        rate_bps: params.rate_bps,
        max_senior_junior_ratio_bps: params.max_senior_junior_ratio_bps,
        time: now,
    });
    Ok(())
}
