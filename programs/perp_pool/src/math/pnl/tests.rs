use {super::*, proptest::prelude::*};

fn err_is<T>(result: Result<T>, expected: &str) -> bool {
    crate::math::error_name(&result).as_deref() == Some(expected)
}

const USD: u64 = 1_000_000;

/// 1 USD per whole token in PRICE_DECIMALS (9).
const PRICE: u64 = 10u64.pow(PRICE_DECIMALS as u32);

fn pl(profit_usd: u64, loss_usd: u64) -> ProfitAndLoss {
    ProfitAndLoss {
        profit_usd,
        loss_usd,
    }
}

/// One whole token in QUANTITY_DECIMALS (12).
const TOKEN: u128 = 1_000_000_000_000;

/// 1_000 USD long at 100 USD (10 tokens) with 100 USD collateral, 10 bps close fee, 50x
/// maintenance.
fn long_10x() -> HealthInputs {
    HealthInputs {
        side: Side::Long,
        quantity: 10 * TOKEN,
        size_usd: 1_000 * USD,
        collateral_usd: 100 * USD,
        max_profit_usd: 1_000 * USD,
        close_fee_usd: USD,
        interest_usd: 0,
        max_leverage_bps: 500_000,
    }
}

#[test]
fn quantity_scale_is_ten_to_the_fifteen() {
    // QUANTITY_DECIMALS 12 + PRICE_DECIMALS 9 - USD_DECIMALS 6.
    assert_eq!(PRICE, 1_000_000_000);
    assert_eq!(quantity_scale().unwrap(), 1_000_000_000_000_000);
}

#[test]
fn quantity_is_size_over_price_rounded_against_the_trader() {
    // 1_000 USD at 100 USD = 10 tokens, exact for both sides.
    assert_eq!(
        entry_quantity(Side::Long, 1_000 * USD, 100 * PRICE).unwrap(),
        10 * TOKEN
    );
    assert_eq!(
        entry_quantity(Side::Short, 1_000 * USD, 100 * PRICE).unwrap(),
        10 * TOKEN
    );
    // 1 micro-USD at 3 micro-USD per token (3_000 in PRICE_DECIMALS) = 1/3 token: a long gets
    // less, a short owes more.
    assert_eq!(
        entry_quantity(Side::Long, 1, 3_000).unwrap(),
        333_333_333_333
    );
    assert_eq!(
        entry_quantity(Side::Short, 1, 3_000).unwrap(),
        333_333_333_334
    );
    // 1 micro-USD at 3 x 10^-9 USD per token (one price unit is 10^-9 USD) = 333.33 tokens.
    assert_eq!(
        entry_quantity(Side::Long, 1, 3).unwrap(),
        333_333_333_333_333
    );
    assert_eq!(
        entry_quantity(Side::Short, 1, 3).unwrap(),
        333_333_333_333_334
    );
    // A token at 10^-4 USD (100_000 in PRICE_DECIMALS): 1_000 USD buys 10^7 tokens.
    assert_eq!(
        entry_quantity(Side::Long, 1_000 * USD, PRICE / 10_000).unwrap(),
        10_000_000 * TOKEN
    );
    // A token at 10^6 USD: 1 micro-USD buys exactly one quantity unit (10^-12 token)...
    assert_eq!(entry_quantity(Side::Long, 1, 1_000_000 * PRICE).unwrap(), 1);
    // ...and just above that price a long's micro-USD buys nothing while a short owes one unit.
    assert_eq!(
        entry_quantity(Side::Long, 1, 1_000_000 * PRICE + 1).unwrap(),
        0
    );
    assert_eq!(
        entry_quantity(Side::Short, 1, 1_000_000 * PRICE + 1).unwrap(),
        1
    );
    assert!(err_is(entry_quantity(Side::Long, 1, 0), "MathOverflow"));
    assert_eq!(against_trader_quantity(Side::Long), Rounding::Floor);
    assert_eq!(against_trader_quantity(Side::Short), Rounding::Ceil);
}

#[test]
fn quantity_value_rounds_as_asked() {
    // 1/3 token at 3 micro-USD per token (3_000 in PRICE_DECIMALS): 0.999999999999 micro-USD.
    let q = 333_333_333_333;
    assert_eq!(quantity_value_usd(q, 3_000, Rounding::Floor).unwrap(), 0);
    assert_eq!(quantity_value_usd(q, 3_000, Rounding::Ceil).unwrap(), 1);
    assert_eq!(
        quantity_value_usd(10 * TOKEN, 110 * PRICE, Rounding::Floor).unwrap(),
        1_100 * u128::from(USD)
    );
}

