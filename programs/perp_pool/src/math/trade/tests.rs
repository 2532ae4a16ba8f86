use {
    super::*,
    crate::math::{pnl::liquidation_price, pricing::exit_price_at},
    proptest::prelude::*,
};

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

#[test]
fn open_takes_fee_from_collateral_and_locks_size() {
    let out = compute_open_position(
        Side::Long,
        1_000 * USD,
        100 * PRICE,
        100 * PRICE,
        100 * USD,
        &usdc(10_000 * USD, 0),
        &market(),
    )
    .unwrap();
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
            quantity: 10 * TOKEN,
        }
    );
    // A short owes the quantity rounded up: 1_000 USD at 3 USD = 333.333333333334 tokens.
    let out = compute_open_position(
        Side::Short,
        1_000 * USD,
        3 * PRICE,
        3 * PRICE,
        100 * USD,
        &usdc(10_000 * USD, 0),
        &market(),
    )
    .unwrap();
    assert_eq!(out.quantity, 333_333_333_333_334);
}

#[test]
fn open_checks_caps_in_order() {
    let m = market();
    let c = usdc(10_000 * USD, 0);
    let open = |size, collateral_in, c: &CollateralCustody, m: &Market| {
        compute_open_position(
            Side::Long,
            size,
            150 * PRICE,
            150 * PRICE,
            collateral_in,
            c,
            m,
        )
    };
    assert!(err_is(open(0, 1, &c, &m), "ZeroAmount"));
    assert!(err_is(open(1, 0, &c, &m), "ZeroAmount"));
    // A size that buys no quantity unit (1 micro-USD above 10^6 USD per token) opens nothing.
    assert!(err_is(
        compute_open_position(
            Side::Long,
            1,
            1_000_000 * PRICE + 1,
            1_000_000 * PRICE + 1,
            100 * USD,
            &c,
            &m
        ),
        "NoExposureChange"
    ));
    assert!(err_is(
        compute_open_position(Side::Long, 1, 0, 0, 100 * USD, &c, &m),
        "MathOverflow"
    ));
    let mut capped = m;
    capped.pricing.max_position_size_usd = 999 * USD;
    assert!(err_is(
        open(1_000 * USD, 100 * USD, &c, &capped),
        "MaxPositionSizeExceeded"
    ));
    assert!(err_is(
        open(1_000 * USD, 100 * USD, &usdc(999 * USD, 0), &m),
        "InsufficientLiquidity"
    ));
    let mut lender = c;
    lender.pricing.max_utilization = 99_999_999;
    assert!(err_is(
        open(1_000 * USD, 100 * USD, &lender, &m),
        "MaxUtilizationExceeded"
    ));
    let mut lender = c;
    lender.pricing.max_total_locked_usd = 999 * USD;
    assert!(err_is(
        open(1_000 * USD, 100 * USD, &lender, &m),
        "MaxTotalLockedExceeded"
    ));
    assert!(err_is(
        open(1_000 * USD, USD, &c, &m),
        "InsufficientCollateral"
    ));
    // 1_000 / 19 > 50x
    assert!(err_is(
        open(1_000 * USD, 20 * USD, &c, &m),
        "MaxLeverageExceeded"
    ));
    // 1_000 / 1_001 < 1x
    assert!(err_is(
        open(1_000 * USD, 1_002 * USD, &c, &m),
        "MinLeverageNotMet"
    ));
    // 50x on collateral after the fee (20 USD) passes the collateral check, but the position
    // must also be within 50x at the exit price with the close fee and the loss counted: 1_000
    // USD at 150 buys 6.666666666666 tokens, worth 999.999999 USD at 150 (1 micro-USD loss), so
    // equity = collateral - 1 USD - 1 micro-USD must reach 20 USD.
    assert!(err_is(
        open(1_000 * USD, 21 * USD, &c, &m),
        "MaxLeverageExceeded"
    ));
    assert!(open(1_000 * USD, 22 * USD + 1, &c, &m).is_ok());
    assert!(err_is(
        open(1_000 * USD, 22 * USD, &c, &m),
        "MaxLeverageExceeded"
    ));
    // The equity check comes before the minimum leverage: an exit price far below the entry
    // fails MaxLeverageExceeded even with a collateral that is under the 1x minimum.
    assert!(err_is(
        compute_open_position(
            Side::Long,
            1_000 * USD,
            150 * PRICE,
            PRICE,
            1_002 * USD,
            &c,
            &m
        ),
        "MaxLeverageExceeded"
    ));
}

