//! Sequence-level economic invariants over the pure math (docs/design.md "LP capital safety"):
//! properties of whole sequences of operations, each step applied the way its handler applies
//! it (the tokens a user sends and receives, the position or pool state after), where the
//! per-function tests only check one operation at a time. A step the program refuses is skipped,
//! like a failed transaction.
//!
//! - a trader at a constant oracle price never ends with more collateral tokens than it put in;
//! - a partial decrease followed by a close never pays more than one close;
//! - a self-liquidation never pays the owner more than a close at the same price;
//! - the interest index and the interest owed do not depend on how an interval is split;
//! - an LP at constant AUM never gains by depositing and withdrawing, no LP's value drops
//!   because of another LP's deposit or withdrawal, and the first-depositor inflation attack
//!   returns the attacker less than it donated.
//!
//! Prices range over 10^-4 .. 10^6 USD (10^5 .. 10^15 in PRICE_DECIMALS = 9), amounts down to
//! one base unit.

use {
    super::{
        borrow::{accrued_cumulative_interest, aggregate_interest_usd, position_interest_usd},
        liquidity::{
            assets_under_management_usd, compute_add_liquidity, compute_remove_liquidity, AumMode,
            CustodyValuation,
        },
        oracle::OraclePrice,
        pricing::{entry_price, exit_price, TradePrices},
        safe_math::Rounding,
        trade::{
            compute_decrease_position, compute_increase_position, compute_liquidation,
            compute_open_position, compute_remove_collateral, CollateralCustody, Market,
            PositionState,
        },
    },
    crate::{
        constants::{DEAD_LP_SUPPLY, PRICE_DECIMALS},
        types::{BorrowRateParams, Fees, PricingParams, Side},
    },
    proptest::prelude::*,
};

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// `lo..=hi`, log-uniform-ish: a decade, then a value in it (so dust and huge values are both
/// common).
fn log_range(lo: u64, hi: u64) -> impl Strategy<Value = u64> {
    let (d_lo, d_hi) = (lo.max(1).ilog10(), hi.ilog10());
    (d_lo..=d_hi).prop_flat_map(move |d| {
        let a = 10u64.pow(d).max(lo);
        let b = 10u64.saturating_pow(d + 1).min(hi);
        a..=b
    })
}

/// Oracle prices 10^-4 .. 10^6 USD in PRICE_DECIMALS.
fn price() -> impl Strategy<Value = u64> {
    let one_usd = 10u64.pow(u32::from(PRICE_DECIMALS));
    log_range(one_usd / 10_000, one_usd * 1_000_000)
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Long), Just(Side::Short)]
}

/// A stable collateral custody (6 decimals) priced around 1 USD with a min/max spread, plenty of
/// liquidity, and a market with random spreads, fees and leverage limits.
fn venue() -> impl Strategy<Value = (CollateralCustody, Market)> {
    (
        (
            99_000_000u64..=100_000_000, // collateral min price, expo -8
            0u64..=1_000_000,            // max - min
            0u64..=5_000,                // protocol share
            0u64..=5_000,                // insurance share
        ),
        (
            0u64..=500,                               // trade spread bps
            0u64..=100,                               // open fee bps
            0u64..=100,                               // close fee bps
            0u64..=100,                               // liquidation fee bps
            0u64..=100,                               // liquidator reward bps
            prop_oneof![Just(0u64), Just(10_000u64)], // min initial leverage
            20_000u64..=1_000_000,                    // max initial leverage (2x .. 100x)
            0u64..=1_000_000,                         // extra maintenance leverage
            1_000u64..=50_000,                        // max payoff
        ),
    )
        .prop_map(
            |(
                (min, spread, protocol, insurance),
                (
                    trade_spread,
                    open_bps,
                    close_bps,
                    liq_bps,
                    reward_bps,
                    min_lev,
                    max_init,
                    extra,
                    payoff,
                ),
            )| {
                let collateral = CollateralCustody {
                    decimals: 6,
                    min_price: OraclePrice {
                        price: min,
                        exponent: -8,
                    },
                    max_price: OraclePrice {
                        price: min + spread,
                        exponent: -8,
                    },
                    owned: u64::MAX / 4,
                    locked: 0,
                    pricing: PricingParams::default(),
                    fees: Fees {
                        protocol_share_bps: protocol,
                        insurance_share_bps: insurance,
                        ..Fees::default()
                    },
                    borrow_rate: BorrowRateParams::default(),
                };
                // A valid config: the maintenance margin (BPS^2 / max_leverage_bps) covers the
                // liquidator's reward and the liquidation fee
                // (PricingParams::validate_liquidation_margin), and the liquidation fee is at
                // least the close fee (Fees::validate).
                let margin_bps = 100_000_000 / (max_init + extra);
                let liq_bps = liq_bps.max(close_bps);
                let (liq_bps, reward_bps) = if liq_bps + reward_bps > margin_bps {
                    (
                        liq_bps * margin_bps / (liq_bps + reward_bps),
                        reward_bps * margin_bps / (liq_bps + reward_bps),
                    )
                } else {
                    (liq_bps, reward_bps)
                };
                let close_bps = close_bps.min(liq_bps);
                let market = Market {
                    pricing: PricingParams {
                        use_ema: false,
                        trade_spread_long_bps: trade_spread,
                        trade_spread_short_bps: trade_spread,
                        min_initial_leverage_bps: min_lev,
                        max_initial_leverage_bps: max_init,
                        max_leverage_bps: max_init + extra,
                        max_payoff_mult_bps: payoff,
                        max_utilization: 0,
                        max_position_size_usd: 0,
                        max_total_locked_usd: 0,
                    },
                    fees: Fees {
                        open_position_bps: open_bps,
                        close_position_bps: close_bps,
                        liquidation_bps: liq_bps,
                        liquidator_reward_bps: reward_bps,
                        ..Fees::default()
                    },
                };
                (collateral, market)
            },
        )
}