#[test]
fn average_entry_price_never_better_than_exact() {
    // 2_000 USD holding 15 tokens: 133.3333... USD; a long's average rounds up, a short's down
    // (to 10^-9 USD).
    assert_eq!(
        average_entry_price(Side::Long, 2_000 * USD, 15 * TOKEN).unwrap(),
        133_333_333_334
    );
    assert_eq!(
        average_entry_price(Side::Short, 2_000 * USD, 15 * TOKEN).unwrap(),
        133_333_333_333
    );
    assert_eq!(
        average_entry_price(Side::Long, 1_000 * USD, 10 * TOKEN).unwrap(),
        100 * PRICE
    );
    assert!(err_is(
        average_entry_price(Side::Long, 1, 0),
        "MathOverflow"
    ));
    // 1 micro-USD holding 1 unit: 10^6 USD per token (10^15), fits u64; u64::MAX micro-USD
    // holding 1 unit (1.8 x 10^19 USD per token) does not.
    assert_eq!(
        average_entry_price(Side::Short, 1, 1).unwrap(),
        1_000_000 * PRICE
    );
    assert!(err_is(
        average_entry_price(Side::Long, u64::MAX, 1),
        "MathOverflow"
    ));
}

#[test]
fn long_pnl_rounds_profit_down_and_loss_up() {
    // 10 micro-USD at 3 micro-USD per token (3_000): a long holds floor(10/3 token) =
    // 3.333333333333 tokens.
    let q = entry_quantity(Side::Long, 10, 3_000).unwrap();
    assert_eq!(q, 3_333_333_333_333);
    assert_eq!(
        position_pnl(Side::Long, q, 4_000, 10).unwrap(),
        pl(3, 0) // value floor(13.333333333332) = 13
    );
    assert_eq!(
        position_pnl(Side::Long, q, 2_000, 10).unwrap(),
        pl(0, 4) // value floor(6.666666666666) = 6
    );
    // At the entry price the floored quantity is worth less than the size: a dust loss.
    assert_eq!(position_pnl(Side::Long, q, 3_000, 10).unwrap(), pl(0, 1));
    let exact = entry_quantity(Side::Long, 10, 5_000).unwrap();
    assert_eq!(
        position_pnl(Side::Long, exact, 5_000, 10).unwrap(),
        pl(0, 0)
    );
    // At 3 x 10^-9 USD per token (price 3): floor(10^16 / 3) units = 3_333.333333333333 tokens,
    // and the same roundings.
    let q = entry_quantity(Side::Long, 10, 3).unwrap();
    assert_eq!(q, 3_333_333_333_333_333);
    assert_eq!(position_pnl(Side::Long, q, 4, 10).unwrap(), pl(3, 0)); // floor(13.333333333333332)
    assert_eq!(position_pnl(Side::Long, q, 3, 10).unwrap(), pl(0, 1)); // floor(9.999999999999999)
}

#[test]
fn short_pnl_mirrors_long() {
    // A short owes ceil(10/3 token) = 3.333333333334 tokens (10 micro-USD at 3 micro-USD).
    let q = entry_quantity(Side::Short, 10, 3_000).unwrap();
    assert_eq!(q, 3_333_333_333_334);
    assert_eq!(position_pnl(Side::Short, q, 2_000, 10).unwrap(), pl(3, 0)); // ceil(6.67) = 7
    assert_eq!(position_pnl(Side::Short, q, 4_000, 10).unwrap(), pl(0, 4)); // ceil(13.34) = 14
    assert_eq!(position_pnl(Side::Short, q, 3_000, 10).unwrap(), pl(0, 1)); // ceil(10.000000000002)
                                                                            // A short at exit 0 makes exactly its size.
    assert_eq!(position_pnl(Side::Short, q, 0, 10).unwrap(), pl(10, 0));
}

