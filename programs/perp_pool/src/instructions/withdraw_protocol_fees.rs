//! `withdraw_protocol_fees` (admin): sends `amount` of a custody's accumulated protocol fees to
//! any token account of the custody's mint.

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, TRANSFER_AUTHORITY_SEED},
        errors::PerpPoolError,
        events::ProtocolFeesWithdrawn,
        math::safe_math::SafeMath,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool},
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Token, TokenAccount},
};

#[derive(Accounts)]
pub struct WithdrawProtocolFees<'info> {
    pub admin: Signer<'info>,

    #[account(
        seeds = [PERPETUALS_SEED],
        bump = perpetuals.perpetuals_bump,
        has_one = admin @ PerpPoolError::Unauthorized
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    /// CHECK: data-less PDA; owner of the vault.
    #[account(seeds = [TRANSFER_AUTHORITY_SEED], bump = perpetuals.transfer_authority_bump)]
    pub transfer_authority: UncheckedAccount<'info>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody.mint.as_ref()],
        bump = custody.bump
    )]
    pub custody: Box<Account<'info, Custody>>,

    /// The custody's vault.
    #[account(
        mut,
        constraint = custody_token_account.key() == custody.token_account @ PerpPoolError::InvalidVault
    )]
    pub custody_token_account: Box<Account<'info, TokenAccount>>,

    /// Any token account of the custody's mint.
    #[account(
        mut,
        constraint = receiving_account.mint == custody.mint @ PerpPoolError::InvalidMint
    )]
    pub receiving_account: Box<Account<'info, TokenAccount>>,

    pub token_program: Program<'info, Token>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct WithdrawProtocolFeesParams {
    /// Tokens, 0 < amount <= custody.assets.protocol_fees (else ZeroAmount / InsufficientLiquidity).
    pub amount: u64,
}

pub fn handler(
    ctx: Context<WithdrawProtocolFees>,
    params: &WithdrawProtocolFeesParams,
) -> Result<()> {
    // params
    require!(params.amount > 0, PerpPoolError::ZeroAmount);
    require!(
        params.amount <= ctx.accounts.custody.assets.protocol_fees,
        PerpPoolError::InsufficientLiquidity
    );

    // mutate
    let custody = ctx.accounts.custody.as_mut();
    custody.assets.protocol_fees = custody.assets.protocol_fees.safe_sub(params.amount)?;
    let protocol_fees = custody.assets.protocol_fees;

    // CPI
    ctx.accounts.perpetuals.transfer_from_vault(
        ctx.accounts.custody_token_account.to_account_info(),
        ctx.accounts.receiving_account.to_account_info(),
        ctx.accounts.transfer_authority.to_account_info(),
        &ctx.accounts.token_program,
        params.amount,
    )?;

    // emit
    emit!(ProtocolFeesWithdrawn {
        admin: ctx.accounts.admin.key(),
        pool: ctx.accounts.pool.key(),
        custody: ctx.accounts.custody.key(),
        receiving_account: ctx.accounts.receiving_account.key(),
        amount: params.amount,
        protocol_fees,
    });
    Ok(())
}
