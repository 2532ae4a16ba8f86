//! The node driven in-process, for Rust tests: the same [`Node`] the binary serves (genesis,
//! SPL programs as SBF binaries, perp_pool through [`crate::native`]'s adapter, the same
//! `send`/`simulate` paths and logs), without the HTTP server or the slot timer. Slots advance
//! and the clock moves only when a test says so, so tests that count slots and seconds are
//! deterministic.

use crate::node::{ClockSource, Node, SendOutcome};
use solana_sdk::{
    account::{Account, AccountSharedData},
    clock::Clock,
    instruction::{Instruction, InstructionError},
    native_token::sol_to_lamports,
    pubkey::Pubkey,
    rent::Rent,
    signature::{Keypair, Signature, Signer},
    transaction::{Transaction, TransactionError},
};

/// The Clock's `unix_timestamp` when a [`TestNode`] starts (2023-11-14T22:13:20Z).
pub const START_UNIX_TIMESTAMP: i64 = 1_700_000_000;

/// SOL the fee payer starts with.
const PAYER_SOL: f64 = 1_000_000.0;

/// A transaction that executed without error (landed, or a successful simulation).
#[derive(Debug)]
pub struct Executed {
    pub signature: Signature,
    /// The transaction's log lines, as `getTransaction` returns them.
    pub logs: Vec<String>,
    /// The return data of the last instruction that set any (empty if none).
    pub return_data: Vec<u8>,
    pub units_consumed: u64,
}

/// A transaction that failed: executed with an error (`logs` then says why), or refused before
/// execution (bad blockhash, already processed, fee payer cannot pay: no logs).
#[derive(Debug)]
pub struct Failed {
    pub err: TransactionError,
    pub logs: Vec<String>,
}

impl Failed {
    /// The custom error code of the failed instruction (a program's error number), if that is
    /// how it failed.
    pub fn custom_code(&self) -> Option<u32> {
        match self.err {
            TransactionError::InstructionError(_, InstructionError::Custom(code)) => Some(code),
            _ => None,
        }
    }
}

/// One node, one fee payer. Every transaction is signed by the payer first, then `signers`,
/// under the working bank's blockhash: identical transactions in one slot are deduplicated by
/// the runtime (AlreadyProcessed), so repeated ones must differ.
pub struct TestNode {
    node: Node,
    payer: Keypair,
}

impl Default for TestNode {
    fn default() -> Self {
        Self::new()
    }
}

impl TestNode {
    /// A node with perp_pool at its declared id and a funded fee payer, at
    /// [`START_UNIX_TIMESTAMP`].
    pub fn new() -> Self {
        let node = Node::with_clock(perp_pool::ID, ClockSource::Fixed(START_UNIX_TIMESTAMP));
        let payer = Keypair::new();
        node.airdrop(&payer.pubkey(), sol_to_lamports(PAYER_SOL))
            .expect("fund the test payer");
        TestNode { node, payer }
    }

    /// The node itself (the bank, `send`, `simulate`, landed transactions).
    pub fn node(&self) -> &Node {
        &self.node
    }

    pub fn payer(&self) -> &Keypair {
        &self.payer
    }

    /// `ixs` signed by the payer and `signers` under the current blockhash.
    pub fn transaction(&self, ixs: &[Instruction], signers: &[&Keypair]) -> Transaction {
        let mut all: Vec<&Keypair> = vec![&self.payer];
        all.extend_from_slice(signers);
        Transaction::new_signed_with_payer(
            ixs,
            Some(&self.payer.pubkey()),
            &all,
            self.node.bank().last_blockhash(),
        )
    }

