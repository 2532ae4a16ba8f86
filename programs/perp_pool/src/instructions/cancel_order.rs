//! `cancel_order`: the owner closes one of its orders, whatever its state (void or not, paused or
//! not): everything it escrowed (a limit order's collateral and the executor fee) goes back to
//! `receiving_account`, its rent (and a limit order's position rent) to the owner.

use {
    crate::{
        constants::{
            CUSTODY_SEED, ORDER_SEED, PERPETUALS_SEED, POOL_SEED, TRANSFER_AUTHORITY_SEED,
        },
        controller::order::escrow_out,
        errors::PerpPoolError,
        events::OrderCancelled,
        state::{custody::Custody, order::Order, perpetuals::Perpetuals, pool::Pool},
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Token, TokenAccount},
};

#[derive(Accounts)]
pub struct CancelOrder<'info> {
    /// The order's owner; receives its rent.
    #[account(mut)]
    pub owner: Signer<'info>,

    /// Receives the escrow, in the collateral custody's token (any holder).
    #[account(
        mut,
        constraint = receiving_account.mint == collateral_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub receiving_account: Box<Account<'info, TokenAccount>>,

    /// CHECK: data-less PDA; owner of the vault.
    #[account(seeds = [TRANSFER_AUTHORITY_SEED], bump = perpetuals.transfer_authority_bump)]
    pub transfer_authority: UncheckedAccount<'info>,

    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), collateral_custody.mint.as_ref()],
        bump = collateral_custody.bump
    )]
    pub collateral_custody: Box<Account<'info, Custody>>,

    #[account(
        mut,
        constraint = collateral_custody_token_account.key() == collateral_custody.token_account @ PerpPoolError::InvalidVault
    )]
    pub collateral_custody_token_account: Box<Account<'info, TokenAccount>>,

    /// Closed by this instruction (rent to `owner`).
    #[account(
        mut,
        seeds = [ORDER_SEED, order.owner.as_ref(), order.custody.as_ref(), &[order.index]],
        bump = order.bump,
        has_one = owner @ PerpPoolError::Unauthorized,
        constraint = order.collateral_custody == collateral_custody.key() @ PerpPoolError::InvalidCollateralCustody,
        close = owner
    )]
    pub order: Box<Account<'info, Order>>,

    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<CancelOrder>) -> Result<()> {
    // params
    let accounts = ctx.accounts;
    let refunded = accounts.order.escrowed()?;
    let vault = VaultBaseline::capture(
        &accounts.collateral_custody,
        &accounts.collateral_custody_token_account,
    )?;

    // mutate
    escrow_out(&mut accounts.collateral_custody, refunded)?;

    // CPI
    if refunded > 0 {
        accounts.perpetuals.transfer_from_vault(
            accounts.collateral_custody_token_account.to_account_info(),
            accounts.receiving_account.to_account_info(),
            accounts.transfer_authority.to_account_info(),
            &accounts.token_program,
            refunded,
        )?;
    }
    vault.verify(
        &accounts.collateral_custody,
        &mut accounts.collateral_custody_token_account,
    )?;

    // emit
    emit!(OrderCancelled {
        order: accounts.order.key(),
        owner: accounts.order.owner,
        by: accounts.owner.key(),
        kind: accounts.order.kind,
        void: false,
        refunded,
        executor_fee_paid: 0,
        time: Clock::get()?.unix_timestamp,
    });
    Ok(())
}
