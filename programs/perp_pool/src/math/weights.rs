//! Custody weights in a multi-asset pool and the fees that steer them (docs/design.md
//! "Multi-asset pools"): a deposit, redemption or swap that moves a custody's share of the pool's
//! owned value away from its target pays a tax on top of the base fee, one that moves it toward
//! the target gets a rebate (never below a zero fee); a move past the custody's bounds in the
//! direction away from them is refused. GMX's dynamic fee (`getFeeBasisPoints`), in integers.
//!
//! Values are the custodies' `owned` tokens at their MIN prices (floor), the same for the state
//! before and after a move, so a weight moves only by the tokens the operation moves. Weights are
//! parts per billion (WEIGHT_POWER), floor. Pure integers; nothing here reads accounts.

use {
    super::{
        borrow::utilization,
        liquidity::CustodyValuation,
        oracle::OraclePrice,
        safe_math::{cast, mul_div, pow10, Rounding, SafeMath},
    },
    crate::{
        constants::{BPS_POWER, QUANTITY_DECIMALS, WEIGHT_POWER},
        errors::PerpPoolError,
        types::WeightParams,
    },
    anchor_lang::prelude::*,
};

/// BPS to weight units (parts per billion).
const BPS_TO_WEIGHT: u64 = WEIGHT_POWER / BPS_POWER;

/// The owned value of every custody, USD (its min price, floor), in the order given.
pub fn owned_values_usd(valuations: &[CustodyValuation]) -> Result<Vec<u128>> {
    valuations
        .iter()
        .map(|v| {
            v.min_price
                .token_to_usd(v.owned, v.decimals, Rounding::Floor)
        })
        .collect()
}

/// `value / total` in parts per billion, floor; `None` when the pool owns nothing (no weight).
pub fn weight_ppb(value_usd: u128, total_usd: u128) -> Result<Option<u64>> {
    if total_usd == 0 {
        return Ok(None);
    }
    require!(value_usd <= total_usd, PerpPoolError::MathOverflow);
    Ok(Some(cast(mul_div(
        value_usd,
        u128::from(WEIGHT_POWER),
        total_usd,
        Rounding::Floor,
    )?)?))
}

/// A custody's weight before and after an operation, parts per billion. `None` on either side
/// when the pool owns nothing then: the weight rule does not apply to a pool's first deposit nor
/// to the redemption that empties it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightMove {
    pub before: Option<u64>,
    pub after: Option<u64>,
}

impl WeightMove {
    /// The move of custody `index` when its owned value goes from `values[index]` to
    /// `value_after` (every other custody unchanged except `other`, a second custody's
    /// `(index, value_after)` for a swap).
    pub fn of(
        values: &[u128],
        index: usize,
        value_after: u128,
        other: Option<(usize, u128)>,
    ) -> Result<WeightMove> {
        let total_before = values
            .iter()
            .try_fold(0u128, |total, value| total.safe_add(*value))?;
        let before_value = *values
            .get(index)
            .ok_or_else(|| error!(PerpPoolError::InvalidCustodyAccounts))?;
        let mut total_after = total_before.safe_sub(before_value)?.safe_add(value_after)?;
        if let Some((other_index, other_after)) = other {
            let other_before = *values
                .get(other_index)
                .ok_or_else(|| error!(PerpPoolError::InvalidCustodyAccounts))?;
            total_after = total_after.safe_sub(other_before)?.safe_add(other_after)?;
        }
        Ok(WeightMove {
            before: weight_ppb(before_value, total_before)?,
            after: weight_ppb(value_after, total_after)?,
        })
    }
}

