//! LP deposit / redemption amounts, pool AUM and LP price: pure functions of integers
//! (docs/design.md "Liquidity"). Every division names its rounding, always in the pool's favour:
//! fees round up, amounts paid to a user round down, the pool is valued high when it issues LP
//! and low when it redeems LP.

use {
    super::{
        backing::side_clamp_usd,
        borrow::aggregate_interest_usd,
        oracle::OraclePrice,
        pnl::aggregate_pnl_usd,
        safe_math::{cast, mul_div, pow10, Rounding, SafeMath},
    },
    crate::{
        constants::{BPS_POWER, DEAD_LP_SUPPLY, LP_DECIMALS, USD_POWER},
        errors::PerpPoolError,
        types::Side,
    },
    anchor_lang::prelude::*,
};

/// One custody as the pool valuation sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustodyValuation {
    /// Tokens owned by the pool (base units), excluding protocol fees, collateral and the
    /// insurance fund.
    pub owned: u64,
    pub decimals: u8,
    pub min_price: OraclePrice,
    pub max_price: OraclePrice,
    /// Open positions on this custody and interest owed to it (all zero without positions).
    pub trading: TradingValuation,
}

/// The position aggregates of one custody that move its pool's AUM: the unrealised PnL of the
/// positions TRADING it (the pool is their counterparty) and the interest owed by the positions
/// BORROWING from it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TradingValuation {
    pub long_size_usd: u64,
    /// QUANTITY_DECIMALS.
    pub long_quantity: u128,
    pub long_collateral_usd: u64,
    pub short_size_usd: u64,
    pub short_quantity: u128,
    pub short_collateral_usd: u64,
    /// USD: Σ of the payoff caps the longs / shorts registered (`PositionStats::max_profit_usd`):
    /// each side's total profit is at most this.
    pub long_max_profit_usd: u128,
    pub short_max_profit_usd: u128,
    /// QUANTITY_DECIMALS: the asset-backed positions' collateral and locked tokens in quantity
    /// units (`PositionStats::collateral_quantity` / `max_profit_quantity`), valued at the side's
    /// price into its clamp (`math::backing::side_clamp_usd`).
    pub long_collateral_quantity: u128,
    pub long_max_profit_quantity: u128,
    pub short_collateral_quantity: u128,
    pub short_max_profit_quantity: u128,
    /// Σ size_usd of the positions borrowing from this custody.
    pub borrow_size_usd: u64,
    /// Σ size_usd * snapshot of those positions.
    pub interest_weighted: u128,
    /// The custody's cumulative interest index accrued to now (RATE_DECIMALS).
    pub cumulative_interest: u128,
    /// Upper bounds from the sides' exposure books (`math::exposure`), each at the price its mode
    /// values the side at (`side_price`): the longs' profit above their caps at the max-mode
    /// price, their bad debt at the min-mode price; the same for shorts.
    pub long_profit_above_cap_usd: u128,
    pub long_bad_debt_usd: u128,
    pub short_profit_above_cap_usd: u128,
    pub short_bad_debt_usd: u128,
    /// The market's borrow-premium indexes accrued to now and the sides' Σ size × snapshot
    /// (`math::skew`): the premium the longs / shorts owe the pool.
    pub long_premium_cumulative: u128,
    pub long_premium_weighted: u128,
    pub short_premium_cumulative: u128,
    pub short_premium_weighted: u128,
}

/// The price (PRICE_DECIMALS) at which `mode` values the traders of `side`, and the rounding of
/// their PnL: min mode (redemptions) at the price that favours traders (longs at the max price
/// rounded up, shorts at the min price rounded down) with their PnL rounded up; max mode the
/// opposite.
pub fn side_price(
    side: Side,
    mode: AumMode,
    min_price: OraclePrice,
    max_price: OraclePrice,
) -> Result<(u64, Rounding)> {
    Ok(match (side, mode) {
        (Side::Long, AumMode::Min) => (
            max_price.scale_to_price_decimals(Rounding::Ceil)?,
            Rounding::Ceil,
        ),
        (Side::Long, AumMode::Max) => (
            min_price.scale_to_price_decimals(Rounding::Floor)?,
            Rounding::Floor,
        ),
        (Side::Short, AumMode::Min) => (
            min_price.scale_to_price_decimals(Rounding::Floor)?,
            Rounding::Ceil,
        ),
        (Side::Short, AumMode::Max) => (
            max_price.scale_to_price_decimals(Rounding::Ceil)?,
            Rounding::Floor,
        ),
    })
}

