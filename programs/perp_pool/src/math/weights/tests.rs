use {
    super::*,
    crate::math::{error_name, sequences::log_range},
    proptest::prelude::*,
};

const PPB: u64 = WEIGHT_POWER;
const BPS_PPB: u64 = WEIGHT_POWER / BPS_POWER;

fn err_is<T>(result: Result<T>, expected: &str) -> bool {
    error_name(&result).as_deref() == Some(expected)
}

/// Target 50 %, bounds 10 % .. 90 %, tax 50 bps, swap 10 bps.
fn rule() -> WeightParams {
    WeightParams {
        target_bps: 5_000,
        min_bps: 1_000,
        max_bps: 9_000,
        tax_bps: 50,
        swap_bps: 10,
    }
}

fn mv(before: u64, after: u64) -> WeightMove {
    WeightMove {
        before: Some(before),
        after: Some(after),
    }
}

fn price(price: u64) -> OraclePrice {
    OraclePrice {
        price,
        exponent: -8,
    }
}

/// USDC (6 decimals, 1 USD) and SOL (9 decimals, 100 USD), min == max.
fn usdc(owned: u64) -> CustodyValuation {
    CustodyValuation {
        owned,
        decimals: 6,
        min_price: price(100_000_000),
        max_price: price(100_000_000),
        trading: Default::default(),
    }
}

fn sol(owned: u64) -> CustodyValuation {
    CustodyValuation {
        owned,
        decimals: 9,
        min_price: price(10_000_000_000),
        max_price: price(10_000_000_000),
        trading: Default::default(),
    }
}

// ---- weight_ppb / WeightMove ----

#[test]
fn weight_is_a_floor_share_and_none_for_an_empty_pool() {
    assert_eq!(weight_ppb(0, 0).unwrap(), None);
    assert_eq!(weight_ppb(1, 3).unwrap(), Some(333_333_333));
    assert_eq!(weight_ppb(2, 3).unwrap(), Some(666_666_666));
    assert_eq!(weight_ppb(5, 5).unwrap(), Some(PPB));
    assert!(err_is(weight_ppb(6, 5), "MathOverflow"));
}

#[test]
fn weight_move_of_a_swap_moves_both_legs() {
    let values = [600u128, 400];
    let alone = WeightMove::of(&values, 0, 900, None).unwrap();
    assert_eq!(alone, mv(600_000_000, 692_307_692)); // 900 / 1300
    let swap = WeightMove::of(&values, 0, 900, Some((1, 100))).unwrap();
    assert_eq!(swap, mv(600_000_000, 900_000_000)); // 900 / 1000
    let empty = WeightMove::of(&[0, 0], 0, 5, None).unwrap();
    assert_eq!(
        empty,
        WeightMove {
            before: None,
            after: Some(PPB)
        }
    );
    assert!(err_is(
        WeightMove::of(&values, 2, 1, None),
        "InvalidCustodyAccounts"
    ));
}

// ---- weight_fee_bps ----

#[test]
fn fee_at_the_target_is_the_base() {
    assert_eq!(
        weight_fee_bps(&rule(), 30, mv(500_000_000, 500_000_000)).unwrap(),
        30
    );
}

#[test]
fn fee_moving_away_adds_the_tax_on_the_average_distance_rounded_up() {
    // d0 = 0, d1 = 10 %: average 5 % of a 50 % target = 1/10 of the tax: 5 bps.
    assert_eq!(
        weight_fee_bps(&rule(), 30, mv(500_000_000, 600_000_000)).unwrap(),
        35
    );
    // Below the target too (a redemption): 40 % -> 30 %: average 15 %, 3/10 of 50 = 15.
    assert_eq!(
        weight_fee_bps(&rule(), 30, mv(400_000_000, 300_000_000)).unwrap(),
        45
    );
    // One ppb away: ceil(50 * 1 / 5e8) = 1 bps (the tax rounds up).
    assert_eq!(
        weight_fee_bps(&rule(), 30, mv(500_000_000, 500_000_001)).unwrap(),
        31
    );
    // Standing still off target pays the tax on the distance: 70 % -> 70 %: 20/50 of 50 = 20.
    assert_eq!(
        weight_fee_bps(&rule(), 30, mv(700_000_000, 700_000_000)).unwrap(),
        50
    );
    // The tax is capped at the whole tax (average distance capped at the target): 0 -> 0 stays
    // a whole target away; 0 -> 1 ppb is a move toward (a rebate).
    assert_eq!(weight_fee_bps(&rule(), 30, mv(0, 0)).unwrap(), 80);
    assert_eq!(weight_fee_bps(&rule(), 30, mv(0, 1)).unwrap(), 0);
    assert_eq!(
        weight_fee_bps(&rule(), 30, mv(1_000_000_000, 1_000_000_000)).unwrap(),
        80
    );
}

