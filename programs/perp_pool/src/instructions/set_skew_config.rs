//! `set_skew_config` (admin): replaces a market's skew premium and exposure caps
//! (docs/design.md "Skew premium and exposure limits"). The premium indexes are accrued to now
//! under the old rates first, then the rates re-derived under the new parameters (at the pool's
//! cached AUM), so no premium is charged retroactively. A lowered cap never closes anything: it
//! only refuses trades that would increase the imbalance.

use {
    crate::{
        events::SkewConfigSet, instructions::shared::SetCustodyConfig, types::SkewParams,
        validation::config::validate_skew_config,
    },
    anchor_lang::prelude::*,
};

pub fn handler(ctx: Context<SetCustodyConfig>, params: &SkewParams) -> Result<()> {
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
