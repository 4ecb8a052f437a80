//! Arbitrary bytes as an RPM header blob: parsing and every accessor must return (an error or
//! a value), never panic, loop or allocate without bound.
#![no_main]

use drydock_inventory::rpm::{Header, RpmEntry, header::tag};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = Header::parse(data) {
        let _ = RpmEntry::from_header(&h);
        let _ = h.files();
        for t in [
            tag::NAME,
            tag::EPOCH,
            tag::DIRINDEXES,
            tag::BASENAMES,
            tag::HEADERIMMUTABLE,
        ] {
            let _ = h.strings(t);
            let _ = h.u32s(t);
            let _ = h.string(t);
        }
    }
});
