//! Part of the `perps_vectors` test binary (see main.rs): the `weights` section
//! (math/weights.rs), its seed cases and runner. Each case names the function it calls in `fn`;
//! u128 / i128 outputs are decimal strings; a weight is ppb or null (the pool owns nothing);
//! `params` is a WeightParams; a valuation is {owned, decimals, min_price, max_price, exponent}.

#[allow(unused_imports)]
use super::*;
use perp_pool::{
    math::weights::{self, LiquidityMove, SwapAmounts, SwapLeg, WeightMove},
    types::WeightParams,
};

pub(crate) const SECTION: &str = "weights";

fn text<T: ToString>(v: T) -> Value {
    json!(v.to_string())
}

fn opt(c: &Value, key: &str) -> Option<u64> {
    let v = field(c, key);
    if v.is_null() {
        None
    } else {
        Some(
            v.as_u64()
                .unwrap_or_else(|| panic!("{key} must be a u64 or null")),
        )
    }
}

fn big(c: &Value, key: &str) -> u128 {
    match field(c, key) {
        Value::String(s) => s.parse().expect("u128 string"),
        v => u128::from(v.as_u64().unwrap_or_else(|| panic!("{key} must be a u128"))),
    }
}

fn params(c: &Value) -> WeightParams {
    let p = field(c, "params");
    WeightParams {
        target_bps: u(p, "target_bps"),
        min_bps: u(p, "min_bps"),
        max_bps: u(p, "max_bps"),
        tax_bps: u(p, "tax_bps"),
        swap_bps: u(p, "swap_bps"),
    }
}

fn moved(c: &Value) -> WeightMove {
    WeightMove {
        before: opt(c, "before"),
        after: opt(c, "after"),
    }
}

fn valuations(c: &Value) -> Vec<CustodyValuation> {
    field(c, "valuations")
        .as_array()
        .expect("valuations")
        .iter()
        .map(|v| CustodyValuation {
            owned: u(v, "owned"),
            decimals: u8_(v, "decimals"),
            min_price: price(v, "min_price"),
            max_price: price(v, "max_price"),
            trading: TradingValuation::default(),
        })
        .collect()
}

fn leg(c: &Value, key: &str) -> SwapLeg {
    let l = field(c, key);
    SwapLeg {
        index: usize::try_from(u(l, "index")).expect("index"),
        weights: params(l),
        owned: u(l, "owned"),
        locked: u(l, "locked"),
        max_utilization: u(l, "max_utilization"),
    }
}

fn amounts_json(a: SwapAmounts) -> Value {
    json!({
        "in_usd": a.in_usd,
        "gross_out": a.gross_out,
        "fee_bps": a.fee_bps,
        "fee_amount": a.fee_amount,
        "amount_out": a.amount_out,
        "protocol_fee_amount": a.protocol_fee_amount,
        "owned_decrease": a.owned_decrease,
    })
}

/// The runner of the weights section, None for any other section.
pub(crate) fn run(section: &str, c: &Value) -> Option<anchor_lang::Result<Value>> {
    if section != SECTION {
        return None;
    }
    Some(run_case(c))
}

fn run_case(c: &Value) -> anchor_lang::Result<Value> {
    Ok(match field(c, "fn").as_str().expect("fn") {
        "owned_values_usd" => json!(weights::owned_values_usd(&valuations(c))?
            .into_iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()),
        "weight_ppb" => json!(weights::weight_ppb(
            big(c, "value_usd"),
            big(c, "total_usd")
        )?),
        "weight_fee_bps" => json!(weights::weight_fee_bps(
            &params(c),
            u(c, "base_bps"),
            moved(c)
        )?),
        "check_weight_bounds" => {
            weights::check_weight_bounds(&params(c), moved(c))?;
            Value::Null
        }
        "liquidity_fee_bps" => json!(weights::liquidity_fee_bps(
            &valuations(c),
            usize::try_from(u(c, "index")).expect("index"),
            u(c, "owned_after"),
            &params(c),
            u(c, "base_bps"),
            match field(c, "operation").as_str().expect("operation") {
                "deposit" => LiquidityMove::Deposit,
                "redemption" => LiquidityMove::Redemption,
                other => panic!("unknown operation {other}"),
            },
        )?),
        "tokens_to_quantity" => text(weights::tokens_to_quantity(
            u(c, "amount"),
            u8_(c, "decimals"),
        )?),
        "net_exposure_quantity" => text(weights::net_exposure_quantity(
            u(c, "owned"),
            u8_(c, "decimals"),
            big(c, "long_quantity"),
            big(c, "short_quantity"),
        )?),
        "swap_gross_out" => {
            let (in_usd, gross_out) = weights::swap_gross_out(
                u(c, "amount_in"),
                u8_(c, "in_decimals"),
                price(c, "in_min_price"),
                u8_(c, "out_decimals"),
                price(c, "out_max_price"),
            )?;
            json!({"in_usd": in_usd, "gross_out": gross_out})
        }
        "compute_swap" => amounts_json(weights::compute_swap(
            u(c, "in_usd"),
            u(c, "gross_out"),
            u(c, "fee_bps"),
            u(c, "protocol_share_bps"),
            u(c, "available_amount"),
        )?),
        "quote_swap" => {
            let q = weights::quote_swap(
                &valuations(c),
                leg(c, "receiving"),
                leg(c, "dispensing"),
                u(c, "amount_in"),
                u(c, "protocol_share_bps"),
            )?;
            json!({
                "amounts": amounts_json(q.amounts),
                "receiving_weight_ppb": q.receiving_weight_ppb,
                "dispensing_weight_ppb": q.dispensing_weight_ppb,
            })
        }
        other => panic!("unknown weights fn {other}"),
    })
}

