//! What the node remembers besides the accounts: every landed transaction, the block each closed
//! slot produced, which transactions mention which address (for `getSignaturesForAddress`), and
//! the performance samples. `getBlock`, `getTransaction`, `getSignatureStatuses` and friends read
//! it; [`crate::persist`] saves and restores it with the accounts.

use solana_rpc_client_api::response::RpcPerfSample;
use solana_runtime::bank::Bank;
use solana_sdk::{
    account::ReadableAccount,
    clock::Slot,
    hash::Hash,
    pubkey::Pubkey,
    signature::Signature,
    transaction::{SanitizedTransaction, VersionedTransaction},
};
use solana_transaction_status::{TransactionStatusMeta, TransactionTokenBalance};
use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::Arc,
};

/// A landed transaction, kept for `getTransaction`, `getSignatureStatuses` and blocks.
#[derive(Clone, Debug)]
pub struct LandedTransaction {
    pub slot: Slot,
    pub block_time: i64,
    pub transaction: VersionedTransaction,
    pub meta: TransactionStatusMeta,
}

impl LandedTransaction {
    pub fn signature(&self) -> Signature {
        self.transaction.signatures[0]
    }

    /// Every address the transaction names: static keys, then loaded ones.
    pub fn account_keys(&self) -> Vec<Pubkey> {
        let mut keys = self.transaction.message.static_account_keys().to_vec();
        keys.extend(self.meta.loaded_addresses.writable.iter().copied());
        keys.extend(self.meta.loaded_addresses.readonly.iter().copied());
        keys
    }
}

/// One closed slot's block. Transactions are indexes into [`History`]'s list, in the order
/// they executed.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct BlockRecord {
    pub slot: Slot,
    pub parent_slot: Slot,
    pub blockhash: Hash,
    pub previous_blockhash: Hash,
    pub block_time: i64,
    pub block_height: u64,
    pub transactions: Vec<u32>,
}

/// The validator keeps this many performance samples (one a minute: 12 hours).
pub const MAX_PERF_SAMPLES: usize = 720;

#[derive(Default)]
pub struct History {
    transactions: Vec<Arc<LandedTransaction>>,
    by_signature: HashMap<Signature, u32>,
    /// Indexes of the transactions naming each address, oldest first.
    by_address: HashMap<Pubkey, Vec<u32>>,
    /// Closed slots' blocks.
    blocks: BTreeMap<Slot, BlockRecord>,
    /// Transactions of the working (open) slot, in execution order.
    pending: Vec<u32>,
    /// Newest last.
    pub perf_samples: VecDeque<RpcPerfSample>,
}

