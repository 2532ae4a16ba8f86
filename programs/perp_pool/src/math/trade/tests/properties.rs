//! Properties over random markets and positions.

use super::*;

/// Oracle prices from 10^-4 USD to 10^6 USD (PRICE / 10^4 ..= PRICE x 10^6): a decade, then a
/// value in it.
fn oracle_price() -> impl Strategy<Value = u64> {
    let decades =
        crate::constants::PRICE_DECIMALS as u32 - 4..=crate::constants::PRICE_DECIMALS as u32 + 6;
    decades.prop_flat_map(|decade| {
        let lo = 10u64.pow(decade);
        (lo..=lo * 10).prop_map(|p| p.min(1_000_000 * PRICE))
    })
}

fn scenario() -> impl Strategy<Value = (Side, u64, u64, u64, u64, u64, u64)> {
    (
        prop_oneof![Just(Side::Long), Just(Side::Short)],
        oracle_price(),          // 10^-4 .. 10^6 USD
        1u64..=10_000_000 * USD, // size
        1u64..=1_000_000 * USD,  // collateral in
        0u64..=500,              // spread
        0u64..=100,              // fee bps
        0u64..=10_000,           // price move in bps (up or down)
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    /// Opening then closing at an unchanged oracle price never returns more than was deposited.
    #[test]
    fn open_then_close_at_same_price_creates_no_value((side, oracle, size, collateral_in, spread, fee_bps, _) in scenario()) {
        let mut m = market();
        m.pricing.trade_spread_long_bps = spread;
        m.pricing.trade_spread_short_bps = spread;
        m.pricing.min_initial_leverage_bps = 0;
        m.fees.open_position_bps = fee_bps;
        m.fees.close_position_bps = fee_bps;
        let c = usdc(u64::MAX / 4, 0);
        let prices = crate::math::pricing::TradePrices { lo: oracle, hi: oracle };
        let entry = crate::math::pricing::entry_price(side, prices, spread);
        if let Some((entry, open)) = entry.ok().and_then(|entry| Some((entry, compute_open_position(side, size, entry, crate::math::pricing::exit_price(side, prices, spread).ok()?, collateral_in, &c, &m).ok()?))) {
            prop_assert_eq!(open.quantity, entry_quantity(side, size, entry).unwrap());
            let exit = crate::math::pricing::exit_price(side, prices, spread).unwrap();
            let position = PositionState { side, quantity: open.quantity, size_usd: size, collateral_amount: open.collateral_amount, locked_amount: open.locked_amount };
            let c2 = CollateralCustody { locked: open.locked_amount, ..c };
            let close = compute_decrease_position(&position, size, exit, 0, 0, &c2, &m).unwrap();
            prop_assert!(close.amount_out <= collateral_in);
            prop_assert_eq!(close.pnl.profit_usd, 0);
            prop_assert!(settlement_conserves_tokens(&close, false));
        }
    }

    /// Every settlement (close, partial decrease, liquidation) conserves tokens, pays profit only
    /// up to the released lock, and never pays the owner on a liquidation.
    #[test]
    fn settlements_conserve_tokens((side, oracle, size, collateral_in, spread, fee_bps, mv) in scenario(), up in any::<bool>(), part in 1u64..=10_000, insurance in 0u64..=1_000 * USD) {
        let mut m = market();
        m.pricing.trade_spread_long_bps = spread;
        m.pricing.trade_spread_short_bps = spread;
        m.pricing.min_initial_leverage_bps = 0;
        m.fees.open_position_bps = fee_bps;
        m.fees.close_position_bps = fee_bps;
        valid_liquidation_fees(&mut m);
        let c = usdc(u64::MAX / 4, 0);
        let prices = crate::math::pricing::TradePrices { lo: oracle, hi: oracle };
        if let Some(open) = crate::math::pricing::entry_price(side, prices, spread).ok().and_then(|entry| compute_open_position(side, size, entry, crate::math::pricing::exit_price(side, prices, spread).ok()?, collateral_in, &c, &m).ok()) {
            let moved = if up { oracle + oracle / 10_000 * mv } else { oracle - oracle / 10_000 * mv };
            let exit = exit_price_at(side, moved, spread).unwrap();
            let position = PositionState { side, quantity: open.quantity, size_usd: size, collateral_amount: open.collateral_amount, locked_amount: open.locked_amount };
            let c2 = CollateralCustody { locked: open.locked_amount, ..c };
            let delta = (u128::from(size) * u128::from(part) / 10_000).max(1) as u64;
            if let Ok(out) = compute_decrease_position(&position, delta, exit, 0, insurance, &c2, &m) {
                prop_assert!(settlement_conserves_tokens(&out, false));
                prop_assert!(out.profit_amount <= out.locked_delta);
                prop_assert!(out.insurance_draw <= insurance);
            }
            if let Ok(out) = compute_liquidation(&position, exit, 0, insurance, &c2, &m) {
                prop_assert!(settlement_conserves_tokens(&out, true));
                prop_assert_eq!(out.amount_out, 0);
                prop_assert!(out.insurance_draw <= insurance);
            }
        }
    }

    /// The liquidation price from a real open position agrees with what `compute_liquidation`
    /// accepts: not liquidatable at it, liquidatable one tick past it.
    #[test]
    fn liquidate_agrees_with_liquidation_price((side, oracle, size, collateral_in, spread, fee_bps, _) in scenario()) {
        let mut m = market();
        m.pricing.trade_spread_long_bps = spread;
        m.pricing.trade_spread_short_bps = spread;
        m.pricing.min_initial_leverage_bps = 0;
        m.fees.open_position_bps = fee_bps;
        m.fees.close_position_bps = fee_bps;
        valid_liquidation_fees(&mut m);
        let c = usdc(u64::MAX / 4, 0);
        let prices = crate::math::pricing::TradePrices { lo: oracle, hi: oracle };
        if let Some(open) = crate::math::pricing::entry_price(side, prices, spread).ok().and_then(|entry| compute_open_position(side, size, entry, crate::math::pricing::exit_price(side, prices, spread).ok()?, collateral_in, &c, &m).ok()) {
            let position = PositionState { side, quantity: open.quantity, size_usd: size, collateral_amount: open.collateral_amount, locked_amount: open.locked_amount };
            let c2 = CollateralCustody { locked: open.locked_amount, ..c };
            let h = health_inputs(&position, 0, &c2, &m).unwrap();
            let p = liquidation_price(&h, spread).unwrap();
            let at = |price: u64| compute_liquidation(&position, exit_price_at(side, price, spread).unwrap(), 0, 0, &c2, &m);
            let past = match side {
                Side::Long if p > 0 && p != u64::MAX => Some(p - 1),
                Side::Short if p > 0 && p < crate::math::pnl::LIQUIDATION_PRICE_SEARCH_MAX => Some(p + 1),
                _ => None,
            };
            if let Some(past) = past {
                prop_assert!(err_is(at(p), "PositionHealthy"));
                prop_assert!(at(past).is_ok());
            }
        }
    }

    /// An open that is accepted is never liquidatable at the exit price of the same moment,
    /// whatever the spread and the spot/EMA gap: it is within the initial leverage there with
    /// its profit not counted, and the initial leverage is at most the maintenance leverage.
    #[test]
    fn opened_position_is_not_liquidatable_at_once((side, oracle, size, collateral_in, spread, fee_bps, gap_bps) in scenario()) {
        let mut m = market();
        m.pricing.trade_spread_long_bps = spread;
        m.pricing.trade_spread_short_bps = spread;
        m.pricing.min_initial_leverage_bps = 0;
        m.fees.open_position_bps = fee_bps;
        m.fees.close_position_bps = fee_bps;
        valid_liquidation_fees(&mut m);
        let c = usdc(u64::MAX / 4, 0);
        // Spot and EMA up to 10 % apart (use_ema: trades at max / min of them).
        let prices = crate::math::pricing::TradePrices { lo: oracle, hi: oracle + oracle / 100_000 * gap_bps };
        let (Ok(entry), Ok(exit)) = (crate::math::pricing::entry_price(side, prices, spread), crate::math::pricing::exit_price(side, prices, spread)) else {
            return Ok(());
        };
        if let Ok(open) = compute_open_position(side, size, entry, exit, collateral_in, &c, &m) {
            let position = PositionState { side, quantity: open.quantity, size_usd: size, collateral_amount: open.collateral_amount, locked_amount: open.locked_amount };
            let c2 = CollateralCustody { locked: open.locked_amount, ..c };
            prop_assert!(err_is(compute_liquidation(&position, exit, 0, 0, &c2, &m), "PositionHealthy"));
            prop_assert!(within_initial_leverage(&position, exit, 0, &c2, &m).unwrap());
        }
    }

    /// A partial decrease gives back `quantity * delta / size` rounded against the trader (long
    /// floor, short ceil), keeps the rest, and is refused when either piece would hold no
    /// quantity.
    #[test]
    fn decrease_splits_quantity_against_the_trader(side in prop_oneof![Just(Side::Long), Just(Side::Short)], quantity in 1u128..=1u128 << 60, size in 2u64..=10_000_000 * USD, part in 1u64..=9_999) {
        let c = usdc(u64::MAX / 4, u64::MAX / 8);
        let delta = (u128::from(size) * u128::from(part) / 10_000).clamp(1, u128::from(size) - 1) as u64;
        // Plenty of collateral, no fee pressure: only the quantity rule can refuse.
        let p = PositionState { side, quantity, size_usd: size, collateral_amount: u64::MAX / 16, locked_amount: size };
        let m = Market { pricing: PricingParams { max_leverage_bps: u64::MAX / 2, ..market().pricing }, ..market() };
        let exact_num = quantity * u128::from(delta);
        let expected = match side {
            Side::Long => exact_num / u128::from(size),
            Side::Short => exact_num.div_ceil(u128::from(size)),
        };
        // At 10^-9 USD per token (exit price 1) the quantity (at most 2^60 units, 1.2 x 10^6
        // tokens) is worth at most about a thousandth of a USD: no loss can exceed the collateral.
        match compute_decrease_position(&p, delta, 1, 0, 0, &c, &m) {
            Ok(out) => {
                prop_assert_eq!(out.quantity_delta, expected);
                prop_assert_eq!(out.quantity_delta + out.quantity, quantity);
                prop_assert!(out.quantity > 0 && out.quantity_delta > 0);
            }
            Err(e) => {
                let name = crate::math::error_name::<()>(&Err(e));
                prop_assert!(expected == 0 || expected == quantity, "{:?} expected {}", name, expected);
                prop_assert_eq!(name.as_deref(), Some("NoExposureChange"));
            }
        }
    }
}
