//! Position PnL, health (equity, leverage, the liquidatable predicate), the liquidation price and
//! the markets' aggregate unrealised PnL (docs/design.md "PnL"). All USD values USD_DECIMALS,
//! prices PRICE_DECIMALS. Profit rounds down and loss rounds up: against the trader.

use {
    super::{
        backing::TokenBacking,
        pricing::exit_price_at,
        safe_math::{cast, mul_div, pow10, Rounding, SafeMath},
    },
    crate::{
        constants::{BPS_POWER, PRICE_DECIMALS, QUANTITY_DECIMALS, USD_DECIMALS},
        types::Side,
    },
    anchor_lang::prelude::*,
};

/// Highest oracle price (PRICE_DECIMALS) the liquidation-price search considers (about
/// 9.2 x 10^9 USD): at most u64::MAX / 2 so a short's exit price (below twice the oracle price,
/// spread < 100 %) fits u64.
pub const LIQUIDATION_PRICE_SEARCH_MAX: u64 = u64::MAX / 2;

/// `10^(QUANTITY_DECIMALS + PRICE_DECIMALS - USD_DECIMALS)`: quantity x price / this = USD.
pub fn quantity_scale() -> Result<u128> {
    pow10(
        u32::from(QUANTITY_DECIMALS)
            .safe_add(u32::from(PRICE_DECIMALS))?
            .safe_sub(u32::from(USD_DECIMALS))?,
    )
}

/// Quantity of the traded token (QUANTITY_DECIMALS) bought (long) or sold (short) for
/// `size_usd` at `price` (PRICE_DECIMALS), rounded against the trader: a long gets
/// `floor(size * scale / price)`, a short owes `ceil(size * scale / price)`. Either way a
/// rounding makes the position's PnL lower at every exit price.
/// Errors: MathOverflow if `price == 0` or the quantity does not fit u128.
pub fn entry_quantity(side: Side, size_usd: u64, price: u64) -> Result<u128> {
    mul_div(
        u128::from(size_usd),
        quantity_scale()?,
        u128::from(price),
        against_trader_quantity(side),
    )
}

/// The rounding of a quantity the trader takes on or gives back: long floor, short ceil.
pub fn against_trader_quantity(side: Side) -> Rounding {
    match side {
        Side::Long => Rounding::Floor,
        Side::Short => Rounding::Ceil,
    }
}

/// USD value of `quantity` at `price`: `quantity * price / scale`, rounded as asked.
pub fn quantity_value_usd(quantity: u128, price: u64, rounding: Rounding) -> Result<u128> {
    mul_div(quantity, u128::from(price), quantity_scale()?, rounding)
}

/// The average entry price (PRICE_DECIMALS) of `size_usd` holding `quantity`, for display and
/// events only (PnL is computed from the quantity): `size * scale / quantity`, long ceil, short
/// floor (never better than the exact value). Errors: MathOverflow if `quantity == 0` or the
/// price does not fit u64.
pub fn average_entry_price(side: Side, size_usd: u64, quantity: u128) -> Result<u64> {
    let rounding = match side {
        Side::Long => Rounding::Ceil,
        Side::Short => Rounding::Floor,
    };
    cast(mul_div(
        u128::from(size_usd),
        quantity_scale()?,
        quantity,
        rounding,
    )?)
}

/// Profit and loss, USD; at most one is non-zero.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProfitAndLoss {
    pub profit_usd: u64,
    pub loss_usd: u64,
}

/// Uncapped PnL of a position of `size_usd` holding `quantity`, exited at `exit_price`.
/// The quantity is valued against the trader: long `value = floor(quantity * exit / scale)`,
/// `pnl = value - size`; short `value = ceil(quantity * exit / scale)`, `pnl = size - value`.
/// A value whose product `quantity * exit` exceeds u128 is taken as u128::MAX, and a profit or
/// loss above u64::MAX saturates to u64::MAX: only a long's profit (capped anyway) or a short's
/// loss (which wipes out any equity) gets there, e.g. when the liquidation-price search tries
/// absurd prices for a position of billions of tokens.
pub fn position_pnl(
    side: Side,
    quantity: u128,
    exit_price: u64,
    size_usd: u64,
) -> Result<ProfitAndLoss> {
    let rounding = match side {
        Side::Long => Rounding::Floor,
        Side::Short => Rounding::Ceil,
    };
    let value = match quantity.checked_mul(u128::from(exit_price)) {
        Some(product) => mul_div(product, 1, quantity_scale()?, rounding)?,
        None => u128::MAX,
    };
    let size = u128::from(size_usd);
    let (gains, amount) = match side {
        Side::Long => (value >= size, value.abs_diff(size)),
        Side::Short => (value <= size, value.abs_diff(size)),
    };
    // Saturates: only a long's profit or a short's loss at an absurd exit price exceeds u64,
    // and the profit is capped while such a loss wipes out any equity anyway.
    let amount = u64::try_from(amount).unwrap_or(u64::MAX);
    Ok(if gains {
        ProfitAndLoss {
            profit_usd: amount,
            loss_usd: 0,
        }
    } else {
        ProfitAndLoss {
            profit_usd: 0,
            loss_usd: amount,
        }
    })
}

