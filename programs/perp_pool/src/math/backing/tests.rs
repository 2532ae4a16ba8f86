use {
    super::*,
    crate::{
        math::{
            error_name,
            exposure::{crossing, ExposureBook, Threshold},
            pnl::{aggregate_pnl_usd, liquidation_price_backed, position_pnl, quantity_scale},
            pricing::{entry_price, exit_price, exit_price_at, TradePrices},
            trade::{
                compute_decrease_position, compute_open_position, health_inputs, CollateralCustody,
                Market, PositionState,
            },
        },
        types::{BorrowRateParams, Fees, PricingParams},
    },
    proptest::prelude::*,
};

const USD: u64 = 1_000_000;
/// 1 USD in PRICE_DECIMALS.
const PRICE: u64 = 1_000_000_000;
/// One whole token, QUANTITY_DECIMALS.
const TOKEN: u128 = 1_000_000_000_000;
/// SOL-like custody decimals.
const DECIMALS: u8 = 9;
const SOL: u64 = 1_000_000_000;

#[test]
fn the_collateral_rule() {
    // stable collateral of another custody: any side
    assert!(collateral_custody_allowed(Side::Long, false, true));
    assert!(collateral_custody_allowed(Side::Short, false, true));
    // volatile collateral of another custody: never
    assert!(!collateral_custody_allowed(Side::Long, false, false));
    assert!(!collateral_custody_allowed(Side::Short, false, false));
    // the traded custody itself: longs only (asset-backed), stable or not
    assert!(collateral_custody_allowed(Side::Long, true, false));
    assert!(collateral_custody_allowed(Side::Long, true, true));
    assert!(!collateral_custody_allowed(Side::Short, true, false));
    assert!(!collateral_custody_allowed(Side::Short, true, true));
}

#[test]
fn tokens_convert_to_quantity_exactly_within_decimals_bounds() {
    assert_eq!(tokens_to_quantity(SOL, 9).unwrap(), TOKEN);
    assert_eq!(tokens_to_quantity(1, 9).unwrap(), 1_000);
    assert_eq!(tokens_to_quantity(1, 12).unwrap(), 1);
    assert_eq!(
        tokens_to_quantity(u64::MAX, 0).unwrap(),
        u128::from(u64::MAX) * TOKEN
    );
    assert_eq!(
        error_name(&tokens_to_quantity(1, 13)).as_deref(),
        Some("InvalidCollateralCustody")
    );
    assert_eq!(
        error_name(&aliased_registration(Side::Short, TOKEN, USD, 1, 1, 9, 0)).as_deref(),
        Some("InvalidCollateralCustody")
    );
}

/// A side's claim from its aggregates: the books' bound for the mode and the clamp in token
/// terms, as `TradingValuation::value_usd` computes it at `price`.
struct Side_ {
    size_usd: u64,
    quantity: u128,
    collateral_usd: u64,
    collateral_quantity: u128,
    max_profit_usd: u128,
    max_profit_quantity: u128,
    cap_book: ExposureBook,
    bankruptcy_book: ExposureBook,
}

impl Side_ {
    fn new() -> Self {
        Side_ {
            size_usd: 0,
            quantity: 0,
            collateral_usd: 0,
            collateral_quantity: 0,
            max_profit_usd: 0,
            max_profit_quantity: 0,
            cap_book: ExposureBook::default(),
            bankruptcy_book: ExposureBook::default(),
        }
    }

    fn add(&mut self, r: &Registration, size_usd: u64, quantity: u128, collateral_usd: u64) {
        self.size_usd += size_usd;
        self.quantity += quantity;
        self.collateral_usd += collateral_usd;
        self.collateral_quantity += r.collateral_quantity;
        self.max_profit_usd += u128::from(r.max_profit_usd);
        self.max_profit_quantity += r.max_profit_quantity;
        let long = Side::Long;
        self.cap_book
            .add(crossing(long, Threshold::Cap), r.cap.quantity, r.cap.usd)
            .unwrap();
        self.bankruptcy_book
            .add(
                crossing(long, Threshold::Bankruptcy),
                r.bankruptcy.quantity,
                r.bankruptcy.usd,
            )
            .unwrap();
    }

