//! Sequence-level economic invariants over the pure math (docs/design.md "LP capital safety"):
//! properties of whole sequences of operations, each step applied the way its handler applies
//! it (the tokens a user sends and receives, the position or pool state after), where the
//! per-function tests only check one operation at a time. A step the program refuses is skipped,
//! like a failed transaction.
//!
//! - a trader at a constant oracle price never ends with more collateral tokens than it put in;
//! - nor does one actor opening and closing both sides of a skewed market (`skew`);
//! - a partial decrease followed by a close never pays more than one close;
//! - a self-liquidation never pays the owner more than a close at the same price;
//! - the interest index and the interest owed do not depend on how an interval is split;
//! - an LP at constant AUM never gains by depositing and withdrawing, no LP's value drops
//!   because of another LP's deposit or withdrawal, and the first-depositor inflation attack
//!   returns the attacker less than it donated.
//!
//! Prices range over 10^-4 .. 10^6 USD (10^5 .. 10^15 in PRICE_DECIMALS = 9), amounts down to
//! one base unit.
//!
//! One module per family (`trader`, `liquidation`, `interest`, `lp`); the strategies they
//! share are here.

use {
    super::{
        borrow::{accrued_cumulative_interest, aggregate_interest_usd, position_interest_usd},
        liquidity::{
            assets_under_management_usd, compute_add_liquidity, compute_remove_liquidity, AumMode,
            CustodyValuation,
        },
        oracle::OraclePrice,
        pricing::{entry_price, exit_price, TradePrices},
        safe_math::Rounding,
        trade::{
            compute_decrease_position, compute_increase_position, compute_liquidation,
            compute_open_position, compute_remove_collateral, CollateralCustody, Market,
            PositionState,
        },
    },
    crate::{
        constants::{DEAD_LP_SUPPLY, PRICE_DECIMALS},
        types::{BorrowRateParams, Fees, PricingParams, Side},
    },
    proptest::prelude::*,
};

mod interest;
mod liquidation;
mod lp;
mod multi_asset;
mod skew;
mod trader;

/// `lo..=hi`, log-uniform-ish: a decade, then a value in it (so dust and huge values are both
/// common).
pub(crate) fn log_range(lo: u64, hi: u64) -> impl Strategy<Value = u64> {
    let (d_lo, d_hi) = (lo.max(1).ilog10(), hi.ilog10());
    (d_lo..=d_hi).prop_flat_map(move |d| {
        let a = 10u64.pow(d).max(lo);
        let b = 10u64.saturating_pow(d + 1).min(hi);
        a..=b
    })
}

/// Oracle prices 10^-4 .. 10^6 USD in PRICE_DECIMALS.
fn price() -> impl Strategy<Value = u64> {
    let one_usd = 10u64.pow(u32::from(PRICE_DECIMALS));
    log_range(one_usd / 10_000, one_usd * 1_000_000)
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Long), Just(Side::Short)]
}

/// A stable collateral custody (6 decimals) priced around 1 USD with a min/max spread, plenty of
/// liquidity, and a market with random spreads, fees and leverage limits.
fn venue() -> impl Strategy<Value = (CollateralCustody, Market)> {
    (
        (
            99_000_000u64..=100_000_000, // collateral min price, expo -8
            0u64..=1_000_000,            // max - min
            0u64..=5_000,                // protocol share
            0u64..=5_000,                // insurance share
            0u64..=3_000,                // staker share (capped at what the two others leave)
        ),
        (
            0u64..=500,                               // trade spread bps
            0u64..=100,                               // open fee bps
            0u64..=100,                               // close fee bps
            0u64..=100,                               // liquidation fee bps
            0u64..=100,                               // liquidator reward bps
            prop_oneof![Just(0u64), Just(10_000u64)], // min initial leverage
            20_000u64..=1_000_000,                    // max initial leverage (2x .. 100x)
            0u64..=1_000_000,                         // extra maintenance leverage
            1_000u64..=50_000,                        // max payoff
        ),
    )
        .prop_map(
            |(
                (min, spread, protocol, insurance, stakers),
                (
                    trade_spread,
                    open_bps,
                    close_bps,
                    liq_bps,
                    reward_bps,
                    min_lev,
                    max_init,
                    extra,
                    payoff,
                ),
            )| {
                let collateral = CollateralCustody {
                    decimals: 6,
                    min_price: OraclePrice {
                        price: min,
                        exponent: -8,
                    },
                    max_price: OraclePrice {
                        price: min + spread,
                        exponent: -8,
                    },
                    owned: u64::MAX / 4,
                    locked: 0,
                    pricing: PricingParams::default(),
                    fees: Fees {
                        protocol_share_bps: protocol,
                        insurance_share_bps: insurance,
                        staker_share_bps: stakers.min(10_000 - protocol - insurance),
                        ..Fees::default()
                    },
                    borrow_rate: BorrowRateParams::default(),
                };
                // A valid config: the maintenance margin (BPS^2 / max_leverage_bps) covers the
                // liquidator's reward and the liquidation fee
                // (PricingParams::validate_liquidation_margin), and the liquidation fee is at
                // least the close fee (Fees::validate).
                let margin_bps = 100_000_000 / (max_init + extra);
                let liq_bps = liq_bps.max(close_bps);
                let (liq_bps, reward_bps) = if liq_bps + reward_bps > margin_bps {
                    (
                        liq_bps * margin_bps / (liq_bps + reward_bps),
                        reward_bps * margin_bps / (liq_bps + reward_bps),
                    )
                } else {
                    (liq_bps, reward_bps)
                };
                let close_bps = close_bps.min(liq_bps);
                let market = Market {
                    pricing: PricingParams {
                        use_ema: false,
                        trade_spread_long_bps: trade_spread,
                        trade_spread_short_bps: trade_spread,
                        min_initial_leverage_bps: min_lev,
                        max_initial_leverage_bps: max_init,
                        max_leverage_bps: max_init + extra,
                        max_payoff_mult_bps: payoff,
                        max_utilization: 0,
                        max_position_size_usd: 0,
                        max_total_locked_usd: 0,
                    },
                    fees: Fees {
                        open_position_bps: open_bps,
                        close_position_bps: close_bps,
                        liquidation_bps: liq_bps,
                        liquidator_reward_bps: reward_bps,
                        ..Fees::default()
                    },
                    skew: crate::math::trade::MarketSkew::default(),
                };
                (collateral, market)
            },
        )
}

/// A size and the collateral for it: mostly at a leverage of 1x .. 10x (so most opens and
/// increases pass), else 0.5x .. 120x (around the limits), or an unrelated amount.
fn sized() -> impl Strategy<Value = (u64, u64)> {
    (
        log_range(1, 10_000_000_000_000), // 1 micro-USD .. 10M USD
        prop_oneof![
            4 => (10_000u64..=100_000).prop_map(Some),
            2 => (5_000u64..=1_200_000).prop_map(Some),
            1 => Just(None),
        ],
        log_range(1, 1_000_000_000_000), // 1 base unit .. 1M USDC
    )
        .prop_map(|(size_usd, leverage_bps, tokens)| {
            let collateral_in = match leverage_bps {
                // USDC base units are about micro-USD.
                Some(lev) => u64::try_from(u128::from(size_usd) * 10_000 / u128::from(lev))
                    .unwrap()
                    .max(1),
                None => tokens,
            };
            (size_usd, collateral_in)
        })
}
