//! `top_up_insurance_fund` (anyone): moves `amount` of a custody's token from the signer's token
//! account into the custody's insurance fund (the first backstop for liquidation shortfalls).
//! A donation: nothing is minted and the tokens can only leave through `withdraw_insurance_fund`
//! (admin) or a shortfall draw.

use {
    super::shared::InsuranceFundParams,
    crate::{
        constants::{CUSTODY_SEED, POOL_SEED},
        controller::custody::top_up_insurance_fund,
        errors::PerpPoolError,
        events::InsuranceFundChanged,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool},
        validation::vault::VaultBaseline,
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

pub fn handler(ctx: Context<TopUpInsuranceFund>, params: &InsuranceFundParams) -> Result<()> {
    let accounts = ctx.accounts;
    let vault = VaultBaseline::capture(&accounts.custody, &accounts.custody_token_account)?;

    // mutate
    let insurance_fund = top_up_insurance_fund(&mut accounts.custody, params.amount)?;

    // CPI
    Perpetuals::transfer_from_user(
        accounts.funding_account.to_account_info(),
        accounts.custody_token_account.to_account_info(),
        accounts.owner.to_account_info(),
        &accounts.token_program,
        params.amount,
    )?;
    vault.verify(&accounts.custody, &mut accounts.custody_token_account)?;

    // emit
    emit!(InsuranceFundChanged {
        signer: accounts.owner.key(),
        pool: accounts.pool.key(),
        custody: accounts.custody.key(),
        token_account: accounts.funding_account.key(),
        amount_in: params.amount,
        amount_out: 0,
        insurance_fund,
    });
    Ok(())
}