#[test]
fn fee_toward_the_target_gets_a_rebate_on_the_start_distance_rounded_down() {
    // 70 % -> 60 %: d0 = 20 %: 20/50 of 50 = 20 bps off.
    assert_eq!(
        weight_fee_bps(&rule(), 30, mv(700_000_000, 600_000_000)).unwrap(),
        10
    );
    // Never below 0.
    assert_eq!(
        weight_fee_bps(&rule(), 10, mv(700_000_000, 600_000_000)).unwrap(),
        0
    );
    // d0 = 1 ppb: floor(50 / 5e8) = 0 off.
    assert_eq!(
        weight_fee_bps(&rule(), 30, mv(500_000_001, 500_000_000)).unwrap(),
        30
    );
}

#[test]
fn fee_crossing_the_target() {
    // A move across the target counts from the target (review finding W1): no rebate, the tax on
    // the part beyond it, half its distance on average.
    // 40 % -> 70 %: d1 = 20 %: tax on 10 %: 10 bps.
    assert_eq!(
        weight_fee_bps(&rule(), 30, mv(400_000_000, 700_000_000)).unwrap(),
        40
    );
    // 30 % -> 60 %: closer than it started (GMX would rebate 20 bps on d0), but across: tax on
    // 5 %: 5 bps.
    assert_eq!(
        weight_fee_bps(&rule(), 30, mv(300_000_000, 600_000_000)).unwrap(),
        35
    );
    // 40 % -> 60 %: equally far on the other side: tax on 5 %.
    assert_eq!(
        weight_fee_bps(&rule(), 30, mv(400_000_000, 600_000_000)).unwrap(),
        35
    );
}

#[test]
fn fee_with_a_zero_target() {
    let zero = WeightParams {
        target_bps: 0,
        min_bps: 0,
        ..rule()
    };
    // Any move away from 0 pays the whole tax (T = 1 ppb).
    assert_eq!(weight_fee_bps(&zero, 30, mv(0, 1)).unwrap(), 80);
    assert_eq!(weight_fee_bps(&zero, 30, mv(0, 0)).unwrap(), 30);
    // Any move toward 0 gets the whole rebate, capped at the base.
    assert_eq!(weight_fee_bps(&zero, 30, mv(2, 1)).unwrap(), 0);
    // d0 = 2 ppb of a 1 ppb scale: a rebate of twice the tax.
    assert_eq!(weight_fee_bps(&zero, 150, mv(2, 1)).unwrap(), 50);
}

#[test]
fn fee_without_a_rule_or_in_an_empty_pool_is_the_base() {
    let none = WeightParams::default();
    assert_eq!(weight_fee_bps(&none, 30, mv(0, 1_000_000_000)).unwrap(), 30);
    for weights in [
        WeightMove {
            before: None,
            after: Some(PPB),
        },
        WeightMove {
            before: Some(PPB),
            after: None,
        },
    ] {
        assert_eq!(weight_fee_bps(&rule(), 30, weights).unwrap(), 30);
        check_weight_bounds(&rule(), weights).unwrap();
    }
}

// ---- check_weight_bounds ----

#[test]
fn bounds_at_the_max() {
    let max = 9_000 * BPS_PPB;
    check_weight_bounds(&rule(), mv(800_000_000, max)).unwrap();
    assert!(err_is(
        check_weight_bounds(&rule(), mv(800_000_000, max + 1)),
        "TokenWeightOutOfRange"
    ));
    // From outside: moving back in, or down while still outside, is allowed; staying is allowed.
    check_weight_bounds(&rule(), mv(950_000_000, 920_000_000)).unwrap();
    check_weight_bounds(&rule(), mv(950_000_000, 850_000_000)).unwrap();
    check_weight_bounds(&rule(), mv(950_000_000, 950_000_000)).unwrap();
    assert!(err_is(
        check_weight_bounds(&rule(), mv(950_000_000, 950_000_001)),
        "TokenWeightOutOfRange"
    ));
}

