//! Mutations of already-loaded accounts shared by several instructions (drift's `controller/`):
//! an instruction validates its accounts and params, calls one controller function, then does its
//! CPIs and emits its event. `now` comes in through the snapshots; nothing here reads the clock.
//!
//! - `market`: the prologue of every trading instruction (oracles read and checked, prices, the
//!   collateral custody's interest index at `now`);
//! - `position`: open, increase, settle (decrease / close / close at cap / liquidation) and
//!   collateral changes, each doing the aggregate bookkeeping of a position change in one place;
//! - `order`: trigger orders (placement checks, the escrow bucket, execution as the trade the
//!   order stands for); `position_events`: the events of opens and increases;
//! - `liquidity`: LP deposits and withdrawals (LP priced, custody and pool booked);
//! - `custody`: the custody buckets that the admin and donors move directly (insurance fund,
//!   protocol fees);
//! - `swap`: swaps between two custodies of a multi-asset pool (weights and fees, both custodies
//!   booked);
//! - `staking`: LP lock-ups (the stake pool updated to now, then the stake locked, unlocked or
//!   paid).

pub mod custody;
pub mod liquidity;
pub mod market;
pub mod order;
pub mod position;
pub mod position_events;
pub mod staking;
pub mod swap;
