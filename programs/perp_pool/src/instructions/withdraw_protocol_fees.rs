//! `withdraw_protocol_fees` (admin): sends `amount` of a custody's accumulated protocol fees to
//! any token account of the custody's mint.

use {
    super::shared::WithdrawProtocolFees,
    crate::{
        controller::custody::withdraw_protocol_fees, events::ProtocolFeesWithdrawn,
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct WithdrawProtocolFeesParams {
    /// Tokens, 0 < amount <= custody.assets.protocol_fees (else ZeroAmount / InsufficientLiquidity).
    pub amount: u64,
}

pub fn handler(
    ctx: Context<WithdrawProtocolFees>,
    params: &WithdrawProtocolFeesParams,
) -> Result<()> {
    let accounts = ctx.accounts;
    let vault = VaultBaseline::capture(&accounts.custody, &accounts.custody_token_account)?;

    // mutate
    let protocol_fees = withdraw_protocol_fees(&mut accounts.custody, params.amount)?;

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
    emit!(ProtocolFeesWithdrawn {
        admin: accounts.admin.key(),
        pool: accounts.pool.key(),
        custody: accounts.custody.key(),
        receiving_account: accounts.receiving_account.key(),
        amount: params.amount,
        protocol_fees,
    });
    Ok(())
}
