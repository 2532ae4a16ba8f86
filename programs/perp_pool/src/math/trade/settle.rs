//! Settling a position: decrease, close, close at cap and liquidation, and the waterfalls that
//! pay them out.

use {
    super::*,
    crate::math::{
        fees::{liquidation_fee_usd, liquidator_reward_usd},
        pnl::{against_trader_quantity, capped_pnl, position_pnl, ProfitAndLoss},
    },
};

/// How a pot of tokens (collateral taken + profit) is paid out, in priority order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Waterfall {
    /// Loss and interest, to the LPs (first claim).
    pub lp_paid: u64,
    /// Close or liquidation fee, split.
    pub fee_paid: u64,
    /// Liquidator reward (liquidation only), behind the LPs and the fee.
    pub reward_paid: u64,
    /// What is left: to the owner on a close, to the LPs on a liquidation.
    pub rest: u64,
}

/// Pays `lp_owed`, then `fee`, then `reward` out of `pot`, each as far as it goes.
pub fn waterfall(pot: u64, lp_owed: u64, fee: u64, reward: u64) -> Result<Waterfall> {
    let lp_paid = lp_owed.min(pot);
    let left = pot.safe_sub(lp_paid)?;
    let fee_paid = fee.min(left);
    let left = left.safe_sub(fee_paid)?;
    let reward_paid = reward.min(left);
    let rest = left.safe_sub(reward_paid)?;
    Ok(Waterfall {
        lp_paid,
        fee_paid,
        reward_paid,
        rest,
    })
}

/// A liquidation's waterfall: `lp_owed`, then the part of `fee` up to `fee_ahead` (the close
/// fee), then `reward`, then the rest of `fee`, out of `pot`, each as far as it goes. The reward
/// ranks behind a close fee's worth of the fee, so a self-liquidation never pays its owner more
/// than a close would, and ahead of the rest of the fee, so a keeper is paid as long as that is
/// possible.
pub fn liquidation_waterfall(
    pot: u64,
    lp_owed: u64,
    fee: u64,
    fee_ahead: u64,
    reward: u64,
) -> Result<Waterfall> {
    let lp_paid = lp_owed.min(pot);
    let left = pot.safe_sub(lp_paid)?;
    let fee_first = fee.min(fee_ahead).min(left);
    let left = left.safe_sub(fee_first)?;
    let reward_paid = reward.min(left);
    let left = left.safe_sub(reward_paid)?;
    let fee_last = fee.safe_sub(fee_first)?.min(left);
    Ok(Waterfall {
        lp_paid,
        fee_paid: fee_first.safe_add(fee_last)?,
        reward_paid,
        rest: left.safe_sub(fee_last)?,
    })
}

/// Settlement of a decrease, a close (size_delta = size) or a liquidation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SettlementAmounts {
    /// The whole position goes (close, liquidation).
    pub full: bool,
    pub size_delta_usd: u64,
    /// Locked tokens released: all on a full close, else floor(locked * delta / size).
    pub locked_delta: u64,
    /// Quantity given back: all on a full close, else `quantity * delta / size` rounded against
    /// the trader (long floor, short ceil).
    pub quantity_delta: u128,
    /// PnL on the size closed, profit capped at the released lock's value.
    pub pnl: ProfitAndLoss,
    /// Close fee (decrease/close) or liquidation fee (liquidation), USD.
    pub fee_usd: u64,
    /// Interest settled on the whole size, USD.
    pub interest_usd: u64,
    /// Liquidator reward owed, USD (liquidation only).
    pub reward_usd: u64,
    /// Owed amounts in tokens: profit (max price, floor), loss / fee / interest / reward (ceil).
    pub profit_amount: u64,
    pub loss_amount: u64,
    pub fee_amount: u64,
    pub interest_amount: u64,
    pub reward_amount: u64,
    /// What was actually paid out of collateral + profit.
    pub paid: Waterfall,
    pub fee_split: FeeSplit,
    /// Tokens leaving the position's collateral (and `assets.collateral`).
    pub collateral_taken: u64,
    /// Tokens sent to the owner (close/decrease; 0 on liquidation).
    pub amount_out: u64,
    /// Unpaid loss + interest covered by the insurance fund (moved to owned).
    pub insurance_draw: u64,
    /// Unpaid loss + interest nobody covered, tokens and USD (max price, ceil).
    pub bad_debt_amount: u64,
    pub bad_debt_usd: u64,
    /// `assets.owned` changes: += owned_in, -= owned_out (the profit).
    pub owned_in: u64,
    pub owned_out: u64,
    /// The position after a partial decrease (all 0 on a full close / liquidation).
    pub quantity: u128,
    pub size_usd: u64,
    pub collateral_amount: u64,
    pub collateral_usd: u64,
    pub locked_amount: u64,
}

