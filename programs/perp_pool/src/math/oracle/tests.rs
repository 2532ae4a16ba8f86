use {super::*, proptest::prelude::*};

const LIMITS: OracleLimits = OracleLimits {
    max_price_age_sec: 30,
    max_price_error_bps: 100, // 1 %
};

fn raw(price: u64, expo: i32, conf: u64, ema: u64, publish_time: i64) -> RawOraclePrice {
    RawOraclePrice {
        price,
        expo,
        conf,
        ema,
        publish_time,
    }
}

fn code<T>(result: Result<T>) -> Option<String> {
    crate::math::error_name(&result)
}

#[test]
fn valid_price_returns_spot_and_ema() {
    let (spot, ema) =
        validate_oracle_price(&raw(100_000_000, -8, 0, 99_000_000, 1_000), &LIMITS, 1_000).unwrap();
    assert_eq!(
        spot,
        OraclePrice {
            price: 100_000_000,
            exponent: -8
        }
    );
    assert_eq!(
        ema,
        OraclePrice {
            price: 99_000_000,
            exponent: -8
        }
    );
}

#[test]
fn zero_ema_means_spot() {
    let (spot, ema) = validate_oracle_price(&raw(5, 0, 0, 0, 0), &LIMITS, 0).unwrap();
    assert_eq!(spot, ema);
}

#[test]
fn zero_price_is_invalid() {
    assert_eq!(
        code(validate_oracle_price(&raw(0, -8, 0, 0, 0), &LIMITS, 0)),
        Some("InvalidOraclePrice".to_string())
    );
}

#[test]
fn exponent_out_of_range_is_invalid() {
    assert_eq!(
        code(validate_oracle_price(&raw(1, -19, 0, 0, 0), &LIMITS, 0)),
        Some("InvalidOraclePrice".to_string())
    );
    assert_eq!(
        code(validate_oracle_price(&raw(1, 19, 0, 0, 0), &LIMITS, 0)),
        Some("InvalidOraclePrice".to_string())
    );
    assert!(validate_oracle_price(&raw(1, -18, 0, 0, 0), &LIMITS, 0).is_ok());
}

#[test]
fn future_publish_time_is_rejected() {
    assert_eq!(
        code(validate_oracle_price(&raw(1, 0, 0, 0, 101), &LIMITS, 100)),
        Some("OracleFutureTimestamp".to_string())
    );
}

#[test]
fn price_at_max_age_is_fresh_one_second_later_stale() {
    assert!(validate_oracle_price(&raw(1, 0, 0, 0, 70), &LIMITS, 100).is_ok());
    assert_eq!(
        code(validate_oracle_price(&raw(1, 0, 0, 0, 69), &LIMITS, 100)),
        Some("StaleOraclePrice".to_string())
    );
}

#[test]
fn confidence_at_limit_passes_one_more_fails() {
    // 1 % of 1_000_000 is 10_000.
    assert!(validate_oracle_price(&raw(1_000_000, -6, 10_000, 0, 0), &LIMITS, 0).is_ok());
    assert_eq!(
        code(validate_oracle_price(
            &raw(1_000_000, -6, 10_001, 0, 0),
            &LIMITS,
            0
        )),
        Some("OraclePriceConfidenceTooLow".to_string())
    );
}

#[test]
fn checks_run_in_documented_order() {
    // Zero price wins over future timestamp; future wins over low confidence.
    assert_eq!(
        code(validate_oracle_price(&raw(0, 0, 5, 0, 200), &LIMITS, 100)),
        Some("InvalidOraclePrice".to_string())
    );
    assert_eq!(
        code(validate_oracle_price(&raw(1, 0, 5, 0, 200), &LIMITS, 100)),
        Some("OracleFutureTimestamp".to_string())
    );
    assert_eq!(
        code(validate_oracle_price(&raw(1, 0, 5, 0, 0), &LIMITS, 100)),
        Some("StaleOraclePrice".to_string())
    );
}

#[test]
fn min_max_orders_spot_and_ema() {
    let a = OraclePrice {
        price: 10,
        exponent: -1,
    };
    let b = OraclePrice {
        price: 12,
        exponent: -1,
    };
    assert_eq!(min_max_price(a, b).unwrap(), (a, b));
    assert_eq!(min_max_price(b, a).unwrap(), (a, b));
    let c = OraclePrice {
        price: 12,
        exponent: -2,
    };
    assert_eq!(
        code(min_max_price(a, c)),
        Some("InvalidOraclePrice".to_string())
    );
}

#[test]
fn token_to_usd_examples() {
    // 1.5 SOL (9 decimals) at 123.45678901 USD (expo -8) = 185.185183515 USD.
    let sol = OraclePrice {
        price: 12_345_678_901,
        exponent: -8,
    };
    assert_eq!(
        sol.token_to_usd(1_500_000_000, 9, Rounding::Floor).unwrap(),
        185_185_183
    );
    assert_eq!(
        sol.token_to_usd(1_500_000_000, 9, Rounding::Ceil).unwrap(),
        185_185_184
    );
    // 10 USDC at exactly 1 USD: no rounding either way.
    let usdc = OraclePrice {
        price: 100_000_000,
        exponent: -8,
    };
    assert_eq!(
        usdc.token_to_usd(10_000_000, 6, Rounding::Ceil).unwrap(),
        10_000_000
    );
    // Positive shift: 3 units of a 0-decimal token at 2 * 10^1 USD = 60 USD.
    let big = OraclePrice {
        price: 2,
        exponent: 1,
    };
    assert_eq!(big.token_to_usd(3, 0, Rounding::Floor).unwrap(), 60_000_000);
}

