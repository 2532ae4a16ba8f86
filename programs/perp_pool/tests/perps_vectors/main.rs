//! Shared test vectors for the perpetuals math: tests/vectors/perps.json (repo root) holds inputs
//! and the exact outputs (or error names) of every pure function in math/{pricing, fees, borrow,
//! pnl, trade, orders, tranche, weights}.rs and the AUM with open positions; the Python client asserts the
//! same file.
//! This test recomputes every case with the program's functions and fails on any difference.
//!
//! Regenerate (after a deliberate math change, reviewed by diff):
//!   PERP_POOL_UPDATE_VECTORS=1 cargo test -p perp_pool --test perps_vectors
//!
//! Format: `{ "_doc": [...], "<section>": [ {"name", <inputs...>, "expected" | "error"} ] }`.
//! Sides are "long"/"short", roundings "floor"/"ceil"; a price with an `exponent` field is
//! `price * 10^exponent` USD per token, any other price is PRICE_DECIMALS.

// Also used by the `run` and `seed` modules (`use super::*`).
#[allow(unused_imports)]
use {
    anchor_lang::error::Error,
    perp_pool::{
        math::{
            backing, borrow, exposure, fees,
            liquidity::{assets_under_management_usd, AumMode, CustodyValuation, TradingValuation},
            oracle::OraclePrice,
            pnl::{self, HealthInputs, ProfitAndLoss},
            pricing::{self, TradePrices},
            safe_math::Rounding,
            trade::{
                self, CollateralCustody, Market, MarketSkew, PositionState, SettlementAmounts,
                Waterfall,
            },
        },
        state::{
            custody::{BorrowRateParams, Fees, PricingParams},
            position::Side,
        },
    },
    serde_json::{json, Map, Value},
    std::path::PathBuf,
};

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/perps.json")
}

// ---------------------------------------------------------------------------------------------
// Reading inputs
// ---------------------------------------------------------------------------------------------

fn field<'a>(case: &'a Value, key: &str) -> &'a Value {
    case.get(key)
        .unwrap_or_else(|| panic!("case {} lacks {key}", case["name"]))
}

fn u(case: &Value, key: &str) -> u64 {
    field(case, key)
        .as_u64()
        .unwrap_or_else(|| panic!("{key} must be a u64"))
}

fn uu(case: &Value, key: &str) -> u128 {
    u128::from(u(case, key))
}

/// An optional u128 field (a JSON number, or a decimal string above u64), 0 when absent.
fn uu_or0(case: &Value, key: &str) -> u128 {
    match case.get(key) {
        None => 0,
        Some(Value::String(text)) => text.parse().expect("u128 string"),
        Some(v) => u128::from(v.as_u64().unwrap_or_else(|| panic!("{key} must be a u64"))),
    }
}

fn i(case: &Value, key: &str) -> i64 {
    field(case, key)
        .as_i64()
        .unwrap_or_else(|| panic!("{key} must be an i64"))
}

fn i32_(case: &Value, key: &str) -> i32 {
    i32::try_from(i(case, key)).expect("i32")
}

fn u8_(case: &Value, key: &str) -> u8 {
    u8::try_from(u(case, key)).expect("u8")
}

fn b(case: &Value, key: &str) -> bool {
    field(case, key).as_bool().expect("bool")
}

fn side(case: &Value) -> Side {
    match field(case, "side").as_str() {
        Some("long") => Side::Long,
        Some("short") => Side::Short,
        other => panic!("side must be long or short, got {other:?}"),
    }
}

fn rounding(case: &Value) -> Rounding {
    match field(case, "rounding").as_str() {
        Some("floor") => Rounding::Floor,
        Some("ceil") => Rounding::Ceil,
        other => panic!("rounding must be floor or ceil, got {other:?}"),
    }
}

fn price(case: &Value, key: &str) -> OraclePrice {
    OraclePrice {
        price: u(case, key),
        exponent: i32_(case, "exponent"),
    }
}

