//! Asset-backed positions (docs/design.md "Asset-backed positions"): a position whose collateral
//! custody IS its traded custody ("aliased"). Its collateral and its locked payoff are tokens of
//! the traded asset, so their USD value moves with the price it trades at. Only longs may be
//! aliased (`collateral_custody_allowed`).
//!
//! The exposure bookkeeping counts such a position in token terms: with q its quantity, c_q and
//! L_q its collateral and lock converted to quantity units (`tokens_to_quantity`, exact), the
//! pool's claim against it is `clamp(x, -c_q·P, L_q·P)` (linear in P), which splits as in
//! `math::exposure` into `x - max(0, (q - L_q)·P - s) + max(0, s - (q + c_q)·P)`. The two
//! excess terms are the books' `q'·max(0, ±(P - A))` with book quantity `q - L_q` (cap, Above,
//! only if q > L_q) and `q + c_q` (bankruptcy, Below, usd `s + I` with the interest owed at
//! registration, an upper bound as for every position).
//!
//! Pure integers; nothing here reads accounts.

use {
    super::{
        oracle::OraclePrice,
        pnl::{is_liquidatable, quantity_value_usd, HealthInputs},
        safe_math::{pow10, Rounding, SafeMath},
    },
    crate::{
        constants::{PRICE_DECIMALS, QUANTITY_DECIMALS},
        errors::PerpPoolError,
        types::Side,
    },
    anchor_lang::prelude::*,
};

/// The collateral rule: a position's collateral custody is a stable custody other than the traded
/// one, or (an asset-backed long) the traded custody itself. Everything else, in particular a
/// short with volatile collateral and any aliased short, is refused (InvalidCollateralCustody).
pub fn collateral_custody_allowed(side: Side, aliased: bool, collateral_is_stable: bool) -> bool {
    if aliased {
        side == Side::Long
    } else {
        collateral_is_stable
    }
}

/// Custody tokens (`decimals`) in quantity units: `amount · 10^(QUANTITY_DECIMALS - decimals)`,
/// exact. Errors: InvalidCollateralCustody if the custody has more decimals than
/// QUANTITY_DECIMALS (its tokens cannot be counted exactly as quantity).
pub fn tokens_to_quantity(amount: u64, decimals: u8) -> Result<u128> {
    require!(
        decimals <= QUANTITY_DECIMALS,
        PerpPoolError::InvalidCollateralCustody
    );
    u128::from(amount).safe_mul(pow10(u32::from(QUANTITY_DECIMALS.safe_sub(decimals)?))?)
}

/// One book entry `(quantity, usd)` of a position: its term is `quantity·max(0, ±(P - A))` with
/// `A = usd·scale/quantity`. Not kept when `math::exposure::is_registered` says so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BookEntry {
    pub quantity: u128,
    pub usd: u128,
}

/// The book entries of a position and what it adds to its side's clamp aggregates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Registration {
    pub cap: BookEntry,
    pub bankruptcy: BookEntry,
    /// USD counted in `PositionStats::max_profit_usd` (0 for an aliased position).
    pub max_profit_usd: u64,
    /// Quantity units counted in `PositionStats::collateral_quantity` / `max_profit_quantity`
    /// (0 for a position with stable collateral).
    pub collateral_quantity: u128,
    pub max_profit_quantity: u128,
}

/// The registration of an aliased long of `quantity` and `size_usd` holding `collateral_amount`
/// and `locked_amount` tokens of its custody (`decimals`), owing `interest_usd`:
///   cap        Above, `(q - L_q, s)` if q > L_q, else nothing (its profit never reaches L_q·P);
///   bankruptcy Below, `(q + c_q, s + I)`.
/// Errors: InvalidCollateralCustody for an aliased short (refused by the collateral rule).
pub fn aliased_registration(
    side: Side,
    quantity: u128,
    size_usd: u64,
    collateral_amount: u64,
    locked_amount: u64,
    decimals: u8,
    interest_usd: u64,
) -> Result<Registration> {
    require!(side == Side::Long, PerpPoolError::InvalidCollateralCustody);
    let collateral_quantity = tokens_to_quantity(collateral_amount, decimals)?;
    let max_profit_quantity = tokens_to_quantity(locked_amount, decimals)?;
    let s = u128::from(size_usd);
    let cap = if quantity > max_profit_quantity {
        BookEntry {
            quantity: quantity.safe_sub(max_profit_quantity)?,
            usd: s,
        }
    } else {
        BookEntry::default()
    };
    Ok(Registration {
        cap,
        bankruptcy: BookEntry {
            quantity: quantity.safe_add(collateral_quantity)?,
            usd: s.safe_add(u128::from(interest_usd))?,
        },
        max_profit_usd: 0,
        collateral_quantity,
        max_profit_quantity,
    })
}

/// A side's clamp `[-collateral, max_profit]` at `price`: `C_usd + C_q·P` and `K_usd + K_q·P`.
/// `trader_rounding` is the mode's rounding of the traders' claim (Ceil: an upper bound, min-mode
/// AUM): the profit bound rounds with it and the collateral bound against it, so the clamp never
/// cuts the bound the claim must stay on the safe side of.
pub fn side_clamp_usd(
    collateral_usd: u64,
    collateral_quantity: u128,
    max_profit_usd: u128,
    max_profit_quantity: u128,
    price: u64,
    trader_rounding: Rounding,
) -> Result<(u128, u128)> {
    let opposite = match trader_rounding {
        Rounding::Floor => Rounding::Ceil,
        Rounding::Ceil => Rounding::Floor,
    };
    let collateral = u128::from(collateral_usd).safe_add(quantity_value_usd(
        collateral_quantity,
        price,
        opposite,
    )?)?;
    let max_profit = max_profit_usd.safe_add(quantity_value_usd(
        max_profit_quantity,
        price,
        trader_rounding,
    )?)?;
    Ok((collateral, max_profit))
}

/// The tokens behind an aliased position, revalued at every trial price of the liquidation-price
/// search (their custody's min price is the traded oracle price there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenBacking {
    pub collateral_amount: u64,
    pub locked_amount: u64,
    pub decimals: u8,
}

impl TokenBacking {
    /// `inputs` with collateral and payoff cap valued at the oracle price `price`
    /// (PRICE_DECIMALS), floor: what `health_inputs` gives when the custody's min price is
    /// `price` (`OraclePrice::token_to_usd` with exponent -PRICE_DECIMALS).
    pub fn revalue(&self, inputs: &HealthInputs, price: u64) -> Result<HealthInputs> {
        let oracle = OraclePrice {
            price,
            exponent: 0i32.safe_sub(i32::from(PRICE_DECIMALS))?,
        };
        let value = |amount: u64| -> Result<u64> {
            // A value above u64 saturates: only at absurd trial prices, where it only makes the
            // position healthier (collateral) or its cap looser (profit), both already maximal.
            Ok(
                u64::try_from(oracle.token_to_usd(amount, self.decimals, Rounding::Floor)?)
                    .unwrap_or(u64::MAX),
            )
        };
        Ok(HealthInputs {
            collateral_usd: value(self.collateral_amount)?,
            max_profit_usd: value(self.locked_amount)?,
            ..*inputs
        })
    }

    /// `is_liquidatable` of the position at oracle price `price`: exit price from `price` and the
    /// spread, collateral and cap revalued at `price`.
    pub fn is_liquidatable_at(
        &self,
        inputs: &HealthInputs,
        price: u64,
        exit_price: u64,
    ) -> Result<bool> {
        is_liquidatable(&self.revalue(inputs, price)?, exit_price)
    }
}

#[cfg(test)]
mod tests;
