//! `set_skew_config` (admin): replaces a market's skew premium and exposure caps
//! (docs/design.md "Skew premium and exposure limits"). The premium indexes are accrued to now
//! under the old rates first, then the rates re-derived under the new parameters (at the pool's
//! cached AUM), so no premium is charged retroactively. A lowered cap never closes anything: it
//! only refuses trades that would increase the imbalance. A custody with a weight rule (an LP
//! asset of a multi-asset pool) takes no skew parameters (InvalidSkewConfig): the imbalance is
//! measured from net 0, not from the pool's own holding of the asset, so there it would charge the
//! side that hedges the LPs (docs/design.md, skew review finding 3).

use {
    crate::{
        errors::PerpPoolError, events::SkewConfigSet, instructions::shared::SetCustodyConfig,
        types::SkewParams, validate, validation::config::validate_skew_config,
    },
    anchor_lang::prelude::*,
};

pub fn handler(ctx: Context<SetCustodyConfig>, params: &SkewParams) -> Result<()> {
    // params
    validate_skew_config(params)?;
    validate!(
        *params == SkewParams::default() || !ctx.accounts.custody.weights.is_set(),
        PerpPoolError::InvalidSkewConfig
    )?;

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
