use super::*;

fn err_is(result: Result<()>, expected: &str) -> bool {
    crate::math::error_name(&result).as_deref() == Some(expected)
}

fn fees() -> Fees {
    Fees {
        add_liquidity_bps: 10,
        remove_liquidity_bps: 10,
        protocol_share_bps: 2_000,
        open_position_bps: 10,
        close_position_bps: 10,
        liquidation_bps: 50,
        liquidator_reward_bps: 10,
        insurance_share_bps: 1_000,
        staker_share_bps: 3_000,
    }
}

fn pricing() -> PricingParams {
    PricingParams {
        use_ema: false,
        trade_spread_long_bps: 10,
        trade_spread_short_bps: 10,
        min_initial_leverage_bps: 10_000,
        max_initial_leverage_bps: 500_000,
        max_leverage_bps: 1_000_000,
        max_payoff_mult_bps: 10_000,
        max_utilization: 0,
        max_position_size_usd: 0,
        max_total_locked_usd: 0,
    }
}

fn custom_oracle() -> OracleParams {
    OracleParams {
        oracle_account: Pubkey::default(),
        oracle_type: OracleType::Custom,
        oracle_authority: Pubkey::new_unique(),
        max_price_error_bps: 100,
        max_price_age_sec: 60,
        feed_id: [0; 32],
    }
}

#[test]
fn the_validate_macro_is_ok_or_the_named_error() {
    assert!(validate!(1 + 1 == 2, PerpPoolError::ZeroAmount).is_ok());
    assert!(err_is(
        validate!(1 + 1 == 3, PerpPoolError::ZeroAmount),
        "ZeroAmount"
    ));
    assert!(err_is(
        validate!(false, PerpPoolError::SlippageExceeded, "got {}", 1),
        "SlippageExceeded"
    ));
}

#[test]
fn a_valid_config_passes_every_check() {
    let borrow_rate = BorrowRateParams::default();
    assert!(validate_custody_config(&custom_oracle(), &fees(), &pricing(), &borrow_rate).is_ok());
}

#[test]
fn each_fee_rule_is_checked_on_its_own() {
    let broken: [fn(&mut Fees); 12] = [
        |f| f.add_liquidity_bps = BPS_POWER + 1,
        |f| f.remove_liquidity_bps = BPS_POWER + 1,
        |f| f.protocol_share_bps = BPS_POWER + 1,
        |f| f.open_position_bps = BPS_POWER + 1,
        |f| {
            f.close_position_bps = BPS_POWER + 1;
            f.liquidation_bps = BPS_POWER + 1;
        },
        |f| f.liquidation_bps = BPS_POWER + 1,
        |f| f.liquidator_reward_bps = BPS_POWER + 1,
        |f| f.insurance_share_bps = BPS_POWER + 1,
        |f| f.liquidation_bps = f.close_position_bps - 1,
        |f| f.insurance_share_bps = BPS_POWER - f.protocol_share_bps + 1,
        |f| f.staker_share_bps = BPS_POWER + 1,
        |f| f.staker_share_bps = BPS_POWER - f.protocol_share_bps - f.insurance_share_bps + 1,
    ];
    for (rule, break_it) in broken.iter().enumerate() {
        let mut f = fees();
        break_it(&mut f);
        assert!(err_is(f.validate(), "InvalidCustodyConfig"), "rule {rule}");
    }
    assert!(fees().validate().is_ok());
    // The three shares may take the whole fee.
    let all_shared = Fees {
        staker_share_bps: BPS_POWER - 3_000,
        ..fees()
    };
    assert!(all_shared.validate().is_ok());
}

#[test]
fn each_pricing_rule_is_checked_on_its_own() {
    let broken: [fn(&mut PricingParams); 6] = [
        |p| p.trade_spread_long_bps = BPS_POWER,
        |p| p.trade_spread_short_bps = BPS_POWER,
        |p| p.min_initial_leverage_bps = p.max_initial_leverage_bps + 1,
        |p| p.max_initial_leverage_bps = p.max_leverage_bps + 1,
        |p| p.max_payoff_mult_bps = 0,
        |p| p.max_utilization = RATE_POWER + 1,
    ];
    for (rule, break_it) in broken.iter().enumerate() {
        let mut p = pricing();
        break_it(&mut p);
        assert!(err_is(p.validate(), "InvalidCustodyConfig"), "rule {rule}");
    }
    // An untradeable market needs no payoff multiplier.
    let untradeable = PricingParams {
        min_initial_leverage_bps: 0,
        max_initial_leverage_bps: 0,
        max_payoff_mult_bps: 0,
        ..pricing()
    };
    assert!(untradeable.validate().is_ok());
}

#[test]
fn the_liquidation_margin_covers_fee_and_reward() {
    // 100x maintenance: a margin of 100 BPS of size.
    let p = pricing();
    let mut f = fees();
    f.liquidation_bps = 60;
    f.liquidator_reward_bps = 40;
    assert!(p.validate_liquidation_margin(&f).is_ok());
    f.liquidator_reward_bps = 41;
    assert!(err_is(
        p.validate_liquidation_margin(&f),
        "InvalidCustodyConfig"
    ));
}

