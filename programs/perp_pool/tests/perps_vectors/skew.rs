//! Part of the `perps_vectors` test binary (see main.rs): the `skew` section (math/skew.rs), its
//! seed cases and runner. Each case names the function it calls in `fn`; `params` is a
//! `SkewParams` object, nets are signed JSON integers, u128 outputs decimal strings.

#[allow(unused_imports)]
use super::*;
use perp_pool::{math::skew, types::SkewParams};

pub(crate) const SECTION: &str = "skew";

pub(crate) fn skew_params(c: &Value) -> SkewParams {
    let p = field(c, "params");
    SkewParams {
        scale_aum_bps: u(p, "scale_aum_bps"),
        fee_premium_max_bps: u(p, "fee_premium_max_bps"),
        fee_discount_max_bps: u(p, "fee_discount_max_bps"),
        borrow_premium_max_rate: u(p, "borrow_premium_max_rate"),
        max_net_exposure_usd: u(p, "max_net_exposure_usd"),
        max_net_exposure_aum_bps: u(p, "max_net_exposure_aum_bps"),
    }
}

fn net(c: &Value, key: &str) -> i128 {
    i128::from(i(c, key))
}

pub(crate) fn run(section: &str, c: &Value) -> Option<anchor_lang::Result<Value>> {
    if section != SECTION {
        return None;
    }
    Some(run_case(c))
}

fn run_case(c: &Value) -> anchor_lang::Result<Value> {
    let params = skew_params(c);
    let aum = uu(c, "aum_usd");
    Ok(match field(c, "fn").as_str().expect("fn") {
        "skew_open_fee" => {
            let f = skew::skew_open_fee(
                side(c),
                u(c, "size_usd"),
                u(c, "fee_bps"),
                net(c, "net_usd"),
                aum,
                &params,
            )?;
            json!({"base_usd": f.base_usd, "premium_usd": f.premium_usd,
                   "discount_usd": f.discount_usd, "fee_usd": f.fee_usd})
        }
        "borrow_premium_rate" => json!(skew::borrow_premium_rate(
            side(c),
            net(c, "net_usd"),
            aum,
            &params
        )?),
        "check_net_exposure" => {
            skew::check_net_exposure(net(c, "net_before"), net(c, "net_after"), aum, &params)?;
            json!(true)
        }
        "headroom_usd" => {
            json!(skew::headroom_usd(side(c), net(c, "net_usd"), aum, &params)?.to_string())
        }
        "params_valid" => json!(skew::skew_params_valid(&params)),
        other => panic!("unknown skew fn {other}"),
    })
}

/// `SkewParams` as JSON.
pub(crate) fn params_json(
    scale: u64,
    premium: u64,
    discount: u64,
    borrow: u64,
    cap_usd: u64,
    cap_bps: u64,
) -> Value {
    json!({"scale_aum_bps": scale, "fee_premium_max_bps": premium, "fee_discount_max_bps": discount,
           "borrow_premium_max_rate": borrow, "max_net_exposure_usd": cap_usd,
           "max_net_exposure_aum_bps": cap_bps})
}