    /// Longs' claim at `price`: `rounding` Ceil = min mode (upper bound), Floor = max mode.
    fn claim(&self, price: u64, rounding: Rounding) -> i128 {
        let (above, bad) = match rounding {
            Rounding::Ceil => (
                0,
                self.bankruptcy_book
                    .excess_usd(crossing(Side::Long, Threshold::Bankruptcy), price)
                    .unwrap(),
            ),
            Rounding::Floor => (
                self.cap_book
                    .excess_usd(crossing(Side::Long, Threshold::Cap), price)
                    .unwrap(),
                0,
            ),
        };
        let (c, k) = side_clamp_usd(
            self.collateral_usd,
            self.collateral_quantity,
            self.max_profit_usd,
            self.max_profit_quantity,
            price,
            rounding,
        )
        .unwrap();
        aggregate_pnl_usd(
            Side::Long,
            self.size_usd,
            self.quantity,
            c,
            price,
            k,
            rounding,
            above,
            bad,
        )
        .unwrap()
    }
}

/// One long: `(quantity, size, collateral tokens, locked tokens, interest, aliased)`; a
/// non-aliased one's tokens are USDC-like (6 decimals at 1 USD).
type Long = (u128, u64, u64, u64, u64, bool);

fn register(p: &Long) -> (Registration, u64) {
    let &(q, s, c, l, i, aliased) = p;
    if aliased {
        (
            aliased_registration(Side::Long, q, s, c, l, DECIMALS, i).unwrap(),
            0,
        )
    } else {
        // USDC at 1 USD: c and l are micro-USD.
        let (cap, bankruptcy) =
            crate::math::exposure::position_thresholds(Side::Long, s, c, l, i).unwrap();
        (
            Registration {
                cap: BookEntry {
                    quantity: q,
                    usd: cap,
                },
                bankruptcy: BookEntry {
                    quantity: q,
                    usd: bankruptcy,
                },
                max_profit_usd: l,
                ..Registration::default()
            },
            c,
        )
    }
}

/// The exact `Σ clamp(x_i, -c_i(P), k_i(P))` in units of USD / scale (no rounding).
fn truth_scaled(positions: &[Long], price: u64) -> i128 {
    let scale = quantity_scale().unwrap() as i128;
    let p = i128::from(price);
    positions
        .iter()
        .map(|&(q, s, c, l, _, aliased)| {
            let x = q as i128 * p - i128::from(s) * scale;
            let (lo, hi) = if aliased {
                let cq = tokens_to_quantity(c, DECIMALS).unwrap() as i128;
                let lq = tokens_to_quantity(l, DECIMALS).unwrap() as i128;
                (-(cq * p), lq * p)
            } else {
                (-(i128::from(c) * scale), i128::from(l) * scale)
            };
            x.clamp(lo, hi)
        })
        .sum()
}