#[test]
fn bounds_at_the_min() {
    let min = 1_000 * BPS_PPB;
    check_weight_bounds(&rule(), mv(200_000_000, min)).unwrap();
    assert!(err_is(
        check_weight_bounds(&rule(), mv(200_000_000, min - 1)),
        "TokenWeightOutOfRange"
    ));
    check_weight_bounds(&rule(), mv(50_000_000, 80_000_000)).unwrap();
    check_weight_bounds(&rule(), mv(50_000_000, 50_000_000)).unwrap();
    assert!(err_is(
        check_weight_bounds(&rule(), mv(50_000_000, 49_999_999)),
        "TokenWeightOutOfRange"
    ));
    // No rule: no bounds.
    check_weight_bounds(&WeightParams::default(), mv(0, PPB)).unwrap();
}

/// The first SOL deposit (in lamports) the max bound refuses, found by bisection: the one below
/// it leaves SOL's weight at most the max, it leaves it above.
#[test]
fn liquidity_fee_refuses_the_first_token_past_the_max() {
    let params = WeightParams {
        target_bps: 3_000,
        min_bps: 0,
        max_bps: 5_000,
        tax_bps: 50,
        swap_bps: 10,
    };
    // 1 000 USDC and 1 SOL (100 USD): SOL at 1/11.
    let valuations = [usdc(1_000_000_000), sol(1_000_000_000)];
    let fee = |amount: u64| {
        liquidity_fee_bps(
            &valuations,
            1,
            1_000_000_000 + amount,
            &params,
            20,
            LiquidityMove::Deposit,
        )
    };
    let (mut ok, mut refused) = (0u64, 100_000_000_000u64);
    assert!(fee(ok).is_ok() && err_is(fee(refused), "TokenWeightOutOfRange"));
    while refused - ok > 1 {
        let mid = ok + (refused - ok) / 2;
        if fee(mid).is_ok() {
            ok = mid;
        } else {
            refused = mid;
        }
    }
    // 9 SOL more: 1 000 USD of SOL against 1 000 USD of USDC, exactly 50 %. The weight is a
    // floor in ppb, so it reads 500 000 001 only from 1 000.000 005 USD of SOL (5 micro-USD, 50
    // lamports, past the half): 9 000 000 050 lamports is the first refused.
    assert_eq!(ok, 9_000_000_049);
    assert_eq!(refused, 9_000_000_050);
    // From 1/11 to 50 % across the 30 % target: counted from the target, d1 = 200 000 000: the
    // tax ceil(50 · 1e8 / 3e8) = 17 on the 20 bps base (GMX's rule rebated it to 0).
    assert_eq!(fee(ok).unwrap(), 37);
    // A redemption of USDC that would raise SOL past the max is the min bound's business only
    // (USDC has no min here): allowed.
    liquidity_fee_bps(
        &valuations,
        0,
        0,
        &WeightParams::default(),
        20,
        LiquidityMove::Redemption,
    )
    .unwrap();
}

#[test]
fn liquidity_fee_allows_bringing_an_out_of_bounds_custody_back() {
    let params = WeightParams {
        target_bps: 3_000,
        min_bps: 1_000,
        max_bps: 5_000,
        tax_bps: 50,
        swap_bps: 10,
    };
    // SOL at 80 % (a price rise put it there): a SOL deposit is refused, a SOL redemption and a
    // USDC deposit are allowed and steered (toward: a rebate). 0.01 SOL raises the weight by
    // 1 600 ppb; 1 lamport (0.1 micro-USD) moves no value, so no weight: allowed.
    let valuations = [usdc(250_000_000), sol(10_000_000_000)];
    assert!(err_is(
        liquidity_fee_bps(
            &valuations,
            1,
            10_010_000_000,
            &params,
            20,
            LiquidityMove::Deposit
        ),
        "TokenWeightOutOfRange"
    ));
    liquidity_fee_bps(
        &valuations,
        1,
        10_000_000_001,
        &params,
        20,
        LiquidityMove::Deposit,
    )
    .unwrap();
    // A redemption of 1 SOL: 900 / 1 150 = 78.3 %, back toward the bounds.
    let fee = liquidity_fee_bps(
        &valuations,
        1,
        9_000_000_000,
        &params,
        20,
        LiquidityMove::Redemption,
    )
    .unwrap();
    // d0 = 50 %: rebate floor(50 * 5e8 / 3e8) = 83 > 20: 0.
    assert_eq!(fee, 0);
    // A USDC deposit lowers SOL's weight; USDC (no rule here) pays the base.
    assert_eq!(
        liquidity_fee_bps(
            &valuations,
            0,
            350_000_000,
            &WeightParams::default(),
            20,
            LiquidityMove::Deposit
        )
        .unwrap(),
        20
    );
}

