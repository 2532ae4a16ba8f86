//! `get_order_state` (view, simulate only): whether an order is executable now, as far as the
//! order's own rules go: not void, trigger reached at the watched price (exit for TP/SL, entry
//! for limit), that price within the order's limit. The trade's rules (caps, leverage, the
//! remaining position's health) are checked only by the execution itself. Fails as a trade
//! does on a stale or unconfident oracle.

use {
    crate::{
        constants::{CUSTODY_SEED, ORDER_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED},
        controller::{
            market::MarketSnapshot,
            order::{is_void, order_price},
        },
        errors::PerpPoolError,
        math::{
            orders::trigger_reached,
            pricing::{check_entry_slippage, check_exit_slippage},
        },
        state::{
            custody::Custody, order::Order, perpetuals::Perpetuals, pool::Pool, position::Position,
        },
    },
    anchor_lang::prelude::*,
};

/// An order now.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderState {
    /// A take-profit or stop-loss whose position is gone or replaced (`remove_void_order`).
    pub void: bool,
    /// The price the order watches now, PRICE_DECIMALS.
    pub price: u64,
    /// The trigger is reached at `price`.
    pub triggered: bool,
    /// `price` is within the order's price limit.
    pub within_price_limit: bool,
    /// `!void && triggered && within_price_limit`: the order's execute instruction would pass
    /// the order's own checks.
    pub executable: bool,
}

#[derive(Accounts)]
pub struct GetOrderState<'info> {
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
        seeds = [ORDER_SEED, order.owner.as_ref(), custody.key().as_ref(), &[order.index]],
        bump = order.bump,
        constraint = order.collateral_custody == collateral_custody.key() @ PerpPoolError::InvalidCollateralCustody
    )]
    pub order: Box<Account<'info, Order>>,
}

pub fn handler(ctx: Context<GetOrderState>) -> Result<OrderState> {
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let snapshot = MarketSnapshot::read(
        &a.custody,
        &a.custody_oracle_account.to_account_info(),
        &a.collateral_custody,
        &a.collateral_custody_oracle_account.to_account_info(),
        now,
    )?;
    let order = &a.order;
    let position = Position::load_optional(&a.position.to_account_info())?;
    let void = is_void(order, position.as_ref());
    let price = order_price(&snapshot, order.kind, order.side)?;
    let triggered = trigger_reached(order.kind, order.side, price, order.trigger_price);
    let within_price_limit = if order.is_limit() {
        check_entry_slippage(order.side, price, order.price_limit).is_ok()
    } else {
        check_exit_slippage(order.side, price, order.price_limit).is_ok()
    };
    Ok(OrderState {
        void,
        price,
        triggered,
        within_price_limit,
        executable: !void && triggered && within_price_limit,
    })
}