#[test]
fn an_asset_backed_longs_cap_moves_with_the_price() {
    // Registered at P0 = 100 with 1 SOL locked and 1 SOL of collateral, size 500 USD (5 SOL).
    let (q, s) = (5 * TOKEN, 500 * USD);
    let p = (q, s, SOL, SOL, 0, true);
    let (r, _) = register(&p);
    assert_eq!(r.max_profit_usd, 0);
    assert_eq!(r.max_profit_quantity, TOKEN);
    assert_eq!(
        r.cap,
        BookEntry {
            quantity: 4 * TOKEN,
            usd: u128::from(s)
        }
    );
    assert_eq!(
        r.bankruptcy,
        BookEntry {
            quantity: 6 * TOKEN,
            usd: u128::from(s)
        }
    );
    let mut side = Side_::new();
    side.add(&r, s, q, 0);
    // At P = 300: the position's PnL is 1000 USD, capped at the lock's value 300 USD (the fixed
    // registration would have said 100).
    let p300 = 300 * PRICE;
    assert_eq!(side.claim(p300, Rounding::Ceil), 300 * i128::from(USD));
    assert_eq!(side.claim(p300, Rounding::Floor), 300 * i128::from(USD));
    // At P = 120: PnL 100 USD, under the cap (120): exact in both modes.
    let p120 = 120 * PRICE;
    assert_eq!(side.claim(p120, Rounding::Floor), 100 * i128::from(USD));
    assert_eq!(side.claim(p120, Rounding::Ceil), 100 * i128::from(USD));
    // At P = 50: PnL -250 USD, the collateral is worth 50: the claim is -50 (bankrupt), and the
    // min mode's bound must not go below it.
    let p50 = 50 * PRICE;
    assert!(side.claim(p50, Rounding::Ceil) >= -50 * i128::from(USD));
    assert!(side.claim(p50, Rounding::Floor) <= -50 * i128::from(USD));
    assert!(side.claim(p50, Rounding::Floor) >= -250 * i128::from(USD));
}