// ---- tokens_to_quantity / net_exposure_quantity ----

#[test]
fn tokens_to_quantity_scales_to_quantity_decimals() {
    assert_eq!(tokens_to_quantity(1, 6).unwrap(), 1_000_000);
    assert_eq!(tokens_to_quantity(1, 9).unwrap(), 1_000);
    assert_eq!(tokens_to_quantity(7, 12).unwrap(), 7);
    assert_eq!(tokens_to_quantity(0, 0).unwrap(), 0);
    assert_eq!(
        tokens_to_quantity(u64::MAX, 0).unwrap(),
        u128::from(u64::MAX) * 1_000_000_000_000
    );
    // More decimals than QUANTITY_DECIMALS: floor.
    assert_eq!(tokens_to_quantity(1_999_999, 18).unwrap(), 1);
    assert_eq!(tokens_to_quantity(999_999, 18).unwrap(), 0);
}

#[test]
fn net_exposure_is_owned_minus_longs_plus_shorts() {
    // 10 SOL owned, 4 SOL of longs, 1 SOL of shorts: 7 SOL long.
    let sol_q = 1_000_000_000_000u128;
    assert_eq!(
        net_exposure_quantity(10_000_000_000, 9, 4 * sol_q, sol_q).unwrap(),
        7_000_000_000_000
    );
    // A synthetic market (nothing owned): longs make the pool short.
    assert_eq!(
        net_exposure_quantity(0, 9, 3 * sol_q, 0).unwrap(),
        -3_000_000_000_000
    );
    assert_eq!(net_exposure_quantity(0, 9, 0, 0).unwrap(), 0);
    assert!(err_is(
        net_exposure_quantity(0, 9, u128::MAX, 0),
        "MathOverflow"
    ));
}

// ---- compute_swap / swap_gross_out / quote_swap ----

#[test]
fn compute_swap_amounts_and_errors() {
    let s = compute_swap(1_000_000, 1_000_000, 30, 5_000, 998_500).unwrap();
    assert_eq!(
        (
            s.fee_amount,
            s.amount_out,
            s.protocol_fee_amount,
            s.owned_decrease
        ),
        (3_000, 997_000, 1_500, 998_500)
    );
    assert!(err_is(
        compute_swap(1_000_000, 1_000_000, 30, 5_000, 998_499),
        "InsufficientLiquidity"
    ));
    // One token gross with any fee: nothing out.
    assert!(err_is(compute_swap(1, 1, 1, 0, 10), "ZeroAmount"));
    assert!(err_is(compute_swap(0, 0, 0, 0, 10), "ZeroAmount"));
    assert!(err_is(
        compute_swap(1, 10, 10_001, 0, 10),
        "InvalidCustodyConfig"
    ));
    assert!(err_is(
        compute_swap(1, 10, 10, 10_001, 10),
        "InvalidCustodyConfig"
    ));
}

#[test]
fn swap_gross_out_values_the_swapper_low_on_both_legs() {
    let (in_usd, out) = swap_gross_out(
        1_000_000_000,
        9,
        price(9_900_000_000),
        6,
        price(100_000_000),
    )
    .unwrap();
    assert_eq!((in_usd, out), (99_000_000, 99_000_000));
    // USDC -> SOL at a max price of 101 USD: floor(1e6 * 1e9 / 101e6).
    let (in_usd, out) =
        swap_gross_out(1_000_000, 6, price(100_000_000), 9, price(10_100_000_000)).unwrap();
    assert_eq!((in_usd, out), (1_000_000, 9_900_990));
    assert!(err_is(
        swap_gross_out(0, 6, price(100_000_000), 9, price(1)),
        "ZeroAmount"
    ));
}

fn leg(index: usize, weights: WeightParams, owned: u64) -> SwapLeg {
    SwapLeg {
        index,
        weights,
        owned,
        locked: 0,
        max_utilization: 0,
    }
}

