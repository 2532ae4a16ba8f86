//! A trigger order: take-profit, stop-loss or limit (docs/design.md "Trigger orders"). One per
//! (owner, traded custody, index); `place_order` creates it, and `cancel_order`,
//! `execute_trigger_order`, `execute_limit_order` or `remove_void_order` close it (rent back to
//! the owner), so an order executes at most once.

use {
    crate::types::{OrderKind, Side},
    anchor_lang::prelude::*,
};

/// PDA `[ORDER_SEED, owner, custody, [index]]`. `owner` and `pool` sit at the same offsets as a
/// Position's (8 and 40), so one memcmp on the pool finds both.
#[account]
#[derive(Debug, Default, InitSpace)]
pub struct Order {
    pub owner: Pubkey,
    pub pool: Pubkey,
    /// The traded custody (market).
    pub custody: Pubkey,
    /// The stable custody that holds the escrow and the position's collateral.
    pub collateral_custody: Pubkey,
    pub kind: OrderKind,
    /// The position's side: the order acts on the owner's position
    /// `[POSITION_SEED, owner, pool, custody, collateral_custody, [side]]`.
    pub side: Side,
    /// Slot in `0..custody.orders.max_orders_per_owner`.
    pub index: u8,
    /// PRICE_DECIMALS. Compared with the exit price (take-profit, stop-loss) or the entry price
    /// (limit) the trade would get now, spread and EMA rule included.
    pub trigger_price: u64,
    /// Worst acceptable execution price, PRICE_DECIMALS (as a hand-made trade's `price_limit`).
    pub price_limit: u64,
    /// USD. Take-profit / stop-loss: size to close (at least the position's size = all of it);
    /// limit: size to open or add.
    pub size_usd: u64,
    /// Limit: collateral tokens escrowed, deposited into the position at execution. 0 otherwise.
    pub collateral_amount: u64,
    /// Collateral tokens escrowed for the executor.
    pub executor_fee: u64,
    /// Take-profit / stop-loss: `open_time` of the position it was placed on; a position with
    /// another open time (closed and reopened) makes the order void. 0 for limit orders.
    pub position_open_time: i64,
    /// Limit: lamports held for the rent of the position an execution may create (refunded to
    /// the executor who pays that rent; the rest goes back to the owner). 0 otherwise.
    pub position_rent: u64,
    /// Unix seconds.
    pub created_time: i64,
    /// Unix seconds of the last edit.
    pub update_time: i64,
    pub bump: u8,
}

impl Order {
    /// The tokens this order holds in its collateral custody's `assets.escrow`.
    pub fn escrowed(&self) -> Result<u64> {
        use crate::math::safe_math::SafeMath;
        self.collateral_amount.safe_add(self.executor_fee)
    }

    pub fn is_limit(&self) -> bool {
        self.kind == OrderKind::Limit
    }
}