#[test]
fn usd_to_token_examples() {
    let sol = OraclePrice {
        price: 12_345_678_901,
        exponent: -8,
    };
    // 100 USD / 123.45678901 = 0.8100000073... SOL -> 810_000_007.3 lamports
    assert_eq!(
        sol.usd_to_token(100_000_000, 9, Rounding::Floor).unwrap(),
        810_000_007
    );
    assert_eq!(
        sol.usd_to_token(100_000_000, 9, Rounding::Ceil).unwrap(),
        810_000_008
    );
    let usdc = OraclePrice {
        price: 1_000_000,
        exponent: -6,
    };
    assert_eq!(usdc.usd_to_token(42, 6, Rounding::Floor).unwrap(), 42);
    // Negative shift: a 0-decimal token at 2 USD (expo 0): 5 USD buys 2 (floor) or 3 (ceil).
    let whole = OraclePrice {
        price: 2,
        exponent: 0,
    };
    assert_eq!(
        whole.usd_to_token(5_000_000, 0, Rounding::Floor).unwrap(),
        2
    );
    assert_eq!(whole.usd_to_token(5_000_000, 0, Rounding::Ceil).unwrap(), 3);
}

#[test]
fn scale_to_price_decimals_examples() {
    // 123.45678901 USD (expo -8) is exact in PRICE_DECIMALS (9): both roundings agree.
    let sol = OraclePrice {
        price: 12_345_678_901,
        exponent: -8,
    };
    assert_eq!(
        sol.scale_to_price_decimals(Rounding::Floor).unwrap(),
        123_456_789_010
    );
    assert_eq!(
        sol.scale_to_price_decimals(Rounding::Ceil).unwrap(),
        123_456_789_010
    );
    // 123.456789012345 USD (expo -12) drops three digits: floor and ceil differ by one unit.
    let fine = OraclePrice {
        price: 123_456_789_012_345,
        exponent: -12,
    };
    assert_eq!(
        fine.scale_to_price_decimals(Rounding::Floor).unwrap(),
        123_456_789_012
    );
    assert_eq!(
        fine.scale_to_price_decimals(Rounding::Ceil).unwrap(),
        123_456_789_013
    );
    // 0.00002 USD (2 x 10^-5) is 20_000 units of 10^-9 USD.
    let meme = OraclePrice {
        price: 2,
        exponent: -5,
    };
    assert_eq!(
        meme.scale_to_price_decimals(Rounding::Floor).unwrap(),
        20_000
    );
    let big = OraclePrice {
        price: 7,
        exponent: 2,
    };
    assert_eq!(
        big.scale_to_price_decimals(Rounding::Floor).unwrap(),
        700_000_000_000
    );
    // u64 holds prices up to about 1.8 x 10^10 USD: 2 x 10^10 USD overflows.
    let huge = OraclePrice {
        price: 2,
        exponent: 10,
    };
    assert_eq!(
        code(huge.scale_to_price_decimals(Rounding::Floor)).as_deref(),
        Some("MathOverflow")
    );
}

fn price_strategy() -> impl Strategy<Value = OraclePrice> {
    (1..=u64::MAX / 2, -12i32..=2).prop_map(|(price, exponent)| OraclePrice { price, exponent })
}

proptest! {
    /// Floor never exceeds the exact value and ceil never falls short of it, differing by at
    /// most one unit: a conversion can only round in the direction the caller asked for.
    #[test]
    fn token_to_usd_floor_le_ceil(price in price_strategy(), amount in any::<u64>(), decimals in 0u8..=12) {
        if let (Ok(floor), Ok(ceil)) = (
            price.token_to_usd(amount, decimals, Rounding::Floor),
            price.token_to_usd(amount, decimals, Rounding::Ceil),
        ) {
            prop_assert!(floor <= ceil);
            prop_assert!(ceil - floor <= 1);
        }
    }

    /// Converting USD to tokens (floor) and back (floor) never yields more USD than went in:
    /// a payout computed this way cannot exceed the value it was priced from.
    #[test]
    fn usd_to_token_floor_round_trip_never_gains(price in price_strategy(), usd in 0u128..=u128::from(u64::MAX), decimals in 0u8..=12) {
        if let Ok(tokens) = price.usd_to_token(usd, decimals, Rounding::Floor) {
            if let Ok(tokens) = u64::try_from(tokens) {
                if let Ok(back) = price.token_to_usd(tokens, decimals, Rounding::Floor) {
                    prop_assert!(back <= usd);
                }
            }
        }
    }

    /// Ceil conversion always covers the USD asked for.
    #[test]
    fn usd_to_token_ceil_round_trip_covers(price in price_strategy(), usd in 0u128..=u128::from(u32::MAX), decimals in 0u8..=12) {
        if let Ok(tokens) = price.usd_to_token(usd, decimals, Rounding::Ceil) {
            if let Ok(tokens) = u64::try_from(tokens) {
                if let Ok(back) = price.token_to_usd(tokens, decimals, Rounding::Ceil) {
                    prop_assert!(back >= usd);
                }
            }
        }
    }

    /// Any reading that passes validation has a positive price and is not from the future.
    #[test]
    fn validated_price_is_positive_and_not_future(
        price in any::<u64>(), expo in -20i32..=20, conf in any::<u64>(), ema in any::<u64>(),
        publish_time in -1_000i64..1_000, now in -1_000i64..1_000,
    ) {
        if let Ok((spot, ema_out)) = validate_oracle_price(&raw(price, expo, conf, ema, publish_time), &LIMITS, now) {
            prop_assert!(spot.price > 0 && ema_out.price > 0);
            prop_assert!(publish_time <= now && now - publish_time <= 30);
            prop_assert!(u128::from(conf) * 10_000 <= u128::from(price) * 100);
        }
    }
}
