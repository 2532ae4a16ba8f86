//! Open and increase.

use super::*;

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
                stakers: 150_000,
                lp: 550_000
            },
            collateral_amount: 99 * USD,
            collateral_usd: 99 * USD,
            quantity: 10 * TOKEN,
            skew_fee: crate::math::skew::SkewFee {
                base_usd: USD,
                fee_usd: USD,
                ..Default::default()
            },
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
