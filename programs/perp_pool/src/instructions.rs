//! One module per instruction: its Accounts struct, its `<Ix>Params` and its `handler`.
//! Glob re-exports put the Accounts types (and Anchor's generated client modules) at the crate
//! root, where `#[program]` expects them; `handler` is always called by its module path, so the
//! ambiguity of the re-exported `handler` names is never resolved and is harmless.
#![allow(ambiguous_glob_reexports)]

pub mod add_custody;
pub mod add_liquidity;
pub mod add_pool;
pub mod get_assets_under_management;
pub mod get_lp_token_price;
pub mod initialize;
pub mod remove_liquidity;
pub mod set_custom_oracle_price;
pub mod set_permissions;

pub use add_custody::*;
pub use add_liquidity::*;
pub use add_pool::*;
pub use get_assets_under_management::*;
pub use get_lp_token_price::*;
pub use initialize::*;
pub use remove_liquidity::*;
pub use set_custom_oracle_price::*;
pub use set_permissions::*;
