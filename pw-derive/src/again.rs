//! The rule that a struct derives `Pingback` once, and which of several
//! derives speaks. Two derives of one struct would each generate the same
//! items (a cascade of "defined multiple times"), so exactly one of them
//! reports the mistake, one generates the items (the rest of the user's
//! code still finds them), and any other generates nothing.
//!
//! - In two `#[derive(...)]` attributes, the first derive sees the second
//!   attribute (the second sees nothing): the first reports and generates
//!   nothing, the second generates everything.
//! - In one attribute, `#[derive(Pingback, Pingback)]`, every derive sees
//!   the same input, so each reads the attribute's text in the source file
//!   at its own call site: the first one listed generates, the second
//!   reports, any other generates nothing. When the source cannot be read
//!   (a struct written by another macro, a build without files), every
//!   derive generates, as before.

use proc_macro2::Span;
use syn::punctuated::Punctuated;
use syn::{Attribute, Path, Token};

/// What this derive of the struct does.
pub enum Role {
    /// The only derive, or the one that generates the items.
    Generate,
    /// The derive that reports the mistake (and generates nothing).
    Report(syn::Error),
    /// Another derive of the same attribute: generates nothing.
    Silent,
}

/// The role of this derive, from the struct's attributes and the source of
/// the `#[derive(...)]` it is invoked from.
pub fn role(attrs: &[Attribute]) -> Role {
    if let Some(again) = in_another_attribute(attrs) {
        return Role::Report(syn::Error::new_spanned(again, MESSAGE));
    }
    match in_this_attribute() {
        Some((1, _)) => Role::Report(syn::Error::new(Span::call_site(), MESSAGE)),
        Some((index, _)) if index > 1 => Role::Silent,
        _ => Role::Generate,
    }
}

const MESSAGE: &str = "`Pingback` is derived twice for this struct: remove one of the two derives";

/// A later `#[derive(...)]` attribute naming `Pingback`.
fn in_another_attribute(attrs: &[Attribute]) -> Option<Path> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("derive"))
        .filter_map(|attr| {
            attr.parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated)
                .ok()
        })
        .flatten()
        .find(is_pingback)
}

fn is_pingback(path: &Path) -> bool {
    path.segments
        .last()
        .is_some_and(|segment| segment.ident == "Pingback")
}

/// In the `#[derive(...)]` list this derive is invoked from: the position
/// of this derive among the list's `Pingback` entries, and their number.
/// `None` when the source cannot be read.
fn in_this_attribute() -> Option<(usize, usize)> {
    let call = proc_macro::Span::call_site();
    let file = call.local_file()?;
    let source = std::fs::read_to_string(file).ok()?;
    let at = offset(&source, call.line(), call.column())?;
    let (list_start, list) = enclosing_list(&source, at)?;
    // A list that is not plain paths (a comment, another macro's output) is
    // not read.
    syn::parse::Parser::parse_str(Punctuated::<Path, Token![,]>::parse_terminated, list).ok()?;
    let starts = pingback_starts(list);
    if starts.len() < 2 {
        return Some((0, starts.len()));
    }
    // This derive's entry is the one at its call site (the closest one).
    let here = at.checked_sub(list_start)?;
    let index = starts
        .iter()
        .enumerate()
        .min_by_key(|(_, start)| start.abs_diff(here))
        .map(|(index, _)| index)?;
    Some((index, starts.len()))
}

/// The byte offset of a 1-based line and column (in characters).
fn offset(source: &str, line: usize, column: usize) -> Option<usize> {
    let line_start = if line <= 1 {
        0
    } else {
        source
            .match_indices('\n')
            .nth(line - 2)
            .map(|(at, _)| at + 1)?
    };
    let rest = &source[line_start..];
    let in_line = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(rest.len(), |(at, _)| at);
    Some(line_start + in_line)
}

/// The text inside the parentheses of the `derive(...)` around byte `at`,
/// with the offset where it starts.
fn enclosing_list(source: &str, at: usize) -> Option<(usize, &str)> {
    let before = source.get(..at)?;
    let derive = before.rfind("derive")?;
    let open = derive + source[derive..].find('(')? + 1;
    if open > at {
        return None;
    }
    let close = open + source[open..].find(')')?;
    (close >= at).then(|| (open, &source[open..close]))
}

/// The byte offsets, in a derive list, of the entries naming `Pingback`.
fn pingback_starts(list: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for entry in list.split(',') {
        let trimmed = entry.trim_start();
        let name = trimmed.trim_end();
        if name.rsplit("::").next().map(str::trim) == Some("Pingback") {
            starts.push(offset + (entry.len() - trimmed.len()));
        }
        offset += entry.len() + 1;
    }
    starts
}