/// One trader instruction (or time passing).
#[derive(Clone, Copy, Debug)]
enum TraderOp {
    Open {
        size_usd: u64,
        collateral_in: u64,
    },
    Increase {
        size_usd: u64,
        collateral_in: u64,
    },
    /// `part_bps` of the size, as a partial decrease (1 .. size - 1).
    Decrease {
        part_bps: u64,
    },
    AddCollateral {
        amount: u64,
    },
    /// `usd` micro-USD, or `part_bps` of the collateral (tokens counted as micro-USD) if not 0.
    RemoveCollateral {
        usd: u64,
        part_bps: u64,
    },
    Close,
    /// The trader liquidates its own position (it is paid the liquidator's reward).
    SelfLiquidate,
    /// The borrow index grows (time passes; the oracle price does not move).
    Accrue {
        index_delta: u64,
    },
}

/// A size and the collateral for it: mostly at a leverage of 1x .. 10x (so most opens and
/// increases pass), else 0.5x .. 120x (around the limits), or an unrelated amount.
fn sized() -> impl Strategy<Value = (u64, u64)> {
    (
        log_range(1, 10_000_000_000_000), // 1 micro-USD .. 10M USD
        prop_oneof![
            4 => (10_000u64..=100_000).prop_map(Some),
            2 => (5_000u64..=1_200_000).prop_map(Some),
            1 => Just(None),
        ],
        log_range(1, 1_000_000_000_000), // 1 base unit .. 1M USDC
    )
        .prop_map(|(size_usd, leverage_bps, tokens)| {
            let collateral_in = match leverage_bps {
                // USDC base units are about micro-USD.
                Some(lev) => u64::try_from(u128::from(size_usd) * 10_000 / u128::from(lev))
                    .unwrap()
                    .max(1),
                None => tokens,
            };
            (size_usd, collateral_in)
        })
}

fn trader_op() -> impl Strategy<Value = TraderOp> {
    let tokens = || log_range(1, 1_000_000_000_000); // 1 base unit .. 1M USDC
    prop_oneof![
        2 => sized().prop_map(|(size_usd, collateral_in)| TraderOp::Open { size_usd, collateral_in }),
        3 => (sized(), any::<bool>()).prop_map(|((size_usd, collateral_in), fund)| TraderOp::Increase {
            size_usd,
            collateral_in: if fund { collateral_in } else { 0 },
        }),
        3 => (1u64..10_000).prop_map(|part_bps| TraderOp::Decrease { part_bps }),
        2 => tokens().prop_map(|amount| TraderOp::AddCollateral { amount }),
        2 => (log_range(1, 1_000_000_000), prop_oneof![Just(0u64), 1u64..=10_000])
            .prop_map(|(usd, part_bps)| TraderOp::RemoveCollateral { usd, part_bps }),
        1 => Just(TraderOp::Close),
        2 => Just(TraderOp::SelfLiquidate),
        2 => log_range(1, 100_000_000_000).prop_map(|index_delta| TraderOp::Accrue { index_delta }),
    ]
}

// ---------------------------------------------------------------------------------------------
// A trader's account, moved the way the handlers move it
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Trader {
    side: Side,
    /// PRICE_DECIMALS entry and exit prices at the constant oracle price.
    entry: u64,
    exit: u64,
    collateral: CollateralCustody,
    market: Market,
    position: Option<PositionState>,
    /// The borrow index now and the position's snapshot.
    index: u128,
    snapshot: u128,
    insurance_fund: u64,
    /// Collateral tokens the trader sent and received.
    tokens_in: u128,
    tokens_out: u128,
}

impl Trader {
    fn custody(&self) -> CollateralCustody {
        CollateralCustody {
            locked: self.position.map_or(0, |p| p.locked_amount),
            ..self.collateral
        }
    }

    fn interest(&self, position: &PositionState) -> Option<u64> {
        position_interest_usd(self.index, self.snapshot, position.size_usd).ok()
    }