/// `quantity * part / whole` (part <= whole), rounded as asked, without the u128 overflow of the
/// plain product: with `quantity = a * whole + b` (b < whole), the result is `a * part +
/// round(b * part / whole)`, and `b * part < whole * part <= u64::MAX^2` fits u128. Positions of
/// 10^20+ quantity units (large sizes in tokens priced near 10^-9 USD) need it.
pub fn proportional_quantity(
    quantity: u128,
    part: u64,
    whole: u64,
    rounding: Rounding,
) -> Result<u128> {
    let whole_wide = u128::from(whole);
    let a = quantity.safe_div(whole_wide)?;
    let b = quantity.safe_sub(a.safe_mul(whole_wide)?)?;
    a.safe_mul(u128::from(part))?
        .safe_add(mul_div(b, u128::from(part), whole_wide, rounding)?)
}

fn proportional(amount: u64, part: u64, whole: u64) -> Result<u64> {
    cast(mul_div(
        u128::from(amount),
        u128::from(part),
        u128::from(whole),
        Rounding::Floor,
    )?)
}

/// Closing `size_delta_usd` of `position` at `exit_price` (PRICE_DECIMALS), settling
/// `interest_usd` (all interest owed) and the close fee. The proportional share of collateral
/// (floor) plus the capped profit pays loss + interest, then the fee; the owner gets the rest.
/// A partial decrease whose share falls short takes the difference from the remaining collateral
/// and must leave a position that is not liquidatable; a full close that falls short pays what it
/// can (LPs first), the insurance fund covers the unpaid loss + interest, the rest is bad debt.
/// A partial decrease gives back `quantity * delta / size` rounded against the trader, and must
/// give back and leave a positive quantity (else NoExposureChange): with the quantity conserved
/// across pieces, a decrease followed by a close never pays more than one close.
/// Errors, in order: ZeroAmount; InvalidPositionState (delta > size); NoExposureChange;
/// InsufficientCollateral (partial: the remaining collateral cannot cover what is owed);
/// MaxLeverageExceeded (partial: the remaining position would be liquidatable).
#[allow(clippy::too_many_arguments)]
pub fn compute_decrease_position(
    position: &PositionState,
    size_delta_usd: u64,
    exit_price: u64,
    interest_usd: u64,
    insurance_fund: u64,
    collateral: &CollateralCustody,
    market: &Market,
) -> Result<SettlementAmounts> {
    require!(size_delta_usd > 0, PerpPoolError::ZeroAmount);
    require!(
        size_delta_usd <= position.size_usd,
        PerpPoolError::InvalidPositionState
    );
    let full = size_delta_usd == position.size_usd;
    let quantity_delta = if full {
        position.quantity
    } else {
        let delta = proportional_quantity(
            position.quantity,
            size_delta_usd,
            position.size_usd,
            against_trader_quantity(position.side),
        )?;
        require!(
            delta > 0 && delta < position.quantity,
            PerpPoolError::NoExposureChange
        );
        delta
    };
    let (locked_delta, collateral_delta) = if full {
        (position.locked_amount, position.collateral_amount)
    } else {
        (
            proportional(position.locked_amount, size_delta_usd, position.size_usd)?,
            proportional(
                position.collateral_amount,
                size_delta_usd,
                position.size_usd,
            )?,
        )
    };
    let pnl = capped_pnl(
        position.side,
        quantity_delta,
        exit_price,
        size_delta_usd,
        collateral.value_usd(locked_delta)?,
    )?;
    let fee_usd = close_position_fee_usd(size_delta_usd, market.fees.close_position_bps)?;
    let mut out = SettlementAmounts {
        full,
        size_delta_usd,
        locked_delta,
        quantity_delta,
        pnl,
        fee_usd,
        interest_usd,
        profit_amount: collateral.paid_tokens(pnl.profit_usd)?,
        loss_amount: collateral.owed_tokens(pnl.loss_usd)?,
        fee_amount: collateral.owed_tokens(fee_usd)?,
        interest_amount: collateral.owed_tokens(interest_usd)?,
        ..SettlementAmounts::default()
    };
    let lp_owed = out.loss_amount.safe_add(out.interest_amount)?;
    let pot = collateral_delta.safe_add(out.profit_amount)?;
    if full {
        out.paid = waterfall(pot, lp_owed, out.fee_amount, 0)?;
        out.collateral_taken = collateral_delta;
        out.amount_out = out.paid.rest;
        settle_shortfall(&mut out, lp_owed, insurance_fund, collateral)?;
    } else {
        let owed = lp_owed.safe_add(out.fee_amount)?;
        let extra = owed.saturating_sub(pot);
        let remaining = position.collateral_amount.safe_sub(collateral_delta)?;
        require!(extra < remaining, PerpPoolError::InsufficientCollateral);
        out.collateral_taken = collateral_delta.safe_add(extra)?;
        out.paid = Waterfall {
            lp_paid: lp_owed,
            fee_paid: out.fee_amount,
            reward_paid: 0,
            rest: pot.safe_add(extra)?.safe_sub(owed)?,
        };
        out.amount_out = out.paid.rest;
        out.size_usd = position.size_usd.safe_sub(size_delta_usd)?;
        out.quantity = position.quantity.safe_sub(quantity_delta)?;
        out.collateral_amount = position.collateral_amount.safe_sub(out.collateral_taken)?;
        out.collateral_usd = collateral.value_usd(out.collateral_amount)?;
        out.locked_amount = position.locked_amount.safe_sub(locked_delta)?;
        let remaining = PositionState {
            quantity: out.quantity,
            size_usd: out.size_usd,
            collateral_amount: out.collateral_amount,
            locked_amount: out.locked_amount,
            ..*position
        };
        // Interest is settled, so the remaining position owes none yet.
        let health = health_inputs(&remaining, 0, collateral, market)?;
        require!(
            !is_liquidatable(&health, exit_price)?,
            PerpPoolError::MaxLeverageExceeded
        );
    }
    out.fee_split = collateral.split(out.paid.fee_paid)?;
    out.owned_in = out
        .paid
        .lp_paid
        .safe_add(out.fee_split.lp)?
        .safe_add(out.insurance_draw)?;
    out.owned_out = out.profit_amount;
    Ok(out)
}

