//! The contract every backend passes. Each backend's integration test calls [`run_all`] with a
//! factory that returns a fresh, empty, migrated store.

use crate::Store;

pub fn run_all(make: &mut dyn FnMut() -> Box<dyn Store>) {
    let mut s = make();
    s.migrate().expect("migrate twice is harmless");
    assert_eq!(s.head().unwrap().0, 0);
}