fn long() -> impl Strategy<Value = Long> {
    // Entry 10^-2 .. 10^5 USD, leverage 1.1x .. 100x, lock 0 .. 10x the size in tokens.
    (
        1u64..=10_000_000 * PRICE / 100,
        1u64..=1_000_000 * USD,
        11u64..=1_000,
        0u64..=100_000,
        0u64..=1_000,
        any::<bool>(),
    )
        .prop_map(|(entry, s, lev10, lock_bps, interest_bps, aliased)| {
            let entry = entry.max(PRICE / 100);
            let q = u128::from(s) * quantity_scale().unwrap() / u128::from(entry);
            let collateral_usd = u64::try_from(u128::from(s) * 10 / u128::from(lev10)).unwrap();
            let lock_usd = u64::try_from(u128::from(s) * u128::from(lock_bps) / 10_000).unwrap();
            let interest =
                u64::try_from(u128::from(s) * u128::from(interest_bps) / 10_000).unwrap();
            if aliased {
                // tokens at the entry price (9 decimals)
                let tokens = |usd: u64| {
                    u64::try_from(u128::from(usd) * u128::from(PRICE) * 1_000 / u128::from(entry))
                        .unwrap_or(u64::MAX / 1024)
                };
                (
                    q,
                    s,
                    tokens(collateral_usd),
                    tokens(lock_usd),
                    interest,
                    true,
                )
            } else {
                (q, s, collateral_usd, lock_usd, interest, false)
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The exposure-book property extended to asset-backed longs (mixed with USDC-backed ones):
    /// at any price, min-mode claim >= Σ clamp(x_i, -c_i(P), k_i(P)) >= max-mode claim, so the
    /// min-mode AUM never overstates the pool (redeemers) and the max-mode AUM never understates
    /// it (depositors).
    #[test]
    fn min_mode_bounds_the_claim_from_above_and_max_mode_from_below(
        positions in prop::collection::vec(long(), 1..24),
        prices in prop::collection::vec(1u64..=10_000_000 * PRICE, 1..8),
    ) {
        let mut side = Side_::new();
        for p in &positions {
            let (r, collateral_usd) = register(p);
            side.add(&r, p.1, p.0, collateral_usd);
        }
        let scale = quantity_scale().unwrap() as i128;
        for &price in &prices {
            let truth = truth_scaled(&positions, price);
            let hi = side.claim(price, Rounding::Ceil);
            let lo = side.claim(price, Rounding::Floor);
            prop_assert!(hi * scale >= truth, "min mode {} < truth {} at {}", hi, truth / scale, price);
            prop_assert!(lo * scale <= truth, "max mode {} > truth {} at {}", lo, truth / scale, price);
        }
    }

    /// Registration and its reversal leave the books and aggregates empty (what `remove`
    /// re-derives from the unchanged amounts equals what `add` registered).
    #[test]
    fn registration_is_reversible(positions in prop::collection::vec(long(), 1..24)) {
        let mut cap = ExposureBook::default();
        let mut bankruptcy = ExposureBook::default();
        for p in positions.iter().filter(|p| p.5) {
            let r = aliased_registration(Side::Long, p.0, p.1, p.2, p.3, DECIMALS, p.4).unwrap();
            cap.add(crossing(Side::Long, Threshold::Cap), r.cap.quantity, r.cap.usd).unwrap();
            bankruptcy.add(crossing(Side::Long, Threshold::Bankruptcy), r.bankruptcy.quantity, r.bankruptcy.usd).unwrap();
        }
        for p in positions.iter().filter(|p| p.5) {
            let r = aliased_registration(Side::Long, p.0, p.1, p.2, p.3, DECIMALS, p.4).unwrap();
            // `remove` re-derives the quantities with interest 0 and takes the usd stored on the
            // position: the quantities do not depend on the interest.
            let again = aliased_registration(Side::Long, p.0, p.1, p.2, p.3, DECIMALS, 0).unwrap();
            prop_assert_eq!(again.cap.quantity, r.cap.quantity);
            prop_assert_eq!(again.bankruptcy.quantity, r.bankruptcy.quantity);
            cap.remove(crossing(Side::Long, Threshold::Cap), again.cap.quantity, r.cap.usd).unwrap();
            bankruptcy.remove(crossing(Side::Long, Threshold::Bankruptcy), again.bankruptcy.quantity, r.bankruptcy.usd).unwrap();
        }
        prop_assert_eq!(cap, ExposureBook::default());
        prop_assert_eq!(bankruptcy, ExposureBook::default());
    }
}

/// A SOL-like custody (9 decimals) at oracle price `price` (PRICE_DECIMALS), as the collateral
/// view of an asset-backed long.
fn sol(price: u64) -> CollateralCustody {
    let p = OraclePrice {
        price,
        exponent: -i32::from(PRICE_DECIMALS),
    };
    CollateralCustody {
        decimals: DECIMALS,
        min_price: p,
        max_price: p,
        owned: u64::MAX / 4,
        locked: 0,
        pricing: PricingParams::default(),
        fees: Fees::default(),
        borrow_rate: BorrowRateParams::default(),
    }
}

fn market(spread: u64, mult_bps: u64, fee_bps: u64) -> Market {
    Market {
        pricing: PricingParams {
            trade_spread_long_bps: spread,
            trade_spread_short_bps: spread,
            min_initial_leverage_bps: 0,
            max_initial_leverage_bps: 1_000_000,
            max_leverage_bps: 1_000_000,
            max_payoff_mult_bps: mult_bps,
            ..PricingParams::default()
        },
        fees: Fees {
            open_position_bps: fee_bps,
            close_position_bps: fee_bps,
            ..Fees::default()
        },
        skew: crate::math::trade::MarketSkew::default(),
    }
}

fn oracle_price() -> impl Strategy<Value = u64> {
    (5u32..=15).prop_flat_map(|d| {
        let lo = 10u64.pow(d);
        lo..=lo * 10
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Locking `size · mult / max price` tokens (mult >= 1x) covers an asset-backed long's profit
    /// at EVERY later price: its profit is never capped, and the tokens a full close pays for it
    /// never exceed the lock (the pool can always pay from what it reserved).
    #[test]
    fn the_lock_covers_an_asset_backed_longs_profit_at_every_price(
        p0 in oracle_price(),
        p1 in oracle_price(),
        size in 1u64..=1_000_000 * USD,
        collateral_in in 1u64..=1_000 * SOL,
        spread in 0u64..=300,
        mult in 10_000u64..=50_000,
        fee_bps in 0u64..=50,
    ) {
        let m = market(spread, mult, fee_bps);
        let c0 = sol(p0);
        let prices = TradePrices { lo: p0, hi: p0 };
        let entry = entry_price(Side::Long, prices, spread).unwrap();
        let exit0 = exit_price(Side::Long, prices, spread).unwrap();
        if let Ok(open) = compute_open_position(Side::Long, size, entry, exit0, collateral_in, &c0, &m) {
            let position = PositionState {
                side: Side::Long,
                quantity: open.quantity,
                size_usd: size,
                collateral_amount: open.collateral_amount,
                locked_amount: open.locked_amount,
            };
            let c1 = CollateralCustody { locked: open.locked_amount, ..sol(p1) };
            let exit1 = exit_price_at(Side::Long, p1, spread).unwrap();
            let uncapped = position_pnl(Side::Long, open.quantity, exit1, size).unwrap();
            let health = health_inputs(&position, 0, &c1, &m).unwrap();
            prop_assert!(uncapped.profit_usd <= health.max_profit_usd,
                "profit {} above the lock's value {}", uncapped.profit_usd, health.max_profit_usd);
            if let Ok(close) = compute_decrease_position(&position, size, exit1, 0, 0, &c1, &m) {
                prop_assert_eq!(close.pnl.profit_usd, uncapped.profit_usd);
                prop_assert!(close.profit_amount <= open.locked_amount);
            }
        }
    }

    /// The liquidation price of an asset-backed long is the boundary of the predicate with the
    /// collateral revalued at each price: not liquidatable at it, liquidatable one tick below.
    #[test]
    fn the_asset_backed_liquidation_price_is_the_boundary(
        p0 in oracle_price(),
        size in 1u64..=1_000_000 * USD,
        collateral_in in 1u64..=1_000 * SOL,
        spread in 0u64..=300,
        fee_bps in 0u64..=50,
        interest in 0u64..=1_000 * USD,
    ) {
        let m = market(spread, 10_000, fee_bps);
        let c0 = sol(p0);
        let prices = TradePrices { lo: p0, hi: p0 };
        let entry = entry_price(Side::Long, prices, spread).unwrap();
        let exit0 = exit_price(Side::Long, prices, spread).unwrap();
        if let Ok(open) = compute_open_position(Side::Long, size, entry, exit0, collateral_in, &c0, &m) {
            let position = PositionState {
                side: Side::Long,
                quantity: open.quantity,
                size_usd: size,
                collateral_amount: open.collateral_amount,
                locked_amount: open.locked_amount,
            };
            let backing = TokenBacking {
                collateral_amount: open.collateral_amount,
                locked_amount: open.locked_amount,
                decimals: DECIMALS,
            };
            let h0 = health_inputs(&position, interest, &c0, &m).unwrap();
            let boundary = liquidation_price_backed(&h0, spread, Some(&backing)).unwrap();
            // The health the program computes at oracle price p (collateral at min price p).
            let liquidatable = |p: u64| {
                let h = health_inputs(&position, interest, &sol(p), &m).unwrap();
                crate::math::pnl::is_liquidatable(&h, exit_price_at(Side::Long, p, spread).unwrap()).unwrap()
            };
            if boundary == u64::MAX {
                prop_assert!(liquidatable(crate::math::pnl::LIQUIDATION_PRICE_SEARCH_MAX));
            } else if boundary > 0 {
                prop_assert!(!liquidatable(boundary));
                prop_assert!(liquidatable(boundary - 1));
                // At or below the price now, not below the boundary with the collateral fixed at
                // its value now: a fall in price also shrinks the collateral.
                let fixed = crate::math::pnl::liquidation_price(&h0, spread).unwrap();
                if boundary <= p0 {
                    prop_assert!(boundary >= fixed, "boundary {} fixed {}", boundary, fixed);
                }
            }
        }
    }
}
