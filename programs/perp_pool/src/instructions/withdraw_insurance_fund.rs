//! `withdraw_insurance_fund` (admin): sends `amount` of a custody's insurance fund to any token
//! account of the custody's mint (the protocol decides how large the backstop is, as it decides
//! the insurance share of fees). Never touches LP liquidity, collateral or protocol fees.

use {
    super::withdraw_protocol_fees::WithdrawProtocolFees,
    crate::{
        errors::PerpPoolError, events::InsuranceFundChanged,
        instructions::top_up_insurance_fund::InsuranceFundParams, math::safe_math::SafeMath,
    },
    anchor_lang::prelude::*,
};

/// Same accounts as `withdraw_protocol_fees` (admin, vault, receiving account).
pub fn handler(ctx: Context<WithdrawProtocolFees>, params: &InsuranceFundParams) -> Result<()> {
    require!(params.amount > 0, PerpPoolError::ZeroAmount);
    require!(
        params.amount <= ctx.accounts.custody.assets.insurance_fund,
        PerpPoolError::InsufficientLiquidity
    );

    let custody = ctx.accounts.custody.as_mut();
    custody.assets.insurance_fund = custody.assets.insurance_fund.safe_sub(params.amount)?;
    let insurance_fund = custody.assets.insurance_fund;

    ctx.accounts.perpetuals.transfer_from_vault(
        ctx.accounts.custody_token_account.to_account_info(),
        ctx.accounts.receiving_account.to_account_info(),
        ctx.accounts.transfer_authority.to_account_info(),
        &ctx.accounts.token_program,
        params.amount,
    )?;

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
