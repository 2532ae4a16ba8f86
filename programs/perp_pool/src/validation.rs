//! Checks that say what failed: the `validate!` macro (one condition, one named error, and a log
//! line naming the condition), the custody config checks (`config`) and the invariant checked
//! after every instruction that moves custody tokens (`vault`).

pub mod config;
pub mod vault;

/// `validate!(condition, error)` evaluates to `Ok(())` when `condition` holds; otherwise it logs
/// `Validation failed: <condition as written>` (and the optional `msg!`-style message) and
/// evaluates to `Err(error!(error))`, so callers write `validate!(a <= b, PerpPoolError::X)?;`.
/// One condition per call: a failed config then says which term it broke, where a
/// `require!(a && b && ..)` only said that one of them did.
#[macro_export]
macro_rules! validate {
    ($condition:expr, $error:expr $(,)?) => {{
        if $condition {
            ::anchor_lang::Result::Ok(())
        } else {
            ::anchor_lang::prelude::msg!(concat!("Validation failed: ", stringify!($condition)));
            ::anchor_lang::Result::Err(::anchor_lang::error!($error))
        }
    }};
    ($condition:expr, $error:expr, $($message:tt)+) => {{
        if $condition {
            ::anchor_lang::Result::Ok(())
        } else {
            ::anchor_lang::prelude::msg!(concat!("Validation failed: ", stringify!($condition)));
            ::anchor_lang::prelude::msg!($($message)+);
            ::anchor_lang::Result::Err(::anchor_lang::error!($error))
        }
    }};
}
