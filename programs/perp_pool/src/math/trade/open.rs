//! Opening a position and adding size to it.

use {
    super::*,
    crate::math::{
        fees::open_fee_bps,
        pnl::{average_entry_price, entry_quantity},
        skew::{check_net_exposure, signed_size, skew_open_fee, SkewFee},
    },
};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenPositionAmounts {
    /// Tokens locked in the collateral custody.
    pub locked_amount: u64,
    /// Collateral custody utilisation after the lock, RATE_DECIMALS.
    pub utilization_after: u64,
    pub fee_usd: u64,
    /// fee_usd in tokens (max price, ceil), taken from the deposited collateral.
    pub fee_amount: u64,
    pub fee_split: FeeSplit,
    /// Position collateral: collateral_in - fee_amount.
    pub collateral_amount: u64,
    /// collateral_amount at the min price (floor).
    pub collateral_usd: u64,
    /// Size in the traded token at the entry price, rounded against the trader.
    pub quantity: u128,
    /// How `fee_usd` was made: base, skew premium, skew discount.
    pub skew_fee: SkewFee,
}

/// Opening a `side` position of `size_usd` at `entry_price` with `collateral_in` tokens (the open
/// fee is taken from them). Besides the leverage on collateral, the opened position must be
/// within the market's max INITIAL leverage at `exit_price` (the side's exit price now) with
/// unrealised profit not counted (collateral - loss - close fee, as after an increase), so a
/// spread (or a spot/EMA gap) cannot open a position that is liquidatable at once.
/// Errors, in order: ZeroAmount; NoExposureChange (the size buys no quantity unit);
/// MaxPositionSizeExceeded; NetExposureLimitExceeded; the `check_lock` errors; InsufficientCollateral (fee >=
/// collateral_in); MaxLeverageExceeded (leverage on collateral); MaxLeverageExceeded (not within
/// the initial leverage at `exit_price`); MinLeverageNotMet.
pub fn compute_open_position(
    side: Side,
    size_usd: u64,
    entry_price: u64,
    exit_price: u64,
    collateral_in: u64,
    collateral: &CollateralCustody,
    market: &Market,
) -> Result<OpenPositionAmounts> {
    require!(size_usd > 0 && collateral_in > 0, PerpPoolError::ZeroAmount);
    let quantity = entry_quantity(side, size_usd, entry_price)?;
    require!(quantity > 0, PerpPoolError::NoExposureChange);
    require!(
        market.pricing.max_position_size_usd == 0
            || size_usd <= market.pricing.max_position_size_usd,
        PerpPoolError::MaxPositionSizeExceeded
    );
    check_skew_cap(side, size_usd, market)?;
    let locked_amount =
        locked_amount_for(size_usd, market.pricing.max_payoff_mult_bps, collateral)?;
    let utilization_after = collateral.check_lock(locked_amount)?;
    let skew_fee = open_fee_with_skew(side, size_usd, utilization_after, collateral, market)?;
    let fee_usd = skew_fee.fee_usd;
    let fee_amount = collateral.owed_tokens(fee_usd)?;
    require!(
        fee_amount < collateral_in,
        PerpPoolError::InsufficientCollateral
    );
    let collateral_amount = collateral_in.safe_sub(fee_amount)?;
    let collateral_usd = collateral.value_usd(collateral_amount)?;
    require!(
        leverage_within(
            size_usd,
            collateral_usd,
            market.pricing.max_initial_leverage_bps
        )?,
        PerpPoolError::MaxLeverageExceeded
    );
    require!(
        within_initial_leverage(
            &PositionState {
                side,
                quantity,
                size_usd,
                collateral_amount,
                locked_amount,
            },
            exit_price,
            0,
            collateral,
            market,
        )?,
        PerpPoolError::MaxLeverageExceeded
    );
    check_min_leverage(size_usd, collateral_usd, market)?;
    Ok(OpenPositionAmounts {
        locked_amount,
        utilization_after,
        fee_usd,
        skew_fee,
        fee_amount,
        fee_split: collateral.split(fee_amount)?,
        collateral_amount,
        collateral_usd,
        quantity,
    })
}

/// The market's net exposure cap (`math::skew::check_net_exposure`) for a `side` trade of
/// `size_usd`. Errors: NetExposureLimitExceeded.
fn check_skew_cap(side: Side, size_usd: u64, market: &Market) -> Result<()> {
    let net_before = market.skew.net_usd;
    check_net_exposure(
        net_before,
        net_before.safe_add(signed_size(side, size_usd))?,
        market.skew.aum_usd,
        &market.skew.params,
    )
}

