use {super::*, proptest::prelude::*};

const USDC_1: OraclePrice = OraclePrice {
    price: 100_000_000,
    exponent: -8,
};

fn err_is<T>(result: Result<T>, expected: &str) -> bool {
    crate::math::error_name(&result).as_deref() == Some(expected)
}

fn usdc_custody(owned: u64) -> CustodyValuation {
    CustodyValuation {
        owned,
        decimals: 6,
        min_price: USDC_1,
        max_price: USDC_1,
        trading: Default::default(),
    }
}

#[test]
fn fee_rounds_up() {
    assert_eq!(fee_amount(1, 10).unwrap(), 1);
    assert_eq!(fee_amount(10_000, 10).unwrap(), 10);
    assert_eq!(fee_amount(10_001, 10).unwrap(), 11);
    assert_eq!(fee_amount(0, 10).unwrap(), 0);
    assert_eq!(fee_amount(u64::MAX, 10_000).unwrap(), u64::MAX);
    assert!(err_is(fee_amount(1, 10_001), "InvalidCustodyConfig"));
}

#[test]
fn protocol_fee_rounds_down() {
    assert_eq!(protocol_fee_amount(11, 5_000).unwrap(), 5);
    assert_eq!(protocol_fee_amount(1, 9_999).unwrap(), 0);
    assert_eq!(protocol_fee_amount(7, 10_000).unwrap(), 7);
}

#[test]
fn first_deposit_mints_one_lp_unit_per_micro_usd_less_the_dead_shares() {
    // 1_000 USDC, 10 bps fee, 50 % protocol share: 999 USD buys 999 LP, 1 of which is dead.
    let out = compute_add_liquidity(1_000_000_000, 6, USDC_1, 0, 0, 10, 5_000).unwrap();
    assert_eq!(
        out,
        AddLiquidityAmounts {
            fee_amount: 1_000_000,
            net_amount: 999_000_000,
            deposit_usd: 999_000_000,
            lp_amount_out: 998_000_000,
            dead_lp_amount: DEAD_LP_SUPPLY,
            protocol_fee_amount: 500_000,
            owned_increase: 999_500_000,
        }
    );
    // A later deposit issues no dead shares.
    let out =
        compute_add_liquidity(100_000_000, 6, USDC_1, 999_500_000, 999_000_000, 0, 0).unwrap();
    assert_eq!(out.dead_lp_amount, 0);
}

/// Finding 3: a first deposit into a pool that already has value (none can exist before the
/// first deposit; this is defence in depth) issues that value to the dead shares as well, so the
/// depositor does not take it.
#[test]
fn first_deposit_does_not_take_stray_value() {
    // 5 USD already in the pool, 100 USD deposited: 99 LP to the depositor, 1 + 5 dead.
    let out = compute_add_liquidity(100_000_000, 6, USDC_1, 5_000_000, 0, 0, 0).unwrap();
    assert_eq!(out.lp_amount_out, 99_000_000);
    assert_eq!(out.dead_lp_amount, 6_000_000);
    // Redeeming all of it returns 99 USD of the 105 USD pool.
    let out = compute_remove_liquidity(
        99_000_000,
        105_000_000,
        105_000_000,
        6,
        USDC_1,
        u64::MAX,
        0,
        0,
    )
    .unwrap();
    assert_eq!(out.amount_out, 99_000_000);
}

/// Finding 3: the first deposit must be worth more than the dead shares (1 USD).
#[test]
fn first_deposit_must_exceed_the_dead_shares() {
    assert_eq!(DEAD_LP_SUPPLY, 1_000_000);
    assert!(err_is(
        compute_add_liquidity(1_000_000, 6, USDC_1, 0, 0, 0, 0),
        "ZeroAmount"
    ));
    let out = compute_add_liquidity(1_000_001, 6, USDC_1, 0, 0, 0, 0).unwrap();
    assert_eq!(out.lp_amount_out, 1);
    assert_eq!(out.dead_lp_amount, 1_000_000);
    // The fee counts against it: 1_000_001 less a 10 bps fee (1_001) is below the bar.
    assert!(err_is(
        compute_add_liquidity(1_000_001, 6, USDC_1, 0, 0, 10, 0),
        "ZeroAmount"
    ));
}

