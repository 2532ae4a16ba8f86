//! Shared test vectors: tests/vectors/liquidity.json (repo root) holds inputs and exact expected
//! outputs of the program's pure oracle and liquidity math; the Python client asserts the same
//! file. This test recomputes every case in the file with the program's functions and fails on
//! any difference.
//!
//! Regenerate (after a deliberate math change, reviewed by diff):
//!   PERP_POOL_UPDATE_VECTORS=1 cargo test -p perp_pool --test vectors
//! which writes the seed cases below with freshly computed outputs.

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

// ------------------------------------------------------------------------------------------
// Computation with the program's functions
// ------------------------------------------------------------------------------------------

fn price(price: u64, exponent: i32) -> OraclePrice {
    OraclePrice { price, exponent }
}

fn run_token_to_usd(c: &TokenToUsd) -> Outcome<u128> {
    outcome(price(c.price, c.exponent).token_to_usd(c.amount, c.decimals, rounding(&c.rounding)))
}

fn run_usd_to_token(c: &UsdToToken) -> Outcome<u128> {
    outcome(price(c.price, c.exponent).usd_to_token(c.usd, c.decimals, rounding(&c.rounding)))
}

fn run_oracle(c: &OracleCase) -> Outcome<OracleOut> {
    let raw = RawOraclePrice {
        price: c.price,
        expo: c.expo,
        conf: c.conf,
        ema: c.ema,
        publish_time: c.publish_time,
    };
    let limits = OracleLimits {
        max_price_age_sec: c.max_price_age_sec,
        max_price_error_bps: c.max_price_error_bps,
    };
    outcome(
        validate_oracle_price(&raw, &limits, c.now)
            .and_then(|(spot, ema)| min_max_price(spot, ema))
            .map(|(min, max)| OracleOut {
                min_price: min.price,
                max_price: max.price,
                exponent: min.exponent,
            }),
    )
}

fn add_out(a: perp_pool::math::liquidity::AddLiquidityAmounts) -> AddOut {
    AddOut {
        fee_amount: a.fee_amount,
        net_amount: a.net_amount,
        deposit_usd: a.deposit_usd,
        lp_amount_out: a.lp_amount_out,
        dead_lp_amount: a.dead_lp_amount,
        protocol_fee_amount: a.protocol_fee_amount,
        owned_increase: a.owned_increase,
    }
}

fn remove_out(r: perp_pool::math::liquidity::RemoveLiquidityAmounts) -> RemoveOut {
    RemoveOut {
        withdraw_usd: r.withdraw_usd,
        gross_amount: r.gross_amount,
        fee_amount: r.fee_amount,
        amount_out: r.amount_out,
        protocol_fee_amount: r.protocol_fee_amount,
        owned_decrease: r.owned_decrease,
    }
}

fn run_add(c: &AddCase) -> Outcome<AddOut> {
    outcome(
        compute_add_liquidity(
            c.amount_in,
            c.decimals,
            price(c.price, c.exponent),
            c.aum_max_usd,
            c.lp_supply,
            c.add_liquidity_bps,
            c.protocol_share_bps,
        )
        .map(add_out),
    )
}

fn run_remove(c: &RemoveCase) -> Outcome<RemoveOut> {
    outcome(
        compute_remove_liquidity(
            c.lp_amount_in,
            c.aum_min_usd,
            c.lp_supply,
            c.decimals,
            price(c.price, c.exponent),
            c.available_amount,
            c.remove_liquidity_bps,
            c.protocol_share_bps,
        )
        .map(remove_out),
    )
}

fn valuations(custodies: &[AumCustody]) -> Vec<CustodyValuation> {
    custodies
        .iter()
        .map(|c| CustodyValuation {
            owned: c.owned,
            decimals: c.decimals,
            min_price: price(c.min_price, c.exponent),
            max_price: price(c.max_price, c.exponent),
            trading: Default::default(),
        })
        .collect()
}

fn run_aum(c: &AumCase) -> Outcome<AumOut> {
    let v = valuations(&c.custodies);
    outcome(
        assets_under_management_usd(&v, AumMode::Min).and_then(|aum_min_usd| {
            Ok(AumOut {
                aum_min_usd,
                aum_max_usd: assets_under_management_usd(&v, AumMode::Max)?,
            })
        }),
    )
}

fn run_lp_price(c: &LpPriceCase) -> Outcome<u64> {
    outcome(lp_token_price_usd(c.aum_min_usd, c.lp_supply))
}

