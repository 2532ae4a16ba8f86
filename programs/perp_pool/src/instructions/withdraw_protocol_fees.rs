//! `withdraw_protocol_fees` (admin): sends `amount` of a custody's accumulated protocol fees to
//! any token account of the custody's mint.

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, TRANSFER_AUTHORITY_SEED},
        errors::PerpPoolError,
        events::ProtocolFeesWithdrawn,
        math::safe_math::SafeMath,
        state::{
            custody::{Assets, Custody},
            perpetuals::Perpetuals,
            pool::Pool,
        },
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

impl WithdrawProtocolFees<'_> {
    /// Pays `amount` out of one of the custody's vault buckets (`bucket` picks it: protocol fees
    /// or the insurance fund) to `receiving_account`; returns what the bucket holds after.
    /// Errors: ZeroAmount (amount 0), InsufficientLiquidity (more than the bucket holds).
    pub fn pay_out(&mut self, bucket: fn(&mut Assets) -> &mut u64, amount: u64) -> Result<u64> {
        require!(amount > 0, PerpPoolError::ZeroAmount);
        let held = bucket(&mut self.custody.assets);
        require!(amount <= *held, PerpPoolError::InsufficientLiquidity);
        *held = held.safe_sub(amount)?;
        let left = *held;
        self.perpetuals.transfer_from_vault(
            self.custody_token_account.to_account_info(),
            self.receiving_account.to_account_info(),
            self.transfer_authority.to_account_info(),
            &self.token_program,
            amount,
        )?;
        Ok(left)
    }
}

pub fn handler(
    ctx: Context<WithdrawProtocolFees>,
    params: &WithdrawProtocolFeesParams,
) -> Result<()> {
    let protocol_fees = ctx
        .accounts
        .pay_out(|assets| &mut assets.protocol_fees, params.amount)?;
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