/// Finding 3: the first-depositor inflation attack. The attacker's 1 LP unit plus the 1_000_000
/// dead units share whatever the attacker donates, so a later deposit's rounding can cost the
/// victim at most one LP unit, worth donation / 1_000_001, while the attacker's unit is worth
/// 1 / 1_000_001 of the donation: the attack loses almost all it donates.
#[test]
fn first_depositor_inflation_attack_loses_the_donation() {
    let first = compute_add_liquidity(1_000_001, 6, USDC_1, 0, 0, 0, 0).unwrap();
    assert_eq!(first.lp_amount_out, 1);
    let supply = first.lp_amount_out + first.dead_lp_amount;
    // The attacker donates 1_000 USDC straight to the vault (owned grows, no LP).
    let aum = 1_000_001u128 + 1_000_000_000;
    // The victim deposits 1_500 USDC: floor(1.5e9 * 1_000_001 / 1_001_000_001) LP, one LP unit
    // being worth about 1_001 micro-USD.
    let victim = compute_add_liquidity(1_500_000_000, 6, USDC_1, aum, supply, 0, 0).unwrap();
    assert_eq!(victim.lp_amount_out, 1_498_502);
    let supply = supply + victim.lp_amount_out;
    let aum = aum + 1_500_000_000;
    // The attacker redeems its unit: floor(2_501_000_001 / 2_498_503) = 1_000 micro-USD, for
    // 1_000.000001 USD put in.
    let attacker = compute_remove_liquidity(1, aum, supply, 6, USDC_1, u64::MAX, 0, 0).unwrap();
    assert_eq!(attacker.amount_out, 1_000);
    // The victim redeems for 1_499.999601 USDC: the rounding cost it 399 micro-USD, less than
    // one LP unit.
    let out = compute_remove_liquidity(
        victim.lp_amount_out,
        aum - u128::from(attacker.owned_decrease),
        supply - 1,
        6,
        USDC_1,
        u64::MAX,
        0,
        0,
    )
    .unwrap();
    assert_eq!(out.amount_out, 1_499_999_601);
}

#[test]
fn second_deposit_priced_against_max_aum() {
    // Pool worth 2_000 USD (max) with 1_000 LP: LP is 2 USD, so 100 USD buys 50 LP.
    let out =
        compute_add_liquidity(100_000_000, 6, USDC_1, 2_000_000_000, 1_000_000_000, 0, 0).unwrap();
    assert_eq!(out.lp_amount_out, 50_000_000);
    assert_eq!(out.owned_increase, 100_000_000);
}

#[test]
fn deposit_of_zero_is_rejected() {
    assert!(err_is(
        compute_add_liquidity(0, 6, USDC_1, 0, 0, 0, 0),
        "ZeroAmount"
    ));
}

#[test]
fn deposit_rounding_to_zero_lp_is_rejected() {
    // 1 base unit (1 micro-USD) into a pool where one LP base unit is worth 2 micro-USD.
    assert!(err_is(
        compute_add_liquidity(1, 6, USDC_1, 2_000_000, 1_000_000, 0, 0),
        "ZeroAmount"
    ));
}

#[test]
fn deposit_into_worthless_pool_with_supply_is_rejected() {
    assert!(err_is(
        compute_add_liquidity(1_000_000, 6, USDC_1, 0, 1_000, 0, 0),
        "EmptyPool"
    ));
}

#[test]
fn withdrawal_pays_share_at_max_price_minus_fee() {
    // 1_000 LP of 2_000 supply, AUM 4_000 USD (min): 2_000 USD -> 2_000 USDC, 10 bps fee = 2 USDC.
    let out = compute_remove_liquidity(
        1_000_000_000,
        4_000_000_000,
        2_000_000_000,
        6,
        USDC_1,
        u64::MAX,
        10,
        5_000,
    )
    .unwrap();
    assert_eq!(
        out,
        RemoveLiquidityAmounts {
            withdraw_usd: 2_000_000_000,
            gross_amount: 2_000_000_000,
            fee_amount: 2_000_000,
            amount_out: 1_998_000_000,
            protocol_fee_amount: 1_000_000,
            owned_decrease: 1_999_000_000,
        }
    );
}

