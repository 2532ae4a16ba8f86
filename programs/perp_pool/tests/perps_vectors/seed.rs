//! Part of the `perps_vectors` test binary (see main.rs).

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// Seed cases (inputs only; outputs are computed). Hand-checked values live in the unit tests.
// ---------------------------------------------------------------------------------------------

const USD: u64 = 1_000_000;
/// 1 USD per whole token in PRICE_DECIMALS.
const PRICE: u64 = 10u64.pow(perp_pool::constants::PRICE_DECIMALS as u32);

fn usdc(owned: u64, locked: u64) -> Value {
    json!({
        "decimals": 6, "min_price": 100_000_000u64, "max_price": 100_000_000u64, "exponent": -8,
        "owned": owned, "locked": locked, "max_utilization": 0, "max_total_locked_usd": 0,
        "optimal_utilization": 800_000_000u64, "protocol_share_bps": 2_000, "insurance_share_bps": 1_000,
        "staker_share_bps": 1_500,
    })
}

fn depegged_usdc(owned: u64, locked: u64) -> Value {
    json!({
        "decimals": 6, "min_price": 99_950_000u64, "max_price": 100_010_000u64, "exponent": -8,
        "owned": owned, "locked": locked, "max_utilization": 900_000_000u64, "max_total_locked_usd": 0,
        "optimal_utilization": 800_000_000u64, "protocol_share_bps": 2_500, "insurance_share_bps": 500,
        "staker_share_bps": 0,
    })
}

fn sol_market() -> Value {
    json!({
        "min_initial_leverage_bps": 11_000, "max_initial_leverage_bps": 500_000,
        "max_leverage_bps": 1_000_000, "max_payoff_mult_bps": 10_000, "max_position_size_usd": 0,
        "open_position_bps": 10, "close_position_bps": 10, "liquidation_bps": 50,
        "liquidator_reward_bps": 20,
    })
}

pub(crate) fn with(base: Value, changes: Value) -> Value {
    let mut m = base.as_object().expect("object").clone();
    for (k, v) in changes.as_object().expect("object") {
        m.insert(k.clone(), v.clone());
    }
    Value::Object(m)
}

/// A position of `size_usd` entered at `price` in one go: its quantity is `entry_quantity`.
fn pos(side: &str, price: u64, size_usd: u64, collateral_amount: u64, locked_amount: u64) -> Value {
    let s = if side == "long" {
        Side::Long
    } else {
        Side::Short
    };
    let quantity = pnl::entry_quantity(s, size_usd, price).expect("quantity");
    json!({"side": side, "quantity": num(quantity), "size_usd": size_usd,
           "collateral_amount": collateral_amount, "locked_amount": locked_amount})
}

/// One whole token in QUANTITY_DECIMALS.
const TOKEN: u64 = 1_000_000_000_000;