/// `position_pnl` with the profit capped at `max_profit_usd` (the USD value of the position's
/// locked tokens: the pool never pays more than it reserved).
pub fn capped_pnl(
    side: Side,
    quantity: u128,
    exit_price: u64,
    size_usd: u64,
    max_profit_usd: u64,
) -> Result<ProfitAndLoss> {
    let pnl = position_pnl(side, quantity, exit_price, size_usd)?;
    Ok(ProfitAndLoss {
        profit_usd: pnl.profit_usd.min(max_profit_usd),
        loss_usd: pnl.loss_usd,
    })
}

/// Everything a position's health depends on except the exit price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthInputs {
    pub side: Side,
    /// The position's quantity, QUANTITY_DECIMALS.
    pub quantity: u128,
    pub size_usd: u64,
    /// The collateral tokens at the collateral custody's current min price (floor).
    pub collateral_usd: u64,
    /// Profit cap: locked tokens at the collateral custody's min price (floor).
    pub max_profit_usd: u64,
    /// Close fee on the whole size.
    pub close_fee_usd: u64,
    /// Borrow interest owed now.
    pub interest_usd: u64,
    /// Maintenance leverage, BPS.
    pub max_leverage_bps: u64,
}

/// `collateral_usd + profit - loss - close_fee - interest` at `exit_price` (may be negative).
pub fn equity_usd(inputs: &HealthInputs, exit_price: u64) -> Result<i128> {
    let pnl = capped_pnl(
        inputs.side,
        inputs.quantity,
        exit_price,
        inputs.size_usd,
        inputs.max_profit_usd,
    )?;
    i128::from(inputs.collateral_usd)
        .safe_add(i128::from(pnl.profit_usd))?
        .safe_sub(i128::from(pnl.loss_usd))?
        .safe_sub(i128::from(inputs.close_fee_usd))?
        .safe_sub(i128::from(inputs.interest_usd))
}

/// Liquidatable iff `equity <= 0` or `size * BPS_POWER > equity * max_leverage_bps`.
pub fn is_liquidatable(inputs: &HealthInputs, exit_price: u64) -> Result<bool> {
    let equity = equity_usd(inputs, exit_price)?;
    if equity <= 0 {
        return Ok(true);
    }
    let lhs = u128::from(inputs.size_usd).safe_mul(u128::from(BPS_POWER))?;
    let rhs = cast::<i128, u128>(equity)?.safe_mul(u128::from(inputs.max_leverage_bps))?;
    Ok(lhs > rhs)
}

/// Current leverage in BPS: `ceil(size * BPS_POWER / equity)`; u64::MAX when equity <= 0 or the
/// value does not fit.
pub fn leverage_bps(size_usd: u64, equity_usd: i128) -> Result<u64> {
    if equity_usd <= 0 {
        return Ok(u64::MAX);
    }
    let leverage = mul_div(
        u128::from(size_usd),
        u128::from(BPS_POWER),
        cast(equity_usd)?,
        Rounding::Ceil,
    )?;
    Ok(u64::try_from(leverage).unwrap_or(u64::MAX))
}

/// The oracle price (PRICE_DECIMALS, spot = EMA) at the liquidation boundary, by definition of
/// `is_liquidatable` at `exit_price_at(side, price, spread_bps)`:
/// - long: the LOWEST price in [0, LIQUIDATION_PRICE_SEARCH_MAX] at which the position is not
///   liquidatable (so it is liquidatable at price - 1). 0 if it survives even a zero price;
///   u64::MAX if it is liquidatable at every price.
/// - short: the HIGHEST such price (liquidatable at price + 1). LIQUIDATION_PRICE_SEARCH_MAX if
///   it survives every price; 0 if it is liquidatable at every price.
///
/// The predicate is monotone in the price, so the boundary is unique and any search finds it;
/// this one bisects (at most 64 evaluations).
pub fn liquidation_price(inputs: &HealthInputs, spread_bps: u64) -> Result<u64> {
    liquidation_price_backed(inputs, spread_bps, None)
}

