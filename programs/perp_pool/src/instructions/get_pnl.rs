//! `get_pnl` (view, simulate only): the position's PnL if it were closed now at the exit price
//! (spread included), profit capped at its locked value. Fees and interest are not included.

use {
    super::shared::PositionView,
    crate::math::pnl::{capped_pnl, ProfitAndLoss},
    anchor_lang::prelude::*,
};

pub fn handler(ctx: Context<PositionView>) -> Result<ProfitAndLoss> {
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let v = a.position.valuation(
        &a.custody,
        &a.custody_oracle_account.to_account_info(),
        &a.collateral_custody,
        &a.collateral_custody_oracle_account.to_account_info(),
        now,
    )?;
    capped_pnl(
        v.health.side,
        v.health.quantity,
        v.exit_price,
        v.health.size_usd,
        v.health.max_profit_usd,
    )
}
