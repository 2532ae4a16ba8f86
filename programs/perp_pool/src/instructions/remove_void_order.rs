//! `remove_void_order` (permissionless): closes a take-profit or stop-loss whose position is gone
//! (closed, liquidated, or closed and opened again: another open time). The executor fee goes to
//! the remover, as for an execution (keepers are paid for keeping the book clean, as GMX pays a
//! keeper for a cancellation); the order's rent goes to its owner. An owner who closes a position
//! by hand keeps the fee by cancelling its orders first. Limit orders and orders whose position
//! is open are refused (OrderNotVoid).

use {
    crate::{
        constants::{
            CUSTODY_SEED, ORDER_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED,
            TRANSFER_AUTHORITY_SEED,
        },
        controller::order::{escrow_out, is_void},
        errors::PerpPoolError,
        events::OrderCancelled,
        state::{
            custody::Custody, order::Order, perpetuals::Perpetuals, pool::Pool, position::Position,
        },
        validate,
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Token, TokenAccount},
};

#[derive(Accounts)]
pub struct RemoveVoidOrder<'info> {
    /// Anyone; receives the executor fee in `keeper_receiving_account`.
    pub keeper: Signer<'info>,

    /// Receives the executor fee, in the collateral custody's token (any holder).
    #[account(
        mut,
        constraint = keeper_receiving_account.mint == collateral_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub keeper_receiving_account: Box<Account<'info, TokenAccount>>,

    /// CHECK: the order's owner (`has_one` on `order`); receives the order's rent.
    #[account(mut)]
    pub owner: UncheckedAccount<'info>,

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

    /// CHECK: the order's position PDA; void if it holds no position or another one.
    #[account(
        seeds = [
            POSITION_SEED,
            order.owner.as_ref(),
            pool.key().as_ref(),
            order.custody.as_ref(),
            collateral_custody.key().as_ref(),
            &[order.side.seed_byte()]
        ],
        bump
    )]
    pub position: UncheckedAccount<'info>,

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

pub fn handler(ctx: Context<RemoveVoidOrder>) -> Result<()> {
    // params
    let position = Position::load_optional(&ctx.accounts.position.to_account_info())?;
    validate!(
        is_void(&ctx.accounts.order, position.as_ref()),
        PerpPoolError::OrderNotVoid
    )?;
    let accounts = ctx.accounts;
    let fee = accounts.order.executor_fee;
    let vault = VaultBaseline::capture(
        &accounts.collateral_custody,
        &accounts.collateral_custody_token_account,
    )?;

    // mutate (a void order is a take-profit or stop-loss: it escrows only the fee)
    escrow_out(&mut accounts.collateral_custody, accounts.order.escrowed()?)?;

    // CPI
    if fee > 0 {
        accounts.perpetuals.transfer_from_vault(
            accounts.collateral_custody_token_account.to_account_info(),
            accounts.keeper_receiving_account.to_account_info(),
            accounts.transfer_authority.to_account_info(),
            &accounts.token_program,
            fee,
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
        by: accounts.keeper.key(),
        kind: accounts.order.kind,
        void: true,
        refunded: 0,
        executor_fee_paid: fee,
        time: Clock::get()?.unix_timestamp,
    });
    Ok(())
}