/// The fee, BPS, of a move of a custody's weight, from the operation's `base_bps`:
/// with `t` the target, `d0 = |before - t|`, `d1 = |after - t|` and `T = max(t, 1)`:
/// - toward the target without crossing it (`d1 < d0`, both on the same side of `t`):
///   `base - min(base, floor(tax · d0 / T))` (the rebate rounds down);
/// - across the target (from one side of `t` to the other): no rebate, the move counts as
///   starting at the target, `base + ceil(tax · min(ceil(d1 / 2), T) / T)` (else a swap could
///   jump to the mirror side and back, rebated both ways without rebalancing anything: review
///   finding W1);
/// - otherwise (away from the target): `base + ceil(tax · min(ceil((d0 + d1) / 2), T) / T)` (the
///   tax rounds up).
///
/// Without a weight rule, or when the pool owns nothing before or after, `base`. At most
/// `base + tax_bps`.
pub fn weight_fee_bps(params: &WeightParams, base_bps: u64, weights: WeightMove) -> Result<u64> {
    let (Some(before), Some(after)) = (weights.before, weights.after) else {
        return Ok(base_bps);
    };
    if !params.is_set() {
        return Ok(base_bps);
    }
    let target = params.target_bps.safe_mul(BPS_TO_WEIGHT)?;
    let scale = u128::from(target.max(1));
    let tax = u128::from(params.tax_bps);
    let crosses = (before < target && after > target) || (before > target && after < target);
    let d0 = if crosses { 0 } else { before.abs_diff(target) };
    let d1 = after.abs_diff(target);
    if d1 < d0 {
        let rebate: u64 = cast(mul_div(tax, u128::from(d0), scale, Rounding::Floor)?)?;
        Ok(base_bps.saturating_sub(rebate))
    } else {
        let average = u128::from(d0)
            .safe_add(u128::from(d1))?
            .safe_add(1)?
            .safe_div(2)?
            .min(scale);
        let tax_bps: u64 = cast(mul_div(tax, average, scale, Rounding::Ceil)?)?;
        base_bps.safe_add(tax_bps)
    }
}

/// Refuses a move that leaves the weight above `max_bps` while raising it, or below `min_bps`
/// while lowering it (TokenWeightOutOfRange). A move that brings an out-of-bounds custody back
/// toward its bounds is allowed, so a breach by price moves can always be repaired.
pub fn check_weight_bounds(params: &WeightParams, weights: WeightMove) -> Result<()> {
    let (Some(before), Some(after)) = (weights.before, weights.after) else {
        return Ok(());
    };
    if !params.is_set() {
        return Ok(());
    }
    let max = params.max_bps.safe_mul(BPS_TO_WEIGHT)?;
    let min = params.min_bps.safe_mul(BPS_TO_WEIGHT)?;
    require!(
        !(after > max && after > before),
        PerpPoolError::TokenWeightOutOfRange
    );
    require!(
        !(after < min && after < before),
        PerpPoolError::TokenWeightOutOfRange
    );
    Ok(())
}

/// Which LP operation moves a custody's weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiquidityMove {
    /// Raises the weight: refused past `max_bps` (TokenWeightOutOfRange).
    Deposit,
    /// Lowers the weight: pays the tax, never refused by `min_bps`. A min bound on redemptions
    /// would let anyone who can lower a custody's weight (a deposit into another custody, one
    /// without a weight rule at the flat fee) lock every LP's exit out of it (review finding W2);
    /// the min bound binds swaps, an arbitrageur's choice.
    Redemption,
}

/// The fee, BPS, of a deposit or redemption that takes custody `index`'s owned tokens to
/// `owned_after` (the tokens moved before the fee: the amount deposited, or redeemed gross), from
/// `base_bps` (the custody's flat rate); a deposit past the custody's max bound is refused.
pub fn liquidity_fee_bps(
    valuations: &[CustodyValuation],
    index: usize,
    owned_after: u64,
    params: &WeightParams,
    base_bps: u64,
    operation: LiquidityMove,
) -> Result<u64> {
    let custody = valuations
        .get(index)
        .ok_or_else(|| error!(PerpPoolError::InvalidCustodyAccounts))?;
    let value_after =
        custody
            .min_price
            .token_to_usd(owned_after, custody.decimals, Rounding::Floor)?;
    let weights = WeightMove::of(&owned_values_usd(valuations)?, index, value_after, None)?;
    if operation == LiquidityMove::Deposit {
        check_weight_bounds(params, weights)?;
    }
    weight_fee_bps(params, base_bps, weights)
}

/// A token amount (`decimals`) in QUANTITY_DECIMALS units of the token, floor (exact for
/// `decimals <= QUANTITY_DECIMALS`, every SPL token in practice).
pub fn tokens_to_quantity(amount: u64, decimals: u8) -> Result<u128> {
    let amount = u128::from(amount);
    if decimals <= QUANTITY_DECIMALS {
        amount.safe_mul(pow10(u32::from(QUANTITY_DECIMALS.safe_sub(decimals)?))?)
    } else {
        amount.safe_div(pow10(u32::from(decimals.safe_sub(QUANTITY_DECIMALS)?))?)
    }
}

