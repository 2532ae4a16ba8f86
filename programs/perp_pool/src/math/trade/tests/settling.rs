//! Decrease, close, liquidation, close at cap and the quantity split.

use super::*;

#[test]
fn close_at_profit_pays_collateral_plus_profit_minus_fees() {
    let p = long(100 * PRICE, 1_000 * USD, 99 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    // +10 % -> +100 USD, close fee 1 USD, interest 0.5 USD
    let out =
        compute_decrease_position(&p, 1_000 * USD, 110 * PRICE, 500_000, 0, &c, &market()).unwrap();
    assert!(out.full);
    assert_eq!(
        out.pnl,
        ProfitAndLoss {
            profit_usd: 100 * USD,
            loss_usd: 0
        }
    );
    assert_eq!(out.amount_out, 99 * USD + 100 * USD - USD - 500_000);
    assert_eq!(out.collateral_taken, 99 * USD);
    assert_eq!(out.owned_out, 100 * USD);
    // The 1 USD close fee: 20 % protocol, 10 % insurance, 15 % stakers, 55 % LPs.
    assert_eq!(out.owned_in, 500_000 + 550_000);
    assert_eq!(out.fee_split.stakers, 150_000);
    assert_eq!(out.locked_delta, 1_000 * USD);
    assert_eq!(out.bad_debt_amount, 0);
}

#[test]
fn close_at_loss_pays_lps_first() {
    let p = long(100 * PRICE, 1_000 * USD, 99 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    // -5 % -> -50 USD
    let out = compute_decrease_position(&p, 1_000 * USD, 95 * PRICE, 0, 0, &c, &market()).unwrap();
    assert_eq!(out.pnl.loss_usd, 50 * USD);
    assert_eq!(out.amount_out, 48 * USD);
    assert_eq!(out.owned_in, 50 * USD + 550_000);
}

#[test]
fn insolvent_close_draws_insurance_then_records_bad_debt() {
    let p = long(100 * PRICE, 1_000 * USD, 99 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    // -20 % -> 200 USD loss on 99 USD collateral: 101 USD short; 60 USD insurance.
    let out =
        compute_decrease_position(&p, 1_000 * USD, 80 * PRICE, 0, 60 * USD, &c, &market()).unwrap();
    assert_eq!(out.amount_out, 0);
    assert_eq!(out.paid.lp_paid, 99 * USD);
    assert_eq!(out.paid.fee_paid, 0);
    assert_eq!(out.insurance_draw, 60 * USD);
    assert_eq!(out.bad_debt_amount, 41 * USD);
    assert_eq!(out.bad_debt_usd, 41 * USD);
}

#[test]
fn partial_decrease_is_proportional_and_keeps_position_healthy() {
    let p = long(100 * PRICE, 1_000 * USD, 100 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    let out = compute_decrease_position(&p, 250 * USD, 100 * PRICE, 0, 0, &c, &market()).unwrap();
    assert!(!out.full);
    assert_eq!(out.locked_delta, 250 * USD);
    // 25 USD of collateral back less the 0.25 USD close fee
    assert_eq!(out.amount_out, 25 * USD - 250_000);
    assert_eq!(out.size_usd, 750 * USD);
    assert_eq!(out.collateral_amount, 75 * USD);
    assert_eq!(out.locked_amount, 750 * USD);
    assert!(err_is(
        compute_decrease_position(&p, 1_001 * USD, 100 * PRICE, 0, 0, &c, &market()),
        "InvalidPositionState"
    ));
    // At a 9 % loss the remaining 750 USD would be liquidatable (100x maintenance).
    assert!(err_is(
        compute_decrease_position(&p, 250 * USD, 91 * PRICE, 0, 0, &c, &market()),
        "MaxLeverageExceeded"
    ));
}

#[test]
fn waterfall_pays_lps_then_fee_then_reward() {
    let w = |pot| waterfall(pot, 15, 5, 2).unwrap();
    let paid = |lp_paid, fee_paid, reward_paid, rest| Waterfall {
        lp_paid,
        fee_paid,
        reward_paid,
        rest,
    };
    assert_eq!(w(30), paid(15, 5, 2, 8));
    assert_eq!(w(21), paid(15, 5, 1, 0));
    assert_eq!(w(20), paid(15, 5, 0, 0));
    assert_eq!(w(16), paid(15, 1, 0, 0));
    // Underwater: the LPs take the whole pot, the fee and the reward get nothing.
    assert_eq!(w(15), paid(15, 0, 0, 0));
    assert_eq!(w(10), paid(10, 0, 0, 0));
    assert_eq!(w(0), paid(0, 0, 0, 0));
}

#[test]
fn liquidation_pays_lps_then_fee_then_reward() {
    let p = long(100 * PRICE, 1_000 * USD, 20 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    assert!(err_is(
        compute_liquidation(&p, 100 * PRICE, 0, 0, &c, &market()),
        "PositionHealthy"
    ));
    // -1 %: loss 10, equity 20 - 10 - 1 = 9 -> 111x > 100x. The margin left (10 USD) pays a close
    // fee's worth (1 USD) of the 5 USD fee, the 2 USD reward, the other 4 USD of the fee; 3 USD
    // more go to the LPs.
    let out = compute_liquidation(&p, 99 * PRICE, 0, 0, &c, &market()).unwrap();
    assert_eq!(out.quantity_delta, 10 * TOKEN);
    assert_eq!(out.reward_amount, 2 * USD);
    assert_eq!(out.paid.lp_paid, 10 * USD);
    assert_eq!(out.paid.fee_paid, 5 * USD);
    assert_eq!(out.paid.reward_paid, 2 * USD);
    assert_eq!(out.paid.rest, 3 * USD);
    assert_eq!(out.owned_in, 10 * USD + out.fee_split.lp + 3 * USD);
    assert!(settlement_conserves_tokens(&out, true));
    // -1.5 %: loss 15, 5 USD left: 1 USD of fee, the 2 USD reward, 2 USD more of the fee.
    let out = compute_liquidation(&p, 98_500_000_000, 0, 0, &c, &market()).unwrap();
    assert_eq!(out.paid.lp_paid, 15 * USD);
    assert_eq!(out.paid.fee_paid, 3 * USD);
    assert_eq!(out.paid.reward_paid, 2 * USD);
    assert_eq!(out.paid.rest, 0);
    assert_eq!(out.owned_in, 15 * USD + out.fee_split.lp);
    assert_eq!(out.insurance_draw, 0);
    // -1.9 %: loss 19 of 20 collateral: LPs 19, the close fee's worth of the fee takes the 1 USD
    // left, no reward.
    let out = compute_liquidation(&p, 98_100_000_000, 0, 0, &c, &market()).unwrap();
    assert_eq!(out.paid.lp_paid, 19 * USD);
    assert_eq!(out.paid.fee_paid, USD);
    assert_eq!(out.paid.reward_paid, 0);
}

/// A self-liquidation pays its owner the reward; a close fee's worth of the liquidation fee
/// (which is never below the close fee) ranks before it, so that is never more than a close at
/// the same price would pay. At -1.3 % the 1_000 USD long with 20 USD of collateral is
/// liquidatable (equity 20 - 13 - 1 = 6 USD); a close pays 6 USD, a liquidation leaves 7 - 1 = 6
/// USD for the 2 USD reward, then 4 USD of fee. Near the end of the margin the original order
/// (reward first) paid the owner more than a close: at -1.75 % it got min(2, 2.5) = 2 USD of
/// reward where a close pays 1.5 USD; now it gets 2.5 - 1 = 1.5 USD, exactly the close.
#[test]
fn self_liquidation_pays_no_more_than_a_close() {
    let p = long(100 * PRICE, 1_000 * USD, 20 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    let m = market();
    let exit = 98_700_000_000;
    let liquidation = compute_liquidation(&p, exit, 0, 0, &c, &m).unwrap();
    let close = compute_decrease_position(&p, 1_000 * USD, exit, 0, 0, &c, &m).unwrap();
    assert_eq!(close.amount_out, 6 * USD);
    assert_eq!(liquidation.paid.fee_paid, 5 * USD);
    assert_eq!(liquidation.paid.reward_paid, 2 * USD);
    assert!(liquidation.paid.reward_paid <= close.amount_out);
    // Closer to the margin's end (-1.75 %: 20 - 17.5 = 2.5 USD after the LPs): close 1.5 USD,
    // the liquidation 1 USD of fee then 1.5 USD of reward, the rest of the fee nothing.
    let exit = 98_250_000_000;
    let liquidation = compute_liquidation(&p, exit, 0, 0, &c, &m).unwrap();
    let close = compute_decrease_position(&p, 1_000 * USD, exit, 0, 0, &c, &m).unwrap();
    assert_eq!(close.amount_out, 1_500_000);
    assert_eq!(liquidation.paid.fee_paid, USD);
    assert_eq!(liquidation.paid.reward_paid, 1_500_000);
    assert!(liquidation.paid.reward_paid <= close.amount_out);
    // A custody configured before liquidation_bps >= close_position_bps was enforced: the
    // liquidation fee is taken at the close fee at least, so the bound still holds.
    let mut cheap = m;
    cheap.fees.liquidation_bps = 5;
    let liquidation = compute_liquidation(&p, exit, 0, 0, &c, &cheap).unwrap();
    assert_eq!(liquidation.fee_usd, USD);
    assert!(liquidation.paid.reward_paid <= close.amount_out);
}

/// Finding 4: an underwater position pays no liquidator reward (its owner cannot self-liquidate
/// to recover the reward out of the LPs' loss); the whole collateral goes to the LPs first.
#[test]
fn underwater_liquidation_pays_no_reward() {
    let p = long(100 * PRICE, 1_000 * USD, 20 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    // -3 %: loss 30 on 20 USD collateral, 4 USD insurance.
    let out = compute_liquidation(&p, 97 * PRICE, 0, 4 * USD, &c, &market()).unwrap();
    assert_eq!(out.reward_usd, 2 * USD);
    assert_eq!(out.reward_amount, 2 * USD);
    assert_eq!(out.paid.lp_paid, 20 * USD);
    assert_eq!(out.paid.reward_paid, 0);
    assert_eq!(out.paid.fee_paid, 0);
    assert_eq!(out.paid.rest, 0);
    assert_eq!(out.insurance_draw, 4 * USD);
    assert_eq!(out.bad_debt_amount, 6 * USD);
    assert_eq!(out.bad_debt_usd, 6 * USD);
    assert_eq!(out.owned_in, 24 * USD);
    assert!(settlement_conserves_tokens(&out, true));
}

#[test]
fn proportional_quantity_does_not_overflow_where_the_plain_product_would() {
    // 2^120 * 2^63 overflows u128; the exact quotient (checked with arbitrary precision) does not.
    let (q, part, whole) = (1u128 << 120, 1u64 << 63, u64::MAX);
    assert!(q.checked_mul(u128::from(part)).is_none());
    assert_eq!(
        proportional_quantity(q, part, whole, Rounding::Floor).unwrap(),
        664_613_997_892_457_936_487_932_327_159_136_256
    );
    assert_eq!(
        proportional_quantity(q, part, whole, Rounding::Ceil).unwrap(),
        664_613_997_892_457_936_487_932_327_159_136_257
    );
    let q = 1_000_000_000_000_000_000_000_000_000_000u128 + 12_345;
    assert_eq!(
        proportional_quantity(q, 999_999_999_999, 1_000_000_000_000, Rounding::Floor).unwrap(),
        999_999_999_999_000_000_000_000_012_344
    );
    assert_eq!(
        proportional_quantity(q, 999_999_999_999, 1_000_000_000_000, Rounding::Ceil).unwrap(),
        999_999_999_999_000_000_000_000_012_345
    );
    assert!(err_is(
        proportional_quantity(1, 1, 0, Rounding::Floor),
        "MathOverflow"
    ));
}

proptest! {
    /// Where the plain product fits, the wide form equals `mul_div` exactly.
    #[test]
    fn proportional_quantity_equals_mul_div_when_it_fits(
        q in 0u128..(1u128 << 64),
        whole in 1u64..,
        part_frac in 0u64..=10_000,
        ceil in any::<bool>(),
    ) {
        let part = u64::try_from(u128::from(whole) * u128::from(part_frac) / 10_000).unwrap();
        let rounding = if ceil { Rounding::Ceil } else { Rounding::Floor };
        prop_assert_eq!(
            proportional_quantity(q, part, whole, rounding).unwrap(),
            mul_div(q, u128::from(part), u128::from(whole), rounding).unwrap()
        );
    }
}

#[test]
fn capped_predicate_is_the_settlement_cap() {
    let c = usdc(10_000 * USD, 1_500 * USD);
    // 1_500 USD long at 150 (10 SOL), cap 1_500 USD (1x): capped from 300 up.
    let p = long(150 * PRICE, 1_500 * USD, 98_500_000);
    assert!(!is_capped(&p, 300 * PRICE - 1, &c).unwrap());
    assert!(is_capped(&p, 300 * PRICE, &c).unwrap());
    assert!(is_capped(&p, 310 * PRICE, &c).unwrap());
    // A position at a loss is never capped, even with a cap that rounds to 0.
    let no_lock = PositionState {
        locked_amount: 0,
        ..p
    };
    assert!(!is_capped(&no_lock, 150 * PRICE, &c).unwrap());
    assert!(!is_capped(&no_lock, 100 * PRICE, &c).unwrap());
    assert!(is_capped(&no_lock, 151 * PRICE, &c).unwrap());
    // Short: profit = size - value; 1_500 USD short at 150 with a 0.5x cap (750 USD) is capped
    // once 10 SOL are worth 750 USD or less.
    let short = PositionState {
        side: Side::Short,
        quantity: entry_quantity(Side::Short, 1_500 * USD, 150 * PRICE).unwrap(),
        locked_amount: 750 * USD,
        ..p
    };
    assert!(!is_capped(&short, 75 * PRICE + 1, &c).unwrap());
    assert!(is_capped(&short, 75 * PRICE, &c).unwrap());
    assert!(err_is(
        compute_close_capped_position(&p, 300 * PRICE - 1, 0, 0, &c, &market()),
        "PositionNotCapped"
    ));
}

#[test]
fn close_at_cap_is_a_close_with_the_reward_taken_from_the_owner() {
    let c = usdc(10_000 * USD, 1_500 * USD);
    let m = market();
    let p = long(150 * PRICE, 1_500 * USD, 98_500_000);
    let interest = 2 * USD;
    let close =
        compute_decrease_position(&p, p.size_usd, 310 * PRICE, interest, 0, &c, &m).unwrap();
    let capped = compute_close_capped_position(&p, 310 * PRICE, interest, 0, &c, &m).unwrap();
    // reward = 20 bps of 1_500 USD
    assert_eq!(capped.reward_usd, 3 * USD);
    assert_eq!(capped.reward_amount, 3 * USD);
    assert_eq!(capped.paid.reward_paid, 3 * USD);
    assert_eq!(capped.amount_out, close.amount_out - 3 * USD);
    assert_eq!(capped.paid.rest, close.paid.rest - 3 * USD);
    // The LPs' claim, the fee and every custody change are the close's.
    assert_eq!(capped.paid.lp_paid, close.paid.lp_paid);
    assert_eq!(capped.paid.fee_paid, close.paid.fee_paid);
    assert_eq!(capped.fee_split, close.fee_split);
    assert_eq!(
        (
            capped.owned_in,
            capped.owned_out,
            capped.collateral_taken,
            capped.locked_delta
        ),
        (
            close.owned_in,
            close.owned_out,
            close.collateral_taken,
            close.locked_delta
        )
    );
    assert_eq!(capped.pnl.profit_usd, 1_500 * USD);
    // The reward never exceeds what the owner would get: a huge reward takes all of it.
    let greedy = Market {
        fees: Fees {
            liquidator_reward_bps: 10_000,
            ..m.fees
        },
        ..m
    };
    // 200 USD of interest leaves the owner 1_397 USD, less than a 100 % reward (1_500 USD).
    let interest = 200 * USD;
    let close =
        compute_decrease_position(&p, p.size_usd, 310 * PRICE, interest, 0, &c, &m).unwrap();
    let all = compute_close_capped_position(&p, 310 * PRICE, interest, 0, &c, &greedy).unwrap();
    assert_eq!(close.amount_out, 1_397 * USD);
    assert_eq!(all.paid.reward_paid, close.amount_out);
    assert_eq!(all.amount_out, 0);
    assert_eq!(all.paid.lp_paid, close.paid.lp_paid);
    assert_eq!(all.paid.fee_paid, close.paid.fee_paid);
}

/// Review findings on `close_capped_position`: the cap is valued at the collateral's MAX price
/// (a dip of its spot below the EMA does not make an uncapped position closable by a stranger),
/// and the keeper's reward never exceeds the profit paid (a tiny payoff cap cannot turn a forced
/// close into a loss for a winning trader).
#[test]
fn close_at_cap_ignores_collateral_dips_and_never_pays_more_reward_than_profit() {
    // 1_500 USD long at 150, cap 1_500 USDC. At 296 the profit is 1_460 USD: not capped at par.
    let p = long(150 * PRICE, 1_500 * USD, 98_500_000);
    let par = usdc(10_000 * USD, 1_500 * USD);
    assert!(!is_capped(&p, 296 * PRICE, &par).unwrap());
    // USDC spot 0.97, EMA 1.00: min 0.97 values the cap at 1_455 USD (below the profit), max 1.00
    // at 1_500 USD: still not capped.
    let dip = CollateralCustody {
        min_price: OraclePrice {
            price: 97_000_000,
            exponent: -8,
        },
        ..par
    };
    assert!(!is_capped(&p, 296 * PRICE, &dip).unwrap());
    assert!(is_capped(&p, 300 * PRICE, &dip).unwrap());
    // A 10 bps payoff cap: capped after a 0.1 % move, profit 1.5 USD, reward 20 bps = 3 USD.
    let tiny = PositionState {
        locked_amount: 1_500_000,
        ..p
    };
    let m = market();
    let at = 150_150 * PRICE / 1_000;
    let close = compute_decrease_position(&tiny, tiny.size_usd, at, 0, 0, &par, &m).unwrap();
    let forced = compute_close_capped_position(&tiny, at, 0, 0, &par, &m).unwrap();
    assert_eq!(forced.profit_amount, 1_500_000);
    assert_eq!(forced.paid.reward_paid, forced.profit_amount);
    assert_eq!(forced.amount_out, close.amount_out - forced.profit_amount);
    // The owner keeps at least its collateral less the close fee: no loss from being capped.
    assert!(forced.amount_out >= tiny.collateral_amount - close.fee_amount);
}
