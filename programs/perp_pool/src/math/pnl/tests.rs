use {super::*, proptest::prelude::*};

const USD: u64 = 1_000_000;

fn pl(profit_usd: u64, loss_usd: u64) -> ProfitAndLoss {
    ProfitAndLoss {
        profit_usd,
        loss_usd,
    }
}

/// 1_000 USD long at 100 USD with 100 USD collateral, 10 bps close fee, 50x maintenance.
fn long_10x() -> HealthInputs {
    HealthInputs {
        side: Side::Long,
        entry_price: 100 * USD,
        size_usd: 1_000 * USD,
        collateral_usd: 100 * USD,
        max_profit_usd: 1_000 * USD,
        close_fee_usd: USD,
        interest_usd: 0,
        max_leverage_bps: 500_000,
    }
}

#[test]
fn quantity_is_size_over_price() {
    assert_eq!(
        position_quantity(1_000 * USD, 100 * USD).unwrap(),
        10_000_000
    );
    assert_eq!(position_quantity(1, 3).unwrap(), 333_333);
}

#[test]
fn long_pnl_rounds_profit_down_and_loss_up() {
    assert_eq!(
        position_pnl(Side::Long, 3, 4, 10).unwrap(),
        pl(3, 0) // 10 * 1 / 3 = 3.33
    );
    assert_eq!(
        position_pnl(Side::Long, 3, 2, 10).unwrap(),
        pl(0, 4) // 3.33 -> 4
    );
    assert_eq!(position_pnl(Side::Long, 5, 5, 10).unwrap(), pl(0, 0));
}

#[test]
fn short_pnl_mirrors_long() {
    assert_eq!(position_pnl(Side::Short, 3, 2, 10).unwrap(), pl(3, 0));
    assert_eq!(position_pnl(Side::Short, 3, 4, 10).unwrap(), pl(0, 4));
    // A short at exit 0 makes exactly its size.
    assert_eq!(position_pnl(Side::Short, 7, 0, 10).unwrap(), pl(10, 0));
}

#[test]
fn profit_is_capped_at_locked_value() {
    assert_eq!(
        capped_pnl(Side::Long, 100, 300, 1_000, 1_000).unwrap(),
        pl(1_000, 0)
    );
    assert_eq!(
        capped_pnl(Side::Long, 100, 150, 1_000, 1_000).unwrap(),
        pl(500, 0)
    );
}

#[test]
fn zero_entry_is_an_error() {
    assert!(position_pnl(Side::Long, 0, 1, 1).is_err());
}

#[test]
fn equity_and_liquidatable_at_reference_prices() {
    let h = long_10x();
    // at entry: 100 - 0 - 1 = 99 USD, 1_000 / 99 < 50x
    assert_eq!(equity_usd(&h, 100 * USD).unwrap(), 99 * 1_000_000);
    assert!(!is_liquidatable(&h, 100 * USD).unwrap());
    // at 90.1: loss 99 USD -> equity 0 -> liquidatable
    assert_eq!(equity_usd(&h, 90_100_000).unwrap(), 0);
    assert!(is_liquidatable(&h, 90_100_000).unwrap());
    // boundary: equity must be >= 20 USD (1_000 / 50)
    // loss = 79 USD at 92.1 -> equity exactly 20 -> not liquidatable; one tick lower it is.
    assert_eq!(equity_usd(&h, 92_100_000).unwrap(), 20 * 1_000_000);
    assert!(!is_liquidatable(&h, 92_100_000).unwrap());
    assert!(is_liquidatable(&h, 92_099_999).unwrap());
    assert_eq!(leverage_bps(1_000 * USD, 20 * 1_000_000).unwrap(), 500_000);
    assert_eq!(leverage_bps(1, 0).unwrap(), u64::MAX);
}

#[test]
fn liquidation_price_reference_long_and_short() {
    let h = long_10x();
    assert_eq!(liquidation_price(&h, 0).unwrap(), 92_100_000);
    // With a 10 bps exit spread the oracle must be higher: exit = floor(P * 0.999) >= 92.1
    let p = liquidation_price(&h, 10).unwrap();
    assert_eq!(p, 92_192_193);
    assert!(exit_price_at(Side::Long, p, 10).unwrap() >= 92_100_000);
    assert!(exit_price_at(Side::Long, p - 1, 10).unwrap() < 92_100_000);

    let s = HealthInputs {
        side: Side::Short,
        ..h
    };
    // short: loss 79 at 107.9
    assert_eq!(liquidation_price(&s, 0).unwrap(), 107_900_000);
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
    let q = position_quantity(1_000 * USD, 100 * USD).unwrap();
    assert_eq!(
        aggregate_pnl_usd(
            Side::Long,
            1_000 * USD,
            q,
            100 * USD,
            110 * USD,
            10_000,
            Rounding::Floor
        )
        .unwrap(),
        100 * 1_000_000
    );
    assert_eq!(
        aggregate_pnl_usd(
            Side::Short,
            1_000 * USD,
            q,
            100 * USD,
            110 * USD,
            10_000,
            Rounding::Floor
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
            100 * USD,
            10 * USD,
            10_000,
            Rounding::Floor
        )
        .unwrap(),
        -100 * 1_000_000
    );
    assert_eq!(
        aggregate_pnl_usd(
            Side::Long,
            1_000 * USD,
            q,
            100 * USD,
            1_000 * USD,
            5_000,
            Rounding::Floor
        )
        .unwrap(),
        500 * 1_000_000
    );
    assert_eq!(
        aggregate_pnl_usd(Side::Long, 0, 0, 0, 1, 10_000, Rounding::Floor).unwrap(),
        0
    );
}

fn health_strategy() -> impl Strategy<Value = (HealthInputs, u64)> {
    (
        prop_oneof![Just(Side::Long), Just(Side::Short)],
        1u64..=1_000_000_000_000,  // entry up to 1M USD
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
                        entry_price,
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

    /// A long from e to e + d gains what a short from e to e - d gains, and loses what a short
    /// from e to e + d loses, exactly.
    #[test]
    fn pnl_symmetry_long_vs_short(entry in 1u64..=u64::MAX / 2, d in 0u64..=u64::MAX / 4, size in any::<u64>()) {
        let up = entry.saturating_add(d);
        let down = entry.saturating_sub(d);
        if up - entry == entry - down {
            if let (Ok(l), Ok(s)) = (position_pnl(Side::Long, entry, up, size), position_pnl(Side::Short, entry, down, size)) {
                prop_assert_eq!(l, s);
            }
            if let (Ok(l), Ok(s)) = (position_pnl(Side::Long, entry, down, size), position_pnl(Side::Short, entry, up, size)) {
                prop_assert_eq!(l, s);
            }
        }
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
        let (lo, hi) = (a.min(b), a.max(b));
        let (e_lo, e_hi) = (equity_usd(&h, lo).unwrap(), equity_usd(&h, hi).unwrap());
        match h.side {
            Side::Long => prop_assert!(e_lo <= e_hi),
            Side::Short => prop_assert!(e_lo >= e_hi),
        }
    }

    /// A position's profit never exceeds its cap; PnL is never both profit and loss.
    #[test]
    fn capped_pnl_respects_cap(side in prop_oneof![Just(Side::Long), Just(Side::Short)], entry in 1u64..=u64::MAX, exit in any::<u64>(), size in any::<u64>(), cap in any::<u64>()) {
        if let Ok(p) = capped_pnl(side, entry, exit, size, cap) {
            prop_assert!(p.profit_usd <= cap);
            prop_assert!(p.profit_usd == 0 || p.loss_usd == 0);
        }
    }
}
