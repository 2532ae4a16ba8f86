//! `execute_trigger_order` (permissionless): executes a take-profit or stop-loss whose trigger is
//! reached at the exit price now. It closes `min(order size, position size)` of the position
//! exactly as `decrease_position` / `close_position` would (fees, interest, the remaining
//! position's leverage, the order's price limit; oracle staleness and confidence as for any
//! trade); the owner's payout goes to a token account the owner holds, the position's rent (on a
//! full close) and the order's rent to the owner, the escrowed executor fee to the executor. The
//! order is closed: it executes at most once. Errors: InvalidOrderKind (a limit order),
//! OrderVoid (its position is gone or replaced), OrderNotTriggered, and the trade's own.

use {
    crate::{
        constants::{
            CUSTODY_SEED, ORDER_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED,
            TRANSFER_AUTHORITY_SEED,
        },
        controller::{
            market::MarketSnapshot, order::execute_close_order, position::PositionAccounts,
        },
        errors::PerpPoolError,
        events::OrderExecuted,
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
pub struct ExecuteTriggerOrder<'info> {
    /// Anyone; receives the executor fee in `executor_receiving_account`.
    pub executor: Signer<'info>,

    /// Receives the executor fee, in the collateral custody's token (any holder).
    #[account(
        mut,
        constraint = executor_receiving_account.mint == collateral_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub executor_receiving_account: Box<Account<'info, TokenAccount>>,

    /// CHECK: the order's owner (`has_one` on `order`); receives the rents.
    #[account(mut)]
    pub owner: UncheckedAccount<'info>,

    /// Receives what the position pays its owner: a token account of the collateral mint owned
    /// by the order's owner.
    #[account(
        mut,
        constraint = receiving_account.mint == collateral_custody.mint @ PerpPoolError::InvalidMint,
        constraint = receiving_account.owner == order.owner @ PerpPoolError::Unauthorized
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

    #[account(
        mut,
        constraint = collateral_custody_token_account.key() == collateral_custody.token_account @ PerpPoolError::InvalidVault
    )]
    pub collateral_custody_token_account: Box<Account<'info, TokenAccount>>,

    /// The order's position (closed here, rent to the owner, when the order closes all of it).
    #[account(
        mut,
        seeds = [
            POSITION_SEED,
            order.owner.as_ref(),
            pool.key().as_ref(),
            custody.key().as_ref(),
            collateral_custody.key().as_ref(),
            &[order.side.seed_byte()]
        ],
        bump = position.bump
    )]
    pub position: Box<Account<'info, Position>>,

    /// Closed by this instruction (rent to `owner`).
    #[account(
        mut,
        seeds = [ORDER_SEED, order.owner.as_ref(), custody.key().as_ref(), &[order.index]],
        bump = order.bump,
        has_one = owner @ PerpPoolError::Unauthorized,
        constraint = order.collateral_custody == collateral_custody.key() @ PerpPoolError::InvalidCollateralCustody,
        close = owner
    )]
    pub order: Box<Account<'info, Order>>,

    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<ExecuteTriggerOrder>) -> Result<()> {
    // permissions: a take-profit or stop-loss is a close
    validate!(
        ctx.accounts.perpetuals.permissions.allow_close_position,
        PerpPoolError::InstructionNotAllowed
    )?;

    // oracle checks (the order's own checks are the controller's)
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let snapshot = MarketSnapshot::read(
        &accounts.custody,
        &accounts.custody_oracle_account.to_account_info(),
        &accounts.collateral_custody,
        &accounts.collateral_custody_oracle_account.to_account_info(),
        now,
    )?;
    let vault = VaultBaseline::capture(
        &accounts.collateral_custody,
        &accounts.collateral_custody_token_account,
    )?;

    // math + mutate
    let order: Order = (**accounts.order).clone();
    let filled = execute_close_order(
        PositionAccounts {
            custody: &mut accounts.custody,
            collateral_custody: &mut accounts.collateral_custody,
            position: &mut accounts.position,
            pool_aum_usd: accounts.pool.aum_usd,
        },
        &snapshot,
        &order,
    )?;
    let settled = &filled.settled;

    // CPI
    let amount_out = settled.amounts.amount_out;
    if amount_out > 0 {
        accounts.perpetuals.transfer_from_vault(
            accounts.collateral_custody_token_account.to_account_info(),
            accounts.receiving_account.to_account_info(),
            accounts.transfer_authority.to_account_info(),
            &accounts.token_program,
            amount_out,
        )?;
    }
    if order.executor_fee > 0 {
        accounts.perpetuals.transfer_from_vault(
            accounts.collateral_custody_token_account.to_account_info(),
            accounts.executor_receiving_account.to_account_info(),
            accounts.transfer_authority.to_account_info(),
            &accounts.token_program,
            order.executor_fee,
        )?;
    }
    vault.verify(
        &accounts.collateral_custody,
        &mut accounts.collateral_custody_token_account,
    )?;
    let position_key = accounts.position.key();
    emit!(settled.decreased_event(accounts.pool.key(), position_key, &accounts.position));
    if filled.full {
        accounts.position.close(accounts.owner.to_account_info())?;
    }

    // emit
    emit!(OrderExecuted {
        order: accounts.order.key(),
        owner: order.owner,
        executor: accounts.executor.key(),
        position: position_key,
        kind: order.kind,
        side: order.side,
        trigger_price: order.trigger_price,
        execution_price: settled.exit_price,
        size_usd: settled.size_delta_usd,
        full: filled.full,
        collateral_amount: 0,
        executor_fee_paid: order.executor_fee,
        time: now,
    });
    Ok(())
}