impl TradingValuation {
    /// USD the custody's positions and borrowers add to (or, when traders win, take from) the
    /// pool: accrued interest minus what the traders claim (`aggregate_pnl_usd` at `side_price`).
    /// Min mode values the pool low: traders' claim with their bad debt bound added, interest
    /// rounded down; max mode the opposite, with their profit above caps bound subtracted.
    pub fn value_usd(
        &self,
        min_price: OraclePrice,
        max_price: OraclePrice,
        mode: AumMode,
    ) -> Result<i128> {
        let interest_rounding = match mode {
            AumMode::Min => Rounding::Floor,
            AumMode::Max => Rounding::Ceil,
        };
        let interest: i128 = cast(
            aggregate_interest_usd(
                self.cumulative_interest,
                self.borrow_size_usd,
                self.interest_weighted,
                interest_rounding,
            )?
            .safe_add(aggregate_interest_usd(
                self.long_premium_cumulative,
                self.long_size_usd,
                self.long_premium_weighted,
                interest_rounding,
            )?)?
            .safe_add(aggregate_interest_usd(
                self.short_premium_cumulative,
                self.short_size_usd,
                self.short_premium_weighted,
                interest_rounding,
            )?)?,
        )?;
        let mut traders_claim: i128 = 0;
        for side in [Side::Long, Side::Short] {
            let (size_usd, quantity, collateral_usd, max_profit, above_cap, bad_debt) = match side {
                Side::Long => (
                    self.long_size_usd,
                    self.long_quantity,
                    self.long_collateral_usd,
                    self.long_max_profit_usd,
                    self.long_profit_above_cap_usd,
                    self.long_bad_debt_usd,
                ),
                Side::Short => (
                    self.short_size_usd,
                    self.short_quantity,
                    self.short_collateral_usd,
                    self.short_max_profit_usd,
                    self.short_profit_above_cap_usd,
                    self.short_bad_debt_usd,
                ),
            };
            let (collateral_quantity, max_profit_quantity) = match side {
                Side::Long => (self.long_collateral_quantity, self.long_max_profit_quantity),
                Side::Short => (
                    self.short_collateral_quantity,
                    self.short_max_profit_quantity,
                ),
            };
            if size_usd == 0 && quantity == 0 {
                continue;
            }
            let (price, rounding) = side_price(side, mode, min_price, max_price)?;
            let (collateral_bound, max_profit_bound) = side_clamp_usd(
                collateral_usd,
                collateral_quantity,
                max_profit,
                max_profit_quantity,
                price,
                rounding,
            )?;
            let (above_cap, bad_debt) = match mode {
                AumMode::Min => (0, bad_debt),
                AumMode::Max => (above_cap, 0),
            };
            traders_claim = traders_claim.safe_add(aggregate_pnl_usd(
                side,
                size_usd,
                quantity,
                collateral_bound,
                price,
                max_profit_bound,
                rounding,
                above_cap,
                bad_debt,
            )?)?;
        }
        interest.safe_sub(traders_claim)
    }
}

/// Which side of the spot/EMA spread values the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AumMode {
    /// Each custody at its min price, rounded down: what LP redemptions are paid from.
    Min,
    /// Each custody at its max price, rounded up: what new LP is issued against.
    Max,
}

/// Pool assets under management in USD_DECIMALS: Σ over the custodies of owned · price, plus
/// interest accrued by borrowers, minus traders' unrealised PnL (`TradingValuation::value_usd`);
/// 0 if that total is negative.
pub fn assets_under_management_usd(custodies: &[CustodyValuation], mode: AumMode) -> Result<u128> {
    let total = custodies.iter().try_fold(0i128, |total, custody| {
        let owned_value = match mode {
            AumMode::Min => {
                custody
                    .min_price
                    .token_to_usd(custody.owned, custody.decimals, Rounding::Floor)?
            }
            AumMode::Max => {
                custody
                    .max_price
                    .token_to_usd(custody.owned, custody.decimals, Rounding::Ceil)?
            }
        };
        let trading = custody
            .trading
            .value_usd(custody.min_price, custody.max_price, mode)?;
        total.safe_add(cast(owned_value)?)?.safe_add(trading)
    })?;
    cast(total.max(0))
}

/// LP token price in USD_DECIMALS per whole LP token: floor(aum_min · 10^LP_DECIMALS / supply),
/// `supply` the pool's LP supply including its dead shares (`Pool::lp_supply`). Floor, so quoting
/// never overstates what a redemption pays. No supply yet: 1 USD, the price the first deposit
/// mints at.
pub fn lp_token_price_usd(aum_min_usd: u128, lp_supply: u64) -> Result<u64> {
    if lp_supply == 0 {
        return Ok(USD_POWER);
    }
    cast(mul_div(
        aum_min_usd,
        pow10(u32::from(LP_DECIMALS))?,
        u128::from(lp_supply),
        Rounding::Floor,
    )?)
}