#[test]
fn pnl_at_extreme_prices() {
    // 1_000 USD at 10^-4 USD (100_000): 10^7 tokens; +1 % (101_000) is +10 USD.
    let q = entry_quantity(Side::Long, 1_000 * USD, 100_000).unwrap();
    assert_eq!(q, 10_000_000 * TOKEN);
    assert_eq!(
        position_pnl(Side::Long, q, 101_000, 1_000 * USD).unwrap(),
        pl(10 * USD, 0)
    );
    // One price unit (10^-9 USD, 0.001 % here) is 0.01 USD on 10^7 tokens.
    assert_eq!(
        position_pnl(Side::Long, q, 100_001, 1_000 * USD).unwrap(),
        pl(10_000, 0)
    );
    let q = entry_quantity(Side::Short, 1_000 * USD, 100_000).unwrap();
    assert_eq!(
        position_pnl(Side::Short, q, 99_000, 1_000 * USD).unwrap(),
        pl(10 * USD, 0)
    );
    // 1_000 USD at 10^6 USD: 0.001 token; one price unit (10^-9 USD) moves it by 10^-12 USD,
    // below a micro-USD: the long's value floors and the short's ceils to the size.
    let q = entry_quantity(Side::Long, 1_000 * USD, 1_000_000 * PRICE).unwrap();
    assert_eq!(q, 1_000_000_000);
    assert_eq!(
        position_pnl(Side::Long, q, 1_000_000 * PRICE + 1, 1_000 * USD).unwrap(),
        pl(0, 0)
    );
    assert_eq!(
        position_pnl(Side::Short, q, 1_000_000 * PRICE - 1, 1_000 * USD).unwrap(),
        pl(0, 0)
    );
    // A 10 % move is 100 USD either way.
    assert_eq!(
        position_pnl(Side::Long, q, 1_100_000 * PRICE, 1_000 * USD).unwrap(),
        pl(100 * USD, 0)
    );
    // A long's profit beyond u64 saturates: u64::MAX tokens at 10^-3 USD are worth 1.8 x 10^16
    // USD (the value fits u128, the profit not u64)...
    assert_eq!(
        position_pnl(Side::Long, u128::from(u64::MAX) * TOKEN, PRICE / 1_000, 0).unwrap(),
        pl(u64::MAX, 0)
    );
    // ...and at 1 USD quantity x price exceeds u128 (1.8 x 10^40): the value saturates first.
    assert_eq!(
        position_pnl(Side::Long, u128::from(u64::MAX) * TOKEN, PRICE, 0).unwrap(),
        pl(u64::MAX, 0)
    );
}

#[test]
fn profit_is_capped_at_locked_value() {
    let q = 10 * TOKEN; // 1_000 USD at 100
    assert_eq!(
        capped_pnl(Side::Long, q, 300 * PRICE, 1_000 * USD, 1_000 * USD).unwrap(),
        pl(1_000 * USD, 0)
    );
    assert_eq!(
        capped_pnl(Side::Long, q, 150 * PRICE, 1_000 * USD, 1_000 * USD).unwrap(),
        pl(500 * USD, 0)
    );
    // The loss is never capped.
    assert_eq!(
        capped_pnl(Side::Short, q, 300 * PRICE, 1_000 * USD, 0).unwrap(),
        pl(0, 2_000 * USD)
    );
}

#[test]
fn zero_quantity_is_worth_nothing() {
    // No division by the quantity: a long holding nothing loses its size, a short gains it.
    assert_eq!(position_pnl(Side::Long, 0, 1, 1).unwrap(), pl(0, 1));
    assert_eq!(position_pnl(Side::Short, 0, 1, 1).unwrap(), pl(1, 0));
}

#[test]
fn equity_and_liquidatable_at_reference_prices() {
    let h = long_10x();
    // at entry: 100 - 0 - 1 = 99 USD, 1_000 / 99 < 50x
    assert_eq!(equity_usd(&h, 100 * PRICE).unwrap(), 99 * 1_000_000);
    assert!(!is_liquidatable(&h, 100 * PRICE).unwrap());
    // at 90.1: loss 99 USD -> equity 0 -> liquidatable
    assert_eq!(equity_usd(&h, 90_100_000_000).unwrap(), 0);
    assert!(is_liquidatable(&h, 90_100_000_000).unwrap());
    // boundary: equity must be >= 20 USD (1_000 / 50)
    // loss = 79 USD at 92.1 -> equity exactly 20 -> not liquidatable; one tick (10^-9 USD)
    // lower the 10 tokens are worth 920.99999999 USD, floored to 920.999999: liquidatable.
    assert_eq!(equity_usd(&h, 92_100_000_000).unwrap(), 20 * 1_000_000);
    assert!(!is_liquidatable(&h, 92_100_000_000).unwrap());
    assert_eq!(equity_usd(&h, 92_099_999_999).unwrap(), 20 * 1_000_000 - 1);
    assert!(is_liquidatable(&h, 92_099_999_999).unwrap());
    assert_eq!(leverage_bps(1_000 * USD, 20 * 1_000_000).unwrap(), 500_000);
    assert_eq!(leverage_bps(1, 0).unwrap(), u64::MAX);
}