/// The seed cases of the skew section.
pub(crate) fn seed(named: impl Fn(&str, Value) -> Value) -> Value {
    const USD: i64 = 1_000_000;
    let aum: u64 = 1_000_000 * 1_000_000; // 1M USD
    let p = params_json(1_000, 10_000, 5_000, 100_000, 0, 0);
    let odd = params_json(777, 3_333, 6_667, 12_345, 123_456 * 1_000_000, 1_500);
    let none = params_json(0, 0, 0, 0, 0, 0);
    let mut cases = vec![];
    let fee = |name: &str, side: &str, size: i64, bps: u64, net: i64, aum: u64, params: &Value| {
        named(
            &format!("fee_{name}"),
            json!({"fn": "skew_open_fee", "side": side, "size_usd": size, "fee_bps": bps,
                   "net_usd": net, "aum_usd": aum, "params": params}),
        )
    };
    for (name, side, size, net) in [
        ("balanced_long", "long", 100_000 * USD, 0),
        (
            "majority_beyond_scale",
            "long",
            100_000 * USD,
            100_000 * USD,
        ),
        ("minority_reduces", "short", 100_000 * USD, 100_000 * USD),
        ("crossing", "short", 150_000 * USD, 100_000 * USD),
        ("short_majority", "short", 12_345_678, -5_000 * USD),
        ("dust", "long", 1, 1),
        ("dust_minority", "long", 1, -1),
        ("huge", "long", 1_000_000_000 * USD, -999_999_999 * USD),
    ] {
        cases.push(fee(name, side, size, 10, net, aum, &p));
        cases.push(fee(&format!("{name}_odd"), side, size, 17, net, aum, &odd));
    }
    cases.push(fee(
        "no_params",
        "long",
        100_000 * USD,
        10,
        50_000 * USD,
        aum,
        &none,
    ));
    cases.push(fee("zero_aum", "long", 1_000 * USD, 10, 1, 0, &p));
    cases.push(fee(
        "zero_aum_minority",
        "short",
        1_000 * USD,
        10,
        500 * USD,
        0,
        &p,
    ));
    for (name, side, net, aum) in [
        ("long_half", "long", 50_000 * USD, aum),
        ("short_minority", "short", 50_000 * USD, aum),
        ("short_majority_full", "short", -500_000 * USD, aum),
        ("balanced", "long", 0, aum),
        ("no_aum", "long", 1, 0),
        ("odd", "short", -33_333_333, aum),
    ] {
        cases.push(named(
            &format!("rate_{name}"),
            json!({"fn": "borrow_premium_rate", "side": side, "net_usd": net, "aum_usd": aum,
                   "params": if name == "odd" { odd.clone() } else { p.clone() }}),
        ));
    }
    let caps = params_json(0, 0, 0, 0, 300 * 1_000_000, 2_000); // 300 USD, 20 % of AUM
    let small_aum: u64 = 1_000 * 1_000_000;
    for (name, before, after, aum) in [
        ("within", 0, 200 * USD, small_aum),
        ("beyond_aum_cap", 0, 200 * USD + 1, small_aum),
        ("short_beyond", -10, -200 * USD - 1, small_aum),
        ("reducing_past_cap", 500 * USD, 400 * USD, small_aum),
        ("crossing_same_size", 500 * USD, -500 * USD, small_aum),
        ("crossing_larger", 500 * USD, -501 * USD, small_aum),
        ("usd_cap_binds", 0, 300 * USD + 1, 10 * small_aum),
        ("zero_aum", 0, 1, 0),
    ] {
        cases.push(named(
            &format!("cap_{name}"),
            json!({"fn": "check_net_exposure", "net_before": before, "net_after": after,
                   "aum_usd": aum, "params": caps}),
        ));
    }
    for (name, side, net) in [
        ("long_room", "long", 50 * USD),
        ("short_room", "short", 50 * USD),
        ("long_past_cap", "long", 500 * USD),
        ("short_past_cap", "short", 500 * USD),
    ] {
        cases.push(named(
            &format!("headroom_{name}"),
            json!({"fn": "headroom_usd", "side": side, "net_usd": net, "aum_usd": small_aum,
                   "params": caps}),
        ));
    }
    cases.push(named(
        "headroom_no_cap",
        json!({"fn": "headroom_usd", "side": "long", "net_usd": 5, "aum_usd": small_aum, "params": none}),
    ));
    for (name, params) in [
        ("default", none.clone()),
        ("reference", p.clone()),
        (
            "premium_plus_discount_over_100",
            params_json(1_000, 6_000, 4_001, 0, 0, 0),
        ),
        ("premium_without_scale", params_json(0, 1, 0, 0, 0, 0)),
        ("scale_too_large", params_json(100_001, 0, 0, 0, 0, 0)),
        (
            "borrow_too_large",
            params_json(1, 0, 0, 1_000_000_001, 0, 0),
        ),
        ("aum_cap_too_large", params_json(0, 0, 0, 0, 0, 1_000_001)),
    ] {
        cases.push(named(
            &format!("valid_{name}"),
            json!({"fn": "params_valid", "aum_usd": 0, "params": params}),
        ));
    }
    Value::Array(cases)
}
