//! `get_swap_amount_and_fee` (view, simulate only): what `swap` would pay now for `amount_in`
//! (the same valuation, rule and errors, on copies of the custodies: nothing is written).
//!
//! Remaining accounts: as `swap` — for every OTHER custody of the pool, in `pool.custodies`
//! order, the pair (custody, its oracle account).

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED},
        controller::swap::{apply_swap, swap_valuation},
        errors::PerpPoolError,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool},
        validate,
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct GetSwapAmountAndFee<'info> {
    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
        seeds = [CUSTODY_SEED, pool.key().as_ref(), receiving_custody.mint.as_ref()],
        bump = receiving_custody.bump
    )]
    pub receiving_custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `receiving_custody.oracle.oracle_account`.
    #[account(
        constraint = receiving_custody_oracle_account.key() == receiving_custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub receiving_custody_oracle_account: UncheckedAccount<'info>,

    #[account(
        seeds = [CUSTODY_SEED, pool.key().as_ref(), dispensing_custody.mint.as_ref()],
        bump = dispensing_custody.bump,
        constraint = dispensing_custody.key() != receiving_custody.key() @ PerpPoolError::InvalidSwap
    )]
    pub dispensing_custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `dispensing_custody.oracle.oracle_account`.
    #[account(
        constraint = dispensing_custody_oracle_account.key() == dispensing_custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub dispensing_custody_oracle_account: UncheckedAccount<'info>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct GetSwapAmountAndFeeParams {
    pub amount_in: u64,
}

/// A swap quote.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SwapAmountAndFee {
    pub in_usd: u64,
    pub gross_out: u64,
    pub fee_bps: u64,
    pub fee_amount: u64,
    pub amount_out: u64,
    pub receiving_weight_ppb: u64,
    pub dispensing_weight_ppb: u64,
}

pub fn handler<'info>(
    ctx: Context<'_, '_, '_, 'info, GetSwapAmountAndFee<'info>>,
    params: &GetSwapAmountAndFeeParams,
) -> Result<SwapAmountAndFee> {
    // permissions: a quote of a swap that would be refused is refused the same way
    let permissions = &ctx.accounts.perpetuals.permissions;
    validate!(
        permissions.allow_add_liquidity && permissions.allow_remove_liquidity,
        PerpPoolError::InstructionNotAllowed
    )?;

    let now = Clock::get()?.unix_timestamp;
    let accounts = &ctx.accounts;
    let mut receiving: Custody = (**accounts.receiving_custody).clone();
    let mut dispensing: Custody = (**accounts.dispensing_custody).clone();
    let valuation = swap_valuation(
        &accounts.pool,
        &mut receiving,
        accounts.receiving_custody.key(),
        &accounts.receiving_custody_oracle_account.to_account_info(),
        &mut dispensing,
        accounts.dispensing_custody.key(),
        &accounts.dispensing_custody_oracle_account.to_account_info(),
        ctx.remaining_accounts,
        now,
    )?;
    let swapped = apply_swap(
        &mut receiving,
        &mut dispensing,
        &valuation,
        params.amount_in,
        0,
    )?;
    let amounts = swapped.amounts;
    Ok(SwapAmountAndFee {
        in_usd: amounts.in_usd,
        gross_out: amounts.gross_out,
        fee_bps: amounts.fee_bps,
        fee_amount: amounts.fee_amount,
        amount_out: amounts.amount_out,
        receiving_weight_ppb: swapped.receiving_weight_ppb,
        dispensing_weight_ppb: swapped.dispensing_weight_ppb,
    })
}
