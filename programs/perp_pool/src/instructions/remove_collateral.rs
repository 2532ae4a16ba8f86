//! `remove_collateral`: withdraws `collateral_usd` worth of collateral (tokens at the collateral
//! custody's max price, rounded down) from an open position. The position left must stay within
//! the market's max INITIAL leverage with unrealised profit not counted (loss, close fee and
//! accrued interest are). Interest is not settled.

use {
    super::shared::SettlePosition,
    crate::{
        controller::{
            market::MarketSnapshot,
            position::{apply_remove_collateral, PositionAccounts},
        },
        errors::PerpPoolError,
        events::CollateralRemoved,
        validate,
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct RemoveCollateralParams {
    /// USD to withdraw (converted at the collateral custody's max price, rounded down).
    pub collateral_usd: u64,
}

pub fn handler(ctx: Context<SettlePosition>, params: &RemoveCollateralParams) -> Result<()> {
    // permissions
    validate!(
        ctx.accounts.perpetuals.permissions.allow_close_position,
        PerpPoolError::InstructionNotAllowed
    )?;

    // params
    validate!(params.collateral_usd > 0, PerpPoolError::ZeroAmount)?;
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
    let amounts = apply_remove_collateral(
        PositionAccounts {
            custody: &mut accounts.custody,
            collateral_custody: &mut accounts.collateral_custody,
            position: &mut accounts.position,
            pool_aum_usd: accounts.pool.aum_usd,
        },
        &snapshot,
        params.collateral_usd,
    )?;

    // CPI
    accounts.perpetuals.transfer_from_vault(
        accounts.collateral_custody_token_account.to_account_info(),
        accounts.receiving_account.to_account_info(),
        accounts.transfer_authority.to_account_info(),
        &accounts.token_program,
        amounts.amount_out,
    )?;
    vault.verify(
        &accounts.collateral_custody,
        &mut accounts.collateral_custody_token_account,
    )?;

    // emit
    let position = &accounts.position;
    emit!(CollateralRemoved {
        owner: position.owner,
        pool: accounts.pool.key(),
        position: position.key(),
        custody: position.custody,
        collateral_custody: position.collateral_custody,
        side: position.side,
        collateral_usd_requested: params.collateral_usd,
        amount_out: amounts.amount_out,
        collateral_amount: amounts.collateral_amount,
        collateral_usd: amounts.collateral_usd,
        time: now,
    });
    Ok(())
}
