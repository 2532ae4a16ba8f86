//! `execute_limit_order` (permissionless): executes a limit order whose trigger is reached at the
//! entry price now: it opens the owner's position (none yet) or increases it, exactly as
//! `open_position` / `increase_position` would (fees, caps, leverage, the order's price limit;
//! oracle staleness and confidence as for any trade), with the escrowed collateral. The executor
//! pays the rent of a position it opens and gets it back from the rent the order holds; the fee
//! escrowed for it goes to `executor_receiving_account`; the rest of the order's lamports go back
//! to the owner. The order is closed: it executes at most once. A trade rule that refuses (a cap,
//! leverage, the price limit) fails the execution with its own error and the order stays open,
//! to execute when the rule allows it or to be cancelled by its owner.

use {
    crate::{
        constants::{
            CUSTODY_SEED, ORDER_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED,
            TRANSFER_AUTHORITY_SEED,
        },
        controller::{
            market::MarketSnapshot,
            order::{execute_limit_order, LimitFilled},
            position::PositionAccounts,
        },
        errors::PerpPoolError,
        events::OrderExecuted,
        math::safe_math::SafeMath,
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
pub struct ExecuteLimitOrder<'info> {
    /// Anyone; pays (and is refunded) the rent of a position the order opens.
    #[account(mut)]
    pub executor: Signer<'info>,

    /// Receives the executor fee, in the collateral custody's token (any holder).
    #[account(
        mut,
        constraint = executor_receiving_account.mint == collateral_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub executor_receiving_account: Box<Account<'info, TokenAccount>>,

    /// CHECK: the order's owner (`has_one` on `order`); receives the order's remaining lamports.
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
        bump = collateral_custody.bump,
        constraint = crate::math::backing::collateral_custody_allowed(order.side, custody.key() == collateral_custody.key(), collateral_custody.is_stable) @ PerpPoolError::InvalidCollateralCustody
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

    /// Closed by this instruction (remaining lamports to `owner`). Before `position`, whose
    /// creation reads it.
    #[account(
        mut,
        seeds = [ORDER_SEED, order.owner.as_ref(), custody.key().as_ref(), &[order.index]],
        bump = order.bump,
        has_one = owner @ PerpPoolError::Unauthorized,
        constraint = order.collateral_custody == collateral_custody.key() @ PerpPoolError::InvalidCollateralCustody,
        close = owner
    )]
    pub order: Box<Account<'info, Order>>,

    /// The owner's position for the order's side; created here if it does not exist.
    #[account(
        init_if_needed,
        payer = executor,
        space = 8 + Position::INIT_SPACE,
        seeds = [
            POSITION_SEED,
            order.owner.as_ref(),
            pool.key().as_ref(),
            custody.key().as_ref(),
            collateral_custody.key().as_ref(),
            &[order.side.seed_byte()]
        ],
        bump
    )]
    pub position: Box<Account<'info, Position>>,

    pub system_program: Program<'info, System>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<ExecuteLimitOrder>) -> Result<()> {
    // permissions: a limit order is an open or increase
    validate!(
        ctx.accounts.perpetuals.permissions.allow_open_position,
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
    let filled = execute_limit_order(
        PositionAccounts {
            custody: &mut accounts.custody,
            collateral_custody: &mut accounts.collateral_custody,
            position: &mut accounts.position,
            pool_aum_usd: accounts.pool.aum_usd,
        },
        &snapshot,
        &order,
        ctx.bumps.position,
    )?;
    let opened = matches!(filled, LimitFilled::Opened(_));
    if opened {
        // The executor paid the new position's rent: give it back from what the order holds.
        let order_info = accounts.order.to_account_info();
        let executor_info = accounts.executor.to_account_info();
        let refund = order
            .position_rent
            .min(accounts.position.to_account_info().lamports());
        let order_lamports = order_info.lamports().safe_sub(refund)?;
        let executor_lamports = executor_info.lamports().safe_add(refund)?;
        **order_info.try_borrow_mut_lamports()? = order_lamports;
        **executor_info.try_borrow_mut_lamports()? = executor_lamports;
    }

    // CPI
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

    // emit
    let pool = accounts.pool.key();
    let position_key = accounts.position.key();
    let cumulative_interest = snapshot.collateral.cumulative_interest;
    match &filled {
        LimitFilled::Opened(o) => emit!(o.event(
            pool,
            position_key,
            &accounts.position,
            order.collateral_amount,
            cumulative_interest,
        )),
        LimitFilled::Increased(i) => emit!(i.event(
            pool,
            position_key,
            &accounts.position,
            order.size_usd,
            order.collateral_amount,
            cumulative_interest,
            now,
        )),
    }
    emit!(OrderExecuted {
        order: accounts.order.key(),
        owner: order.owner,
        executor: accounts.executor.key(),
        position: position_key,
        kind: order.kind,
        side: order.side,
        trigger_price: order.trigger_price,
        execution_price: filled.entry_price(),
        size_usd: order.size_usd,
        full: opened,
        collateral_amount: order.collateral_amount,
        executor_fee_paid: order.executor_fee,
        time: now,
    });
    Ok(())
}
