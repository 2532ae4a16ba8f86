//! Accounts structs and params shared by several instructions, one file per group; each file's
//! doc names the instructions that use it. Sharing one struct is how instructions that must
//! validate their accounts identically are kept identical (a duplicated struct could drift).
//! Instruction files import from here, never from one another.

pub mod admin_custody;
pub mod fund_position;
pub mod insurance_fund_params;
pub mod position_view;
pub mod settle_position;
pub mod withdraw_from_custody;

pub use admin_custody::*;
pub use fund_position::*;
pub use insurance_fund_params::*;
pub use position_view::*;
pub use settle_position::*;
pub use withdraw_from_custody::*;
