//! `top_up_insurance_fund` (anyone): moves `amount` of a custody's token from the signer's token
//! account into the custody's insurance fund (the first backstop for liquidation shortfalls).
//! A donation: nothing is minted and the tokens can only leave through `withdraw_insurance_fund`
//! (admin) or a shortfall draw.

use {
    crate::{
        constants::{CUSTODY_SEED, POOL_SEED},
        errors::PerpPoolError,
        events::InsuranceFundChanged,
        math::safe_math::SafeMath,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool},
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Token, TokenAccount},
};

#[derive(Accounts)]
pub struct TopUpInsuranceFund<'info> {
    /// Authority of `funding_account`.
    pub owner: Signer<'info>,

    #[account(
        mut,
        constraint = funding_account.mint == custody.mint @ PerpPoolError::InvalidMint
    )]
    pub funding_account: Box<Account<'info, TokenAccount>>,

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

    pub token_program: Program<'info, Token>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct InsuranceFundParams {
    /// Tokens (> 0).
    pub amount: u64,
}

pub fn handler(ctx: Context<TopUpInsuranceFund>, params: &InsuranceFundParams) -> Result<()> {
    require!(params.amount > 0, PerpPoolError::ZeroAmount);

    let custody = ctx.accounts.custody.as_mut();
    custody.assets.insurance_fund = custody.assets.insurance_fund.safe_add(params.amount)?;
    let insurance_fund = custody.assets.insurance_fund;

    Perpetuals::transfer_from_user(
        ctx.accounts.funding_account.to_account_info(),
        ctx.accounts.custody_token_account.to_account_info(),
        ctx.accounts.owner.to_account_info(),
        &ctx.accounts.token_program,
        params.amount,
    )?;

    emit!(InsuranceFundChanged {
        signer: ctx.accounts.owner.key(),
        pool: ctx.accounts.pool.key(),
        custody: ctx.accounts.custody.key(),
        token_account: ctx.accounts.funding_account.key(),
        amount_in: params.amount,
        amount_out: 0,
        insurance_fund,
    });
    Ok(())
}
