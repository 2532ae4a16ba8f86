//! Shared test vectors: tests/vectors/liquidity.json (repo root) holds inputs and exact expected
//! outputs of the program's pure oracle and liquidity math; the Python client asserts the same
//! file. This test recomputes every case in the file with the program's functions and fails on
//! any difference.
//!
//! Regenerate (after a deliberate math change, reviewed by diff):
//!   PERP_POOL_UPDATE_VECTORS=1 cargo test -p perp_pool --test vectors
//! which writes the seed cases below with freshly computed outputs.

// Also used by the `run` and `seed` modules (`use super::*`).
#[allow(unused_imports)]
use {
    anchor_lang::{error, error::Error},
    perp_pool::errors::PerpPoolError,
    perp_pool::math::{
        liquidity::{
            assets_under_management_usd, compute_add_liquidity, compute_remove_liquidity,
            lp_token_price_usd, AumMode, CustodyValuation,
        },
        oracle::{min_max_price, validate_oracle_price, OracleLimits, OraclePrice, RawOraclePrice},
        safe_math::Rounding,
    },
    serde::{Deserialize, Serialize},
    std::path::PathBuf,
};

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/liquidity.json")
}

/// Either the outputs or the name of the program error: each case stores exactly one of
/// `expected` / `error` in the JSON.
type Outcome<T> = (Option<T>, Option<String>);

fn outcome<T>(result: anchor_lang::Result<T>) -> Outcome<T> {
    match result {
        Ok(v) => (Some(v), None),
        Err(Error::AnchorError(e)) => (None, Some(e.error_name.clone())),
        Err(other) => (None, Some(format!("{other:?}"))),
    }
}