/// The seed cases of the weights section.
pub(crate) fn seed(named: impl Fn(&str, Value) -> Value) -> Value {
    let rule = |target: u64, min: u64, max: u64, tax: u64, swap: u64| json!({"target_bps": target, "min_bps": min, "max_bps": max, "tax_bps": tax, "swap_bps": swap});
    let none = rule(0, 0, 0, 0, 0);
    let half = rule(5_000, 1_000, 9_000, 50, 10);
    let thirty = rule(3_000, 1_000, 5_000, 50, 10);
    let zero_target = rule(0, 0, 2_000, 100, 10);
    // USDC (6), SOL (9), BTC (8), prices expo -8 with a spread on the volatile ones.
    let usdc = |owned: u64| json!({"owned": owned, "decimals": 6, "min_price": 99_990_000u64, "max_price": 100_000_000u64, "exponent": -8});
    let sol = |owned: u64| json!({"owned": owned, "decimals": 9, "min_price": 14_950_000_000u64, "max_price": 15_010_000_000u64, "exponent": -8});
    let btc = |owned: u64| json!({"owned": owned, "decimals": 8, "min_price": 6_000_000_000_000u64, "max_price": 6_003_000_000_000u64, "exponent": -8});
    let fee = |name: &str, p: &Value, base: u64, before: Value, after: Value| {
        named(
            name,
            json!({"fn": "weight_fee_bps", "params": p, "base_bps": base, "before": before, "after": after}),
        )
    };
    let bounds = |name: &str, p: &Value, before: Value, after: Value| {
        named(
            name,
            json!({"fn": "check_weight_bounds", "params": p, "before": before, "after": after}),
        )
    };
    let pool = json!([
        usdc(600_000_000_000),
        sol(2_000_000_000_000),
        btc(500_000_000)
    ]);
    // A deposit raises the custody's owned, a redemption lowers it.
    let owned_now = [600_000_000_000u64, 2_000_000_000_000, 500_000_000];
    let lfee = |name: &str, index: u64, owned_after: u64, p: &Value, base: u64| {
        let raises = usize::try_from(index)
            .ok()
            .and_then(|i| owned_now.get(i))
            .is_none_or(|owned| owned_after >= *owned);
        let operation = if raises { "deposit" } else { "redemption" };
        named(
            name,
            json!({"fn": "liquidity_fee_bps", "valuations": pool, "index": index, "owned_after": owned_after, "params": p, "base_bps": base, "operation": operation}),
        )
    };
    let quote = |name: &str,
                 r: (u64, &Value, u64),
                 d: (u64, &Value, u64),
                 amount: u64,
                 available: u64| {
        named(
            name,
            json!({"fn": "quote_swap", "valuations": pool,
                "receiving": {"index": r.0, "params": r.1, "owned": r.2, "locked": 0, "max_utilization": 0},
                "dispensing": {"index": d.0, "params": d.1, "owned": d.2, "locked": d.2.saturating_sub(available), "max_utilization": 0},
                "amount_in": amount, "protocol_share_bps": 2_500}),
        )
    };
    json!([
        named(
            "owned_values",
            json!({"fn": "owned_values_usd", "valuations": pool})
        ),
        named(
            "owned_values_dust",
            json!({"fn": "owned_values_usd", "valuations": [usdc(0), sol(66), btc(1)]})
        ),
        named(
            "weight_third",
            json!({"fn": "weight_ppb", "value_usd": 1, "total_usd": 3})
        ),
        named(
            "weight_product_overflows",
            json!({"fn": "weight_ppb", "value_usd": "340282366920938463463374607431768211455", "total_usd": "340282366920938463463374607431768211455"})
        ),
        named(
            "weight_empty_pool",
            json!({"fn": "weight_ppb", "value_usd": 0, "total_usd": 0})
        ),
        named(
            "weight_above_total",
            json!({"fn": "weight_ppb", "value_usd": 2, "total_usd": 1})
        ),
        fee(
            "at_target",
            &half,
            30,
            json!(500_000_000),
            json!(500_000_000)
        ),
        fee(
            "away_above",
            &half,
            30,
            json!(500_000_000),
            json!(600_000_000)
        ),
        fee(
            "away_below",
            &half,
            30,
            json!(400_000_000),
            json!(300_000_000)
        ),
        fee(
            "away_one_ppb_rounds_up",
            &half,
            30,
            json!(500_000_000),
            json!(500_000_001)
        ),
        fee("toward", &half, 30, json!(700_000_000), json!(600_000_000)),
        fee(
            "toward_rebate_capped_at_base",
            &half,
            10,
            json!(700_000_000),
            json!(600_000_000)
        ),
        fee(
            "crossing_further",
            &half,
            30,
            json!(400_000_000),
            json!(700_000_000)
        ),
        fee(
            "crossing_closer",
            &half,
            30,
            json!(300_000_000),
            json!(600_000_000)
        ),
        fee(
            "crossing_equal",
            &half,
            30,
            json!(400_000_000),
            json!(600_000_000)
        ),
        fee("tax_capped", &half, 30, json!(0), json!(1_000_000_000)),
        fee("zero_target_away", &zero_target, 30, json!(0), json!(1)),
        fee("zero_target_toward", &zero_target, 30, json!(2), json!(1)),
        fee("no_rule", &none, 30, json!(0), json!(1_000_000_000)),
        fee("empty_before", &half, 30, Value::Null, json!(1_000_000_000)),
        fee("empty_after", &half, 30, json!(1_000_000_000), Value::Null),
        bounds("at_max", &half, json!(800_000_000), json!(900_000_000)),
        bounds(
            "one_over_max",
            &half,
            json!(800_000_000),
            json!(900_000_001)
        ),
        bounds(
            "back_in_from_above",
            &half,
            json!(950_000_000),
            json!(920_000_000)
        ),
        bounds(
            "further_above",
            &half,
            json!(950_000_000),
            json!(950_000_001)
        ),
        bounds("at_min", &half, json!(200_000_000), json!(100_000_000)),
        bounds(
            "one_under_min",
            &half,
            json!(200_000_000),
            json!(99_999_999)
        ),
        bounds(
            "back_in_from_below",
            &half,
            json!(50_000_000),
            json!(80_000_000)
        ),
        bounds("no_rule_no_bounds", &none, json!(0), json!(1_000_000_000)),
        bounds(
            "empty_pool_no_bounds",
            &half,
            Value::Null,
            json!(1_000_000_000)
        ),
        // The pool: 599 940 USD of USDC, 29 900 USD of SOL (2 000 SOL at 14.95), 30 000 USD of BTC.
        lfee("deposit_usdc_away", 0, 700_000_000_000, &half, 20),
        lfee("deposit_sol_toward", 1, 3_000_000_000_000, &thirty, 20),
        lfee("deposit_btc_no_rule", 2, 600_000_000, &none, 20),
        lfee("redeem_usdc_toward", 0, 500_000_000_000, &half, 20),
        lfee("redeem_sol_past_min", 1, 100_000_000_000, &thirty, 20),
        lfee("deposit_sol_past_max", 1, 100_000_000_000_000, &thirty, 20),
        lfee("bad_index", 3, 1, &half, 20),
        lfee(
            "redeem_sol_past_min_allowed",
            1,
            10_000_000_000,
            &thirty,
            20
        ),
        fee(
            "across_target_no_rebate",
            &half,
            30,
            json!(300_000_000),
            json!(690_000_000)
        ),
        fee(
            "to_target_exactly",
            &half,
            30,
            json!(300_000_000),
            json!(500_000_000)
        ),
        named(
            "quote_past_max_utilization",
            json!({"fn": "quote_swap", "valuations": pool,
                "receiving": {"index": 0, "params": half, "owned": 600_000_000_000u64, "locked": 0, "max_utilization": 0},
                "dispensing": {"index": 1, "params": thirty, "owned": 2_000_000_000_000u64, "locked": 1_500_000_000_000u64, "max_utilization": 800_000_000},
                "amount_in": 50_000_000_000u64, "protocol_share_bps": 2_500}),
        ),
        named(
            "quantity_usdc",
            json!({"fn": "tokens_to_quantity", "amount": 1, "decimals": 6})
        ),
        named(
            "quantity_sol_max",
            json!({"fn": "tokens_to_quantity", "amount": u64::MAX, "decimals": 9})
        ),
        named(
            "quantity_12",
            json!({"fn": "tokens_to_quantity", "amount": 7, "decimals": 12})
        ),
        named(
            "quantity_18_floor",
            json!({"fn": "tokens_to_quantity", "amount": 1_999_999, "decimals": 18})
        ),
        named(
            "net_long",
            json!({"fn": "net_exposure_quantity", "owned": 10_000_000_000u64, "decimals": 9, "long_quantity": "4000000000000", "short_quantity": "1000000000000"})
        ),
        named(
            "net_short",
            json!({"fn": "net_exposure_quantity", "owned": 0, "decimals": 9, "long_quantity": "3000000000000", "short_quantity": "0"})
        ),
        named(
            "net_overflow",
            json!({"fn": "net_exposure_quantity", "owned": 0, "decimals": 9, "long_quantity": "340282366920938463463374607431768211455", "short_quantity": "0"})
        ),
        named(
            "gross_sol_to_usdc",
            json!({"fn": "swap_gross_out", "amount_in": 1_000_000_000u64, "in_decimals": 9, "in_min_price": 14_950_000_000u64, "out_decimals": 6, "out_max_price": 100_000_000u64, "exponent": -8})
        ),
        named(
            "gross_usdc_to_btc",
            json!({"fn": "swap_gross_out", "amount_in": 1_234_567, "in_decimals": 6, "in_min_price": 99_990_000u64, "out_decimals": 8, "out_max_price": 6_003_000_000_000u64, "exponent": -8})
        ),
        named(
            "gross_zero",
            json!({"fn": "swap_gross_out", "amount_in": 0, "in_decimals": 6, "in_min_price": 1, "out_decimals": 8, "out_max_price": 1, "exponent": -8})
        ),
        named(
            "swap_split",
            json!({"fn": "compute_swap", "in_usd": 1_000_000, "gross_out": 1_000_000, "fee_bps": 30, "protocol_share_bps": 5_000, "available_amount": 998_500})
        ),
        named(
            "swap_short_of_liquidity",
            json!({"fn": "compute_swap", "in_usd": 1_000_000, "gross_out": 1_000_000, "fee_bps": 30, "protocol_share_bps": 5_000, "available_amount": 998_499})
        ),
        named(
            "swap_nothing_out",
            json!({"fn": "compute_swap", "in_usd": 1, "gross_out": 1, "fee_bps": 1, "protocol_share_bps": 0, "available_amount": 10})
        ),
        named(
            "swap_fee_over_100",
            json!({"fn": "compute_swap", "in_usd": 1, "gross_out": 10, "fee_bps": 10_001, "protocol_share_bps": 0, "available_amount": 10})
        ),
        quote(
            "quote_usdc_to_sol",
            (0, &half, 600_000_000_000),
            (1, &thirty, 2_000_000_000_000),
            10_000_000_000,
            2_000_000_000_000
        ),
        quote(
            "quote_sol_to_btc",
            (1, &thirty, 2_000_000_000_000),
            (2, &thirty, 500_000_000),
            100_000_000_000,
            500_000_000
        ),
        quote(
            "quote_btc_to_usdc_dust",
            (2, &thirty, 500_000_000),
            (0, &half, 600_000_000_000),
            1,
            600_000_000_000
        ),
        quote(
            "quote_same_custody",
            (0, &half, 600_000_000_000),
            (0, &half, 600_000_000_000),
            1_000_000,
            600_000_000_000
        ),
        quote(
            "quote_no_rule",
            (0, &half, 600_000_000_000),
            (2, &none, 500_000_000),
            1_000_000,
            500_000_000
        ),
        quote(
            "quote_past_max",
            (1, &thirty, 2_000_000_000_000),
            (0, &half, 600_000_000_000),
            100_000_000_000_000,
            600_000_000_000
        ),
        quote(
            "quote_locked",
            (0, &half, 600_000_000_000),
            (1, &thirty, 2_000_000_000_000),
            10_000_000_000,
            1_000_000
        ),
        quote(
            "quote_dust_nothing_out",
            (1, &thirty, 2_000_000_000_000),
            (0, &half, 600_000_000_000),
            1,
            600_000_000_000
        ),
    ])
}