#[test]
fn withdrawal_beyond_available_is_rejected() {
    assert!(err_is(
        compute_remove_liquidity(1_000_000, 1_000_000, 1_000_000, 6, USDC_1, 999_999, 0, 0),
        "InsufficientLiquidity"
    ));
}

#[test]
fn withdrawal_with_no_supply_is_rejected() {
    assert!(err_is(
        compute_remove_liquidity(1, 1_000_000, 0, 6, USDC_1, u64::MAX, 0, 0),
        "EmptyPool"
    ));
}

#[test]
fn withdrawal_of_more_than_supply_is_rejected() {
    assert!(err_is(
        compute_remove_liquidity(2, 1_000_000, 1, 6, USDC_1, u64::MAX, 0, 0),
        "InsufficientLiquidity"
    ));
}

#[test]
fn withdrawal_rounding_to_zero_is_rejected() {
    // 1 LP unit of 1_000_000 in a 0.5 USD pool is worth 0 micro-USD.
    assert!(err_is(
        compute_remove_liquidity(1, 500_000, 1_000_000, 6, USDC_1, u64::MAX, 0, 0),
        "ZeroAmount"
    ));
}

#[test]
fn aum_min_floors_and_max_ceils_per_custody() {
    let sol = CustodyValuation {
        owned: 1_500_000_000,
        decimals: 9,
        min_price: OraclePrice {
            price: 12_345_678_901,
            exponent: -8,
        },
        max_price: OraclePrice {
            price: 12_345_678_901,
            exponent: -8,
        },
        trading: Default::default(),
    };
    let custodies = [sol, usdc_custody(10_000_000)];
    assert_eq!(
        assets_under_management_usd(&custodies, AumMode::Min).unwrap(),
        195_185_183
    );
    assert_eq!(
        assets_under_management_usd(&custodies, AumMode::Max).unwrap(),
        195_185_184
    );
    assert_eq!(assets_under_management_usd(&[], AumMode::Max).unwrap(), 0);
}

#[test]
fn lp_price_examples() {
    assert_eq!(lp_token_price_usd(0, 0).unwrap(), 1_000_000);
    assert_eq!(lp_token_price_usd(2_000_000, 1_000_000).unwrap(), 2_000_000);
    // 1 USD over 3 LP base units -> 333_333.33 USD per whole LP, floored.
    assert_eq!(lp_token_price_usd(1_000_000, 3_000_000).unwrap(), 333_333);
}

// -------------------------------------------------------------------------------------------
// Properties over a single-custody pool whose spot/EMA spread is arbitrary.
// -------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Pool {
    owned: u64,
    /// The LP supply every price uses: the mint's supply plus the dead shares.
    supply: u64,
    /// Dead shares within `supply` (never redeemable).
    dead: u64,
    custody: CustodyValuation,
}

impl Pool {
    fn aum(&self, mode: AumMode) -> u128 {
        let custody = CustodyValuation {
            owned: self.owned,
            ..self.custody
        };
        assets_under_management_usd(&[custody], mode).unwrap()
    }
}

