//! LP deposits and withdrawals: the pool valued, the LP priced, and the custody and pool booked.
//! The caller has valued the pool (`Pool::valuations_for_liquidity_change`, which also accrues the
//! custody's interest) and moves the tokens and LP.

use {
    crate::{
        errors::PerpPoolError,
        math::{
            liquidity::{
                assets_under_management_usd, compute_add_liquidity, compute_remove_liquidity,
                redemption_gross, AddLiquidityAmounts, AumMode, CustodyValuation,
                RemoveLiquidityAmounts,
            },
            safe_math::{cast, Rounding, SafeMath},
            tranche::{coverage_holds, junior_issuable, tranche_price, TrancheNavs},
            weights::{liquidity_fee_bps, LiquidityMove},
        },
        state::{
            custody::Custody,
            pool::{LiquidityValuation, Pool},
        },
        types::Tranche,
        validate,
    },
    anchor_lang::prelude::*,
};

/// What a deposit did.
#[derive(Clone, Copy, Debug)]
pub struct Deposited {
    pub amounts: AddLiquidityAmounts,
    /// The deposit fee rate charged, BPS (the flat rate steered by the custody's weight).
    pub fee_bps: u64,
    /// The pool's AUM the LP was priced against (max prices, before the deposit), USD.
    pub aum_max_usd: u128,
    /// The tranches' NAVs at `aum_max_usd`, rounded to value the deposited tranche high.
    pub navs: TrancheNavs,
    /// The pool's AUM after the deposit (min prices), USD: the new `pool.aum_usd`.
    pub pool_aum_usd: u128,
    /// The tranche's LP supply (the junior's with its dead shares) before the deposit.
    pub lp_supply: u64,
    /// `custody.assets.owned` after the deposit.
    pub custody_owned: u64,
}

/// The tranche's LP supply that prices it: the junior's mint supply plus the pool's dead
/// shares, the senior's mint supply. The pool keeps a count of the senior supply for the
/// operations that do not load the senior mint (junior deposits and redemptions, views); the
/// program is the mint's only minter, but any holder may burn its own LP with the token program,
/// so the mint can hold less. That burned claim is given up: it is dropped from the count here
/// (its value goes to the junior tranche, as any donation to the pool), so a burn can neither
/// block the senior tranche nor leave an unredeemable claim accruing the senior rate.
/// A mint holding more than the count is impossible (TrancheSupplyMismatch).
fn tranche_supply(pool: &mut Pool, tranche: Tranche, mint_supply: u64) -> Result<u64> {
    match tranche {
        Tranche::Junior => pool.lp_supply(mint_supply),
        Tranche::Senior => {
            validate!(
                mint_supply <= pool.senior.supply,
                PerpPoolError::TrancheSupplyMismatch
            )?;
            pool.senior.supply = mint_supply;
            Ok(mint_supply)
        }
    }
}

/// Deposits `amount_in` tokens of `custody` (valued at `valuation.min_price`) into `tranche`:
/// LP issued against the tranche's NAV with the pool valued high (max prices, rounded up;
/// `math::tranche`), at least `min_lp_amount_out` (else SlippageExceeded). A junior deposit
/// into a tranched pool whose junior NAV is 0 fails (JuniorTrancheWipedOut: its LP cannot be
/// priced); a senior deposit that would leave senior NAV above the coverage limit fails
/// (CoverageLimitExceeded). Books the custody's owned, protocol fees and fee statistic, its
/// borrow rate, the pool's AUM snapshot, last deposit slot and dead supply or senior supply.
/// `lp_mint_supply` is the tranche mint's supply; `now` and `slot` the clock.
#[allow(clippy::too_many_arguments)]
pub fn apply_deposit(
    pool: &mut Pool,
    custody: &mut Custody,
    valuation: LiquidityValuation,
    tranche: Tranche,
    lp_mint_supply: u64,
    amount_in: u64,
    min_lp_amount_out: u64,
    now: i64,
    slot: u64,
) -> Result<Deposited> {
    let LiquidityValuation {
        min_price,
        max_price: _,
        mut valuations,
        custody_index,
    } = valuation;
    let aum_max_usd = assets_under_management_usd(&valuations, AumMode::Max)?;
    let lp_supply = tranche_supply(pool, tranche, lp_mint_supply)?;
    let navs = pool.tranche_navs(aum_max_usd, now, tranche, AumMode::Max)?;
    if pool.is_tranched() && tranche == Tranche::Junior {
        validate!(
            junior_issuable(navs.junior_usd, lp_supply)?,
            PerpPoolError::JuniorTrancheWipedOut
        )?;
    }
    let price = tranche_price(
        &navs,
        &pool.senior.terms(),
        lp_supply,
        now,
        tranche,
        AumMode::Max,
    )?;
    // The deposit fee: the flat rate, steered by the custody's weight (multi-asset pools).
    let fee_bps = liquidity_fee_bps(
        &valuations,
        custody_index,
        custody.assets.owned.safe_add(amount_in)?,
        &custody.weights,
        custody.fees.add_liquidity_bps,
        LiquidityMove::Deposit,
    )?;
    let amounts = compute_add_liquidity(
        amount_in,
        custody.decimals,
        min_price,
        price.nav_usd,
        price.supply,
        fee_bps,
        custody.fees.protocol_share_bps,
    )?;
    validate!(
        amounts.lp_amount_out >= min_lp_amount_out,
        PerpPoolError::SlippageExceeded
    )?;
    if tranche == Tranche::Senior {
        // The senior NAV after the deposit against the junior NAV that protects it, both at min
        // prices with the senior claim rounded up (the values a junior withdrawal is checked
        // with, so a deposit accepted here never leaves the pool past that limit by the spread
        // between the modes alone), under the stricter senior-deposit limit; and the capacity.
        let aum_min_usd = assets_under_management_usd(&valuations, AumMode::Min)?;
        let navs_min = pool.tranche_navs(aum_min_usd, now, Tranche::Junior, AumMode::Min)?;
        let senior_after = navs_min
            .senior_usd
            .safe_add(u128::from(amounts.deposit_usd))?;
        validate!(
            coverage_holds(
                senior_after,
                navs_min.junior_usd,
                pool.senior.senior_deposit_ratio_bps
            )?,
            PerpPoolError::CoverageLimitExceeded
        )?;
        let cap = pool.senior.max_senior_usd;
        validate!(
            cap == 0 || senior_after <= u128::from(cap),
            PerpPoolError::SeniorCapacityExceeded
        )?;
    }
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
    match tranche {
        Tranche::Junior => {
            pool.dead_lp_supply = pool.dead_lp_supply.safe_add(amounts.dead_lp_amount)?;
        }
        Tranche::Senior => {
            pool.senior.supply = pool.senior.supply.safe_add(amounts.lp_amount_out)?;
        }
    }
    Ok(Deposited {
        amounts,
        fee_bps,
        aum_max_usd,
        navs,
        pool_aum_usd,
        lp_supply,
        custody_owned,
    })
}

