//! Tests of the trade math, by kind of trade (`opening`, `settling`, `collateral_removal`) and
//! as properties over random positions (`properties`); this file holds their shared fixtures.

use {
    super::*,
    crate::math::{
        pnl::{capped_pnl, entry_quantity, liquidation_price, ProfitAndLoss},
        pricing::exit_price_at,
    },
    proptest::prelude::*,
};

mod collateral_removal;
mod opening;
mod properties;
mod settling;

fn err_is<T>(result: Result<T>, expected: &str) -> bool {
    crate::math::error_name(&result).as_deref() == Some(expected)
}

const USD: u64 = 1_000_000;
/// 1 USD per whole token in PRICE_DECIMALS.
const PRICE: u64 = 10u64.pow(crate::constants::PRICE_DECIMALS as u32);
const USDC_1: OraclePrice = OraclePrice {
    price: 100_000_000,
    exponent: -8,
};

fn usdc(owned: u64, locked: u64) -> CollateralCustody {
    CollateralCustody {
        decimals: 6,
        min_price: USDC_1,
        max_price: USDC_1,
        owned,
        locked,
        pricing: PricingParams::default(),
        fees: Fees {
            protocol_share_bps: 2_000,
            insurance_share_bps: 1_000,
            staker_share_bps: 1_500,
            ..Fees::default()
        },
        borrow_rate: BorrowRateParams::default(),
    }
}

fn market() -> Market {
    Market {
        pricing: PricingParams {
            use_ema: false,
            trade_spread_long_bps: 0,
            trade_spread_short_bps: 0,
            min_initial_leverage_bps: 10_000,
            max_initial_leverage_bps: 500_000,
            max_leverage_bps: 1_000_000,
            max_payoff_mult_bps: 10_000,
            max_utilization: 0,
            max_position_size_usd: 0,
            max_total_locked_usd: 0,
        },
        fees: Fees {
            open_position_bps: 10,
            close_position_bps: 10,
            liquidation_bps: 50,
            liquidator_reward_bps: 20,
            ..Fees::default()
        },
        skew: crate::math::trade::MarketSkew::default(),
    }
}

/// One whole token in QUANTITY_DECIMALS.
const TOKEN: u128 = 1_000_000_000_000;

/// A long of `size_usd` entered at `price`, locking its size in USDC.
fn long(price: u64, size_usd: u64, collateral_amount: u64) -> PositionState {
    PositionState {
        side: Side::Long,
        quantity: entry_quantity(Side::Long, size_usd, price).unwrap(),
        size_usd,
        collateral_amount,
        locked_amount: size_usd,
    }
}

fn settlement_conserves_tokens(out: &SettlementAmounts, liquidation: bool) -> bool {
    // vault out == -(Δowned + Δcollateral + Δprotocol + Δinsurance + Δstake_rewards)
    let inflow = i128::from(out.owned_in)
        + i128::from(out.fee_split.protocol)
        + i128::from(out.fee_split.insurance)
        + i128::from(out.fee_split.stakers);
    let outflow = i128::from(out.owned_out)
        + i128::from(out.collateral_taken)
        + i128::from(out.insurance_draw);
    let paid_out = if liquidation {
        out.paid.reward_paid
    } else {
        out.amount_out
    };
    outflow - inflow == i128::from(paid_out)
}

/// A valid custody config (`Fees::validate`, `PricingParams::validate_liquidation_margin`): the
/// liquidation fee at least the close fee, fee + reward within the maintenance margin.
fn valid_liquidation_fees(m: &mut Market) {
    let margin_bps = BPS_POWER * BPS_POWER / m.pricing.max_leverage_bps;
    m.fees.liquidation_bps = m.fees.liquidation_bps.max(m.fees.close_position_bps);
    m.fees.liquidator_reward_bps = m
        .fees
        .liquidator_reward_bps
        .min(margin_bps - m.fees.liquidation_bps);
}

/// Review findings of the asset-backed longs, fixed.
mod review {
    use super::*;

    /// F1: what a trader owes converts at the MIN price (ceil): the most tokens. With the
    /// collateral's min below its max (SOL after a drop, spot under the EMA), 100 USD owed is
    /// 1.25 SOL at the 80 USD min, not 1.1112 at the 90 USD max.
    #[test]
    fn owed_tokens_convert_at_the_min_price() {
        let sol = CollateralCustody {
            decimals: 9,
            min_price: OraclePrice {
                price: 8_000_000_000,
                exponent: -8,
            },
            max_price: OraclePrice {
                price: 9_000_000_000,
                exponent: -8,
            },
            ..usdc(0, 0)
        };
        assert_eq!(sol.owed_tokens(100 * USD).unwrap(), 1_250_000_000);
        // Payouts and locks still convert at the max price (the fewest tokens per USD paid).
        assert_eq!(sol.paid_tokens(100 * USD).unwrap(), 1_111_111_111);
        assert_eq!(sol.lock_tokens(100 * USD).unwrap(), 1_111_111_112);
    }

    /// F2: an increase keeps the open's minimum leverage: a 1 USD increase carrying 1 000 USD of
    /// collateral onto a 1 000 USD position at 1x minimum is refused.
    #[test]
    fn an_increase_keeps_the_minimum_leverage() {
        let position = long(PRICE, 1_000 * USD, 900 * USD);
        let collateral = usdc(1_000_000 * USD, 1_000 * USD);
        let result = compute_increase_position(
            &position,
            USD,
            1_000 * USD,
            PRICE,
            PRICE,
            0,
            &collateral,
            &market(),
        );
        assert!(err_is(result, "MinLeverageNotMet"));
        // The same increase with a little collateral passes.
        compute_increase_position(&position, USD, USD, PRICE, PRICE, 0, &collateral, &market())
            .unwrap();
    }
}
