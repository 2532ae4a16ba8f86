//! Part of the `vectors` test binary (see main.rs).

#[allow(unused_imports)]
use super::*;

// ------------------------------------------------------------------------------------------
// Seed cases (inputs only; outputs are computed). Hand-checked values live in the unit tests.
// ------------------------------------------------------------------------------------------

pub(crate) fn seed() -> Vectors {
    let t2u = |name: &str, amount, decimals, p, e, r: &str| TokenToUsd {
        name: name.into(),
        amount,
        decimals,
        price: p,
        exponent: e,
        rounding: r.into(),
        expected: None,
        error: None,
    };
    let u2t = |name: &str, usd, decimals, p, e, r: &str| UsdToToken {
        name: name.into(),
        usd,
        decimals,
        price: p,
        exponent: e,
        rounding: r.into(),
        expected: None,
        error: None,
    };
    #[allow(clippy::too_many_arguments)]
    let orc = |name: &str, p, expo, conf, ema, publish_time, now, age, err_bps| OracleCase {
        name: name.into(),
        price: p,
        expo,
        conf,
        ema,
        publish_time,
        now,
        max_price_age_sec: age,
        max_price_error_bps: err_bps,
        expected: None,
        error: None,
    };
    #[allow(clippy::too_many_arguments)]
    let add = |name: &str, amount_in, decimals, p, e, aum_max_usd, lp_supply, fee, share| AddCase {
        name: name.into(),
        amount_in,
        decimals,
        price: p,
        exponent: e,
        aum_max_usd,
        lp_supply,
        add_liquidity_bps: fee,
        protocol_share_bps: share,
        expected: None,
        error: None,
    };
    #[allow(clippy::too_many_arguments)]
    let rem = |name: &str,
               lp_amount_in,
               aum_min_usd,
               lp_supply,
               decimals,
               p,
               e,
               available,
               fee,
               share| RemoveCase {
        name: name.into(),
        lp_amount_in,
        aum_min_usd,
        lp_supply,
        decimals,
        price: p,
        exponent: e,
        available_amount: available,
        remove_liquidity_bps: fee,
        protocol_share_bps: share,
        expected: None,
        error: None,
    };
    let cust = |owned, decimals, min_price, max_price, exponent| AumCustody {
        owned,
        decimals,
        min_price,
        max_price,
        exponent,
    };
    let lpp = |name: &str, aum_min_usd, lp_supply| LpPriceCase {
        name: name.into(),
        aum_min_usd,
        lp_supply,
        expected: None,
        error: None,
    };
    let step = |op: &str, amount| Step {
        op: op.into(),
        amount,
        expected: None,
        error: None,
    };

    const SOL: u64 = 12_345_678_901; // 123.45678901 USD, expo -8
    Vectors {
        doc: vec![
            "Shared vectors for perp_pool's pure math (programs/perp_pool/src/math). Each case has inputs and either".into(),
            "`expected` (exact outputs) or `error` (the program error name). Integers only; USD values have 6 decimals;".into(),
            "a price is `price * 10^exponent` USD per whole token; rounding is 'floor' or 'ceil'.".into(),
            "Checked by programs/perp_pool/tests/vectors/; regenerate with PERP_POOL_UPDATE_VECTORS=1.".into(),
            "scenarios: a single-custody pool starting empty; a failed step leaves the state unchanged. lp_supply is the".into(),
            "LP mint's supply, dead_lp_supply the pool's dead shares; LP is priced against their sum. A remove of more than".into(),
            "lp_supply fails with InsufficientLiquidity (only minted LP can be burned); 'gain' adds tokens to owned, no LP.".into(),
        ],
        token_to_usd: vec![
            t2u("sol_1.5_floor", 1_500_000_000, 9, SOL, -8, "floor"),
            t2u("sol_1.5_ceil", 1_500_000_000, 9, SOL, -8, "ceil"),
            t2u("usdc_10_exact", 10_000_000, 6, 100_000_000, -8, "floor"),
            t2u("positive_exponent", 3, 0, 2, 1, "floor"),
            t2u("dust_floor_is_zero", 1, 9, 1, -8, "floor"),
            t2u("dust_ceil_is_one", 1, 9, 1, -8, "ceil"),
            t2u("btc_0.01_ceil", 1_000_000, 8, 6_543_210_987, -5, "ceil"),
            t2u("overflow", u64::MAX, 0, u64::MAX, 18, "floor"),
        ],
        usd_to_token: vec![
            u2t("100_usd_to_sol_floor", 100_000_000, 9, SOL, -8, "floor"),
            u2t("100_usd_to_sol_ceil", 100_000_000, 9, SOL, -8, "ceil"),
            u2t("whole_token_floor", 5_000_000, 0, 2, 0, "floor"),
            u2t("whole_token_ceil", 5_000_000, 0, 2, 0, "ceil"),
            u2t("usdc_depeg_floor", 1_000_000_000, 6, 99_985_000, -8, "floor"),
            u2t("one_usd_to_btc_floor", 1_000_000, 8, 6_500_000_000, -5, "floor"),
            u2t("one_usd_to_btc_ceil", 1_000_000, 8, 6_500_000_000, -5, "ceil"),
        ],
        oracle: vec![
            orc("ema_below_spot", 100_000_000, -8, 50_000, 99_000_000, 1_000, 1_010, 30, 100),
            orc("ema_above_spot", 100_000_000, -8, 0, 101_000_000, 1_000, 1_000, 30, 100),
            orc("no_ema_uses_spot", 100_000_000, -8, 0, 0, 1_000, 1_000, 30, 100),
            orc("zero_price", 0, -8, 0, 0, 1_000, 1_000, 30, 100),
            orc("exponent_too_small", 1, -19, 0, 0, 1_000, 1_000, 30, 100),
            orc("future_publish_time", 100_000_000, -8, 0, 0, 1_001, 1_000, 30, 100),
            orc("age_at_limit", 100_000_000, -8, 0, 0, 970, 1_000, 30, 100),
            orc("stale_by_one_second", 100_000_000, -8, 0, 0, 969, 1_000, 30, 100),
            orc("confidence_at_limit", 100_000_000, -8, 1_000_000, 0, 1_000, 1_000, 30, 100),
            orc("confidence_too_wide", 100_000_000, -8, 1_000_001, 0, 1_000, 1_000, 30, 100),
        ],
        add_liquidity: vec![
            add("first_deposit_usdc", 1_000_000_000, 6, 100_000_000, -8, 0, 0, 10, 5_000),
            add("second_deposit_lp_at_2_usd", 100_000_000, 6, 100_000_000, -8, 2_000_000_000, 1_000_000_000, 0, 0),
            add("sol_into_mixed_pool", 2_718_281_828, 9, 12_300_000_000, -8, 5_555_555_555_555, 5_000_000_000_000, 30, 3_333),
            add("fee_rounds_up_on_tiny_deposit", 3, 6, 100_000_000, -8, 1_000_000, 1_000_000, 10, 10_000),
            add("first_deposit_equal_to_dead_shares", 1_000_000, 6, 100_000_000, -8, 0, 0, 0, 0),
            add("first_deposit_one_above_dead_shares", 1_000_001, 6, 100_000_000, -8, 0, 0, 0, 0),
            add("first_deposit_fee_below_dead_shares", 1_000_001, 6, 100_000_000, -8, 0, 0, 10, 0),
            add("first_deposit_with_stray_value_goes_dead", 100_000_000, 6, 100_000_000, -8, 5_000_000, 0, 0, 0),
            add("after_inflation_donation", 1_500_000_000, 6, 100_000_000, -8, 1_001_000_001, 1_000_001, 0, 0),
            add("zero_amount", 0, 6, 100_000_000, -8, 0, 0, 10, 5_000),
            add("lp_rounds_to_zero", 1, 6, 100_000_000, -8, 2_000_000, 1_000_000, 0, 0),
            add("supply_without_aum", 1_000_000, 6, 100_000_000, -8, 0, 1_000, 0, 0),
        ],
        remove_liquidity: vec![
            rem("half_of_pool_usdc", 1_000_000_000, 4_000_000_000, 2_000_000_000, 6, 100_000_000, -8, u64::MAX, 10, 5_000),
            rem("sol_out_at_max_price", 123_456_789, 5_555_555_555_555, 5_000_000_000_000, 9, 12_400_000_000, -8, u64::MAX, 30, 3_333),
            rem("all_lp", 1_000_000, 1_000_000, 1_000_000, 6, 100_000_000, -8, 1_000_000, 0, 0),
            rem("zero_lp", 0, 1_000_000, 1_000_000, 6, 100_000_000, -8, u64::MAX, 0, 0),
            rem("no_supply", 1, 1_000_000, 0, 6, 100_000_000, -8, u64::MAX, 0, 0),
            rem("more_than_supply", 2, 1_000_000, 1, 6, 100_000_000, -8, u64::MAX, 0, 0),
            rem("insufficient_available", 1_000_000, 1_000_000, 1_000_000, 6, 100_000_000, -8, 999_999, 0, 0),
            rem("amount_rounds_to_zero", 1, 500_000, 1_000_000, 6, 100_000_000, -8, u64::MAX, 0, 0),
        ],
        aum: vec![
            AumCase { name: "empty_pool".into(), custodies: vec![], expected: None, error: None },
            AumCase {
                name: "sol_and_usdc".into(),
                custodies: vec![cust(1_500_000_000, 9, SOL, SOL, -8), cust(10_000_000, 6, 100_000_000, 100_000_000, -8)],
                expected: None, error: None,
            },
            AumCase {
                name: "spread_min_max".into(),
                custodies: vec![cust(3_333_333_333, 9, 12_300_000_001, 12_400_000_003, -8), cust(7, 6, 99_990_000, 100_010_000, -8)],
                expected: None, error: None,
            },
        ],
        lp_token_price: vec![
            lpp("no_supply_is_one_usd", 0, 0),
            lpp("two_usd", 2_000_000, 1_000_000),
            lpp("floored", 1_000_000, 3_000_000),
        ],
        scenarios: vec![
            Scenario {
            name: "usdc_pool_with_spread_and_fees".into(),
            decimals: 6,
            min_price: 99_950_000,
            max_price: 100_050_000,
            exponent: -8,
            add_liquidity_bps: 10,
            remove_liquidity_bps: 15,
            protocol_share_bps: 2_500,
            steps: vec![
                step("add", 1_000_000_000),
                step("add", 250_000_000),
                step("remove", 100_000_000),
                step("add", 1),
                step("remove", 0),
                step("remove", 1_500_000_000),
                step("remove", 1_000_000_000),
            ],
        },
            Scenario {
                // The first-depositor inflation attack: 1 LP unit, then the pool gains 1_000 USDC,
                // then a victim deposits 1_500 USDC; both redeem everything.
                name: "first_depositor_inflation_attack".into(),
                decimals: 6,
                min_price: 100_000_000,
                max_price: 100_000_000,
                exponent: -8,
                add_liquidity_bps: 0,
                remove_liquidity_bps: 0,
                protocol_share_bps: 0,
                steps: vec![
                    step("add", 1_000_000),
                    step("add", 1_000_001),
                    step("gain", 1_000_000_000),
                    step("add", 1_500_000_000),
                    step("remove", 1),
                    step("remove", 1_498_502),
                    step("remove", 1),
                ],
            },
            Scenario {
                // Everyone redeems: the dead shares keep the supply (and the pool's remaining value)
                // from returning to a zero-supply pool the next depositor would take.
                name: "supply_never_returns_to_zero".into(),
                decimals: 6,
                min_price: 100_000_000,
                max_price: 100_000_000,
                exponent: -8,
                add_liquidity_bps: 0,
                remove_liquidity_bps: 0,
                protocol_share_bps: 0,
                steps: vec![
                    step("add", 2_000_000),
                    step("gain", 500_000),
                    step("remove", 1_000_000),
                    step("add", 1_000_000),
                ],
            },
        ],
    }
}