#[test]
fn quote_swap_prices_and_steers() {
    // 1 000 USDC, 10 SOL (1 000 USD): both at their 50 % target. 1 SOL in: SOL 1100/2000 = 55 %,
    // USDC 45 %: each leg 5 % away on average 2.5 %: ceil(50 * 2.5/50) = 3: fee 13 bps.
    let valuations = [usdc(1_000_000_000), sol(10_000_000_000)];
    let q = quote_swap(
        &valuations,
        leg(1, rule(), 10_000_000_000),
        leg(0, rule(), 1_000_000_000),
        1_000_000_000,
        5_000,
    )
    .unwrap();
    assert_eq!(q.amounts.in_usd, 100_000_000);
    assert_eq!(q.amounts.gross_out, 100_000_000);
    assert_eq!(q.amounts.fee_bps, 13);
    assert_eq!(q.amounts.fee_amount, 130_000);
    assert_eq!(q.amounts.amount_out, 99_870_000);
    assert_eq!(q.amounts.protocol_fee_amount, 65_000);
    assert_eq!(q.amounts.owned_decrease, 99_935_000);
    // After: SOL 1100, USDC 900.065: weights of 2000.065.
    assert_eq!(q.receiving_weight_ppb, 549_982_125);
    assert_eq!(q.dispensing_weight_ppb, 450_017_874);
    // And back: both legs toward their targets: USDC's rebate floor(50 · 5/50) = 5 leaves 5 bps,
    // SOL's floor(50 · 4.998/50) = 4 leaves 6: the dearer, 6 bps.
    let back = quote_swap(
        &[usdc(900_065_000), sol(11_000_000_000)],
        leg(0, rule(), 900_065_000),
        leg(1, rule(), 11_000_000_000),
        99_870_000,
        5_000,
    )
    .unwrap();
    assert_eq!(back.amounts.fee_bps, 6);
    assert_eq!(back.amounts.amount_out, 998_100_780);
    // The round trip at one price returns less than the 1 SOL that went in.
    assert!(back.amounts.amount_out < 1_000_000_000);
}

#[test]
fn quote_swap_errors() {
    let valuations = [usdc(1_000_000_000), sol(10_000_000_000)];
    // `available`: the dispensing leg's unlocked tokens (the rest of its owned is locked).
    let q = |receiving: SwapLeg, dispensing: SwapLeg, amount: u64, available: u64| {
        let dispensing = SwapLeg {
            locked: dispensing.owned.saturating_sub(available),
            ..dispensing
        };
        quote_swap(&valuations, receiving, dispensing, amount, 0)
    };
    let (u, s) = (
        leg(0, rule(), 1_000_000_000),
        leg(1, rule(), 10_000_000_000),
    );
    assert!(err_is(q(u, u, 1_000, 1_000_000_000), "InvalidSwap"));
    let bare = leg(1, WeightParams::default(), 10_000_000_000);
    assert!(err_is(q(u, bare, 1_000, 10_000_000_000), "InvalidSwap"));
    assert!(err_is(q(bare, u, 1_000, 1_000_000_000), "InvalidSwap"));
    assert!(err_is(q(u, s, 0, 10_000_000_000), "ZeroAmount"));
    // 1 micro-USDC buys 10 lamports gross; 1 lamport of SOL is worth 0.1 micro-USD: nothing.
    assert!(err_is(q(s, u, 1, 1_000_000_000), "ZeroAmount"));
    assert!(err_is(
        q(leg(2, rule(), 0), s, 1_000, 10_000_000_000),
        "InvalidCustodyAccounts"
    ));
    // 500 USDC in: USDC 1 500 / 2 000 = 75 %, under the 90 % max; 900 USDC in: 95 %, past it.
    q(u, s, 500_000_000, 10_000_000_000).unwrap();
    assert!(err_is(
        q(u, s, 900_000_000, 10_000_000_000),
        "TokenWeightOutOfRange"
    ));
    // Locked SOL: only 1 SOL unlocked.
    assert!(err_is(
        q(u, s, 200_000_000, 1_000_000_000),
        "InsufficientLiquidity"
    ));
}

#[test]
fn quote_swap_keeps_the_dispensing_custody_under_its_max_utilization() {
    // 10 SOL of which 5 locked, max utilisation 60 %: a swap may take SOL down to 5 / 0.6 =
    // 8.33 SOL owned, so 1 SOL out (owned 9.0005 with the protocol's nothing) passes, 2 SOL
    // (owned 8) does not, though both are within the unlocked 5 SOL (review finding W3).
    let valuations = [usdc(1_000_000_000), sol(10_000_000_000)];
    let sol_leg = SwapLeg {
        locked: 5_000_000_000,
        max_utilization: 600_000_000,
        ..leg(1, rule(), 10_000_000_000)
    };
    let usdc_leg = leg(0, rule(), 1_000_000_000);
    quote_swap(&valuations, usdc_leg, sol_leg, 100_000_000, 0).unwrap();
    assert!(err_is(
        quote_swap(&valuations, usdc_leg, sol_leg, 200_000_000, 0),
        "MaxUtilizationExceeded"
    ));
    // No cap: the same swap passes.
    let uncapped = SwapLeg {
        max_utilization: 0,
        ..sol_leg
    };
    quote_swap(&valuations, usdc_leg, uncapped, 200_000_000, 0).unwrap();
}

