use {super::*, proptest::prelude::*};

fn err_is<T>(result: Result<T>, expected: &str) -> bool {
    crate::math::error_name(&result).as_deref() == Some(expected)
}

fn p(price: u64) -> OraclePrice {
    OraclePrice {
        price,
        exponent: -8,
    }
}

#[test]
fn trade_prices_scale_lo_down_and_hi_up() {
    // spot 123.45678901517, ema 123.00000000001 (expo -11): two digits below PRICE_DECIMALS (9).
    let spot = OraclePrice {
        price: 12_345_678_901_517,
        exponent: -11,
    };
    let ema = OraclePrice {
        price: 12_300_000_000_001,
        exponent: -11,
    };
    assert_eq!(
        trade_prices(spot, ema, true).unwrap(),
        TradePrices {
            lo: 123_000_000_000,
            hi: 123_456_789_016
        }
    );
    // Without EMA both come from spot, still floor / ceil.
    assert_eq!(
        trade_prices(spot, ema, false).unwrap(),
        TradePrices {
            lo: 123_456_789_015,
            hi: 123_456_789_016
        }
    );
}

#[test]
fn trade_prices_reject_dust_and_mixed_exponents() {
    // 10^-10 USD is below one PRICE_DECIMALS unit (10^-9 USD): floors to 0.
    let dust = OraclePrice {
        price: 1,
        exponent: -10,
    };
    assert!(err_is(
        trade_prices(dust, dust, false),
        "InvalidOraclePrice"
    ));
    // 10^-8 USD is 10 units: tradeable.
    assert_eq!(
        trade_prices(p(1), p(1), false).unwrap(),
        TradePrices { lo: 10, hi: 10 }
    );
    let other = OraclePrice {
        price: 1,
        exponent: -6,
    };
    assert!(err_is(
        trade_prices(p(100_000_000), other, true),
        "InvalidOraclePrice"
    ));
}

#[test]
fn entry_and_exit_prices_apply_spread_against_trader() {
    let prices = TradePrices {
        lo: 99_999_999,
        hi: 100_000_001,
    };
    // long entry = ceil(100_000_001 * 10_010 / 10_000) = 100_100_002 (exact 100_100_001.001)
    assert_eq!(entry_price(Side::Long, prices, 10).unwrap(), 100_100_002);
    // long exit = floor(99_999_999 * 9_990 / 10_000) = 99_899_999 (exact 99_899_999.0001)
    assert_eq!(exit_price(Side::Long, prices, 10).unwrap(), 99_899_999);
    // short entry = floor(99_999_999 * 9_990 / 10_000)
    assert_eq!(entry_price(Side::Short, prices, 10).unwrap(), 99_899_999);
    // short exit = ceil(100_000_001 * 10_010 / 10_000)
    assert_eq!(exit_price(Side::Short, prices, 10).unwrap(), 100_100_002);
    // No spread: entry/exit are the reference prices.
    assert_eq!(entry_price(Side::Long, prices, 0).unwrap(), prices.hi);
    assert_eq!(exit_price(Side::Long, prices, 0).unwrap(), prices.lo);
}

#[test]
fn spread_of_100_percent_is_rejected() {
    let prices = TradePrices { lo: 1, hi: 1 };
    assert!(err_is(
        entry_price(Side::Long, prices, 10_000),
        "InvalidCustodyConfig"
    ));
    assert!(err_is(
        exit_price(Side::Short, prices, 10_000),
        "InvalidCustodyConfig"
    ));
}

#[test]
fn short_entry_rounding_to_zero_is_rejected() {
    let prices = TradePrices { lo: 1, hi: 1 };
    assert!(err_is(
        entry_price(Side::Short, prices, 1),
        "InvalidOraclePrice"
    ));
    // A long exit may be 0 (total loss), it is not an entry.
    assert_eq!(exit_price(Side::Long, prices, 1).unwrap(), 0);
}

proptest! {
    /// Entering and exiting at the same oracle reading never gains: for longs the entry is at
    /// least the exit, for shorts at most.
    #[test]
    fn round_trip_price_never_favours_trader(lo in 1u64..=u64::MAX / 4, gap in 0u64..=1_000_000_000, spread in 0u64..10_000) {
        let prices = TradePrices { lo, hi: lo + gap };
        let long_in = entry_price(Side::Long, prices, spread);
        let long_out = exit_price(Side::Long, prices, spread).unwrap();
        if let Ok(long_in) = long_in {
            prop_assert!(long_in >= prices.hi && long_out <= prices.lo && long_in >= long_out);
        }
        if let Ok(short_in) = entry_price(Side::Short, prices, spread) {
            let short_out = exit_price(Side::Short, prices, spread).unwrap();
            prop_assert!(short_in <= prices.lo && short_out >= prices.hi && short_in <= short_out);
        }
    }

    /// Exit prices are monotone in the oracle price (what the liquidation search relies on).
    #[test]
    fn exit_price_is_monotone(a in 0u64..=u64::MAX / 2, b in 0u64..=u64::MAX / 2, spread in 0u64..10_000) {
        let (lo, hi) = (a.min(b), a.max(b));
        for side in [Side::Long, Side::Short] {
            prop_assert!(exit_price_at(side, lo, spread).unwrap() <= exit_price_at(side, hi, spread).unwrap());
        }
    }
}

#[test]
fn slippage_limits_bound_the_price_against_the_trader() {
    assert!(check_entry_slippage(Side::Long, 100, 100).is_ok());
    assert!(err_is(
        check_entry_slippage(Side::Long, 101, 100),
        "PriceSlippage"
    ));
    assert!(check_entry_slippage(Side::Short, 100, 100).is_ok());
    assert!(err_is(
        check_entry_slippage(Side::Short, 99, 100),
        "PriceSlippage"
    ));
    assert!(check_exit_slippage(Side::Long, 100, 100).is_ok());
    assert!(err_is(
        check_exit_slippage(Side::Long, 99, 100),
        "PriceSlippage"
    ));
    assert!(check_exit_slippage(Side::Short, 100, 100).is_ok());
    assert!(err_is(
        check_exit_slippage(Side::Short, 101, 100),
        "PriceSlippage"
    ));
}