/// What a withdrawal did.
#[derive(Clone, Copy, Debug)]
pub struct Withdrawn {
    pub amounts: RemoveLiquidityAmounts,
    /// The redemption fee rate charged, BPS.
    pub fee_bps: u64,
    /// The pool's AUM the LP was redeemed against (min prices, before the withdrawal), USD.
    pub aum_min_usd: u128,
    /// The tranches' NAVs at `aum_min_usd`, rounded to value the redeemed tranche low.
    pub navs: TrancheNavs,
    /// The pool's AUM after the withdrawal (min prices), USD: the new `pool.aum_usd`.
    pub pool_aum_usd: u128,
    /// The tranche's LP supply (the junior's with its dead shares) before the withdrawal.
    pub lp_supply: u64,
    /// `custody.assets.owned` after the withdrawal.
    pub custody_owned: u64,
}

/// Redeems `lp_amount_in` LP of `tranche` for tokens of `custody` (at `valuation.max_price`):
/// against the tranche's NAV with the pool valued low (min prices, rounded down), at least
/// `min_amount_out` (else SlippageExceeded) and at most what the custody has unlocked. A junior
/// redemption from a tranched pool fails when the junior NAV is 0 (JuniorTrancheWipedOut) or
/// when it would leave senior NAV above the coverage limit (CoverageLimitExceeded: the junior
/// cannot walk away from the protection it sold). Books the custody's owned, protocol fees and
/// fee statistic, its borrow rate, the pool's AUM snapshot and the senior supply.
#[allow(clippy::too_many_arguments)]
pub fn apply_withdrawal(
    pool: &mut Pool,
    custody: &mut Custody,
    valuation: LiquidityValuation,
    tranche: Tranche,
    lp_mint_supply: u64,
    lp_amount_in: u64,
    min_amount_out: u64,
    now: i64,
) -> Result<Withdrawn> {
    let LiquidityValuation {
        min_price: _,
        max_price,
        mut valuations,
        custody_index,
    } = valuation;
    let aum_min_usd = assets_under_management_usd(&valuations, AumMode::Min)?;
    let lp_supply = tranche_supply(pool, tranche, lp_mint_supply)?;
    let navs = pool.tranche_navs(aum_min_usd, now, tranche, AumMode::Min)?;
    let junior_of_tranched = pool.is_tranched() && tranche == Tranche::Junior;
    if junior_of_tranched {
        validate!(navs.junior_usd > 0, PerpPoolError::JuniorTrancheWipedOut)?;
    }
    // The redemption fee: the flat rate, steered by the custody's weight once the gross
    // tokens leave (multi-asset pools).
    let (_, gross_amount) = redemption_gross(
        lp_amount_in,
        navs.of(tranche),
        lp_supply,
        custody.decimals,
        max_price,
    )?;
    let fee_bps = liquidity_fee_bps(
        &valuations,
        custody_index,
        custody.assets.owned.saturating_sub(gross_amount),
        &custody.weights,
        custody.fees.remove_liquidity_bps,
        LiquidityMove::Redemption,
    )?;
    let amounts = compute_remove_liquidity(
        lp_amount_in,
        navs.of(tranche),
        lp_supply,
        custody.decimals,
        max_price,
        custody.available_amount()?,
        fee_bps,
        custody.fees.protocol_share_bps,
    )?;
    validate!(
        amounts.amount_out >= min_amount_out,
        PerpPoolError::SlippageExceeded
    )?;
    if junior_of_tranched {
        let junior_after = navs.junior_usd.safe_sub(u128::from(amounts.withdraw_usd))?;
        validate!(
            coverage_holds(
                navs.senior_usd,
                junior_after,
                pool.senior.max_senior_junior_ratio_bps
            )?,
            PerpPoolError::CoverageLimitExceeded
        )?;
    }
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
    if tranche == Tranche::Senior {
        pool.senior.supply = pool.senior.supply.safe_sub(lp_amount_in)?;
    }
    Ok(Withdrawn {
        amounts,
        fee_bps,
        aum_min_usd,
        navs,
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
