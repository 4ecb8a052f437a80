//! A small LRU map with a time to live and a size bound (decisions, signature checks, scan
//! summaries, tag resolutions). `O(log n)` per operation: a hash map for entries and a
//! B-tree of use ticks for the eviction order.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Entry<V> {
    value: V,
    inserted: Instant,
    tick: u64,
}

struct Inner<K, V> {
    map: HashMap<K, Entry<V>>,
    order: BTreeMap<u64, K>,
    next: u64,
}

/// Thread-safe TTL + LRU cache.
pub struct TtlLru<K, V> {
    inner: Mutex<Inner<K, V>>,
    ttl: Duration,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V: Clone> TtlLru<K, V> {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        TtlLru {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                order: BTreeMap::new(),
                next: 0,
            }),
            ttl,
            capacity: capacity.max(1),
        }
    }

    /// The value, when present and younger than the TTL (it becomes the most recent).
    pub fn get(&self, k: &K) -> Option<V> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let inner = &mut *g;
        let (expired, old_tick) = match inner.map.get(k) {
            None => return None,
            Some(e) => (e.inserted.elapsed() > self.ttl, e.tick),
        };
        inner.order.remove(&old_tick);
        if expired {
            inner.map.remove(k);
            return None;
        }
        let tick = inner.next;
        inner.next += 1;
        inner.order.insert(tick, k.clone());
        let e = inner.map.get_mut(k)?;
        e.tick = tick;
        Some(e.value.clone())
    }

    pub fn insert(&self, k: K, v: V) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let inner = &mut *g;
        let tick = inner.next;
        inner.next += 1;
        if let Some(old) = inner.map.insert(
            k.clone(),
            Entry {
                value: v,
                inserted: Instant::now(),
                tick,
            },
        ) {
            inner.order.remove(&old.tick);
        }
        inner.order.insert(tick, k);
        while inner.map.len() > self.capacity {
            let Some((_, oldest)) = inner.order.pop_first() else {
                break;
            };
            inner.map.remove(&oldest);
        }
    }

    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.map.clear();
        g.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used() {
        let c = TtlLru::new(2, Duration::from_secs(60));
        c.insert("a", 1);
        c.insert("b", 2);
        assert_eq!(c.get(&"a"), Some(1)); // a is now the most recent
        c.insert("c", 3);
        assert_eq!(c.get(&"b"), None);
        assert_eq!(c.get(&"a"), Some(1));
        assert_eq!(c.get(&"c"), Some(3));
        assert_eq!(c.len(), 2);
        c.insert("c", 4);
        assert_eq!(c.get(&"c"), Some(4));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn expires_after_ttl() {
        let c = TtlLru::new(10, Duration::from_millis(30));
        c.insert(1, "x");
        assert_eq!(c.get(&1), Some("x"));
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(c.get(&1), None);
        assert!(c.is_empty());
    }
}
