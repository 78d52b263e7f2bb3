//! The two environment variables every co-simulation test reads.
//!
//! - `NICC_FULL=1` (`make test-full`) selects a test's whole parameter matrix instead of the
//!   documented `make test` subset.
//! - `NICC_SEED=<n>` replays a random run; tests print the seed they used on failure.

/// True when `NICC_FULL=1`: run the whole matrix.
pub fn full() -> bool {
    std::env::var("NICC_FULL").is_ok_and(|v| v == "1")
}

/// The seed from `NICC_SEED`, or `default` when it is unset or not a number.
pub fn seed_or(default: u64) -> u64 {
    std::env::var("NICC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
