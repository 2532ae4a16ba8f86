use super::*;

fn err_is<T>(result: Result<T>, expected: &str) -> bool {
    crate::math::error_name(&result).as_deref() == Some(expected)
}

const FEED: [u8; 32] = [7u8; 32];

/// A PriceUpdateV2 account body as the Pyth receiver writes it.
pub(crate) fn price_update(
    level: &[u8],
    feed_id: [u8; 32],
    price: i64,
    conf: u64,
    expo: i32,
    publish_time: i64,
    ema: i64,
) -> Vec<u8> {
    let mut data = PRICE_UPDATE_V2_DISCRIMINATOR.to_vec();
    data.extend_from_slice(&[9u8; 32]); // write authority
    data.extend_from_slice(level);
    data.extend_from_slice(&feed_id);
    data.extend_from_slice(&price.to_le_bytes());
    data.extend_from_slice(&conf.to_le_bytes());
    data.extend_from_slice(&expo.to_le_bytes());
    data.extend_from_slice(&publish_time.to_le_bytes());
    data.extend_from_slice(&(publish_time - 1).to_le_bytes());
    data.extend_from_slice(&ema.to_le_bytes());
    data.extend_from_slice(&11u64.to_le_bytes()); // ema conf
    data.extend_from_slice(&1234u64.to_le_bytes()); // posted slot
    data
}

#[test]
fn receiver_program_id_matches_its_address() {
    assert_eq!(
        PYTH_RECEIVER_PROGRAM_ID.to_string(),
        "rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ"
    );
}

#[test]
fn discriminator_is_anchor_hash() {
    let hash = anchor_lang::solana_program::hash::hash(b"account:PriceUpdateV2");
    assert_eq!(&hash.to_bytes()[..8], &PRICE_UPDATE_V2_DISCRIMINATOR);
}

#[test]
fn parses_full_update() {
    let data = price_update(
        &[1],
        FEED,
        15_012_345_678,
        1_000_000,
        -8,
        1_700_000_000,
        15_000_000_000,
    );
    assert_eq!(data.len(), 133);
    assert_eq!(
        parse_price_update_v2(&data, &FEED).unwrap(),
        RawOraclePrice {
            price: 15_012_345_678,
            expo: -8,
            conf: 1_000_000,
            ema: 15_000_000_000,
            publish_time: 1_700_000_000,
        }
    );
    // Accounts are allocated at the max size (134: Partial takes 2 bytes); trailing bytes ignored.
    let mut padded = data.clone();
    padded.push(0);
    assert!(parse_price_update_v2(&padded, &FEED).is_ok());
}

#[test]
fn rejects_partial_wrong_feed_bad_data_and_negative_price() {
    let partial = price_update(&[0, 13], FEED, 1, 0, -8, 0, 0);
    assert!(err_is(
        parse_price_update_v2(&partial, &FEED),
        "OracleNotFullyVerified"
    ));
    let full = price_update(&[1], FEED, 1, 0, -8, 0, 0);
    assert!(err_is(
        parse_price_update_v2(&full, &[8u8; 32]),
        "InvalidOracleAccount"
    ));
    assert!(err_is(
        parse_price_update_v2(&full[..100], &FEED),
        "InvalidOracleAccount"
    ));
    let mut bad = full.clone();
    bad[0] ^= 1;
    assert!(err_is(
        parse_price_update_v2(&bad, &FEED),
        "InvalidOracleAccount"
    ));
    let negative = price_update(&[1], FEED, -5, 0, -8, 0, 0);
    assert!(err_is(
        parse_price_update_v2(&negative, &FEED),
        "InvalidOraclePrice"
    ));
    // A negative EMA is treated as absent.
    let no_ema = price_update(&[1], FEED, 5, 0, -8, 0, -1);
    assert_eq!(parse_price_update_v2(&no_ema, &FEED).unwrap().ema, 0);
}
