//! One module per instruction: its Accounts struct, its `<Ix>Params` and its `handler`.
//! Glob re-exports put the Accounts types (and Anchor's generated client modules) at the crate
//! root, where `#[program]` expects them; `handler` is always called by its module path, so the
//! ambiguity of the re-exported `handler` names is never resolved and is harmless.
#![allow(ambiguous_glob_reexports)]

pub mod accept_admin;
pub mod add_collateral;
pub mod add_custody;
pub mod add_liquidity;
pub mod add_pool;
pub mod close_capped_position;
pub mod close_position;
pub mod decrease_position;
pub mod fund_position;
pub mod get_assets_under_management;
pub mod get_entry_price_and_fee;
pub mod get_exit_price_and_fee;
pub mod get_liquidation_price;
pub mod get_liquidation_state;
pub mod get_lp_token_price;
pub mod get_oracle_price;
pub mod get_pnl;
pub mod increase_position;
pub mod initialize;
pub mod liquidate;
pub mod open_position;
pub mod position_view;
pub mod remove_collateral;
pub mod remove_liquidity;
pub mod set_custody_config;
pub mod set_custom_oracle_price;
pub mod set_permissions;
pub mod settle_position;
pub mod top_up_insurance_fund;
pub mod transfer_admin;
pub mod unlock_lp;
pub mod update_pool_aum;
pub mod withdraw_insurance_fund;
pub mod withdraw_protocol_fees;

pub use accept_admin::*;
pub use add_collateral::*;
pub use add_custody::*;
pub use add_liquidity::*;
pub use add_pool::*;
pub use close_capped_position::*;
pub use close_position::*;
pub use decrease_position::*;
pub use fund_position::*;
pub use get_assets_under_management::*;
pub use get_entry_price_and_fee::*;
pub use get_exit_price_and_fee::*;
pub use get_lp_token_price::*;
pub use get_oracle_price::*;
pub use increase_position::*;
pub use initialize::*;
pub use liquidate::*;
pub use open_position::*;
pub use position_view::*;
pub use remove_collateral::*;
pub use remove_liquidity::*;
pub use set_custody_config::*;
pub use set_custom_oracle_price::*;
pub use set_permissions::*;
pub use settle_position::*;
pub use top_up_insurance_fund::*;
pub use transfer_admin::*;
pub use unlock_lp::*;
pub use update_pool_aum::*;
pub use withdraw_protocol_fees::*;
