//! `edit_order`: the owner changes an order's trigger, price limit and size, checked as at
//! placement against the market now (trigger not reached, a stop-loss on the safe side of the
//! liquidation boundary). The escrow does not change (to change a limit order's collateral,
//! cancel it and place another). A take-profit or stop-loss whose position is gone is void
//! (OrderVoid): cancel it.

use {
    crate::{
        constants::{CUSTODY_SEED, ORDER_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED},
        controller::{
            market::MarketSnapshot,
            order::{check_order, check_order_position},
        },
        errors::PerpPoolError,
        events::OrderEdited,
        state::{
            custody::Custody, order::Order, perpetuals::Perpetuals, pool::Pool, position::Position,
        },
        types::OrderKind,
        validate,
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct EditOrder<'info> {
    pub owner: Signer<'info>,

    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
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
        seeds = [CUSTODY_SEED, pool.key().as_ref(), collateral_custody.mint.as_ref()],
        bump = collateral_custody.bump
    )]
    pub collateral_custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `collateral_custody.oracle.oracle_account`.
    #[account(
        constraint = collateral_custody_oracle_account.key() == collateral_custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub collateral_custody_oracle_account: UncheckedAccount<'info>,

    /// CHECK: the order's position PDA (it may hold no position).
    #[account(
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
    pub position: UncheckedAccount<'info>,

    #[account(
        mut,
        seeds = [ORDER_SEED, order.owner.as_ref(), custody.key().as_ref(), &[order.index]],
        bump = order.bump,
        has_one = owner @ PerpPoolError::Unauthorized,
        constraint = order.collateral_custody == collateral_custody.key() @ PerpPoolError::InvalidCollateralCustody
    )]
    pub order: Box<Account<'info, Order>>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct EditOrderParams {
    /// PRICE_DECIMALS, as at placement.
    pub trigger_price: u64,
    pub price_limit: u64,
    /// USD (> 0).
    pub size_usd: u64,
}

pub fn handler(ctx: Context<EditOrder>, params: &EditOrderParams) -> Result<()> {
    // permissions: as placement
    let permissions = &ctx.accounts.perpetuals.permissions;
    let kind = ctx.accounts.order.kind;
    let allowed = match kind {
        OrderKind::Limit => permissions.allow_open_position,
        OrderKind::TakeProfit | OrderKind::StopLoss => permissions.allow_close_position,
    };
    validate!(allowed, PerpPoolError::InstructionNotAllowed)?;

    // params
    validate!(params.size_usd > 0, PerpPoolError::ZeroAmount)?;
    let position = Position::load_optional(&ctx.accounts.position.to_account_info())?;
    if kind != OrderKind::Limit {
        let p = position
            .as_ref()
            .ok_or_else(|| error!(PerpPoolError::OrderVoid))?;
        check_order_position(&ctx.accounts.order, p)?;
    }

    // oracle checks
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let snapshot = MarketSnapshot::read(
        &accounts.custody,
        &accounts.custody_oracle_account.to_account_info(),
        &accounts.collateral_custody,
        &accounts.collateral_custody_oracle_account.to_account_info(),
        now,
    )?;
    let watched_price = check_order(
        &snapshot,
        kind,
        accounts.order.side,
        params.trigger_price,
        position.as_ref(),
    )?;

    // mutate
    let order = accounts.order.as_mut();
    order.trigger_price = params.trigger_price;
    order.price_limit = params.price_limit;
    order.size_usd = params.size_usd;
    order.update_time = now;

    // emit
    emit!(OrderEdited {
        order: accounts.order.key(),
        owner: accounts.order.owner,
        trigger_price: params.trigger_price,
        price_limit: params.price_limit,
        size_usd: params.size_usd,
        watched_price,
        time: now,
    });
    Ok(())
}
