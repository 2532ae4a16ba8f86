//! Part of the `perps_vectors` test binary (see main.rs).

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// One runner per section
// ---------------------------------------------------------------------------------------------

pub(crate) fn run(section: &str, c: &Value) -> anchor_lang::Result<Value> {
    if let Some(result) = super::orders::run(section, c) {
        return result;
    }
    if let Some(result) = super::staking::run(section, c) {
        return result;
    }
    if let Some(result) = super::skew::run(section, c) {
        return result;
    }
    if let Some(result) = super::tranche::run(section, c) {
        return result;
    }
    if let Some(result) = super::weights::run(section, c) {
        return result;
    }
    Ok(match section {
        "trade_prices" => {
            let e = i32_(c, "exponent");
            let p = pricing::trade_prices(
                OraclePrice {
                    price: u(c, "spot"),
                    exponent: e,
                },
                OraclePrice {
                    price: u(c, "ema"),
                    exponent: e,
                },
                b(c, "use_ema"),
            )?;
            json!({"lo": p.lo, "hi": p.hi})
        }
        "entry_price" | "exit_price" => {
            let prices = TradePrices {
                lo: u(c, "lo"),
                hi: u(c, "hi"),
            };
            let f = if section == "entry_price" {
                pricing::entry_price
            } else {
                pricing::exit_price
            };
            json!(f(side(c), prices, u(c, "spread_bps"))?)
        }
        "utilization" => json!(borrow::utilization(u(c, "locked"), u(c, "owned"))?),
        "borrow_rate" => json!(borrow::borrow_rate(
            u(c, "utilization"),
            u(c, "base_rate"),
            u(c, "slope1"),
            u(c, "slope2"),
            u(c, "optimal_utilization"),
        )?),
        "accrue_interest" => num(borrow::accrued_cumulative_interest(
            uu(c, "cumulative_interest"),
            u(c, "current_rate"),
            i(c, "last_update"),
            i(c, "now"),
        )?),
        "position_interest" => json!(borrow::position_interest_usd(
            uu(c, "cumulative_interest"),
            uu(c, "snapshot"),
            u(c, "size_usd"),
        )?),
        "aggregate_interest" => num(borrow::aggregate_interest_usd(
            uu(c, "cumulative_interest"),
            u(c, "size_usd"),
            uu(c, "interest_weighted"),
            rounding(c),
        )?),
        "open_fee" => {
            let (size, bps, util, optimal) = (
                u(c, "size_usd"),
                u(c, "open_position_bps"),
                u(c, "utilization_after"),
                u(c, "optimal_utilization"),
            );
            json!({
                "fee_bps": fees::open_fee_bps(bps, util, optimal)?,
                "fee_usd": fees::open_position_fee_usd(size, bps, util, optimal)?,
            })
        }
        "bps_fee" => json!(fees::bps_fee(u(c, "amount"), u(c, "bps"))?),
        "fee_split" => split_json(fees::split_fee(
            u(c, "fee"),
            u(c, "protocol_share_bps"),
            u(c, "insurance_share_bps"),
            u(c, "staker_share_bps"),
        )?),
        "quantity" => num(pnl::entry_quantity(
            side(c),
            u(c, "size_usd"),
            u(c, "price"),
        )?),
        "quantity_value" => num(pnl::quantity_value_usd(
            uu(c, "quantity"),
            u(c, "price"),
            rounding(c),
        )?),
        "average_entry_price" => json!(pnl::average_entry_price(
            side(c),
            u(c, "size_usd"),
            uu(c, "quantity"),
        )?),
        "pnl" => pnl_json(pnl::capped_pnl(
            side(c),
            uu(c, "quantity"),
            u(c, "exit_price"),
            u(c, "size_usd"),
            u(c, "max_profit_usd"),
        )?),
        "health" => {
            let h = health(c);
            let exit = u(c, "exit_price");
            let equity = pnl::equity_usd(&h, exit)?;
            json!({
                "equity_usd": num(equity),
                "liquidatable": pnl::is_liquidatable(&h, exit)?,
                "leverage_bps": pnl::leverage_bps(h.size_usd, equity)?,
            })
        }
        "liquidation_price" => json!(pnl::liquidation_price(&health(c), u(c, "spread_bps"))?),
        "aggregate_pnl" => num(pnl::aggregate_pnl_usd(
            side(c),
            u(c, "size_usd"),
            uu(c, "total_quantity"),
            uu(c, "collateral_usd"),
            u(c, "price"),
            uu_or0(c, "max_profit_usd"),
            rounding(c),
            uu_or0(c, "profit_above_cap_usd"),
            uu_or0(c, "bad_debt_usd"),
        )?),
        "exposure_book" => {
            // `ops`: [crossing, "add"|"remove", quantity, usd]; `prices`: where to evaluate.
            let crossing_of = |name: &str| match name {
                "above" => exposure::Crossing::Above,
                "below" => exposure::Crossing::Below,
                other => panic!("crossing {other}"),
            };
            let mut book = exposure::ExposureBook::default();
            let crossing = crossing_of(field(c, "crossing").as_str().expect("crossing"));
            for op in field(c, "ops").as_array().expect("ops") {
                let q = uu_or0(op, "quantity");
                let usd = uu_or0(op, "usd");
                match field(op, "op").as_str().expect("op") {
                    "add" => book.add(crossing, q, usd)?,
                    "remove" => book.remove(crossing, q, usd)?,
                    other => panic!("op {other}"),
                }
            }
            let mut slots: Vec<Value> = book
                .slots
                .iter()
                .enumerate()
                .filter(|(_, s)| s.count > 0)
                .map(|(index, s)| {
                    json!({"index": index, "lo_id": s.lo_id, "hi_id": s.hi_id, "count": s.count,
                           "quantity": s.quantity.to_string(), "usd": s.usd.to_string()})
                })
                .collect();
            slots.sort_by_key(|v| v["index"].as_u64());
            let excess: Vec<Value> = field(c, "prices")
                .as_array()
                .expect("prices")
                .iter()
                .map(|p| {
                    let price = p.as_u64().expect("price");
                    book.excess_usd(crossing, price)
                        .map(|e| json!(e.to_string()))
                })
                .collect::<anchor_lang::Result<_>>()?;
            json!({"slots": slots, "excess_usd": excess})
        }
        "aum" => {
            let custodies: Vec<CustodyValuation> = field(c, "custodies")
                .as_array()
                .expect("custodies")
                .iter()
                .map(|k| CustodyValuation {
                    owned: u(k, "owned"),
                    decimals: u8_(k, "decimals"),
                    min_price: price(k, "min_price"),
                    max_price: price(k, "max_price"),
                    trading: TradingValuation {
                        long_size_usd: u(k, "long_size_usd"),
                        long_quantity: uu(k, "long_quantity"),
                        long_collateral_usd: u(k, "long_collateral_usd"),
                        short_size_usd: u(k, "short_size_usd"),
                        short_quantity: uu(k, "short_quantity"),
                        short_collateral_usd: u(k, "short_collateral_usd"),
                        long_max_profit_usd: uu_or0(k, "long_max_profit_usd"),
                        short_max_profit_usd: uu_or0(k, "short_max_profit_usd"),
                        long_collateral_quantity: uu_or0(k, "long_collateral_quantity"),
                        long_max_profit_quantity: uu_or0(k, "long_max_profit_quantity"),
                        short_collateral_quantity: uu_or0(k, "short_collateral_quantity"),
                        short_max_profit_quantity: uu_or0(k, "short_max_profit_quantity"),
                        borrow_size_usd: u(k, "borrow_size_usd"),
                        interest_weighted: uu(k, "interest_weighted"),
                        cumulative_interest: uu(k, "cumulative_interest"),
                        long_profit_above_cap_usd: uu_or0(k, "long_profit_above_cap_usd"),
                        long_bad_debt_usd: uu_or0(k, "long_bad_debt_usd"),
                        short_profit_above_cap_usd: uu_or0(k, "short_profit_above_cap_usd"),
                        short_bad_debt_usd: uu_or0(k, "short_bad_debt_usd"),
                        long_premium_cumulative: uu_or0(k, "long_premium_cumulative"),
                        long_premium_weighted: uu_or0(k, "long_premium_weighted"),
                        short_premium_cumulative: uu_or0(k, "short_premium_cumulative"),
                        short_premium_weighted: uu_or0(k, "short_premium_weighted"),
                    },
                })
                .collect();
            json!({
                "aum_min_usd": num(assets_under_management_usd(&custodies, AumMode::Min)?),
                "aum_max_usd": num(assets_under_management_usd(&custodies, AumMode::Max)?),
            })
        }
        "open_position" => {
            let o = trade::compute_open_position(
                side(c),
                u(c, "size_usd"),
                u(c, "entry_price"),
                u(c, "exit_price"),
                u(c, "collateral_in"),
                &collateral(c),
                &market(c),
            )?;
            json!({
                "locked_amount": o.locked_amount,
                "utilization_after": o.utilization_after,
                "fee_usd": o.fee_usd,
                "fee_amount": o.fee_amount,
                "fee_split": split_json(o.fee_split),
                "collateral_amount": o.collateral_amount,
                "collateral_usd": o.collateral_usd,
                "quantity": num(o.quantity),
                "skew_fee": skew_fee_json(o.skew_fee),
            })
        }
        "increase_position" => {
            let o = trade::compute_increase_position(
                &position(c),
                u(c, "size_delta_usd"),
                u(c, "collateral_in"),
                u(c, "entry_price"),
                u(c, "exit_price"),
                u(c, "interest_usd"),
                &collateral(c),
                &market(c),
            )?;
            json!({
                "locked_delta": o.locked_delta,
                "utilization_after": o.utilization_after,
                "fee_usd": o.fee_usd,
                "fee_amount": o.fee_amount,
                "fee_split": split_json(o.fee_split),
                "interest_usd": o.interest_usd,
                "interest_amount": o.interest_amount,
                "quantity_delta": num(o.quantity_delta),
                "price": o.price,
                "quantity": num(o.quantity),
                "size_usd": o.size_usd,
                "collateral_amount": o.collateral_amount,
                "collateral_usd": o.collateral_usd,
                "locked_amount": o.locked_amount,
                "skew_fee": skew_fee_json(o.skew_fee),
            })
        }
        "decrease_position" => settlement_json(trade::compute_decrease_position(
            &position(c),
            u(c, "size_delta_usd"),
            u(c, "exit_price"),
            u(c, "interest_usd"),
            u(c, "insurance_fund"),
            &collateral(c),
            &market(c),
        )?),
        "liquidation" => settlement_json(trade::compute_liquidation(
            &position(c),
            u(c, "exit_price"),
            u(c, "interest_usd"),
            u(c, "insurance_fund"),
            &collateral(c),
            &market(c),
        )?),
        "waterfall" => waterfall_json(trade::waterfall(
            u(c, "pot"),
            u(c, "lp_owed"),
            u(c, "fee"),
            u(c, "reward"),
        )?),
        "within_initial_leverage" => json!(trade::within_initial_leverage(
            &position(c),
            u(c, "exit_price"),
            u(c, "interest_usd"),
            &collateral(c),
            &market(c),
        )?),
        "remove_collateral" => {
            let o = trade::compute_remove_collateral(
                &position(c),
                u(c, "collateral_usd"),
                u(c, "exit_price"),
                u(c, "interest_usd"),
                &collateral(c),
                &market(c),
            )?;
            json!({
                "amount_out": o.amount_out,
                "collateral_amount": o.collateral_amount,
                "collateral_usd": o.collateral_usd,
            })
        }
        "position_health" => {
            // The health inputs the program derives from a position (views, liquidate).
            let h = trade::health_inputs(
                &position(c),
                u(c, "interest_usd"),
                &collateral(c),
                &market(c),
            )?;
            // An asset-backed long (`aliased`): its collateral and lock revalued at each trial
            // price of the liquidation-price search.
            let p = position(c);
            let backing = c
                .get("aliased")
                .and_then(Value::as_bool)
                .unwrap_or(false)
                .then_some(backing::TokenBacking {
                    collateral_amount: p.collateral_amount,
                    locked_amount: p.locked_amount,
                    decimals: collateral(c).decimals,
                });
            json!({
                "collateral_usd": h.collateral_usd,
                "max_profit_usd": h.max_profit_usd,
                "close_fee_usd": h.close_fee_usd,
                "liquidatable": pnl::is_liquidatable(&h, u(c, "exit_price"))?,
                "liquidation_price": pnl::liquidation_price_backed(&h, u(c, "spread_bps"), backing.as_ref())?,
            })
        }
        other => panic!("unknown section {other}"),
    })
}

fn skew_fee_json(f: perp_pool::math::skew::SkewFee) -> Value {
    json!({"base_usd": f.base_usd, "premium_usd": f.premium_usd, "discount_usd": f.discount_usd,
           "fee_usd": f.fee_usd})
}
