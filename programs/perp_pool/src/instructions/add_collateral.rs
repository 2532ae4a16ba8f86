//! `add_collateral`: deposits collateral into an open position (lowers its leverage). Interest is
//! not settled (the size does not change). Allowed while opens OR liquidations are allowed: a
//! pause of new positions must not stop traders defending positions that can still be
//! liquidated.

use {
    super::shared::FundPosition,
    crate::{
        controller::{
            market::CollateralSnapshot,
            position::{apply_add_collateral, PositionAccounts},
        },
        errors::PerpPoolError,
        events::CollateralAdded,
        state::perpetuals::Perpetuals,
        validate,
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct AddCollateralParams {
    /// Collateral tokens taken from `funding_account` (> 0).
    pub collateral_amount: u64,
}

pub fn handler(ctx: Context<FundPosition>, params: &AddCollateralParams) -> Result<()> {
    // permissions
    let permissions = &ctx.accounts.perpetuals.permissions;
    validate!(
        permissions.allow_open_position || permissions.allow_liquidation,
        PerpPoolError::InstructionNotAllowed
    )?;

    // params
    validate!(params.collateral_amount > 0, PerpPoolError::ZeroAmount)?;
    validate!(
        ctx.accounts.position.size_usd > 0,
        PerpPoolError::InvalidPositionState
    )?;

    // oracle checks (the traded market's oracle is not needed: nothing is priced in it)
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let snapshot = CollateralSnapshot::read(
        &accounts.collateral_custody,
        &accounts.collateral_custody_oracle_account.to_account_info(),
        now,
    )?;
    let vault = VaultBaseline::capture(
        &accounts.collateral_custody,
        &accounts.collateral_custody_token_account,
    )?;

    // math + mutate
    let changed = apply_add_collateral(
        PositionAccounts {
            custody: &mut accounts.custody,
            collateral_custody: &mut accounts.collateral_custody,
            position: &mut accounts.position,
            pool_aum_usd: accounts.pool.aum_usd,
        },
        &snapshot,
        params.collateral_amount,
    )?;

    // CPI
    Perpetuals::transfer_from_user(
        accounts.funding_account.to_account_info(),
        accounts.collateral_custody_token_account.to_account_info(),
        accounts.owner.to_account_info(),
        &accounts.token_program,
        params.collateral_amount,
    )?;
    vault.verify(
        &accounts.collateral_custody,
        &mut accounts.collateral_custody_token_account,
    )?;

    // emit
    let position = &accounts.position;
    emit!(CollateralAdded {
        owner: position.owner,
        pool: accounts.pool.key(),
        position: position.key(),
        custody: position.custody,
        collateral_custody: position.collateral_custody,
        side: position.side,
        amount: params.collateral_amount,
        collateral_amount: changed.collateral_amount,
        collateral_usd: changed.collateral_usd,
        time: now,
    });
    Ok(())
}
