//! Trigger orders, pure (docs/design.md "Trigger orders"): which price an order watches, when its
//! trigger is reached, what placement accepts, and how much of a position a take-profit or
//! stop-loss closes. Prices are PRICE_DECIMALS; the watched price is the one the order's trade
//! would execute at now (spread and EMA rule included), so a reached take-profit or limit order
//! never trades at a price worse than its trigger.

use {
    super::{
        pnl::{is_liquidatable, HealthInputs},
        pricing::{entry_price, exit_price, TradePrices},
    },
    crate::{
        errors::PerpPoolError,
        types::{OrderKind, Side},
    },
    anchor_lang::prelude::*,
};

/// The price `kind` watches for a `side` position: the exit price for a take-profit or a
/// stop-loss (what closing would get), the entry price for a limit order (what opening would
/// pay). Errors as `entry_price` / `exit_price`.
pub fn watched_price(
    kind: OrderKind,
    side: Side,
    prices: TradePrices,
    spread_bps: u64,
) -> Result<u64> {
    match kind {
        OrderKind::TakeProfit | OrderKind::StopLoss => exit_price(side, prices, spread_bps),
        OrderKind::Limit => entry_price(side, prices, spread_bps),
    }
}

/// Whether `price` (the watched price) has reached `trigger`:
/// - take-profit: long `price >= trigger`, short `price <= trigger` (at least as good);
/// - stop-loss: long `price <= trigger`, short `price >= trigger` (at least as bad);
/// - limit: long `price <= trigger` (buy at or below), short `price >= trigger` (sell at or
///   above).
pub fn trigger_reached(kind: OrderKind, side: Side, price: u64, trigger: u64) -> bool {
    let at_or_above = price >= trigger;
    let at_or_below = price <= trigger;
    match (kind, side) {
        (OrderKind::TakeProfit, Side::Long) => at_or_above,
        (OrderKind::TakeProfit, Side::Short) => at_or_below,
        (OrderKind::StopLoss, Side::Long) | (OrderKind::Limit, Side::Long) => at_or_below,
        (OrderKind::StopLoss, Side::Short) | (OrderKind::Limit, Side::Short) => at_or_above,
    }
}

/// Placement and edit: the trigger is positive and not reached at the watched price now (an
/// order that would execute at once is a market trade: make it by hand). Errors:
/// InvalidTriggerPrice.
pub fn check_trigger_placement(
    kind: OrderKind,
    side: Side,
    price: u64,
    trigger: u64,
) -> Result<()> {
    require!(trigger > 0, PerpPoolError::InvalidTriggerPrice);
    require!(
        !trigger_reached(kind, side, price, trigger),
        PerpPoolError::InvalidTriggerPrice
    );
    Ok(())
}

/// A stop-loss is accepted only if the position, as it is now (collateral, fees, interest), is
/// NOT liquidatable at an exit price equal to the trigger. Liquidation is monotone in the exit
/// price, so every exit price between the liquidation boundary and the trigger reaches the stop
/// before the position is liquidatable: an oracle update landing there lets a keeper execute the
/// stop first. Errors: StopLossPastLiquidation.
pub fn check_stop_loss_safe(health: &HealthInputs, trigger: u64) -> Result<()> {
    require!(
        !is_liquidatable(health, trigger)?,
        PerpPoolError::StopLossPastLiquidation
    );
    Ok(())
}

/// What a take-profit or stop-loss of `order_size_usd` closes of a position of
/// `position_size_usd` now: `(size, full)`. An order at least as large as the position closes
/// all of it (whatever it has shrunk to); a smaller one closes its size.
pub fn trigger_close_size(order_size_usd: u64, position_size_usd: u64) -> (u64, bool) {
    if order_size_usd >= position_size_usd {
        (position_size_usd, true)
    } else {
        (order_size_usd, false)
    }
}

#[cfg(test)]
mod tests;
