//! Oracles: custom prices (authority, publish time, confidence, age) and Pyth PriceUpdateV2
//! accounts (owner, feed, verification level, age).

use crate::support::*;
use perp_pool::{
    accounts,
    constants::*,
    errors::PerpPoolError,
    instruction,
    instructions::*,
    state::{
        custody::{BorrowRateParams, Fees, PricingParams},
        oracle::{
            OracleParams, OracleType, PRICE_UPDATE_V2_DISCRIMINATOR, PYTH_RECEIVER_PROGRAM_ID,
        },
    },
};
use solana_sdk::{account::Account, instruction::Instruction, pubkey::Pubkey, signature::Signer};

/// A reading older than the stored one is refused (it could roll the price back); one as old
/// is accepted.
#[test]
fn oracle_publish_time_cannot_regress() {
    let mut env = setup();
    let now = env.now();
    let authority = env.oracle_authority.insecure_clone();
    let ix = env.set_price_ix(authority.pubkey(), 100_000_000, 0, 0, now - 31);
    env.expect_error(
        &[ix],
        &[&authority],
        PerpPoolError::OraclePublishTimeRegressed,
    );
    let ix = env.set_price_ix(authority.pubkey(), 100_000_001, 0, 0, now);
    env.send(&[ix], &[&authority]).unwrap();
}

#[test]
fn stale_oracle_is_rejected() {
    let mut env = setup();
    let now = env.now();
    let authority = env.oracle_authority.insecure_clone();
    let ix = env.set_price_ix(authority.pubkey(), 100_000_001, 0, 0, now);
    env.send(&[ix], &[&authority]).unwrap();
    // 31 s later with no new reading the price is stale (max age 30 s).
    env.advance_clock(31);
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::StaleOraclePrice);
}

#[test]
fn future_oracle_timestamp_is_rejected() {
    let mut env = setup();
    let now = env.now();
    let authority = env.oracle_authority.insecure_clone();
    let ix = env.set_price_ix(authority.pubkey(), 100_000_000, 0, 0, now + 60);
    env.send(&[ix], &[&authority]).unwrap();
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::OracleFutureTimestamp);
}

#[test]
fn wide_confidence_is_rejected() {
    let mut env = setup();
    let now = env.now();
    let authority = env.oracle_authority.insecure_clone();
    let ix = env.set_price_ix(authority.pubkey(), 100_000_000, 1_000_001, 0, now);
    env.send(&[ix], &[&authority]).unwrap();
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::OraclePriceConfidenceTooLow);
}

#[test]
fn only_oracle_authority_sets_price() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let ix = env.set_price_ix(user.pubkey(), 1, 0, 0, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidOracleAuthority);
}

#[test]
fn zero_price_is_rejected() {
    let mut env = setup();
    let authority = env.oracle_authority.insecure_clone();
    let ix = env.set_price_ix(authority.pubkey(), 0, 0, 0, 0);
    env.expect_error(&[ix], &[&authority], PerpPoolError::InvalidOraclePrice);
}

const FEED_ID: [u8; 32] = [42u8; 32];

/// A Pyth `PriceUpdateV2` account body (Full verification unless `level` says otherwise).
fn pyth_price_update(
    level: &[u8],
    feed_id: [u8; 32],
    price: i64,
    ema: i64,
    publish_time: i64,
) -> Vec<u8> {
    let mut data = PRICE_UPDATE_V2_DISCRIMINATOR.to_vec();
    data.extend_from_slice(&[9u8; 32]);
    data.extend_from_slice(level);
    data.extend_from_slice(&feed_id);
    data.extend_from_slice(&price.to_le_bytes());
    data.extend_from_slice(&0u64.to_le_bytes()); // conf
    data.extend_from_slice(&(-8i32).to_le_bytes());
    data.extend_from_slice(&publish_time.to_le_bytes());
    data.extend_from_slice(&(publish_time - 1).to_le_bytes());
    data.extend_from_slice(&ema.to_le_bytes());
    data.extend_from_slice(&0u64.to_le_bytes());
    data.extend_from_slice(&7u64.to_le_bytes());
    data.resize(134, 0);
    data
}

/// A custody priced by a Pyth PriceUpdateV2 account of feed `FEED_ID`.
struct PythCustody {
    env: Env,
    price_account: Pubkey,
    view_ix: Instruction,
}