/// `ceil(amount · bps / BPS_POWER)`: fees round up so the pool never undercharges.
pub fn fee_amount(amount: u64, fee_bps: u64) -> Result<u64> {
    require!(fee_bps <= BPS_POWER, PerpPoolError::InvalidCustodyConfig);
    cast(mul_div(
        u128::from(amount),
        u128::from(fee_bps),
        u128::from(BPS_POWER),
        Rounding::Ceil,
    )?)
}

/// `floor(fee · protocol_share_bps / BPS_POWER)`: the protocol's cut rounds down, so rounding
/// dust stays with the LPs.
pub fn protocol_fee_amount(fee: u64, protocol_share_bps: u64) -> Result<u64> {
    require!(
        protocol_share_bps <= BPS_POWER,
        PerpPoolError::InvalidCustodyConfig
    );
    cast(mul_div(
        u128::from(fee),
        u128::from(protocol_share_bps),
        u128::from(BPS_POWER),
        Rounding::Floor,
    )?)
}

/// The outcome of a deposit of `amount_in` tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddLiquidityAmounts {
    /// Deposit fee in tokens: ceil(amount_in · add_liquidity_bps / BPS_POWER).
    pub fee_amount: u64,
    /// amount_in - fee_amount: the part that buys LP.
    pub net_amount: u64,
    /// floor(net_amount · min_price) in USD_DECIMALS.
    pub deposit_usd: u64,
    /// LP minted to the depositor.
    pub lp_amount_out: u64,
    /// LP issued to no one (DEAD_LP_SUPPLY plus the pool's prior value in micro-USD on its first
    /// deposit, else 0): added to the pool's dead supply, never redeemable.
    pub dead_lp_amount: u64,
    /// The protocol's part of the fee, kept apart from the pool's assets.
    pub protocol_fee_amount: u64,
    /// Increase of custody.assets.owned: amount_in - protocol_fee_amount (LPs keep the rest of the fee).
    pub owned_increase: u64,
}

/// Deposit of `amount_in` base units valued at `min_price`, issuing LP against the pool's AUM at
/// max prices (`aum_max_usd`, before the deposit) and `lp_supply`, the pool's LP supply
/// INCLUDING its dead shares. The depositor is valued low and the pool high, so a deposit
/// dilutes no existing LP as far as `aum_max_usd` is an upper bound of the pool's value (the
/// exposure books make it one position by position: docs/design.md "Exposure books").
///
/// The first deposit (`lp_supply == 0`) mints at 1 USD per LP (1 LP base unit per micro-USD,
/// LP_DECIMALS == USD_DECIMALS) and issues DEAD_LP_SUPPLY of it to no one: the depositor gets
/// `deposit_usd - DEAD_LP_SUPPLY`. Any value the pool already has then (none can exist before a
/// pool's first deposit: nothing can be owned, locked or owed) goes to the dead shares too,
/// `aum_max_usd` more of them, so a first depositor never takes what it did not bring. The dead
/// shares make the supply never return to 0 and bound what one LP base unit can be worth, which
/// defeats the share-inflation attack on later depositors' rounding.
/// Errors: ZeroAmount (amount_in == 0, LP out rounds to 0, or a first deposit of at most
/// DEAD_LP_SUPPLY micro-USD), EmptyPool (LP supply with zero AUM: LP cannot be priced),
/// MathOverflow.
#[allow(clippy::too_many_arguments)]
pub fn compute_add_liquidity(
    amount_in: u64,
    decimals: u8,
    min_price: OraclePrice,
    aum_max_usd: u128,
    lp_supply: u64,
    add_liquidity_bps: u64,
    protocol_share_bps: u64,
) -> Result<AddLiquidityAmounts> {
    require!(amount_in > 0, PerpPoolError::ZeroAmount);
    let fee_amount = fee_amount(amount_in, add_liquidity_bps)?;
    let net_amount = amount_in.safe_sub(fee_amount)?;
    // Floor: the depositor is credited no more than the tokens are worth.
    let deposit_usd: u64 = cast(min_price.token_to_usd(net_amount, decimals, Rounding::Floor)?)?;
    let (lp_amount_out, dead_lp_amount) = if lp_supply == 0 {
        // First deposit: 1 LP base unit per micro-USD, DEAD_LP_SUPPLY of them to no one.
        require!(deposit_usd > DEAD_LP_SUPPLY, PerpPoolError::ZeroAmount);
        let stray: u64 = cast(aum_max_usd)?;
        (
            deposit_usd.safe_sub(DEAD_LP_SUPPLY)?,
            DEAD_LP_SUPPLY.safe_add(stray)?,
        )
    } else {
        require!(aum_max_usd > 0, PerpPoolError::EmptyPool);
        // Floor: fewer LP for the depositor.
        let lp: u64 = cast(mul_div(
            u128::from(deposit_usd),
            u128::from(lp_supply),
            aum_max_usd,
            Rounding::Floor,
        )?)?;
        (lp, 0)
    };
    require!(lp_amount_out > 0, PerpPoolError::ZeroAmount);
    let protocol_fee_amount = protocol_fee_amount(fee_amount, protocol_share_bps)?;
    let owned_increase = amount_in.safe_sub(protocol_fee_amount)?;
    Ok(AddLiquidityAmounts {
        fee_amount,
        net_amount,
        deposit_usd,
        lp_amount_out,
        dead_lp_amount,
        protocol_fee_amount,
        owned_increase,
    })
}

