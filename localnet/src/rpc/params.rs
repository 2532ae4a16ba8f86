//! The JSON-RPC plumbing shared by the methods: error objects, positional parameters, and the
//! wire codecs for transactions and accounts (the validator's limits included).

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use solana_account_decoder::{
    parse_account_data::AccountAdditionalData,
    parse_token::{get_token_account_mint, is_known_spl_token_id},
    UiAccount, UiAccountEncoding, UiDataSliceConfig,
};
use solana_rpc_client_api::{config::RpcAccountInfoConfig, custom_error::RpcCustomError};
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

/// A JSON-RPC error object: code, message, optional data.
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn invalid_params(message: impl Into<String>) -> Self {
        RpcError {
            code: -32602,
            message: message.into(),
            data: None,
        }
    }
    pub fn invalid_request() -> Self {
        RpcError {
            code: -32600,
            message: "Invalid request".into(),
            data: None,
        }
    }
    pub fn method_not_found() -> Self {
        RpcError {
            code: -32601,
            message: "Method not found".into(),
            data: None,
        }
    }
    pub fn parse_error() -> Self {
        RpcError {
            code: -32700,
            message: "Parse error".into(),
            data: None,
        }
    }
    fn to_json(&self) -> Value {
        let mut obj = json!({"code": self.code, "message": self.message});
        if let Some(data) = &self.data {
            obj["data"] = data.clone();
        }
        obj
    }
}

impl From<RpcCustomError> for RpcError {
    fn from(err: RpcCustomError) -> Self {
        let err: jsonrpc_core::Error = err.into();
        RpcError {
            code: err.code.code(),
            message: err.message,
            data: err.data,
        }
    }
}

pub type RpcResult = Result<Value, RpcError>;

/// Positional parameter `index`, or `None` when absent or null.
pub fn opt_param<T: DeserializeOwned>(
    params: &[Value],
    index: usize,
) -> Result<Option<T>, RpcError> {
    match params.get(index) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| RpcError::invalid_params(format!("Invalid params: {e}."))),
    }
}

pub fn param<T: DeserializeOwned>(params: &[Value], index: usize) -> Result<T, RpcError> {
    opt_param(params, index)?
        .ok_or_else(|| RpcError::invalid_params("Invalid params: missing required parameter."))
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

pub fn failure(id: Value, err: RpcError) -> Value {
    json!({"jsonrpc": "2.0", "error": err.to_json(), "id": id})
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