impl PythCustody {
    fn new() -> Self {
        let mut env = setup();
        let price_account = Pubkey::new_unique();
        let mint = env.create_mint(9);
        let ix = env.add_custody_ix_with(
            mint,
            AddCustodyParams {
                is_stable: false,
                oracle: OracleParams {
                    oracle_account: price_account,
                    oracle_type: OracleType::Pyth,
                    oracle_authority: Pubkey::default(),
                    max_price_error_bps: 100,
                    max_price_age_sec: 30,
                    feed_id: FEED_ID,
                },
                fees: Fees::default(),
                pricing: PricingParams::default(),
                borrow_rate: BorrowRateParams::default(),
            },
        );
        let admin = env.admin.insecure_clone();
        env.send(&[ix], &[&admin]).unwrap();
        let custody = pda(&[CUSTODY_SEED, env.pool.as_ref(), mint.as_ref()]);
        let view_ix = ix_for_oracle_price(&env, custody, price_account);
        PythCustody {
            env,
            price_account,
            view_ix,
        }
    }

    /// Writes the price account as `owner` with `data`.
    fn put(&mut self, owner: Pubkey, data: Vec<u8>) {
        let account = Account {
            lamports: 1_000_000_000,
            data,
            owner,
            executable: false,
            rent_epoch: 0,
        };
        self.env.node.set_account(&self.price_account, account);
    }

    /// The `get_oracle_price` view must fail with `expected`.
    fn expect_view_error(&mut self, expected: PerpPoolError) {
        let err = self
            .env
            .view::<OraclePrices>(self.view_ix.clone())
            .unwrap_err();
        assert_eq!(err.custom_code(), Some(u32::from(expected)));
    }
}

fn ix_for_oracle_price(env: &Env, custody: Pubkey, oracle: Pubkey) -> Instruction {
    ix(
        accounts::GetOraclePrice {
            perpetuals: env.perpetuals,
            pool: env.pool,
            custody,
            custody_oracle_account: oracle,
        },
        instruction::GetOraclePrice {},
    )
}

#[test]
fn pyth_price_update_is_read() {
    let mut p = PythCustody::new();
    let now = p.env.now();
    p.put(
        PYTH_RECEIVER_PROGRAM_ID,
        pyth_price_update(&[1], FEED_ID, 15_012_345_678, 14_999_999_999, now),
    );
    let prices: OraclePrices = p.env.view(p.view_ix.clone()).unwrap();
    assert_eq!(
        prices,
        OraclePrices {
            // 150.12345678 and 149.99999999 USD (expo -8): exact in PRICE_DECIMALS.
            spot: 150_123_456_780,
            ema: 149_999_999_990,
            min: 149_999_999_990,
            max: 150_123_456_780
        }
    );
}

#[test]
fn pyth_account_not_owned_by_the_receiver_is_rejected() {
    let mut p = PythCustody::new();
    let now = p.env.now();
    p.put(
        Pubkey::new_unique(),
        pyth_price_update(&[1], FEED_ID, 1, 1, now),
    );
    p.expect_view_error(PerpPoolError::InvalidOracleAccount);
}

#[test]
fn pyth_update_of_another_feed_is_rejected() {
    let mut p = PythCustody::new();
    let now = p.env.now();
    p.put(
        PYTH_RECEIVER_PROGRAM_ID,
        pyth_price_update(&[1], [1u8; 32], 1, 1, now),
    );
    p.expect_view_error(PerpPoolError::InvalidOracleAccount);
}

#[test]
fn partially_verified_pyth_update_is_rejected() {
    let mut p = PythCustody::new();
    let now = p.env.now();
    p.put(
        PYTH_RECEIVER_PROGRAM_ID,
        pyth_price_update(&[0, 5], FEED_ID, 1, 1, now),
    );
    p.expect_view_error(PerpPoolError::OracleNotFullyVerified);
}

#[test]
fn stale_pyth_update_is_rejected() {
    let mut p = PythCustody::new();
    let now = p.env.now();
    p.put(
        PYTH_RECEIVER_PROGRAM_ID,
        pyth_price_update(&[1], FEED_ID, 1, 1, now - 31),
    );
    p.expect_view_error(PerpPoolError::StaleOraclePrice);
}
