//! `get_tranche_state` (view, simulate only): the pool's LP tranches now — AUM, the senior index
//! and claim, both NAVs in both valuation modes, LP prices, the coverage ratio, the insurance
//! fund — and what a hypothetical loss would leave each (the cascade: insurance fund for bad
//! debt, then junior, then senior). A pool without tranches reports everything as junior.
//!
//! Remaining accounts: for EVERY custody of the pool, in `pool.custodies` order, the pair
//! (custody, its oracle account).

use {
    crate::{
        constants::{PERPETUALS_SEED, POOL_SEED},
        errors::PerpPoolError,
        math::{
            liquidity::{assets_under_management_usd, AumMode},
            safe_math::{Rounding, SafeMath},
            tranche::{
                lp_price_usd, senior_index, senior_target_usd, senior_to_junior_bps, split_navs,
                stress,
            },
        },
        state::{perpetuals::Perpetuals, pool::Pool},
        types::Tranche,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::Mint,
};

#[derive(Accounts)]
pub struct GetTrancheState<'info> {
    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    /// The pool's (junior) LP mint.
    #[account(
        constraint = lp_token_mint.key() == pool.lp_token_mint @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_mint: Box<Account<'info, Mint>>,
}

/// The loss to stress the tranches with, USD.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default)]
pub struct GetTrancheStateParams {
    /// A profit the pool pays traders: comes out of LP-owned value, junior first.
    pub trader_profit_usd: u64,
    /// A bad debt: drawn from the insurance fund first, the rest like a trader profit.
    pub bad_debt_usd: u64,
}

/// What the stressed pool would look like (min-mode AUM).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrancheStress {
    pub insurance_draw_usd: u128,
    pub insurance_after_usd: u128,
    pub junior_loss_usd: u128,
    pub senior_loss_usd: u128,
    pub junior_nav_after_usd: u128,
    pub senior_nav_after_usd: u128,
}

/// USD values are USD_DECIMALS; prices USD_DECIMALS per whole LP token (LP_DECIMALS).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrancheState {
    pub tranched: bool,
    /// LP-owned value at min prices (what redemptions are paid against) and max (deposits).
    pub aum_min_usd: u128,
    pub aum_max_usd: u128,
    /// SENIOR_INDEX_DECIMALS, rounded down: USD per senior LP base unit now.
    pub senior_index: u128,
    pub senior_rate_bps: u32,
    /// The senior claim now (supply * index, rounded down).
    pub senior_target_usd: u128,
    /// NAVs at min and max prices; junior + senior == the AUM of that mode.
    pub junior_nav_min_usd: u128,
    pub senior_nav_min_usd: u128,
    pub junior_nav_max_usd: u128,
    pub senior_nav_max_usd: u128,
    /// LP base units: the junior's with its dead shares.
    pub junior_supply: u64,
    pub senior_supply: u64,
    /// What `get_lp_token_price` returns for each mint (min mode, rounded down).
    pub junior_price_usd: u64,
    pub senior_price_usd: u64,
    /// Senior NAV / junior NAV at min prices, BPS (u64::MAX: junior NAV 0 under a senior claim).
    pub senior_to_junior_bps: u64,
    pub max_senior_junior_ratio_bps: u32,
    /// Σ insurance funds of the custodies at min prices.
    pub insurance_fund_usd: u128,
    pub stress: TrancheStress,
}

pub fn handler<'info>(
    ctx: Context<'_, '_, '_, 'info, GetTrancheState<'info>>,
    params: &GetTrancheStateParams,
) -> Result<TrancheState> {
    let now = Clock::get()?.unix_timestamp;
    let pool = &ctx.accounts.pool;
    // Each custody loaded once: its valuation and its insurance fund at the min price.
    let priced = pool.priced_custodies(ctx.remaining_accounts, now)?;
    let mut valuations = Vec::with_capacity(priced.len());
    let mut insurance_fund_usd: u128 = 0;
    for entry in &priced {
        valuations.push(entry.valuation(now)?);
        insurance_fund_usd = insurance_fund_usd.safe_add(entry.min_price.token_to_usd(
            entry.custody.assets.insurance_fund,
            entry.custody.decimals,
            Rounding::Floor,
        )?)?;
    }
    let aum_min_usd = assets_under_management_usd(&valuations, AumMode::Min)?;
    let aum_max_usd = assets_under_management_usd(&valuations, AumMode::Max)?;

    let terms = pool.senior.terms();
    let senior_supply = pool.senior.supply;
    let junior_supply = pool.lp_supply(ctx.accounts.lp_token_mint.supply)?;
    let index = senior_index(&terms, now, Rounding::Floor)?;
    let target = senior_target_usd(senior_supply, index, Rounding::Floor)?;
    let min_navs = split_navs(aum_min_usd, target);
    let max_navs = split_navs(aum_max_usd, target);
    let price = |tranche: Tranche, supply: u64| {
        lp_price_usd(aum_min_usd, &terms, senior_supply, supply, now, tranche)
    };
    let outcome = stress(
        aum_min_usd,
        target,
        insurance_fund_usd,
        u128::from(params.trader_profit_usd),
        u128::from(params.bad_debt_usd),
    )?;
    Ok(TrancheState {
        tranched: pool.is_tranched(),
        aum_min_usd,
        aum_max_usd,
        senior_index: index,
        senior_rate_bps: pool.senior.rate_bps,
        senior_target_usd: target,
        junior_nav_min_usd: min_navs.junior_usd,
        senior_nav_min_usd: min_navs.senior_usd,
        junior_nav_max_usd: max_navs.junior_usd,
        senior_nav_max_usd: max_navs.senior_usd,
        junior_supply,
        senior_supply,
        junior_price_usd: price(Tranche::Junior, junior_supply)?,
        senior_price_usd: price(Tranche::Senior, senior_supply)?,
        senior_to_junior_bps: senior_to_junior_bps(&min_navs)?,
        max_senior_junior_ratio_bps: pool.senior.max_senior_junior_ratio_bps,
        insurance_fund_usd,
        stress: TrancheStress {
            insurance_draw_usd: outcome.insurance_draw_usd,
            insurance_after_usd: outcome.insurance_after_usd,
            junior_loss_usd: outcome.junior_loss_usd,
            senior_loss_usd: outcome.senior_loss_usd,
            junior_nav_after_usd: outcome.navs_after.junior_usd,
            senior_nav_after_usd: outcome.navs_after.senior_usd,
        },
    })
}
