//! Blocks and transaction history: `getBlock`, `getBlocks`, `getBlocksWithLimit`,
//! `getBlockTime`, `getBlockCommitment`, `getBlockProduction`, `getTransaction`,
//! `getSignatureStatuses`, `getSignaturesForAddress`, `getRecentPerformanceSamples`,
//! `getRecentPrioritizationFees`. Every closed slot is a rooted block, so a block is available
//! at `confirmed` and `finalized` as soon as its slot closes.

use super::params::{pubkey, signature, RpcError, RpcResult};
use super::{check_is_at_least_confirmed, Rpc};
use crate::history::{BlockRecord, History, LandedTransaction};
use solana_rpc_client_api::{
    config::{
        RpcBlockConfig, RpcBlockProductionConfig, RpcBlocksConfigWrapper, RpcEncodingConfigWrapper,
        RpcSignatureStatusConfig, RpcSignaturesForAddressConfig, RpcTransactionConfig,
    },
    custom_error::RpcCustomError,
    response::{
        Response as RpcResponse, RpcBlockCommitment, RpcBlockProduction, RpcBlockProductionRange,
        RpcConfirmedTransactionStatusWithSignature, RpcPerfSample, RpcPrioritizationFee,
    },
};
use solana_sdk::{
    clock::{Slot, MAX_RECENT_BLOCKHASHES},
    commitment_config::CommitmentConfig,
    compute_budget,
    pubkey::Pubkey,
};
use solana_transaction_status::{
    extract_memos::extract_and_fmt_memos, BlockEncodingOptions, ConfirmedBlock,
    ConfirmedTransactionWithStatusMeta, EncodedConfirmedTransactionWithStatusMeta,
    TransactionConfirmationStatus, TransactionDetails, TransactionStatus,
    TransactionWithStatusMeta, UiConfirmedBlock, UiTransactionEncoding, VersionedConfirmedBlock,
    VersionedTransactionWithStatusMeta,
};
use std::collections::HashMap;

/// The validator's MAX_GET_CONFIRMED_BLOCKS_RANGE.
const MAX_BLOCKS_RANGE: u64 = 500_000;
/// The validator's MAX_GET_CONFIRMED_SIGNATURES_FOR_ADDRESS2_LIMIT.
const MAX_SIGNATURES_LIMIT: usize = 1000;
/// The validator's MAX_GET_SIGNATURE_STATUSES_QUERY_ITEMS.
const MAX_SIGNATURE_STATUSES: usize = 256;
/// The validator's MAX_TX_ACCOUNT_LOCKS (getRecentPrioritizationFees' address limit).
const MAX_PRIORITY_FEE_ACCOUNTS: usize = 128;
/// The validator's prioritization-fee cache holds this many blocks.
const MAX_PRIORITY_FEE_BLOCKS: usize = 150;
/// The validator's MAX_LOCKOUT_HISTORY: a block commitment has this many depths.
const LOCKOUT_DEPTHS: usize = 32;

fn versioned(landed: &LandedTransaction) -> VersionedTransactionWithStatusMeta {
    VersionedTransactionWithStatusMeta {
        transaction: landed.transaction.clone(),
        meta: landed.meta.clone(),
    }
}

fn encode_error(err: solana_transaction_status::EncodeError) -> RpcError {
    RpcCustomError::from(err).into()
}

/// The compute-unit price a transaction bids (its SetComputeUnitPrice, else 0).
fn compute_unit_price(landed: &LandedTransaction) -> u64 {
    let message = &landed.transaction.message;
    let keys = message.static_account_keys();
    message
        .instructions()
        .iter()
        .filter(|ix| keys.get(ix.program_id_index as usize) == Some(&compute_budget::id()))
        .rev()
        .find_map(|ix| match ix.data.as_slice() {
            [3, rest @ ..] if rest.len() >= 8 => rest[..8].try_into().ok().map(u64::from_le_bytes),
            _ => None,
        })
        .unwrap_or(0)
}

impl Rpc {
    /// The newest slot whose block exists (closed slots are rooted: the same at `confirmed` and
    /// `finalized`).
    fn highest_block(&self) -> Slot {
        self.node.root_slot()
    }