/// A 50x open of 1M USD with 21k USD of collateral (20k after the 1k open fee) on a market with
/// a 50 bps spread: a long enters at 100.5 and exits at 99.5, so at once the loss is
/// 9_950.248757 USD and the equity `20_000 - 9_950.248757 - 1_000 (close fee)` = 9_049.751243
/// USD, 110x (a short: 10_050.25 USD of loss, 8_949.75 USD of equity): liquidatable in the same
/// slot at 100x maintenance. The collateral-only check let it open (a trader trap);
/// the open is now refused, and the smallest collateral that opens leaves a position within
/// 50x at the exit price, so not liquidatable.
#[test]
fn open_that_would_be_liquidatable_at_once_is_refused() {
    let mut m = market();
    m.pricing.trade_spread_long_bps = 50;
    m.pricing.trade_spread_short_bps = 50;
    let c = usdc(10_000_000 * USD, 0);
    let prices = crate::math::pricing::TradePrices {
        lo: 100 * PRICE,
        hi: 100 * PRICE,
    };
    for side in [Side::Long, Side::Short] {
        let entry = crate::math::pricing::entry_price(side, prices, 50).unwrap();
        let exit = crate::math::pricing::exit_price(side, prices, 50).unwrap();
        let size = 1_000_000 * USD;
        assert!(err_is(
            compute_open_position(side, size, entry, exit, 21_000 * USD, &c, &m),
            "MaxLeverageExceeded"
        ));
        // What the collateral-only check accepted is liquidatable at once.
        let trap = PositionState {
            side,
            quantity: entry_quantity(side, size, entry).unwrap(),
            size_usd: size,
            collateral_amount: 20_000 * USD,
            locked_amount: size,
        };
        let locked = usdc(10_000_000 * USD, size);
        assert!(compute_liquidation(&trap, exit, 0, 0, &locked, &m).is_ok());
        let h = health_inputs(&trap, 0, &locked, &m).unwrap();
        let pnl = capped_pnl(side, trap.quantity, exit, size, h.max_profit_usd).unwrap();
        let spread_loss = match side {
            Side::Long => 9_950 * USD,
            Side::Short => 10_050 * USD,
        };
        assert!(pnl.loss_usd > spread_loss && pnl.loss_usd < spread_loss + USD);

        // The least collateral that opens (bisection; opening is monotone in the collateral).
        let opens = |collateral_in| {
            compute_open_position(side, size, entry, exit, collateral_in, &c, &m).is_ok()
        };
        let (mut lo, mut hi) = (21_000 * USD, 40_000 * USD);
        assert!(!opens(lo) && opens(hi));
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if opens(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        let collateral_in = hi;
        assert!(err_is(
            compute_open_position(side, size, entry, exit, collateral_in - 1, &c, &m),
            "MaxLeverageExceeded"
        ));
        let open = compute_open_position(side, size, entry, exit, collateral_in, &c, &m).unwrap();
        // 20_000 USD of equity + the spread's loss + the 1_000 USD close fee, after the 1_000
        // USD open fee.
        let least = 22_000 * USD + spread_loss;
        assert!(collateral_in > least && collateral_in < least + USD);
        let position = PositionState {
            side,
            quantity: open.quantity,
            size_usd: size,
            collateral_amount: open.collateral_amount,
            locked_amount: open.locked_amount,
        };
        let locked = usdc(10_000_000 * USD, open.locked_amount);
        assert!(err_is(
            compute_liquidation(&position, exit, 0, 0, &locked, &m),
            "PositionHealthy"
        ));
        assert!(within_initial_leverage(&position, exit, 0, &locked, &m).unwrap());
    }
}

#[test]
fn close_at_profit_pays_collateral_plus_profit_minus_fees() {
    let p = long(100 * PRICE, 1_000 * USD, 99 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    // +10 % -> +100 USD, close fee 1 USD, interest 0.5 USD
    let out =
        compute_decrease_position(&p, 1_000 * USD, 110 * PRICE, 500_000, 0, &c, &market()).unwrap();
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
    let p = long(100 * PRICE, 1_000 * USD, 99 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    // -5 % -> -50 USD
    let out = compute_decrease_position(&p, 1_000 * USD, 95 * PRICE, 0, 0, &c, &market()).unwrap();
    assert_eq!(out.pnl.loss_usd, 50 * USD);
    assert_eq!(out.amount_out, 48 * USD);
    assert_eq!(out.owned_in, 50 * USD + 700_000);
}

#[test]
fn insolvent_close_draws_insurance_then_records_bad_debt() {
    let p = long(100 * PRICE, 1_000 * USD, 99 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    // -20 % -> 200 USD loss on 99 USD collateral: 101 USD short; 60 USD insurance.
    let out =
        compute_decrease_position(&p, 1_000 * USD, 80 * PRICE, 0, 60 * USD, &c, &market()).unwrap();
    assert_eq!(out.amount_out, 0);
    assert_eq!(out.paid.lp_paid, 99 * USD);
    assert_eq!(out.paid.fee_paid, 0);
    assert_eq!(out.insurance_draw, 60 * USD);
    assert_eq!(out.bad_debt_amount, 41 * USD);
    assert_eq!(out.bad_debt_usd, 41 * USD);
}

#[test]
fn partial_decrease_is_proportional_and_keeps_position_healthy() {
    let p = long(100 * PRICE, 1_000 * USD, 100 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    let out = compute_decrease_position(&p, 250 * USD, 100 * PRICE, 0, 0, &c, &market()).unwrap();
    assert!(!out.full);
    assert_eq!(out.locked_delta, 250 * USD);
    // 25 USD of collateral back less the 0.25 USD close fee
    assert_eq!(out.amount_out, 25 * USD - 250_000);
    assert_eq!(out.size_usd, 750 * USD);
    assert_eq!(out.collateral_amount, 75 * USD);
    assert_eq!(out.locked_amount, 750 * USD);
    assert!(err_is(
        compute_decrease_position(&p, 1_001 * USD, 100 * PRICE, 0, 0, &c, &market()),
        "InvalidPositionState"
    ));
    // At a 9 % loss the remaining 750 USD would be liquidatable (100x maintenance).
    assert!(err_is(
        compute_decrease_position(&p, 250 * USD, 91 * PRICE, 0, 0, &c, &market()),
        "MaxLeverageExceeded"
    ));
}

#[test]
fn waterfall_pays_lps_then_fee_then_reward() {
    let w = |pot| waterfall(pot, 15, 5, 2).unwrap();
    let paid = |lp_paid, fee_paid, reward_paid, rest| Waterfall {
        lp_paid,
        fee_paid,
        reward_paid,
        rest,
    };
    assert_eq!(w(30), paid(15, 5, 2, 8));
    assert_eq!(w(21), paid(15, 5, 1, 0));
    assert_eq!(w(20), paid(15, 5, 0, 0));
    assert_eq!(w(16), paid(15, 1, 0, 0));
    // Underwater: the LPs take the whole pot, the fee and the reward get nothing.
    assert_eq!(w(15), paid(15, 0, 0, 0));
    assert_eq!(w(10), paid(10, 0, 0, 0));
    assert_eq!(w(0), paid(0, 0, 0, 0));
}

#[test]
fn liquidation_pays_lps_then_fee_then_reward() {
    let p = long(100 * PRICE, 1_000 * USD, 20 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    assert!(err_is(
        compute_liquidation(&p, 100 * PRICE, 0, 0, &c, &market()),
        "PositionHealthy"
    ));
    // -1 %: loss 10, equity 20 - 10 - 1 = 9 -> 111x > 100x. The margin left (10 USD) pays a close
    // fee's worth (1 USD) of the 5 USD fee, the 2 USD reward, the other 4 USD of the fee; 3 USD
    // more go to the LPs.
    let out = compute_liquidation(&p, 99 * PRICE, 0, 0, &c, &market()).unwrap();
    assert_eq!(out.quantity_delta, 10 * TOKEN);
    assert_eq!(out.reward_amount, 2 * USD);
    assert_eq!(out.paid.lp_paid, 10 * USD);
    assert_eq!(out.paid.fee_paid, 5 * USD);
    assert_eq!(out.paid.reward_paid, 2 * USD);
    assert_eq!(out.paid.rest, 3 * USD);
    assert_eq!(out.owned_in, 10 * USD + out.fee_split.lp + 3 * USD);
    assert!(settlement_conserves_tokens(&out, true));
    // -1.5 %: loss 15, 5 USD left: 1 USD of fee, the 2 USD reward, 2 USD more of the fee.
    let out = compute_liquidation(&p, 98_500_000_000, 0, 0, &c, &market()).unwrap();
    assert_eq!(out.paid.lp_paid, 15 * USD);
    assert_eq!(out.paid.fee_paid, 3 * USD);
    assert_eq!(out.paid.reward_paid, 2 * USD);
    assert_eq!(out.paid.rest, 0);
    assert_eq!(out.owned_in, 15 * USD + out.fee_split.lp);
    assert_eq!(out.insurance_draw, 0);
    // -1.9 %: loss 19 of 20 collateral: LPs 19, the close fee's worth of the fee takes the 1 USD
    // left, no reward.
    let out = compute_liquidation(&p, 98_100_000_000, 0, 0, &c, &market()).unwrap();
    assert_eq!(out.paid.lp_paid, 19 * USD);
    assert_eq!(out.paid.fee_paid, USD);
    assert_eq!(out.paid.reward_paid, 0);
}

/// A self-liquidation pays its owner the reward; a close fee's worth of the liquidation fee
/// (which is never below the close fee) ranks before it, so that is never more than a close at
/// the same price would pay. At -1.3 % the 1_000 USD long with 20 USD of collateral is
/// liquidatable (equity 20 - 13 - 1 = 6 USD); a close pays 6 USD, a liquidation leaves 7 - 1 = 6
/// USD for the 2 USD reward, then 4 USD of fee. Near the end of the margin the original order
/// (reward first) paid the owner more than a close: at -1.75 % it got min(2, 2.5) = 2 USD of
/// reward where a close pays 1.5 USD; now it gets 2.5 - 1 = 1.5 USD, exactly the close.
#[test]
fn self_liquidation_pays_no_more_than_a_close() {
    let p = long(100 * PRICE, 1_000 * USD, 20 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    let m = market();
    let exit = 98_700_000_000;
    let liquidation = compute_liquidation(&p, exit, 0, 0, &c, &m).unwrap();
    let close = compute_decrease_position(&p, 1_000 * USD, exit, 0, 0, &c, &m).unwrap();
    assert_eq!(close.amount_out, 6 * USD);
    assert_eq!(liquidation.paid.fee_paid, 5 * USD);
    assert_eq!(liquidation.paid.reward_paid, 2 * USD);
    assert!(liquidation.paid.reward_paid <= close.amount_out);
    // Closer to the margin's end (-1.75 %: 20 - 17.5 = 2.5 USD after the LPs): close 1.5 USD,
    // the liquidation 1 USD of fee then 1.5 USD of reward, the rest of the fee nothing.
    let exit = 98_250_000_000;
    let liquidation = compute_liquidation(&p, exit, 0, 0, &c, &m).unwrap();
    let close = compute_decrease_position(&p, 1_000 * USD, exit, 0, 0, &c, &m).unwrap();
    assert_eq!(close.amount_out, 1_500_000);
    assert_eq!(liquidation.paid.fee_paid, USD);
    assert_eq!(liquidation.paid.reward_paid, 1_500_000);
    assert!(liquidation.paid.reward_paid <= close.amount_out);
    // A custody configured before liquidation_bps >= close_position_bps was enforced: the
    // liquidation fee is taken at the close fee at least, so the bound still holds.
    let mut cheap = m;
    cheap.fees.liquidation_bps = 5;
    let liquidation = compute_liquidation(&p, exit, 0, 0, &c, &cheap).unwrap();
    assert_eq!(liquidation.fee_usd, USD);
    assert!(liquidation.paid.reward_paid <= close.amount_out);
}

/// Finding 4: an underwater position pays no liquidator reward (its owner cannot self-liquidate
/// to recover the reward out of the LPs' loss); the whole collateral goes to the LPs first.
#[test]
fn underwater_liquidation_pays_no_reward() {
    let p = long(100 * PRICE, 1_000 * USD, 20 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    // -3 %: loss 30 on 20 USD collateral, 4 USD insurance.
    let out = compute_liquidation(&p, 97 * PRICE, 0, 4 * USD, &c, &market()).unwrap();
    assert_eq!(out.reward_usd, 2 * USD);
    assert_eq!(out.reward_amount, 2 * USD);
    assert_eq!(out.paid.lp_paid, 20 * USD);
    assert_eq!(out.paid.reward_paid, 0);
    assert_eq!(out.paid.fee_paid, 0);
    assert_eq!(out.paid.rest, 0);
    assert_eq!(out.insurance_draw, 4 * USD);
    assert_eq!(out.bad_debt_amount, 6 * USD);
    assert_eq!(out.bad_debt_usd, 6 * USD);
    assert_eq!(out.owned_in, 24 * USD);
    assert!(settlement_conserves_tokens(&out, true));
}

#[test]
fn remove_collateral_respects_initial_leverage() {
    let p = long(100 * PRICE, 1_000 * USD, 100 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    let out = compute_remove_collateral(&p, 50 * USD, 100 * PRICE, 0, &c, &market()).unwrap();
    assert_eq!(out.amount_out, 50 * USD);
    assert_eq!(out.collateral_amount, 50 * USD);
    // 1_000 / (21 - 1) = 50x: allowed; one more micro-USD is not.
    assert!(compute_remove_collateral(&p, 79 * USD, 100 * PRICE, 0, &c, &market()).is_ok());
    assert!(err_is(
        compute_remove_collateral(&p, 79 * USD + 1, 100 * PRICE, 0, &c, &market()),
        "MaxLeverageExceeded"
    ));
    assert!(err_is(
        compute_remove_collateral(&p, 100 * USD, 100 * PRICE, 0, &c, &market()),
        "InsufficientCollateral"
    ));
    assert!(err_is(
        compute_remove_collateral(&p, 0, 100 * PRICE, 0, &c, &market()),
        "ZeroAmount"
    ));
}

#[test]
fn increase_adds_quantity_and_averages_entry() {
    let p = long(100 * PRICE, 1_000 * USD, 100 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    // +1_000 USD at 200: quantity 10 + 5 = 15, entry = 2_000 / 15 = 133.333333334 (ceil).
    let out = compute_increase_position(
        &p,
        1_000 * USD,
        0,
        200 * PRICE,
        200 * PRICE,
        0,
        &c,
        &market(),
    )
    .unwrap();
    assert_eq!(out.quantity_delta, 5 * TOKEN);
    assert_eq!(out.quantity, 15 * TOKEN);
    assert_eq!(out.price, 133_333_333_334);
    assert_eq!(out.size_usd, 2_000 * USD);
    assert_eq!(out.locked_delta, 1_000 * USD);
    assert_eq!(out.locked_amount, 2_000 * USD);
    assert_eq!(out.fee_amount, USD);
    assert_eq!(out.collateral_amount, 99 * USD);
    assert_eq!(out.collateral_usd, 99 * USD);

    // A short of 1_000 at 100 increased at 200 is 1_000 USD under water on the first piece: with
    // 1_100 USD of collateral (1_099 after the fee) its equity is 1_099 - 1_000 - 2 = 97 USD.
    let short = PositionState {
        side: Side::Short,
        quantity: entry_quantity(Side::Short, 1_000 * USD, 100 * PRICE).unwrap(),
        collateral_amount: 1_100 * USD,
        ..p
    };
    let out = compute_increase_position(
        &short,
        1_000 * USD,
        0,
        200 * PRICE,
        200 * PRICE,
        0,
        &c,
        &market(),
    )
    .unwrap();
    assert_eq!(out.quantity, 15 * TOKEN);
    assert_eq!(out.price, 133_333_333_333);
}

#[test]
fn increase_settles_interest_and_checks_in_order() {
    let p = long(100 * PRICE, 1_000 * USD, 100 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    let m = market();
    let inc = |p: &PositionState, delta, collateral_in, entry, interest| {
        compute_increase_position(p, delta, collateral_in, entry, entry, interest, &c, &m)
    };
    // 2.5 USD interest and the 0.1 USD fee come out of 100 + 10 USD.
    let out = inc(&p, 100 * USD, 10 * USD, 100 * PRICE, 2_500_000).unwrap();
    assert_eq!(out.interest_amount, 2_500_000);
    assert_eq!(out.fee_amount, 100_000);
    assert_eq!(out.collateral_amount, 110 * USD - 2_600_000);
    assert!(err_is(inc(&p, 0, 0, 100 * PRICE, 0), "ZeroAmount"));
    // Owing the whole collateral: refused.
    assert!(err_is(
        inc(&p, 1, 0, 100 * PRICE, 100 * USD),
        "InsufficientCollateral"
    ));
    let mut capped = m;
    capped.pricing.max_position_size_usd = 1_999 * USD;
    assert!(err_is(
        compute_increase_position(&p, 1_000 * USD, 0, 100 * PRICE, 100 * PRICE, 0, &c, &capped),
        "MaxPositionSizeExceeded"
    ));
    // 6_000 USD on 95 USD of collateral (5 USD fee) less a 6 USD close fee: 67x > 50x.
    assert!(err_is(
        inc(&p, 5_000 * USD, 0, 100 * PRICE, 0),
        "MaxLeverageExceeded"
    ));
}

/// Finding 1: a delta that buys no quantity unit is refused (a long's floor), and a short's
/// dust delta owes at least one unit (ceil), so no increase can move the average entry without
/// adding exposure. The old 6-decimal quantity floored a 0.09 USD short increase at 100_000 USD
/// to nothing and raised the short's entry.
#[test]
fn dust_increase_adds_exposure_or_is_refused() {
    let c = usdc(10_000 * USD, 1_000 * USD);
    let m = market();
    let btc = 100_000 * PRICE;
    let short = PositionState {
        side: Side::Short,
        quantity: entry_quantity(Side::Short, 1_000 * USD, btc).unwrap(),
        size_usd: 1_000 * USD,
        collateral_amount: 100 * USD,
        locked_amount: 1_000 * USD,
    };
    assert_eq!(short.quantity, TOKEN / 100);
    let out = compute_increase_position(&short, 90_000, 0, btc, btc, 0, &c, &m).unwrap();
    // 0.09 USD / 100_000 USD = 9 * 10^-7 token = 900_000 units, exact: the entry is unchanged.
    assert_eq!(out.quantity_delta, 900_000);
    assert_eq!(out.price, btc);
    // At an unchanged price the short made nothing by increasing.
    let pnl = capped_pnl(Side::Short, out.quantity, btc, out.size_usd, u64::MAX).unwrap();
    assert_eq!(pnl.profit_usd, 0);
    // One micro-USD: a short owes ceil(10^15 / 10^14) = 10 units (exact), at 300_000 USD
    // ceil(3.33) = 4 units, worth more than the micro-USD it adds.
    let out = compute_increase_position(&short, 1, 0, btc, btc, 0, &c, &m).unwrap();
    assert_eq!(out.quantity_delta, 10);
    let out = compute_increase_position(&short, 1, 0, 300_000 * PRICE, btc, 0, &c, &m).unwrap();
    assert_eq!(out.quantity_delta, 4);
    // A long's micro-USD above 10^6 USD per token buys nothing: refused.
    let long_btc = PositionState {
        side: Side::Long,
        ..short
    };
    assert!(err_is(
        compute_increase_position(&long_btc, 1, 0, 1_000_000 * PRICE + 1, btc, 0, &c, &m),
        "NoExposureChange"
    ));
}

/// Finding 5: after an increase the position must be within the max INITIAL leverage at the
/// exit price with its profit not counted; a liquidatable position cannot be increased, even
/// with a deposit that only restores the maintenance margin.
#[test]
fn liquidatable_position_cannot_be_increased() {
    let p = long(100 * PRICE, 1_000 * USD, 20 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    let m = market();
    // At 98.5 the position is liquidatable (see liquidation_pays_lps_then_fee_then_reward).
    assert!(compute_liquidation(&p, 98_500_000_000, 0, 0, &c, &m).is_ok());
    let exit = 98_500_000_000;
    assert!(err_is(
        compute_increase_position(&p, 10 * USD, 0, exit, exit, 0, &c, &m),
        "MaxLeverageExceeded"
    ));
    // With 30 USD more: collateral 49.99, loss 15.000001 (the new quantity floors), close fee
    // 1.01: equity 33.979999 USD, 1_010 / 33.979999 = 29.7x <= 50x: allowed.
    let out = compute_increase_position(&p, 10 * USD, 30 * USD, exit, exit, 0, &c, &m).unwrap();
    assert_eq!(out.collateral_amount, 50 * USD - 10_000);
    // Collateral only up to 20.2 USD of equity (1_010 / 50): 15.000001 + 1.01 + 20.2 = 36.210001
    // USD of collateral needed, i.e. 16.220001 USD more after the 0.01 USD fee.
    assert!(compute_increase_position(&p, 10 * USD, 16_220_001, exit, exit, 0, &c, &m).is_ok());
    assert!(err_is(
        compute_increase_position(&p, 10 * USD, 16_220_000, exit, exit, 0, &c, &m),
        "MaxLeverageExceeded"
    ));
    // Profit is not counted: a long far in profit with little collateral cannot lever up on it.
    let rich = long(100 * PRICE, 1_000 * USD, 21 * USD);
    assert!(err_is(
        compute_increase_position(&rich, 500 * USD, 0, 200 * PRICE, 200 * PRICE, 0, &c, &m),
        "MaxLeverageExceeded"
    ));
}

/// A token at 0.00002 USD (oracle 2 x 10^-5) is 20_000 price units, so a 10x long has a
/// liquidation price strictly between 0 and its entry (with 6 price decimals it was 20 units and
/// every tick 5 %). 1_000 USD long with 100 USD of collateral (99 after the 1 USD open fee):
/// 5 x 10^7 tokens, worth `5 x 10^4 x P` micro-USD at P. At 100x maintenance the equity
/// `99 - 1 (close fee) + value - 1_000` USD must stay >= 10 USD, i.e. value >= 912 USD and
/// P >= 18_240 (0.00001824 USD, 8.8 % below the entry).
#[test]
fn ten_x_long_on_a_token_at_two_hundred_thousandths_of_a_usd() {
    let oracle = OraclePrice {
        price: 2,
        exponent: -5,
    };
    let m = market();
    let prices = crate::math::pricing::trade_prices(oracle, oracle, false).unwrap();
    assert_eq!(prices.lo, 20_000);
    let entry = crate::math::pricing::entry_price(Side::Long, prices, 0).unwrap();
    assert_eq!(entry, 20_000);
    let open = compute_open_position(
        Side::Long,
        1_000 * USD,
        entry,
        entry,
        100 * USD,
        &usdc(10_000 * USD, 0),
        &m,
    )
    .unwrap();
    assert_eq!(open.quantity, 50_000_000 * TOKEN);
    assert_eq!(open.collateral_amount, 99 * USD);
    let position = PositionState {
        side: Side::Long,
        quantity: open.quantity,
        size_usd: 1_000 * USD,
        collateral_amount: open.collateral_amount,
        locked_amount: open.locked_amount,
    };
    let c = usdc(10_000 * USD, open.locked_amount);

    // Liquidation price: strictly between 0 and the entry.
    let h = health_inputs(&position, 0, &c, &m).unwrap();
    let liquidation = liquidation_price(&h, 0).unwrap();
    assert_eq!(liquidation, 18_240);
    assert!(0 < liquidation && liquidation < entry);
    assert!(err_is(
        compute_liquidation(&position, liquidation, 0, 0, &c, &m),
        "PositionHealthy"
    ));
    assert!(compute_liquidation(&position, liquidation - 1, 0, 0, &c, &m).is_ok());

    // Valued: nothing at the entry, +5 % (21_000) is +50 USD.
    assert_eq!(
        capped_pnl(
            Side::Long,
            position.quantity,
            entry,
            position.size_usd,
            u64::MAX
        )
        .unwrap(),
        ProfitAndLoss::default()
    );
    assert_eq!(
        capped_pnl(
            Side::Long,
            position.quantity,
            21_000,
            position.size_usd,
            u64::MAX
        )
        .unwrap(),
        ProfitAndLoss {
            profit_usd: 50 * USD,
            loss_usd: 0
        }
    );

    // Closed at +5 %: 99 USD collateral + 50 USD profit - 1 USD close fee.
    let close = compute_decrease_position(&position, 1_000 * USD, 21_000, 0, 0, &c, &m).unwrap();
    assert!(close.full);
    assert_eq!(close.amount_out, 148 * USD);
    assert!(settlement_conserves_tokens(&close, false));
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

/// Oracle prices from 10^-4 USD to 10^6 USD (PRICE / 10^4 ..= PRICE x 10^6): a decade, then a
/// value in it.
fn oracle_price() -> impl Strategy<Value = u64> {
    let decades =
        crate::constants::PRICE_DECIMALS as u32 - 4..=crate::constants::PRICE_DECIMALS as u32 + 6;
    decades.prop_flat_map(|decade| {
        let lo = 10u64.pow(decade);
        (lo..=lo * 10).prop_map(|p| p.min(1_000_000 * PRICE))
    })
}

fn scenario() -> impl Strategy<Value = (Side, u64, u64, u64, u64, u64, u64)> {
    (
        prop_oneof![Just(Side::Long), Just(Side::Short)],
        oracle_price(),          // 10^-4 .. 10^6 USD
        1u64..=10_000_000 * USD, // size
        1u64..=1_000_000 * USD,  // collateral in
        0u64..=500,              // spread
        0u64..=100,              // fee bps
        0u64..=10_000,           // price move in bps (up or down)
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
        if let Some((entry, open)) = entry.ok().and_then(|entry| Some((entry, compute_open_position(side, size, entry, crate::math::pricing::exit_price(side, prices, spread).ok()?, collateral_in, &c, &m).ok()?))) {
            prop_assert_eq!(open.quantity, entry_quantity(side, size, entry).unwrap());
            let exit = crate::math::pricing::exit_price(side, prices, spread).unwrap();
            let position = PositionState { side, quantity: open.quantity, size_usd: size, collateral_amount: open.collateral_amount, locked_amount: open.locked_amount };
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
        valid_liquidation_fees(&mut m);
        let c = usdc(u64::MAX / 4, 0);
        let prices = crate::math::pricing::TradePrices { lo: oracle, hi: oracle };
        if let Some(open) = crate::math::pricing::entry_price(side, prices, spread).ok().and_then(|entry| compute_open_position(side, size, entry, crate::math::pricing::exit_price(side, prices, spread).ok()?, collateral_in, &c, &m).ok()) {
            let moved = if up { oracle + oracle / 10_000 * mv } else { oracle - oracle / 10_000 * mv };
            let exit = exit_price_at(side, moved, spread).unwrap();
            let position = PositionState { side, quantity: open.quantity, size_usd: size, collateral_amount: open.collateral_amount, locked_amount: open.locked_amount };
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
        valid_liquidation_fees(&mut m);
        let c = usdc(u64::MAX / 4, 0);
        let prices = crate::math::pricing::TradePrices { lo: oracle, hi: oracle };
        if let Some(open) = crate::math::pricing::entry_price(side, prices, spread).ok().and_then(|entry| compute_open_position(side, size, entry, crate::math::pricing::exit_price(side, prices, spread).ok()?, collateral_in, &c, &m).ok()) {
            let position = PositionState { side, quantity: open.quantity, size_usd: size, collateral_amount: open.collateral_amount, locked_amount: open.locked_amount };
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

    /// An open that is accepted is never liquidatable at the exit price of the same moment,
    /// whatever the spread and the spot/EMA gap: it is within the initial leverage there with
    /// its profit not counted, and the initial leverage is at most the maintenance leverage.
    #[test]
    fn opened_position_is_not_liquidatable_at_once((side, oracle, size, collateral_in, spread, fee_bps, gap_bps) in scenario()) {
        let mut m = market();
        m.pricing.trade_spread_long_bps = spread;
        m.pricing.trade_spread_short_bps = spread;
        m.pricing.min_initial_leverage_bps = 0;
        m.fees.open_position_bps = fee_bps;
        m.fees.close_position_bps = fee_bps;
        valid_liquidation_fees(&mut m);
        let c = usdc(u64::MAX / 4, 0);
        // Spot and EMA up to 10 % apart (use_ema: trades at max / min of them).
        let prices = crate::math::pricing::TradePrices { lo: oracle, hi: oracle + oracle / 100_000 * gap_bps };
        let (Ok(entry), Ok(exit)) = (crate::math::pricing::entry_price(side, prices, spread), crate::math::pricing::exit_price(side, prices, spread)) else {
            return Ok(());
        };
        if let Ok(open) = compute_open_position(side, size, entry, exit, collateral_in, &c, &m) {
            let position = PositionState { side, quantity: open.quantity, size_usd: size, collateral_amount: open.collateral_amount, locked_amount: open.locked_amount };
            let c2 = CollateralCustody { locked: open.locked_amount, ..c };
            prop_assert!(err_is(compute_liquidation(&position, exit, 0, 0, &c2, &m), "PositionHealthy"));
            prop_assert!(within_initial_leverage(&position, exit, 0, &c2, &m).unwrap());
        }
    }

    /// A partial decrease gives back `quantity * delta / size` rounded against the trader (long
    /// floor, short ceil), keeps the rest, and is refused when either piece would hold no
    /// quantity.
    #[test]
    fn decrease_splits_quantity_against_the_trader(side in prop_oneof![Just(Side::Long), Just(Side::Short)], quantity in 1u128..=1u128 << 60, size in 2u64..=10_000_000 * USD, part in 1u64..=9_999) {
        let c = usdc(u64::MAX / 4, u64::MAX / 8);
        let delta = (u128::from(size) * u128::from(part) / 10_000).clamp(1, u128::from(size) - 1) as u64;
        // Plenty of collateral, no fee pressure: only the quantity rule can refuse.
        let p = PositionState { side, quantity, size_usd: size, collateral_amount: u64::MAX / 16, locked_amount: size };
        let m = Market { pricing: PricingParams { max_leverage_bps: u64::MAX / 2, ..market().pricing }, ..market() };
        let exact_num = quantity * u128::from(delta);
        let expected = match side {
            Side::Long => exact_num / u128::from(size),
            Side::Short => exact_num.div_ceil(u128::from(size)),
        };
        // At 10^-9 USD per token (exit price 1) the quantity (at most 2^60 units, 1.2 x 10^6
        // tokens) is worth at most about a thousandth of a USD: no loss can exceed the collateral.
        match compute_decrease_position(&p, delta, 1, 0, 0, &c, &m) {
            Ok(out) => {
                prop_assert_eq!(out.quantity_delta, expected);
                prop_assert_eq!(out.quantity_delta + out.quantity, quantity);
                prop_assert!(out.quantity > 0 && out.quantity_delta > 0);
            }
            Err(e) => {
                let name = crate::math::error_name::<()>(&Err(e));
                prop_assert!(expected == 0 || expected == quantity, "{:?} expected {}", name, expected);
                prop_assert_eq!(name.as_deref(), Some("NoExposureChange"));
            }
        }
    }
}

#[test]
fn proportional_quantity_does_not_overflow_where_the_plain_product_would() {
    // 2^120 * 2^63 overflows u128; the exact quotient (checked with arbitrary precision) does not.
    let (q, part, whole) = (1u128 << 120, 1u64 << 63, u64::MAX);
    assert!(q.checked_mul(u128::from(part)).is_none());
    assert_eq!(
        proportional_quantity(q, part, whole, Rounding::Floor).unwrap(),
        664_613_997_892_457_936_487_932_327_159_136_256
    );
    assert_eq!(
        proportional_quantity(q, part, whole, Rounding::Ceil).unwrap(),
        664_613_997_892_457_936_487_932_327_159_136_257
    );
    let q = 1_000_000_000_000_000_000_000_000_000_000u128 + 12_345;
    assert_eq!(
        proportional_quantity(q, 999_999_999_999, 1_000_000_000_000, Rounding::Floor).unwrap(),
        999_999_999_999_000_000_000_000_012_344
    );
    assert_eq!(
        proportional_quantity(q, 999_999_999_999, 1_000_000_000_000, Rounding::Ceil).unwrap(),
        999_999_999_999_000_000_000_000_012_345
    );
    assert!(err_is(
        proportional_quantity(1, 1, 0, Rounding::Floor),
        "MathOverflow"
    ));
}

proptest! {
    /// Where the plain product fits, the wide form equals `mul_div` exactly.
    #[test]
    fn proportional_quantity_equals_mul_div_when_it_fits(
        q in 0u128..(1u128 << 64),
        whole in 1u64..,
        part_frac in 0u64..=10_000,
        ceil in any::<bool>(),
    ) {
        let part = u64::try_from(u128::from(whole) * u128::from(part_frac) / 10_000).unwrap();
        let rounding = if ceil { Rounding::Ceil } else { Rounding::Floor };
        prop_assert_eq!(
            proportional_quantity(q, part, whole, rounding).unwrap(),
            mul_div(q, u128::from(part), u128::from(whole), rounding).unwrap()
        );
    }
}

#[test]
fn capped_predicate_is_the_settlement_cap() {
    let c = usdc(10_000 * USD, 1_500 * USD);
    // 1_500 USD long at 150 (10 SOL), cap 1_500 USD (1x): capped from 300 up.
    let p = long(150 * PRICE, 1_500 * USD, 98_500_000);
    assert!(!is_capped(&p, 300 * PRICE - 1, &c).unwrap());
    assert!(is_capped(&p, 300 * PRICE, &c).unwrap());
    assert!(is_capped(&p, 310 * PRICE, &c).unwrap());
    // A position at a loss is never capped, even with a cap that rounds to 0.
    let no_lock = PositionState {
        locked_amount: 0,
        ..p
    };
    assert!(!is_capped(&no_lock, 150 * PRICE, &c).unwrap());
    assert!(!is_capped(&no_lock, 100 * PRICE, &c).unwrap());
    assert!(is_capped(&no_lock, 151 * PRICE, &c).unwrap());
    // Short: profit = size - value; 1_500 USD short at 150 with a 0.5x cap (750 USD) is capped
    // once 10 SOL are worth 750 USD or less.
    let short = PositionState {
        side: Side::Short,
        quantity: entry_quantity(Side::Short, 1_500 * USD, 150 * PRICE).unwrap(),
        locked_amount: 750 * USD,
        ..p
    };
    assert!(!is_capped(&short, 75 * PRICE + 1, &c).unwrap());
    assert!(is_capped(&short, 75 * PRICE, &c).unwrap());
    assert!(err_is(
        compute_close_capped_position(&p, 300 * PRICE - 1, 0, 0, &c, &market()),
        "PositionNotCapped"
    ));
}

#[test]
fn close_at_cap_is_a_close_with_the_reward_taken_from_the_owner() {
    let c = usdc(10_000 * USD, 1_500 * USD);
    let m = market();
    let p = long(150 * PRICE, 1_500 * USD, 98_500_000);
    let interest = 2 * USD;
    let close =
        compute_decrease_position(&p, p.size_usd, 310 * PRICE, interest, 0, &c, &m).unwrap();
    let capped = compute_close_capped_position(&p, 310 * PRICE, interest, 0, &c, &m).unwrap();
    // reward = 20 bps of 1_500 USD
    assert_eq!(capped.reward_usd, 3 * USD);
    assert_eq!(capped.reward_amount, 3 * USD);
    assert_eq!(capped.paid.reward_paid, 3 * USD);
    assert_eq!(capped.amount_out, close.amount_out - 3 * USD);
    assert_eq!(capped.paid.rest, close.paid.rest - 3 * USD);
    // The LPs' claim, the fee and every custody change are the close's.
    assert_eq!(capped.paid.lp_paid, close.paid.lp_paid);
    assert_eq!(capped.paid.fee_paid, close.paid.fee_paid);
    assert_eq!(capped.fee_split, close.fee_split);
    assert_eq!(
        (
            capped.owned_in,
            capped.owned_out,
            capped.collateral_taken,
            capped.locked_delta
        ),
        (
            close.owned_in,
            close.owned_out,
            close.collateral_taken,
            close.locked_delta
        )
    );
    assert_eq!(capped.pnl.profit_usd, 1_500 * USD);
    // The reward never exceeds what the owner would get: a huge reward takes all of it.
    let greedy = Market {
        fees: Fees {
            liquidator_reward_bps: 10_000,
            ..m.fees
        },
        ..m
    };
    // 200 USD of interest leaves the owner 1_397 USD, less than a 100 % reward (1_500 USD).
    let interest = 200 * USD;
    let close =
        compute_decrease_position(&p, p.size_usd, 310 * PRICE, interest, 0, &c, &m).unwrap();
    let all = compute_close_capped_position(&p, 310 * PRICE, interest, 0, &c, &greedy).unwrap();
    assert_eq!(close.amount_out, 1_397 * USD);
    assert_eq!(all.paid.reward_paid, close.amount_out);
    assert_eq!(all.amount_out, 0);
    assert_eq!(all.paid.lp_paid, close.paid.lp_paid);
    assert_eq!(all.paid.fee_paid, close.paid.fee_paid);
}

/// Review findings on `close_capped_position`: the cap is valued at the collateral's MAX price
/// (a dip of its spot below the EMA does not make an uncapped position closable by a stranger),
/// and the keeper's reward never exceeds the profit paid (a tiny payoff cap cannot turn a forced
/// close into a loss for a winning trader).
#[test]
fn close_at_cap_ignores_collateral_dips_and_never_pays_more_reward_than_profit() {
    // 1_500 USD long at 150, cap 1_500 USDC. At 296 the profit is 1_460 USD: not capped at par.
    let p = long(150 * PRICE, 1_500 * USD, 98_500_000);
    let par = usdc(10_000 * USD, 1_500 * USD);
    assert!(!is_capped(&p, 296 * PRICE, &par).unwrap());
    // USDC spot 0.97, EMA 1.00: min 0.97 values the cap at 1_455 USD (below the profit), max 1.00
    // at 1_500 USD: still not capped.
    let dip = CollateralCustody {
        min_price: OraclePrice {
            price: 97_000_000,
            exponent: -8,
        },
        ..par
    };
    assert!(!is_capped(&p, 296 * PRICE, &dip).unwrap());
    assert!(is_capped(&p, 300 * PRICE, &dip).unwrap());
    // A 10 bps payoff cap: capped after a 0.1 % move, profit 1.5 USD, reward 20 bps = 3 USD.
    let tiny = PositionState {
        locked_amount: 1_500_000,
        ..p
    };
    let m = market();
    let at = 150_150 * PRICE / 1_000;
    let close = compute_decrease_position(&tiny, tiny.size_usd, at, 0, 0, &par, &m).unwrap();
    let forced = compute_close_capped_position(&tiny, at, 0, 0, &par, &m).unwrap();
    assert_eq!(forced.profit_amount, 1_500_000);
    assert_eq!(forced.paid.reward_paid, forced.profit_amount);
    assert_eq!(forced.amount_out, close.amount_out - forced.profit_amount);
    // The owner keeps at least its collateral less the close fee: no loss from being capped.
    assert!(forced.amount_out >= tiny.collateral_amount - close.fee_amount);
}