fn pool_strategy() -> impl Strategy<Value = (Pool, u64, u64, u64)> {
    (
        0u64..=1_000_000_000_000_000, // owned
        // supply incl. the dead shares: none (an empty pool, nothing owned) or at least them
        prop_oneof![1 => Just(0u64), 9 => DEAD_LP_SUPPLY..=1_000_000_000_000_000],
        any::<bool>(), // with no supply: a pool that still owns tokens (stray value) or not
        1u64..=10_000_000_000, // min price (expo -8)
        0u64..=1_000_000_000, // spread added for max price
        0u8..=9,       // decimals
        0u64..=500,    // add fee bps
        0u64..=500,    // remove fee bps
        0u64..=10_000, // protocol share bps
    )
        .prop_map(
            |(owned, supply, stray, min, spread, decimals, add_bps, remove_bps, share_bps)| {
                let owned = if supply == 0 && !stray { 0 } else { owned };
                let pool = Pool {
                    owned,
                    supply,
                    dead: if supply == 0 { 0 } else { DEAD_LP_SUPPLY },
                    custody: CustodyValuation {
                        owned,
                        decimals,
                        min_price: OraclePrice {
                            price: min,
                            exponent: -8,
                        },
                        max_price: OraclePrice {
                            price: min + spread,
                            exponent: -8,
                        },
                        trading: Default::default(),
                    },
                };
                (pool, add_bps, remove_bps, share_bps)
            },
        )
}

/// Applies a deposit to the model pool the way the add_liquidity handler does.
fn deposit(
    pool: &Pool,
    amount: u64,
    add_bps: u64,
    share_bps: u64,
) -> Option<(Pool, AddLiquidityAmounts)> {
    let out = compute_add_liquidity(
        amount,
        pool.custody.decimals,
        pool.custody.min_price,
        pool.aum(AumMode::Max),
        pool.supply,
        add_bps,
        share_bps,
    )
    .ok()?;
    let next = Pool {
        owned: pool.owned.checked_add(out.owned_increase)?,
        supply: pool
            .supply
            .checked_add(out.lp_amount_out)?
            .checked_add(out.dead_lp_amount)?,
        dead: pool.dead + out.dead_lp_amount,
        custody: pool.custody,
    };
    Some((next, out))
}

/// Applies a withdrawal to the model pool the way the remove_liquidity handler does.
fn withdraw(
    pool: &Pool,
    lp: u64,
    remove_bps: u64,
    share_bps: u64,
) -> Option<(Pool, RemoveLiquidityAmounts)> {
    // Only minted LP can be burned: the dead shares stay.
    if lp > pool.supply - pool.dead {
        return None;
    }
    let out = compute_remove_liquidity(
        lp,
        pool.aum(AumMode::Min),
        pool.supply,
        pool.custody.decimals,
        pool.custody.max_price,
        pool.owned,
        remove_bps,
        share_bps,
    )
    .ok()?;
    let next = Pool {
        owned: pool.owned - out.owned_decrease,
        supply: pool.supply - lp,
        dead: pool.dead,
        custody: pool.custody,
    };
    Some((next, out))
}

/// LP price as an exact rational aum_min / supply compared by cross-multiplication:
/// `after >= before` iff aum_after * supply_before >= aum_before * supply_after.
fn lp_value_not_decreased(before: &Pool, after: &Pool) -> bool {
    if before.supply == 0 || after.supply == 0 {
        return true;
    }
    let lhs = primitive_types_mul(after.aum(AumMode::Min), before.supply);
    let rhs = primitive_types_mul(before.aum(AumMode::Min), after.supply);
    lhs >= rhs
}