impl History {
    /// Records a landed transaction in the working slot.
    pub fn record(&mut self, landed: LandedTransaction) {
        let index = self.transactions.len() as u32;
        self.by_signature.insert(landed.signature(), index);
        let mut keys = landed.account_keys();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            self.by_address.entry(key).or_default().push(index);
        }
        self.transactions.push(Arc::new(landed));
        self.pending.push(index);
    }

    /// Closes the working slot's block (its transactions are the ones recorded since the last
    /// close).
    pub fn close_block(&mut self, mut block: BlockRecord) {
        block.transactions = std::mem::take(&mut self.pending);
        self.blocks.insert(block.slot, block);
    }

    pub fn push_perf_sample(&mut self, sample: RpcPerfSample) {
        self.perf_samples.push_back(sample);
        while self.perf_samples.len() > MAX_PERF_SAMPLES {
            self.perf_samples.pop_front();
        }
    }

    pub fn transaction(&self, signature: &Signature) -> Option<Arc<LandedTransaction>> {
        self.by_signature
            .get(signature)
            .map(|&i| self.transactions[i as usize].clone())
    }

    pub fn transaction_at(&self, index: u32) -> Arc<LandedTransaction> {
        self.transactions[index as usize].clone()
    }

    pub fn transaction_count(&self) -> usize {
        self.transactions.len()
    }

    pub fn block(&self, slot: Slot) -> Option<&BlockRecord> {
        self.blocks.get(&slot)
    }

    /// Slots of the closed blocks in `start..=end`, at most `limit`.
    pub fn block_slots(&self, start: Slot, end: Slot, limit: usize) -> Vec<Slot> {
        if start > end {
            return Vec::new();
        }
        self.blocks
            .range(start..=end)
            .map(|(slot, _)| *slot)
            .take(limit)
            .collect()
    }

    /// The oldest block still held.
    pub fn first_block(&self) -> Option<Slot> {
        self.blocks.keys().next().copied()
    }

    /// The newest `count` closed blocks, oldest first.
    pub fn recent_blocks(&self, count: usize) -> Vec<&BlockRecord> {
        let mut out: Vec<&BlockRecord> = self.blocks.values().rev().take(count).collect();
        out.reverse();
        out
    }

    /// Transactions naming `address`, newest first, strictly before `before` and down to (not
    /// including) `until`, with `slot <= max_slot`, at most `limit`.
    pub fn signatures_for_address(
        &self,
        address: &Pubkey,
        before: Option<&Signature>,
        until: Option<&Signature>,
        max_slot: Slot,
        limit: usize,
    ) -> Vec<Arc<LandedTransaction>> {
        let Some(list) = self.by_address.get(address) else {
            return Vec::new();
        };
        let before = before.and_then(|s| self.by_signature.get(s).copied());
        let until = until.and_then(|s| self.by_signature.get(s).copied());
        list.iter()
            .rev()
            .copied()
            .filter(|&i| before.is_none_or(|b| i < b))
            .take_while(|&i| until.is_none_or(|u| i > u))
            .map(|i| self.transactions[i as usize].clone())
            .filter(|t| t.slot <= max_slot)
            .take(limit)
            .collect()
    }

    /// Everything, for [`crate::persist`]: transactions in order, blocks, open-slot indexes.
    pub fn parts(
        &self,
    ) -> (
        &[Arc<LandedTransaction>],
        &BTreeMap<Slot, BlockRecord>,
        &[u32],
    ) {
        (&self.transactions, &self.blocks, &self.pending)
    }

    /// Rebuilds the history from [`History::parts`]' output.
    pub fn from_parts(
        transactions: Vec<LandedTransaction>,
        blocks: BTreeMap<Slot, BlockRecord>,
        perf_samples: VecDeque<RpcPerfSample>,
    ) -> Self {
        let mut history = History {
            perf_samples,
            ..History::default()
        };
        for landed in transactions {
            history.record(landed);
        }
        history.pending.clear();
        history.blocks = blocks;
        history
    }
}

/// The block record of a bank that was just frozen.
pub(crate) fn block_record(bank: &Bank, previous_blockhash: Hash) -> BlockRecord {
    BlockRecord {
        slot: bank.slot(),
        parent_slot: bank.parent_slot(),
        blockhash: bank.last_blockhash(),
        previous_blockhash,
        block_time: bank.clock().unix_timestamp,
        block_height: bank.block_height(),
        transactions: Vec::new(),
    }
}

/// SPL token balances of the transaction's token accounts, for `pre/postTokenBalances`.
pub(crate) fn token_balances(
    bank: &Bank,
    tx: &SanitizedTransaction,
) -> Vec<TransactionTokenBalance> {
    use solana_account_decoder::parse_token::token_amount_to_ui_amount;
    use spl_token::solana_program::program_pack::Pack;
    let mut out = Vec::new();
    for (index, key) in tx.message().account_keys().iter().enumerate() {
        let Some(account) = bank.get_account(key) else {
            continue;
        };
        if account.owner() != &spl_token::id()
            || account.data().len() != spl_token::state::Account::LEN
        {
            continue;
        }
        let Ok(token) = spl_token::state::Account::unpack(account.data()) else {
            continue;
        };
        let Some(mint) = bank.get_account(&token.mint) else {
            continue;
        };
        let Ok(mint_state) = spl_token::state::Mint::unpack(mint.data()) else {
            continue;
        };
        out.push(TransactionTokenBalance {
            account_index: index as u8,
            mint: token.mint.to_string(),
            ui_token_amount: token_amount_to_ui_amount(token.amount, mint_state.decimals),
            owner: token.owner.to_string(),
            program_id: spl_token::id().to_string(),
        });
    }
    out
}
