//! Swaps between two custodies of a pool: the receiving custody takes the tokens in at its min
//! price, the dispensing custody pays their value at its max price less the swap fee, which both
//! legs' weights steer (`math::weights`). The swap is a deposit into one custody and a redemption
//! from the other that mints and burns no LP: the pool keeps the spread and the LPs the fee (less
//! the protocol's share), so no LP is diluted. The caller has valued the pool with both custodies'
//! interest accrued and moves the tokens.

use {
    crate::{
        errors::PerpPoolError,
        math::{
            liquidity::{assets_under_management_usd, AumMode, CustodyValuation},
            oracle::OraclePrice,
            safe_math::SafeMath,
            weights::{quote_swap, SwapAmounts},
        },
        state::{custody::Custody, pool::Pool},
        validate,
    },
    anchor_lang::prelude::*,
};

/// The pool valued for a swap: every custody's valuation (both legs' interest accrued), the two
/// legs' indexes in it and their prices.
pub struct SwapValuation {
    pub valuations: Vec<CustodyValuation>,
    pub receiving_index: usize,
    pub dispensing_index: usize,
    pub receiving_min_price: OraclePrice,
    pub dispensing_max_price: OraclePrice,
}

/// Values the pool for a swap at `now`: both legs' oracles read and interest accrued, every other
/// custody from `remaining`. Shared with the quote view.
#[allow(clippy::too_many_arguments)]
pub fn swap_valuation(
    pool: &Pool,
    receiving: &mut Custody,
    receiving_key: Pubkey,
    receiving_oracle: &AccountInfo,
    dispensing: &mut Custody,
    dispensing_key: Pubkey,
    dispensing_oracle: &AccountInfo,
    remaining: &[AccountInfo],
    now: i64,
) -> Result<SwapValuation> {
    let (receiving_min_price, receiving_max_price) =
        receiving.read_min_max_price(receiving_oracle, now)?;
    let (dispensing_min_price, dispensing_max_price) =
        dispensing.read_min_max_price(dispensing_oracle, now)?;
    receiving.accrue_interest(now)?;
    dispensing.accrue_interest(now)?;
    let valuations = pool.custody_valuations_with(
        &[
            (
                receiving_key,
                receiving.valuation(receiving_min_price, receiving_max_price, now)?,
            ),
            (
                dispensing_key,
                dispensing.valuation(dispensing_min_price, dispensing_max_price, now)?,
            ),
        ],
        remaining,
        now,
    )?;
    let index = |key: &Pubkey| {
        pool.custody_index(key)
            .ok_or_else(|| error!(PerpPoolError::InvalidCustodyAccounts))
    };
    Ok(SwapValuation {
        valuations,
        receiving_index: index(&receiving_key)?,
        dispensing_index: index(&dispensing_key)?,
        receiving_min_price,
        dispensing_max_price,
    })
}

/// What a swap did (or, for the quote view, would do).
#[derive(Clone, Copy, Debug)]
pub struct Swapped {
    pub amounts: SwapAmounts,
    /// The legs' weights after the swap, parts per billion (0 when the pool owns nothing).
    pub receiving_weight_ppb: u64,
    pub dispensing_weight_ppb: u64,
    /// The pool's AUM after the swap (min prices), USD.
    pub pool_aum_usd: u128,
}

/// Swaps `amount_in` receiving-custody tokens (`math::weights::quote_swap`: the fee rule, the
/// bounds, InvalidSwap without a weight rule on both legs); fewer than `min_amount_out` tokens out
/// fail (SlippageExceeded). Books both custodies' owned, the protocol fee and both borrow rates.
pub fn apply_swap(
    receiving: &mut Custody,
    dispensing: &mut Custody,
    valuation: &SwapValuation,
    amount_in: u64,
    min_amount_out: u64,
) -> Result<Swapped> {
    let quote = quote_swap(
        &valuation.valuations,
        receiving.swap_leg(valuation.receiving_index),
        dispensing.swap_leg(valuation.dispensing_index),
        amount_in,
        dispensing.fees.protocol_share_bps,
    )?;
    let amounts = quote.amounts;
    validate!(
        amounts.amount_out >= min_amount_out,
        PerpPoolError::SlippageExceeded
    )?;

    receiving.assets.owned = receiving.assets.owned.safe_add(amount_in)?;
    receiving.update_borrow_rate()?;
    let assets = &mut dispensing.assets;
    assets.owned = assets.owned.safe_sub(amounts.owned_decrease)?;
    assets.protocol_fees = assets.protocol_fees.safe_add(amounts.protocol_fee_amount)?;
    dispensing.update_borrow_rate()?;

    let mut after = valuation.valuations.clone();
    if let Some(v) = after.get_mut(valuation.receiving_index) {
        v.owned = receiving.assets.owned;
    }
    if let Some(v) = after.get_mut(valuation.dispensing_index) {
        v.owned = dispensing.assets.owned;
    }
    Ok(Swapped {
        amounts,
        receiving_weight_ppb: quote.receiving_weight_ppb,
        dispensing_weight_ppb: quote.dispensing_weight_ppb,
        pool_aum_usd: assets_under_management_usd(&after, AumMode::Min)?,
    })
}
