//! Liquidations against closes of the same position at the same price.

use super::*;

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
