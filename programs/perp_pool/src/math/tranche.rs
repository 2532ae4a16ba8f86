//! LP tranches: how the LP-owned value of a pool splits between its senior and junior tranche
//! (docs/design.md "LP tranches"). Pure functions of integers.
//!
//! The senior tranche's claim is a function of time and of its own supply only:
//! `target = senior_supply * I(now)`, where the senior index `I` grows linearly at the senior
//! target rate from the last rate change. The senior NAV is `min(target, A)` and the junior NAV
//! `A - senior NAV`, where `A` is the pool's AUM (LP-owned value, min or max mode). So a loss of
//! the pool (a trader's profit, a bad debt past the insurance fund) takes junior NAV first down to
//! zero, then senior NAV; a gain refills the senior claim first, then goes to the junior. Nothing
//! is ever booked between the tranches: no instruction, and no order of the same trades, can move
//! value from one to the other, because both NAVs are functions of `(A, senior supply, now)` and
//! deposits and redemptions trade each tranche at its own NAV per unit.

use {
    super::{
        liquidity::{lp_token_price_usd, AumMode},
        safe_math::{cast, mul_div, pow10, Rounding, SafeMath},
    },
    crate::{
        constants::{
            BPS_POWER, LP_DECIMALS, MIN_JUNIOR_LP_PRICE_USD, SENIOR_INDEX_POWER, YEAR_SECONDS,
        },
        types::Tranche,
    },
    anchor_lang::prelude::*,
};

/// The senior tranche's index as of its last rate change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeniorTerms {
    /// SENIOR_INDEX_DECIMALS: USD per senior LP base unit at `index_time`.
    pub index: u128,
    /// Unix seconds.
    pub index_time: i64,
    /// Senior target rate, BPS per year (simple, not compounded between rate changes).
    pub rate_bps: u32,
}

/// `I(now) = index + index * rate_bps * (now - index_time) / (BPS_POWER * YEAR_SECONDS)`, the
/// growth rounded by `rounding`. A clock before `index_time` counts as no time.
pub fn senior_index(terms: &SeniorTerms, now: i64, rounding: Rounding) -> Result<u128> {
    let elapsed: u128 = cast(now.saturating_sub(terms.index_time).max(0))?;
    let growth = mul_div(
        terms.index,
        u128::from(terms.rate_bps).safe_mul(elapsed)?,
        u128::from(BPS_POWER).safe_mul(cast(YEAR_SECONDS)?)?,
        rounding,
    )?;
    terms.index.safe_add(growth)
}

/// The senior claim in USD: `supply * index / SENIOR_INDEX_POWER`, rounded by `rounding`.
pub fn senior_target_usd(supply: u64, index: u128, rounding: Rounding) -> Result<u128> {
    mul_div(u128::from(supply), index, SENIOR_INDEX_POWER, rounding)
}

/// The two tranches' shares of a pool's LP-owned value, USD.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrancheNavs {
    pub junior_usd: u128,
    pub senior_usd: u128,
}

impl TrancheNavs {
    pub fn of(&self, tranche: Tranche) -> u128 {
        match tranche {
            Tranche::Junior => self.junior_usd,
            Tranche::Senior => self.senior_usd,
        }
    }
}

/// `senior = min(target, aum)`, `junior = aum - senior`: the cascade. Exact, and
/// `junior + senior == aum` always.
pub fn split_navs(aum_usd: u128, senior_target_usd: u128) -> TrancheNavs {
    let senior_usd = senior_target_usd.min(aum_usd);
    TrancheNavs {
        // senior_usd <= aum_usd: never saturates.
        junior_usd: aum_usd.saturating_sub(senior_usd),
        senior_usd,
    }
}

/// The rounding of the senior target that values `priced` in the pool's favour in `mode`: max
/// mode (issuing LP) values the priced tranche high, min mode (redeeming) low. The senior NAV
/// grows with the target, the junior NAV shrinks with it.
pub fn target_rounding(priced: Tranche, mode: AumMode) -> Rounding {
    match (priced, mode) {
        (Tranche::Senior, AumMode::Max) | (Tranche::Junior, AumMode::Min) => Rounding::Ceil,
        (Tranche::Senior, AumMode::Min) | (Tranche::Junior, AumMode::Max) => Rounding::Floor,
    }
}

/// The NAVs of a pool with AUM `aum_usd` (in `mode`) at `now`, rounded to value `priced` in
/// the pool's favour (`target_rounding`). A pool without a senior tranche has `senior_supply`
/// 0: everything is junior.
pub fn tranche_navs(
    aum_usd: u128,
    terms: &SeniorTerms,
    senior_supply: u64,
    now: i64,
    priced: Tranche,
    mode: AumMode,
) -> Result<TrancheNavs> {
    let rounding = target_rounding(priced, mode);
    let index = senior_index(terms, now, rounding)?;
    let target = senior_target_usd(senior_supply, index, rounding)?;
    Ok(split_navs(aum_usd, target))
}

/// What one LP unit of a tranche is priced against: `nav / supply`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TranchePrice {
    pub nav_usd: u128,
    pub supply: u64,
}

