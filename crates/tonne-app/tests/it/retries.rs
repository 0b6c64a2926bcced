//! Property: retries are idempotent. Random sequences of transfers — some retried with the same
//! key and payload, some reusing a key for another payload, flushed in random batches — must give
//! the same journal and state as applying each distinct command once, and must survive reopening.

use crate::util::*;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeMap;
use tonne_app::Outcome;
use tonne_registry::Code;

const ACCOUNTS: [&str; 4] = ["CA-AUCTION", "CA3001-H", "CA1001-H", "QC2001-H"];

#[derive(Debug, Clone)]
enum Step {
    /// A new command under a fresh key.
    Fresh { from: usize, to: usize, q: u64 },
    /// The same command again under an earlier key.
    Retry { pick: usize },
    /// An earlier key reused for a different command.
    Reuse { pick: usize, q: u64 },
    /// Commit what is staged.
    Flush,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..4usize, 0..4usize, 1..60_000u64).prop_map(|(from, to, q)| Step::Fresh { from, to, q }),
        2 => any::<usize>().prop_map(|pick| Step::Retry { pick }),
        1 => (any::<usize>(), 1..60_000u64).prop_map(|(pick, q)| Step::Reuse { pick, q }),
        1 => Just(Step::Flush),
    ]
}

/// Runs the property with a seed that is printed on failure (`PROPTEST_RNG_SEED` reproduces
/// it); each case builds a demo registry on disk, so 24 cases unless `PROPTEST_CASES` says more.
#[test]
fn retries_return_the_stored_result_and_change_nothing() {
    use proptest::test_runner::{Config, RngSeed, TestRunner};
    let mut config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var("PROPTEST_CASES").is_err() {
        config.cases = 24;
    }
    let seed = match config.rng_seed {
        RngSeed::Fixed(s) => s,
        RngSeed::Random => {
            use std::hash::BuildHasher;
            std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now())
        }
    };
    config.rng_seed = RngSeed::Fixed(seed);
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    if let Err(e) = runner.run(&prop::collection::vec(step(), 1..40), |steps| {
        run_case(&steps)
    }) {
        panic!(
            "{e}\n\nproperty failed: reproduce with PROPTEST_RNG_SEED={seed} (PROPTEST_CASES={cases})"
        );
    }
}

fn run_case(steps: &[Step]) -> Result<(), TestCaseError> {
    let (_dir, path, mut ledger) = demo_ledger();
    // key -> (command, first outcome as seq or code)
    let mut first: BTreeMap<String, (tonne_registry::Envelope, Result<u64, Code>)> =
        BTreeMap::new();
    let mut keys: Vec<String> = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        match s {
            Step::Fresh { from, to, q } => {
                let key = format!("k{i}");
                let env = transfer(&key, ACCOUNTS[*from], ACCOUNTS[*to], *q);
                let o = ledger.stage(&env).unwrap();
                let r = match &o {
                    Outcome::Accepted { seq, .. } => Ok(*seq),
                    Outcome::Rejected(r) => Err(r.code),
                    Outcome::Replayed(j) => panic!("a fresh key replayed: {j}"),
                };
                first.insert(key.clone(), (env, r));
                keys.push(key);
            }
            Step::Retry { pick } if !keys.is_empty() => {
                let key = &keys[pick % keys.len()];
                let (env, r) = first[key].clone();
                let head = ledger.head();
                let o = ledger.stage(&env).unwrap();
                prop_assert_eq!(ledger.head(), head, "a retry appends nothing");
                match (&o, r) {
                    (Outcome::Replayed(j), Ok(seq)) => {
                        let v: serde_json::Value = serde_json::from_str(j).unwrap();
                        prop_assert_eq!(v["seq"].as_u64(), Some(seq));
                    }
                    (Outcome::Replayed(j), Err(code)) => {
                        let v: serde_json::Value = serde_json::from_str(j).unwrap();
                        prop_assert_eq!(v["code"].as_u64(), Some(u64::from(code.number())));
                    }
                    other => prop_assert!(false, "a retry must replay, got {:?}", other),
                }
            }
            Step::Reuse { pick, q } if !keys.is_empty() => {
                let key = keys[pick % keys.len()].clone();
                let (orig, _) = &first[&key];
                let env = transfer(&key, "CA-AUCTION", "QC2001-H", *q);
                if env.cmd == orig.cmd {
                    continue;
                }
                let head = ledger.head();
                let o = ledger.stage(&env).unwrap();
                prop_assert_eq!(rejected(&o), Code::IdempotencyConflict);
                prop_assert_eq!(ledger.head(), head, "a conflicting key appends nothing");
            }
            Step::Flush => ledger.flush().unwrap(),
            _ => {}
        }
    }
    ledger.flush().unwrap();
    // Exactly the accepted first attempts are in the journal, in order, once each.
    let accepted: Vec<String> = {
        let mut v: Vec<(u64, String)> = first
            .iter()
            .filter_map(|(k, (_, r))| r.as_ref().ok().map(|s| (*s, k.clone())))
            .collect();
        v.sort();
        v.into_iter().map(|(_, k)| k).collect()
    };
    let journal = journal_keys(&mut ledger);
    prop_assert_eq!(
        &journal[tonne_app::demo::journal_entries() as usize..],
        &accepted[..]
    );
    verify_ok(&mut ledger);
    // Reopening rebuilds the same state, and every key still answers the same way.
    let mut reopened = open(&path);
    prop_assert_eq!(reopened.head(), ledger.head());
    prop_assert_eq!(
        reopened.state().holding_rows(),
        ledger.state().holding_rows()
    );
    for (env, _) in first.values() {
        prop_assert!(matches!(reopened.stage(env).unwrap(), Outcome::Replayed(_)));
    }
    Ok(())
}
