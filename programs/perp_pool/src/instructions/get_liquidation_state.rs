//! `get_liquidation_state` (view, simulate only): whether `liquidate` would accept the position
//! now (same oracles, same predicate: equity <= 0 or size / equity > max_leverage).

use {super::shared::PositionView, crate::math::pnl::is_liquidatable, anchor_lang::prelude::*};

pub fn handler(ctx: Context<PositionView>) -> Result<bool> {
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let v = a.position.valuation(
        &a.custody,
        &a.custody_oracle_account.to_account_info(),
        &a.collateral_custody,
        &a.collateral_custody_oracle_account.to_account_info(),
        now,
    )?;
    is_liquidatable(&v.health, v.exit_price)
}