    fn block_missing(&self, history: &History, slot: Slot) -> RpcError {
        let first = history.first_block().unwrap_or(0);
        if slot > self.highest_block() {
            RpcCustomError::BlockNotAvailable { slot }.into()
        } else if slot < first {
            RpcCustomError::BlockCleanedUp {
                slot,
                first_available_block: first,
            }
            .into()
        } else {
            RpcCustomError::SlotSkipped { slot }.into()
        }
    }

    pub(super) fn get_block(
        &self,
        slot: Slot,
        config: Option<RpcEncodingConfigWrapper<RpcBlockConfig>>,
    ) -> RpcResult<UiConfirmedBlock> {
        let config = config
            .map(|wrapper| wrapper.convert_to_current())
            .unwrap_or_default();
        check_is_at_least_confirmed(config.commitment.unwrap_or_default())?;
        let history = self.node.history();
        let block = match history.block(slot) {
            Some(block) if slot <= self.highest_block() => block,
            _ => return Err(self.block_missing(&history, slot)),
        };
        let confirmed = VersionedConfirmedBlock {
            previous_blockhash: block.previous_blockhash.to_string(),
            blockhash: block.blockhash.to_string(),
            parent_slot: block.parent_slot,
            transactions: block
                .transactions
                .iter()
                .map(|&i| versioned(&history.transaction_at(i)))
                .collect(),
            rewards: vec![],
            block_time: Some(block.block_time),
            block_height: Some(block.block_height),
        };
        drop(history);
        ConfirmedBlock::from(confirmed)
            .encode_with_options(
                config.encoding.unwrap_or(UiTransactionEncoding::Json),
                BlockEncodingOptions {
                    transaction_details: config
                        .transaction_details
                        .unwrap_or(TransactionDetails::Full),
                    show_rewards: config.rewards.unwrap_or(true),
                    max_supported_transaction_version: config.max_supported_transaction_version,
                },
            )
            .map_err(encode_error)
    }

    pub(super) fn get_blocks(
        &self,
        start: Slot,
        wrapper: Option<RpcBlocksConfigWrapper>,
        commitment: Option<CommitmentConfig>,
    ) -> RpcResult<Vec<Slot>> {
        let (end, wrapped_commitment) = wrapper.map(|w| w.unzip()).unwrap_or_default();
        check_is_at_least_confirmed(commitment.or(wrapped_commitment).unwrap_or_default())?;
        let end = end
            .unwrap_or_else(|| start.saturating_add(MAX_BLOCKS_RANGE))
            .min(self.highest_block());
        if end < start {
            return Ok(vec![]);
        }
        if end - start > MAX_BLOCKS_RANGE {
            return Err(RpcError::invalid_params(format!(
                "Slot range too large; max {MAX_BLOCKS_RANGE}"
            )));
        }
        Ok(self.node.history().block_slots(start, end, usize::MAX))
    }

    pub(super) fn get_blocks_with_limit(
        &self,
        start: Slot,
        limit: usize,
        commitment: Option<CommitmentConfig>,
    ) -> RpcResult<Vec<Slot>> {
        check_is_at_least_confirmed(commitment.unwrap_or_default())?;
        if limit as u64 > MAX_BLOCKS_RANGE {
            return Err(RpcError::invalid_params(format!(
                "Limit too large; max {MAX_BLOCKS_RANGE}"
            )));
        }
        let end = self.highest_block();
        Ok(self.node.history().block_slots(start, end, limit))
    }

    pub(super) fn get_block_time(&self, slot: Slot) -> RpcResult<i64> {
        let history = self.node.history();
        match history.block(slot) {
            Some(block) if slot <= self.highest_block() => Ok(block.block_time),
            _ => Err(self.block_missing(&history, slot)),
        }
    }

    /// One validator holding all the stake: a closed (rooted) slot has all of it at the deepest
    /// lockout; the open slot has no votes yet.
    pub(super) fn get_block_commitment(
        &self,
        slot: Slot,
    ) -> RpcResult<RpcBlockCommitment<[u64; LOCKOUT_DEPTHS]>> {
        let bank = self.node.finalized_bank();
        let total_stake = bank.total_epoch_stake();
        let commitment =
            (slot <= bank.slot() && self.node.history().block(slot).is_some()).then(|| {
                let mut depths = [0u64; LOCKOUT_DEPTHS];
                depths[LOCKOUT_DEPTHS - 1] = total_stake;
                depths
            });
        Ok(RpcBlockCommitment {
            commitment,
            total_stake,
        })
    }