fn collateral(case: &Value) -> CollateralCustody {
    let c = field(case, "collateral");
    CollateralCustody {
        decimals: u8_(c, "decimals"),
        min_price: price(c, "min_price"),
        max_price: price(c, "max_price"),
        owned: u(c, "owned"),
        locked: u(c, "locked"),
        pricing: PricingParams {
            max_utilization: u(c, "max_utilization"),
            max_total_locked_usd: u(c, "max_total_locked_usd"),
            ..PricingParams::default()
        },
        fees: Fees {
            protocol_share_bps: u(c, "protocol_share_bps"),
            insurance_share_bps: u(c, "insurance_share_bps"),
            staker_share_bps: u(c, "staker_share_bps"),
            ..Fees::default()
        },
        borrow_rate: BorrowRateParams {
            optimal_utilization: u(c, "optimal_utilization"),
            ..BorrowRateParams::default()
        },
    }
}

fn market(case: &Value) -> Market {
    let m = field(case, "market");
    Market {
        pricing: PricingParams {
            min_initial_leverage_bps: u(m, "min_initial_leverage_bps"),
            max_initial_leverage_bps: u(m, "max_initial_leverage_bps"),
            max_leverage_bps: u(m, "max_leverage_bps"),
            max_payoff_mult_bps: u(m, "max_payoff_mult_bps"),
            max_position_size_usd: u(m, "max_position_size_usd"),
            ..PricingParams::default()
        },
        fees: Fees {
            open_position_bps: u(m, "open_position_bps"),
            close_position_bps: u(m, "close_position_bps"),
            liquidation_bps: u(m, "liquidation_bps"),
            liquidator_reward_bps: u(m, "liquidator_reward_bps"),
            ..Fees::default()
        },
        // Optional: `{"params": SkewParams, "net_usd", "aum_usd"}` (none = no skew).
        skew: match m.get("skew") {
            None => MarketSkew::default(),
            Some(k) => MarketSkew {
                params: skew::skew_params(k),
                net_usd: i128::from(i(k, "net_usd")),
                aum_usd: uu(k, "aum_usd"),
            },
        },
    }
}

fn position(case: &Value) -> PositionState {
    let p = field(case, "position");
    PositionState {
        side: side(p),
        quantity: uu(p, "quantity"),
        size_usd: u(p, "size_usd"),
        collateral_amount: u(p, "collateral_amount"),
        locked_amount: u(p, "locked_amount"),
    }
}

fn health(case: &Value) -> HealthInputs {
    HealthInputs {
        side: side(case),
        quantity: uu(case, "quantity"),
        size_usd: u(case, "size_usd"),
        collateral_usd: u(case, "collateral_usd"),
        max_profit_usd: u(case, "max_profit_usd"),
        close_fee_usd: u(case, "close_fee_usd"),
        interest_usd: u(case, "interest_usd"),
        max_leverage_bps: u(case, "max_leverage_bps"),
    }
}

// ---------------------------------------------------------------------------------------------
// Writing outputs
// ---------------------------------------------------------------------------------------------

fn pnl_json(p: ProfitAndLoss) -> Value {
    json!({"profit_usd": p.profit_usd, "loss_usd": p.loss_usd})
}

fn split_json(s: fees::FeeSplit) -> Value {
    json!({"protocol": s.protocol, "insurance": s.insurance, "stakers": s.stakers, "lp": s.lp})
}

fn waterfall_json(w: Waterfall) -> Value {
    json!({"lp_paid": w.lp_paid, "fee_paid": w.fee_paid, "reward_paid": w.reward_paid, "rest": w.rest})
}

