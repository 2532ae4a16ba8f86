//! `withdraw_insurance_fund` (admin): sends `amount` of a custody's insurance fund to any token
//! account of the custody's mint (the protocol decides how large the backstop is, as it decides
//! the insurance share of fees). Never touches LP liquidity, collateral or protocol fees.

use {
    super::shared::{InsuranceFundParams, WithdrawProtocolFees},
    crate::{
        controller::custody::withdraw_insurance_fund, events::InsuranceFundChanged,
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
};

/// Same accounts as `withdraw_protocol_fees` (admin, vault, receiving account).
pub fn handler(ctx: Context<WithdrawProtocolFees>, params: &InsuranceFundParams) -> Result<()> {
    let accounts = ctx.accounts;
    let vault = VaultBaseline::capture(&accounts.custody, &accounts.custody_token_account)?;

    // mutate
    let insurance_fund = withdraw_insurance_fund(&mut accounts.custody, params.amount)?;

    // CPI
    accounts.perpetuals.transfer_from_vault(
        accounts.custody_token_account.to_account_info(),
        accounts.receiving_account.to_account_info(),
        accounts.transfer_authority.to_account_info(),
        &accounts.token_program,
        params.amount,
    )?;
    vault.verify(&accounts.custody, &mut accounts.custody_token_account)?;

    // emit
    emit!(InsuranceFundChanged {
        signer: accounts.admin.key(),
        pool: accounts.pool.key(),
        custody: accounts.custody.key(),
        token_account: accounts.receiving_account.key(),
        amount_in: 0,
        amount_out: params.amount,
        insurance_fund,
    });
    Ok(())
}
