//! Trigger orders (docs/design.md "Trigger orders"): the checks of placement and edit, the
//! escrow bucket of the collateral custody, and execution, which is the hand-made trade the order
//! stands for (`controller::position`: the same fees, caps, leverage and slippage rules) after
//! the order's trigger check.

use {
    super::{
        market::MarketSnapshot,
        position::{
            apply_decrease, apply_increase, apply_open, Increased, OpenRequest, Opened,
            PositionAccounts, Settled,
        },
    },
    crate::{
        errors::PerpPoolError,
        math::{
            backing::TokenBacking,
            orders::{
                check_stop_loss_safe, check_trigger_placement, trigger_close_size, trigger_reached,
                watched_price,
            },
            pnl::is_liquidatable,
            safe_math::SafeMath,
            trade::health_inputs,
        },
        state::{custody::Custody, order::Order, position::Position},
        types::{OrderKind, Side},
        validate,
    },
    anchor_lang::prelude::*,
};

/// The price `kind` watches for `side` in `snapshot` (exit for TP/SL, entry for limit).
pub fn order_price(snapshot: &MarketSnapshot, kind: OrderKind, side: Side) -> Result<u64> {
    watched_price(kind, side, snapshot.prices, snapshot.spread_bps(side))
}

/// Placement and edit: `trigger` is not reached now (InvalidTriggerPrice), and a stop-loss is on
/// the safe side of `position`'s liquidation boundary now (StopLossPastLiquidation). Returns the
/// watched price now.
pub fn check_order(
    snapshot: &MarketSnapshot,
    kind: OrderKind,
    side: Side,
    trigger: u64,
    position: Option<&Position>,
) -> Result<u64> {
    let price = order_price(snapshot, kind, side)?;
    check_trigger_placement(kind, side, price, trigger)?;
    if kind == OrderKind::StopLoss {
        let position = position.ok_or_else(|| error!(PerpPoolError::InvalidPositionState))?;
        let mut health = health_inputs(
            &position.state(),
            snapshot.owed_usd(position)?,
            &snapshot.collateral.view,
            &snapshot.market,
        )?;
        if position.is_aliased() {
            // An asset-backed long's collateral and cap at the trigger, not at the price now: the
            // oracle price whose exit price is the trigger is at least the trigger, so the tokens
            // are worth at least this there (math::backing).
            health = TokenBacking {
                collateral_amount: position.collateral_amount,
                locked_amount: position.locked_amount,
                decimals: snapshot.collateral.view.decimals,
            }
            .revalue(&health, trigger)?;
        }
        check_stop_loss_safe(&health, trigger)?;
    }
    Ok(price)
}

/// The position a take-profit or stop-loss acts on: open, and the one it was placed on (same
/// open time). Errors: OrderVoid.
pub fn check_order_position(order: &Order, position: &Position) -> Result<()> {
    validate!(
        position.size_usd > 0 && position.open_time == order.position_open_time,
        PerpPoolError::OrderVoid
    )
}

/// Whether a take-profit or stop-loss has lost its position (`position`: what the position
/// account holds now, None if it holds no position). Limit orders are never void.
pub fn is_void(order: &Order, position: Option<&Position>) -> bool {
    !order.is_limit() && position.is_none_or(|p| check_order_position(order, p).is_err())
}

/// Books `amount` tokens into the custody's escrow (the caller moves them into the vault).
pub fn escrow_in(custody: &mut Custody, amount: u64) -> Result<()> {
    custody.assets.escrow = custody.assets.escrow.safe_add(amount)?;
    Ok(())
}

/// Takes `amount` tokens out of the custody's escrow (paid out, or booked elsewhere).
pub fn escrow_out(custody: &mut Custody, amount: u64) -> Result<()> {
    custody.assets.escrow = custody.assets.escrow.safe_sub(amount)?;
    Ok(())
}

/// What a take-profit or stop-loss did.
#[derive(Clone, Copy, Debug)]
pub struct CloseOrderFilled {
    pub settled: Settled,
    /// The whole position was closed (the caller closes its account).
    pub full: bool,
}

