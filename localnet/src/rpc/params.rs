//! The JSON-RPC plumbing shared by the methods: error objects, typed positional parameters, and
//! the wire codecs for transactions and accounts (the validator's limits included).

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use jsonrpc_core::{ErrorCode, Params};
use serde::de::DeserializeOwned;
use serde_json::Value;
use solana_account_decoder::{
    parse_account_data::AccountAdditionalData,
    parse_token::{get_token_account_mint, is_known_spl_token_id},
    UiAccount, UiAccountEncoding, UiDataSliceConfig,
};
use solana_rpc_client_api::config::RpcAccountInfoConfig;
use solana_runtime::bank::Bank;
use solana_sdk::{
    account::{Account, AccountSharedData, ReadableAccount},
    packet::PACKET_DATA_SIZE,
    pubkey::Pubkey,
    signature::Signature,
    transaction::VersionedTransaction,
};
use solana_transaction_status::{TransactionBinaryEncoding, UiTransactionEncoding};
use std::str::FromStr;

/// A JSON-RPC error object (code, message, optional data): jsonrpc-core's, as the validator's.
pub type RpcError = jsonrpc_core::Error;

pub type RpcResult<T> = Result<T, RpcError>;

/// `-32603` with `message`.
pub fn internal_error(message: String) -> RpcError {
    RpcError {
        code: ErrorCode::InternalError,
        message,
        data: None,
    }
}

/// A method's positional parameters as a typed tuple: `(String, Option<RpcAccountInfoConfig>)`.
/// Each position is read on its own, in order: an absent or `null` trailing parameter is `None`
/// for an `Option`, "missing required parameter" otherwise; a value of the wrong type is
/// "Invalid params: {serde's error}."; parameters past the tuple are ignored (as this node always
/// did; jsonrpc-derive would refuse them and word its errors otherwise).
pub trait FromParams: Sized {
    fn from_params(params: &[Value]) -> RpcResult<Self>;
}

/// Positional parameter `index` as `T`.
fn positional<T: DeserializeOwned>(params: &[Value], index: usize) -> RpcResult<T> {
    let value = params.get(index).cloned().unwrap_or(Value::Null);
    let absent = value.is_null();
    serde_json::from_value(value).map_err(|e| {
        if absent {
            RpcError::invalid_params("Invalid params: missing required parameter.")
        } else {
            RpcError::invalid_params(format!("Invalid params: {e}."))
        }
    })
}

macro_rules! from_params_tuple {
    ($($ty:ident $index:tt),*) => {
        impl<$($ty: DeserializeOwned),*> FromParams for ($($ty,)*) {
            #[allow(unused_variables)]
            fn from_params(params: &[Value]) -> RpcResult<Self> {
                Ok(($(positional::<$ty>(params, $index)?,)*))
            }
        }
    };
}
from_params_tuple!();
from_params_tuple!(A 0);
from_params_tuple!(A 0, B 1);
from_params_tuple!(A 0, B 1, C 2);

/// jsonrpc-core's `Params` as the tuple `T` (the envelope already refused non-array params).
pub fn typed<T: FromParams>(params: Params) -> RpcResult<T> {
    match params {
        Params::Array(values) => T::from_params(&values),
        Params::None => T::from_params(&[]),
        Params::Map(_) => Err(expected_an_array()),
    }
}

pub fn expected_an_array() -> RpcError {
    RpcError::invalid_params("Invalid params: expected an array.")
}

/// A method's answer as the JSON-RPC result.
pub fn to_json(value: impl serde::Serialize) -> RpcResult<Value> {
    serde_json::to_value(value).map_err(|e| internal_error(format!("Internal error: {e}")))
}

pub fn pubkey(s: &str) -> Result<Pubkey, RpcError> {
    Pubkey::from_str(s).map_err(|e| RpcError::invalid_params(format!("Invalid param: {e}")))
}

pub fn signature(s: &str) -> Result<Signature, RpcError> {
    Signature::from_str(s).map_err(|_| RpcError::invalid_params("Invalid param: Invalid"))
}