/// The pricing pair for `priced` in `mode`. `supply` is the tranche's supply (dead shares
/// included for the junior). A senior tranche whose NAV is its whole claim (`senior NAV *
/// SENIOR_INDEX_POWER >= supply * I(now)`, exact; always when the supply is 0) is priced at its
/// index, `(I(now), SENIOR_INDEX_POWER)`: each unit is worth the index whatever the supply. Pricing
/// it at `target / supply` would let the target's rounding of a dust supply (one unit: a target
/// rounded up to twice the index) price the next deposit at up to twice its worth, the difference
/// going to the junior; and an empty tranche priced at 1 USD would sell a claim worth more than
/// it paid. An impaired senior (NAV below its claim) is priced at `NAV / supply`.
pub fn tranche_price(
    navs: &TrancheNavs,
    terms: &SeniorTerms,
    supply: u64,
    now: i64,
    priced: Tranche,
    mode: AumMode,
) -> Result<TranchePrice> {
    if priced == Tranche::Senior {
        let index = senior_index(terms, now, target_rounding(priced, mode))?;
        if navs.senior_usd.safe_mul(SENIOR_INDEX_POWER)? >= u128::from(supply).safe_mul(index)? {
            return Ok(TranchePrice {
                nav_usd: index,
                supply: cast(SENIOR_INDEX_POWER)?,
            });
        }
    }
    Ok(TranchePrice {
        nav_usd: navs.of(priced),
        supply,
    })
}

/// What `get_lp_token_price` quotes for `tranche`: USD_DECIMALS per whole LP token, its NAV at the
/// min-mode AUM `aum_min_usd` over its supply (`tranche_supply`: the junior's with its dead
/// shares), priced as a redemption is (`tranche_navs` and `tranche_price` in min mode), rounded down.
pub fn lp_price_usd(
    aum_min_usd: u128,
    terms: &SeniorTerms,
    senior_supply: u64,
    tranche_supply: u64,
    now: i64,
    tranche: Tranche,
) -> Result<u64> {
    let navs = tranche_navs(
        aum_min_usd,
        terms,
        senior_supply,
        now,
        tranche,
        AumMode::Min,
    )?;
    let price = tranche_price(&navs, terms, tranche_supply, now, tranche, AumMode::Min)?;
    lp_token_price_usd(price.nav_usd, price.supply)
}

/// Whether the junior LP can be issued against `junior_nav_usd` and `junior_supply` (dead shares
/// included): at least MIN_JUNIOR_LP_PRICE_USD per whole LP token (`nav * 10^LP_DECIMALS >=
/// MIN_JUNIOR_LP_PRICE_USD * supply`), or no supply yet. Below it a deposit would mint so much LP
/// per micro-USD that a few deposits exhaust the u64 supply and the tranche could never take
/// capital again.
pub fn junior_issuable(junior_nav_usd: u128, junior_supply: u64) -> Result<bool> {
    if junior_supply == 0 {
        return Ok(true);
    }
    Ok(junior_nav_usd.safe_mul(pow10(u32::from(LP_DECIMALS))?)?
        >= u128::from(MIN_JUNIOR_LP_PRICE_USD).safe_mul(u128::from(junior_supply))?)
}

/// The coverage limit: `senior_usd <= junior_usd * max_ratio_bps / BPS_POWER` (exact, no
/// rounding: compared as `senior * BPS <= junior * ratio`).
pub fn coverage_holds(senior_usd: u128, junior_usd: u128, max_ratio_bps: u32) -> Result<bool> {
    Ok(senior_usd.safe_mul(u128::from(BPS_POWER))?
        <= junior_usd.safe_mul(u128::from(max_ratio_bps))?)
}

/// Senior NAV per unit of junior NAV, BPS (floor); `u64::MAX` when the junior NAV is 0 and the
/// senior's is not, 0 when both are 0.
pub fn senior_to_junior_bps(navs: &TrancheNavs) -> Result<u64> {
    if navs.junior_usd == 0 {
        return Ok(if navs.senior_usd == 0 { 0 } else { u64::MAX });
    }
    let ratio = mul_div(
        navs.senior_usd,
        u128::from(BPS_POWER),
        navs.junior_usd,
        Rounding::Floor,
    )?;
    Ok(u64::try_from(ratio).unwrap_or(u64::MAX))
}

/// A hypothetical loss and what it would leave.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StressOutcome {
    /// Drawn from the insurance fund (bad debt only).
    pub insurance_draw_usd: u128,
    pub insurance_after_usd: u128,
    /// Loss borne by the junior and the senior tranche.
    pub junior_loss_usd: u128,
    pub senior_loss_usd: u128,
    pub navs_after: TrancheNavs,
}

/// The cascade applied to a hypothetical loss: `bad_debt_usd` is drawn from the insurance fund
/// first; what it leaves, plus `trader_profit_usd` (a profit the pool pays), comes out of the
/// LP-owned value `aum_usd`, junior first (`split_navs` of the reduced AUM).
pub fn stress(
    aum_usd: u128,
    senior_target_usd: u128,
    insurance_usd: u128,
    trader_profit_usd: u128,
    bad_debt_usd: u128,
) -> Result<StressOutcome> {
    let before = split_navs(aum_usd, senior_target_usd);
    let insurance_draw_usd = bad_debt_usd.min(insurance_usd);
    let loss = trader_profit_usd.safe_add(bad_debt_usd.safe_sub(insurance_draw_usd)?)?;
    let navs_after = split_navs(aum_usd.saturating_sub(loss), senior_target_usd);
    Ok(StressOutcome {
        insurance_draw_usd,
        insurance_after_usd: insurance_usd.safe_sub(insurance_draw_usd)?,
        junior_loss_usd: before.junior_usd.safe_sub(navs_after.junior_usd)?,
        senior_loss_usd: before.senior_usd.safe_sub(navs_after.senior_usd)?,
        navs_after,
    })
}

#[cfg(test)]
mod tests;
