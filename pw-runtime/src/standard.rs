//! Where the standard parameters sit among the entries of a [`Params`]:
//! found in one pass, so that the checks after it do no lookup.
//!
//! Each entry is looked up by its prefix (its first eight bytes) and its
//! length in tables of the standard names indexed by a perfect hash of
//! their prefixes ([`slot`]): one multiplication, one load and two
//! comparisons an entry.

use crate::params::prefix_of;
use crate::params::{Params, ValueAt};
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
/// build fails if they ever do not: see [`PREFIXES`]).
const MAGIC: u64 = 0xa11d_459a_2f97_8d87;

/// How many bits of the product pick a slot: 16 slots for 11 names.
const SLOT_BITS: u32 = 4;

/// The slot of a name by its prefix (see [`prefix_of`]): a perfect hash
/// of the standard names, the top bits of a multiplication.
const fn slot(prefix: u64) -> usize {
    (prefix.wrapping_mul(MAGIC) >> (64 - SLOT_BITS)) as usize
}

/// The length and the index in [`NAMES`] of a standard name.
#[derive(Clone, Copy)]
struct Name {
    /// Its length.
    len: u32,
    /// Its index in [`NAMES`].
    index: u32,
}

/// The prefix of the standard name in each slot, 0 in an empty slot,
/// which no entry matches (no name is empty); its length and index in
/// [`NAMES_BY_SLOT`]. Two tables of eight-byte items rather than one of
/// sixteen, so that a slot is read at `slot * 8`, an address x86 forms
/// without a shift (2 instructions an entry).
const PREFIXES: [u64; 1 << SLOT_BITS] = {
    let mut table = [0; 1 << SLOT_BITS];
    let mut i = 0;
    while i < NAMES.len() {
        let prefix = prefix_of(NAMES[i].as_bytes());
        let at = slot(prefix);
        assert!(table[at] == 0, "two standard names in one slot");
        table[at] = prefix;
        i += 1;
    }
    table
};

/// The length and index in [`NAMES`] of the standard name in each slot
/// (see [`PREFIXES`]).
const NAMES_BY_SLOT: [Name; 1 << SLOT_BITS] = {
    let mut table = [Name { len: 0, index: 0 }; 1 << SLOT_BITS];
    let mut i = 0;
    while i < NAMES.len() {
        table[slot(prefix_of(NAMES[i].as_bytes()))] = Name {
            len: NAMES[i].len() as u32,
            index: i as u32,
        };
        i += 1;
    }
    table
};

/// The entry indices of the standard parameters of a [`Params`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Standard {
    /// The entry index of each of [`NAMES`] given as a single value, or
    /// [`NONE`]. (Indices fit in `u32`: there are fewer entries than input
    /// bytes.)
    at: [u32; NAMES.len()],
    /// Where the value of each of [`NAMES`] given as a single value
    /// stands; empty when it is not given.
    values: [ValueAt; NAMES.len()],
    /// `goodsid` is given as an array (`goodsid[0]`, ...).
    pub(crate) goodsid_array: bool,
    /// `sig` is given as an array (`sig[0]`, ...).
    sig_array: bool,
}

impl Standard {
    /// Finds the standard parameters of `params`. Inlined, so that the
    /// verifier fills its own copy of the tables rather than moving them
    /// out of a call (about 30 instructions per pingback).
    #[inline(always)]
    pub(crate) fn find(params: &Params) -> Standard {
        let mut at = [NONE; NAMES.len()];
        let mut values = [ValueAt::default(); NAMES.len()];
        let mut goodsid_array = false;
        let mut sig_array = false;
        // One lookup an entry, independent of the others. (Walking the
        // entries and the standard names sorted by prefix together cost
        // about 30 instructions an entry, in branches that depend on the
        // names.) A name is given once at most, as `Params` rejects repeats.
        params.for_each_prefix(|index, prefix, len, is_array, value| {
            let at_slot = slot(prefix);
            if PREFIXES[at_slot] == prefix && NAMES_BY_SLOT[at_slot].len as usize == len {
                let name = NAMES_BY_SLOT[at_slot].index as usize;
                if is_array {
                    goodsid_array |= name == GOODSID;
                    sig_array |= name == SIG;
                } else {
                    at[name] = to_u32(index);
                    values[name] = value;
                }
            }
        });
        // A prefix covers only eight of the twelve bytes of `sign_version`.
        let index = at[SIGN_VERSION];
        if index != NONE && params.name_bytes_at(index as usize) != NAMES[SIGN_VERSION].as_bytes() {
            let index = params.scalar_index(NAMES[SIGN_VERSION]);
            at[SIGN_VERSION] = index.map_or(NONE, to_u32);
            values[SIGN_VERSION] =
                index.map_or_else(ValueAt::default, |i| params.value_place_at(i));
        }
        Standard {
            at,
            values,
            goodsid_array,
            sig_array,
        }
    }

    /// The entry index of the single value named `NAMES[name]`.
    #[inline]
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

    /// True when the parameter `NAMES[name]` is given and not empty.
    #[inline]
    fn present(&self, name: usize) -> bool {
        !self.values[name].is_empty()
    }

