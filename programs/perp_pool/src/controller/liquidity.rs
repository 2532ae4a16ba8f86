//! LP deposits and withdrawals: the pool valued, the LP priced, and the custody and pool booked.
//! The caller has valued the pool (`Pool::valuations_for_liquidity_change`, which also accrues the
//! custody's interest) and moves the tokens and LP.

use {
    crate::{
        errors::PerpPoolError,
        math::{
            liquidity::{
                assets_under_management_usd, compute_add_liquidity, compute_remove_liquidity,
                AddLiquidityAmounts, AumMode, CustodyValuation, RemoveLiquidityAmounts,
            },
            safe_math::{cast, Rounding, SafeMath},
        },
        state::{
            custody::Custody,
            pool::{LiquidityValuation, Pool},
        },
        validate,
    },
    anchor_lang::prelude::*,
};

/// What a deposit did.
#[derive(Clone, Copy, Debug)]
pub struct Deposited {
    pub amounts: AddLiquidityAmounts,
    /// The pool's AUM the LP was priced against (max prices, before the deposit), USD.
    pub aum_max_usd: u128,
    /// The pool's AUM after the deposit (min prices), USD: the new `pool.aum_usd`.
    pub pool_aum_usd: u128,
    /// The LP supply (dead shares included) before the deposit.
    pub lp_supply: u64,
    /// `custody.assets.owned` after the deposit.
    pub custody_owned: u64,
}

/// Deposits `amount_in` tokens of `custody` (valued at `valuation.min_price`): LP issued against
/// the pool valued high (max prices, rounded up), at least `min_lp_amount_out` (else
/// SlippageExceeded); the custody's owned, protocol fees and fee statistic, its borrow rate, the
/// pool's AUM snapshot, last deposit slot and dead supply. `lp_mint_supply` is the LP mint's
/// supply; `slot` the current slot.
pub fn apply_deposit(
    pool: &mut Pool,
    custody: &mut Custody,
    valuation: LiquidityValuation,
    lp_mint_supply: u64,
    amount_in: u64,
    min_lp_amount_out: u64,
    slot: u64,
) -> Result<Deposited> {
    let LiquidityValuation {
        min_price,
        max_price: _,
        mut valuations,
        custody_index,
    } = valuation;
    let aum_max_usd = assets_under_management_usd(&valuations, AumMode::Max)?;
    let lp_supply = pool.lp_supply(lp_mint_supply)?;
    let amounts = compute_add_liquidity(
        amount_in,
        custody.decimals,
        min_price,
        aum_max_usd,
        lp_supply,
        custody.fees.add_liquidity_bps,
        custody.fees.protocol_share_bps,
    )?;
    validate!(
        amounts.lp_amount_out >= min_lp_amount_out,
        PerpPoolError::SlippageExceeded
    )?;
    // Statistics only: the fee valued like the deposit (min price, floor).
    let fee_usd: u64 =
        cast(min_price.token_to_usd(amounts.fee_amount, custody.decimals, Rounding::Floor)?)?;

    let assets = &mut custody.assets;
    assets.owned = assets.owned.safe_add(amounts.owned_increase)?;
    assets.protocol_fees = assets.protocol_fees.safe_add(amounts.protocol_fee_amount)?;
    let stat = &mut custody.collected_fees.add_liquidity_usd;
    *stat = stat.safe_add(fee_usd)?;
    custody.update_borrow_rate()?;
    let custody_owned = custody.assets.owned;
    let pool_aum_usd = aum_with_owned(&mut valuations, custody_index, custody_owned)?;
    pool.aum_usd = pool_aum_usd;
    pool.last_add_liquidity_slot = slot;
    pool.dead_lp_supply = pool.dead_lp_supply.safe_add(amounts.dead_lp_amount)?;
    Ok(Deposited {
        amounts,
        aum_max_usd,
        pool_aum_usd,
        lp_supply,
        custody_owned,
    })
}

/// What a withdrawal did.
#[derive(Clone, Copy, Debug)]
pub struct Withdrawn {
    pub amounts: RemoveLiquidityAmounts,
    /// The pool's AUM the LP was redeemed against (min prices, before the withdrawal), USD.
    pub aum_min_usd: u128,
    /// The pool's AUM after the withdrawal (min prices), USD: the new `pool.aum_usd`.
    pub pool_aum_usd: u128,
    /// The LP supply (dead shares included) before the withdrawal.
    pub lp_supply: u64,
    /// `custody.assets.owned` after the withdrawal.
    pub custody_owned: u64,
}

/// Redeems `lp_amount_in` LP for tokens of `custody` (at `valuation.max_price`): against the pool
/// valued low (min prices, rounded down), at least `min_amount_out` (else SlippageExceeded) and
/// at most what the custody has unlocked; the custody's owned, protocol fees and fee statistic,
/// its borrow rate and the pool's AUM snapshot.
pub fn apply_withdrawal(
    pool: &mut Pool,
    custody: &mut Custody,
    valuation: LiquidityValuation,
    lp_mint_supply: u64,
    lp_amount_in: u64,
    min_amount_out: u64,
) -> Result<Withdrawn> {
    let LiquidityValuation {
        min_price: _,
        max_price,
        mut valuations,
        custody_index,
    } = valuation;
    let aum_min_usd = assets_under_management_usd(&valuations, AumMode::Min)?;
    let lp_supply = pool.lp_supply(lp_mint_supply)?;
    let amounts = compute_remove_liquidity(
        lp_amount_in,
        aum_min_usd,
        lp_supply,
        custody.decimals,
        max_price,
        custody.available_amount()?,
        custody.fees.remove_liquidity_bps,
        custody.fees.protocol_share_bps,
    )?;
    validate!(
        amounts.amount_out >= min_amount_out,
        PerpPoolError::SlippageExceeded
    )?;
    // Statistics only: the fee valued like the payout (max price, floor).
    let fee_usd: u64 =
        cast(max_price.token_to_usd(amounts.fee_amount, custody.decimals, Rounding::Floor)?)?;

    let assets = &mut custody.assets;
    assets.owned = assets.owned.safe_sub(amounts.owned_decrease)?;
    assets.protocol_fees = assets.protocol_fees.safe_add(amounts.protocol_fee_amount)?;
    let stat = &mut custody.collected_fees.remove_liquidity_usd;
    *stat = stat.safe_add(fee_usd)?;
    custody.update_borrow_rate()?;
    let custody_owned = custody.assets.owned;
    let pool_aum_usd = aum_with_owned(&mut valuations, custody_index, custody_owned)?;
    pool.aum_usd = pool_aum_usd;
    Ok(Withdrawn {
        amounts,
        aum_min_usd,
        pool_aum_usd,
        lp_supply,
        custody_owned,
    })
}

/// The pool's min-mode AUM once the changed custody's `owned` is `owned`.
fn aum_with_owned(
    valuations: &mut [CustodyValuation],
    custody_index: usize,
    owned: u64,
) -> Result<u128> {
    if let Some(valuation) = valuations.get_mut(custody_index) {
        valuation.owned = owned;
    }
    assets_under_management_usd(valuations, AumMode::Min)
}
