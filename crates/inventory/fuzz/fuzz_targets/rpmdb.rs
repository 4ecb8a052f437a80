//! Arbitrary bytes as a whole rpmdb file (SQLite, BerkeleyDB hash or ndb, chosen by the magic
//! bytes the fuzzer finds): an error or a package list, never a panic.
#![no_main]

use drydock_inventory::rpm::parse_rpmdb;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_rpmdb(data);
});
