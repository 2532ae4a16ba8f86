use {super::*, proptest::prelude::*};

fn is_overflow<T>(result: Result<T>) -> bool {
    crate::math::error_name(&result).as_deref() == Some("MathOverflow")
}

#[test]
fn add_overflow_is_named_error() {
    assert!(is_overflow(u64::MAX.safe_add(1)));
    assert_eq!(1u64.safe_add(2).ok(), Some(3));
}

#[test]
fn sub_underflow_is_named_error() {
    assert!(is_overflow(0u64.safe_sub(1)));
    assert!(is_overflow(i64::MIN.safe_sub(1)));
}

#[test]
fn mul_overflow_is_named_error() {
    assert!(is_overflow(u128::MAX.safe_mul(2)));
}

#[test]
fn division_by_zero_is_named_error() {
    assert!(is_overflow(1u64.safe_div(0)));
    assert!(is_overflow(1u64.safe_div_ceil(0)));
    assert!(is_overflow(mul_div(1, 1, 0, Rounding::Floor)));
}

#[test]
fn div_ceil_rounds_up_only_with_remainder() {
    assert_eq!(10u64.safe_div_ceil(5).ok(), Some(2));
    assert_eq!(11u64.safe_div_ceil(5).ok(), Some(3));
    assert_eq!(0u64.safe_div_ceil(5).ok(), Some(0));
    assert_eq!(u64::MAX.safe_div_ceil(1).ok(), Some(u64::MAX));
}

#[test]
fn cast_rejects_narrowing_overflow() {
    assert!(is_overflow(cast::<u128, u64>(u128::from(u64::MAX) + 1)));
    assert!(is_overflow(cast::<i64, u64>(-1)));
    assert_eq!(cast::<u128, u64>(7).ok(), Some(7u64));
}

#[test]
fn pow10_limits() {
    assert_eq!(pow10(0).ok(), Some(1));
    assert_eq!(pow10(38).ok(), Some(10u128.pow(38)));
    assert!(is_overflow(pow10(39)));
}

proptest! {
    #[test]
    fn div_ceil_is_floor_or_floor_plus_one(a in any::<u64>(), b in 1..=u64::MAX) {
        let floor = a.safe_div(b).unwrap();
        let ceil = a.safe_div_ceil(b).unwrap();
        prop_assert!(ceil == floor || ceil == floor + 1);
        // ceil * b >= a >= floor * b
        prop_assert!(u128::from(ceil) * u128::from(b) >= u128::from(a));
        prop_assert!(u128::from(floor) * u128::from(b) <= u128::from(a));
    }

    #[test]
    fn mul_div_matches_wide_math(a in any::<u64>(), b in any::<u64>(), d in 1..=u64::MAX) {
        let exact_num = u128::from(a) * u128::from(b);
        let floor = mul_div(a.into(), b.into(), d.into(), Rounding::Floor).unwrap();
        let ceil = mul_div(a.into(), b.into(), d.into(), Rounding::Ceil).unwrap();
        prop_assert_eq!(floor, exact_num / u128::from(d));
        prop_assert_eq!(ceil, exact_num.div_ceil(u128::from(d)));
    }
}