/// The open fee of a `side` trade of `size_usd` leaving the collateral custody at
/// `utilization_after`: the utilisation-scaled rate (`open_fee_bps`) with the skew premium or
/// discount (`skew_open_fee`; without skew parameters exactly `open_position_fee_usd`).
pub fn open_fee_with_skew(
    side: Side,
    size_usd: u64,
    utilization_after: u64,
    collateral: &CollateralCustody,
    market: &Market,
) -> Result<SkewFee> {
    let fee_bps = open_fee_bps(
        market.fees.open_position_bps,
        utilization_after,
        collateral.borrow_rate.optimal_utilization,
    )?;
    skew_open_fee(
        side,
        size_usd,
        fee_bps,
        market.skew.net_usd,
        market.skew.aum_usd,
        &market.skew.params,
    )
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IncreasePositionAmounts {
    /// Extra tokens locked.
    pub locked_delta: u64,
    pub utilization_after: u64,
    /// Open fee on the added size.
    pub fee_usd: u64,
    pub fee_amount: u64,
    pub fee_split: FeeSplit,
    /// Interest settled (on the size before the increase), USD and tokens (to the LPs).
    pub interest_usd: u64,
    pub interest_amount: u64,
    /// Quantity added at the entry price, rounded against the trader.
    pub quantity_delta: u128,
    /// The position after the increase (`price` its average entry, informational).
    pub price: u64,
    pub quantity: u128,
    pub size_usd: u64,
    pub collateral_amount: u64,
    pub collateral_usd: u64,
    pub locked_amount: u64,
    /// How `fee_usd` was made: base, skew premium, skew discount.
    pub skew_fee: SkewFee,
}

/// Adding `size_delta_usd` at `entry_price` and `collateral_in` tokens (may be 0) to `position`,
/// settling `interest_usd` owed so far. The added quantity is `entry_quantity` (rounded against
/// the trader) and must be positive: an increase that adds no exposure cannot move the position's
/// average entry. The position after the increase must be healthy at the market's max INITIAL
/// leverage at `exit_price` with unrealised profit not counted (collateral - loss - close fee on
/// the new size), so a liquidatable position cannot be increased.
/// Errors, in order: ZeroAmount (size delta 0); NoExposureChange; MaxPositionSizeExceeded (new
/// size); NetExposureLimitExceeded; the `check_lock` errors; InsufficientCollateral (fee + interest >= collateral after the
/// deposit); MaxLeverageExceeded.
#[allow(clippy::too_many_arguments)]
pub fn compute_increase_position(
    position: &PositionState,
    size_delta_usd: u64,
    collateral_in: u64,
    entry_price: u64,
    exit_price: u64,
    interest_usd: u64,
    collateral: &CollateralCustody,
    market: &Market,
) -> Result<IncreasePositionAmounts> {
    require!(size_delta_usd > 0, PerpPoolError::ZeroAmount);
    let quantity_delta = entry_quantity(position.side, size_delta_usd, entry_price)?;
    require!(quantity_delta > 0, PerpPoolError::NoExposureChange);
    let size_usd = position.size_usd.safe_add(size_delta_usd)?;
    require!(
        market.pricing.max_position_size_usd == 0
            || size_usd <= market.pricing.max_position_size_usd,
        PerpPoolError::MaxPositionSizeExceeded
    );
    check_skew_cap(position.side, size_delta_usd, market)?;
    let locked_delta = locked_amount_for(
        size_delta_usd,
        market.pricing.max_payoff_mult_bps,
        collateral,
    )?;
    let utilization_after = collateral.check_lock(locked_delta)?;
    let skew_fee = open_fee_with_skew(
        position.side,
        size_delta_usd,
        utilization_after,
        collateral,
        market,
    )?;
    let fee_usd = skew_fee.fee_usd;
    let fee_amount = collateral.owed_tokens(fee_usd)?;
    let interest_amount = collateral.owed_tokens(interest_usd)?;
    let total = position.collateral_amount.safe_add(collateral_in)?;
    let owed = fee_amount.safe_add(interest_amount)?;
    require!(owed < total, PerpPoolError::InsufficientCollateral);
    let collateral_amount = total.safe_sub(owed)?;
    let collateral_usd = collateral.value_usd(collateral_amount)?;
    // The open's minimum leverage holds after an increase too: else a 1 USD increase with a
    // large `collateral_in` would place a bankruptcy threshold anywhere below the entry (the
    // exposure-book spacer of "LP capital safety"; review finding F2 of the asset-backed longs).
    check_min_leverage(size_usd, collateral_usd, market)?;

    let quantity = position.quantity.safe_add(quantity_delta)?;
    let price = average_entry_price(position.side, size_usd, quantity)?;
    let locked_amount = position.locked_amount.safe_add(locked_delta)?;
    require!(
        within_initial_leverage(
            &PositionState {
                side: position.side,
                quantity,
                size_usd,
                collateral_amount,
                locked_amount,
            },
            exit_price,
            0,
            collateral,
            market,
        )?,
        PerpPoolError::MaxLeverageExceeded
    );
    Ok(IncreasePositionAmounts {
        locked_delta,
        utilization_after,
        fee_usd,
        skew_fee,
        fee_amount,
        fee_split: collateral.split(fee_amount)?,
        interest_usd,
        interest_amount,
        quantity_delta,
        price,
        quantity,
        size_usd,
        collateral_amount,
        collateral_usd,
        locked_amount,
    })
}
