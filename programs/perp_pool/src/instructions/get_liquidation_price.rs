//! `get_liquidation_price` (view, simulate only): the ORACLE price (PRICE_DECIMALS, spot = EMA,
//! spread removed) at the liquidation boundary given the collateral value and interest now: for a
//! long the lowest price at which it is not liquidatable (liquidatable one tick below), for a
//! short the highest (liquidatable one tick above); an asset-backed long's collateral revalued at
//! each price (`math::pnl::liquidation_price_backed`). Sentinels: see `math::pnl::liquidation_price`.

use {super::shared::PositionView, anchor_lang::prelude::*};

pub fn handler(ctx: Context<PositionView>) -> Result<u64> {
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let v = a.position.valuation(
        &a.custody,
        &a.custody_oracle_account.to_account_info(),
        &a.collateral_custody,
        &a.collateral_custody_oracle_account.to_account_info(),
        now,
    )?;
    v.liquidation_price()
}