/// The pool's net exposure to a custody's asset, QUANTITY_DECIMALS units of the token: what it
/// owns (`owned`, LP assets including the tokens locked for payoffs) minus what the longs trading
/// the custody hold against it plus what the shorts owe it. Positive: the pool gains when the
/// price rises.
pub fn net_exposure_quantity(
    owned: u64,
    decimals: u8,
    long_quantity: u128,
    short_quantity: u128,
) -> Result<i128> {
    let owned: i128 = cast(tokens_to_quantity(owned, decimals)?)?;
    owned
        .safe_sub(cast(long_quantity)?)?
        .safe_add(cast(short_quantity)?)
}

/// The outcome of a swap of `amount_in` tokens of one custody for tokens of another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwapAmounts {
    /// The tokens in, valued at the receiving custody's min price (floor), USD.
    pub in_usd: u64,
    /// That value in the dispensing custody's tokens at its max price (floor), before the fee.
    pub gross_out: u64,
    /// The swap fee, BPS: the dearer of the two legs' weight fees.
    pub fee_bps: u64,
    /// ceil(gross_out · fee_bps / BPS_POWER), in the dispensing custody's tokens.
    pub fee_amount: u64,
    /// gross_out - fee_amount: sent to the user.
    pub amount_out: u64,
    /// floor(fee_amount · protocol_share_bps / BPS_POWER): the protocol's part of the fee.
    pub protocol_fee_amount: u64,
    /// Decrease of the dispensing custody's `owned`: amount_out + protocol_fee_amount (the LPs
    /// keep the rest of the fee).
    pub owned_decrease: u64,
}

/// What the dispensing custody pays for `amount_in` tokens of the receiving one, before the fee:
/// valued at the receiving custody's min price, converted at the dispensing one's max price, both
/// rounded down (the swapper is valued low on both legs, like a deposit then a redemption).
pub fn swap_gross_out(
    amount_in: u64,
    in_decimals: u8,
    in_min_price: OraclePrice,
    out_decimals: u8,
    out_max_price: OraclePrice,
) -> Result<(u64, u64)> {
    require!(amount_in > 0, PerpPoolError::ZeroAmount);
    let in_usd: u64 = cast(in_min_price.token_to_usd(amount_in, in_decimals, Rounding::Floor)?)?;
    let gross_out: u64 =
        cast(out_max_price.usd_to_token(u128::from(in_usd), out_decimals, Rounding::Floor)?)?;
    Ok((in_usd, gross_out))
}

/// The swap's amounts once its fee is known. Errors: ZeroAmount (nothing out after the fee),
/// InsufficientLiquidity (the dispensing custody has fewer than `owned_decrease` unlocked tokens,
/// `available_amount`), InvalidCustodyConfig (fee or share above 100 %).
pub fn compute_swap(
    in_usd: u64,
    gross_out: u64,
    fee_bps: u64,
    protocol_share_bps: u64,
    available_amount: u64,
) -> Result<SwapAmounts> {
    let fee_amount = super::liquidity::fee_amount(gross_out, fee_bps)?;
    let amount_out = gross_out.safe_sub(fee_amount)?;
    require!(amount_out > 0, PerpPoolError::ZeroAmount);
    let protocol_fee_amount =
        super::liquidity::protocol_fee_amount(fee_amount, protocol_share_bps)?;
    let owned_decrease = amount_out.safe_add(protocol_fee_amount)?;
    require!(
        owned_decrease <= available_amount,
        PerpPoolError::InsufficientLiquidity
    );
    Ok(SwapAmounts {
        in_usd,
        gross_out,
        fee_bps,
        fee_amount,
        amount_out,
        protocol_fee_amount,
        owned_decrease,
    })
}

/// One leg of a swap as the pricing sees it: the custody's index in the pool's valuations, its
/// weights and the owned tokens it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwapLeg {
    pub index: usize,
    pub weights: WeightParams,
    pub owned: u64,
    /// Tokens locked for traders' payoffs (never paid out by a swap).
    pub locked: u64,
    /// The custody's `pricing.max_utilization` (RATE_DECIMALS; 0 = none): a swap may not leave
    /// the dispensing custody more utilised than this.
    pub max_utilization: u64,
}

/// A priced swap and the legs' weights after it (parts per billion, 0 when the pool owns nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwapQuote {
    pub amounts: SwapAmounts,
    pub receiving_weight_ppb: u64,
    pub dispensing_weight_ppb: u64,
}