/// Executes a take-profit or stop-loss: the position is the one the order was placed on
/// (OrderVoid), the exit price reached the trigger (OrderNotTriggered), then a decrease of
/// `min(order size, position size)` (all of it: a close) under `apply_decrease`'s rules with
/// the order's price limit. The executor fee leaves the escrow; the caller pays it and the
/// owner's `amount_out`.
pub fn execute_close_order(
    accounts: PositionAccounts,
    snapshot: &MarketSnapshot,
    order: &Order,
) -> Result<CloseOrderFilled> {
    validate!(!order.is_limit(), PerpPoolError::InvalidOrderKind)?;
    check_order_position(order, accounts.position)?;
    let price = order_price(snapshot, order.kind, order.side)?;
    validate!(
        trigger_reached(order.kind, order.side, price, order.trigger_price),
        PerpPoolError::OrderNotTriggered
    )?;
    // A liquidatable position is the liquidator's: a stop (or a TP) executed then would pay the
    // owner the margin a liquidation gives the LPs (review of the orders, finding 2).
    let interest_usd = snapshot.owed_usd(accounts.position)?;
    let health = health_inputs(
        &accounts.position.state(),
        interest_usd,
        &snapshot.collateral.view,
        &snapshot.market,
    )?;
    validate!(
        !is_liquidatable(&health, snapshot.exit_price(order.side)?)?,
        PerpPoolError::PositionLiquidatable
    )?;
    let (size_usd, full) = trigger_close_size(order.size_usd, accounts.position.size_usd);
    // Before the position change: `rebook` makes an aliased custody's two copies equal from
    // the collateral custody's.
    escrow_out(accounts.collateral_custody, order.executor_fee)?;
    let settled = apply_decrease(accounts, snapshot, size_usd, order.price_limit)?;
    Ok(CloseOrderFilled { settled, full })
}

/// What a limit order did.
/// (`pub(crate)`: `anchor idl parse` puts every `pub enum` of the crate into the IDL.)
#[derive(Clone, Copy, Debug)]
pub(crate) enum LimitFilled {
    Opened(Opened),
    Increased(Increased),
}

impl LimitFilled {
    /// The entry price of the size added, PRICE_DECIMALS.
    pub fn entry_price(&self) -> u64 {
        match self {
            LimitFilled::Opened(o) => o.price,
            LimitFilled::Increased(i) => i.entry_price,
        }
    }
}

/// Executes a limit order: the entry price reached the trigger (OrderNotTriggered), then an open
/// (no position yet: `accounts.position` is freshly created, size 0) or an increase, under
/// `apply_open` / `apply_increase`'s rules (caps, leverage, fees, the order's price limit), with
/// the escrowed collateral. The collateral and the executor fee leave the escrow; the caller pays
/// the fee.
pub(crate) fn execute_limit_order(
    accounts: PositionAccounts,
    snapshot: &MarketSnapshot,
    order: &Order,
    position_bump: u8,
) -> Result<LimitFilled> {
    validate!(order.is_limit(), PerpPoolError::InvalidOrderKind)?;
    let price = order_price(snapshot, order.kind, order.side)?;
    validate!(
        trigger_reached(order.kind, order.side, price, order.trigger_price),
        PerpPoolError::OrderNotTriggered
    )?;
    escrow_out(accounts.collateral_custody, order.escrowed()?)?;
    if accounts.position.size_usd == 0 {
        let opened = apply_open(
            accounts,
            snapshot,
            &OpenRequest {
                owner: order.owner,
                pool: order.pool,
                side: order.side,
                price_limit: order.price_limit,
                collateral_in: order.collateral_amount,
                size_usd: order.size_usd,
                bump: position_bump,
            },
        )?;
        Ok(LimitFilled::Opened(opened))
    } else {
        let increased = apply_increase(
            accounts,
            snapshot,
            order.size_usd,
            order.collateral_amount,
            order.price_limit,
        )?;
        Ok(LimitFilled::Increased(increased))
    }
}