pub(crate) fn seed() -> Value {
    let named = |name: &str, v: Value| with(json!({"name": name}), v);
    let sol_long = pos("long", 150 * PRICE, 1_500 * USD, 99 * USD, 1_500 * USD);
    let sol_short = pos("short", 150 * PRICE, 1_500 * USD, 99 * USD, 1_500 * USD);
    // 1_000 USD long at 100 USD: 10 tokens.
    let h_long = json!({"side": "long", "quantity": 10 * TOKEN, "size_usd": 1_000 * USD,
        "collateral_usd": 100 * USD, "max_profit_usd": 1_000 * USD, "close_fee_usd": USD,
        "interest_usd": 0, "max_leverage_bps": 500_000});
    let h_short = with(h_long.clone(), json!({"side": "short"}));
    let sol = |owned: u64| {
        json!({"owned": owned, "decimals": 9, "min_price": 14_990_000_000u64,
        "max_price": 15_010_000_000u64, "exponent": -8, "long_size_usd": 0, "long_quantity": 0,
        "long_collateral_usd": 0, "short_size_usd": 0, "short_quantity": 0, "short_collateral_usd": 0,
        "long_max_profit_usd": 0, "short_max_profit_usd": 0, "borrow_size_usd": 0, "interest_weighted": 0, "cumulative_interest": 0})
    };
    let usdc_v = |owned: u64| {
        json!({"owned": owned, "decimals": 6, "min_price": 99_990_000u64,
        "max_price": 100_000_000u64, "exponent": -8, "long_size_usd": 0, "long_quantity": 0,
        "long_collateral_usd": 0, "short_size_usd": 0, "short_quantity": 0, "short_collateral_usd": 0,
        "long_max_profit_usd": 0, "short_max_profit_usd": 0, "borrow_size_usd": 0, "interest_weighted": 0, "cumulative_interest": 0})
    };

    let orders = super::orders::seed(named, &h_long, &h_short);
    let staking = super::staking::seed(named);
    let mut all = json!({
        "_doc": [
            "Shared vectors for perp_pool's perpetuals math (programs/perp_pool/src/math/{pricing,fees,borrow,pnl,trade}.rs).",
            "Each case has inputs and either `expected` (exact outputs) or `error` (the program error name). Integers only.",
            "USD values have 6 decimals (USD_DECIMALS), prices without an `exponent` 9 (PRICE_DECIMALS); a price with an",
            "`exponent` is `price * 10^exponent` USD per whole token; rates are RATE_DECIMALS (1e9 = 100 %), fees BPS.",
            "sides are 'long'/'short', roundings 'floor'/'ceil'. `collateral` is the stable custody (its min/max oracle price,",
            "owned/locked tokens, max_utilization, max_total_locked_usd, optimal_utilization, fee shares); `market` the traded",
            "custody's params. The stake_* sections are math/staking.rs (u128 values as decimal strings; stake_sequence runs",
            "a history the way the program does: lock / unlock / claim update first, a refused step changes nothing).",
            "Checked by programs/perp_pool/tests/perps_vectors/; regenerate with PERP_POOL_UPDATE_VECTORS=1.",
            "`tranche` (math/tranche.rs): each case names its function in `fn`; u128 values are decimal strings; `mode` is",
            "'min'/'max', `priced` 'junior'/'senior'; senior indices are SENIOR_INDEX_DECIMALS (10^12 = 1 USD per whole LP).",
            "`weights` (math/weights.rs): each case names its function in `fn`; u128/i128 values are decimal strings; weights",
            "are parts per billion or null (the pool owns nothing); `params` a WeightParams; valuations {owned, decimals,",
            "min_price, max_price, exponent}; a swap leg {index, params, owned}."
        ],
        "trade_prices": [
            named("ema_spread_lo_floor_hi_ceil", json!({"spot": 12_345_678_901_517u64, "ema": 12_300_000_000_001u64, "exponent": -11, "use_ema": true})),
            named("spot_only", json!({"spot": 12_345_678_901_517u64, "ema": 12_300_000_000_001u64, "exponent": -11, "use_ema": false})),
            named("expo_minus_9_exact", json!({"spot": 123_456_789_015u64, "ema": 123_000_000_001u64, "exponent": -9, "use_ema": true})),
            named("two_hundred_thousandths_usd", json!({"spot": 2, "ema": 2, "exponent": -5, "use_ema": false})),
            named("expo_minus_8_exact", json!({"spot": 15_000_000_000u64, "ema": 15_100_000_000u64, "exponent": -8, "use_ema": true})),
            named("positive_exponent", json!({"spot": 7, "ema": 7, "exponent": 2, "use_ema": false})),
            named("dust_price_rejected", json!({"spot": 1, "ema": 1, "exponent": -10, "use_ema": false})),
            named("one_nano_usd", json!({"spot": 1, "ema": 1, "exponent": -9, "use_ema": false})),
        ],
        "entry_price": [
            named("long_10bps", json!({"side": "long", "lo": 99_999_999_999u64, "hi": 100_000_000_001u64, "spread_bps": 10})),
            named("short_10bps", json!({"side": "short", "lo": 99_999_999_999u64, "hi": 100_000_000_001u64, "spread_bps": 10})),
            named("long_no_spread", json!({"side": "long", "lo": 150 * PRICE, "hi": 151 * PRICE, "spread_bps": 0})),
            named("short_rounds_to_zero", json!({"side": "short", "lo": 1, "hi": 1, "spread_bps": 1})),
            named("spread_100_percent", json!({"side": "long", "lo": 1, "hi": 1, "spread_bps": 10_000})),
        ],
        "exit_price": [
            named("long_10bps", json!({"side": "long", "lo": 99_999_999_999u64, "hi": 100_000_000_001u64, "spread_bps": 10})),
            named("short_10bps", json!({"side": "short", "lo": 99_999_999_999u64, "hi": 100_000_000_001u64, "spread_bps": 10})),
            named("long_dust_is_zero", json!({"side": "long", "lo": 1, "hi": 1, "spread_bps": 1})),
            named("spread_100_percent", json!({"side": "short", "lo": 1, "hi": 1, "spread_bps": 10_000})),
        ],
        "utilization": [
            named("empty", json!({"locked": 0, "owned": 0})),
            named("no_liquidity", json!({"locked": 5, "owned": 0})),
            named("third_floor", json!({"locked": 1, "owned": 3})),
            named("full", json!({"locked": 3, "owned": 3})),
        ],
        "borrow_rate": [
            named("zero", json!({"utilization": 0, "base_rate": 0, "slope1": 80_000, "slope2": 120_000, "optimal_utilization": 800_000_000u64})),
            named("half_of_optimal", json!({"utilization": 400_000_000u64, "base_rate": 0, "slope1": 80_000, "slope2": 120_000, "optimal_utilization": 800_000_000u64})),
            named("at_optimal", json!({"utilization": 800_000_000u64, "base_rate": 0, "slope1": 80_000, "slope2": 120_000, "optimal_utilization": 800_000_000u64})),
            named("ninety_percent", json!({"utilization": 900_000_000u64, "base_rate": 0, "slope1": 80_000, "slope2": 120_000, "optimal_utilization": 800_000_000u64})),
            named("full_with_base", json!({"utilization": 1_000_000_000u64, "base_rate": 5_000, "slope1": 80_000, "slope2": 120_000, "optimal_utilization": 800_000_000u64})),
            named("floor_first_slope", json!({"utilization": 333_333_333u64, "base_rate": 1, "slope1": 7, "slope2": 11, "optimal_utilization": 700_000_000u64})),
            named("optimal_100_percent", json!({"utilization": 0, "base_rate": 0, "slope1": 1, "slope2": 1, "optimal_utilization": 1_000_000_000u64})),
        ],
        "accrue_interest": [
            named("one_hour", json!({"cumulative_interest": 0, "current_rate": 80_000, "last_update": 0, "now": 3_600})),
            named("one_second_exact", json!({"cumulative_interest": 5, "current_rate": 80_000, "last_update": 10, "now": 11})),
            named("same_second", json!({"cumulative_interest": 5, "current_rate": 80_000, "last_update": 10, "now": 10})),
            named("clock_behind", json!({"cumulative_interest": 5, "current_rate": 80_000, "last_update": 10, "now": 9})),
            named("day_at_high_rate", json!({"cumulative_interest": 123_456, "current_rate": 200_000, "last_update": 1_700_000_000i64, "now": 1_700_086_399i64})),
        ],
        "position_interest": [
            named("thousand_usd_one_hour_at_80000", json!({"cumulative_interest": 288_100_000, "snapshot": 100_000, "size_usd": 1_000 * USD})),
            named("thousand_usd_one_second_rounds_up", json!({"cumulative_interest": 180_000, "snapshot": 100_000, "size_usd": 1_000 * USD})),
            named("dust_rounds_up", json!({"cumulative_interest": 1, "snapshot": 0, "size_usd": 1})),
            named("one_index_unit_exact", json!({"cumulative_interest": 1, "snapshot": 0, "size_usd": 3_600_000_000_000u64})),
            named("none", json!({"cumulative_interest": 7, "snapshot": 7, "size_usd": 1_000 * USD})),
            named("snapshot_ahead", json!({"cumulative_interest": 1, "snapshot": 2, "size_usd": 1})),
        ],
        "aggregate_interest": [
            named("two_positions_floor", json!({"cumulative_interest": 3_600_000_000u64, "size_usd": 1_500 * USD, "interest_weighted": 900_000_000_000_000u64, "rounding": "floor"})),
            named("two_positions_ceil", json!({"cumulative_interest": 3_600_000_001u64, "size_usd": 1_500 * USD, "interest_weighted": 900_000_000_000_000u64, "rounding": "ceil"})),
            named("none", json!({"cumulative_interest": 0, "size_usd": 0, "interest_weighted": 0, "rounding": "floor"})),
        ],
        "open_fee": [
            named("below_optimal", json!({"size_usd": 1_000 * USD, "open_position_bps": 10, "utilization_after": 500_000_000u64, "optimal_utilization": 800_000_000u64})),
            named("ninety_percent", json!({"size_usd": 1_000 * USD, "open_position_bps": 10, "utilization_after": 900_000_000u64, "optimal_utilization": 800_000_000u64})),
            named("just_above_optimal", json!({"size_usd": 1_234_567, "open_position_bps": 10, "utilization_after": 800_000_001u64, "optimal_utilization": 800_000_000u64})),
            named("clamped_above_full", json!({"size_usd": 1_000 * USD, "open_position_bps": 10, "utilization_after": 5_000_000_000u64, "optimal_utilization": 800_000_000u64})),
            named("optimal_100_percent", json!({"size_usd": 1, "open_position_bps": 10, "utilization_after": 0, "optimal_utilization": 1_000_000_000u64})),
        ],
        "bps_fee": [
            named("close_10bps", json!({"amount": 1_000 * USD, "bps": 10})),
            named("rounds_up", json!({"amount": 10_001, "bps": 10})),
            named("one_unit", json!({"amount": 1, "bps": 1})),
            named("liquidation_50bps", json!({"amount": 1_234_567_891, "bps": 50})),
            named("zero", json!({"amount": 0, "bps": 10})),
        ],
        "fee_split": [
            named("protocol_insurance_lp", json!({"fee": 101, "protocol_share_bps": 2_500, "insurance_share_bps": 1_000, "staker_share_bps": 0})),
            named("protocol_insurance_stakers_lp", json!({"fee": 101, "protocol_share_bps": 2_500, "insurance_share_bps": 1_000, "staker_share_bps": 3_000})),
            named("stakers_floor", json!({"fee": 9, "protocol_share_bps": 0, "insurance_share_bps": 0, "staker_share_bps": 1_234})),
            named("all_to_stakers", json!({"fee": 1_000_001, "protocol_share_bps": 0, "insurance_share_bps": 0, "staker_share_bps": 10_000})),
            named("halves", json!({"fee": 7, "protocol_share_bps": 5_000, "insurance_share_bps": 5_000, "staker_share_bps": 0})),
            named("all_lp", json!({"fee": 1_000_000, "protocol_share_bps": 0, "insurance_share_bps": 0, "staker_share_bps": 0})),
            named("shares_over_100_percent", json!({"fee": 1, "protocol_share_bps": 5_001, "insurance_share_bps": 5_000, "staker_share_bps": 0})),
            named("three_shares_over_100_percent", json!({"fee": 1, "protocol_share_bps": 4_000, "insurance_share_bps": 3_000, "staker_share_bps": 3_001})),
        ],
        "quantity": [
            named("ten_tokens_long", json!({"side": "long", "size_usd": 1_000 * USD, "price": 100 * PRICE})),
            named("ten_tokens_short", json!({"side": "short", "size_usd": 1_000 * USD, "price": 100 * PRICE})),
            named("third_long_floor", json!({"side": "long", "size_usd": 1, "price": 3_000})),
            named("third_short_ceil", json!({"side": "short", "size_usd": 1, "price": 3_000})),
            named("btc_long", json!({"side": "long", "size_usd": 12_345 * USD, "price": 65_432_100_000_000u64})),
            named("btc_short", json!({"side": "short", "size_usd": 12_345 * USD, "price": 65_432_100_000_000u64})),
            named("price_1e-4_usd", json!({"side": "long", "size_usd": 1_000 * USD, "price": 100_000})),
            named("price_2e-5_usd", json!({"side": "long", "size_usd": 100 * USD, "price": 20_000})),
            named("one_micro_usd_at_1e-9_usd", json!({"side": "short", "size_usd": 1, "price": 1})),
            named("price_1e6_usd_one_micro_usd", json!({"side": "long", "size_usd": 1, "price": 1_000_000 * PRICE})),
            named("above_1e6_usd_long_buys_nothing", json!({"side": "long", "size_usd": 1, "price": 1_000_000 * PRICE + 1})),
            named("above_1e6_usd_short_owes_one_unit", json!({"side": "short", "size_usd": 1, "price": 1_000_000 * PRICE + 1})),
            named("short_dust_at_100k_old_unit_fraction", json!({"side": "short", "size_usd": 90_000, "price": 100_000 * PRICE})),
            named("zero_price", json!({"side": "long", "size_usd": 1, "price": 0})),
        ],
        "quantity_value": [
            named("ten_tokens_at_110", json!({"quantity": 10 * TOKEN, "price": 110 * PRICE, "rounding": "floor"})),
            named("third_floor", json!({"quantity": 333_333_333_333u64, "price": 3_000, "rounding": "floor"})),
            named("third_ceil", json!({"quantity": 333_333_333_333u64, "price": 3_000, "rounding": "ceil"})),
            named("one_unit_at_1e6_usd", json!({"quantity": 1, "price": 1_000_000 * PRICE, "rounding": "floor"})),
        ],
        "average_entry_price": [
            named("long_ceil", json!({"side": "long", "size_usd": 2_000 * USD, "quantity": 15 * TOKEN})),
            named("short_floor", json!({"side": "short", "size_usd": 2_000 * USD, "quantity": 15 * TOKEN})),
            named("exact", json!({"side": "long", "size_usd": 1_000 * USD, "quantity": 10 * TOKEN})),
            named("one_unit_1e6_usd", json!({"side": "short", "size_usd": 1, "quantity": 1})),
            named("zero_quantity", json!({"side": "long", "size_usd": 1, "quantity": 0})),
            named("does_not_fit_u64", json!({"side": "long", "size_usd": u64::MAX, "quantity": 1})),
        ],
        "pnl": [
            // 10 micro-USD at 3 micro-USD (3_000): long quantity floor(10/3 token), short ceil.
            named("long_profit_floor", json!({"side": "long", "quantity": 3_333_333_333_333u64, "exit_price": 4_000, "size_usd": 10, "max_profit_usd": u64::MAX})),
            named("long_loss_ceil", json!({"side": "long", "quantity": 3_333_333_333_333u64, "exit_price": 2_000, "size_usd": 10, "max_profit_usd": u64::MAX})),
            named("long_at_entry_dust_loss", json!({"side": "long", "quantity": 3_333_333_333_333u64, "exit_price": 3_000, "size_usd": 10, "max_profit_usd": u64::MAX})),
            named("short_profit", json!({"side": "short", "quantity": 3_333_333_333_334u64, "exit_price": 2_000, "size_usd": 10, "max_profit_usd": u64::MAX})),
            named("short_loss", json!({"side": "short", "quantity": 3_333_333_333_334u64, "exit_price": 4_000, "size_usd": 10, "max_profit_usd": u64::MAX})),
            named("long_capped", json!({"side": "long", "quantity": 10 * TOKEN, "exit_price": 300 * PRICE, "size_usd": 1_000 * USD, "max_profit_usd": 1_000 * USD})),
            named("short_to_zero", json!({"side": "short", "quantity": 9_991_776_368_378u64, "exit_price": 0, "size_usd": 1_500 * USD, "max_profit_usd": 1_500 * USD})),
            named("unchanged", json!({"side": "long", "quantity": 10 * TOKEN, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "max_profit_usd": 1_500 * USD})),
            named("price_1e-4_usd_up_1_percent", json!({"side": "long", "quantity": 10_000_000 * TOKEN, "exit_price": 101_000, "size_usd": 1_000 * USD, "max_profit_usd": 1_000 * USD})),
            named("price_1e6_usd_one_tick_long", json!({"side": "long", "quantity": 1_000_000_000, "exit_price": 1_000_000 * PRICE + 1, "size_usd": 1_000 * USD, "max_profit_usd": 1_000 * USD})),
            named("price_1e6_usd_one_tick_short", json!({"side": "short", "quantity": 1_000_000_000, "exit_price": 1_000_000 * PRICE - 1, "size_usd": 1_000 * USD, "max_profit_usd": 1_000 * USD})),
            named("long_profit_saturates", json!({"side": "long", "quantity": u64::MAX, "exit_price": u64::MAX, "size_usd": 0, "max_profit_usd": u64::MAX})),
            named("zero_quantity", json!({"side": "long", "quantity": 0, "exit_price": 1, "size_usd": 1, "max_profit_usd": 1})),
        ],
        "health": [
            named("long_at_entry", with(h_long.clone(), json!({"exit_price": 100 * PRICE}))),
            named("long_boundary_not_liquidatable", with(h_long.clone(), json!({"exit_price": 92_100_000_000u64}))),
            named("long_one_tick_past", with(h_long.clone(), json!({"exit_price": 92_099_999_999u64}))),
            named("long_zero_equity", with(h_long.clone(), json!({"exit_price": 90_100_000_000u64}))),
            named("long_negative_equity", with(h_long.clone(), json!({"exit_price": 50 * PRICE}))),
            named("short_boundary", with(h_short.clone(), json!({"exit_price": 107_900_000_000u64}))),
            named("short_one_tick_past", with(h_short.clone(), json!({"exit_price": 107_900_000_001u64}))),
            named("with_interest", with(h_long.clone(), json!({"exit_price": 100 * PRICE, "interest_usd": 80 * USD}))),
        ],
        "liquidation_price": [
            named("long_no_spread", with(h_long.clone(), json!({"spread_bps": 0}))),
            named("long_10bps", with(h_long.clone(), json!({"spread_bps": 10}))),
            named("short_no_spread", with(h_short.clone(), json!({"spread_bps": 0}))),
            named("short_25bps_interest", with(h_short.clone(), json!({"spread_bps": 25, "interest_usd": 3_333_333}))),
            named("long_capped_profit", with(h_long.clone(), json!({"spread_bps": 5, "max_profit_usd": 10 * USD, "collateral_usd": 15 * USD}))),
            named("long_never", with(h_long.clone(), json!({"spread_bps": 0, "collateral_usd": 2_000 * USD}))),
            named("long_always", with(h_long.clone(), json!({"spread_bps": 0, "collateral_usd": 0, "max_profit_usd": 0}))),
            named("short_always", with(h_short.clone(), json!({"spread_bps": 0, "collateral_usd": 0, "max_profit_usd": 0}))),
        ],
        "aggregate_pnl": [
            named("long_up_10_percent", json!({"side": "long", "size_usd": 1_000 * USD, "total_quantity": 10 * TOKEN, "collateral_usd": 100 * USD, "price": 110 * PRICE, "max_profit_usd": 1_000 * USD, "rounding": "floor"})),
            named("short_up_10_percent", json!({"side": "short", "size_usd": 1_000 * USD, "total_quantity": 10 * TOKEN, "collateral_usd": 100 * USD, "price": 110 * PRICE, "max_profit_usd": 1_000 * USD, "rounding": "floor"})),
            named("long_loss_clamped", json!({"side": "long", "size_usd": 1_000 * USD, "total_quantity": 10 * TOKEN, "collateral_usd": 100 * USD, "price": 10 * PRICE, "max_profit_usd": 1_000 * USD, "rounding": "floor"})),
            named("long_profit_clamped", json!({"side": "long", "size_usd": 1_000 * USD, "total_quantity": 10 * TOKEN, "collateral_usd": 100 * USD, "price": 1_000 * PRICE, "max_profit_usd": (1_000 * USD) / 2, "rounding": "floor"})),
            named("rounding_floor_long", json!({"side": "long", "size_usd": USD, "total_quantity": 333_333_333_333u64, "collateral_usd": USD, "price": 3_000_001_000u64, "max_profit_usd": USD, "rounding": "floor"})),
            named("rounding_ceil_long", json!({"side": "long", "size_usd": USD, "total_quantity": 333_333_333_333u64, "collateral_usd": USD, "price": 3_000_001_000u64, "max_profit_usd": USD, "rounding": "ceil"})),
            named("rounding_floor_short", json!({"side": "short", "size_usd": USD, "total_quantity": 333_333_333_333u64, "collateral_usd": USD, "price": 2_999_999_000u64, "max_profit_usd": USD, "rounding": "floor"})),
            named("rounding_ceil_short", json!({"side": "short", "size_usd": USD, "total_quantity": 333_333_333_333u64, "collateral_usd": USD, "price": 2_999_999_000u64, "max_profit_usd": USD, "rounding": "ceil"})),
            named("empty", json!({"side": "short", "size_usd": 0, "total_quantity": 0, "collateral_usd": 0, "price": 1, "max_profit_usd": 0, "rounding": "ceil"})),
            named("long_max_mode_profit_above_cap_taken_off", json!({"side": "long", "size_usd": 2_000 * USD, "total_quantity": 20 * TOKEN, "collateral_usd": 200 * USD, "price": 250 * PRICE, "max_profit_usd": 2_000 * USD, "rounding": "floor", "profit_above_cap_usd": 150 * USD})),
            named("long_min_mode_bad_debt_added", json!({"side": "long", "size_usd": 2_000 * USD, "total_quantity": 20 * TOKEN, "collateral_usd": 200 * USD, "price": 85 * PRICE, "max_profit_usd": 2_000 * USD, "rounding": "ceil", "bad_debt_usd": 50 * USD})),
            named("short_bound_clamped_at_collateral", json!({"side": "short", "size_usd": 1_000 * USD, "total_quantity": 10 * TOKEN, "collateral_usd": 100 * USD, "price": 50 * PRICE, "max_profit_usd": 1_000 * USD, "rounding": "floor", "profit_above_cap_usd": 10_000 * USD})),
        ],
        "exposure_book": [
            named("long_caps_one_past_one_straddling", json!({"crossing": "above", "ops": [
                {"op": "add", "quantity": 10 * TOKEN, "usd": 2_000 * USD},
                {"op": "add", "quantity": TOKEN, "usd": 240 * USD},
                {"op": "add", "quantity": 3 * TOKEN, "usd": 330 * USD}],
                "prices": [0, 100 * PRICE, 110 * PRICE, 150 * PRICE, 200 * PRICE, 239 * PRICE, 1_000 * PRICE, u64::MAX]})),
            named("long_bankruptcies_below", json!({"crossing": "below", "ops": [
                {"op": "add", "quantity": 10 * TOKEN, "usd": 900 * USD},
                {"op": "add", "quantity": 5 * TOKEN, "usd": 470 * USD},
                {"op": "add", "quantity": TOKEN, "usd": 0},
                {"op": "remove", "quantity": 5 * TOKEN, "usd": 470 * USD}],
                "prices": [0, 80 * PRICE, 90 * PRICE, 95 * PRICE, 100 * PRICE]})),
            named("dust_quantity_huge_threshold", json!({"crossing": "below", "ops": [
                {"op": "add", "quantity": 1, "usd": 1_000_000 * USD}],
                "prices": [0, 1, PRICE, u64::MAX]})),
            named("full_book_merges", json!({"crossing": "above", "ops": (0..20u64).map(|k| json!({"op": "add", "quantity": TOKEN, "usd": (100 + 9 * k) * USD})).collect::<Vec<_>>(),
                "prices": [50 * PRICE, 150 * PRICE, 200 * PRICE, 400 * PRICE]})),
            named("remove_unknown_is_an_error", json!({"crossing": "above", "ops": [
                {"op": "add", "quantity": TOKEN, "usd": 100 * USD},
                {"op": "remove", "quantity": TOKEN, "usd": 200 * USD}], "prices": [0]})),
        ],
        "aum": [
            named("no_positions", json!({"custodies": [usdc_v(1_000 * USD), sol(0)]})),
            named("sol_long_in_profit_and_interest", json!({"custodies": [
                with(usdc_v(10_000 * USD), json!({"borrow_size_usd": 3_000 * USD, "interest_weighted": 1_080_000_000_000_000_000u64, "cumulative_interest": 648_000_000})),
                with(sol(0), json!({"long_size_usd": 1_500 * USD, "long_max_profit_usd": 1_500 * USD, "long_quantity": 10 * TOKEN, "long_collateral_usd": 99 * USD,
                                     "short_size_usd": 1_500 * USD, "short_max_profit_usd": 1_500 * USD, "short_quantity": 10_050_251_256_282u64, "short_collateral_usd": 150 * USD})),
            ]})),
            named("traders_win_big", json!({"custodies": [
                usdc_v(100 * USD),
                with(sol(0), json!({"long_size_usd": 1_500 * USD, "long_max_profit_usd": 1_500 * USD, "long_quantity": 100 * TOKEN, "long_collateral_usd": 99 * USD})),
            ]})),
            named("book_bounds_both_sides", json!({"custodies": [
                usdc_v(100_000 * USD),
                with(sol(0), json!({"long_size_usd": 3_000 * USD, "long_max_profit_usd": 3_000 * USD, "long_quantity": 20 * TOKEN, "long_collateral_usd": 300 * USD,
                                     "short_size_usd": 1_500 * USD, "short_max_profit_usd": 1_500 * USD, "short_quantity": 10 * TOKEN, "short_collateral_usd": 150 * USD,
                                     "long_profit_above_cap_usd": 400 * USD, "long_bad_debt_usd": 7 * USD,
                                     "short_profit_above_cap_usd": 3 * USD, "short_bad_debt_usd": 90 * USD})),
            ]})),
        ],
        "open_position": [
            named("sol_long_15x", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 100 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("above_optimal_fee_scales", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 100 * USD, "collateral": usdc(1_600 * USD, 0), "market": sol_market()})),
            named("depegged_collateral", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_234_567_890, "collateral_in": 55_555_555, "collateral": depegged_usdc(10_000 * USD, 0), "market": sol_market()})),
            named("zero_size", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 0, "collateral_in": 100 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("max_position_size", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 100 * USD, "collateral": usdc(10_000 * USD, 0), "market": with(sol_market(), json!({"max_position_size_usd": 1_499 * USD}))})),
            named("insufficient_liquidity", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 100 * USD, "collateral": usdc(1_499 * USD, 0), "market": sol_market()})),
            named("max_utilization", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 100 * USD, "collateral": depegged_usdc(1_600 * USD, 0), "market": sol_market()})),
            named("max_total_locked", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 100 * USD, "collateral": with(usdc(10_000 * USD, 0), json!({"max_total_locked_usd": 1_499 * USD})), "market": sol_market()})),
            named("fee_eats_collateral", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 1_500_000, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("max_leverage", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 31_499_999, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            // 50x on collateral after the fee, but not within 50x once the 1.5 USD close fee is counted.
            named("max_leverage_on_collateral_close_fee_counted", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 31_500_000, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("exactly_max_leverage", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 33 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("past_max_leverage_at_exit", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 33 * USD - 1, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            // A 50 bps spread (entry 150.75, exit 149.25): 50x on collateral opens a position that is
            // liquidatable at once; refused. With the spread's loss and the close fee covered it opens.
            named("spread_liquidatable_at_once", json!({"side": "long", "entry_price": 150_750_000_000u64, "exit_price": 149_250_000_000u64, "size_usd": 1_500 * USD, "collateral_in": 31_500_000, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("spread_covered", json!({"side": "long", "entry_price": 150_750_000_000u64, "exit_price": 149_250_000_000u64, "size_usd": 1_500 * USD, "collateral_in": 48 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("short_spread_liquidatable_at_once", json!({"side": "short", "entry_price": 149_250_000_000u64, "exit_price": 150_750_000_000u64, "size_usd": 1_500 * USD, "collateral_in": 40 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("short_spread_covered", json!({"side": "short", "entry_price": 149_250_000_000u64, "exit_price": 150_750_000_000u64, "size_usd": 1_500 * USD, "collateral_in": 49 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("min_leverage", json!({"side": "long", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 1_400 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("short_15x", json!({"side": "short", "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 100 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("short_quantity_ceil", json!({"side": "short", "entry_price": 149_999_999_000u64, "exit_price": 149_999_999_000u64, "size_usd": 1_500 * USD, "collateral_in": 100 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("long_at_1e-4_usd", json!({"side": "long", "entry_price": 100_000, "exit_price": 100_000, "size_usd": 1_500 * USD, "collateral_in": 100 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("long_10x_at_2e-5_usd", json!({"side": "long", "entry_price": 20_000, "exit_price": 20_000, "size_usd": 100 * USD, "collateral_in": 10 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("short_at_1e6_usd", json!({"side": "short", "entry_price": 1_000_000 * PRICE, "exit_price": 1_000_000 * PRICE, "size_usd": 1_500 * USD, "collateral_in": 100 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("no_exposure_above_1e6_usd", json!({"side": "long", "entry_price": 1_000_000 * PRICE + 1, "exit_price": 1_000_000 * PRICE + 1, "size_usd": 1, "collateral_in": 100 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
            named("zero_entry_price", json!({"side": "long", "entry_price": 0, "exit_price": 0, "size_usd": 1_500 * USD, "collateral_in": 100 * USD, "collateral": usdc(10_000 * USD, 0), "market": sol_market()})),
        ],
        "increase_position": [
            named("long_at_higher_price", json!({"position": pos("long", 100 * PRICE, 1_000 * USD, 100 * USD, 1_000 * USD), "size_delta_usd": 1_000 * USD, "collateral_in": 0, "entry_price": 200 * PRICE, "exit_price": 200 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            named("short_with_interest_and_collateral", json!({"position": pos("short", 100 * PRICE, 1_000 * USD, 100 * USD, 1_000 * USD), "size_delta_usd": 500 * USD, "collateral_in": 50 * USD, "entry_price": 90 * PRICE, "exit_price": 90 * PRICE, "interest_usd": 1_234_567, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            named("short_underwater_refused", json!({"position": pos("short", 100 * PRICE, 1_000 * USD, 100 * USD, 1_000 * USD), "size_delta_usd": 1_000 * USD, "collateral_in": 0, "entry_price": 200 * PRICE, "exit_price": 200 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            named("liquidatable_long_refused", json!({"position": pos("long", 100 * PRICE, 1_000 * USD, 20 * USD, 1_000 * USD), "size_delta_usd": 10 * USD, "collateral_in": 0, "entry_price": 98_500_000_000u64, "exit_price": 98_500_000_000u64, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            named("liquidatable_long_with_enough_collateral", json!({"position": pos("long", 100 * PRICE, 1_000 * USD, 20 * USD, 1_000 * USD), "size_delta_usd": 10 * USD, "collateral_in": 30 * USD, "entry_price": 98_500_000_000u64, "exit_price": 98_500_000_000u64, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            named("profit_not_counted", json!({"position": pos("long", 100 * PRICE, 1_000 * USD, 21 * USD, 1_000 * USD), "size_delta_usd": 500 * USD, "collateral_in": 0, "entry_price": 200 * PRICE, "exit_price": 200 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            named("short_dust_delta_below_one_old_unit", json!({"position": pos("short", 100_000 * PRICE, 1_000 * USD, 100 * USD, 1_000 * USD), "size_delta_usd": 90_000, "collateral_in": 0, "entry_price": 100_000 * PRICE, "exit_price": 100_000 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            named("short_one_micro_usd_at_300k_owes_4_units", json!({"position": pos("short", 300_000 * PRICE, 1_000 * USD, 100 * USD, 1_000 * USD), "size_delta_usd": 1, "collateral_in": 0, "entry_price": 300_000 * PRICE, "exit_price": 300_000 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            named("long_no_exposure_above_1e6_usd", json!({"position": pos("long", 1_000_000 * PRICE, 1_000 * USD, 100 * USD, 1_000 * USD), "size_delta_usd": 1, "collateral_in": 0, "entry_price": 1_000_000 * PRICE + 1, "exit_price": 1_000_000 * PRICE + 1, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            named("long_at_1e-4_usd", json!({"position": pos("long", 100_000, 1_000 * USD, 100 * USD, 1_000 * USD), "size_delta_usd": 500 * USD, "collateral_in": 0, "entry_price": 120_000, "exit_price": 119_000, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            named("short_at_1e6_usd", json!({"position": pos("short", 1_000_000 * PRICE, 1_000 * USD, 100 * USD, 1_000 * USD), "size_delta_usd": 500 * USD, "collateral_in": 0, "entry_price": 999_000 * PRICE, "exit_price": 999_100 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            named("zero_delta", json!({"position": sol_long.clone(), "size_delta_usd": 0, "collateral_in": 0, "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("over_leverage", json!({"position": sol_long.clone(), "size_delta_usd": 4_000 * USD, "collateral_in": 0, "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("interest_eats_collateral", json!({"position": sol_long.clone(), "size_delta_usd": 1, "collateral_in": 0, "entry_price": 150 * PRICE, "exit_price": 150 * PRICE, "interest_usd": 99 * USD, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
        ],
        "decrease_position": [
            named("close_long_profit", json!({"position": sol_long.clone(), "size_delta_usd": 1_500 * USD, "exit_price": 165 * PRICE, "interest_usd": 500_000, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("close_long_loss", json!({"position": sol_long.clone(), "size_delta_usd": 1_500 * USD, "exit_price": 145 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("close_short_profit", json!({"position": sol_short.clone(), "size_delta_usd": 1_500 * USD, "exit_price": 140 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("close_short_loss_depegged", json!({"position": sol_short.clone(), "size_delta_usd": 1_500 * USD, "exit_price": 152_345_678_000u64, "interest_usd": 777, "insurance_fund": 0, "collateral": depegged_usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("close_long_profit_capped", json!({"position": sol_long.clone(), "size_delta_usd": 1_500 * USD, "exit_price": 400 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("close_insolvent_insurance_then_bad_debt", json!({"position": sol_long.clone(), "size_delta_usd": 1_500 * USD, "exit_price": 130 * PRICE, "interest_usd": 0, "insurance_fund": 60 * USD, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("partial_third", json!({"position": sol_long.clone(), "size_delta_usd": 500 * USD, "exit_price": 151 * PRICE, "interest_usd": 250_000, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("partial_loss_taken_from_remaining", json!({"position": pos("long", 150 * PRICE, 1_500 * USD, 300 * USD, 1_500 * USD), "size_delta_usd": 100 * USD, "exit_price": 150 * PRICE, "interest_usd": 30 * USD, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("partial_leaves_liquidatable", json!({"position": sol_long.clone(), "size_delta_usd": 500 * USD, "exit_price": 141 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("partial_insufficient_collateral", json!({"position": sol_long.clone(), "size_delta_usd": 1_000 * USD, "exit_price": 130 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("more_than_size", json!({"position": sol_long.clone(), "size_delta_usd": 1_500 * USD + 1, "exit_price": 150 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("zero", json!({"position": sol_long.clone(), "size_delta_usd": 0, "exit_price": 150 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("partial_long_quantity_floor", json!({"position": sol_long.clone(), "size_delta_usd": 499_999_999, "exit_price": 150 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("partial_short_quantity_ceil", json!({"position": sol_short.clone(), "size_delta_usd": 499_999_999, "exit_price": 150 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("partial_long_no_quantity", json!({"position": {"side": "long", "quantity": 2, "size_usd": 3, "collateral_amount": 1_000, "locked_amount": 3}, "size_delta_usd": 1, "exit_price": 1_000_000 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 3), "market": sol_market()})),
            named("partial_short_no_quantity_left", json!({"position": {"side": "short", "quantity": 2, "size_usd": 3, "collateral_amount": 1_000, "locked_amount": 3}, "size_delta_usd": 2, "exit_price": 1_000_000 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 3), "market": sol_market()})),
            named("partial_at_1e-4_usd", json!({"position": pos("long", 100_000, 1_000 * USD, 100 * USD, 1_000 * USD), "size_delta_usd": 400 * USD, "exit_price": 103_000, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            named("close_short_at_1e6_usd", json!({"position": pos("short", 1_000_000 * PRICE, 1_000 * USD, 100 * USD, 1_000 * USD), "size_delta_usd": 1_000 * USD, "exit_price": 990_000 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
        ],
        "liquidation": [
            named("healthy", json!({"position": sol_long.clone(), "exit_price": 150 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("long_leftover_to_lps", json!({"position": sol_long.clone(), "exit_price": 141_500_000_000u64, "interest_usd": 1_000_000, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("long_underwater_insurance", json!({"position": sol_long.clone(), "exit_price": 130 * PRICE, "interest_usd": 0, "insurance_fund": 5 * USD, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("short_fee_partly_paid", json!({"position": sol_short.clone(), "exit_price": 158_500_000_000u64, "interest_usd": 0, "insurance_fund": 0, "collateral": depegged_usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("interest_only", json!({"position": sol_long.clone(), "exit_price": 150 * PRICE, "interest_usd": 90 * USD, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("reward_behind_lps", json!({"position": sol_long.clone(), "exit_price": 140_200_000_000u64, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            // 8 USD left after the LPs' 91 USD: the 7.5 USD fee first, 0.5 USD of the 3 USD reward.
            named("reward_after_fee", json!({"position": sol_long.clone(), "exit_price": 140_900_000_000u64, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("underwater_no_reward", json!({"position": sol_long.clone(), "exit_price": 140 * PRICE, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("short_underwater_at_1e6_usd", json!({"position": pos("short", 1_000_000 * PRICE, 1_000 * USD, 20 * USD, 1_000 * USD), "exit_price": 1_030_000 * PRICE, "interest_usd": 0, "insurance_fund": 3 * USD, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            named("long_at_1e-4_usd", json!({"position": pos("long", 100_000, 1_000 * USD, 20 * USD, 1_000 * USD), "exit_price": 98_000, "interest_usd": 0, "insurance_fund": 0, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
        ],
        "waterfall": [
            named("all_paid", json!({"pot": 30, "lp_owed": 15, "fee": 5, "reward": 2})),
            named("reward_partly_paid", json!({"pot": 21, "lp_owed": 15, "fee": 5, "reward": 2})),
            named("fee_paid_no_reward", json!({"pot": 20, "lp_owed": 15, "fee": 5, "reward": 2})),
            named("fee_partly_paid", json!({"pot": 16, "lp_owed": 15, "fee": 5, "reward": 2})),
            named("underwater_lps_take_all", json!({"pot": 10, "lp_owed": 15, "fee": 5, "reward": 2})),
            named("empty_pot", json!({"pot": 0, "lp_owed": 15, "fee": 5, "reward": 2})),
        ],
        "within_initial_leverage": [
            named("healthy", json!({"position": sol_long.clone(), "exit_price": 150 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("profit_not_counted", json!({"position": pos("long", 150 * PRICE, 1_500 * USD, 30 * USD, 1_500 * USD), "exit_price": 300 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("loss_counted", json!({"position": sol_long.clone(), "exit_price": 140 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("interest_at_the_limit", json!({"position": sol_long.clone(), "exit_price": 150 * PRICE, "interest_usd": 67_500_000, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("interest_past_the_limit", json!({"position": sol_long.clone(), "exit_price": 150 * PRICE, "interest_usd": 67_500_001, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
        ],
        "remove_collateral": [
            named("half", json!({"position": pos("long", 150 * PRICE, 1_500 * USD, 200 * USD, 1_500 * USD), "collateral_usd": 100 * USD, "exit_price": 150 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("to_max_initial_leverage", json!({"position": pos("long", 150 * PRICE, 1_500 * USD, 200 * USD, 1_500 * USD), "collateral_usd": 168_500_000, "exit_price": 150 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("past_max_initial_leverage", json!({"position": pos("long", 150 * PRICE, 1_500 * USD, 200 * USD, 1_500 * USD), "collateral_usd": 168_500_001, "exit_price": 150 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("profit_not_counted", json!({"position": pos("short", 150 * PRICE, 1_500 * USD, 200 * USD, 1_500 * USD), "collateral_usd": 169 * USD, "exit_price": 100 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("depegged_rounding", json!({"position": pos("short", 150 * PRICE, 1_500 * USD, 200 * USD, 1_500 * USD), "collateral_usd": 12_345_678, "exit_price": 151 * PRICE, "interest_usd": 54_321, "collateral": depegged_usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("all", json!({"position": sol_long.clone(), "collateral_usd": 99 * USD, "exit_price": 150 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("zero", json!({"position": sol_long.clone(), "collateral_usd": 0, "exit_price": 150 * PRICE, "interest_usd": 0, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
        ],
        "position_health": [
            named("sol_long_15x", json!({"position": sol_long.clone(), "interest_usd": 0, "exit_price": 150 * PRICE, "spread_bps": 10, "collateral": usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("sol_short_depegged_interest", json!({"position": sol_short.clone(), "interest_usd": 2_500_000, "exit_price": 151 * PRICE, "spread_bps": 25, "collateral": depegged_usdc(10_000 * USD, 1_500 * USD), "market": sol_market()})),
            named("long_at_1e-4_usd", json!({"position": pos("long", 100_000, 1_000 * USD, 100 * USD, 1_000 * USD), "interest_usd": 0, "exit_price": 95_000, "spread_bps": 10, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
            // 10x long at 0.00002 USD: liquidation price 18_240, strictly between 0 and the entry.
            named("long_10x_at_2e-5_usd", json!({"position": pos("long", 20_000, 100 * USD, 9_900_000, 100 * USD), "interest_usd": 0, "exit_price": 20_000, "spread_bps": 0, "collateral": usdc(10_000 * USD, 100 * USD), "market": sol_market()})),
            named("short_at_1e6_usd", json!({"position": pos("short", 1_000_000 * PRICE, 1_000 * USD, 100 * USD, 1_000 * USD), "interest_usd": 0, "exit_price": 1_050_000 * PRICE, "spread_bps": 10, "collateral": usdc(10_000 * USD, 1_000 * USD), "market": sol_market()})),
        ],
    });
    // Asset-backed longs (math/backing.rs), appended to their sections (one json! of the whole
    // file would pass the macro recursion limit).
    let sol_collateral = |locked: u64, min: u64, max: u64| {
        with(
            usdc(100_000_000_000, locked),
            json!({"decimals": 9, "min_price": min, "max_price": max}),
        )
    };
    let health_cases = vec![
        // A 5x asset-backed long on SOL: 2 SOL collateral and 10 SOL locked in the SOL custody;
        // its liquidation price revalues the SOL collateral at each price (above the price a
        // fixed 300 USD of collateral would give).
        named(
            "sol_long_asset_backed",
            json!({"position": pos("long", 150 * PRICE, 1_500 * USD, 2_000_000_000, 10_000_000_000), "aliased": true, "interest_usd": 1_000_000, "exit_price": 150 * PRICE, "spread_bps": 10, "collateral": sol_collateral(10_000_000_000, 15_000_000_000, 15_000_000_000), "market": sol_market()}),
        ),
        named(
            "sol_long_asset_backed_dust",
            json!({"position": pos("long", 150 * PRICE, 15 * USD, 30_000_001, 100_000_000), "aliased": true, "interest_usd": 0, "exit_price": 120 * PRICE, "spread_bps": 0, "collateral": sol_collateral(100_000_000, 12_000_000_000, 12_100_000_000), "market": sol_market()}),
        ),
    ];
    let aum_cases = vec![
        // An asset-backed 5x long (10 SOL bought at 100, 2 SOL collateral, 10 SOL locked)
        // valued at 150: its clamp is [-2 SOL, 10 SOL] at the side's price, not USD fixed at
        // entry. The second mixes USDC-backed aggregates and a cap bound.
        named(
            "asset_backed_long_above_entry",
            json!({"custodies": [
                usdc_v(10_000 * USD),
                with(sol(1_000_000_000_000), json!({"long_size_usd": 1_000 * USD, "long_quantity": 10 * TOKEN, "long_collateral_usd": 0,
                                     "long_collateral_quantity": 2 * TOKEN, "long_max_profit_quantity": 10 * TOKEN,
                                     "long_max_profit_usd": 0, "long_bad_debt_usd": 0, "long_profit_above_cap_usd": 0})),
            ]}),
        ),
        named(
            "asset_backed_long_far_above_entry_capped",
            json!({"custodies": [
                usdc_v(10_000 * USD),
                with(sol(1_000_000_000_000), json!({"long_size_usd": 1_000 * USD, "long_quantity": 10 * TOKEN, "long_collateral_usd": 50 * USD,
                                     "long_collateral_quantity": 2 * TOKEN, "long_max_profit_quantity": 3 * TOKEN,
                                     "long_max_profit_usd": 20 * USD, "long_bad_debt_usd": 0, "long_profit_above_cap_usd": 900 * USD})),
            ]}),
        ),
    ];
    for (section, cases) in [("position_health", health_cases), ("aum", aum_cases)] {
        all[section].as_array_mut().expect("array").extend(cases);
    }
    let map = all.as_object_mut().expect("object");
    for (section, cases) in orders
        .as_object()
        .expect("object")
        .iter()
        .chain(staking.as_object().expect("object"))
    {
        map.insert(section.clone(), cases.clone());
    }
    map.insert(
        super::tranche::SECTION.to_string(),
        super::tranche::seed(named),
    );
    map.insert(
        super::weights::SECTION.to_string(),
        super::weights::seed(named),
    );
    map.insert(super::skew::SECTION.to_string(), super::skew::seed(named));
    // Opens on a skewed market (outside the big `json!` above: its macro recursion limit).
    let skewed = |params: Value, net: u64, long: bool| {
        let net = if long {
            i128::from(net)
        } else {
            -i128::from(net)
        };
        with(
            sol_market(),
            json!({"skew": {"params": params, "net_usd": i64::try_from(net).unwrap(), "aum_usd": 10_000 * USD}}),
        )
    };
    let reference = super::skew::params_json(1_000, 6_000, 4_000, 100_000, 0, 0);
    let caps = super::skew::params_json(0, 0, 0, 0, 1_000 * USD, 0);
    let open = |name: &str, side: &str, market: Value| {
        named(
            name,
            json!({"side": side, "entry_price": 150 * PRICE, "exit_price": 150 * PRICE,
                   "size_usd": 1_500 * USD, "collateral_in": 100 * USD,
                   "collateral": usdc(10_000 * USD, 0), "market": market}),
        )
    };
    let extra = [
        open(
            "skew_premium_majority",
            "long",
            skewed(reference.clone(), 500 * USD, true),
        ),
        open(
            "skew_discount_minority",
            "short",
            skewed(reference.clone(), 2_000 * USD, true),
        ),
        open(
            "skew_crossing_short",
            "short",
            skewed(reference, 700 * USD, true),
        ),
        open("skew_cap_refuses", "long", skewed(caps.clone(), 0, true)),
        open(
            "skew_cap_allows_reducing",
            "long",
            skewed(caps, 3_000 * USD, false),
        ),
    ];
    if let Some(Value::Array(cases)) = map.get_mut("open_position") {
        cases.extend(extra);
    }
    // The AUM with accrued borrow premium on both sides (floor in min mode, ceil in max mode).
    let premium = |long_cum: u64, long_w: u64, short_cum: u64, short_w: u64| {
        json!({"long_premium_cumulative": long_cum, "long_premium_weighted": long_w,
               "short_premium_cumulative": short_cum, "short_premium_weighted": short_w})
    };
    let sol_with = |extra: Value| {
        let base = with(
            sol(0),
            json!({"long_size_usd": 1_500 * USD, "long_max_profit_usd": 1_500 * USD,
                   "long_quantity": 10 * TOKEN, "long_collateral_usd": 99 * USD,
                   "short_size_usd": 500 * USD, "short_max_profit_usd": 500 * USD,
                   "short_quantity": 3_333_333_333_334u64, "short_collateral_usd": 50 * USD}),
        );
        with(base, extra)
    };
    let aum_cases = [
        named(
            "premium_long_side",
            json!({"custodies": [usdc_v(10_000 * USD),
            sol_with(premium(180_000_001, 1_000_000_000_000_000, 0, 0))]}),
        ),
        named(
            "premium_both_sides_odd",
            json!({"custodies": [usdc_v(10_000 * USD),
            sol_with(premium(7_777_777, 3_333_333_333, 123_457, 61_728_500_000))]}),
        ),
    ];
    if let Some(Value::Array(cases)) = map.get_mut("aum") {
        cases.extend(aum_cases);
    }
    all
}