/// Prices the swap of `amount_in` tokens of the `receiving` leg for the `dispensing` leg's, the
/// pool valued by `valuations` (min prices for the weights, the receiving leg's min price and the
/// dispensing leg's max price for the amounts): the fee is the dearer of the receiving leg's (a
/// deposit, from its `swap_bps`) and the dispensing leg's (a redemption, from its `swap_bps`)
/// weight fees, with the weights moved by the tokens before the fee; either leg past its bounds
/// is refused (TokenWeightOutOfRange); both legs need a weight rule (InvalidSwap); the
/// dispensing custody pays only unlocked tokens (InsufficientLiquidity) and may not be left above
/// its max utilisation (MaxUtilizationExceeded: else swaps could drain what LP redemptions and new
/// positions need, review finding W3). `protocol_share_bps` is the dispensing custody's.
pub fn quote_swap(
    valuations: &[CustodyValuation],
    receiving: SwapLeg,
    dispensing: SwapLeg,
    amount_in: u64,
    protocol_share_bps: u64,
) -> Result<SwapQuote> {
    require!(
        receiving.index != dispensing.index,
        PerpPoolError::InvalidSwap
    );
    require!(
        receiving.weights.is_set() && dispensing.weights.is_set(),
        PerpPoolError::InvalidSwap
    );
    let leg = |index: usize| {
        valuations
            .get(index)
            .ok_or_else(|| error!(PerpPoolError::InvalidCustodyAccounts))
    };
    let (receiving_view, dispensing_view) = (leg(receiving.index)?, leg(dispensing.index)?);
    let (in_usd, gross_out) = swap_gross_out(
        amount_in,
        receiving_view.decimals,
        receiving_view.min_price,
        dispensing_view.decimals,
        dispensing_view.max_price,
    )?;
    let values = owned_values_usd(valuations)?;
    let receiving_after = receiving_view.min_price.token_to_usd(
        receiving.owned.safe_add(amount_in)?,
        receiving_view.decimals,
        Rounding::Floor,
    )?;
    let dispensing_after = dispensing_view.min_price.token_to_usd(
        dispensing.owned.saturating_sub(gross_out),
        dispensing_view.decimals,
        Rounding::Floor,
    )?;
    let receiving_move = WeightMove::of(
        &values,
        receiving.index,
        receiving_after,
        Some((dispensing.index, dispensing_after)),
    )?;
    let dispensing_move = WeightMove::of(
        &values,
        dispensing.index,
        dispensing_after,
        Some((receiving.index, receiving_after)),
    )?;
    check_weight_bounds(&receiving.weights, receiving_move)?;
    check_weight_bounds(&dispensing.weights, dispensing_move)?;
    let fee_bps = weight_fee_bps(
        &receiving.weights,
        receiving.weights.swap_bps,
        receiving_move,
    )?
    .max(weight_fee_bps(
        &dispensing.weights,
        dispensing.weights.swap_bps,
        dispensing_move,
    )?);
    let amounts = compute_swap(
        in_usd,
        gross_out,
        fee_bps,
        protocol_share_bps,
        dispensing.owned.safe_sub(dispensing.locked)?,
    )?;
    let owned_after = dispensing.owned.safe_sub(amounts.owned_decrease)?;
    require!(
        dispensing.max_utilization == 0
            || utilization(dispensing.locked, owned_after)? <= dispensing.max_utilization,
        PerpPoolError::MaxUtilizationExceeded
    );

    // The weights once the tokens have moved (the LPs' part of the fee stays in the pool).
    let mut values_after = values;
    let set = |values: &mut Vec<u128>, index: usize, owned: u64, view: &CustodyValuation| {
        let value = view
            .min_price
            .token_to_usd(owned, view.decimals, Rounding::Floor)?;
        if let Some(slot) = values.get_mut(index) {
            *slot = value;
        }
        Ok::<(), Error>(())
    };
    set(
        &mut values_after,
        receiving.index,
        receiving.owned.safe_add(amount_in)?,
        receiving_view,
    )?;
    set(
        &mut values_after,
        dispensing.index,
        owned_after,
        dispensing_view,
    )?;
    let total_after = values_after
        .iter()
        .try_fold(0u128, |total, value| total.safe_add(*value))?;
    let weight_of = |index: usize| -> Result<u64> {
        let value = values_after.get(index).copied().unwrap_or_default();
        Ok(weight_ppb(value, total_after)?.unwrap_or_default())
    };
    Ok(SwapQuote {
        amounts,
        receiving_weight_ppb: weight_of(receiving.index)?,
        dispensing_weight_ppb: weight_of(dispensing.index)?,
    })
}

#[cfg(test)]
mod tests;
