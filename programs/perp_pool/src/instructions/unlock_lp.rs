//! `unlock_lp` (permissionless): thaws an LP token account whose deposit cooldown is over, so its
//! owner can transfer the LP (a redemption thaws by itself). Fails with LiquidityCooldownActive
//! while the cooldown runs, and on an account that is not frozen.

use {
    crate::{
        constants::{LP_COOLDOWN_SEED, PERPETUALS_SEED, POOL_SEED, TRANSFER_AUTHORITY_SEED},
        errors::PerpPoolError,
        events::LpUnlocked,
        state::{lp_cooldown::LpCooldown, perpetuals::Perpetuals, pool::Pool},
        validate,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Mint, Token, TokenAccount},
};

#[derive(Accounts)]
pub struct UnlockLp<'info> {
    #[account(
        mut,
        constraint = lp_token_account.mint == lp_token_mint.key() @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_account: Box<Account<'info, TokenAccount>>,

    #[account(
        seeds = [LP_COOLDOWN_SEED, lp_token_account.key().as_ref()],
        bump = lp_cooldown.bump,
        has_one = pool @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_cooldown: Box<Account<'info, LpCooldown>>,

    /// CHECK: data-less PDA; the LP mint's freeze authority.
    #[account(seeds = [TRANSFER_AUTHORITY_SEED], bump = perpetuals.transfer_authority_bump)]
    pub transfer_authority: UncheckedAccount<'info>,

    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    /// Either tranche's LP mint.
    #[account(
        constraint = pool.lp_mint_tranche(&lp_token_mint.key()).is_some() @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_mint: Box<Account<'info, Mint>>,

    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<UnlockLp>) -> Result<()> {
    let clock = Clock::get()?;
    validate!(
        ctx.accounts.lp_token_account.is_frozen(),
        PerpPoolError::LiquidityCooldownActive
    )?;
    validate!(
        ctx.accounts
            .lp_cooldown
            .is_over(clock.slot, clock.unix_timestamp),
        PerpPoolError::LiquidityCooldownActive
    )?;
    ctx.accounts.perpetuals.set_lp_account_frozen(
        false,
        ctx.accounts.lp_token_account.to_account_info(),
        ctx.accounts.lp_token_mint.to_account_info(),
        ctx.accounts.transfer_authority.to_account_info(),
        &ctx.accounts.token_program,
    )?;
    emit!(LpUnlocked {
        pool: ctx.accounts.pool.key(),
        lp_token_account: ctx.accounts.lp_token_account.key(),
        owner: ctx.accounts.lp_token_account.owner,
        time: clock.unix_timestamp,
    });
    Ok(())
}
