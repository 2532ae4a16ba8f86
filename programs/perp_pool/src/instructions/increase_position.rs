//! `increase_position`: adds size (and optionally collateral) to an open position at the current
//! entry price. Interest accrued so far is settled from the collateral; the open fee on the added
//! size is taken from the collateral; the entry price becomes the size-weighted average
//! (new size / (old quantity + added quantity)). The whole position must stay within the market's
//! max initial leverage and position size, and the collateral custody within its lending caps.

use {
    super::shared::FundPosition,
    crate::{
        controller::{
            market::MarketSnapshot,
            position::{apply_increase, PositionAccounts},
        },
        errors::PerpPoolError,
        state::perpetuals::Perpetuals,
        validate,
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct IncreasePositionParams {
    /// Worst acceptable entry price for the added size, PRICE_DECIMALS (long: max, short: min).
    pub price_limit: u64,
    /// Collateral tokens added from `funding_account` (may be 0).
    pub collateral_amount: u64,
    /// USD added to the size (> 0).
    pub size_usd: u64,
}

pub fn handler(ctx: Context<FundPosition>, params: &IncreasePositionParams) -> Result<()> {
    // permissions
    validate!(
        ctx.accounts.perpetuals.permissions.allow_open_position,
        PerpPoolError::InstructionNotAllowed
    )?;

    // params
    validate!(params.size_usd > 0, PerpPoolError::ZeroAmount)?;
    validate!(
        ctx.accounts.position.size_usd > 0,
        PerpPoolError::InvalidPositionState
    )?;

    // oracle checks
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let snapshot = MarketSnapshot::read(
        &accounts.custody,
        &accounts.custody_oracle_account.to_account_info(),
        &accounts.collateral_custody,
        &accounts.collateral_custody_oracle_account.to_account_info(),
        now,
    )?;
    let vault = VaultBaseline::capture(
        &accounts.collateral_custody,
        &accounts.collateral_custody_token_account,
    )?;

    // math + mutate
    let increased = apply_increase(
        PositionAccounts {
            custody: &mut accounts.custody,
            collateral_custody: &mut accounts.collateral_custody,
            position: &mut accounts.position,
            pool_aum_usd: accounts.pool.aum_usd,
        },
        &snapshot,
        params.size_usd,
        params.collateral_amount,
        params.price_limit,
    )?;

    // CPI
    if params.collateral_amount > 0 {
        Perpetuals::transfer_from_user(
            accounts.funding_account.to_account_info(),
            accounts.collateral_custody_token_account.to_account_info(),
            accounts.owner.to_account_info(),
            &accounts.token_program,
            params.collateral_amount,
        )?;
    }
    vault.verify(
        &accounts.collateral_custody,
        &mut accounts.collateral_custody_token_account,
    )?;

    // emit
    emit!(increased.event(
        accounts.pool.key(),
        accounts.position.key(),
        &accounts.position,
        params.size_usd,
        params.collateral_amount,
        snapshot.collateral.cumulative_interest,
        now,
    ));
    Ok(())
}
