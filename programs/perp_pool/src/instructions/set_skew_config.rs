//! `set_skew_config` (admin): replaces a market's skew premium and exposure caps
//! (docs/design.md "Skew premium and exposure limits"). The premium indexes are accrued to now
//! under the old rates first, then the rates re-derived under the new parameters (at the pool's
//! cached AUM), so no premium is charged retroactively. A lowered cap never closes anything: it
//! only refuses trades that would increase the imbalance.

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED},
        errors::PerpPoolError,
        events::SkewConfigSet,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool},
        types::SkewParams,
        validation::config::validate_skew_config,
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct SetSkewConfig<'info> {
    pub admin: Signer<'info>,

    #[account(
        seeds = [PERPETUALS_SEED],
        bump = perpetuals.perpetuals_bump,
        has_one = admin @ PerpPoolError::Unauthorized
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    /// The traded custody (the market) whose skew parameters these are.
    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody.mint.as_ref()],
        bump = custody.bump
    )]
    pub custody: Box<Account<'info, Custody>>,
}

pub fn handler(ctx: Context<SetSkewConfig>, params: &SkewParams) -> Result<()> {
    // params
    validate_skew_config(params)?;

    // mutate
    let now = Clock::get()?.unix_timestamp;
    let aum_usd = ctx.accounts.pool.aum_usd;
    let custody = &mut ctx.accounts.custody;
    custody.accrue_skew_premium(now)?;
    custody.skew = *params;
    custody.update_skew_rates(aum_usd)?;

    // emit
    emit!(SkewConfigSet {
        admin: ctx.accounts.admin.key(),
        pool: ctx.accounts.pool.key(),
        custody: custody.key(),
        skew: *params,
        long_premium_rate: custody.skew_state.long_rate,
        short_premium_rate: custody.skew_state.short_rate,
        time: now,
    });
    Ok(())
}