/// u128 x u64 as a (high, low) pair so the comparison cannot overflow.
fn primitive_types_mul(a: u128, b: u64) -> (u128, u128) {
    let b = u128::from(b);
    let (a_hi, a_lo) = (a >> 64, a & u128::from(u64::MAX));
    let lo = a_lo * b;
    let mid = a_hi * b + (lo >> 64);
    (mid >> 64, (mid << 64) | (lo & u128::from(u64::MAX)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Depositing and immediately redeeming every LP received never returns more tokens than
    /// were deposited, whatever the pool state, spread and fees.
    #[test]
    fn deposit_then_withdraw_never_profits((pool, add_bps, remove_bps, share_bps) in pool_strategy(), amount in 1u64..=1_000_000_000_000_000) {
        if let Some((after_deposit, added)) = deposit(&pool, amount, add_bps, share_bps) {
            if let Some((_, removed)) = withdraw(&after_deposit, added.lp_amount_out, remove_bps, share_bps) {
                prop_assert!(removed.amount_out <= amount, "in {} out {}", amount, removed.amount_out);
            }
        }
    }

    /// A deposit never lowers the value of one LP token (min AUM per LP).
    #[test]
    fn deposit_never_lowers_lp_value((pool, add_bps, _, share_bps) in pool_strategy(), amount in 1u64..=1_000_000_000_000_000) {
        if let Some((after, _)) = deposit(&pool, amount, add_bps, share_bps) {
            prop_assert!(lp_value_not_decreased(&pool, &after));
            if pool.supply > 0 {
                if let (Ok(before), Ok(now)) = (
                    lp_token_price_usd(pool.aum(AumMode::Min), pool.supply),
                    lp_token_price_usd(after.aum(AumMode::Min), after.supply),
                ) {
                    prop_assert!(now >= before);
                }
            }
        }
    }

    /// The dead shares never leave: once a pool has LP, its supply never returns to zero.
    #[test]
    fn supply_never_returns_to_zero((pool, add_bps, remove_bps, share_bps) in pool_strategy(), amounts in proptest::collection::vec((any::<bool>(), 1u64..=1_000_000_000_000_000), 1..8)) {
        let mut pool = pool;
        for (is_deposit, amount) in amounts {
            let had_supply = pool.supply > 0;
            if is_deposit {
                if let Some((next, _)) = deposit(&pool, amount, add_bps, share_bps) {
                    pool = next;
                }
            } else if let Some((next, _)) = withdraw(&pool, amount.min(pool.supply - pool.dead), remove_bps, share_bps) {
                pool = next;
            }
            prop_assert!(!had_supply || pool.supply >= DEAD_LP_SUPPLY);
        }
    }

    /// A withdrawal never lowers the value of the LP tokens left behind.
    #[test]
    fn withdraw_never_lowers_lp_value((pool, _, remove_bps, share_bps) in pool_strategy(), lp in 1u64..=1_000_000_000_000_000) {
        if let Some((after, _)) = withdraw(&pool, lp, remove_bps, share_bps) {
            prop_assert!(lp_value_not_decreased(&pool, &after));
        }
    }

    /// Fees are never below the exact fee, never above the amount, and the protocol's part
    /// never exceeds the fee (so owned changes are consistent).
    #[test]
    fn fees_are_bounded(amount in any::<u64>(), bps in 0u64..=10_000, share in 0u64..=10_000) {
        let fee = fee_amount(amount, bps).unwrap();
        prop_assert!(fee <= amount);
        prop_assert!(u128::from(fee) * 10_000 >= u128::from(amount) * u128::from(bps));
        let protocol = protocol_fee_amount(fee, share).unwrap();
        prop_assert!(protocol <= fee);
    }

    /// The deposit's accounting adds up: owned grows by what came in less the protocol's cut.
    #[test]
    fn deposit_accounting_adds_up((pool, add_bps, _, share_bps) in pool_strategy(), amount in 1u64..=1_000_000_000_000_000) {
        if let Some((_, out)) = deposit(&pool, amount, add_bps, share_bps) {
            prop_assert_eq!(out.fee_amount + out.net_amount, amount);
            prop_assert_eq!(out.owned_increase + out.protocol_fee_amount, amount);
            prop_assert!(out.protocol_fee_amount <= out.fee_amount);
        }
    }

    /// A withdrawal never pays out more USD (at min price) than the LP's share of min AUM.
    #[test]
    fn withdraw_pays_at_most_share((pool, _, remove_bps, share_bps) in pool_strategy(), lp in 1u64..=1_000_000_000_000_000) {
        if let Some((_, out)) = withdraw(&pool, lp, remove_bps, share_bps) {
            let paid_usd = pool.custody.max_price.token_to_usd(out.gross_amount, pool.custody.decimals, Rounding::Ceil).unwrap();
            prop_assert!(paid_usd <= u128::from(out.withdraw_usd));
            prop_assert!(out.amount_out + out.fee_amount == out.gross_amount);
            prop_assert!(out.owned_decrease <= pool.owned);
        }
    }
}
