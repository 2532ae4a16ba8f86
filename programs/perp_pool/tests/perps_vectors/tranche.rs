//! Part of the `perps_vectors` test binary (see main.rs): the `tranche` section (math/tranche.rs),
//! its seed cases and runner. Each case names the function it calls in `fn`; u128 inputs and
//! outputs are decimal strings (they exceed what a JSON integer holds exactly), `mode` is
//! "min"/"max", `priced` "junior"/"senior".

#[allow(unused_imports)]
use super::*;
use perp_pool::{
    constants::{SENIOR_INDEX_POWER, YEAR_SECONDS},
    math::tranche::{self, SeniorTerms, TrancheNavs},
    types::Tranche,
};

pub(crate) const SECTION: &str = "tranche";

fn text(v: u128) -> Value {
    json!(v.to_string())
}

fn big(c: &Value, key: &str) -> u128 {
    match field(c, key) {
        Value::String(s) => s.parse().expect("u128 string"),
        v => u128::from(v.as_u64().unwrap_or_else(|| panic!("{key} must be a u128"))),
    }
}

fn u32_(c: &Value, key: &str) -> u32 {
    u32::try_from(u(c, key)).expect("u32")
}

fn terms(c: &Value) -> SeniorTerms {
    SeniorTerms {
        index: big(c, "index"),
        index_time: i(c, "index_time"),
        rate_bps: u32_(c, "rate_bps"),
    }
}

fn priced(c: &Value) -> Tranche {
    match field(c, "priced").as_str() {
        Some("junior") => Tranche::Junior,
        Some("senior") => Tranche::Senior,
        other => panic!("priced must be junior or senior, got {other:?}"),
    }
}

fn mode(c: &Value) -> AumMode {
    match field(c, "mode").as_str() {
        Some("min") => AumMode::Min,
        Some("max") => AumMode::Max,
        other => panic!("mode must be min or max, got {other:?}"),
    }
}

fn navs_json(n: TrancheNavs) -> Value {
    json!({"junior_usd": text(n.junior_usd), "senior_usd": text(n.senior_usd)})
}

/// The runner of the tranche section, None for any other section.
pub(crate) fn run(section: &str, c: &Value) -> Option<anchor_lang::Result<Value>> {
    if section != SECTION {
        return None;
    }
    Some(run_case(c))
}

fn run_case(c: &Value) -> anchor_lang::Result<Value> {
    Ok(match field(c, "fn").as_str().expect("fn") {
        "senior_index" => text(tranche::senior_index(&terms(c), i(c, "now"), rounding(c))?),
        "senior_target_usd" => text(tranche::senior_target_usd(
            u(c, "supply"),
            big(c, "index"),
            rounding(c),
        )?),
        "split_navs" => navs_json(tranche::split_navs(
            big(c, "aum_usd"),
            big(c, "senior_target_usd"),
        )),
        "tranche_navs" => navs_json(tranche::tranche_navs(
            big(c, "aum_usd"),
            &terms(c),
            u(c, "senior_supply"),
            i(c, "now"),
            priced(c),
            mode(c),
        )?),
        "tranche_price" => {
            let navs = TrancheNavs {
                junior_usd: big(c, "junior_usd"),
                senior_usd: big(c, "senior_usd"),
            };
            let p = tranche::tranche_price(
                &navs,
                &terms(c),
                u(c, "supply"),
                i(c, "now"),
                priced(c),
                mode(c),
            )?;
            json!({"nav_usd": text(p.nav_usd), "supply": p.supply})
        }
        "coverage_holds" => json!(tranche::coverage_holds(
            big(c, "senior_usd"),
            big(c, "junior_usd"),
            u32_(c, "max_ratio_bps"),
        )?),
        "stress" => {
            let s = tranche::stress(
                big(c, "aum_usd"),
                big(c, "senior_target_usd"),
                big(c, "insurance_usd"),
                big(c, "trader_profit_usd"),
                big(c, "bad_debt_usd"),
            )?;
            json!({
                "insurance_draw_usd": text(s.insurance_draw_usd),
                "insurance_after_usd": text(s.insurance_after_usd),
                "junior_loss_usd": text(s.junior_loss_usd),
                "senior_loss_usd": text(s.senior_loss_usd),
                "navs_after": navs_json(s.navs_after),
            })
        }
        other => panic!("unknown tranche fn {other}"),
    })
}

