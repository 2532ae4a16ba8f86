//! Part of the `perps_vectors` test binary (see main.rs): the trigger-order sections
//! (math/orders.rs), seeds and runner.

#[allow(unused_imports)]
use super::*;
use perp_pool::{math::orders, types::OrderKind};

const PRICE: u64 = 10u64.pow(perp_pool::constants::PRICE_DECIMALS as u32);

fn kind(case: &Value) -> OrderKind {
    match field(case, "kind").as_str() {
        Some("take_profit") => OrderKind::TakeProfit,
        Some("stop_loss") => OrderKind::StopLoss,
        Some("limit") => OrderKind::Limit,
        other => panic!("kind must be take_profit, stop_loss or limit, got {other:?}"),
    }
}

/// The runner of an order section, None for any other section.
pub(crate) fn run(section: &str, c: &Value) -> Option<anchor_lang::Result<Value>> {
    Some(match section {
        "order_watched_price" => orders::watched_price(
            kind(c),
            side(c),
            TradePrices {
                lo: u(c, "lo"),
                hi: u(c, "hi"),
            },
            u(c, "spread_bps"),
        )
        .map(|p| json!(p)),
        "order_trigger_reached" => Ok(json!(orders::trigger_reached(
            kind(c),
            side(c),
            u(c, "price"),
            u(c, "trigger")
        ))),
        "order_placement" => {
            orders::check_trigger_placement(kind(c), side(c), u(c, "price"), u(c, "trigger"))
                .map(|()| Value::Null)
        }
        "stop_loss_safe" => {
            orders::check_stop_loss_safe(&health(c), u(c, "trigger")).map(|()| Value::Null)
        }
        "trigger_close_size" => {
            let (size, full) =
                orders::trigger_close_size(u(c, "order_size_usd"), u(c, "position_size_usd"));
            Ok(json!({"size_usd": size, "full": full}))
        }
        _ => return None,
    })
}

/// The seed cases of the order sections.
pub(crate) fn seed(named: impl Fn(&str, Value) -> Value, h_long: &Value, h_short: &Value) -> Value {
    let mut reached = vec![];
    let mut placement = vec![];
    for k in ["take_profit", "stop_loss", "limit"] {
        for s in ["long", "short"] {
            for (label, price) in [
                ("below", 99 * PRICE),
                ("at", 100 * PRICE),
                ("above", 101 * PRICE),
            ] {
                let case = json!({"kind": k, "side": s, "price": price, "trigger": 100 * PRICE});
                reached.push(named(&format!("{k}_{s}_{label}"), case.clone()));
                placement.push(named(&format!("{k}_{s}_{label}"), case));
            }
        }
    }
    placement.push(named(
        "zero_trigger",
        json!({"kind": "take_profit", "side": "long", "price": 100 * PRICE, "trigger": 0}),
    ));
    // 10x with a 1 USD close fee and 50x maintenance: liquidatable once equity < 20 USD, i.e. a
    // loss above 79 USD: the long's boundary is an exit of 92.1 USD, the short's 107.9.
    let safe = |name: &str, h: &Value, trigger: u64| {
        named(
            name,
            super::seed::with(h.clone(), json!({"trigger": trigger})),
        )
    };
    json!({
        "order_watched_price": [
            named("tp_long_exit", json!({"kind": "take_profit", "side": "long", "lo": 99 * PRICE, "hi": 101 * PRICE, "spread_bps": 100})),
            named("sl_short_exit", json!({"kind": "stop_loss", "side": "short", "lo": 99 * PRICE, "hi": 101 * PRICE, "spread_bps": 100})),
            named("limit_long_entry", json!({"kind": "limit", "side": "long", "lo": 99 * PRICE, "hi": 101 * PRICE, "spread_bps": 100})),
            named("limit_short_entry", json!({"kind": "limit", "side": "short", "lo": 99_999_999_999u64, "hi": 100_000_000_001u64, "spread_bps": 10})),
            named("limit_spread_100_percent", json!({"kind": "limit", "side": "long", "lo": 1, "hi": 1, "spread_bps": 10_000})),
        ],
        "order_trigger_reached": reached,
        "order_placement": placement,
        "stop_loss_safe": [
            safe("long_well_above", h_long, 95 * PRICE),
            safe("long_past_liquidation", h_long, 90 * PRICE),
            safe("long_at_boundary", h_long, 92_100_000_000),
            safe("long_one_tick_past_boundary", h_long, 92_099_999_999),
            safe("short_at_boundary", h_short, 107_900_000_000),
            safe("short_one_tick_past_boundary", h_short, 107_900_000_001),
            safe("short_well_below", h_short, 105 * PRICE),
            safe("short_past_liquidation", h_short, 110 * PRICE),
        ],
        "trigger_close_size": [
            named("partial", json!({"order_size_usd": 500, "position_size_usd": 1_000})),
            named("exact", json!({"order_size_usd": 1_000, "position_size_usd": 1_000})),
            named("position_shrank", json!({"order_size_usd": 1_000, "position_size_usd": 400})),
            named("all_of_it", json!({"order_size_usd": u64::MAX, "position_size_usd": 400})),
        ],
    })
}
