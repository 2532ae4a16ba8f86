use {
    super::*,
    crate::{
        constants::PRICE_DECIMALS,
        math::pnl::{entry_quantity, liquidation_price},
        math::pricing::exit_price_at,
    },
    proptest::prelude::*,
};

fn err_is<T>(result: Result<T>, expected: &str) -> bool {
    crate::math::error_name(&result).as_deref() == Some(expected)
}

const USD: u64 = 1_000_000;
const PRICE: u64 = 10u64.pow(PRICE_DECIMALS as u32);
const KINDS: [OrderKind; 3] = [OrderKind::TakeProfit, OrderKind::StopLoss, OrderKind::Limit];

/// 1_000 USD at 100 USD with 100 USD of collateral, 1 USD close fee, 50x maintenance.
fn health(side: Side) -> HealthInputs {
    HealthInputs {
        side,
        quantity: entry_quantity(side, 1_000 * USD, 100 * PRICE).unwrap(),
        size_usd: 1_000 * USD,
        collateral_usd: 100 * USD,
        max_profit_usd: 1_000 * USD,
        close_fee_usd: USD,
        interest_usd: 0,
        max_leverage_bps: 500_000,
    }
}

#[test]
fn take_profit_waits_for_a_better_exit_and_stop_loss_for_a_worse_one() {
    use OrderKind::*;
    assert!(trigger_reached(TakeProfit, Side::Long, 110, 110));
    assert!(!trigger_reached(TakeProfit, Side::Long, 109, 110));
    assert!(trigger_reached(TakeProfit, Side::Short, 90, 90));
    assert!(!trigger_reached(TakeProfit, Side::Short, 91, 90));
    assert!(trigger_reached(StopLoss, Side::Long, 90, 90));
    assert!(!trigger_reached(StopLoss, Side::Long, 91, 90));
    assert!(trigger_reached(StopLoss, Side::Short, 110, 110));
    assert!(!trigger_reached(StopLoss, Side::Short, 109, 110));
}

#[test]
fn a_limit_long_buys_at_or_below_and_a_limit_short_sells_at_or_above() {
    assert!(trigger_reached(OrderKind::Limit, Side::Long, 95, 95));
    assert!(!trigger_reached(OrderKind::Limit, Side::Long, 96, 95));
    assert!(trigger_reached(OrderKind::Limit, Side::Short, 105, 105));
    assert!(!trigger_reached(OrderKind::Limit, Side::Short, 104, 105));
}

#[test]
fn placement_refuses_a_zero_trigger_and_one_already_reached() {
    for kind in KINDS {
        for side in [Side::Long, Side::Short] {
            assert!(err_is(
                check_trigger_placement(kind, side, 100, 0),
                "InvalidTriggerPrice"
            ));
            // At the price itself every trigger is reached.
            assert!(err_is(
                check_trigger_placement(kind, side, 100, 100),
                "InvalidTriggerPrice"
            ));
        }
    }
    check_trigger_placement(OrderKind::TakeProfit, Side::Long, 100, 101).unwrap();
    check_trigger_placement(OrderKind::StopLoss, Side::Long, 100, 99).unwrap();
    check_trigger_placement(OrderKind::Limit, Side::Short, 100, 101).unwrap();
}

#[test]
fn the_watched_price_is_the_exit_for_tp_sl_and_the_entry_for_limits() {
    let prices = TradePrices {
        lo: 99 * PRICE,
        hi: 101 * PRICE,
    };
    // 100 bps spread: long exit lo * 0.99, long entry hi * 1.01.
    assert_eq!(
        watched_price(OrderKind::StopLoss, Side::Long, prices, 100).unwrap(),
        9_801 * PRICE / 100
    );
    assert_eq!(
        watched_price(OrderKind::Limit, Side::Long, prices, 100).unwrap(),
        10_201 * PRICE / 100
    );
    assert_eq!(
        watched_price(OrderKind::TakeProfit, Side::Short, prices, 100).unwrap(),
        10_201 * PRICE / 100
    );
}

#[test]
fn a_stop_loss_must_be_on_the_safe_side_of_the_liquidation_boundary() {
    let long = health(Side::Long);
    let boundary = liquidation_price(&long, 0).unwrap();
    check_stop_loss_safe(&long, boundary).unwrap();
    assert!(err_is(
        check_stop_loss_safe(&long, boundary - 1),
        "StopLossPastLiquidation"
    ));
    let short = health(Side::Short);
    let boundary = liquidation_price(&short, 0).unwrap();
    check_stop_loss_safe(&short, boundary).unwrap();
    assert!(err_is(
        check_stop_loss_safe(&short, boundary + 1),
        "StopLossPastLiquidation"
    ));
}

#[test]
fn a_close_order_larger_than_the_position_closes_what_is_left() {
    assert_eq!(trigger_close_size(500, 1_000), (500, false));
    assert_eq!(trigger_close_size(1_000, 1_000), (1_000, true));
    assert_eq!(trigger_close_size(u64::MAX, 400), (400, true));
}

fn side_strategy() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Long), Just(Side::Short)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// A trigger accepted at placement is not reached at the placement price, and is reached
    /// at the trigger itself: nothing executes at once, everything executes at its price.
    #[test]
    fn an_accepted_trigger_is_not_reached_now_but_is_at_itself(
        kind in 0usize..3, side in side_strategy(), price in 1u64..1u64 << 50, trigger in 0u64..1u64 << 50,
    ) {
        let kind = KINDS[kind];
        if check_trigger_placement(kind, side, price, trigger).is_ok() {
            prop_assert!(!trigger_reached(kind, side, price, trigger));
            prop_assert!(trigger_reached(kind, side, trigger, trigger));
        }
    }

    /// A stop-loss accepted for a position is reached, at an exit price where the position is
    /// not liquidatable, on every oracle path from the placement price down (long) or up (short)
    /// that lands on the trigger: walking the exit price toward liquidation, the stop is reached
    /// no later than the position becomes liquidatable.
    #[test]
    fn an_accepted_stop_loss_is_reached_before_liquidation(
        side in side_strategy(), collateral in 20u64..500, trigger_pct in 1u64..200, spread in 0u64..50,
    ) {
        let mut h = health(side);
        h.collateral_usd = collateral * USD;
        let trigger = exit_price_at(side, trigger_pct * PRICE, spread).unwrap();
        if check_stop_loss_safe(&h, trigger).is_ok() {
            // Oracle prices walking toward liquidation in 1 % steps.
            for pct in 0..400u64 {
                let oracle = match side {
                    Side::Long => (200u64.saturating_sub(pct / 2)) * PRICE,
                    Side::Short => (pct / 2 + 1) * PRICE,
                };
                let exit = exit_price_at(side, oracle, spread).unwrap();
                if is_liquidatable(&h, exit).unwrap() {
                    // Liquidatable only past the stop: the stop was reached at a higher (long)
                    // / lower (short) price already.
                    prop_assert!(trigger_reached(OrderKind::StopLoss, side, exit, trigger));
                    prop_assert!(exit != trigger);
                    break;
                }
            }
        }
    }
}
