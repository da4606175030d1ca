//! Raw pingback parameters: a strict `application/x-www-form-urlencoded`
//! parser, used for a query string and for a POST body alike.
//!
//! The parser finds the pairs of the input ([`scan`]), decodes those with
//! escapes ([`decode`]; a percent escape only ever shrinks), sorts the
//! pairs in [signing order](crate::signing_order) (PHP's `ksort` of names
//! and of array keys; by bytes in [`order`] when every name starts with a
//! letter) and checks for repeated names. The text the parameters keep is
//! the input decoded in place, each pair where it was; when a name had to
//! be decoded, the pairs written again in signing order ([`layout`]).

mod decode;
mod layout;
mod order;
mod scan;

pub(crate) use order::prefix_of;

use std::fmt;

use arrayvec::ArrayVec;

use crate::signing_order;

/// Limits on what [`Params::parse`] accepts, checked before any work.
///
/// ```
/// use pw_runtime::Limits;
///
/// let limits = Limits::default();
/// assert_eq!(limits.max_parameters, 256);
/// assert_eq!(limits.max_bytes, 64 * 1024);
/// let tight = Limits { max_parameters: 32, ..Limits::default() };
/// assert_eq!(tight.max_bytes, 64 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most `name=value` pairs one pingback may carry (default 256).
    pub max_parameters: usize,
    /// The most bytes of encoded input one pingback may carry (default 64 KiB).
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_parameters: 256,
            max_bytes: 64 * 1024,
        }
    }
}

/// Why some input is not acceptable pingback parameters.
///
/// Names shown in messages are cut to 64 characters; values never appear.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// The input is longer than [`Limits::max_bytes`].
    #[error("the parameters are {actual} bytes long, over the limit of {limit} bytes")]
    TooLarge {
        /// The configured limit.
        limit: usize,
        /// The length of the input.
        actual: usize,
    },
    /// The input has more pairs than [`Limits::max_parameters`].
    #[error("more than {limit} parameters")]
    TooManyParameters {
        /// The configured limit.
        limit: usize,
    },
    /// A `%` not followed by two hexadecimal digits.
    #[error(
        "invalid percent escape at byte {offset}: `%` must be followed by two hexadecimal digits"
    )]
    InvalidPercentEscape {
        /// Byte offset of the `%` in the input.
        offset: usize,
    },
    /// A name or value that does not decode to UTF-8.
    #[error("parameter `{name}` is not valid UTF-8 once decoded")]
    InvalidUtf8 {
        /// The name (lossily decoded) of the offending parameter.
        name: String,
    },
    /// A pair with no name, such as `=value`.
    #[error("a parameter at byte {offset} has an empty name")]
    EmptyName {
        /// Byte offset of the pair in the input.
        offset: usize,
    },
    /// A name with brackets that is not of the form `name[key]`.
    #[error("malformed parameter name `{name}`: brackets are allowed only as `name[key]` with a non-empty key")]
    InvalidName {
        /// The offending name.
        name: String,
    },
    /// The same scalar name (or the same array element) given twice.
    #[error(
        "parameter `{name}` appears more than once; repeated parameters are rejected, not resolved"
    )]
    Duplicate {
        /// The repeated name.
        name: String,
    },
    /// A name used both as a scalar (`goodsid=`) and as an array (`goodsid[0]=`).
    #[error("parameter `{name}` is given both as a single value and as an array")]
    ScalarAndArray {
        /// The name used both ways.
        name: String,
    },
}

impl ParamsError {
    /// True when the input was rejected for its size (HTTP 413), false when
    /// it was malformed (HTTP 400).
    ///
    /// ```
    /// use pw_runtime::{Limits, Params};
    /// let err = Params::parse(b"a=1&b=2", &Limits { max_parameters: 1, ..Limits::default() }).unwrap_err();
    /// assert!(err.is_over_limit());
    /// assert!(!Params::parse(b"a=%zz", &Limits::default()).unwrap_err().is_over_limit());
    /// ```
    pub fn is_over_limit(&self) -> bool {
        matches!(
            self,
            ParamsError::TooLarge { .. } | ParamsError::TooManyParameters { .. }
        )
    }
}

/// The error for input that is not UTF-8 once decoded: `text` is the
/// decoded input, in input order like `entries`, and not UTF-8 from
/// `error.valid_up_to()` on.
fn invalid_utf8(entries: &[Entry], text: &[u8], error: std::str::Utf8Error) -> ParamsError {
    let bad = error.valid_up_to();
    // Every byte outside the entries is an ASCII `&` or a NUL.
    let entry = entries.iter().find(|e| e.value.end as usize > bad);
    ParamsError::InvalidUtf8 {
        name: entry.map_or_else(String::new, |e| {
            pw_catalog::shown(&String::from_utf8_lossy(&text[e.name.range()]))
        }),
    }
}

/// Finds a repeated name among entries sorted by their bytes
/// ([`order::compare_bytes`]), where repeats are neighbours.
fn check_duplicates(text: &[u8], entries: &[Entry]) -> Result<(), ParamsError> {
    for pair in entries.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.prefix != b.prefix || !same_name(text, a.name, b.name) {
            continue;
        }
        let name = pw_catalog::shown(&String::from_utf8_lossy(&text[a.name.range()]));
        return Err(match (a.key(), b.key()) {
            (None, None) => ParamsError::Duplicate { name },
            (Some(x), Some(y)) if text[x.range()] == text[y.range()] => ParamsError::Duplicate {
                name: format!(
                    "{name}[{}]",
                    pw_catalog::shown(&String::from_utf8_lossy(&text[x.range()]))
                ),
            },
            (Some(_), Some(_)) => continue,
            _ => ParamsError::ScalarAndArray { name },
        });
    }
    Ok(())
}