    pub(super) fn get_block_production(
        &self,
        config: Option<RpcBlockProductionConfig>,
    ) -> RpcResult<RpcResponse<RpcBlockProduction>> {
        let config = config.unwrap_or_default();
        let bank = self.bank(config.commitment, None)?;
        let (first, last) = match config.range {
            Some(range) => (range.first_slot, range.last_slot.unwrap_or(bank.slot())),
            None => {
                let epoch = bank.epoch();
                (
                    bank.epoch_schedule().get_first_slot_in_epoch(epoch),
                    bank.slot(),
                )
            }
        };
        if last < first {
            return Err(RpcError::invalid_params(format!(
                "lastSlot, {last}, cannot be less than firstSlot, {first}"
            )));
        }
        if last > bank.slot() {
            return Err(RpcError::invalid_params(format!(
                "lastSlot, {last}, cannot be greater than current slot, {}",
                bank.slot()
            )));
        }
        let leader = bank.collector_id().to_string();
        let produced = self
            .node
            .history()
            .block_slots(first, last, usize::MAX)
            .len();
        let mut by_identity = HashMap::new();
        if config.identity.as_ref().is_none_or(|id| *id == leader) {
            by_identity.insert(leader, ((last - first + 1) as usize, produced));
        }
        Self::respond(
            &bank,
            RpcBlockProduction {
                by_identity,
                range: RpcBlockProductionRange {
                    first_slot: first,
                    last_slot: last,
                },
            },
        )
    }

    pub(super) fn get_signature_statuses(
        &self,
        sigs: Vec<String>,
        _config: Option<RpcSignatureStatusConfig>,
    ) -> RpcResult<RpcResponse<Vec<Option<TransactionStatus>>>> {
        if sigs.len() > MAX_SIGNATURE_STATUSES {
            return Err(RpcError::invalid_params(format!(
                "Too many inputs provided; max {MAX_SIGNATURE_STATUSES}"
            )));
        }
        let sigs = sigs
            .iter()
            .map(|s| signature(s))
            .collect::<Result<Vec<_>, _>>()?;
        let bank = self.node.bank();
        let root = self.node.root_slot();
        let history = self.node.history();
        let out: Vec<Option<TransactionStatus>> = sigs
            .iter()
            .map(|sig| {
                history.transaction(sig).map(|landed| {
                    let finalized = landed.slot <= root;
                    TransactionStatus {
                        slot: landed.slot,
                        confirmations: if finalized { None } else { Some(0) },
                        status: landed.meta.status.clone(),
                        err: landed.meta.status.clone().err(),
                        confirmation_status: Some(if finalized {
                            TransactionConfirmationStatus::Finalized
                        } else {
                            TransactionConfirmationStatus::Confirmed
                        }),
                    }
                })
            })
            .collect();
        Self::respond(&bank, out)
    }

    pub(super) fn get_transaction(
        &self,
        signature_str: String,
        config: Option<RpcEncodingConfigWrapper<RpcTransactionConfig>>,
    ) -> RpcResult<Option<EncodedConfirmedTransactionWithStatusMeta>> {
        let sig = signature(&signature_str)?;
        let config = config
            .map(|wrapper| wrapper.convert_to_current())
            .unwrap_or_default();
        let commitment = config.commitment.unwrap_or_default();
        check_is_at_least_confirmed(commitment)?;
        let Some(landed) = self.node.landed(&sig) else {
            return Ok(None);
        };
        if commitment.is_finalized() && landed.slot > self.node.root_slot() {
            return Ok(None);
        }
        let confirmed = ConfirmedTransactionWithStatusMeta {
            slot: landed.slot,
            tx_with_meta: TransactionWithStatusMeta::Complete(versioned(&landed)),
            block_time: Some(landed.block_time),
        };
        confirmed
            .encode(
                config.encoding.unwrap_or(UiTransactionEncoding::Json),
                config.max_supported_transaction_version,
            )
            .map(Some)
            .map_err(encode_error)
    }