/// The outcome of redeeming `lp_amount_in` LP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemoveLiquidityAmounts {
    /// floor(lp_amount_in · aum_min / supply) in USD_DECIMALS.
    pub withdraw_usd: u64,
    /// floor(withdraw_usd / max_price) in tokens, before the fee.
    pub gross_amount: u64,
    /// ceil(gross_amount · remove_liquidity_bps / BPS_POWER).
    pub fee_amount: u64,
    /// gross_amount - fee_amount: tokens sent to the user.
    pub amount_out: u64,
    /// The protocol's part of the fee.
    pub protocol_fee_amount: u64,
    /// Decrease of custody.assets.owned: amount_out + protocol_fee_amount.
    pub owned_decrease: u64,
}

/// What `lp_amount_in` LP out of `lp_supply` redeem before the fee: `(withdraw_usd,
/// gross_amount)`, the USD share of `aum_min_usd` (floor: the leaver's share is not rounded up)
/// and its tokens at `max_price` (floor: fewest tokens for that USD). Errors as
/// `compute_remove_liquidity`.
pub fn redemption_gross(
    lp_amount_in: u64,
    aum_min_usd: u128,
    lp_supply: u64,
    decimals: u8,
    max_price: OraclePrice,
) -> Result<(u64, u64)> {
    require!(lp_amount_in > 0, PerpPoolError::ZeroAmount);
    require!(lp_supply > 0, PerpPoolError::EmptyPool);
    require!(
        lp_amount_in <= lp_supply,
        PerpPoolError::InsufficientLiquidity
    );
    let withdraw_usd: u64 = cast(mul_div(
        u128::from(lp_amount_in),
        aum_min_usd,
        u128::from(lp_supply),
        Rounding::Floor,
    )?)?;
    let gross_amount: u64 =
        cast(max_price.usd_to_token(u128::from(withdraw_usd), decimals, Rounding::Floor)?)?;
    Ok((withdraw_usd, gross_amount))
}

/// Redemption of `lp_amount_in` LP out of `lp_supply` (including the dead shares), against the pool's AUM at min prices,
/// paid in a custody's token at its `max_price`: the leaver is valued low on both legs.
/// `available_amount` is what the custody can pay (owned - locked).
/// Errors: ZeroAmount (lp_amount_in == 0 or amount out rounds to 0), EmptyPool (no LP supply),
/// InsufficientLiquidity (more LP than supply, or the custody cannot pay), MathOverflow.
#[allow(clippy::too_many_arguments)]
pub fn compute_remove_liquidity(
    lp_amount_in: u64,
    aum_min_usd: u128,
    lp_supply: u64,
    decimals: u8,
    max_price: OraclePrice,
    available_amount: u64,
    remove_liquidity_bps: u64,
    protocol_share_bps: u64,
) -> Result<RemoveLiquidityAmounts> {
    let (withdraw_usd, gross_amount) =
        redemption_gross(lp_amount_in, aum_min_usd, lp_supply, decimals, max_price)?;
    let fee_amount = fee_amount(gross_amount, remove_liquidity_bps)?;
    let amount_out = gross_amount.safe_sub(fee_amount)?;
    require!(amount_out > 0, PerpPoolError::ZeroAmount);
    let protocol_fee_amount = protocol_fee_amount(fee_amount, protocol_share_bps)?;
    let owned_decrease = amount_out.safe_add(protocol_fee_amount)?;
    require!(
        owned_decrease <= available_amount,
        PerpPoolError::InsufficientLiquidity
    );
    Ok(RemoveLiquidityAmounts {
        withdraw_usd,
        gross_amount,
        fee_amount,
        amount_out,
        protocol_fee_amount,
        owned_decrease,
    })
}

#[cfg(test)]
mod tests;