#[test]
fn a_swap_across_the_target_gets_no_rebate() {
    // Review finding W1: USDC 30 % / SOL 70 % (targets 50 %). A swap to the mirror side (USDC
    // 70 %) ends as far from the target as it started; under GMX's rule a move ending a little
    // closer got the full rebate at the START distance on both legs, so swapping back and forth
    // cost nothing. Now a move across the target pays the tax on the part beyond it.
    let params = WeightParams {
        target_bps: 5_000,
        min_bps: 2_000,
        max_bps: 8_000,
        tax_bps: 100,
        swap_bps: 30,
    };
    let before = 300_000_000;
    let after = 699_000_000; // just closer than 700_000_000 on the other side
                             // d1 = 199 000 000 counted from the target: ceil(100 · ceil(d1 / 2) / 5e8) = 20: 50 bps.
    assert_eq!(weight_fee_bps(&params, 30, mv(before, after)).unwrap(), 50);
    // The same distance without crossing (30 % -> 31 %) is a rebate: floor(100 · 2e8 / 5e8) = 40.
    assert_eq!(
        weight_fee_bps(&params, 30, mv(before, 310_000_000)).unwrap(),
        0
    );
    // Ending exactly at the target is not a crossing: toward, rebated.
    assert_eq!(
        weight_fee_bps(&params, 30, mv(before, 500_000_000)).unwrap(),
        0
    );
    // Starting at the target and moving away: the tax on half the distance.
    assert_eq!(
        weight_fee_bps(&params, 30, mv(500_000_000, 699_000_000)).unwrap(),
        50
    );
}

// ---- properties ----