    pub(super) fn get_signatures_for_address(
        &self,
        address_str: String,
        config: Option<RpcSignaturesForAddressConfig>,
    ) -> RpcResult<Vec<RpcConfirmedTransactionStatusWithSignature>> {
        let address = pubkey(&address_str)?;
        let config = config.unwrap_or_default();
        let limit = config.limit.unwrap_or(MAX_SIGNATURES_LIMIT);
        if limit == 0 || limit > MAX_SIGNATURES_LIMIT {
            return Err(RpcError::invalid_params(format!(
                "Invalid limit; max {MAX_SIGNATURES_LIMIT}"
            )));
        }
        let before = config.before.as_deref().map(signature).transpose()?;
        let until = config.until.as_deref().map(signature).transpose()?;
        let commitment = config.commitment.unwrap_or_default();
        check_is_at_least_confirmed(commitment)?;
        let bank = self.bank(Some(commitment), config.min_context_slot)?;
        let root = self.node.root_slot();
        let found = self.node.history().signatures_for_address(
            &address,
            before.as_ref(),
            until.as_ref(),
            bank.slot(),
            limit,
        );
        let out: Vec<RpcConfirmedTransactionStatusWithSignature> = found
            .iter()
            .map(|landed| RpcConfirmedTransactionStatusWithSignature {
                signature: landed.signature().to_string(),
                slot: landed.slot,
                err: landed.meta.status.clone().err(),
                memo: extract_and_fmt_memos(&versioned(landed)),
                block_time: Some(landed.block_time),
                confirmation_status: Some(if landed.slot <= root {
                    TransactionConfirmationStatus::Finalized
                } else {
                    TransactionConfirmationStatus::Confirmed
                }),
            })
            .collect();
        Ok(out)
    }

    pub(super) fn get_recent_performance_samples(
        &self,
        limit: Option<usize>,
    ) -> RpcResult<Vec<RpcPerfSample>> {
        let max = crate::history::MAX_PERF_SAMPLES;
        let limit = limit.unwrap_or(max);
        if limit > max {
            return Err(RpcError::invalid_params(format!(
                "Invalid limit; max {max}"
            )));
        }
        let history = self.node.history();
        Ok(history
            .perf_samples
            .iter()
            .rev()
            .take(limit)
            .cloned()
            .collect())
    }

    /// Per recent block: the lowest compute-unit price its transactions paid, raised to the
    /// lowest price paid by transactions write-locking each given account (the validator's
    /// prioritization-fee cache semantics).
    pub(super) fn get_recent_prioritization_fees(
        &self,
        keys: Option<Vec<String>>,
    ) -> RpcResult<Vec<RpcPrioritizationFee>> {
        let keys = keys.unwrap_or_default();
        if keys.len() > MAX_PRIORITY_FEE_ACCOUNTS {
            return Err(RpcError::invalid_params(format!(
                "Too many inputs provided; max {MAX_PRIORITY_FEE_ACCOUNTS}"
            )));
        }
        let keys = keys
            .iter()
            .map(|k| pubkey(k))
            .collect::<Result<Vec<Pubkey>, _>>()?;
        let history = self.node.history();
        let fees: Vec<RpcPrioritizationFee> = history
            .recent_blocks(MAX_PRIORITY_FEE_BLOCKS.min(MAX_RECENT_BLOCKHASHES))
            .into_iter()
            .map(|block| RpcPrioritizationFee {
                slot: block.slot,
                prioritization_fee: block_fee(&history, block, &keys),
            })
            .collect();
        Ok(fees)
    }
}

fn block_fee(history: &History, block: &BlockRecord, keys: &[Pubkey]) -> u64 {
    let txs: Vec<_> = block
        .transactions
        .iter()
        .map(|&i| history.transaction_at(i))
        .filter(|t| !is_vote(t))
        .collect();
    let mut fee = txs.iter().map(|t| compute_unit_price(t)).min().unwrap_or(0);
    for key in keys {
        let account_min = txs
            .iter()
            .filter(|t| writes(t, key))
            .map(|t| compute_unit_price(t))
            .min();
        if let Some(account_fee) = account_min {
            fee = fee.max(account_fee);
        }
    }
    fee
}

fn is_vote(landed: &LandedTransaction) -> bool {
    let message = &landed.transaction.message;
    let keys = message.static_account_keys();
    message.instructions().len() == 1
        && keys.get(message.instructions()[0].program_id_index as usize)
            == Some(&solana_sdk::vote::program::id())
}

fn writes(landed: &LandedTransaction, key: &Pubkey) -> bool {
    let message = &landed.transaction.message;
    message
        .static_account_keys()
        .iter()
        .position(|k| k == key)
        .is_some_and(|i| message.is_maybe_writable(i))
        || landed.meta.loaded_addresses.writable.contains(key)
}