/// The seed cases of the tranche section.
pub(crate) fn seed(named: impl Fn(&str, Value) -> Value) -> Value {
    const USD: u128 = 1_000_000;
    let p = SENIOR_INDEX_POWER;
    let year = YEAR_SECONDS;
    let t0: i64 = 1_700_000_000;
    let max = u128::MAX.to_string();
    let u64max = u64::MAX;
    let s = |v: u128| v.to_string();
    let mut cases = vec![];

    // senior_index: both roundings, rate 0 and max, the clock before the index time, extremes.
    let index_case = |name: &str, index: String, rate: u32, index_time: i64, now: i64| {
        ["floor", "ceil"].map(|r| {
            named(
                &format!("senior_index_{name}_{r}"),
                json!({"fn": "senior_index", "index": index, "index_time": index_time,
                       "rate_bps": rate, "now": now, "rounding": r}),
            )
        })
    };
    for group in [
        index_case("at_index_time", s(p), 1_000, t0, t0),
        index_case("one_second_10pct", s(p), 1_000, t0, t0 + 1),
        index_case("half_year_10pct", s(p), 1_000, t0, t0 + year / 2),
        index_case("one_year_10pct", s(p), 1_000, t0, t0 + year),
        index_case("one_year_rate_0", s(p), 0, t0, t0 + year),
        index_case("one_second_rate_max", s(p), 5_000, t0, t0 + 1),
        index_case("ten_years_rate_max", s(p), 5_000, t0, t0 + 10 * year),
        index_case(
            "rebased_index_odd",
            s(1_234_567_890_123),
            777,
            t0,
            t0 + 12_345,
        ),
        index_case("clock_before_index_time", s(p), 5_000, t0, t0 - 86_400),
        index_case("clock_at_i64_min", s(p), 5_000, t0, i64::MIN),
        index_case(
            "index_time_i64_min_now_i64_max",
            s(p),
            5_000,
            i64::MIN,
            i64::MAX,
        ),
        index_case("index_zero", s(0), 5_000, t0, t0 + year),
        index_case("index_u128_max_no_time", max.clone(), 5_000, t0, t0),
        index_case("index_u128_max_one_second", max.clone(), 1, t0, t0 + 1),
        index_case(
            "index_product_overflows",
            s(u128::MAX / 1_000),
            5_000,
            t0,
            t0 + year,
        ),
    ] {
        cases.extend(group);
    }

    // senior_target_usd: supply x index / 10^12.
    for (name, supply, index) in [
        ("zero_supply", 0u64, s(p)),
        ("one_unit_at_one_usd", 1, s(p)),
        ("one_unit_fraction", 1, s(p + 3_171)),
        ("million_lp_half_year", 1_000_000_000_000, s(p * 105 / 100)),
        ("u64_max_supply_at_one_usd", u64max, s(p)),
        ("u64_max_supply_rate_max_ten_years", u64max, s(6 * p)),
        ("u64_max_supply_index_overflows", u64max, max.clone()),
    ] {
        for r in ["floor", "ceil"] {
            cases.push(named(
                &format!("senior_target_usd_{name}_{r}"),
                json!({"fn": "senior_target_usd", "supply": supply, "index": index, "rounding": r}),
            ));
        }
    }

    // split_navs: the cascade.
    for (name, aum, target) in [
        ("covered", s(1_000 * USD), s(800 * USD)),
        ("junior_thin", s(800 * USD + 1), s(800 * USD)),
        ("exactly_target", s(800 * USD), s(800 * USD)),
        ("senior_impaired", s(700 * USD), s(800 * USD)),
        ("empty_pool", s(0), s(800 * USD)),
        ("no_senior", s(1_000 * USD), s(0)),
        ("both_zero", s(0), s(0)),
        ("u128_max_aum", max.clone(), s(800 * USD)),
        ("u128_max_target", s(1_000 * USD), max.clone()),
    ] {
        cases.push(named(
            &format!("split_navs_{name}"),
            json!({"fn": "split_navs", "aum_usd": aum, "senior_target_usd": target}),
        ));
    }

    // tranche_navs: every (priced, mode) rounding, at a fractional index.
    let navs_case = |name: &str, aum: String, supply: u64, rate: u32, now: i64| {
        let mut v = vec![];
        for priced in ["junior", "senior"] {
            for mode in ["min", "max"] {
                v.push(named(
                    &format!("tranche_navs_{name}_{priced}_{mode}"),
                    json!({"fn": "tranche_navs", "aum_usd": aum, "index": s(p), "index_time": t0,
                           "rate_bps": rate, "senior_supply": supply, "now": now,
                           "priced": priced, "mode": mode}),
                ));
            }
        }
        v
    };
    for group in [
        navs_case(
            "one_second_10pct",
            s(10_000_000 * USD),
            1_000_000_000_000,
            1_000,
            t0 + 1,
        ),
        navs_case(
            "half_year_impaired",
            s(1_000 * USD),
            1_000_000_000,
            1_000,
            t0 + year / 2,
        ),
        navs_case("no_senior_supply", s(1_000 * USD), 0, 5_000, t0 + year),
        navs_case("u64_max_supply", max.clone(), u64max, 5_000, t0 + 10 * year),
        navs_case("clock_before_index_time", s(5 * USD), 3, 5_000, t0 - 1),
    ] {
        cases.extend(group);
    }

    // tranche_price: an empty senior tranche at its index, otherwise NAV over supply.
    let price_case = |name: &str, navs: (u128, u128), supply: u64, now: i64, priced: &str| {
        ["min", "max"].map(|mode| {
            named(
                &format!("tranche_price_{name}_{mode}"),
                json!({"fn": "tranche_price", "junior_usd": s(navs.0), "senior_usd": s(navs.1),
                       "index": s(p), "index_time": t0, "rate_bps": 1_000, "supply": supply,
                       "now": now, "priced": priced, "mode": mode}),
            )
        })
    };
    for group in [
        price_case(
            "empty_senior_one_second",
            (1_000 * USD, 0),
            0,
            t0 + 1,
            "senior",
        ),
        price_case(
            "empty_senior_one_year",
            (1_000 * USD, 0),
            0,
            t0 + year,
            "senior",
        ),
        price_case(
            "senior_with_supply",
            (200 * USD, 800 * USD),
            800_000_000,
            t0 + 1,
            "senior",
        ),
        price_case(
            "junior",
            (200 * USD, 800 * USD),
            150_000_000,
            t0 + 1,
            "junior",
        ),
        price_case("junior_zero_supply", (0, 800 * USD), 0, t0, "junior"),
        price_case(
            "senior_u64_max_supply",
            (0, u128::MAX),
            u64max,
            t0,
            "senior",
        ),
    ] {
        cases.extend(group);
    }

    // coverage_holds: senior * 10^4 <= junior * ratio, exactly.
    for (name, senior, junior, ratio) in [
        ("at_the_limit", s(400), s(100), 40_000u32),
        ("one_unit_past", s(401), s(100), 40_000),
        ("both_zero", s(0), s(0), 40_000),
        ("junior_zero", s(1), s(0), 200_000),
        ("ratio_max", s(20 * USD), s(USD), 200_000),
        ("ratio_max_one_past", s(20 * USD + 1), s(USD), 200_000),
        ("ratio_one_bps", s(1), s(10_000), 1),
        ("senior_overflows", max.clone(), s(1), 40_000),
        ("junior_overflows", s(1), max.clone(), 40_000),
    ] {
        cases.push(named(
            &format!("coverage_holds_{name}"),
            json!({"fn": "coverage_holds", "senior_usd": senior, "junior_usd": junior,
                   "max_ratio_bps": ratio}),
        ));
    }

    // stress: insurance first (bad debt only), then junior, then senior.
    for (name, aum, target, fund, profit, bad) in [
        ("nothing", 1_000 * USD, 800 * USD, 30 * USD, 0, 0),
        (
            "bad_debt_within_fund",
            1_000 * USD,
            800 * USD,
            30 * USD,
            0,
            20 * USD,
        ),
        (
            "bad_debt_past_fund",
            1_000 * USD,
            800 * USD,
            30 * USD,
            0,
            100 * USD,
        ),
        (
            "profit_skips_fund",
            1_000 * USD,
            800 * USD,
            30 * USD,
            100 * USD,
            0,
        ),
        (
            "junior_wiped_senior_hit",
            1_000 * USD,
            800 * USD,
            30 * USD,
            200 * USD,
            80 * USD,
        ),
        ("exactly_junior", 1_000 * USD, 800 * USD, 0, 200 * USD, 0),
        (
            "more_than_the_pool",
            1_000 * USD,
            800 * USD,
            0,
            u128::from(u64max),
            0,
        ),
        (
            "impaired_before",
            700 * USD,
            800 * USD,
            10 * USD,
            50 * USD,
            5 * USD,
        ),
        ("no_senior", 1_000 * USD, 0, 0, 300 * USD, 0),
    ] {
        cases.push(named(
            &format!("stress_{name}"),
            json!({"fn": "stress", "aum_usd": s(aum), "senior_target_usd": s(target),
                   "insurance_usd": s(fund), "trader_profit_usd": s(profit), "bad_debt_usd": s(bad)}),
        ));
    }
    cases.push(named(
        "stress_loss_overflows",
        json!({"fn": "stress", "aum_usd": s(1_000 * USD), "senior_target_usd": s(800 * USD),
               "insurance_usd": s(0), "trader_profit_usd": max.clone(), "bad_debt_usd": s(1)}),
    ));
    Value::Array(cases)
}