fn weight_params() -> impl Strategy<Value = WeightParams> {
    (
        0u64..=10_000,
        0u64..=10_000,
        0u64..=10_000,
        0u64..=1_000,
        0u64..=1_000,
    )
        .prop_map(|(a, b, c, tax_bps, swap_bps)| {
            let mut v = [a, b, c];
            v.sort_unstable();
            WeightParams {
                min_bps: v[0],
                target_bps: v[1],
                max_bps: v[2].max(1),
                tax_bps,
                swap_bps,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]

    /// The fee is in [0, base + tax]; at most base on a move toward the target, at least base
    /// otherwise.
    #[test]
    fn fee_is_bounded(params in weight_params(), base in 0u64..=10_000, before in 0u64..=PPB, after in 0u64..=PPB) {
        let fee = weight_fee_bps(&params, base, mv(before, after)).unwrap();
        prop_assert!(fee <= base + params.tax_bps);
        let target = params.target_bps * BPS_PPB;
        let crosses = (before < target && after > target) || (before > target && after < target);
        if after.abs_diff(target) < before.abs_diff(target) && !crosses {
            prop_assert!(fee <= base);
        } else {
            prop_assert!(fee >= base);
        }
    }

    /// From the same start, a move that ends further from the target (on the same side, away
    /// from it) never pays less.
    #[test]
    fn fee_is_monotone_in_the_distance_moved_away(params in weight_params(), base in 0u64..=10_000, before in 0u64..=PPB, a in 0u64..=PPB, b in 0u64..=PPB) {
        let target = params.target_bps * BPS_PPB;
        let (near, far) = if a <= b { (a, b) } else { (b, a) };
        // Above the target, moving up from `before`.
        if before >= target && near >= before {
            let f_near = weight_fee_bps(&params, base, mv(before, near)).unwrap();
            let f_far = weight_fee_bps(&params, base, mv(before, far)).unwrap();
            prop_assert!(f_near <= f_far, "{} {} {}", before, near, far);
        }
        // Below the target, moving down: `near` is the larger weight, closer to the target.
        if before <= target && near <= before {
            let f_near = weight_fee_bps(&params, base, mv(before, far.min(before))).unwrap();
            let f_far = weight_fee_bps(&params, base, mv(before, near)).unwrap();
            // `far.min(before)` >= `near`: the smaller weight `near` is further away.
            prop_assert!(f_near <= f_far, "{} {} {}", before, near, far);
        }
    }

    /// The bounds never refuse a move that does not leave the weight further outside them, and
    /// always refuse one that does.
    #[test]
    fn bounds_refuse_exactly_the_moves_further_out(params in weight_params(), before in 0u64..=PPB, after in 0u64..=PPB) {
        let (max, min) = (params.max_bps * BPS_PPB, params.min_bps * BPS_PPB);
        let refused = (after > max && after > before) || (after < min && after < before);
        prop_assert_eq!(check_weight_bounds(&params, mv(before, after)).is_err(), refused);
    }
}

// ---- splitting a move into pieces ----

/// The fee tokens of depositing `pieces` one after the other into custody 1 of a USDC + SOL pool
/// (`liquidity_fee_bps` then `fee_amount`, owned growing by each piece: no protocol share), or
/// None when a piece is refused.
fn deposit_fees(
    usdc_owned: u64,
    sol_owned: u64,
    params: &WeightParams,
    base: u64,
    pieces: &[u64],
) -> Option<u128> {
    let mut owned = sol_owned;
    let mut total = 0u128;
    for &piece in pieces {
        let valuations = [usdc(usdc_owned), sol(owned)];
        let fee_bps = liquidity_fee_bps(
            &valuations,
            1,
            owned.checked_add(piece)?,
            params,
            base,
            LiquidityMove::Deposit,
        )
        .ok()?;
        total += u128::from(crate::math::liquidity::fee_amount(piece, fee_bps).ok()?);
        owned = owned.checked_add(piece)?;
    }
    Some(total)
}

/// The same for redeeming `pieces` SOL tokens gross (owned falling by each).
fn redemption_fees(
    usdc_owned: u64,
    sol_owned: u64,
    params: &WeightParams,
    base: u64,
    pieces: &[u64],
) -> Option<u128> {
    let mut owned = sol_owned;
    let mut total = 0u128;
    for &piece in pieces {
        let valuations = [usdc(usdc_owned), sol(owned)];
        let after = owned.checked_sub(piece)?;
        let fee_bps = liquidity_fee_bps(
            &valuations,
            1,
            after,
            params,
            base,
            LiquidityMove::Redemption,
        )
        .ok()?;
        total += u128::from(crate::math::liquidity::fee_amount(piece, fee_bps).ok()?);
        owned = after;
    }
    Some(total)
}

/// Where the rule is path-dependent: a deposit across the target pays the tax from the target on
/// the whole move; the same deposit in two pieces, the first ending exactly at the target, gets a
/// rebate on the first piece (a genuine move toward the target) and the tax on the second. No value leaves the pool (every fee is >= 0 and the spread is the
/// pool's), but the property below excludes crossing moves.
#[test]
fn splitting_a_crossing_deposit_can_pay_less() {
    let params = WeightParams {
        target_bps: 5_000,
        min_bps: 0,
        max_bps: 10_000,
        tax_bps: 50,
        swap_bps: 0,
    };
    // 1 000 USDC, 8 SOL (44.4 %): one 12 SOL deposit to 2000/3000 = 66.7 %, across the target:
    // counted from it, d1 = 16.7 %: tax ceil(50 · 8.33/50) = 9: 39 bps = 46 800 000 lamports.
    let one = deposit_fees(1_000_000_000, 8_000_000_000, &params, 30, &[12_000_000_000]).unwrap();
    assert_eq!(one, 46_800_000);
    // 2 SOL to 50 % (toward: rebate floor(50 · 5.6/50) = 5: 25 bps = 5 000 000), then 10 SOL
    // from 50 % to 66.7 %: tax ceil(50 · 8.33/50) = 9: 39 bps = 39 000 000.
    let two = deposit_fees(
        1_000_000_000,
        8_000_000_000,
        &params,
        30,
        &[2_000_000_000, 10_000_000_000],
    )
    .unwrap();
    assert_eq!(two, 44_000_000);
    // Moving away from the start, on one side, splitting pays more (the property below).
    let away_one = deposit_fees(
        1_000_000_000,
        10_000_000_000,
        &params,
        30,
        &[10_000_000_000],
    )
    .unwrap();
    let away_two = deposit_fees(
        1_000_000_000,
        10_000_000_000,
        &params,
        30,
        &[5_000_000_000, 5_000_000_000],
    )
    .unwrap();
    assert!(away_two >= away_one, "{} {}", away_two, away_one);
}

/// A redemption moving a custody away from its target below it: the distance grows convexly in
/// the tokens redeemed, so the average of the two ends (one piece) overstates the path's
/// average and pieces pay less tax. 1 000 USDC, 10 SOL (50 % = target), tax 50 bps, base 30:
/// redeeming 8 SOL in one piece leaves 200/1200 = 16.7 %: tax ceil(50 · 16.7/50) = 17 bps: 47 bps,
/// 37 600 000 lamports; in 8 pieces of 1 SOL, 35 700 000 (5 % less fee).
#[test]
fn splitting_a_redemption_away_from_the_target_can_pay_less() {
    let params = WeightParams {
        target_bps: 5_000,
        min_bps: 0,
        max_bps: 10_000,
        tax_bps: 50,
        swap_bps: 0,
    };
    let one =
        redemption_fees(1_000_000_000, 10_000_000_000, &params, 30, &[8_000_000_000]).unwrap();
    assert_eq!(one, 8_000_000_000 * 47 / 10_000);
    let eight = redemption_fees(
        1_000_000_000,
        10_000_000_000,
        &params,
        30,
        &[1_000_000_000; 8],
    )
    .unwrap();
    assert_eq!(eight, 35_700_000);
    // Less by the convexity only: the pool still takes more than the base fee.
    assert!(eight > 8_000_000_000 * 30 / 10_000);
    println!(
        "redemption of 8 SOL: one piece {} lamports of fee, eight pieces {}",
        one, eight
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// A deposit that moves a custody's weight only away from its target (it starts at or above
    /// it, and ends at most one target's distance above it, where the tax cap binds no piece) or
    /// only toward it (it ends at or below it), split into pieces deposited one after the other,
    /// pays in total at least the one-piece fee minus `ceil(amount / BPS_POWER) + 1` tokens: the
    /// single piece's tax rounds up to a whole BPS (at most 1 BPS of the amount) and its fee to a
    /// token; nothing else is saved (away: the distance is concave in the tokens deposited, so the
    /// pieces' trapezoid is above the whole move's chord; toward: each piece's rebate is on its
    /// own start distance, which only shrinks). Past one target's distance the cap can bind a
    /// later piece and not the whole move (its average distance is smaller): splitting then saves
    /// up to the capped part (proptest found 0.3 % of the fee: 3 189 458 382 841 vs
    /// 3 179 384 975 304 tokens, weight 27.7 % -> 75.4 %, target 25.9 %).
    #[test]
    fn splitting_a_one_sided_deposit_never_saves_more_than_rounding(
        usdc_owned in log_range(1_000_000, 1_000_000_000_000_000),
        sol_owned in log_range(1, 10_000_000_000_000_000),
        params in weight_params(),
        base in 0u64..=100,
        pieces in proptest::collection::vec(log_range(1, 1_000_000_000_000_000), 1..12),
    ) {
        let amount: u64 = match pieces.iter().try_fold(0u64, |a, p| a.checked_add(*p)) { Some(a) => a, None => return Ok(()) };
        let params = WeightParams { min_bps: 0, max_bps: 10_000, ..params };
        let target = params.target_bps * BPS_PPB;
        let valuations = [usdc(usdc_owned), sol(sol_owned)];
        let values = owned_values_usd(&valuations).unwrap();
        let Some(after_owned) = sol_owned.checked_add(amount) else { return Ok(()) };
        let after_value = sol(0).min_price.token_to_usd(after_owned, 9, Rounding::Floor).unwrap();
        let m = WeightMove::of(&values, 1, after_value, None).unwrap();
        let (Some(before), Some(after)) = (m.before, m.after) else { return Ok(()) };
        // One-sided, and (moving away) ending within one target's distance of it, where the
        // tax cap (average distance <= target) binds no piece.
        let one_sided_away = before >= target && after - target <= target.max(1);
        if !(one_sided_away || after <= target) {
            return Ok(());
        }
        let Some(one) = deposit_fees(usdc_owned, sol_owned, &params, base, &[amount]) else { return Ok(()) };
        let Some(split) = deposit_fees(usdc_owned, sol_owned, &params, base, &pieces) else { return Ok(()) };
        let slack = u128::from(amount.div_ceil(BPS_POWER)) + 1;
        prop_assert!(split + slack >= one, "one {} split {} slack {} ({} -> {})", one, split, slack, before, after);
    }
}