#[test]
fn liquidation_price_reference_long_and_short() {
    let h = long_10x();
    // The 10 tokens' value floor(P / 100) micro-USD must reach 921 USD: P >= 92.1 USD.
    assert_eq!(liquidation_price(&h, 0).unwrap(), 92_100_000_000);
    // With a 10 bps exit spread the oracle must be higher: exit = floor(P * 9_990 / 10_000)
    // >= 92.1 USD, i.e. P >= 92_100_000_000 * 10_000 / 9_990 = 92_192_192_192.19...
    let p = liquidation_price(&h, 10).unwrap();
    assert_eq!(p, 92_192_192_193);
    assert!(exit_price_at(Side::Long, p, 10).unwrap() >= 92_100_000_000);
    assert!(exit_price_at(Side::Long, p - 1, 10).unwrap() < 92_100_000_000);

    let s = HealthInputs {
        side: Side::Short,
        ..h
    };
    // short: loss 79 at 107.9 (value ceil(P / 100) <= 1_079 USD)
    assert_eq!(liquidation_price(&s, 0).unwrap(), 107_900_000_000);
}

#[test]
fn liquidation_price_sentinels() {
    // Collateral larger than size: a long survives a zero price.
    let safe = HealthInputs {
        collateral_usd: 2_000 * USD,
        ..long_10x()
    };
    assert_eq!(liquidation_price(&safe, 0).unwrap(), 0);
    // No equity at any price (fees eat everything and the profit cap is 0).
    let doomed = HealthInputs {
        collateral_usd: 0,
        max_profit_usd: 0,
        ..long_10x()
    };
    assert_eq!(liquidation_price(&doomed, 0).unwrap(), u64::MAX);
    let doomed_short = HealthInputs {
        side: Side::Short,
        ..doomed
    };
    assert_eq!(liquidation_price(&doomed_short, 0).unwrap(), 0);
}

#[test]
fn aggregate_pnl_from_quantity() {
    // 10 tokens long (1_000 USD at 100); at 110: +100 USD
    let q = entry_quantity(Side::Long, 1_000 * USD, 100 * PRICE).unwrap();
    assert_eq!(q, 10 * TOKEN);
    assert_eq!(
        aggregate_pnl_usd(
            Side::Long,
            1_000 * USD,
            q,
            u128::from(100 * USD),
            110 * PRICE,
            1_000 * u128::from(USD),
            Rounding::Floor,
            0,
            0
        )
        .unwrap(),
        100 * 1_000_000
    );
    assert_eq!(
        aggregate_pnl_usd(
            Side::Short,
            1_000 * USD,
            q,
            u128::from(100 * USD),
            110 * PRICE,
            1_000 * u128::from(USD),
            Rounding::Floor,
            0,
            0
        )
        .unwrap(),
        -100 * 1_000_000
    );
    // loss clamped at collateral, profit at size * payoff
    assert_eq!(
        aggregate_pnl_usd(
            Side::Long,
            1_000 * USD,
            q,
            u128::from(100 * USD),
            10 * PRICE,
            1_000 * u128::from(USD),
            Rounding::Floor,
            0,
            0
        )
        .unwrap(),
        -100 * 1_000_000
    );
    assert_eq!(
        aggregate_pnl_usd(
            Side::Long,
            1_000 * USD,
            q,
            u128::from(100 * USD),
            1_000 * PRICE,
            500 * u128::from(USD),
            Rounding::Floor,
            0,
            0
        )
        .unwrap(),
        500 * 1_000_000
    );
    assert_eq!(
        aggregate_pnl_usd(Side::Long, 0, 0, 0, 1, 0, Rounding::Floor, 0, 0).unwrap(),
        0
    );
}

#[test]
fn aggregate_pnl_rounds_the_traders_side_as_asked() {
    // 1/3 token long of 1 USD at 3.000001 USD: value 1.000000333 USD.
    let q = 333_333_333_333;
    let at = |side, price, rounding| {
        aggregate_pnl_usd(
            side,
            USD,
            q,
            u128::from(USD),
            price,
            u128::from(USD),
            rounding,
            0,
            0,
        )
        .unwrap()
    };
    assert_eq!(at(Side::Long, 3_000_001_000, Rounding::Floor), 0);
    assert_eq!(at(Side::Long, 3_000_001_000, Rounding::Ceil), 1);
    // Short at 2.999999 USD: value 0.999999667 USD; traders' PnL up means the value down.
    assert_eq!(at(Side::Short, 2_999_999_000, Rounding::Floor), 0);
    assert_eq!(at(Side::Short, 2_999_999_000, Rounding::Ceil), 1);
}

