//! Withdrawing collateral from an open position.

use super::*;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RemoveCollateralAmounts {
    /// Tokens sent to the owner: `collateral_usd` at the max price, floor.
    pub amount_out: u64,
    pub collateral_amount: u64,
    pub collateral_usd: u64,
}

/// Withdrawing `collateral_usd` worth of collateral. The position left must satisfy, with
/// unrealised profit NOT counted: `equity = collateral_usd - loss - close_fee - interest > 0` and
/// `size * BPS <= equity * max_initial_leverage_bps`.
/// Errors: ZeroAmount (rounds to 0 tokens); InsufficientCollateral (all or more than the
/// collateral); MaxLeverageExceeded.
pub fn compute_remove_collateral(
    position: &PositionState,
    collateral_usd: u64,
    exit_price: u64,
    interest_usd: u64,
    collateral: &CollateralCustody,
    market: &Market,
) -> Result<RemoveCollateralAmounts> {
    let amount_out = collateral.paid_tokens(collateral_usd)?;
    require!(amount_out > 0, PerpPoolError::ZeroAmount);
    require!(
        amount_out < position.collateral_amount,
        PerpPoolError::InsufficientCollateral
    );
    let collateral_amount = position.collateral_amount.safe_sub(amount_out)?;
    let remaining = PositionState {
        collateral_amount,
        ..*position
    };
    require!(
        within_initial_leverage(&remaining, exit_price, interest_usd, collateral, market)?,
        PerpPoolError::MaxLeverageExceeded
    );
    Ok(RemoveCollateralAmounts {
        amount_out,
        collateral_amount,
        collateral_usd: collateral.value_usd(collateral_amount)?,
    })
}
