//! One module per instruction, and one rule for where its items live:
//!
//! - An instruction's file owns its handler and every Accounts struct and `<Ix>Params` only it
//!   uses.
//! - An Accounts struct or params type used by several instructions lives in `shared/` (one file
//!   per group, whose doc names its users): instructions that must validate the same accounts
//!   the same way share one struct instead of copies that could drift apart.
//! - Instruction files import from `shared`, `controller`, `validation`, `state`, `math` and
//!   `types`, never from one another; what several handlers do to accounts lives in
//!   `controller`.
//!
//! A handler reads: permissions -> params (`validate!`) -> oracle reads (`controller::market`)
//! -> one controller call (math + mutation) -> CPI -> the vault check
//! (`validation::vault`, for every instruction that moves custody tokens) -> emit.
//!
//! Glob re-exports put the Accounts types (and Anchor's generated client modules) at the crate
//! root, where `#[program]` expects them; `handler` is always called by its module path, so the
//! ambiguity of the re-exported `handler` names is never resolved and is harmless.
#![allow(ambiguous_glob_reexports)]

pub mod accept_admin;
pub mod add_collateral;
pub mod add_custody;
pub mod add_liquidity;
pub mod add_pool;
pub mod add_senior_tranche;
pub mod add_stake_vault;
pub mod cancel_order;
pub mod claim_stake_rewards;
pub mod close_capped_position;
pub mod close_position;
pub mod decrease_position;
pub mod edit_order;
pub mod execute_limit_order;
pub mod execute_trigger_order;
pub mod get_assets_under_management;
pub mod get_entry_price_and_fee;
pub mod get_exit_price_and_fee;
pub mod get_liquidation_price;
pub mod get_liquidation_state;
pub mod get_liquidity_amount_and_fee;
pub mod get_lp_token_price;
pub mod get_market_risk;
pub mod get_oracle_price;
pub mod get_order_state;
pub mod get_pnl;
pub mod get_pool_weights;
pub mod get_stake_pool_state;
pub mod get_stake_state;
pub mod get_swap_amount_and_fee;
pub mod get_tranche_state;
pub mod increase_position;
pub mod init_stake_pool;
pub mod initialize;
pub mod liquidate;
pub mod lock_lp;
pub mod open_position;
pub mod place_order;
pub mod remove_collateral;
pub mod remove_liquidity;
pub mod remove_void_order;
pub mod set_custody_config;
pub mod set_custody_weights;
pub mod set_custom_oracle_price;
pub mod set_order_config;
pub mod set_permissions;
pub mod set_skew_config;
pub mod set_stake_pool_config;
pub mod set_tranche_config;
pub mod shared;
pub mod swap;
pub mod top_up_insurance_fund;
pub mod transfer_admin;
pub mod unlock_lp;
pub mod unlock_lp_stake;
pub mod update_pool_aum;
pub mod update_stake_pool;
pub mod withdraw_insurance_fund;
pub mod withdraw_protocol_fees;

pub use accept_admin::*;
pub use add_collateral::*;
pub use add_custody::*;
pub use add_liquidity::*;
pub use add_pool::*;
pub use add_senior_tranche::*;
pub use add_stake_vault::*;
pub use cancel_order::*;
pub use claim_stake_rewards::*;
pub use close_capped_position::*;
pub use close_position::*;
pub use decrease_position::*;
pub use edit_order::*;
pub use execute_limit_order::*;
pub use execute_trigger_order::*;
pub use get_assets_under_management::*;
pub use get_entry_price_and_fee::*;
pub use get_exit_price_and_fee::*;
pub use get_liquidity_amount_and_fee::*;
pub use get_lp_token_price::*;
pub use get_market_risk::*;
pub use get_oracle_price::*;
pub use get_order_state::*;
pub use get_pool_weights::*;
pub use get_stake_pool_state::*;
pub use get_stake_state::*;
pub use get_swap_amount_and_fee::*;
pub use get_tranche_state::*;
pub use increase_position::*;
pub use init_stake_pool::*;
pub use initialize::*;
pub use liquidate::*;
pub use lock_lp::*;
pub use open_position::*;
pub use place_order::*;
pub use remove_collateral::*;
pub use remove_liquidity::*;
pub use remove_void_order::*;
pub use set_custody_config::*;
pub use set_custom_oracle_price::*;
pub use set_permissions::*;
pub use set_stake_pool_config::*;
pub use set_tranche_config::*;
pub use shared::*;
pub use swap::*;
pub use top_up_insurance_fund::*;
pub use transfer_admin::*;
pub use unlock_lp::*;
pub use unlock_lp_stake::*;
pub use update_pool_aum::*;
pub use update_stake_pool::*;
pub use withdraw_protocol_fees::*;