/// A 10_000 USD long on a token priced 10^-4 USD (100_000 in PRICE_DECIMALS; 10^8 tokens,
/// quantity 10^20) with 1_000 USD collateral, 10 USD close fee, 50x maintenance: the tokens must
/// stay worth 9_210 USD, i.e. 10^5 x P micro-USD >= 9.21 x 10^9, so the boundary is exactly
/// P = 92_100 (92.1 % of the entry; with 6 price decimals it was 93, a whole 1 % tick). The
/// search probes prices up to LIQUIDATION_PRICE_SEARCH_MAX, where quantity x price exceeds u128.
#[test]
fn liquidation_price_of_large_position_on_cheap_token() {
    let h = HealthInputs {
        side: Side::Long,
        quantity: entry_quantity(Side::Long, 10_000 * USD, 100_000).unwrap(),
        size_usd: 10_000 * USD,
        collateral_usd: 1_000 * USD,
        max_profit_usd: 10_000 * USD,
        close_fee_usd: 10 * USD,
        interest_usd: 0,
        max_leverage_bps: 500_000,
    };
    assert_eq!(h.quantity, 100_000_000 * TOKEN);
    assert!(!is_liquidatable(&h, 92_100).unwrap());
    assert!(is_liquidatable(&h, 92_099).unwrap());
    assert_eq!(liquidation_price(&h, 0).unwrap(), 92_100);
    // Short mirror: liquidatable above 107.9 % of the entry, boundary 107_900.
    let s = HealthInputs {
        side: Side::Short,
        ..h
    };
    assert!(!is_liquidatable(&s, 107_900).unwrap());
    assert!(is_liquidatable(&s, 107_901).unwrap());
    assert_eq!(liquidation_price(&s, 0).unwrap(), 107_900);
}

fn side_strategy() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Long), Just(Side::Short)]
}

/// Prices from 10^-4 USD to 10^6 USD (PRICE / 10^4 ..= PRICE x 10^6), log-uniform-ish: a
/// decade, then a value.
fn price_strategy() -> impl Strategy<Value = u64> {
    let decades = u32::from(PRICE_DECIMALS) - 4..=u32::from(PRICE_DECIMALS) + 6;
    decades.prop_flat_map(|decade| {
        let lo = 10u64.pow(decade);
        (lo..=lo * 10).prop_map(|p| p.min(1_000_000 * PRICE))
    })
}

