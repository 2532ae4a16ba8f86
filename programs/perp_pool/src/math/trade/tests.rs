use {
    super::*,
    crate::math::{pnl::liquidation_price, pricing::exit_price_at},
    proptest::prelude::*,
};

fn err_is<T>(result: Result<T>, expected: &str) -> bool {
    crate::math::error_name(&result).as_deref() == Some(expected)
}

const USD: u64 = 1_000_000;
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
    }
}

fn long(price: u64, size_usd: u64, collateral_amount: u64) -> PositionState {
    PositionState {
        side: Side::Long,
        price,
        size_usd,
        collateral_amount,
        locked_amount: size_usd,
    }
}

#[test]
fn open_takes_fee_from_collateral_and_locks_size() {
    let out =
        compute_open_position(1_000 * USD, 100 * USD, &usdc(10_000 * USD, 0), &market()).unwrap();
    assert_eq!(
        out,
        OpenPositionAmounts {
            locked_amount: 1_000 * USD,
            utilization_after: 100_000_000,
            fee_usd: USD,
            fee_amount: USD,
            fee_split: FeeSplit {
                protocol: 200_000,
                insurance: 100_000,
                lp: 700_000
            },
            collateral_amount: 99 * USD,
            collateral_usd: 99 * USD,
        }
    );
}

#[test]
fn open_checks_caps_in_order() {
    let m = market();
    let c = usdc(10_000 * USD, 0);
    assert!(err_is(compute_open_position(0, 1, &c, &m), "ZeroAmount"));
    let mut capped = m;
    capped.pricing.max_position_size_usd = 999 * USD;
    assert!(err_is(
        compute_open_position(1_000 * USD, 100 * USD, &c, &capped),
        "MaxPositionSizeExceeded"
    ));
    assert!(err_is(
        compute_open_position(1_000 * USD, 100 * USD, &usdc(999 * USD, 0), &m),
        "InsufficientLiquidity"
    ));
    let mut lender = c;
    lender.pricing.max_utilization = 99_999_999;
    assert!(err_is(
        compute_open_position(1_000 * USD, 100 * USD, &lender, &m),
        "MaxUtilizationExceeded"
    ));
    let mut lender = c;
    lender.pricing.max_total_locked_usd = 999 * USD;
    assert!(err_is(
        compute_open_position(1_000 * USD, 100 * USD, &lender, &m),
        "MaxTotalLockedExceeded"
    ));
    assert!(err_is(
        compute_open_position(1_000 * USD, USD, &c, &m),
        "InsufficientCollateral"
    ));
    // 1_000 / 19 > 50x
    assert!(err_is(
        compute_open_position(1_000 * USD, 20 * USD, &c, &m),
        "MaxLeverageExceeded"
    ));
    // 1_000 / 1_001 < 1x
    assert!(err_is(
        compute_open_position(1_000 * USD, 1_002 * USD, &c, &m),
        "MinLeverageNotMet"
    ));
    // exactly 50x after the fee is allowed, one micro-USD less collateral is not
    assert!(compute_open_position(1_000 * USD, 21 * USD, &c, &m).is_ok());
    assert!(err_is(
        compute_open_position(1_000 * USD, 21 * USD - 1, &c, &m),
        "MaxLeverageExceeded"
    ));
}