    /// Applies `op`; a refused step changes nothing.
    fn apply(&mut self, op: TraderOp) {
        let custody = self.custody();
        match (op, self.position) {
            (
                TraderOp::Open {
                    size_usd,
                    collateral_in,
                },
                None,
            ) => {
                let r = compute_open_position(
                    self.side,
                    size_usd,
                    self.entry,
                    self.exit,
                    collateral_in,
                    &custody,
                    &self.market,
                );
                if let Ok(o) = r {
                    self.tokens_in += u128::from(collateral_in);
                    self.position = Some(PositionState {
                        side: self.side,
                        quantity: o.quantity,
                        size_usd,
                        collateral_amount: o.collateral_amount,
                        locked_amount: o.locked_amount,
                    });
                    self.snapshot = self.index;
                }
            }
            (
                TraderOp::Increase {
                    size_usd,
                    collateral_in,
                },
                Some(p),
            ) => {
                let Some(interest) = self.interest(&p) else {
                    return;
                };
                if let Ok(o) = compute_increase_position(
                    &p,
                    size_usd,
                    collateral_in,
                    self.entry,
                    self.exit,
                    interest,
                    &custody,
                    &self.market,
                ) {
                    self.tokens_in += u128::from(collateral_in);
                    self.position = Some(PositionState {
                        side: p.side,
                        quantity: o.quantity,
                        size_usd: o.size_usd,
                        collateral_amount: o.collateral_amount,
                        locked_amount: o.locked_amount,
                    });
                    self.snapshot = self.index;
                }
            }
            (TraderOp::Decrease { part_bps }, Some(p)) => {
                let delta = u64::try_from(u128::from(p.size_usd) * u128::from(part_bps) / 10_000)
                    .unwrap()
                    .clamp(1, p.size_usd.max(2) - 1);
                if delta >= p.size_usd {
                    return;
                }
                let Some(interest) = self.interest(&p) else {
                    return;
                };
                if let Ok(s) = compute_decrease_position(
                    &p,
                    delta,
                    self.exit,
                    interest,
                    self.insurance_fund,
                    &custody,
                    &self.market,
                ) {
                    assert!(!s.full);
                    self.tokens_out += u128::from(s.amount_out);
                    self.insurance_fund -= s.insurance_draw;
                    self.position = Some(PositionState {
                        side: p.side,
                        quantity: s.quantity,
                        size_usd: s.size_usd,
                        collateral_amount: s.collateral_amount,
                        locked_amount: s.locked_amount,
                    });
                    self.snapshot = self.index;
                }
            }
            (TraderOp::AddCollateral { amount }, Some(mut p)) => {
                if let Some(c) = p.collateral_amount.checked_add(amount) {
                    p.collateral_amount = c;
                    self.tokens_in += u128::from(amount);
                    self.position = Some(p);
                }
            }
            (TraderOp::RemoveCollateral { usd, part_bps }, Some(mut p)) => {
                let Some(interest) = self.interest(&p) else {
                    return;
                };
                let usd = if part_bps == 0 {
                    usd
                } else {
                    u64::try_from(u128::from(p.collateral_amount) * u128::from(part_bps) / 10_000)
                        .unwrap()
                };
                if let Ok(r) =
                    compute_remove_collateral(&p, usd, self.exit, interest, &custody, &self.market)
                {
                    self.tokens_out += u128::from(r.amount_out);
                    p.collateral_amount = r.collateral_amount;
                    self.position = Some(p);
                }
            }
            (TraderOp::Close, Some(_)) => {
                self.close();
            }
            (TraderOp::SelfLiquidate, Some(p)) => {
                let Some(interest) = self.interest(&p) else {
                    return;
                };
                if let Ok(s) = compute_liquidation(
                    &p,
                    self.exit,
                    interest,
                    self.insurance_fund,
                    &custody,
                    &self.market,
                ) {
                    self.tokens_out += u128::from(s.paid.reward_paid);
                    self.insurance_fund -= s.insurance_draw;
                    self.position = None;
                }
            }
            (TraderOp::Accrue { index_delta }, _) => {
                self.index += u128::from(index_delta);
            }
            _ => {}
        }
    }