/// True when the names at `a` and `b` (of the same prefix) are the same:
/// mostly decided by their lengths or (past eight bytes) the next eight
/// bytes, without a call to `memcmp`.
#[inline(always)]
fn same_name(text: &[u8], a: Span, b: Span) -> bool {
    let len = (a.end - a.start) as usize;
    if len != (b.end - b.start) as usize {
        return false;
    }
    if len > 8 {
        let next = |span: Span| order::prefix_at(text, span.start as usize + 8, len - 8);
        if next(a) != next(b) {
            return false;
        }
    }
    text[a.range()] == text[b.range()]
}

/// An offset into the input or a buffer laid out from it, whose length
/// `Params::parse` checked to fit in `u32` with room for one `=` per pair.
fn to_u32(offset: usize) -> u32 {
    debug_assert!(u32::try_from(offset).is_ok());
    offset as u32
}

/// A byte range of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// The span of an absent array key. Every key span starting at `u32::MAX`
/// is no key; while parsing, its end marks a pair still to decode
/// ([`scan::PENDING`], [`scan::ESCAPED_VALUE`]).
const NO_KEY: Span = Span {
    start: u32::MAX,
    end: u32::MAX,
};

/// What a buffer of entries holds before each is written at its place.
const NO_ENTRY: Entry = Entry {
    prefix: 0,
    name: NO_KEY,
    key: NO_KEY,
    value: NO_KEY,
};

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The first eight bytes of the name, big-endian: most comparisons end here.
    prefix: u64,
    name: Span,
    /// The key of an array element (`0` in `goodsid[0]`), or [`NO_KEY`]
    /// (or, while parsing, a mark of the same kind).
    key: Span,
    value: Span,
}

impl Entry {
    fn key(&self) -> Option<Span> {
        (self.key.start != NO_KEY.start).then_some(self.key)
    }
}

/// One decoded parameter, as signed.
///
/// ```
/// use pw_runtime::{Limits, Params};
/// let params = Params::parse(b"goodsid%5B0%5D=a+b", &Limits::default()).unwrap();
/// let param = params.iter().next().unwrap();
/// assert_eq!((param.name, param.key, param.value), ("goodsid", Some("0"), "a b"));
/// assert_eq!(param.to_string(), "goodsid[0]=a b");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    /// The name, without any array key.
    pub name: &'a str,
    /// The array key, for `name[key]`.
    pub key: Option<&'a str>,
    /// The decoded value.
    pub value: &'a str,
}

impl fmt::Display for Param<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.key {
            Some(key) => write!(f, "{}[{key}]={}", self.name, self.value),
            None => write!(f, "{}={}", self.name, self.value),
        }
    }
}

/// Decoded pingback parameters, in signing order.
///
/// ```
/// use pw_runtime::{Limits, Params};
///
/// let params = Params::parse(
///     b"uid=user+1&goodsid%5B1%5D=b&goodsid%5B0%5D=a&note=50%25%20off",
///     &Limits::default(),
/// )?;
/// assert_eq!(params.get("uid"), Some("user 1"));
/// assert_eq!(params.get("note"), Some("50% off"));
/// let goods: Vec<_> = params.get_array("goodsid").unwrap().map(|(_, v)| v).collect();
/// assert_eq!(goods, ["a", "b"]);
/// assert_eq!(params.get("goodsid"), None, "an array is not a single value");
/// # Ok::<(), pw_runtime::ParamsError>(())
/// ```
#[derive(Clone)]
pub struct Params {
    buf: String,
    entries: Vec<Entry>,
}

