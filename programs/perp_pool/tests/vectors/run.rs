//! Part of the `vectors` test binary (see main.rs).

#[allow(unused_imports)]
use super::*;

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
pub(crate) fn compute(mut v: Vectors) -> Vectors {
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
