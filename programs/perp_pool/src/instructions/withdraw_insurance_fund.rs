//! `withdraw_insurance_fund` (admin): sends `amount` of a custody's insurance fund to any token
//! account of the custody's mint (the protocol decides how large the backstop is, as it decides
//! the insurance share of fees). Never touches LP liquidity, collateral or protocol fees.

use {
    super::withdraw_protocol_fees::WithdrawProtocolFees,
    crate::{
        events::InsuranceFundChanged, instructions::top_up_insurance_fund::InsuranceFundParams,
    },
    anchor_lang::prelude::*,
};

/// Same accounts as `withdraw_protocol_fees` (admin, vault, receiving account).
pub fn handler(ctx: Context<WithdrawProtocolFees>, params: &InsuranceFundParams) -> Result<()> {
    let insurance_fund = ctx
        .accounts
        .pay_out(|assets| &mut assets.insurance_fund, params.amount)?;
    emit!(InsuranceFundChanged {
        signer: ctx.accounts.admin.key(),
        pool: ctx.accounts.pool.key(),
        custody: ctx.accounts.custody.key(),
        token_account: ctx.accounts.receiving_account.key(),
        amount_in: 0,
        amount_out: params.amount,
        insurance_fund,
    });
    Ok(())
}