#[test]
fn close_at_profit_pays_collateral_plus_profit_minus_fees() {
    let p = long(100 * USD, 1_000 * USD, 99 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    // +10 % -> +100 USD, close fee 1 USD, interest 0.5 USD
    let out =
        compute_decrease_position(&p, 1_000 * USD, 110 * USD, 500_000, 0, &c, &market()).unwrap();
    assert!(out.full);
    assert_eq!(
        out.pnl,
        ProfitAndLoss {
            profit_usd: 100 * USD,
            loss_usd: 0
        }
    );
    assert_eq!(out.amount_out, 99 * USD + 100 * USD - USD - 500_000);
    assert_eq!(out.collateral_taken, 99 * USD);
    assert_eq!(out.owned_out, 100 * USD);
    assert_eq!(out.owned_in, 500_000 + 700_000);
    assert_eq!(out.locked_delta, 1_000 * USD);
    assert_eq!(out.bad_debt_amount, 0);
}

#[test]
fn close_at_loss_pays_lps_first() {
    let p = long(100 * USD, 1_000 * USD, 99 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    // -5 % -> -50 USD
    let out = compute_decrease_position(&p, 1_000 * USD, 95 * USD, 0, 0, &c, &market()).unwrap();
    assert_eq!(out.pnl.loss_usd, 50 * USD);
    assert_eq!(out.amount_out, 48 * USD);
    assert_eq!(out.owned_in, 50 * USD + 700_000);
}

#[test]
fn insolvent_close_draws_insurance_then_records_bad_debt() {
    let p = long(100 * USD, 1_000 * USD, 99 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    // -20 % -> 200 USD loss on 99 USD collateral: 101 USD short; 60 USD insurance.
    let out =
        compute_decrease_position(&p, 1_000 * USD, 80 * USD, 0, 60 * USD, &c, &market()).unwrap();
    assert_eq!(out.amount_out, 0);
    assert_eq!(out.paid.lp_paid, 99 * USD);
    assert_eq!(out.paid.fee_paid, 0);
    assert_eq!(out.insurance_draw, 60 * USD);
    assert_eq!(out.bad_debt_amount, 41 * USD);
    assert_eq!(out.bad_debt_usd, 41 * USD);
}

#[test]
fn partial_decrease_is_proportional_and_keeps_position_healthy() {
    let p = long(100 * USD, 1_000 * USD, 100 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    let out = compute_decrease_position(&p, 250 * USD, 100 * USD, 0, 0, &c, &market()).unwrap();
    assert!(!out.full);
    assert_eq!(out.locked_delta, 250 * USD);
    // 25 USD of collateral back less the 0.25 USD close fee
    assert_eq!(out.amount_out, 25 * USD - 250_000);
    assert_eq!(out.size_usd, 750 * USD);
    assert_eq!(out.collateral_amount, 75 * USD);
    assert_eq!(out.locked_amount, 750 * USD);
    assert!(err_is(
        compute_decrease_position(&p, 1_001 * USD, 100 * USD, 0, 0, &c, &market()),
        "InvalidPositionState"
    ));
    // At a 9 % loss the remaining 750 USD would be liquidatable (100x maintenance).
    assert!(err_is(
        compute_decrease_position(&p, 250 * USD, 91 * USD, 0, 0, &c, &market()),
        "MaxLeverageExceeded"
    ));
}

#[test]
fn liquidation_pays_reward_then_lps_then_fee() {
    let p = long(100 * USD, 1_000 * USD, 20 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    assert!(err_is(
        compute_liquidation(&p, 100 * USD, 0, 0, &c, &market()),
        "PositionHealthy"
    ));
    // -1.5 %: loss 15, equity 20 - 15 - 1 = 4 -> 250x > 100x
    let out = compute_liquidation(&p, 98_500_000, 0, 0, &c, &market()).unwrap();
    assert_eq!(out.reward_amount, 2 * USD);
    assert_eq!(out.paid.reward_paid, 2 * USD);
    assert_eq!(out.paid.lp_paid, 15 * USD);
    assert_eq!(out.paid.fee_paid, 3 * USD); // of 5 USD owed
    assert_eq!(out.paid.rest, 0);
    assert_eq!(out.owned_in, 15 * USD + out.fee_split.lp);
    assert_eq!(out.insurance_draw, 0);
}

#[test]
fn remove_collateral_respects_initial_leverage() {
    let p = long(100 * USD, 1_000 * USD, 100 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    let out = compute_remove_collateral(&p, 50 * USD, 100 * USD, 0, &c, &market()).unwrap();
    assert_eq!(out.amount_out, 50 * USD);
    assert_eq!(out.collateral_amount, 50 * USD);
    // 1_000 / (21 - 1) = 50x: allowed; one more micro-USD is not.
    assert!(compute_remove_collateral(&p, 79 * USD, 100 * USD, 0, &c, &market()).is_ok());
    assert!(err_is(
        compute_remove_collateral(&p, 79 * USD + 1, 100 * USD, 0, &c, &market()),
        "MaxLeverageExceeded"
    ));
    assert!(err_is(
        compute_remove_collateral(&p, 100 * USD, 100 * USD, 0, &c, &market()),
        "InsufficientCollateral"
    ));
    assert!(err_is(
        compute_remove_collateral(&p, 0, 100 * USD, 0, &c, &market()),
        "ZeroAmount"
    ));
}

#[test]
fn increase_weights_entry_by_quantity() {
    let p = long(100 * USD, 1_000 * USD, 100 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    // +1_000 USD at 200: quantity 10 + 5 = 15, entry = 2_000 / 15 = 133.333334 (ceil)
    let out = compute_increase_position(&p, 1_000 * USD, 0, 200 * USD, 0, &c, &market()).unwrap();
    assert_eq!(out.price, 133_333_334);
    assert_eq!(out.size_usd, 2_000 * USD);
    assert_eq!(out.locked_amount, 2_000 * USD);
    assert_eq!(out.collateral_amount, 99 * USD);
    let short = PositionState {
        side: Side::Short,
        ..p
    };
    let out =
        compute_increase_position(&short, 1_000 * USD, 0, 200 * USD, 0, &c, &market()).unwrap();
    assert_eq!(out.price, 133_333_333);
}

fn settlement_conserves_tokens(out: &SettlementAmounts, liquidation: bool) -> bool {
    // vault out == -(Δowned + Δcollateral + Δprotocol + Δinsurance)
    let inflow = i128::from(out.owned_in)
        + i128::from(out.fee_split.protocol)
        + i128::from(out.fee_split.insurance);
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

fn scenario() -> impl Strategy<Value = (Side, u64, u64, u64, u64, u64, u64)> {
    (
        prop_oneof![Just(Side::Long), Just(Side::Short)],
        1_000u64..=1_000_000_000_000, // oracle price up to 1M USD
        1u64..=10_000_000 * USD,      // size
        1u64..=1_000_000 * USD,       // collateral in
        0u64..=500,                   // spread
        0u64..=100,                   // fee bps
        0u64..=10_000,                // price move in bps (up or down)
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    /// Opening then closing at an unchanged oracle price never returns more than was deposited.
    #[test]
    fn open_then_close_at_same_price_creates_no_value((side, oracle, size, collateral_in, spread, fee_bps, _) in scenario()) {
        let mut m = market();
        m.pricing.trade_spread_long_bps = spread;
        m.pricing.trade_spread_short_bps = spread;
        m.pricing.min_initial_leverage_bps = 0;
        m.fees.open_position_bps = fee_bps;
        m.fees.close_position_bps = fee_bps;
        let c = usdc(u64::MAX / 4, 0);
        let prices = crate::math::pricing::TradePrices { lo: oracle, hi: oracle };
        let entry = crate::math::pricing::entry_price(side, prices, spread);
        if let (Ok(entry), Ok(open)) = (entry, compute_open_position(size, collateral_in, &c, &m)) {
            let exit = crate::math::pricing::exit_price(side, prices, spread).unwrap();
            let position = PositionState { side, price: entry, size_usd: size, collateral_amount: open.collateral_amount, locked_amount: open.locked_amount };
            let c2 = CollateralCustody { locked: open.locked_amount, ..c };
            let close = compute_decrease_position(&position, size, exit, 0, 0, &c2, &m).unwrap();
            prop_assert!(close.amount_out <= collateral_in);
            prop_assert_eq!(close.pnl.profit_usd, 0);
            prop_assert!(settlement_conserves_tokens(&close, false));
        }
    }

    /// Every settlement (close, partial decrease, liquidation) conserves tokens, pays profit only
    /// up to the released lock, and never pays the owner on a liquidation.
    #[test]
    fn settlements_conserve_tokens((side, oracle, size, collateral_in, spread, fee_bps, mv) in scenario(), up in any::<bool>(), part in 1u64..=10_000, insurance in 0u64..=1_000 * USD) {
        let mut m = market();
        m.pricing.trade_spread_long_bps = spread;
        m.pricing.trade_spread_short_bps = spread;
        m.pricing.min_initial_leverage_bps = 0;
        m.fees.open_position_bps = fee_bps;
        m.fees.close_position_bps = fee_bps;
        let c = usdc(u64::MAX / 4, 0);
        let prices = crate::math::pricing::TradePrices { lo: oracle, hi: oracle };
        if let (Ok(entry), Ok(open)) = (crate::math::pricing::entry_price(side, prices, spread), compute_open_position(size, collateral_in, &c, &m)) {
            let moved = if up { oracle + oracle / 10_000 * mv } else { oracle - oracle / 10_000 * mv };
            let exit = exit_price_at(side, moved, spread).unwrap();
            let position = PositionState { side, price: entry, size_usd: size, collateral_amount: open.collateral_amount, locked_amount: open.locked_amount };
            let c2 = CollateralCustody { locked: open.locked_amount, ..c };
            let delta = (u128::from(size) * u128::from(part) / 10_000).max(1) as u64;
            if let Ok(out) = compute_decrease_position(&position, delta, exit, 0, insurance, &c2, &m) {
                prop_assert!(settlement_conserves_tokens(&out, false));
                prop_assert!(out.profit_amount <= out.locked_delta);
                prop_assert!(out.insurance_draw <= insurance);
            }
            if let Ok(out) = compute_liquidation(&position, exit, 0, insurance, &c2, &m) {
                prop_assert!(settlement_conserves_tokens(&out, true));
                prop_assert_eq!(out.amount_out, 0);
                prop_assert!(out.insurance_draw <= insurance);
            }
        }
    }

    /// The liquidation price from a real open position agrees with what `compute_liquidation`
    /// accepts: not liquidatable at it, liquidatable one tick past it.
    #[test]
    fn liquidate_agrees_with_liquidation_price((side, oracle, size, collateral_in, spread, fee_bps, _) in scenario()) {
        let mut m = market();
        m.pricing.trade_spread_long_bps = spread;
        m.pricing.trade_spread_short_bps = spread;
        m.pricing.min_initial_leverage_bps = 0;
        m.fees.open_position_bps = fee_bps;
        m.fees.close_position_bps = fee_bps;
        let c = usdc(u64::MAX / 4, 0);
        let prices = crate::math::pricing::TradePrices { lo: oracle, hi: oracle };
        if let (Ok(entry), Ok(open)) = (crate::math::pricing::entry_price(side, prices, spread), compute_open_position(size, collateral_in, &c, &m)) {
            let position = PositionState { side, price: entry, size_usd: size, collateral_amount: open.collateral_amount, locked_amount: open.locked_amount };
            let c2 = CollateralCustody { locked: open.locked_amount, ..c };
            let h = health_inputs(&position, 0, &c2, &m).unwrap();
            let p = liquidation_price(&h, spread).unwrap();
            let at = |price: u64| compute_liquidation(&position, exit_price_at(side, price, spread).unwrap(), 0, 0, &c2, &m);
            let past = match side {
                Side::Long if p > 0 && p != u64::MAX => Some(p - 1),
                Side::Short if p > 0 && p < crate::math::pnl::LIQUIDATION_PRICE_SEARCH_MAX => Some(p + 1),
                _ => None,
            };
            if let Some(past) = past {
                prop_assert!(err_is(at(p), "PositionHealthy"));
                prop_assert!(at(past).is_ok());
            }
        }
    }
}