/// Decodes a wire transaction the way the validator does (size limits and all).
pub fn decode_transaction(
    encoded: &str,
    encoding: UiTransactionEncoding,
) -> Result<VersionedTransaction, RpcError> {
    let binary = encoding.into_binary_encoding().ok_or_else(|| {
        RpcError::invalid_params(format!(
            "unsupported encoding: {encoding}. Supported encodings: base58, base64"
        ))
    })?;
    let bytes = match binary {
        TransactionBinaryEncoding::Base58 => bs58::decode(encoded)
            .into_vec()
            .map_err(|e| RpcError::invalid_params(format!("invalid base58 encoding: {e:?}")))?,
        TransactionBinaryEncoding::Base64 => B64
            .decode(encoded)
            .map_err(|e| RpcError::invalid_params(format!("invalid base64 encoding: {e:?}")))?,
    };
    if bytes.len() > PACKET_DATA_SIZE {
        return Err(RpcError::invalid_params(format!(
            "decoded transaction too large: {} bytes (max: {PACKET_DATA_SIZE} bytes)",
            bytes.len()
        )));
    }
    bincode::deserialize(&bytes).map_err(|e| {
        RpcError::invalid_params(format!("failed to deserialize VersionedTransaction: {e}"))
    })
}

/// Encodes an account the way the validator's `encode_account` does: base58 only up to 128
/// bytes, `jsonParsed` for the programs the account decoder knows (SPL Token accounts with their
/// mint's decimals) and base64 for everything else asked as `jsonParsed`.
pub fn encode_account(
    bank: &Bank,
    key: &Pubkey,
    account: &AccountSharedData,
    config: &RpcAccountInfoConfig,
) -> Result<UiAccount, RpcError> {
    let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
    if matches!(
        encoding,
        UiAccountEncoding::Binary | UiAccountEncoding::Base58
    ) && slice_len(account.data().len(), config.data_slice) > 128
    {
        return Err(RpcError::invalid_params(
            "Encoded binary (base 58) data should be less than 128 bytes, please use Base64 encoding.",
        ));
    }
    Ok(encode_ui_account(
        bank,
        key,
        account,
        encoding,
        config.data_slice,
    ))
}

fn slice_len(len: usize, slice: Option<UiDataSliceConfig>) -> usize {
    match slice {
        Some(s) => len.saturating_sub(s.offset).min(s.length),
        None => len,
    }
}

/// [`UiAccount::encode`] with the mint decimals `jsonParsed` needs for SPL Token accounts.
pub fn encode_ui_account(
    bank: &Bank,
    key: &Pubkey,
    account: &AccountSharedData,
    encoding: UiAccountEncoding,
    data_slice: Option<UiDataSliceConfig>,
) -> UiAccount {
    let additional = (encoding == UiAccountEncoding::JsonParsed
        && is_known_spl_token_id(account.owner()))
    .then(|| {
        let decimals = get_token_account_mint(account.data())
            .and_then(|mint| bank.get_account(&mint))
            .and_then(|mint| mint_decimals(mint.data()));
        AccountAdditionalData {
            spl_token_decimals: decimals,
        }
    });
    UiAccount::encode(key, account, encoding, additional, data_slice)
}

/// The decimals of an SPL Token (or Token-2022) mint's data.
pub fn mint_decimals(data: &[u8]) -> Option<u8> {
    use spl_token::solana_program::program_pack::Pack;
    let base = data.get(..spl_token::state::Mint::LEN)?;
    spl_token::state::Mint::unpack_from_slice(base)
        .ok()
        .filter(|m| m.is_initialized)
        .map(|m| m.decimals)
}

/// `{"lamports", "data": [b64, "base64"] | b64, "owner", "executable"}` → Account.
pub fn account_from_json(spec: &Value) -> Result<Account, RpcError> {
    let bad = |what: &str| RpcError::invalid_params(format!("Invalid account: {what}"));
    let lamports = spec
        .get("lamports")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("lamports"))?;
    let data_b64 = match spec.get("data") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| bad("data"))?
            .to_string(),
        None => String::new(),
        _ => return Err(bad("data")),
    };
    let data = B64
        .decode(data_b64)
        .map_err(|_| bad("data is not base64"))?;
    let owner = pubkey(
        spec.get("owner")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("owner"))?,
    )?;
    let executable = spec
        .get("executable")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(Account {
        lamports,
        data,
        owner,
        executable,
        rent_epoch: u64::MAX,
    })
}
