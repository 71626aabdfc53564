//! A small insert-only hash set for the few sets the core keeps (row ids seen across the pages
//! of a split query, a sync page's boundary and deleted ids). `alloc` has no `HashSet`; std's
//! (hashbrown + SipHash) cost about 7 KB of wasm and `BTreeSet` measured 13.7 KB more than it in
//! the vtiger module (issue 13): this is open addressing with linear probing over one `Vec`,
//! a few hundred bytes, O(1) per insert like the one it replaces.

use crate::prelude::*;

/// A key of a [`Set`]: equality and a 64-bit hash.
pub(crate) trait Key: Eq {
    /// The key's hash (any spread-out function of what `==` compares).
    fn hash(&self) -> u64;
}

/// FNV-1a over bytes, then a multiply-xorshift finaliser so that the low bits (the slot) depend
/// on every byte.
fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

fn fnv(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

const FNV_BASIS: u64 = 0xcbf2_9ce4_8422_2325;

impl Key for String {
    fn hash(&self) -> u64 {
        finish(fnv(FNV_BASIS, self.as_bytes()))
    }
}

impl Key for crate::vtiger::id::WsId {
    fn hash(&self) -> u64 {
        finish(u64::from(self.prefix).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ self.record)
    }
}

impl<A: Key> Key for (A, u64) {
    fn hash(&self) -> u64 {
        finish(self.0.hash() ^ self.1.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }
}

/// An insert-only set (no removal: nothing in the core needs it).
#[derive(Clone, Debug)]
pub(crate) struct Set<T> {
    /// A power of two of slots (or none), at most three quarters full.
    slots: Vec<Option<T>>,
    len: usize,
}

impl<T> Default for Set<T> {
    fn default() -> Self {
        Set {
            slots: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Key> Set<T> {
    /// An empty set (allocates on the first insert).
    pub(crate) fn new() -> Self {
        Set::default()
    }

    /// The number of keys.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The slot holding `k`, or the empty slot where it would go; `None` when there are no slots.
    fn slot(&self, k: &T) -> Option<usize> {
        let mask = self.slots.len().checked_sub(1)?;
        // Truncating the hash to usize keeps its low bits: the ones the mask takes.
        let mut i = k.hash() as usize & mask;
        // Never full (at most 3/4), so an empty slot ends the probe.
        loop {
            match self.slots.get(i)? {
                Some(x) if x != k => i = (i + 1) & mask,
                _ => return Some(i),
            }
        }
    }

    /// Whether `k` is in the set.
    pub(crate) fn contains(&self, k: &T) -> bool {
        self.slot(k)
            .and_then(|i| self.slots.get(i))
            .is_some_and(Option::is_some)
    }

    /// Adds `k`; false when it was already there (the set is unchanged).
    pub(crate) fn insert(&mut self, k: T) -> bool {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            let size = (self.slots.len() * 2).max(8);
            let old = core::mem::take(&mut self.slots);
            self.slots.resize_with(size, || None);
            self.len = 0;
            for x in old.into_iter().flatten() {
                self.insert(x);
            }
        }
        match self.slot(&k).and_then(|i| self.slots.get_mut(i)) {
            Some(s @ None) => {
                *s = Some(k);
                self.len += 1;
                true
            }
            _ => false,
        }
    }
}

impl<T> IntoIterator for Set<T> {
    type Item = T;
    type IntoIter = core::iter::Flatten<alloc::vec::IntoIter<Option<T>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.slots.into_iter().flatten()
    }
}

impl<T: Key> Extend<T> for Set<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for x in iter {
            self.insert(x);
        }
    }
}

impl<T: Key> FromIterator<T> for Set<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut s = Set::new();
        s.extend(iter);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vtiger::id::WsId;
    use std::collections::HashSet;

    #[test]
    fn behaves_as_a_hash_set() {
        // Many keys (several growths), repeats, and keys that differ in one byte.
        let mut set = Set::new();
        let mut model = HashSet::new();
        for i in 0..5000u64 {
            let k = format!("{}x{}", i % 7 + 1, (i * 7919) % 1500);
            assert_eq!(set.insert(k.clone()), model.insert(k.clone()), "{k}");
            assert!(set.contains(&k));
        }
        assert_eq!(set.len(), model.len());
        for i in 0..3000u64 {
            let k = format!("{}x{}", i % 9 + 1, i);
            assert_eq!(set.contains(&k), model.contains(&k), "{k}");
        }
        assert!(!Set::<String>::new().contains(&String::new()));
    }

    #[test]
    fn tuple_and_id_keys() {
        let a = WsId::new(12, 5).unwrap();
        let b = WsId::new(5, 12).unwrap();
        let mut s: Set<(WsId, u64)> = [(a, 1), (b, 1)].into_iter().collect();
        assert!(s.contains(&(a, 1)) && s.contains(&(b, 1)) && !s.contains(&(a, 2)));
        assert!(!s.insert((a, 1)) && s.insert((a, 2)));
        let ids: Set<WsId> = [a, a, b].into_iter().collect();
        assert_eq!(ids.len(), 2);
    }
}
