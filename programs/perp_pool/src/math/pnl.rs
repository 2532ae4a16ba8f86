//! Position PnL, health (equity, leverage, the liquidatable predicate), the liquidation price and
//! the markets' aggregate unrealised PnL (docs/design.md "PnL"). All USD values USD_DECIMALS,
//! prices PRICE_DECIMALS. Profit rounds down and loss rounds up: against the trader.

use {
    super::{
        pricing::exit_price_at,
        safe_math::{cast, mul_div, pow10, Rounding, SafeMath},
    },
    crate::{
        constants::{BPS_POWER, PRICE_DECIMALS},
        errors::PerpPoolError,
        state::position::Side,
    },
    anchor_lang::prelude::*,
};

/// Highest oracle price (PRICE_DECIMALS) the liquidation-price search considers: at most
/// u64::MAX / 2 so a short's exit price (below twice the oracle price, spread < 100 %) fits u64.
pub const LIQUIDATION_PRICE_SEARCH_MAX: u64 = u64::MAX / 2;

/// Quantity of the traded token (QUANTITY_DECIMALS) of `size_usd` at `price`:
/// `floor(size_usd * 10^PRICE_DECIMALS / price)`. Errors: MathOverflow if `price == 0`.
pub fn position_quantity(size_usd: u64, price: u64) -> Result<u128> {
    mul_div(
        u128::from(size_usd),
        pow10(u32::from(PRICE_DECIMALS))?,
        u128::from(price),
        Rounding::Floor,
    )
}

/// Profit and loss, USD; at most one is non-zero.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProfitAndLoss {
    pub profit_usd: u64,
    pub loss_usd: u64,
}

/// Uncapped PnL of `size_usd` entered at `entry_price` and exited at `exit_price`.
/// Long: exit >= entry ? profit = floor(size * (exit - entry) / entry)
///                     : loss = ceil(size * (entry - exit) / entry); short mirrored.
/// A value above u64::MAX saturates to u64::MAX.
/// Errors: MathOverflow if `entry_price == 0`.
pub fn position_pnl(
    side: Side,
    entry_price: u64,
    exit_price: u64,
    size_usd: u64,
) -> Result<ProfitAndLoss> {
    require!(entry_price > 0, PerpPoolError::MathOverflow);
    let gains = match side {
        Side::Long => exit_price >= entry_price,
        Side::Short => exit_price <= entry_price,
    };
    let diff = entry_price.abs_diff(exit_price);
    let rounding = if gains {
        Rounding::Floor
    } else {
        Rounding::Ceil
    };
    // Saturates: only a long's profit or a short's loss at an absurd exit price exceeds u64,
    // and the profit is capped while such a loss wipes out any equity anyway.
    let amount = u64::try_from(mul_div(
        u128::from(size_usd),
        u128::from(diff),
        u128::from(entry_price),
        rounding,
    )?)
    .unwrap_or(u64::MAX);
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
    entry_price: u64,
    exit_price: u64,
    size_usd: u64,
    max_profit_usd: u64,
) -> Result<ProfitAndLoss> {
    let pnl = position_pnl(side, entry_price, exit_price, size_usd)?;
    Ok(ProfitAndLoss {
        profit_usd: pnl.profit_usd.min(max_profit_usd),
        loss_usd: pnl.loss_usd,
    })
}

/// Everything a position's health depends on except the exit price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthInputs {
    pub side: Side,
    /// PRICE_DECIMALS.
    pub entry_price: u64,
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
        inputs.entry_price,
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
    let liquidatable = |price: u64| -> Result<bool> {
        is_liquidatable(inputs, exit_price_at(inputs.side, price, spread_bps)?)
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

/// Unrealised PnL (USD, positive = traders gain) of all positions of one side of a market, from
/// its aggregates: long `quantity * price / 10^PRICE_DECIMALS - size`, short the opposite.
/// `trader_rounding` rounds the traders' PnL (Ceil: up, for the low AUM that redemptions use).
/// Clamped to `[-collateral_usd, floor(size * max_payoff_mult_bps / BPS_POWER)]`: traders cannot
/// lose more than their collateral nor gain more than their locked payoff (approximately: the
/// aggregate nets winners against losers).
pub fn aggregate_pnl_usd(
    side: Side,
    size_usd: u64,
    total_quantity: u128,
    collateral_usd: u64,
    price: u64,
    max_payoff_mult_bps: u64,
    trader_rounding: Rounding,
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
    let value: i128 = cast(mul_div(
        total_quantity,
        u128::from(price),
        pow10(u32::from(PRICE_DECIMALS))?,
        value_rounding,
    )?)?;
    let size = i128::from(size_usd);
    let pnl = match side {
        Side::Long => value.safe_sub(size)?,
        Side::Short => size.safe_sub(value)?,
    };
    let max_profit: i128 = cast(mul_div(
        u128::from(size_usd),
        u128::from(max_payoff_mult_bps),
        u128::from(BPS_POWER),
        Rounding::Floor,
    )?)?;
    let max_loss = i128::from(collateral_usd);
    Ok(pnl.min(max_profit).max(max_loss.safe_mul(-1)?))
}

#[cfg(test)]
mod tests;
