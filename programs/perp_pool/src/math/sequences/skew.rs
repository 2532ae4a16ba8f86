//! One actor on both sides of a skewed market at a constant price (docs/design.md "Skew premium
//! and exposure limits"): opens, increases and closes of a long and a short, each priced with the
//! skew premium or discount at the market's net before it (others' open interest fixed, the
//! pool's AUM fixed). The actor never ends with more collateral tokens than it put in: the
//! discount never makes a fee negative, and earning it by opening the other side costs more than
//! it returns.

use {
    super::*,
    crate::{
        math::{skew::net_exposure_usd, trade::MarketSkew},
        types::SkewParams,
    },
};

#[derive(Clone, Copy, Debug)]
enum Op {
    /// Open or increase `side` by `size_usd` with `collateral_in`.
    Add {
        long: bool,
        size_usd: u64,
        collateral_in: u64,
    },
    /// Close `side` entirely.
    Close { long: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<bool>(), log_range(1_000, 10_000_000_000_000), 10_000u64..=100_000).prop_map(
            |(long, size_usd, lev)| Op::Add {
                long,
                size_usd,
                collateral_in: u64::try_from(u128::from(size_usd) * 10_000 / u128::from(lev)).unwrap().max(1),
            }
        ),
        2 => any::<bool>().prop_map(|long| Op::Close { long }),
    ]
}

fn skew_params() -> impl Strategy<Value = SkewParams> {
    (1u64..=100_000, 0u64..=10_000, 0u64..=10_000).prop_map(|(scale, premium, discount)| {
        SkewParams {
            scale_aum_bps: scale,
            fee_premium_max_bps: premium,
            fee_discount_max_bps: discount.min(10_000 - premium),
            ..SkewParams::default()
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn both_sides_at_a_constant_price_never_gain(
        (collateral, market) in venue(), params in skew_params(), p in price(),
        others_long in log_range(1, 10_000_000_000_000), others_short in log_range(1, 10_000_000_000_000),
        aum in log_range(1_000_000, 1_000_000_000_000_000), ops in prop::collection::vec(op(), 1..16),
    ) {
        let prices = TradePrices { lo: p, hi: p };
        let spread = market.pricing.trade_spread_long_bps;
        let mut positions: [Option<PositionState>; 2] = [None, None];
        let (mut tokens_in, mut tokens_out) = (0u128, 0u128);
        for op in ops {
            let size_of = |i: usize, ps: &[Option<PositionState>; 2]| ps[i].map_or(0, |q| q.size_usd);
            let net = net_exposure_usd(others_long, others_short)
                + i128::from(size_of(0, &positions)) - i128::from(size_of(1, &positions));
            let m = Market {
                skew: MarketSkew { params, net_usd: net, aum_usd: u128::from(aum) },
                ..market
            };
            let locked: u64 = positions.iter().flatten().map(|q| q.locked_amount).sum();
            let custody = CollateralCustody { locked, ..collateral };
            match op {
                Op::Add { long, size_usd, collateral_in } => {
                    let (i, side) = if long { (0, Side::Long) } else { (1, Side::Short) };
                    let entry = entry_price(side, prices, spread).unwrap();
                    let exit = exit_price(side, prices, spread).unwrap();
                    match positions[i] {
                        None => {
                            if let Ok(o) = compute_open_position(side, size_usd, entry, exit, collateral_in, &custody, &m) {
                                prop_assert!(o.skew_fee.discount_usd <= o.skew_fee.base_usd);
                                tokens_in += u128::from(collateral_in);
                                positions[i] = Some(PositionState {
                                    side, quantity: o.quantity, size_usd,
                                    collateral_amount: o.collateral_amount, locked_amount: o.locked_amount,
                                });
                            }
                        }
                        Some(q) => {
                            if let Ok(o) = compute_increase_position(&q, size_usd, collateral_in, entry, exit, 0, &custody, &m) {
                                tokens_in += u128::from(collateral_in);
                                positions[i] = Some(PositionState {
                                    side, quantity: o.quantity, size_usd: o.size_usd,
                                    collateral_amount: o.collateral_amount, locked_amount: o.locked_amount,
                                });
                            }
                        }
                    }
                }
                Op::Close { long } => {
                    let i = if long { 0 } else { 1 };
                    if let Some(q) = positions[i] {
                        let exit = exit_price(q.side, prices, spread).unwrap();
                        if let Ok(s) = compute_decrease_position(&q, q.size_usd, exit, 0, 0, &custody, &m) {
                            prop_assert!(s.full);
                            tokens_out += u128::from(s.amount_out);
                            positions[i] = None;
                        }
                    }
                }
            }
        }
        // Close what is left, then compare.
        for q in positions.iter().flatten() {
            let locked: u64 = positions.iter().flatten().map(|q| q.locked_amount).sum();
            let custody = CollateralCustody { locked, ..collateral };
            let exit = exit_price(q.side, prices, spread).unwrap();
            if let Ok(s) = compute_decrease_position(q, q.size_usd, exit, 0, 0, &custody, &market) {
                tokens_out += u128::from(s.amount_out);
            }
        }
        prop_assert!(tokens_out <= tokens_in, "out {} in {}", tokens_out, tokens_in);
    }
}
