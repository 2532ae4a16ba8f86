//! Pure numeric code: no accounts, no clock (callers pass `now`), every rounding named.

pub mod backing;
pub mod borrow;
pub mod exposure;
pub mod fees;
pub mod liquidity;
pub mod oracle;
pub mod orders;
pub mod pnl;
pub mod pricing;
pub mod safe_math;
pub mod skew;
pub mod staking;
pub mod trade;
pub mod tranche;
pub mod weights;

#[cfg(test)]
mod sequences;

/// Test helper: the Anchor error name of a failed result (`None` on success or a non-Anchor
/// error), so tests assert on named errors.
#[cfg(test)]
pub(crate) fn error_name<T>(result: &anchor_lang::Result<T>) -> Option<String> {
    match result {
        Err(anchor_lang::error::Error::AnchorError(err)) => Some(err.error_name.clone()),
        _ => None,
    }
}