fn rounding(name: &str) -> Rounding {
    match name {
        "floor" => Rounding::Floor,
        "ceil" => Rounding::Ceil,
        other => panic!("rounding must be floor or ceil, got {other}"),
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct TokenToUsd {
    name: String,
    amount: u64,
    decimals: u8,
    price: u64,
    exponent: i32,
    rounding: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected: Option<u128>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct UsdToToken {
    name: String,
    usd: u128,
    decimals: u8,
    price: u64,
    exponent: i32,
    rounding: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected: Option<u128>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct OracleOut {
    min_price: u64,
    max_price: u64,
    exponent: i32,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct OracleCase {
    name: String,
    price: u64,
    expo: i32,
    conf: u64,
    ema: u64,
    publish_time: i64,
    now: i64,
    max_price_age_sec: u32,
    max_price_error_bps: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected: Option<OracleOut>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct AddOut {
    fee_amount: u64,
    net_amount: u64,
    deposit_usd: u64,
    lp_amount_out: u64,
    dead_lp_amount: u64,
    protocol_fee_amount: u64,
    owned_increase: u64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct AddCase {
    name: String,
    amount_in: u64,
    decimals: u8,
    /// Min oracle price, `price * 10^exponent`.
    price: u64,
    exponent: i32,
    aum_max_usd: u128,
    lp_supply: u64,
    add_liquidity_bps: u64,
    protocol_share_bps: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected: Option<AddOut>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct RemoveOut {
    withdraw_usd: u64,
    gross_amount: u64,
    fee_amount: u64,
    amount_out: u64,
    protocol_fee_amount: u64,
    owned_decrease: u64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct RemoveCase {
    name: String,
    lp_amount_in: u64,
    aum_min_usd: u128,
    lp_supply: u64,
    decimals: u8,
    /// Max oracle price, `price * 10^exponent`.
    price: u64,
    exponent: i32,
    available_amount: u64,
    remove_liquidity_bps: u64,
    protocol_share_bps: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected: Option<RemoveOut>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct AumCustody {
    owned: u64,
    decimals: u8,
    min_price: u64,
    max_price: u64,
    exponent: i32,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct AumOut {
    aum_min_usd: u128,
    aum_max_usd: u128,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct AumCase {
    name: String,
    custodies: Vec<AumCustody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected: Option<AumOut>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct LpPriceCase {
    name: String,
    aum_min_usd: u128,
    lp_supply: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// A single-custody pool driven through a sequence of deposits and withdrawals, as the
/// add_liquidity / remove_liquidity handlers update it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct ScenarioState {
    owned: u64,
    protocol_fees: u64,
    /// LP minted (the LP mint's supply).
    lp_supply: u64,
    /// LP issued to no one by the first deposit (`Pool::dead_lp_supply`); every LP price uses
    /// `lp_supply + dead_lp_supply`.
    dead_lp_supply: u64,
    aum_min_usd: u128,
    lp_token_price_usd: u64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct StepOut {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    add: Option<AddOut>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    remove: Option<RemoveOut>,
    state: ScenarioState,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Step {
    /// "add" (amount = amount_in, tokens), "remove" (amount = lp_amount_in) or "gain" (the
    /// pool's owned tokens grow by `amount` without new LP: fees, traders' losses).
    op: String,
    amount: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected: Option<StepOut>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Scenario {
    name: String,
    decimals: u8,
    min_price: u64,
    max_price: u64,
    exponent: i32,
    add_liquidity_bps: u64,
    remove_liquidity_bps: u64,
    protocol_share_bps: u64,
    steps: Vec<Step>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Vectors {
    #[serde(rename = "_doc")]
    doc: Vec<String>,
    token_to_usd: Vec<TokenToUsd>,
    usd_to_token: Vec<UsdToToken>,
    oracle: Vec<OracleCase>,
    add_liquidity: Vec<AddCase>,
    remove_liquidity: Vec<RemoveCase>,
    aum: Vec<AumCase>,
    lp_token_price: Vec<LpPriceCase>,
    scenarios: Vec<Scenario>,
}

mod run;
mod seed;

use {run::compute, seed::seed};

#[test]
fn program_math_reproduces_shared_vectors() {
    let path = vectors_path();
    if std::env::var_os("PERP_POOL_UPDATE_VECTORS").is_some() {
        let vectors = compute(seed());
        let json = serde_json::to_string_pretty(&vectors).expect("serialize vectors");
        std::fs::write(&path, json + "\n").expect("write vectors");
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (generate with PERP_POOL_UPDATE_VECTORS=1)",
            path.display()
        )
    });
    let stored: Vectors = serde_json::from_str(&text).expect("parse vectors");
    let recomputed = compute(stored.clone());
    // Compare section by section so a failure names the case.
    macro_rules! check {
        ($field:ident) => {
            for (s, r) in stored.$field.iter().zip(recomputed.$field.iter()) {
                assert_eq!(s, r, "{} case {:?} differs", stringify!($field), s.name);
            }
        };
    }
    check!(token_to_usd);
    check!(usd_to_token);
    check!(oracle);
    check!(add_liquidity);
    check!(remove_liquidity);
    check!(aum);
    check!(lp_token_price);
    check!(scenarios);
    // Every case must state an outcome, or the check above would pass vacuously.
    let json: serde_json::Value = serde_json::from_str(&text).expect("parse vectors");
    for (section, cases) in json.as_object().expect("object") {
        if section == "_doc" || section == "scenarios" {
            continue;
        }
        for case in cases.as_array().expect("array") {
            assert!(
                case.get("expected").is_some() ^ case.get("error").is_some(),
                "{section} case {} needs exactly one of expected/error",
                case["name"]
            );
        }
    }
}

#[test]
fn shared_vectors_are_up_to_date_with_seed_cases() {
    // The committed file must contain at least the seed cases (the Python side relies on them).
    if std::env::var_os("PERP_POOL_UPDATE_VECTORS").is_some() {
        return;
    }
    let text = std::fs::read_to_string(vectors_path()).expect("read vectors");
    let stored: Vectors = serde_json::from_str(&text).expect("parse vectors");
    assert_eq!(
        stored,
        compute(seed()),
        "regenerate with PERP_POOL_UPDATE_VECTORS=1 and review the diff"
    );
}
