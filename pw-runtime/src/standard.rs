//! Where the standard parameters sit among the entries of a [`Params`]:
//! found in one pass, so that the checks after it do no lookup.
//!
//! Each entry is looked up by its prefix (its first eight bytes) and its
//! length in a table of the standard names indexed by a perfect hash of
//! their prefixes ([`slot`]): one multiplication, one load and two
//! comparisons an entry.

use crate::params::prefix_of;
use crate::params::Params;
use pw_catalog::ApiType;

/// The standard names; [`Standard`] keeps the entry index of each.
const NAMES: [&str; 11] = [
    "uid",
    "ref",
    "type",
    "goodsid",
    "slength",
    "speriod",
    "currency",
    "is_test",
    "reason",
    "sig",
    "sign_version",
];

const UID: usize = 0;
const REF: usize = 1;
const TYPE: usize = 2;
const GOODSID: usize = 3;
const SLENGTH: usize = 4;
const SPERIOD: usize = 5;
const CURRENCY: usize = 6;
const IS_TEST: usize = 7;
const REASON: usize = 8;
const SIG: usize = 9;
const SIGN_VERSION: usize = 10;
/// No entry.
const NONE: u32 = u32::MAX;

/// An entry index.
fn to_u32(index: usize) -> u32 {
    debug_assert!(index < NONE as usize);
    index as u32
}

/// The multiplier of [`slot`], found by trying random odd numbers until
/// the eleven prefixes of [`NAMES`] fell in eleven different slots (the
/// build fails if they ever do not: see [`TABLE`]).
const MAGIC: u64 = 0xa11d_459a_2f97_8d87;

/// How many bits of the product pick a slot: 16 slots for 11 names.
const SLOT_BITS: u32 = 4;

/// The slot of a name by its prefix (see [`prefix_of`]): a perfect hash
/// of the standard names, the top bits of a multiplication.
const fn slot(prefix: u64) -> usize {
    (prefix.wrapping_mul(MAGIC) >> (64 - SLOT_BITS)) as usize
}

/// The prefix, length and index in [`NAMES`] of the standard name in each
/// slot; `(0, 0, 0)` in an empty slot, which no entry matches (no name is
/// empty).
const TABLE: [(u64, usize, usize); 1 << SLOT_BITS] = {
    let mut table = [(0, 0, 0); 1 << SLOT_BITS];
    let mut i = 0;
    while i < NAMES.len() {
        let prefix = prefix_of(NAMES[i].as_bytes());
        let at = slot(prefix);
        assert!(table[at].1 == 0, "two standard names in one slot");
        table[at] = (prefix, NAMES[i].len(), i);
        i += 1;
    }
    table
};

/// The entry indices of the standard parameters of a [`Params`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Standard {
    /// The entry index of each of [`NAMES`] given as a single value, or
    /// [`NONE`]. (Indices fit in `u32`: there are fewer entries than input
    /// bytes. Small, the struct is copied by a few moves.)
    at: [u32; NAMES.len()],
    /// `goodsid` is given as an array (`goodsid[0]`, ...).
    pub(crate) goodsid_array: bool,
}

impl Standard {
    pub(crate) fn find(params: &Params) -> Standard {
        let mut at = [NONE; NAMES.len()];
        let mut goodsid_array = false;
        // One lookup an entry, independent of the others. (Walking the
        // entries and the standard names sorted by prefix together cost
        // about 30 instructions an entry, in branches that depend on the
        // names.) A name is given once at most, as `Params` rejects repeats.
        params.for_each_prefix(|index, prefix, len, is_array| {
            let (expected, expected_len, name) = TABLE[slot(prefix)];
            if expected == prefix && expected_len == len {
                if is_array {
                    goodsid_array |= name == GOODSID;
                } else {
                    at[name] = to_u32(index);
                }
            }
        });
        // A prefix covers only eight of the twelve bytes of `sign_version`.
        let index = at[SIGN_VERSION];
        if index != NONE && params.name_at(index as usize) != NAMES[SIGN_VERSION] {
            at[SIGN_VERSION] = params
                .scalar_index(NAMES[SIGN_VERSION])
                .map_or(NONE, to_u32);
        }
        Standard { at, goodsid_array }
    }

