use {super::*, crate::math::error_name};
