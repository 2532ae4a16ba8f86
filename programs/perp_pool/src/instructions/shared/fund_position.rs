//! `FundPosition`: the accounts of the instructions that move tokens from the owner into an open
//! position (increase_position, add_collateral): one struct, so both validate the same way.

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED},
        errors::PerpPoolError,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool, position::Position},
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Token, TokenAccount},
};

#[derive(Accounts)]
pub struct FundPosition<'info> {
    /// Position owner; authority of `funding_account`.
    #[account(mut)]
    pub owner: Signer<'info>,

    /// Source of the collateral, in the collateral custody's token.
    #[account(
        mut,
        constraint = funding_account.mint == collateral_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub funding_account: Box<Account<'info, TokenAccount>>,

    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    /// The traded custody (its stats change).
    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody.mint.as_ref()],
        bump = custody.bump
    )]
    pub custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `custody.oracle.oracle_account`; checked by `read_oracle_price`.
    #[account(
        constraint = custody_oracle_account.key() == custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub custody_oracle_account: UncheckedAccount<'info>,

    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), collateral_custody.mint.as_ref()],
        bump = collateral_custody.bump
    )]
    pub collateral_custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `collateral_custody.oracle.oracle_account`.
    #[account(
        constraint = collateral_custody_oracle_account.key() == collateral_custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub collateral_custody_oracle_account: UncheckedAccount<'info>,

    /// The collateral custody's vault.
    #[account(
        mut,
        constraint = collateral_custody_token_account.key() == collateral_custody.token_account @ PerpPoolError::InvalidVault
    )]
    pub collateral_custody_token_account: Box<Account<'info, TokenAccount>>,

    #[account(
        mut,
        seeds = [
            POSITION_SEED,
            position.owner.as_ref(),
            pool.key().as_ref(),
            custody.key().as_ref(),
            collateral_custody.key().as_ref(),
            &[position.side.seed_byte()]
        ],
        bump = position.bump,
        has_one = owner @ PerpPoolError::Unauthorized
    )]
    pub position: Box<Account<'info, Position>>,

    pub token_program: Program<'info, Token>,
}