fn settle_shortfall(
    out: &mut SettlementAmounts,
    lp_owed: u64,
    insurance_fund: u64,
    collateral: &CollateralCustody,
) -> Result<()> {
    let shortfall = lp_owed.safe_sub(out.paid.lp_paid)?;
    out.insurance_draw = shortfall.min(insurance_fund);
    out.bad_debt_amount = shortfall.safe_sub(out.insurance_draw)?;
    out.bad_debt_usd = cast(collateral.max_price.token_to_usd(
        out.bad_debt_amount,
        collateral.decimals,
        Rounding::Ceil,
    )?)?;
    Ok(())
}

/// Liquidating `position` at `exit_price`: the whole collateral plus the capped profit pays, in
/// order (`liquidation_waterfall`), loss + interest (LPs), a close fee's worth of the liquidation
/// fee, the liquidator's reward (`ceil(size * liquidator_reward_bps / BPS)` USD, in tokens at the
/// max price, ceil), the rest of the liquidation fee (the fee is split); whatever is left goes to
/// the LPs. Unpaid loss + interest draws the insurance fund, the rest is bad debt.
/// The reward ranks BEHIND the LPs' loss recovery: an underwater position pays no reward, so its
/// owner cannot self-liquidate to recover the reward out of what the LPs lose. It also ranks
/// behind a close fee's worth of the liquidation fee (the liquidation fee is never taken below the
/// close fee): with E what the LPs' claim leaves, an owner liquidating itself gets at most
/// `max(0, E - close fee)`, what a close pays it; and ahead of the rest of the fee, so a keeper
/// is paid whenever E covers the close fee and the reward.
/// Errors: PositionHealthy if the position is not liquidatable at `exit_price`.
pub fn compute_liquidation(
    position: &PositionState,
    exit_price: u64,
    interest_usd: u64,
    insurance_fund: u64,
    collateral: &CollateralCustody,
    market: &Market,
) -> Result<SettlementAmounts> {
    let health = health_inputs(position, interest_usd, collateral, market)?;
    require!(
        is_liquidatable(&health, exit_price)?,
        PerpPoolError::PositionHealthy
    );
    let pnl = capped_pnl(
        position.side,
        position.quantity,
        exit_price,
        position.size_usd,
        health.max_profit_usd,
    )?;
    // Never below the close fee, even on a custody configured before `Fees::validate` required
    // it: a liquidation must not be a cheaper way out than a close.
    let close_fee_usd = close_position_fee_usd(position.size_usd, market.fees.close_position_bps)?;
    let fee_usd =
        liquidation_fee_usd(position.size_usd, market.fees.liquidation_bps)?.max(close_fee_usd);
    let reward_usd = liquidator_reward_usd(position.size_usd, market.fees.liquidator_reward_bps)?;
    let mut out = SettlementAmounts {
        full: true,
        size_delta_usd: position.size_usd,
        locked_delta: position.locked_amount,
        quantity_delta: position.quantity,
        pnl,
        fee_usd,
        interest_usd,
        reward_usd,
        profit_amount: collateral.paid_tokens(pnl.profit_usd)?,
        loss_amount: collateral.owed_tokens(pnl.loss_usd)?,
        fee_amount: collateral.owed_tokens(fee_usd)?,
        interest_amount: collateral.owed_tokens(interest_usd)?,
        reward_amount: collateral.owed_tokens(reward_usd)?,
        collateral_taken: position.collateral_amount,
        ..SettlementAmounts::default()
    };
    let lp_owed = out.loss_amount.safe_add(out.interest_amount)?;
    let pot = position.collateral_amount.safe_add(out.profit_amount)?;
    let fee_ahead = collateral.owed_tokens(close_fee_usd)?;
    out.paid = liquidation_waterfall(pot, lp_owed, out.fee_amount, fee_ahead, out.reward_amount)?;
    settle_shortfall(&mut out, lp_owed, insurance_fund, collateral)?;
    out.fee_split = collateral.split(out.paid.fee_paid)?;
    out.owned_in = out
        .paid
        .lp_paid
        .safe_add(out.fee_split.lp)?
        .safe_add(out.insurance_draw)?
        .safe_add(out.paid.rest)?;
    out.owned_out = out.profit_amount;
    Ok(out)
}

