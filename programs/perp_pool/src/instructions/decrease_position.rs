//! `decrease_position`: closes `size_usd` of a position (strictly less than its size; use
//! `close_position` for all of it). The proportional share of collateral plus the capped profit
//! pays the loss, all accrued interest and the close fee; the owner receives the rest. The
//! position left must not be liquidatable (`controller::position::apply_decrease`).

use {
    super::shared::SettlePosition,
    crate::{
        controller::{
            market::MarketSnapshot,
            position::{apply_decrease, PositionAccounts},
        },
        errors::PerpPoolError,
        validate,
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct DecreasePositionParams {
    /// Worst acceptable exit price, PRICE_DECIMALS: a long fails (PriceSlippage) below it, a
    /// short above it.
    pub price_limit: u64,
    /// USD to close, 0 < size_usd < position.size_usd.
    pub size_usd: u64,
}

pub fn handler(ctx: Context<SettlePosition>, params: &DecreasePositionParams) -> Result<()> {
    // permissions
    validate!(
        ctx.accounts.perpetuals.permissions.allow_close_position,
        PerpPoolError::InstructionNotAllowed
    )?;

    // params
    validate!(params.size_usd > 0, PerpPoolError::ZeroAmount)?;
    validate!(
        params.size_usd < ctx.accounts.position.size_usd,
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
    let settled = apply_decrease(
        PositionAccounts {
            custody: &mut accounts.custody,
            collateral_custody: &mut accounts.collateral_custody,
            position: &mut accounts.position,
            pool_aum_usd: accounts.pool.aum_usd,
        },
        &snapshot,
        params.size_usd,
        params.price_limit,
    )?;

    // CPI
    if settled.amounts.amount_out > 0 {
        accounts.perpetuals.transfer_from_vault(
            accounts.collateral_custody_token_account.to_account_info(),
            accounts.receiving_account.to_account_info(),
            accounts.transfer_authority.to_account_info(),
            &accounts.token_program,
            settled.amounts.amount_out,
        )?;
    }
    vault.verify(
        &accounts.collateral_custody,
        &mut accounts.collateral_custody_token_account,
    )?;

    // emit
    emit!(settled.decreased_event(
        accounts.pool.key(),
        accounts.position.key(),
        &accounts.position
    ));
    Ok(())
}