/// Shows every parameter but the value of `sig`.
impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.iter().map(|param| match param.name {
            "sig" => Param {
                value: "…",
                ..param
            },
            _ => param,
        });
        f.debug_list().entries(shown).finish()
    }
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` input strictly.
    ///
    /// `+` is a space and `%XX` a byte; names and values must decode to
    /// UTF-8. `name[key]` groups array elements. Empty pairs (`a=1&&b=2`, a
    /// trailing `&`) are skipped; a pair without `=` has an empty value.
    ///
    /// # Errors
    ///
    /// Every variant of [`ParamsError`]: over a limit, an invalid percent
    /// escape, invalid UTF-8, an empty or malformed name, a repeated name.
    ///
    /// ```
    /// use pw_runtime::{Limits, Params, ParamsError};
    /// let err = Params::parse(b"ref=1&ref=2", &Limits::default()).unwrap_err();
    /// assert_eq!(err, ParamsError::Duplicate { name: "ref".into() });
    /// ```
    pub fn parse(input: &[u8], limits: &Limits) -> Result<Params, ParamsError> {
        if input.len() > limits.max_bytes || input.len() > (u32::MAX / 2) as usize {
            return Err(ParamsError::TooLarge {
                limit: limits.max_bytes,
                actual: input.len(),
            });
        }
        // Up to 64 pairs (every real pingback) are found into an array on
        // the stack and placed by one-byte indices.
        let mut found = ArrayVec::<Entry, { order::MOST }>::new();
        let scanned = scan::scan_into(input, limits, &mut found)?;
        if !scanned.complete {
            return Params::parse_many(input, limits);
        }
        if scanned.pending {
            return Params::decode_first(input, found.to_vec());
        }
        let mut places = [0u8; order::MOST];
        let tied = order::order_by_bytes(input, &found, &mut places);
        Params::decode_in_place(input, limits, &mut found, tied, |entries| {
            // Each written at its place (`places` is a permutation): about
            // 10 instructions an entry, where gathering them through the
            // index at each place cost about 15 an entry and a pass to
            // find those indices. Over a filled buffer: a loop of stores
            // costs about 17 fewer instructions for 14 entries than
            // `to_vec`'s call to `memcpy`.
            let mut sorted = vec![NO_ENTRY; entries.len()];
            let pairs = entries.chunks_exact(2);
            if let [last] = pairs.remainder() {
                sorted[usize::from(places[entries.len() - 1])] = *last;
            }
            // Two a step: the loop's own instructions once for both.
            for (pair, places) in pairs.zip(places.chunks_exact(2)) {
                sorted[usize::from(places[0])] = pair[0];
                sorted[usize::from(places[1])] = pair[1];
            }
            sorted
        })
    }

    /// [`Params::parse`] of more than 64 pairs.
    fn parse_many(input: &[u8], limits: &Limits) -> Result<Params, ParamsError> {
        let mut entries = scan::scan(input, limits)?;
        if entries.iter().any(|entry| entry.key == scan::PENDING) {
            return Params::decode_first(input, entries);
        }
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_unstable_by(|&a, &b| order::compare_bytes(input, &entries[a], &entries[b]));
        Params::decode_in_place(input, limits, &mut entries, true, |entries| {
            order.iter().map(|&index| entries[index]).collect()
        })
    }

    /// The parameters of `entries` (in input order, found by the scan with
    /// no name to decode), put in their order by bytes by `arrange`; `tied`
    /// is false when no two names can be the same (see
    /// [`order::order_by_bytes`]).
    ///
    /// The text is the input with each escaped value decoded in place (the
    /// bytes it frees set to NUL), checked for UTF-8 once; the entries point
    /// into it in signing order. Nothing is copied pair by pair: writing
    /// the pairs again in signing order cost about 100 instructions per
    /// pair, hashing them from where they are costs less. As no name starts
    /// with a continuation byte, and pairs stay apart (`&` between them),
    /// valid as a whole means valid pair by pair. Whatever fails (an
    /// escape, UTF-8, a name that does not start plainly) is left to
    /// [`Params::decode_first`], which finds the error an input gets.
    fn decode_in_place(
        input: &[u8],
        limits: &Limits,
        entries: &mut [Entry],
        tied: bool,
        arrange: impl FnOnce(&[Entry]) -> Vec<Entry>,
    ) -> Result<Params, ParamsError> {
        if entries.is_empty() {
            return Ok(Params {
                buf: String::new(),
                entries: Vec::new(),
            });
        }
        let mut buf = input.to_vec();
        // Each key is `NO_KEY` or `ESCAPED_VALUE` (no entry is pending):
        // their ends tell them apart, one compare an entry.
        debug_assert!(entries
            .iter()
            .all(|e| e.key == NO_KEY || e.key == scan::ESCAPED_VALUE));
        for entry in entries
            .iter_mut()
            .filter(|e| e.key.end == scan::ESCAPED_VALUE.end)
        {
            if decode::value_in_place(input, &mut buf, entry).is_err() {
                return Params::decode_first(input, scan::scan(input, limits)?);
            }
        }
        let Ok(buf) = String::from_utf8(buf) else {
            return Params::decode_first(input, scan::scan(input, limits)?);
        };
        let entries = arrange(entries);
        let (lowest, highest) = (&entries[0], &entries[entries.len() - 1]);
        if !order::all_start_plainly(&entries, lowest, highest) {
            return Params::decode_first(input, scan::scan(input, limits)?);
        }
        if tied {
            check_duplicates(buf.as_bytes(), &entries)?;
        }
        Ok(Params { buf, entries })
    }

    /// [`Params::parse`] with every marked pair decoded in place first, in
    /// input order, and UTF-8 checked before the pairs are sorted (pairs
    /// still apart, with `&` between them): needed when a name must be
    /// decoded to be sorted or does not start plainly, and the reference
    /// for which error an input gets.
    fn decode_first(input: &[u8], mut entries: Vec<Entry>) -> Result<Params, ParamsError> {
        let mut buf = input.to_vec();
        for entry in entries.iter_mut().filter(|entry| entry.key != NO_KEY) {
            decode::finish(input, &mut buf, entry)?;
        }
        let text = String::from_utf8(buf)
            .map_err(|err| invalid_utf8(&entries, err.as_bytes(), err.utf8_error()))?;
        let bytes = text.as_bytes();
        let mut by_bytes = entries.clone();
        by_bytes.sort_unstable_by(|a, b| order::compare_bytes(bytes, a, b));
        check_duplicates(bytes, &by_bytes)?;
        // The signing order of the pairs in input order (PHP keeps names
        // it finds equal, such as `10` and `1e1`, in input order).
        let paths: Vec<signing_order::Path> = entries
            .iter()
            .map(|e| (&bytes[e.name.range()], e.key().map(|k| &bytes[k.range()])))
            .collect();
        let mut entries: Vec<Entry> = signing_order::order(&paths)
            .indices
            .into_iter()
            .map(|index| entries[index])
            .collect();
        let buf = layout::concatenate(text.as_bytes(), &mut entries);
        let buf = String::from_utf8(buf).expect("whole pairs of a UTF-8 text");
        Ok(Params { buf, entries })
    }

    /// Builds parameters from decoded `(name, value)` pairs, as a signer
    /// does. A name `goodsid[0]` is an array element, as in [`Params::parse`].
    ///
    /// # Errors
    ///
    /// As [`Params::parse`] without limits: an empty, malformed or repeated name.
    ///
    /// ```
    /// use pw_runtime::Params;
    /// let params = Params::from_pairs([("uid", "u 1"), ("goodsid[0]", "a&b")])?;
    /// assert_eq!(params.get("uid"), Some("u 1"));
    /// assert_eq!(params.to_query_string(), "goodsid%5B0%5D=a%26b&uid=u+1");
    /// # Ok::<(), pw_runtime::ParamsError>(())
    /// ```
    pub fn from_pairs<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Result<Params, ParamsError>
    where
        N: AsRef<str>,
        V: AsRef<str>,
    {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            query.append_pair(name.as_ref(), value.as_ref());
        }
        let unlimited = Limits {
            max_parameters: usize::MAX,
            max_bytes: usize::MAX,
        };
        Params::parse(query.finish().as_bytes(), &unlimited)
    }

    fn text(&self, span: Span) -> &str {
        &self.buf[span.range()]
    }

    fn param(&self, entry: &Entry) -> Param<'_> {
        Param {
            name: self.text(entry.name),
            key: entry.key().map(|key| self.text(key)),
            value: self.text(entry.value),
        }
    }

    /// The index of the first entry named `name`.
    fn position(&self, name: &str) -> Option<usize> {
        let buf = self.buf.as_bytes();
        let prefix = prefix_of(name.as_bytes());
        if prefix < order::ABOVE_NINE {
            // Names that may be numbers are not in byte order: look at each.
            return self
                .entries
                .iter()
                .position(|e| &buf[e.name.range()] == name.as_bytes());
        }
        let index = self.entries.partition_point(|e| {
            e.prefix < prefix || (e.prefix == prefix && &buf[e.name.range()] < name.as_bytes())
        });
        let entry = self.entries.get(index)?;
        (entry.prefix == prefix && &buf[entry.name.range()] == name.as_bytes()).then_some(index)
    }

    /// The entry index of the single (non-array) parameter `name`.
    pub(crate) fn scalar_index(&self, name: &str) -> Option<usize> {
        let index = self.position(name)?;
        self.entries[index].key().is_none().then_some(index)
    }

    /// The value of the entry at `index`.
    #[inline]
    pub(crate) fn value_at(&self, index: usize) -> &str {
        self.text(self.entries[index].value)
    }

    /// The bytes of the value of the entry at `index`: no test of UTF-8
    /// character boundaries, which slicing the text as a `str` makes at
    /// both ends (about 6 instructions a value).
    #[inline]
    pub(crate) fn value_bytes_at(&self, index: usize) -> &[u8] {
        &self.buf.as_bytes()[self.entries[index].value.range()]
    }

    /// The bytes of the name of the entry at `index`.
    #[inline]
    pub(crate) fn name_bytes_at(&self, index: usize) -> &[u8] {
        &self.buf.as_bytes()[self.entries[index].name.range()]
    }

    /// The base string of signature versions 2 and 3 without the secret,
    /// given to `pairs` as runs of pairs of one text: every pair but `sig`
    /// (or `sig[...]`), in signing order, each as `name=value` (or
    /// `name[key]=value`). With `implied` set to a name and its
    /// `name=value`, for a name that sorts after `sig` and is absent, that
    /// pair is given at its place, as a run of its own. `sig` is the index
    /// of the entry `sig` when the caller knows it and no `sig[...]` is
    /// given; otherwise the pairs named `sig` are looked up.
    ///
    /// The pairs named `sig` are one run of entries (a name's array
    /// elements sit together at its place, and a name is not both single
    /// and an array), left out by giving the runs around it: no test of
    /// the name of every entry. The runs before and after it go to
    /// `pairs` as one [`SignedPairs`] (one call of `pairs` rather than
    /// two: about 30 instructions fewer per signature). Inlined into the
    /// writer of the base string, whose call it saves (about 28 more).
    #[inline(always)]
    pub(crate) fn signed_pairs<'a>(
        &'a self,
        implied: Option<(&str, &'a str)>,
        sig: Option<usize>,
        mut pairs: impl FnMut(&'a [u8], SignedPairs<'_>),
    ) {
        let buf = self.buf.as_bytes();
        let (sig_start, sig_end) = match sig {
            Some(index) => (index, index + 1),
            None => match self.position("sig") {
                Some(first) => {
                    let count = self.entries[first..]
                        .iter()
                        .take_while(|e| &buf[e.name.range()] == b"sig")
                        .count();
                    (first, first + count)
                }
                None => (0, 0),
            },
        };
        let (before, rest) = self.entries.split_at(sig_start);
        let after = &rest[sig_end - sig_start..];
        let Some((name, pair)) = implied else {
            pairs(buf, SignedPairs::new(before, after));
            return;
        };
        // The implied pair's place, after `sig`: the entries before it,
        // the pair, then those after it.
        let at = after.partition_point(|e| &buf[e.name.range()] <= name.as_bytes());
        let (until, from) = after.split_at(at);
        pairs(buf, SignedPairs::new(before, until));
        // The implied pair as an entry of its own text.
        let entry = Entry {
            prefix: prefix_of(name.as_bytes()),
            name: Span {
                start: 0,
                end: to_u32(name.len()),
            },
            key: NO_KEY,
            value: Span {
                start: to_u32((name.len() + 1).min(pair.len())),
                end: to_u32(pair.len()),
            },
        };
        pairs(
            pair.as_bytes(),
            SignedPairs::new(std::slice::from_ref(&entry), &[]),
        );
        pairs(buf, SignedPairs::new(from, &[]));
    }

    /// Calls `f(index, prefix, name_len, is_array_element)` for every entry,
    /// in order, where `prefix` is [`prefix_of`] the name.
    /// The entry is also given its value's place, `value`.
    #[inline(always)]
    pub(crate) fn for_each_prefix(&self, mut f: impl FnMut(usize, u64, usize, bool, ValueAt)) {
        // By index rather than `iter().enumerate()`, which kept two
        // pointers and a count in step (6 instructions an entry, not 4).
        let entries = &self.entries[..];
        #[allow(clippy::needless_range_loop)]
        for index in 0..entries.len() {
            let entry = &entries[index];
            f(
                index,
                entry.prefix,
                (entry.name.end - entry.name.start) as usize,
                entry.key().is_some(),
                ValueAt(entry.value),
            );
        }
    }

    /// Where the value of the entry at `index` stands.
    pub(crate) fn value_place_at(&self, index: usize) -> ValueAt {
        ValueAt(self.entries[index].value)
    }

    /// The bytes of the value at `value` (of an entry of these parameters).
    #[inline]
    pub(crate) fn bytes_of(&self, value: ValueAt) -> &[u8] {
        &self.buf.as_bytes()[value.0.range()]
    }

    /// The value of the single (non-array) parameter `name`.
    ///
    /// ```
    /// use pw_runtime::Params;
    /// let params = Params::from_pairs([("slength", "")]).unwrap();
    /// assert_eq!(params.get("slength"), Some(""));
    /// assert_eq!(params.get("speriod"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.scalar_index(name).map(|index| self.value_at(index))
    }

    /// The elements `(key, value)` of the array parameter `name[...]`, keys
    /// in ascending order (numerically for numbers).
    ///
    /// ```
    /// use pw_runtime::Params;
    /// let params = Params::from_pairs([("g[10]", "c"), ("g[2]", "b"), ("g[0]", "a")]).unwrap();
    /// let keys: Vec<_> = params.get_array("g").unwrap().map(|(k, _)| k).collect();
    /// assert_eq!(keys, ["0", "2", "10"]);
    /// ```
    pub fn get_array(&self, name: &str) -> Option<impl Iterator<Item = (&str, &str)> + '_> {
        let first = self.position(name)?;
        self.entries[first].key()?;
        let buf = self.buf.as_bytes();
        let count = self.entries[first..]
            .iter()
            .take_while(|e| &buf[e.name.range()] == name.as_bytes())
            .count();
        Some(
            self.entries[first..first + count]
                .iter()
                .map(|e| (self.text(e.key), self.text(e.value))),
        )
    }

    /// True when a parameter (single or array) named `name` is present.
    ///
    /// ```
    /// use pw_runtime::Params;
    /// let params = Params::from_pairs([("goodsid[0]", "a")]).unwrap();
    /// assert!(params.contains("goodsid"));
    /// assert!(!params.contains("uid"));
    /// ```
    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Every parameter, in signing order.
    ///
    /// ```
    /// use pw_runtime::Params;
    /// let params = Params::from_pairs([("b", "2"), ("B", "1"), ("a", "3")]).unwrap();
    /// let names: Vec<_> = params.iter().map(|p| p.name).collect();
    /// assert_eq!(names, ["B", "a", "b"], "byte order: uppercase first");
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Param<'_>> + '_ {
        self.entries.iter().map(|entry| self.param(entry))
    }

    /// The number of parameters (each array element counts).
    ///
    /// ```
    /// assert_eq!(pw_runtime::Params::from_pairs([("a", "1")]).unwrap().len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no parameter.
    ///
    /// ```
    /// use pw_runtime::{Limits, Params};
    /// assert!(Params::parse(b"", &Limits::default()).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Encodes the parameters again, in signing order.
    ///
    /// ```
    /// use pw_runtime::Params;
    /// let params = Params::from_pairs([("uid", "a b"), ("ref", "x&y")]).unwrap();
    /// assert_eq!(params.to_query_string(), "ref=x%26y&uid=a+b");
    /// ```
    pub fn to_query_string(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for param in self.iter() {
            match param.key {
                Some(key) => query.append_pair(&format!("{}[{key}]", param.name), param.value),
                None => query.append_pair(param.name, param.value),
            };
        }
        query.finish()
    }
}

