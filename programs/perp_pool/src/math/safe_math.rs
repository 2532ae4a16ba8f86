//! Checked arithmetic that returns `PerpPoolError::MathOverflow` instead of panicking or wrapping,
//! logging the caller's file and line (`#[track_caller]`) so an overflow in a transaction log says
//! where it happened. Also owns explicit rounding (`Rounding`), powers of ten and narrowing casts.

use {crate::errors::PerpPoolError, anchor_lang::prelude::*, core::panic::Location};

/// Builds the overflow error, logging the location of the math call that failed.
#[track_caller]
#[inline(never)]
pub fn math_overflow() -> Error {
    let location = Location::caller();
    msg!("Math overflow at {}:{}", location.file(), location.line());
    error!(PerpPoolError::MathOverflow)
}

/// Which way a division rounds. Every call site says which one favours the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Towards zero (amounts paid out, values credited to users).
    Floor,
    /// Away from zero (fees charged, values the pool owes on its side).
    Ceil,
}

/// Checked operations on integers. Division by zero is an overflow error, not a panic.
pub trait SafeMath: Sized {
    fn safe_add(self, rhs: Self) -> Result<Self>;
    fn safe_sub(self, rhs: Self) -> Result<Self>;
    fn safe_mul(self, rhs: Self) -> Result<Self>;
    /// Unsigned: floor. Signed: truncates towards zero.
    fn safe_div(self, rhs: Self) -> Result<Self>;
}

/// Division with an explicit rounding direction (unsigned integers only).
pub trait SafeDivRound: SafeMath {
    fn safe_div_ceil(self, rhs: Self) -> Result<Self>;
    fn safe_div_round(self, rhs: Self, rounding: Rounding) -> Result<Self>;
}

macro_rules! impl_safe_math {
    ($($t:ty),*) => {$(
        impl SafeMath for $t {
            #[track_caller]
            #[inline(always)]
            fn safe_add(self, rhs: Self) -> Result<Self> {
                match self.checked_add(rhs) {
                    Some(v) => Ok(v),
                    None => Err(math_overflow()),
                }
            }

            #[track_caller]
            #[inline(always)]
            fn safe_sub(self, rhs: Self) -> Result<Self> {
                match self.checked_sub(rhs) {
                    Some(v) => Ok(v),
                    None => Err(math_overflow()),
                }
            }

            #[track_caller]
            #[inline(always)]
            fn safe_mul(self, rhs: Self) -> Result<Self> {
                match self.checked_mul(rhs) {
                    Some(v) => Ok(v),
                    None => Err(math_overflow()),
                }
            }

            #[track_caller]
            #[inline(always)]
            fn safe_div(self, rhs: Self) -> Result<Self> {
                match self.checked_div(rhs) {
                    Some(v) => Ok(v),
                    None => Err(math_overflow()),
                }
            }
        }
    )*};
}

macro_rules! impl_safe_div_round {
    ($($t:ty),*) => {$(
        impl SafeDivRound for $t {
            #[track_caller]
            #[inline(always)]
            fn safe_div_ceil(self, rhs: Self) -> Result<Self> {
                let quotient = self.safe_div(rhs)?;
                // rhs != 0 here, so the remainder cannot fail.
                match self.checked_rem(rhs) {
                    Some(0) => Ok(quotient),
                    Some(_) => quotient.safe_add(1),
                    None => Err(math_overflow()),
                }
            }

            #[track_caller]
            #[inline(always)]
            fn safe_div_round(self, rhs: Self, rounding: Rounding) -> Result<Self> {
                match rounding {
                    Rounding::Floor => self.safe_div(rhs),
                    Rounding::Ceil => self.safe_div_ceil(rhs),
                }
            }
        }
    )*};
}

impl_safe_math!(u8, u16, u32, u64, u128, i32, i64, i128);
impl_safe_div_round!(u8, u16, u32, u64, u128);

/// Narrowing or sign-changing conversion that fails with MathOverflow instead of truncating
/// (the program never uses a bare `as` between integer types).
#[track_caller]
#[inline(always)]
pub fn cast<T, U: TryFrom<T>>(value: T) -> Result<U> {
    match U::try_from(value) {
        Ok(v) => Ok(v),
        Err(_) => Err(math_overflow()),
    }
}

/// 10^exponent as u128 (exponent <= 38, larger overflows).
#[track_caller]
pub fn pow10(exponent: u32) -> Result<u128> {
    match 10u128.checked_pow(exponent) {
        Some(v) => Ok(v),
        None => Err(math_overflow()),
    }
}

/// `value * numerator / denominator` with a u128 intermediate and the given rounding.
/// Fails (MathOverflow) when the product exceeds u128 or the denominator is zero.
#[track_caller]
pub fn mul_div(
    value: u128,
    numerator: u128,
    denominator: u128,
    rounding: Rounding,
) -> Result<u128> {
    value
        .safe_mul(numerator)?
        .safe_div_round(denominator, rounding)
}

#[cfg(test)]
mod tests;