#[test]
fn each_borrow_rate_rule_is_checked_on_its_own() {
    let broken: [fn(&mut BorrowRateParams); 4] = [
        |b| b.optimal_utilization = RATE_POWER,
        |b| b.base_rate = RATE_POWER + 1,
        |b| b.slope1 = RATE_POWER + 1,
        |b| b.slope2 = RATE_POWER + 1,
    ];
    for (rule, break_it) in broken.iter().enumerate() {
        let mut b = BorrowRateParams::default();
        break_it(&mut b);
        assert!(err_is(b.validate(), "InvalidCustodyConfig"), "rule {rule}");
    }
}

#[test]
fn oracle_rules_name_their_errors() {
    let none = OracleParams {
        oracle_type: OracleType::None,
        ..custom_oracle()
    };
    assert!(err_is(none.validate(), "InvalidOracleType"));
    let no_authority = OracleParams {
        oracle_authority: Pubkey::default(),
        ..custom_oracle()
    };
    assert!(err_is(no_authority.validate(), "InvalidCustodyConfig"));
    let pyth = OracleParams {
        oracle_type: OracleType::Pyth,
        oracle_account: Pubkey::new_unique(),
        feed_id: [1; 32],
        ..custom_oracle()
    };
    assert!(pyth.validate().is_ok());
    let pyth_without_account = OracleParams {
        oracle_account: Pubkey::default(),
        ..pyth
    };
    assert!(err_is(
        pyth_without_account.validate(),
        "InvalidOracleAccount"
    ));
    let pyth_without_feed = OracleParams {
        feed_id: [0; 32],
        ..pyth
    };
    assert!(err_is(pyth_without_feed.validate(), "InvalidCustodyConfig"));
    let too_wide = OracleParams {
        max_price_error_bps: BPS_POWER + 1,
        ..custom_oracle()
    };
    assert!(err_is(too_wide.validate(), "InvalidCustodyConfig"));
    let no_age = OracleParams {
        max_price_age_sec: 0,
        ..custom_oracle()
    };
    assert!(err_is(no_age.validate(), "InvalidCustodyConfig"));
}

fn tier(days: u16, multiplier_bps: u32) -> LockTier {
    LockTier {
        duration_days: days,
        multiplier_bps,
    }
}

fn ladder() -> Vec<LockTier> {
    vec![
        tier(7, 10_000),
        tier(30, 11_000),
        tier(90, 15_000),
        tier(180, 20_000),
        tier(364, 30_000),
    ]
}

#[test]
fn a_valid_stake_config_passes() {
    assert!(validate_stake_config(&ladder(), 6_500).is_ok());
    assert!(validate_stake_config(&[tier(7, 10_000)], 0).is_ok());
    assert!(validate_stake_config(&[tier(364, 100_000)], 10_000).is_ok());
    // Equal multipliers are allowed (non-decreasing).
    assert!(validate_stake_config(&[tier(1, 10_000), tier(7, 10_000)], 0).is_ok());
    // The shortest tier locks MIN_LOCK_DAYS; a 1x tier with a duration is fine.
    assert!(validate_stake_config(&[tier(MIN_LOCK_DAYS, 10_000)], 0).is_ok());
}

#[test]
fn a_zero_day_tier_is_refused() {
    // No lock is no longer a tier: it would allow lock, fee, unlock and claim in one transaction.
    for multiplier in [10_000, 10_001] {
        let l = [tier(0, multiplier), tier(30, 11_000)];
        assert!(err_is(validate_stake_config(&l, 0), "InvalidStakeConfig"));
        assert!(err_is(
            validate_stake_config(&[tier(0, multiplier)], 0),
            "InvalidStakeConfig"
        ));
    }
}

#[test]
fn each_stake_config_rule_is_checked_on_its_own() {
    let broken: [fn(&mut Vec<LockTier>, &mut u64); 10] = [
        |_, share| *share = BPS_POWER + 1,
        |l, _| l.clear(),
        |l, _| l.push(tier(365, 30_000)),
        |l, _| l[4] = tier(365, 30_000),
        |l, _| l[1] = tier(30, 9_999),
        |l, _| l[4] = tier(364, 100_001),
        |l, _| l[0] = tier(0, 10_000),
        |l, _| l[2] = tier(30, 15_000),
        |l, _| l[2] = tier(20, 15_000),
        |l, _| l[2] = tier(90, 10_500),
    ];
    for (rule, break_it) in broken.iter().enumerate() {
        let (mut l, mut share) = (ladder(), 5_000);
        break_it(&mut l, &mut share);
        assert!(
            err_is(validate_stake_config(&l, share), "InvalidStakeConfig"),
            "rule {rule}"
        );
    }
}