/// Where a value stands in the text of its parameters (see
/// [`Params::bytes_of`]): kept by a caller that reads it several times,
/// it is read without looking up its entry again (about 4 instructions a
/// read). The default is an empty value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ValueAt(Span);

impl Default for ValueAt {
    fn default() -> Self {
        ValueAt(Span { start: 0, end: 0 })
    }
}

impl ValueAt {
    /// True when the value is empty.
    #[inline]
    pub(crate) fn is_empty(self) -> bool {
        self.0.start == self.0.end
    }
}

/// A pair of a base string as it stands in its text: `text[start..end]`,
/// `name=value`, or `name` alone for a pair the input gave without `=`
/// (then `equals` is set, and an `=` follows it in the base string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SignedPair {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) equals: bool,
}

/// The pairs of two runs of entries of one text that a signature covers,
/// in order, the first run then the second (see [`Params::signed_pairs`]).
pub(crate) struct SignedPairs<'e> {
    /// The run being given.
    run: std::slice::Iter<'e, Entry>,
    /// The run after it, empty once it is being given.
    then: std::slice::Iter<'e, Entry>,
}

impl<'e> SignedPairs<'e> {
    /// The pairs of `first`, then those of `then`.
    #[inline(always)]
    fn new(first: &'e [Entry], then: &'e [Entry]) -> Self {
        SignedPairs {
            run: first.iter(),
            then: then.iter(),
        }
    }
}