    /// Closes the position if there is one (a full close only fails on an overflow).
    fn close(&mut self) -> bool {
        let Some(p) = self.position else {
            return true;
        };
        let Some(interest) = self.interest(&p) else {
            return false;
        };
        match compute_decrease_position(
            &p,
            p.size_usd,
            self.exit,
            interest,
            self.insurance_fund,
            &self.custody(),
            &self.market,
        ) {
            Ok(s) => {
                assert!(s.full);
                self.tokens_out += u128::from(s.amount_out);
                self.insurance_fund -= s.insurance_draw;
                self.position = None;
                true
            }
            Err(_) => false,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100_000))]

    /// (a) At a constant oracle price, whatever one trader does (open, increase, partial
    /// decrease, add / remove collateral, close, liquidate itself, with interest accruing
    /// between steps), it ends with at most the collateral tokens it put in.
    #[test]
    fn trader_never_gains_at_constant_price(
        (collateral, market) in venue(),
        side in side(),
        oracle in price(),
        insurance_fund in prop_oneof![Just(0u64), log_range(1, 1_000_000_000_000)],
        first in sized(),
        ops in proptest::collection::vec(trader_op(), 1..16),
    ) {
        let prices = TradePrices { lo: oracle, hi: oracle };
        let spread = market.pricing.trade_spread_long_bps;
        let (Ok(entry), Ok(exit)) = (entry_price(side, prices, spread), exit_price(side, prices, spread)) else {
            return Ok(());
        };
        let mut trader = Trader {
            side,
            entry,
            exit,
            collateral,
            market,
            position: None,
            index: 0,
            snapshot: 0,
            insurance_fund,
            tokens_in: 0,
            tokens_out: 0,
        };
        let mut trace: Vec<(TraderOp, Option<PositionState>, u128, u128)> = Vec::new();
        let open = TraderOp::Open { size_usd: first.0, collateral_in: first.1 };
        for op in std::iter::once(open).chain(ops) {
            trader.apply(op);
            trace.push((op, trader.position, trader.tokens_in, trader.tokens_out));
            prop_assert!(
                trader.position.is_some() || trader.tokens_out <= trader.tokens_in,
                "flat with a gain: {:?}", trace
            );
        }
        prop_assert!(trader.close(), "close failed: {:?}", trace);
        prop_assert!(
            trader.tokens_out <= trader.tokens_in,
            "in {} out {}: {:?}", trader.tokens_in, trader.tokens_out, trace
        );
    }

    /// (b) A partial decrease followed by a close of the rest, at one exit price, pays the owner
    /// no more than closing the whole position at once, whatever the price did since the open.
    #[test]
    fn decrease_then_close_pays_no_more_than_one_close(
        (collateral, market) in venue(),
        side in side(),
        oracle in price(),
        size_usd in log_range(2, 10_000_000_000_000),
        collateral_in in log_range(1, 1_000_000_000_000),
        move_bps in 0u64..=20_000,
        part_bps in 1u64..10_000,
        interest_usd in prop_oneof![Just(0u64), log_range(1, 1_000_000_000)],
        insurance_fund in prop_oneof![Just(0u64), log_range(1, 1_000_000_000_000)],
    ) {
        let prices = TradePrices { lo: oracle, hi: oracle };
        let spread = market.pricing.trade_spread_long_bps;
        let (Ok(entry), Ok(open_exit)) = (entry_price(side, prices, spread), exit_price(side, prices, spread)) else {
            return Ok(());
        };
        let Ok(open) = compute_open_position(side, size_usd, entry, open_exit, collateral_in, &collateral, &market) else {
            return Ok(());
        };
        let position = PositionState {
            side,
            quantity: open.quantity,
            size_usd,
            collateral_amount: open.collateral_amount,
            locked_amount: open.locked_amount,
        };
        let custody = CollateralCustody { locked: open.locked_amount, ..collateral };
        // The oracle moved by -100 % .. +100 %.
        let moved = u64::try_from(u128::from(oracle) * u128::from(move_bps) / 10_000).unwrap();
        let Ok(exit) = exit_price(side, TradePrices { lo: moved, hi: moved }, spread) else {
            return Ok(());
        };
        let once = compute_decrease_position(&position, size_usd, exit, interest_usd, insurance_fund, &custody, &market).unwrap();
        let delta = u64::try_from(u128::from(size_usd) * u128::from(part_bps) / 10_000).unwrap().clamp(1, size_usd - 1);
        if let Ok(first) = compute_decrease_position(&position, delta, exit, interest_usd, insurance_fund, &custody, &market) {
            let rest = PositionState {
                side,
                quantity: first.quantity,
                size_usd: first.size_usd,
                collateral_amount: first.collateral_amount,
                locked_amount: first.locked_amount,
            };
            let custody = CollateralCustody { locked: first.locked_amount, ..custody };
            // The interest was settled by the decrease: the close owes none.
            let second = compute_decrease_position(&rest, rest.size_usd, exit, 0, insurance_fund - first.insurance_draw, &custody, &market).unwrap();
            prop_assert!(
                u128::from(first.amount_out) + u128::from(second.amount_out) <= u128::from(once.amount_out),
                "{} + {} > {} (exit {})", first.amount_out, second.amount_out, once.amount_out, exit
            );
            // The quantity is conserved across the pieces.
            prop_assert_eq!(first.quantity_delta + second.quantity_delta, position.quantity);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// (a, finding 4) A liquidator (the owner itself, say) is paid only out of what is left once
    /// the LPs have their loss and interest: while any of it goes unpaid (insurance draw, bad
    /// debt) the reward is zero, and the pot is split exactly.
    #[test]
    fn liquidation_reward_never_comes_out_of_the_lps_claim(
        (collateral, market) in venue(),
        side in side(),
        oracle in price(),
        (size_usd, collateral_in) in sized(),
        move_bps in 0u64..=20_000,
        interest_usd in prop_oneof![Just(0u64), log_range(1, 1_000_000_000)],
        insurance_fund in prop_oneof![Just(0u64), log_range(1, 1_000_000_000_000)],
    ) {
        let prices = TradePrices { lo: oracle, hi: oracle };
        let spread = market.pricing.trade_spread_long_bps;
        let (Ok(entry), Ok(open_exit)) = (entry_price(side, prices, spread), exit_price(side, prices, spread)) else {
            return Ok(());
        };
        let Ok(open) = compute_open_position(side, size_usd, entry, open_exit, collateral_in, &collateral, &market) else {
            return Ok(());
        };
        let position = PositionState {
            side,
            quantity: open.quantity,
            size_usd,
            collateral_amount: open.collateral_amount,
            locked_amount: open.locked_amount,
        };
        let custody = CollateralCustody { locked: open.locked_amount, ..collateral };
        let moved = u64::try_from(u128::from(oracle) * u128::from(move_bps) / 10_000).unwrap();
        let Ok(exit) = exit_price(side, TradePrices { lo: moved, hi: moved }, spread) else {
            return Ok(());
        };
        if let Ok(l) = compute_liquidation(&position, exit, interest_usd, insurance_fund, &custody, &market) {
            let lp_owed = l.loss_amount + l.interest_amount;
            let pot = position.collateral_amount + l.profit_amount;
            prop_assert_eq!(l.paid.lp_paid + l.paid.reward_paid + l.paid.fee_paid + l.paid.rest, pot);
            prop_assert_eq!(l.paid.lp_paid, lp_owed.min(pot));
            if l.paid.lp_paid < lp_owed || l.insurance_draw > 0 || l.bad_debt_amount > 0 {
                prop_assert_eq!(l.paid.reward_paid, 0);
                prop_assert_eq!(l.paid.fee_paid, 0);
            }
            prop_assert_eq!(l.amount_out, 0);
        }
    }

    /// A self-liquidation never pays the owner more than a close: for any liquidatable position
    /// (any collateral, any entry, any exit price, interest owed), the reward the liquidation
    /// pays is at most what a full close at the same exit price and interest pays the owner. The
    /// liquidation fee is paid before the reward and is at least the close fee (a valid config),
    /// so the reward is `min(reward, max(0, E - liquidation fee)) <= max(0, E - close fee)`, E
    /// being what is left after the LPs' loss and interest.
    #[test]
    fn self_liquidation_pays_no_more_than_a_close(
        (collateral, market) in venue(),
        side in side(),
        entry in price(),
        size_usd in log_range(1, 10_000_000_000_000),
        collateral_amount in log_range(1, 1_000_000_000_000),
        move_bps in 0u64..=20_000,
        interest_usd in prop_oneof![Just(0u64), log_range(1, 1_000_000_000)],
        insurance_fund in prop_oneof![Just(0u64), log_range(1, 1_000_000_000_000)],
    ) {
        let Ok(quantity) = crate::math::pnl::entry_quantity(side, size_usd, entry) else { return Ok(()); };
        let Ok(locked_amount) = crate::math::trade::locked_amount_for(size_usd, market.pricing.max_payoff_mult_bps, &collateral) else {
            return Ok(());
        };
        if quantity == 0 {
            return Ok(());
        }
        let position = PositionState { side, quantity, size_usd, collateral_amount, locked_amount };
        let custody = CollateralCustody { locked: locked_amount, ..collateral };
        let moved = u64::try_from(u128::from(entry) * u128::from(move_bps) / 10_000).unwrap();
        let spread = market.pricing.trade_spread_long_bps;
        let Ok(exit) = exit_price(side, TradePrices { lo: moved, hi: moved }, spread) else {
            return Ok(());
        };
        let Ok(liquidation) = compute_liquidation(&position, exit, interest_usd, insurance_fund, &custody, &market) else {
            return Ok(());
        };
        let close = compute_decrease_position(&position, size_usd, exit, interest_usd, insurance_fund, &custody, &market);
        if let Ok(close) = close {
            prop_assert!(
                liquidation.paid.reward_paid <= close.amount_out,
                "reward {} > close {}: {:?} {:?}", liquidation.paid.reward_paid, close.amount_out, liquidation, close
            );
            // The LPs' claim is paid (or drawn) identically by both.
            prop_assert_eq!(liquidation.paid.lp_paid, close.paid.lp_paid);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Interest
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// (c) Accruing an interval in any number of pieces gives exactly the index of one accrual,
    /// so a position owes exactly the same interest and the custody's aggregate is the same,
    /// however often the permissionless update runs.
    #[test]
    fn interest_does_not_depend_on_the_accrual_schedule(
        start in 0u128..=u128::from(u64::MAX),
        rate in 0u64..=10_000_000_000,
        t0 in 0i64..=2_000_000_000,
        steps in proptest::collection::vec(0i64..=100_000, 0..40),
        size_usd in log_range(1, 10_000_000_000_000),
        snapshot_back in 0u128..=1_000_000_000,
        behind in proptest::collection::vec(any::<bool>(), 40),
    ) {
        let end = t0 + steps.iter().sum::<i64>();
        let once = accrued_cumulative_interest(start, rate, t0, end).unwrap();
        let mut index = start;
        let mut last = t0;
        let mut now = t0;
        for (step, back) in steps.iter().zip(behind.iter()) {
            now += step;
            // A call with a clock behind the last update accrues nothing.
            if *back {
                prop_assert_eq!(accrued_cumulative_interest(index, rate, last, last - 1).unwrap(), index);
            }
            index = accrued_cumulative_interest(index, rate, last, now).unwrap();
            last = last.max(now);
        }
        prop_assert_eq!(index, once);
        prop_assert_eq!(once - start, u128::from(rate) * u128::try_from(end - t0).unwrap());
        let snapshot = start.saturating_sub(snapshot_back);
        prop_assert_eq!(
            position_interest_usd(index, snapshot, size_usd).unwrap(),
            position_interest_usd(once, snapshot, size_usd).unwrap()
        );
        let weighted = u128::from(size_usd) * snapshot;
        for rounding in [Rounding::Floor, Rounding::Ceil] {
            prop_assert_eq!(
                aggregate_interest_usd(index, size_usd, weighted, rounding).unwrap(),
                aggregate_interest_usd(once, size_usd, weighted, rounding).unwrap()
            );
        }
    }

    /// (c) Settling a position's interest in pieces (an increase or a decrease settles what is
    /// owed and resets the snapshot) never collects less than settling it once: each piece
    /// rounds up.
    #[test]
    fn interest_settled_in_pieces_is_never_less(
        size_usd in log_range(1, 10_000_000_000_000),
        pieces in proptest::collection::vec(0u128..=1_000_000_000_000, 1..20),
    ) {
        let total: u128 = pieces.iter().sum();
        let once = u128::from(position_interest_usd(total, 0, size_usd).unwrap());
        let mut index = 0u128;
        let mut paid = 0u128;
        for piece in pieces {
            paid += u128::from(position_interest_usd(index + piece, index, size_usd).unwrap());
            index += piece;
        }
        prop_assert!(paid >= once, "{} < {}", paid, once);
    }
}

// ---------------------------------------------------------------------------------------------
// Liquidity
// ---------------------------------------------------------------------------------------------

/// A single-custody pool whose AUM is its owned tokens at a constant oracle price (no trading):
/// LP supply split into minted LP and dead shares.
#[derive(Clone, Copy, Debug)]
struct LpPool {
    owned: u64,
    minted: u64,
    dead: u64,
    decimals: u8,
    min_price: OraclePrice,
    max_price: OraclePrice,
    add_bps: u64,
    remove_bps: u64,
    share_bps: u64,
}

impl LpPool {
    /// `Pool::lp_supply`: minted + dead (None where the program's safe_add fails).
    fn supply(&self) -> Option<u64> {
        self.minted.checked_add(self.dead)
    }

    fn aum(&self, mode: AumMode) -> u128 {
        assets_under_management_usd(
            &[CustodyValuation {
                owned: self.owned,
                decimals: self.decimals,
                min_price: self.min_price,
                max_price: self.max_price,
                trading: Default::default(),
            }],
            mode,
        )
        .unwrap()
    }

    /// A deposit of `amount` tokens the way add_liquidity applies it: the LP minted.
    fn deposit(&mut self, amount: u64) -> Option<u64> {
        let out = compute_add_liquidity(
            amount,
            self.decimals,
            self.min_price,
            self.aum(AumMode::Max),
            self.supply()?,
            self.add_bps,
            self.share_bps,
        )
        .ok()?;
        // All or nothing, like a transaction.
        let owned = self.owned.checked_add(out.owned_increase)?;
        let minted = self.minted.checked_add(out.lp_amount_out)?;
        self.owned = owned;
        self.minted = minted;
        self.dead += out.dead_lp_amount;
        Some(out.lp_amount_out)
    }

    /// A redemption of `lp` the way remove_liquidity applies it: the tokens paid.
    fn withdraw(&mut self, lp: u64) -> Option<u64> {
        if lp > self.minted {
            return None;
        }
        let out = compute_remove_liquidity(
            lp,
            self.aum(AumMode::Min),
            self.supply()?,
            self.decimals,
            self.max_price,
            self.owned,
            self.remove_bps,
            self.share_bps,
        )
        .ok()?;
        self.owned -= out.owned_decrease;
        self.minted -= lp;
        Some(out.amount_out)
    }

    /// The pool gains tokens without issuing LP (fees, traders' losses, a donation).
    fn gain(&mut self, amount: u64) {
        self.owned = self.owned.saturating_add(amount);
    }

    /// The LP price as an exact rational: (min AUM, supply incl. the dead shares).
    fn price(&self) -> (u128, u128) {
        (
            self.aum(AumMode::Min),
            u128::from(self.minted) + u128::from(self.dead),
        )
    }

    /// `lp * aum / supply` (micro-USD at the min AUM) rounded as asked, exactly (256-bit).
    fn value(&self, lp: u64, rounding: Rounding) -> u128 {
        let (aum, supply) = self.price();
        if supply == 0 {
            return 0;
        }
        let (quotient, remainder) = wide_div(wide_mul(u128::from(lp), aum), supply);
        match rounding {
            Rounding::Ceil if remainder > 0 => quotient + 1,
            _ => quotient,
        }
    }
}

/// `(hi, lo) / d` for a quotient that fits u128: (quotient, remainder), by long division.
fn wide_div((hi, lo): (u128, u128), d: u128) -> (u128, u128) {
    assert!(hi < d, "quotient does not fit u128");
    let (mut q, mut r) = (0u128, hi);
    for bit in (0..128).rev() {
        // r < d; shift in the next bit of lo (r may exceed u128 by one bit: track the carry).
        let carry = r >> 127;
        r = (r << 1) | ((lo >> bit) & 1);
        if carry == 1 || r >= d {
            r = r.wrapping_sub(d);
            q |= 1 << bit;
        }
    }
    (q, r)
}

/// `a / b <= c / d` for non-negative rationals, exactly.
fn le(a: (u128, u128), c: (u128, u128)) -> bool {
    // a.0 * c.1 <= c.0 * a.1, with 256-bit products.
    wide_mul(a.0, c.1) <= wide_mul(c.0, a.1)
}

fn wide_mul(a: u128, b: u128) -> (u128, u128) {
    let mask = u128::from(u64::MAX);
    let (a_hi, a_lo) = (a >> 64, a & mask);
    let (b_hi, b_lo) = (b >> 64, b & mask);
    let lo = a_lo * b_lo;
    let mid1 = a_hi * b_lo;
    let mid2 = a_lo * b_hi;
    let hi = a_hi * b_hi;
    let (mid, carry) = mid1.overflowing_add(mid2);
    let (lo, carry_lo) = lo.overflowing_add(mid << 64);
    let hi = hi + (mid >> 64) + (u128::from(carry) << 64) + u128::from(carry_lo);
    (hi, lo)
}

/// A pool with no LP yet, or one with LP (including the dead shares) and the tokens behind it.
fn lp_pool() -> impl Strategy<Value = LpPool> {
    (
        prop_oneof![
            // No LP yet (with stray tokens or not), or LP and the tokens behind it.
            1 => Just((0u64, 0u64)),
            1 => log_range(1, 1_000_000_000_000_000).prop_map(|owned| (owned, 0)),
            3 => (log_range(1, 1_000_000_000_000_000), log_range(1, 1_000_000_000_000_000)),
        ],
        0u8..=9,
        log_range(1, 10_000_000_000_000), // min price, expo -8: 10^-8 .. 10^5 USD
        0u64..=200,                       // max - min, bps of min
        0u64..=100,
        0u64..=100,
        0u64..=10_000,
    )
        .prop_map(
            |((owned, minted), decimals, min, spread_bps, add_bps, remove_bps, share_bps)| {
                let max = min + min / 10_000 * spread_bps;
                LpPool {
                    owned,
                    minted,
                    dead: if minted == 0 { 0 } else { DEAD_LP_SUPPLY },
                    decimals,
                    min_price: OraclePrice {
                        price: min,
                        exponent: -8,
                    },
                    max_price: OraclePrice {
                        price: max,
                        exponent: -8,
                    },
                    add_bps,
                    remove_bps,
                    share_bps,
                }
            },
        )
}

#[derive(Clone, Copy, Debug)]
enum LpOp {
    Deposit(u64),
    /// `part_bps` of the LP held (at least 1).
    Withdraw(u64),
}

fn lp_op() -> impl Strategy<Value = LpOp> {
    prop_oneof![
        log_range(1, 1_000_000_000_000_000).prop_map(LpOp::Deposit),
        (1u64..=10_000).prop_map(LpOp::Withdraw),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// (d) At constant AUM (constant prices, no trading), any sequence of deposits and
    /// withdrawals by one LP, followed by redeeming all it holds, returns no more tokens than it
    /// put in; what it could not redeem is valued at its share of the min AUM.
    #[test]
    fn lp_never_gains_at_constant_aum(pool in lp_pool(), ops in proptest::collection::vec(lp_op(), 1..12)) {
        let mut pool = pool;
        let (mut held, mut tokens_in, mut tokens_out) = (0u64, 0u128, 0u128);
        for op in &ops {
            match *op {
                LpOp::Deposit(amount) => {
                    if let Some(lp) = pool.deposit(amount) {
                        held += lp;
                        tokens_in += u128::from(amount);
                    }
                }
                LpOp::Withdraw(part_bps) => {
                    let lp = u64::try_from(u128::from(held) * u128::from(part_bps) / 10_000).unwrap().max(1);
                    if lp <= held {
                        if let Some(out) = pool.withdraw(lp) {
                            held -= lp;
                            tokens_out += u128::from(out);
                        }
                    }
                }
            }
        }
        if held > 0 {
            if let Some(out) = pool.withdraw(held) {
                held = 0;
                tokens_out += u128::from(out);
            }
        }
        // Whatever could not be redeemed (dust), in tokens at the max price, rounded up: an
        // upper bound of what it could ever be worth at these prices.
        let left_usd = pool.value(held, Rounding::Ceil);
        let left = pool.max_price.usd_to_token(left_usd, pool.decimals, Rounding::Ceil).unwrap();
        prop_assert!(
            tokens_out + left <= tokens_in,
            "in {} out {} left {} ops {:?}", tokens_in, tokens_out, left, ops
        );
    }

    /// (d) Another LP's deposits and withdrawals never lower the value of an existing LP's
    /// holding (its share of the min AUM, the supply counting the dead shares): each operation
    /// rounds in the pool's favour.
    #[test]
    fn other_lps_never_lower_an_lps_value(pool in lp_pool(), first in log_range(1_000_001, 1_000_000_000_000_000), ops in proptest::collection::vec(lp_op(), 1..12)) {
        let mut pool = pool;
        // The existing LP's holding (fixed): its value moves with the LP price.
        if pool.deposit(first).is_none() {
            return Ok(());
        }
        let mut other = 0u64;
        let mut price = pool.price();
        for op in &ops {
            let before = pool;
            match *op {
                LpOp::Deposit(amount) => {
                    if let Some(lp) = pool.deposit(amount) {
                        other += lp;
                    }
                }
                LpOp::Withdraw(part_bps) => {
                    let lp = u64::try_from(u128::from(other) * u128::from(part_bps) / 10_000).unwrap().max(1);
                    if lp <= other && pool.withdraw(lp).is_some() {
                        other -= lp;
                    }
                }
            }
            let now = pool.price();
            prop_assert!(le(price, now), "{:?} -> {:?} after {:?} on {:?}", price, now, op, before);
            price = now;
        }
    }

    /// (d) The first-depositor inflation attack: the attacker makes the first (small) deposit
    /// and redeems all but a few LP units, the pool then gains `donation` (the attacker's donation: fees, a losing trade), then a
    /// victim deposits. Whatever the attacker redeems afterwards, it gets back less than it
    /// donated; the victim loses at most the value of one LP unit to the rounding.
    #[test]
    fn first_depositor_inflation_attack_does_not_pay(
        first in prop_oneof![1_000_001u64..=1_100_000, log_range(1_000_001, 1_000_000_000)],
        keep in 1u64..=10,
        donation in log_range(1, 1_000_000_000_000_000),
        victim in log_range(1, 1_000_000_000_000_000),
        decimals in 0u8..=9,
        min in log_range(1_000_000, 10_000_000_000),
        add_bps in 0u64..=30,
        remove_bps in 0u64..=30,
    ) {
        let price = OraclePrice { price: min, exponent: -8 };
        let mut pool = LpPool {
            owned: 0,
            minted: 0,
            dead: 0,
            decimals,
            min_price: price,
            max_price: price,
            add_bps,
            remove_bps,
            share_bps: 0,
        };
        // The attacker's first deposit: `first` micro-USD worth of tokens, rounded up.
        let amount = u64::try_from(price.usd_to_token(u128::from(first), decimals, Rounding::Ceil).unwrap()).unwrap();
        let Some(mut attacker_lp) = pool.deposit(amount) else { return Ok(()); };
        // It redeems all but `keep` LP units, to make each unit worth as much as possible.
        let mut attacker_out = 0u64;
        if attacker_lp > keep {
            if let Some(out) = pool.withdraw(attacker_lp - keep) {
                attacker_out += out;
                attacker_lp = keep;
            }
        }
        pool.gain(donation);
        // One LP unit at the AUM the victim's deposit is priced against (max, before it).
        let supply = u128::from(pool.minted + pool.dead);
        let unit = pool.aum(AumMode::Max).div_ceil(supply);
        let Some(victim_lp) = pool.deposit(victim) else { return Ok(()); };
        let victim_value = pool.value(victim_lp, Rounding::Floor);
        // The attacker redeems everything (if it can), first.
        attacker_out += pool.withdraw(attacker_lp).unwrap_or(0);
        prop_assert!(
            attacker_out <= amount || u128::from(attacker_out - amount) < u128::from(donation),
            "attacker put in {} + {} and got {}", amount, donation, attacker_out
        );
        // The victim's holding is worth at least what its deposit was credited (net of the fee,
        // valued like add_liquidity values it) less one LP unit, and two micro-USD of AUM and
        // value rounding.
        let fee = u64::try_from((u128::from(victim) * u128::from(add_bps)).div_ceil(10_000)).unwrap();
        let deposit_usd = price.token_to_usd(victim - fee, decimals, Rounding::Floor).unwrap();
        prop_assert!(
            victim_value + unit + 2 >= deposit_usd,
            "victim {} + unit {} < {}", victim_value, unit, deposit_usd
        );
    }
}

#[test]
fn wide_arithmetic_helpers() {
    for (a, b) in [
        (0u128, 1u128),
        (u128::MAX, u128::MAX),
        (u128::MAX, 3),
        (
            123_456_789_012_345_678_901_234_567,
            98_765_432_109_876_543_210,
        ),
    ] {
        assert_eq!(wide_div(wide_mul(a, b), b), (a, 0));
        if b > 1 {
            let (hi, lo) = wide_mul(a, b);
            let (lo, borrow) = lo.overflowing_sub(1);
            let hi = hi - u128::from(borrow);
            if (hi, lo) != (u128::MAX, u128::MAX) && a > 0 {
                assert_eq!(wide_div((hi, lo), b), (a - 1, b - 1));
            }
        }
    }
    assert!(le((1, 3), (1, 2)) && !le((1, 2), (1, 3)) && le((2, 4), (1, 2)));
}