/// `liquidation_price` of a position whose collateral and payoff cap are tokens of the traded
/// asset (`backing`, an asset-backed long: `math::backing`): at each trial oracle price they are
/// revalued at that price (the custody's min price there), so the collateral moves with the
/// price. Still monotone (a long's collateral, PnL and cap all rise with the price). `None`: the
/// fixed USD values of `inputs`.
pub fn liquidation_price_backed(
    inputs: &HealthInputs,
    spread_bps: u64,
    backing: Option<&TokenBacking>,
) -> Result<u64> {
    let liquidatable = |price: u64| -> Result<bool> {
        let exit = exit_price_at(inputs.side, price, spread_bps)?;
        match backing {
            Some(backing) => backing.is_liquidatable_at(inputs, price, exit),
            None => is_liquidatable(inputs, exit),
        }
    };
    let max = LIQUIDATION_PRICE_SEARCH_MAX;
    match inputs.side {
        Side::Long => {
            if !liquidatable(0)? {
                return Ok(0);
            }
            if liquidatable(max)? {
                return Ok(u64::MAX);
            }
            // Invariant: liquidatable(lo) && !liquidatable(hi).
            let (mut lo, mut hi) = (0u64, max);
            while hi.safe_sub(lo)? > 1 {
                let mid = lo.safe_add(hi.safe_sub(lo)?.safe_div(2)?)?;
                if liquidatable(mid)? {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            Ok(hi)
        }
        Side::Short => {
            if liquidatable(0)? {
                return Ok(0);
            }
            if !liquidatable(max)? {
                return Ok(max);
            }
            // Invariant: !liquidatable(lo) && liquidatable(hi).
            let (mut lo, mut hi) = (0u64, max);
            while hi.safe_sub(lo)? > 1 {
                let mid = lo.safe_add(hi.safe_sub(lo)?.safe_div(2)?)?;
                if liquidatable(mid)? {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            Ok(lo)
        }
    }
}

/// What the traders of one side of a market claim from the pool (USD, positive = traders gain),
/// from its aggregates: the PnL `quantity * price / scale - size` (long, the opposite short),
/// rounded by `trader_rounding` (Ceil: up, for the low AUM that redemptions use), minus
/// `profit_above_cap_usd` plus `bad_debt_usd` (upper bounds from the side's exposure books,
/// `math::exposure`: max mode passes the first and 0, min mode 0 and the second), clamped to
/// `[-collateral_usd, max_profit_usd]` (traders cannot lose more than their collateral nor gain
/// more than the payoff caps they registered, `PositionStats::max_profit_usd`, in total: the
/// caps of the positions, not the market's current multiplier, which the admin may lower; a side
/// with asset-backed positions passes bounds that include their tokens valued at `price`,
/// `math::backing::side_clamp_usd`). With the books the
/// result is a lower bound (max mode) or an upper bound (min mode) of `Σ clamp(x_i, -c_i, k_i)`
/// over the side's positions, up to the residuals stated in docs/design.md "Exposure books".
#[allow(clippy::too_many_arguments)]
pub fn aggregate_pnl_usd(
    side: Side,
    size_usd: u64,
    total_quantity: u128,
    collateral_usd: u128,
    price: u64,
    max_profit_usd: u128,
    trader_rounding: Rounding,
    profit_above_cap_usd: u128,
    bad_debt_usd: u128,
) -> Result<i128> {
    if size_usd == 0 && total_quantity == 0 {
        return Ok(0);
    }
    let opposite = match trader_rounding {
        Rounding::Floor => Rounding::Ceil,
        Rounding::Ceil => Rounding::Floor,
    };
    let value_rounding = match side {
        Side::Long => trader_rounding,
        Side::Short => opposite,
    };
    let value: i128 = cast(quantity_value_usd(total_quantity, price, value_rounding)?)?;
    let size = i128::from(size_usd);
    let pnl = match side {
        Side::Long => value.safe_sub(size)?,
        Side::Short => size.safe_sub(value)?,
    };
    let max_profit: i128 = cast(max_profit_usd)?;
    let max_loss: i128 = cast(collateral_usd)?;
    let bounded = pnl
        .safe_sub(cast(profit_above_cap_usd)?)?
        .safe_add(cast(bad_debt_usd)?)?;
    Ok(bounded.min(max_profit).max(max_loss.safe_mul(-1)?))
}

#[cfg(test)]
mod tests;