fn health_strategy() -> impl Strategy<Value = (HealthInputs, u64)> {
    (
        side_strategy(),
        price_strategy(),          // entry 10^-4 .. 10^6 USD
        1u64..=10_000_000_000_000, // size up to 10M USD
        0u64..=1_000_000_000_000,  // collateral
        0u64..=20_000,             // payoff mult
        0u64..=10_000_000,         // close fee
        0u64..=10_000_000,         // interest
        0u64..=2_000_000,          // max leverage (up to 200x)
        0u64..10_000,              // spread
    )
        .prop_map(
            |(
                side,
                entry_price,
                size_usd,
                collateral_usd,
                payoff,
                close_fee_usd,
                interest_usd,
                max_leverage_bps,
                spread,
            )| {
                (
                    HealthInputs {
                        side,
                        quantity: entry_quantity(side, size_usd, entry_price).unwrap(),
                        size_usd,
                        collateral_usd,
                        max_profit_usd: u64::try_from(
                            u128::from(size_usd) * u128::from(payoff) / 10_000,
                        )
                        .unwrap(),
                        close_fee_usd,
                        interest_usd,
                        max_leverage_bps,
                    },
                    spread,
                )
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// A long and a short holding the same quantity of the same size have opposite PnL when
    /// the quantity's value is exact, and each is one micro-USD worse otherwise (the long's value
    /// floors, the short's ceils): their PnLs sum to 0 or -1.
    #[test]
    fn pnl_symmetry_long_vs_short(quantity in 0u128..=1u128 << 100, exit in any::<u64>(), size in any::<u64>()) {
        let signed = |p: ProfitAndLoss| i128::from(p.profit_usd) - i128::from(p.loss_usd);
        if let (Ok(l), Ok(s)) = (position_pnl(Side::Long, quantity, exit, size), position_pnl(Side::Short, quantity, exit, size)) {
            // Saturation aside (a product beyond u128, a value beyond u64 around the size).
            let scale = quantity_scale().unwrap();
            let product = quantity.checked_mul(u128::from(exit));
            if let Some(product) = product.filter(|p| (p / scale).abs_diff(u128::from(size)) < u128::from(u64::MAX)) {
                let exact = product % scale == 0;
                prop_assert_eq!(signed(l) + signed(s), if exact { 0 } else { -1 });
            }
        }
    }

    /// Entered at `entry` (rounded against the trader) and exited at `exit`, a position never
    /// makes more than the exact rational PnL `size * (exit - entry) / entry` (long; short
    /// mirrored), nor loses less; at `exit == entry` it makes nothing.
    #[test]
    fn pnl_never_better_than_exact(side in side_strategy(), entry in price_strategy(), exit in price_strategy(), size in 1u64..=10_000_000_000_000) {
        let q = entry_quantity(side, size, entry).unwrap();
        let p = position_pnl(side, q, exit, size).unwrap();
        // A saturated amount (beyond 1.8e13 USD) is not compared.
        prop_assume!(p.profit_usd < u64::MAX && p.loss_usd < u64::MAX);
        // signed pnl * entry <= size * (exit - entry) for a long, size * (entry - exit) for a short
        let lhs = (i128::from(p.profit_usd) - i128::from(p.loss_usd)) * i128::from(entry);
        let move_ = match side {
            Side::Long => i128::from(exit) - i128::from(entry),
            Side::Short => i128::from(entry) - i128::from(exit),
        };
        prop_assert!(lhs <= i128::from(size) * move_, "{:?} {:?}", p, q);
        let same = position_pnl(side, q, entry, size).unwrap();
        prop_assert_eq!(same.profit_usd, 0);
    }

    /// The returned oracle price is the exact boundary of the liquidatable predicate: at it the
    /// position is NOT liquidatable, one tick past it (lower for longs, higher for shorts) it IS.
    #[test]
    fn liquidation_price_is_the_predicate_boundary((h, spread) in health_strategy()) {
        let p = liquidation_price(&h, spread).unwrap();
        let liq = |price: u64| is_liquidatable(&h, exit_price_at(h.side, price, spread).unwrap()).unwrap();
        match h.side {
            Side::Long => {
                if p == u64::MAX {
                    prop_assert!(liq(LIQUIDATION_PRICE_SEARCH_MAX));
                } else {
                    prop_assert!(!liq(p));
                    if p > 0 {
                        prop_assert!(liq(p - 1));
                    }
                }
            }
            Side::Short => {
                if p == 0 {
                    prop_assert!(liq(0));
                } else {
                    prop_assert!(!liq(p));
                    if p < LIQUIDATION_PRICE_SEARCH_MAX {
                        prop_assert!(liq(p + 1));
                    }
                }
            }
        }
    }

    /// Equity never decreases as the price moves in the position's favour.
    #[test]
    fn equity_monotone_in_exit_price((h, _) in health_strategy(), a in 0u64..=u64::MAX / 2, b in 0u64..=u64::MAX / 2) {
        // Only prices whose quantity value fits u128 (an oracle never gets near the others).
        let limit = u64::try_from(u128::MAX / h.quantity.max(1)).unwrap_or(u64::MAX).min(u64::MAX / 2);
        let (a, b) = (a % (limit + 1), b % (limit + 1));
        let (lo, hi) = (a.min(b), a.max(b));
        let (e_lo, e_hi) = (equity_usd(&h, lo).unwrap(), equity_usd(&h, hi).unwrap());
        match h.side {
            Side::Long => prop_assert!(e_lo <= e_hi),
            Side::Short => prop_assert!(e_lo >= e_hi),
        }
    }

    /// A position's profit never exceeds its cap; PnL is never both profit and loss.
    #[test]
    fn capped_pnl_respects_cap(side in side_strategy(), quantity in any::<u128>(), exit in any::<u64>(), size in any::<u64>(), cap in any::<u64>()) {
        if let Ok(p) = capped_pnl(side, quantity, exit, size, cap) {
            prop_assert!(p.profit_usd <= cap);
            prop_assert!(p.profit_usd == 0 || p.loss_usd == 0);
        }
    }
}