    /// The entry index of the single value named `NAMES[name]`.
    fn get(&self, name: usize) -> Option<usize> {
        let index = self.at[name];
        (index != NONE).then_some(index as usize)
    }

    pub(crate) fn uid(&self) -> Option<usize> {
        self.get(UID)
    }

    pub(crate) fn reference(&self) -> Option<usize> {
        self.get(REF)
    }

    pub(crate) fn pingback_type(&self) -> Option<usize> {
        self.get(TYPE)
    }

    pub(crate) fn goodsid(&self) -> Option<usize> {
        self.get(GOODSID)
    }

    pub(crate) fn slength(&self) -> Option<usize> {
        self.get(SLENGTH)
    }

    pub(crate) fn speriod(&self) -> Option<usize> {
        self.get(SPERIOD)
    }

    pub(crate) fn currency(&self) -> Option<usize> {
        self.get(CURRENCY)
    }

    pub(crate) fn is_test(&self) -> Option<usize> {
        self.get(IS_TEST)
    }

    pub(crate) fn reason(&self) -> Option<usize> {
        self.get(REASON)
    }

    /// The required parameters of `api` that are absent or empty (an array
    /// counts as present), as Paymentwall's libraries define them.
    pub(crate) fn missing(&self, api: ApiType, params: &Params) -> Vec<&'static str> {
        let present = |name: usize| self.get(name).is_some_and(|i| !params.value_is_empty_at(i));
        let goods = match api {
            ApiType::VirtualCurrency => present(CURRENCY),
            ApiType::DigitalGoods | ApiType::Cart => present(GOODSID) || self.goodsid_array,
        };
        if goods && present(UID) && present(TYPE) && present(REF) && present(SIG) {
            return Vec::new();
        }
        api.required_parameters()
            .iter()
            .copied()
            .filter(|&name| match name {
                "currency" | "goodsid" => !goods,
                name => !NAMES.iter().position(|&n| n == name).is_some_and(present),
            })
            .collect()
    }

    pub(crate) fn sign_version<'a>(&self, params: &'a Params) -> Option<&'a str> {
        self.get(SIGN_VERSION).map(|i| params.value_at(i))
    }

    pub(crate) fn sig<'a>(&self, params: &'a Params) -> Option<&'a str> {
        self.get(SIG).map(|i| params.value_at(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_names_are_the_catalogs_reserved_names() {
        // `NAMES` is ordered for the indices above; as a set it is the
        // catalog's list of reserved names.
        let mut names = NAMES.to_vec();
        names.sort_unstable();
        let mut reserved = crate::catalog::RESERVED_NAMES.to_vec();
        reserved.sort_unstable();
        assert_eq!(names, reserved);
    }

    #[test]
    fn every_required_parameter_is_a_standard_name() {
        for api in ApiType::ALL {
            for name in api.required_parameters() {
                assert!(NAMES.contains(name), "{api}: {name}");
            }
        }
    }

    #[test]
    fn finds_each_standard_name_and_no_other() {
        let mut pairs: Vec<(String, String)> = NAMES
            .iter()
            .map(|&name| (name.to_owned(), format!("v-{name}")))
            .collect();
        for other in [
            "sign_versioN",
            "sign_verzzzz",
            "uid2",
            "ui",
            "sigma",
            "types",
            "a",
        ] {
            pairs.push((other.to_owned(), "x".to_owned()));
        }
        let params = Params::from_pairs(pairs).unwrap();
        let found = Standard::find(&params);
        for (i, name) in NAMES.iter().enumerate() {
            let index = found.get(i).unwrap_or_else(|| panic!("{name} not found"));
            assert_eq!(params.name_at(index), *name);
        }
        assert!(!found.goodsid_array);
        let arrays = Params::from_pairs([("goodsid[0]", "a"), ("uid[0]", "u")]).unwrap();
        let found = Standard::find(&arrays);
        assert!(found.goodsid_array);
        assert_eq!(found.at, [NONE; NAMES.len()]);
    }
}