/// Whether `position`'s UNCAPPED profit at `exit_price` is at least its payoff cap valued HIGH:
/// its locked tokens at the collateral's MAX price, ceil (a settlement caps the profit at the min
/// price; valuing the cap high here means a dip of the collateral's price below its EMA cannot
/// make a position that is not capped at par closable by a stranger). A position with no profit
/// is never capped (a cap that rounds to 0 must not let anyone close a losing position).
pub fn is_capped(
    position: &PositionState,
    exit_price: u64,
    collateral: &CollateralCustody,
) -> Result<bool> {
    let pnl = position_pnl(
        position.side,
        position.quantity,
        exit_price,
        position.size_usd,
    )?;
    let cap_high = collateral.max_price.token_to_usd(
        position.locked_amount,
        collateral.decimals,
        Rounding::Ceil,
    )?;
    Ok(pnl.profit_usd > 0 && u128::from(pnl.profit_usd) >= cap_high)
}

/// `close_capped_position`: the full close of a capped position (`is_capped`, else
/// PositionNotCapped) at `exit_price`, settled exactly as `compute_decrease_position` with the
/// whole size, except that the keeper's reward (`liquidator_reward_usd(size,
/// liquidator_reward_bps)` in tokens at the max price, ceil) is taken out of what the owner
/// would receive, and never more than the profit paid: `reward_paid = min(reward_amount, owner's
/// amount, profit_amount)` (so a forced close never leaves a winning trader below its
/// collateral), `amount_out` is the rest.
/// The LPs' claim, the fee and every custody change are those of the close.
pub fn compute_close_capped_position(
    position: &PositionState,
    exit_price: u64,
    interest_usd: u64,
    insurance_fund: u64,
    collateral: &CollateralCustody,
    market: &Market,
) -> Result<SettlementAmounts> {
    require!(
        is_capped(position, exit_price, collateral)?,
        PerpPoolError::PositionNotCapped
    );
    let mut out = compute_decrease_position(
        position,
        position.size_usd,
        exit_price,
        interest_usd,
        insurance_fund,
        collateral,
        market,
    )?;
    out.reward_usd = liquidator_reward_usd(position.size_usd, market.fees.liquidator_reward_bps)?;
    out.reward_amount = collateral.owed_tokens(out.reward_usd)?;
    let reward_paid = out.reward_amount.min(out.amount_out).min(out.profit_amount);
    out.paid.reward_paid = reward_paid;
    out.paid.rest = out.paid.rest.safe_sub(reward_paid)?;
    out.amount_out = out.amount_out.safe_sub(reward_paid)?;
    Ok(out)
}