    /// The bytes of the value of `NAMES[name]`, if given as a single value.
    #[inline]
    fn bytes<'a>(&self, name: usize, params: &'a Params) -> Option<&'a [u8]> {
        self.get(name).map(|_| params.bytes_of(self.values[name]))
    }

    /// The bytes of the value of `NAMES[name]`, empty when it is not given
    /// as a single value (its place is then empty): for the names whose
    /// absence means the same as an empty value, without the test of
    /// their entry (about 20 instructions per pingback).
    #[inline]
    fn bytes_or_empty<'a>(&self, name: usize, params: &'a Params) -> &'a [u8] {
        params.bytes_of(self.values[name])
    }

    /// The bytes of `type`, empty when absent.
    pub(crate) fn pingback_type_bytes<'a>(&self, params: &'a Params) -> &'a [u8] {
        self.bytes_or_empty(TYPE, params)
    }

    /// The bytes of `is_test`, empty when absent.
    pub(crate) fn is_test_bytes<'a>(&self, params: &'a Params) -> &'a [u8] {
        self.bytes_or_empty(IS_TEST, params)
    }

    /// The bytes of `reason`, empty when absent.
    pub(crate) fn reason_bytes<'a>(&self, params: &'a Params) -> &'a [u8] {
        self.bytes_or_empty(REASON, params)
    }

    /// The bytes of `slength`, empty when absent.
    pub(crate) fn slength_bytes<'a>(&self, params: &'a Params) -> &'a [u8] {
        self.bytes_or_empty(SLENGTH, params)
    }

    /// The bytes of `speriod`, empty when absent.
    pub(crate) fn speriod_bytes<'a>(&self, params: &'a Params) -> &'a [u8] {
        self.bytes_or_empty(SPERIOD, params)
    }

    /// The bytes of `sign_version`.
    pub(crate) fn sign_version_bytes<'a>(&self, params: &'a Params) -> Option<&'a [u8]> {
        self.bytes(SIGN_VERSION, params)
    }

    /// The bytes of `sig`.
    pub(crate) fn sig_bytes<'a>(&self, params: &'a Params) -> Option<&'a [u8]> {
        self.bytes(SIG, params)
    }

    /// True when the goods parameter of `api` is present (an array counts).
    #[inline]
    fn goods(&self, api: ApiType) -> bool {
        match api {
            ApiType::VirtualCurrency => self.present(CURRENCY),
            ApiType::DigitalGoods | ApiType::Cart => self.goodsid_array || self.present(GOODSID),
        }
    }

    /// True when every required parameter of `api` is present: when
    /// [`Standard::missing`] is empty, without building it.
    #[inline]
    pub(crate) fn has_required(&self, api: ApiType) -> bool {
        self.present(UID)
            & self.present(TYPE)
            & self.present(REF)
            & self.present(SIG)
            & self.goods(api)
    }

    /// The required parameters of `api` that are absent or empty (an array
    /// counts as present), as Paymentwall's libraries define them.
    #[cold]
    pub(crate) fn missing(&self, api: ApiType) -> Vec<&'static str> {
        let present = |name: usize| self.present(name);
        let goods = self.goods(api);
        if self.has_required(api) {
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

    /// The entry index of `sign_version`.
    pub(crate) fn sign_version(&self) -> Option<usize> {
        self.get(SIGN_VERSION)
    }

    /// The entry index of `sig`.
    pub(crate) fn sig(&self) -> Option<usize> {
        self.get(SIG)
    }

    /// True when no `sig[...]` is given.
    pub(crate) fn sig_alone(&self) -> bool {
        !self.sig_array
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_of_an_absent_or_array_value_are_empty() {
        let params = Params::from_pairs([
            ("type", "2"),
            ("is_test", ""),
            ("reason[0]", "1"),
            ("slength", "-3"),
            ("sign_version_x", "9"),
        ])
        .unwrap();
        let found = Standard::find(&params);
        assert_eq!(found.pingback_type_bytes(&params), b"2");
        assert_eq!(found.is_test_bytes(&params), b"");
        assert_eq!(
            found.reason_bytes(&params),
            b"",
            "an array is no single value"
        );
        assert_eq!(found.slength_bytes(&params), b"-3");
        assert_eq!(found.speriod_bytes(&params), b"", "absent");
        assert_eq!(found.sign_version_bytes(&params), None, "a longer name");
        let none = Params::from_pairs([("uid", "u")]).unwrap();
        let found = Standard::find(&none);
        assert_eq!(found.pingback_type_bytes(&none), b"");
        assert_eq!(found.is_test_bytes(&none), b"");
    }

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
            assert_eq!(params.name_bytes_at(index), name.as_bytes());
            assert_eq!(
                found.bytes(i, &params),
                Some(format!("v-{name}").as_bytes())
            );
            assert!(found.present(i));
        }
        assert!(!found.goodsid_array);
        let arrays = Params::from_pairs([("goodsid[0]", "a"), ("uid[0]", "u")]).unwrap();
        let found = Standard::find(&arrays);
        assert!(found.goodsid_array);
        assert_eq!(found.at, [NONE; NAMES.len()]);
        assert!((0..NAMES.len()).all(|i| !found.present(i) && found.bytes(i, &arrays).is_none()));
        // Given but empty is not present.
        let empty =
            Params::from_pairs([("uid", ""), ("sign_versioN", "3"), ("sign_version", "")]).unwrap();
        let found = Standard::find(&empty);
        assert_eq!(found.bytes(UID, &empty), Some(&b""[..]));
        assert!(!found.present(UID));
        assert_eq!(found.sign_version_bytes(&empty), Some(&b""[..]));
    }
}