    /// Executes and commits `ixs` through the node's `send` (the path `sendTransaction` takes
    /// without preflight).
    pub fn process(&self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<Executed, Failed> {
        let refused = |err| Failed {
            err,
            logs: Vec::new(),
        };
        let tx = self.transaction(ixs, signers);
        let signature = match self.node.send(tx.into()).map_err(refused)? {
            SendOutcome::Landed(signature) => signature,
            SendOutcome::Dropped(_, err) => return Err(refused(err)),
        };
        let landed = self
            .node
            .landed(&signature)
            .expect("a landed transaction is recorded");
        let meta = landed.meta.clone();
        let logs = meta.log_messages.unwrap_or_default();
        match meta.status {
            Ok(()) => Ok(Executed {
                signature,
                logs,
                return_data: meta.return_data.map(|d| d.data).unwrap_or_default(),
                units_consumed: meta.compute_units_consumed.unwrap_or_default(),
            }),
            Err(err) => Err(Failed { err, logs }),
        }
    }

    /// Simulates `ixs` in the working bank (the path `simulateTransaction` takes); nothing is
    /// committed. Views read their answer from `return_data`.
    pub fn simulate(&self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<Executed, Failed> {
        let tx = self.transaction(ixs, signers);
        let signature = tx.signatures[0];
        let bank = self.node.bank();
        let sanitized = self
            .node
            .verify(&bank, tx.into(), true)
            .map_err(|err| Failed {
                err,
                logs: Vec::new(),
            })?;
        let (_slot, result) = self.node.simulate(&sanitized);
        match result.result {
            Ok(()) => Ok(Executed {
                signature,
                logs: result.logs,
                return_data: result.return_data.map(|d| d.data).unwrap_or_default(),
                units_consumed: result.units_consumed,
            }),
            Err(err) => Err(Failed {
                err,
                logs: result.logs,
            }),
        }
    }

    /// The account as the working bank holds it; `None` if it does not exist (no lamports).
    pub fn account(&self, key: &Pubkey) -> Option<Account> {
        self.node.bank().get_account(key).map(Account::from)
    }

    /// Writes an account as it is (`perpnode_setAccount`).
    pub fn set_account(&self, key: &Pubkey, account: Account) {
        self.node
            .set_account(key, &AccountSharedData::from(account));
    }

    pub fn clock(&self) -> Clock {
        self.node.bank().clock()
    }

    pub fn rent(&self) -> Rent {
        self.node.bank().rent_collector().rent
    }

    /// Moves the clock `seconds` forward in the working slot and every later one
    /// (`perpnode_warpClock`); returns the new `unix_timestamp`.
    pub fn warp_clock(&self, seconds: i64) -> i64 {
        self.node.warp_clock(seconds)
    }

    /// Closes `n` slots (new blockhash each, `perpnode_advanceSlots`); returns the new slot.
    pub fn advance_slots(&self, n: u64) -> u64 {
        for _ in 0..n {
            self.node.advance_slot();
        }
        self.node.bank().slot()
    }

    /// Lamports from the genesis faucet, as a real transfer (`requestAirdrop`).
    pub fn airdrop(&self, to: &Pubkey, lamports: u64) {
        self.node.airdrop(to, lamports).expect("airdrop");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_sdk::system_instruction;

    #[test]
    fn clock_moves_only_when_warped() {
        let node = TestNode::new();
        assert_eq!(node.clock().unix_timestamp, START_UNIX_TIMESTAMP);
        let slot = node.clock().slot;
        assert_eq!(node.advance_slots(2), slot + 2);
        assert_eq!(node.clock().unix_timestamp, START_UNIX_TIMESTAMP);
        assert_eq!(node.warp_clock(30), START_UNIX_TIMESTAMP + 30);
        node.advance_slots(1);
        assert_eq!(node.clock().unix_timestamp, START_UNIX_TIMESTAMP + 30);
    }

    #[test]
    fn a_repeated_transaction_is_refused_until_the_next_slot() {
        let node = TestNode::new();
        let to = Pubkey::new_unique();
        let ix = system_instruction::transfer(&node.payer().pubkey(), &to, 1_000_000_000);
        let landed = node
            .process(std::slice::from_ref(&ix), &[])
            .expect("transfer");
        assert!(landed.logs.iter().any(|l| l.contains("success")));
        let again = node
            .process(std::slice::from_ref(&ix), &[])
            .expect_err("duplicate");
        assert_eq!(again.err, TransactionError::AlreadyProcessed);
        node.advance_slots(1);
        node.process(&[ix], &[]).expect("new blockhash");
        assert_eq!(node.account(&to).map(|a| a.lamports), Some(2_000_000_000));
    }

    #[test]
    fn an_instruction_error_keeps_its_logs() {
        let node = TestNode::new();
        let poor = Keypair::new();
        node.airdrop(&poor.pubkey(), 1_000_000);
        let ix = system_instruction::transfer(&poor.pubkey(), &Pubkey::new_unique(), 2_000_000);
        let failed = node.process(&[ix], &[&poor]).expect_err("insufficient");
        assert_eq!(failed.custom_code(), Some(1)); // SystemError::ResultWithNegativeLamports
        assert!(!failed.logs.is_empty());
    }
}