/// Replays the scenario; a failed step leaves the state unchanged, like a failed transaction.
fn run_scenario(s: &Scenario) -> Vec<Outcome<StepOut>> {
    let custody = |owned: u64| CustodyValuation {
        owned,
        decimals: s.decimals,
        min_price: price(s.min_price, s.exponent),
        max_price: price(s.max_price, s.exponent),
        trading: Default::default(),
    };
    let (mut owned, mut protocol_fees, mut lp_supply, mut dead) = (0u64, 0u64, 0u64, 0u64);
    s.steps
        .iter()
        .map(|step| {
            let result = (|| -> anchor_lang::Result<StepOut> {
                let (mut add, mut remove) = (None, None);
                let (next_owned, next_fees, next_supply);
                let mut next_dead = dead;
                match step.op.as_str() {
                    "add" => {
                        let aum_max = assets_under_management_usd(&[custody(owned)], AumMode::Max)?;
                        let a = compute_add_liquidity(
                            step.amount,
                            s.decimals,
                            price(s.min_price, s.exponent),
                            aum_max,
                            lp_supply + dead,
                            s.add_liquidity_bps,
                            s.protocol_share_bps,
                        )?;
                        next_owned = owned.checked_add(a.owned_increase).expect("owned");
                        next_fees = protocol_fees
                            .checked_add(a.protocol_fee_amount)
                            .expect("fees");
                        next_supply = lp_supply.checked_add(a.lp_amount_out).expect("supply");
                        next_dead = dead + a.dead_lp_amount;
                        add = Some(add_out(a));
                    }
                    "remove" => {
                        // Only minted LP can be burned (SPL burn of more than the supply fails).
                        if step.amount > lp_supply {
                            return Err(error!(PerpPoolError::InsufficientLiquidity));
                        }
                        let aum_min = assets_under_management_usd(&[custody(owned)], AumMode::Min)?;
                        let r = compute_remove_liquidity(
                            step.amount,
                            aum_min,
                            lp_supply + dead,
                            s.decimals,
                            price(s.max_price, s.exponent),
                            owned,
                            s.remove_liquidity_bps,
                            s.protocol_share_bps,
                        )?;
                        next_owned = owned - r.owned_decrease;
                        next_fees = protocol_fees + r.protocol_fee_amount;
                        next_supply = lp_supply - step.amount;
                        remove = Some(remove_out(r));
                    }
                    "gain" => {
                        next_owned = owned.checked_add(step.amount).expect("owned");
                        next_fees = protocol_fees;
                        next_supply = lp_supply;
                    }
                    other => panic!("unknown op {other}"),
                }
                let aum_min_usd =
                    assets_under_management_usd(&[custody(next_owned)], AumMode::Min)?;
                owned = next_owned;
                protocol_fees = next_fees;
                lp_supply = next_supply;
                dead = next_dead;
                Ok(StepOut {
                    add,
                    remove,
                    state: ScenarioState {
                        owned,
                        protocol_fees,
                        lp_supply,
                        dead_lp_supply: dead,
                        aum_min_usd,
                        lp_token_price_usd: lp_token_price_usd(aum_min_usd, lp_supply + dead)?,
                    },
                })
            })();
            outcome(result)
        })
        .collect()
}

/// Fills every case's outcome from the program's math.
fn compute(mut v: Vectors) -> Vectors {
    for c in &mut v.token_to_usd {
        (c.expected, c.error) = run_token_to_usd(c);
    }
    for c in &mut v.usd_to_token {
        (c.expected, c.error) = run_usd_to_token(c);
    }
    for c in &mut v.oracle {
        (c.expected, c.error) = run_oracle(c);
    }
    for c in &mut v.add_liquidity {
        (c.expected, c.error) = run_add(c);
    }
    for c in &mut v.remove_liquidity {
        (c.expected, c.error) = run_remove(c);
    }
    for c in &mut v.aum {
        (c.expected, c.error) = run_aum(c);
    }
    for c in &mut v.lp_token_price {
        (c.expected, c.error) = run_lp_price(c);
    }
    for s in &mut v.scenarios {
        let outcomes = run_scenario(s);
        for (step, out) in s.steps.iter_mut().zip(outcomes) {
            (step.expected, step.error) = out;
        }
    }
    v
}

// ------------------------------------------------------------------------------------------
// Seed cases (inputs only; outputs are computed). Hand-checked values live in the unit tests.
// ------------------------------------------------------------------------------------------

fn seed() -> Vectors {
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
            "Checked by programs/perp_pool/tests/vectors.rs; regenerate with PERP_POOL_UPDATE_VECTORS=1.".into(),
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