fn settlement_json(s: SettlementAmounts) -> Value {
    json!({
        "full": s.full,
        "size_delta_usd": s.size_delta_usd,
        "locked_delta": s.locked_delta,
        "quantity_delta": num(s.quantity_delta),
        "pnl": pnl_json(s.pnl),
        "fee_usd": s.fee_usd,
        "interest_usd": s.interest_usd,
        "reward_usd": s.reward_usd,
        "profit_amount": s.profit_amount,
        "loss_amount": s.loss_amount,
        "fee_amount": s.fee_amount,
        "interest_amount": s.interest_amount,
        "reward_amount": s.reward_amount,
        "paid": waterfall_json(s.paid),
        "fee_split": split_json(s.fee_split),
        "collateral_taken": s.collateral_taken,
        "amount_out": s.amount_out,
        "insurance_draw": s.insurance_draw,
        "bad_debt_amount": s.bad_debt_amount,
        "bad_debt_usd": s.bad_debt_usd,
        "owned_in": s.owned_in,
        "owned_out": s.owned_out,
        "quantity": num(s.quantity),
        "size_usd": s.size_usd,
        "collateral_amount": s.collateral_amount,
        "collateral_usd": s.collateral_usd,
        "locked_amount": s.locked_amount,
    })
}

fn num<T: TryInto<u64> + TryInto<i64> + Copy + std::fmt::Debug>(v: T) -> Value {
    if let Ok(x) = TryInto::<u64>::try_into(v) {
        json!(x)
    } else if let Ok(x) = TryInto::<i64>::try_into(v) {
        json!(x)
    } else {
        panic!("{v:?} does not fit a JSON integer the vectors can hold exactly (|v| < 2^64)")
    }
}

mod orders;
mod run;
mod seed;
mod skew;
mod staking;
mod tranche;
mod weights;

use {run::run, seed::seed};

/// The case with `expected` / `error` replaced by the program's outcome.
fn recompute(section: &str, case: &Value) -> Value {
    let mut out: Map<String, Value> = case.as_object().expect("case object").clone();
    out.remove("expected");
    out.remove("error");
    match run(section, case) {
        Ok(v) => {
            out.insert("expected".into(), v);
        }
        Err(Error::AnchorError(e)) => {
            out.insert("error".into(), json!(e.error_name));
        }
        Err(other) => {
            out.insert("error".into(), json!(format!("{other:?}")));
        }
    }
    Value::Object(out)
}

fn compute(vectors: &Value) -> Value {
    let mut out = Map::new();
    for (section, cases) in vectors.as_object().expect("object") {
        if section == "_doc" {
            out.insert(section.clone(), cases.clone());
            continue;
        }
        let cases = cases
            .as_array()
            .expect("array")
            .iter()
            .map(|c| recompute(section, c))
            .collect();
        out.insert(section.clone(), Value::Array(cases));
    }
    Value::Object(out)
}

#[test]
fn program_math_reproduces_perps_vectors() {
    let path = vectors_path();
    if std::env::var_os("PERP_POOL_UPDATE_VECTORS").is_some() {
        let json = serde_json::to_string_pretty(&compute(&seed())).expect("serialize");
        std::fs::write(&path, json + "\n").expect("write vectors");
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (generate with PERP_POOL_UPDATE_VECTORS=1)",
            path.display()
        )
    });
    let stored: Value = serde_json::from_str(&text).expect("parse vectors");
    for (section, cases) in stored.as_object().expect("object") {
        if section == "_doc" {
            continue;
        }
        for case in cases.as_array().expect("array") {
            assert!(
                case.get("expected").is_some() ^ case.get("error").is_some(),
                "{section} case {} needs exactly one of expected/error",
                case["name"]
            );
            assert_eq!(
                case,
                &recompute(section, case),
                "{section} case {} differs",
                case["name"]
            );
        }
    }
}

#[test]
fn perps_vectors_are_up_to_date_with_seed_cases() {
    if std::env::var_os("PERP_POOL_UPDATE_VECTORS").is_some() {
        return;
    }
    let text = std::fs::read_to_string(vectors_path()).expect("read vectors");
    let stored: Value = serde_json::from_str(&text).expect("parse vectors");
    assert_eq!(
        stored,
        compute(&seed()),
        "regenerate with PERP_POOL_UPDATE_VECTORS=1 and review the diff"
    );
}
