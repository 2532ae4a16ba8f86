//! Program accounts and the small pure methods that belong to them.

pub mod custody;
pub mod lp_cooldown;
pub mod oracle;
pub mod order;
pub mod perpetuals;
pub mod pool;
pub mod position;
pub mod skew;
pub mod stake;
pub mod stake_pool;
