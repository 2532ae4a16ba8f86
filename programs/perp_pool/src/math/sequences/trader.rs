//! One trader's instructions at a constant price, applied the way the handlers apply them.

use super::*;

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