impl<'e> SignedPairs<'e> {
    /// The two runs, each as pairs of its own.
    #[inline(always)]
    pub(crate) fn into_runs(self) -> [SignedPairs<'e>; 2] {
        let empty = <&[Entry]>::default().iter();
        [
            SignedPairs {
                run: self.run,
                then: empty.clone(),
            },
            SignedPairs {
                run: self.then,
                then: empty,
            },
        ]
    }
}

impl Iterator for SignedPairs<'_> {
    type Item = SignedPair;

    /// The second run takes the place of the first once it ends, so that
    /// a pair costs one test of the end of its run, as with one run (a
    /// `Chain` tests which run it is in at each pair).
    #[inline(always)]
    fn next(&mut self) -> Option<SignedPair> {
        let entry = match self.run.next() {
            Some(entry) => entry,
            None => {
                self.run = std::mem::take(&mut self.then);
                self.run.next()?
            }
        };
        Some(SignedPair {
            start: entry.name.start as usize,
            end: entry.value.end as usize,
            equals: entry.value.start == entry.name.end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Result<Params, ParamsError> {
        Params::parse(input.as_bytes(), &Limits::default())
    }

    #[test]
    fn plus_is_space_and_escapes_decode_to_utf8() {
        let params = parse("a=x+y&b=%CE%A9mega&c=%2B&d=%7e").unwrap();
        assert_eq!(params.get("a"), Some("x y"));
        assert_eq!(params.get("b"), Some("Ωmega"));
        assert_eq!(params.get("c"), Some("+"));
        assert_eq!(params.get("d"), Some("~"));
    }

    #[test]
    fn escaped_separators_stay_inside_values_and_names() {
        let params = parse("a%3Db=c%26d%3De&x=").unwrap();
        assert_eq!(params.get("a=b"), Some("c&d=e"));
        assert_eq!(params.get("x"), Some(""));
    }

    #[test]
    fn raw_utf8_input_is_kept() {
        assert_eq!(parse("uid=Ωu").unwrap().get("uid"), Some("Ωu"));
    }

    #[test]
    fn pair_without_equals_has_empty_value_and_empty_pairs_are_skipped() {
        let params = parse("&a&&b=1&").unwrap();
        assert_eq!(params.len(), 2);
        assert_eq!(params.get("a"), Some(""));
    }

    #[test]
    fn arrays_are_grouped_in_key_order() {
        let params =
            parse("goodsid%5B1%5D=b&uid=u&goodsid[0]=a&goodsid[10]=c&goodsid[2]=x").unwrap();
        let items: Vec<_> = params.get_array("goodsid").unwrap().collect();
        assert_eq!(items, [("0", "a"), ("1", "b"), ("2", "x"), ("10", "c")]);
        let names: Vec<_> = params.iter().map(|p| p.name).collect();
        assert_eq!(names, ["goodsid", "goodsid", "goodsid", "goodsid", "uid"]);
    }

    #[test]
    fn invalid_percent_escapes_are_errors() {
        for (input, offset) in [
            ("a=%", 2),
            ("a=%4", 2),
            ("a=%4g", 2),
            ("a=%%41", 2),
            ("a%=1", 1),
            ("a=%4&b=1", 2),
        ] {
            assert_eq!(
                parse(input).unwrap_err(),
                ParamsError::InvalidPercentEscape { offset },
                "{input}"
            );
        }
    }

    #[test]
    fn invalid_utf8_is_an_error_naming_the_parameter() {
        assert_eq!(
            parse("ok=1&uid=%FF").unwrap_err(),
            ParamsError::InvalidUtf8 { name: "uid".into() }
        );
        assert_eq!(
            Params::parse(b"uid=\xC3", &Limits::default()).unwrap_err(),
            ParamsError::InvalidUtf8 { name: "uid".into() }
        );
        assert!(matches!(
            parse("%C3%28=1").unwrap_err(),
            ParamsError::InvalidUtf8 { .. }
        ));
    }

    #[test]
    fn bytes_of_two_pairs_never_make_one_character() {
        // Sorted, `a=\xC3` then `\xA9=1` would read as `a=é=1`.
        for input in [
            &b"a=\xC3&\xA9=1"[..],
            b"\xA9=1&a=\xC3",
            b"a=%C3&\xA9=1",
            b"b=\xE2\x82&c\xAC=1",
        ] {
            assert!(
                matches!(
                    Params::parse(input, &Limits::default()),
                    Err(ParamsError::InvalidUtf8 { .. })
                ),
                "{input:?}"
            );
        }
        // A character split by escapes in one value is one character.
        assert_eq!(parse("a=%E2%82%AC&b=1").unwrap().get("a"), Some("€"));
    }

    #[test]
    fn mixed_array_keys_sort_the_same_whatever_their_input_order() {
        // PHP's comparison is not an order on these (6 < 53 < 5z < 6).
        let keys: Vec<String> = (0..40)
            .map(|i| match i % 3 {
                0 => i.to_string(),
                1 => format!("{i}z"),
                _ => format!("{}", i * 17),
            })
            .collect();
        let query = |keys: &[String]| -> String {
            keys.iter().map(|k| format!("ssid[{k}]={k}&")).collect()
        };
        let first = parse(&query(&keys)).unwrap();
        let mut reversed = keys.clone();
        reversed.reverse();
        let second = parse(&query(&reversed)).unwrap();
        let order: Vec<_> = first.iter().map(|p| p.key.unwrap()).collect();
        assert_eq!(
            order,
            second.iter().map(|p| p.key.unwrap()).collect::<Vec<_>>()
        );
        let numbers = order
            .iter()
            .take_while(|k| k.parse::<u32>().is_ok())
            .count();
        assert!(
            order[numbers..].iter().all(|k| k.ends_with('z')),
            "numbers first: {order:?}"
        );
        assert!(order[..numbers]
            .windows(2)
            .all(|w| w[0].parse::<u32>().unwrap() < w[1].parse::<u32>().unwrap()));
    }

    #[test]
    fn names_that_are_numbers_sort_by_value_before_the_others() {
        let params = parse("uid=u&10=a&9=b&_=c&5z=d&1e1=e").unwrap();
        let names: Vec<_> = params.iter().map(|p| p.name).collect();
        assert_eq!(names, ["9", "10", "1e1", "5z", "_", "uid"]);
        for (name, value) in [
            ("9", "b"),
            ("10", "a"),
            ("1e1", "e"),
            ("5z", "d"),
            ("uid", "u"),
        ] {
            assert_eq!(params.get(name), Some(value), "{name}");
        }
        assert!(parse("10=a&10=b").is_err(), "repeats are still found");
    }

    #[test]
    fn empty_name_is_an_error() {
        assert_eq!(
            parse("a=1&=2").unwrap_err(),
            ParamsError::EmptyName { offset: 4 }
        );
        assert_eq!(
            parse("=").unwrap_err(),
            ParamsError::EmptyName { offset: 0 }
        );
    }

    #[test]
    fn repeated_scalar_is_pollution() {
        assert_eq!(
            parse("uid=a&ref=1&uid=b").unwrap_err(),
            ParamsError::Duplicate { name: "uid".into() }
        );
        assert_eq!(
            parse("uid=a&uid=a").unwrap_err(),
            ParamsError::Duplicate { name: "uid".into() }
        );
        assert_eq!(
            parse("g[0]=a&g%5B0%5D=b").unwrap_err(),
            ParamsError::Duplicate {
                name: "g[0]".into()
            }
        );
        assert_eq!(
            parse("g=a&g[0]=b").unwrap_err(),
            ParamsError::ScalarAndArray { name: "g".into() }
        );
    }

    #[test]
    fn malformed_brackets_are_errors() {
        for input in ["g[]=1", "[0]=1", "g[0=1", "g]=1", "g[0][1]=1", "g[0]x=1"] {
            assert!(
                matches!(parse(input).unwrap_err(), ParamsError::InvalidName { .. }),
                "{input}"
            );
        }
    }

    #[test]
    fn limits_are_enforced() {
        let limits = Limits {
            max_parameters: 2,
            max_bytes: 10,
        };
        assert_eq!(
            Params::parse(
                b"a=1&b=2&c=3",
                &Limits {
                    max_bytes: 100,
                    ..limits
                }
            )
            .unwrap_err(),
            ParamsError::TooManyParameters { limit: 2 }
        );
        let exact = Params::parse(
            b"a=1&&b=2&c",
            &Limits {
                max_parameters: 3,
                ..limits
            },
        );
        assert_eq!(
            exact.unwrap().len(),
            3,
            "exactly 10 bytes passes; empty pairs do not count"
        );
        assert_eq!(
            Params::parse(b"a=1&b=2&c=3", &limits).unwrap_err(),
            ParamsError::TooLarge {
                limit: 10,
                actual: 11
            }
        );
        let many = "a=1&".repeat(300);
        assert_eq!(
            parse(&many).unwrap_err(),
            ParamsError::TooManyParameters { limit: 256 },
            "the count limit stops the scan before any other work"
        );
        let distinct: String = (0..257).map(|i| format!("p{i}=1&")).collect();
        assert_eq!(
            parse(&distinct).unwrap_err(),
            ParamsError::TooManyParameters { limit: 256 }
        );
        let big = format!("a={}", "x".repeat(64 * 1024));
        assert!(matches!(
            parse(&big).unwrap_err(),
            ParamsError::TooLarge { limit: 65536, .. }
        ));
    }

    #[test]
    fn long_names_are_cut_in_messages() {
        let name = "n".repeat(100);
        let err = parse(&format!("{name}=1&{name}=2")).unwrap_err();
        assert!(
            err.to_string().contains(&format!("{}…", "n".repeat(64))),
            "{err}"
        );
        assert!(!err.to_string().contains(&"n".repeat(65)), "{err}");
    }

    proptest::proptest! {
        /// Values are decoded sixteen bytes at a time, reading past their
        /// end into the pairs that follow: whatever follows, each value
        /// decodes to what was encoded.
        #[test]
        fn each_value_decodes_to_what_was_encoded_whatever_follows(
            values in proptest::collection::vec("[a-c +%&=\u{e9}]{0,24}", 1..20),
        ) {
            let query: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(i, value)| {
                    let encoded: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
                    format!("p{i}={encoded}")
                })
                .collect();
            let params = parse(&query.join("&")).unwrap();
            for (i, value) in values.iter().enumerate() {
                proptest::prop_assert_eq!(params.get(&format!("p{i}")), Some(value.as_str()));
            }
        }
    }

    /// A strict decoder of one value, byte by byte: the decoded bytes, or
    /// the offset in `input` of the first invalid escape.
    fn strict_decode(input: &[u8], start: usize, end: usize) -> Result<Vec<u8>, usize> {
        let mut out = Vec::new();
        let mut i = start;
        while i < end {
            match input[i] {
                b'%' => {
                    let digits = input[..end]
                        .get(i + 1..i + 3)
                        .and_then(|d| std::str::from_utf8(d).ok())
                        .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
                        .ok_or(i)?;
                    out.push(u8::from_str_radix(digits, 16).map_err(|_| i)?);
                    i += 3;
                }
                b'+' => (out.push(b' '), i += 1).1,
                byte => (out.push(byte), i += 1).1,
            }
        }
        Ok(out)
    }

    proptest::proptest! {
        /// Values with escapes, valid or not (a `%` cut by the end of the
        /// value, or by the next pair, a bad digit, bytes that are no
        /// UTF-8), anywhere from the start to the end of the input: the
        /// values, or the error, are those of a strict byte-by-byte
        /// decoder (the first bad escape in input order, then the first
        /// value that is no UTF-8).
        #[test]
        fn escaped_values_decode_or_fail_like_a_strict_decoder(
            values in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::sample::select(vec![
                        "a", "bc", "+", "%41", "%C3%A9", "%25", "%2B", "0123456789abcdef",
                    ]),
                    0..8,
                ),
                1..20,
            ),
            // Up to two bad tokens, each put in some value at some place.
            bad in proptest::collection::vec(
                (
                    proptest::arbitrary::any::<proptest::sample::Index>(),
                    proptest::arbitrary::any::<proptest::sample::Index>(),
                    proptest::sample::select(vec![
                        "%4", "%", "%g1", "%4g", "%0g", "%g0", "%C3", "%e9", "%A9",
                    ]),
                ),
                0..3,
            ),
        ) {
            let mut values = values;
            for (value, place, token) in bad {
                let count = values.len();
                let value = &mut values[value.index(count)];
                value.insert(place.index(value.len() + 1), token);
            }
            let query: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(i, tokens)| format!("p{i:02}={}", tokens.concat()))
                .collect();
            let query = query.join("&");
            let input = query.as_bytes();
            let mut expected = Ok(Vec::new());
            let mut at = 0;
            let mut invalid_utf8 = None;
            for (i, tokens) in values.iter().enumerate() {
                let start = at + 4;
                let end = start + tokens.concat().len();
                at = end + 1;
                match strict_decode(input, start, end) {
                    Err(offset) => {
                        expected = Err(ParamsError::InvalidPercentEscape { offset });
                        break;
                    }
                    Ok(bytes) => match String::from_utf8(bytes) {
                        Ok(value) => {
                            if let Ok(values) = &mut expected {
                                values.push((format!("p{i:02}"), value));
                            }
                        }
                        Err(_) => {
                            invalid_utf8.get_or_insert(ParamsError::InvalidUtf8 { name: format!("p{i:02}") });
                        }
                    },
                }
            }
            if let (Ok(_), Some(err)) = (&expected, invalid_utf8) {
                expected = Err(err);
            }
            let actual = parse(&query).map(|params| {
                params
                    .iter()
                    .map(|p| (p.name.to_owned(), p.value.to_owned()))
                    .collect::<Vec<_>>()
            });
            proptest::prop_assert_eq!(actual, expected, "{}", query);
        }
    }

    #[test]
    fn more_pairs_than_the_stack_array_holds_parse_alike() {
        for count in [63, 64, 65, 70] {
            // Names of a common eight-byte prefix, in reverse order.
            let query: Vec<String> = (0..count)
                .rev()
                .map(|i| format!("order_note_{i:03}=v+{i}"))
                .collect();
            let params = parse(&query.join("&")).unwrap();
            assert_eq!(params.len(), count);
            let names: Vec<_> = params.iter().map(|p| p.name.to_owned()).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            assert_eq!(names, sorted, "{count}");
            assert_eq!(params.get("order_note_007"), Some("v 7"));
            let repeated = format!("{}&order_note_003=x", query.join("&"));
            assert_eq!(
                parse(&repeated).unwrap_err(),
                ParamsError::Duplicate {
                    name: "order_note_003".into()
                }
            );
        }
    }

    /// A plain parser for well-formed input: every pair decoded, names
    /// split as `name[key]`, repeats found among all pairs sorted by bytes,
    /// the rest put in [signing order](crate::signing_order).
    fn reference(input: &str) -> Result<Vec<(String, Option<String>, String)>, ParamsError> {
        let pairs: Vec<(String, Option<String>, String)> = form_urlencoded::parse(input.as_bytes())
            .map(|(name, value)| match name.split_once('[') {
                Some((name, key)) => (
                    name.to_owned(),
                    Some(key.trim_end_matches(']').to_owned()),
                    value.into_owned(),
                ),
                None => (name.into_owned(), None, value.into_owned()),
            })
            .collect();
        let mut by_bytes: Vec<_> = pairs.iter().collect();
        by_bytes.sort_by(|a, b| (a.0.as_bytes(), &a.1).cmp(&(b.0.as_bytes(), &b.1)));
        for pair in by_bytes.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if a.0 != b.0 {
                continue;
            }
            let name = pw_catalog::shown(&a.0);
            return Err(match (&a.1, &b.1) {
                (None, None) => ParamsError::Duplicate { name },
                (Some(x), Some(y)) if x == y => ParamsError::Duplicate {
                    name: format!("{name}[{}]", pw_catalog::shown(x)),
                },
                (Some(_), Some(_)) => continue,
                _ => ParamsError::ScalarAndArray { name },
            });
        }
        let paths: Vec<signing_order::Path> = pairs
            .iter()
            .map(|(name, key, _)| (name.as_bytes(), key.as_deref().map(str::as_bytes)))
            .collect();
        Ok(signing_order::order(&paths)
            .indices
            .into_iter()
            .map(|index| pairs[index].clone())
            .collect())
    }

    proptest::proptest! {
        /// Names that share their first four or eight bytes (or all of
        /// them), array elements and names that start with a digit, in any
        /// number (each way of ordering: up to 8, 16, 32, 48, 64, more):
        /// the parameters, their order and the error that wins are those
        /// of the plain parser (names made distinct in half the cases, so
        /// that not all of them repeat one).
        #[test]
        fn parse_agrees_with_a_plain_parser(
            pairs in proptest::collection::vec(
                (
                    proptest::prop_oneof![
                        proptest::strategy::Strategy::prop_map(
                            proptest::sample::select(vec![
                                "sig", "sign", "sign_version", "sig_x", "uid", "ref",
                                "REVENUE_LOCAL", "abcdefgh", "abcdefghi", "g", "10", "9",
                            ]),
                            str::to_owned,
                        ),
                        "order_note_[0-9]{1,2}",
                        "[a-c]{1,5}",
                        "abcd[a-c]{0,6}",
                        "[0-9][a-c0-9]{0,2}",
                        "g\\[[0-9a]{1,2}\\]",
                    ],
                    "[a-c +%:\u{e9}]{0,10}",
                ),
                0..80,
            ),
            escape_names in proptest::bool::weighted(0.25),
            distinct in proptest::bool::ANY,
            special in proptest::bool::weighted(0.25),
        ) {
            use proptest::prelude::*;
            let mut seen = std::collections::HashSet::new();
            let query: Vec<String> = pairs
                .iter()
                // Mostly names that start with a letter and need no
                // decoding (those sorted by bytes): one that does not
                // sends the whole input another way.
                .filter(|(name, _)| {
                    special || !(name.contains('[') || name.starts_with(|c: char| c.is_ascii_digit()))
                })
                .filter(|(name, _)| !distinct || seen.insert(name.clone()))
                .map(|(name, value)| {
                    let value: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
                    let name = if escape_names {
                        form_urlencoded::byte_serialize(name.as_bytes()).collect()
                    } else {
                        name.clone()
                    };
                    format!("{name}={value}")
                })
                .collect();
            let query = query.join("&");
            let expected = reference(&query);
            let actual = parse(&query).map(|params| {
                params
                    .iter()
                    .map(|p| (p.name.to_owned(), p.key.map(str::to_owned), p.value.to_owned()))
                    .collect::<Vec<_>>()
            });
            prop_assert_eq!(actual, expected, "{}", query);
        }
    }

    #[test]
    fn byte_order_puts_uppercase_first_and_prefix_ties_are_resolved() {
        let params = parse("abcdefghij=1&abcdefgh=2&PRODUCT=3&abcdefghi=4&a=5").unwrap();
        let names: Vec<_> = params.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            ["PRODUCT", "a", "abcdefgh", "abcdefghi", "abcdefghij"]
        );
        assert_eq!(params.get("abcdefghi"), Some("4"));
    }
}
