//! `get_exit_price_and_fee` (view, simulate only): the exit price (spread included) and the close
//! fee of closing the whole position now.

use crate::state::oracle::read_oracle_price;
use {super::shared::PositionView, crate::math::oracle::min_max_price, anchor_lang::prelude::*};

/// Exit price (PRICE_DECIMALS) and close fee (USD, and collateral tokens at the max price, ceil).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PriceAndFee {
    pub price: u64,
    pub fee_usd: u64,
    pub fee_amount: u64,
}

pub fn handler(ctx: Context<PositionView>) -> Result<PriceAndFee> {
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let v = a.position.valuation(
        &a.custody,
        &a.custody_oracle_account.to_account_info(),
        &a.collateral_custody,
        &a.collateral_custody_oracle_account.to_account_info(),
        now,
    )?;
    let (spot, ema) = read_oracle_price(
        &a.collateral_custody_oracle_account.to_account_info(),
        &a.collateral_custody.oracle,
        now,
    )?;
    let (min_price, max_price) = min_max_price(spot, ema)?;
    let fee_usd = v.health.close_fee_usd;
    Ok(PriceAndFee {
        price: v.exit_price,
        fee_usd,
        fee_amount: a
            .collateral_custody
            .collateral_view(min_price, max_price)
            .owed_tokens(fee_usd)?,
    })
}
