//! Wildcards (`*`, `?`) and policy variables (`${key}`, `${key, 'default'}`, `${*}`).
//!
//! A pattern is compiled once, at parse time, into the segments between its `*`s, so a
//! match is one left-to-right scan without backtracking: the first segment must start the
//! text, the last must end it, and each middle one is taken at its leftmost place (taking
//! it further right can never help the segments after it).
//!
//! Variables (IAM User Guide, "IAM policy elements: Variables and tags") are resolved
//! against the request context at evaluation: the value of the key (its first value), or
//! the default. A substituted value is literal text: its `*` and `?` are not wildcards,
//! like the `${*}`, `${?}` and `${$}` escapes. A variable with no value and no default
//! resolves to nothing, and callers treat that as "cannot tell" (see [`any_of`]).

use std::borrow::Cow;

use super::Context;

/// One unit of a pattern once its variables are resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    /// A character that matches only itself.
    Lit(char),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, the empty one included.
    Star,
}

/// A run of a segment: literal text or one `?`.
#[derive(Clone, Debug)]
enum Item {
    Lit(String),
    One,
}

/// The part of a pattern between two `*`s.
#[derive(Clone, Debug, Default)]
struct Segment {
    items: Vec<Item>,
    /// How many characters the segment matches (it has no `*`, so this is fixed).
    chars: usize,
}

impl Segment {
    fn push(&mut self, tok: Tok) {
        match tok {
            Tok::Lit(c) => match self.items.last_mut() {
                Some(Item::Lit(s)) => s.push(c),
                _ => self.items.push(Item::Lit(c.to_string())),
            },
            Tok::One => self.items.push(Item::One),
            Tok::Star => return,
        }
        self.chars += 1;
    }

    /// Matches the segment at byte `start` of `text`; returns where the match ends.
    fn match_at(&self, text: &str, start: usize) -> Option<usize> {
        let mut pos = start;
        for item in &self.items {
            let rest = text.get(pos..)?;
            match item {
                Item::Lit(s) => {
                    if !rest.starts_with(s.as_str()) {
                        return None;
                    }
                    pos += s.len();
                }
                Item::One => pos += rest.chars().next()?.len_utf8(),
            }
        }
        Some(pos)
    }

    /// The end of the leftmost match starting at or after byte `from`.
    fn find(&self, text: &str, from: usize) -> Option<usize> {
        let mut start = from;
        loop {
            if let Some(Item::Lit(head)) = self.items.first() {
                start += text.get(start..)?.find(head.as_str())?;
            }
            if let Some(end) = self.match_at(text, start) {
                return Some(end);
            }
            start += text.get(start..)?.chars().next()?.len_utf8();
        }
    }
}

/// A compiled wildcard pattern.
#[derive(Clone, Debug)]
pub(super) struct Glob {
    /// The runs between `*`s: one more than the (deduplicated) stars.
    segments: Vec<Segment>,
}

impl Glob {
    /// Compiles resolved tokens.
    pub(super) fn new(toks: impl IntoIterator<Item = Tok>) -> Glob {
        let mut segments = vec![Segment::default()];
        let mut after_star = false;
        for tok in toks {
            if tok == Tok::Star {
                // `**` matches what `*` matches: one empty segment would only cost time.
                if !after_star {
                    segments.push(Segment::default());
                }
                after_star = true;
            } else {
                after_star = false;
                if let Some(segment) = segments.last_mut() {
                    segment.push(tok);
                }
            }
        }
        Glob { segments }
    }

    /// Compiles pattern text in which `*` and `?` are wildcards.
    pub(super) fn parse(pattern: &str) -> Glob {
        Glob::new(wildcards(pattern))
    }

    /// Whether the whole of `text` matches.
    pub(super) fn is_match(&self, text: &str) -> bool {
        self.try_match(text).is_some()
    }

    fn try_match(&self, text: &str) -> Option<()> {
        let (first, rest) = self.segments.split_first()?;
        let Some((last, middle)) = rest.split_last() else {
            return (first.match_at(text, 0)? == text.len()).then_some(());
        };
        let mut pos = first.match_at(text, 0)?;
        let tail = if last.chars == 0 { text.len() } else { text.char_indices().rev().nth(last.chars - 1)?.0 };
        if tail < pos || last.match_at(text, tail)? != text.len() {
            return None;
        }
        let window = text.get(..tail)?;
        for segment in middle {
            pos = segment.find(window, pos)?;
        }
        Some(())
    }
}

/// Reads pattern text, where `*` and `?` are wildcards.
fn wildcards(text: &str) -> impl Iterator<Item = Tok> + '_ {
    text.chars().map(|c| match c {
        '*' => Tok::Star,
        '?' => Tok::One,
        c => Tok::Lit(c),
    })
}

/// A piece of a policy string.
#[derive(Clone, Debug)]
pub(super) enum Part {
    /// Policy text (where `*` and `?` are wildcards, if the string is a pattern).
    Text(String),
    /// `${*}`, `${?}` or `${$}`: always a literal character.
    Char(char),
    /// `${key}` or `${key, 'default'}`; `key` is lowercase (key names ignore case).
    Var { key: String, default: Option<String> },
}

/// A policy string with its variables found.
#[derive(Clone, Debug)]
pub(super) struct Template {
    pub(super) parts: Vec<Part>,
}

impl Template {
    /// Reads `src`; `variables` is false for `Version` 2008-10-17 (or none), where AWS
    /// takes `${...}` literally.
    pub(super) fn new(src: &str, variables: bool) -> Template {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = src;
        while let Some((before, after)) = rest.split_once("${").filter(|_| variables) {
            text.push_str(before);
            // An unterminated `${` is text: there is no variable to resolve.
            let Some((inner, tail)) = split_variable(after) else {
                text.push_str("${");
                rest = after;
                continue;
            };
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(variable(inner));
            rest = tail;
        }
        text.push_str(rest);
        if !text.is_empty() || parts.is_empty() {
            parts.push(Part::Text(text));
        }
        Template { parts }
    }

    /// Whether resolving needs the request context.
    pub(super) fn needs_context(&self) -> bool {
        self.parts.iter().any(|part| matches!(part, Part::Var { .. }))
    }

    /// The exact string (no wildcards); `None` when a variable has no value.
    pub(super) fn text<'a>(&'a self, ctx: &'a Context) -> Option<Cow<'a, str>> {
        if let [Part::Text(text)] = self.parts.as_slice() {
            return Some(Cow::Borrowed(text));
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Char(c) => out.push(*c),
                Part::Var { key, default } => out.push_str(lookup(key, default.as_deref(), ctx)?),
            }
        }
        Some(Cow::Owned(out))
    }

    /// The pattern tokens; `None` when a variable has no value.
    pub(super) fn toks(&self, ctx: &Context) -> Option<Vec<Tok>> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.extend(wildcards(text)),
                Part::Char(c) => out.push(Tok::Lit(*c)),
                Part::Var { key, default } => out.extend(lookup(key, default.as_deref(), ctx)?.chars().map(Tok::Lit)),
            }
        }
        Some(out)
    }
}

/// The first value of `key` in the request, else the default.
fn lookup<'a>(key: &str, default: Option<&'a str>, ctx: &'a Context) -> Option<&'a str> {
    ctx.get_folded(key).and_then(<[String]>::first).map(String::as_str).or(default)
}

/// Splits `key, 'default'} rest` at the `}` that closes the variable; a `}` inside the
/// quoted default does not close it (`''` is a quote inside a default).
fn split_variable(after: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (i, c) in after.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '}' if !quoted => return Some((after.get(..i)?, after.get(i + 1..)?)),
            _ => {}
        }
    }
    None
}

/// Reads the inside of `${...}`.
fn variable(inner: &str) -> Part {
    let inner = inner.trim();
    match inner {
        "*" => return Part::Char('*'),
        "?" => return Part::Char('?'),
        "$" => return Part::Char('$'),
        _ => {}
    }
    let Some((key, default)) = inner.split_once(',') else {
        return Part::Var { key: inner.to_lowercase(), default: None };
    };
    let default = default.trim();
    let default = default.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')).map(|d| d.replace("''", "'"));
    // A malformed default (`${key, value}`) leaves a variable that never resolves when the
    // key is absent: AWS cannot resolve it either.
    Part::Var { key: key.trim().to_lowercase(), default }
}

/// A policy string matched as a wildcard pattern (a `Resource`, a `StringLike` value).
#[derive(Clone, Debug)]
pub(super) struct Pattern {
    pub(super) template: Template,
    /// The compiled pattern, when it has no variable to resolve per request.
    glob: Option<Glob>,
}

impl Pattern {
    /// Reads and, when it has no variables, compiles `src`.
    pub(super) fn new(src: &str, variables: bool) -> Pattern {
        let template = Template::new(src, variables);
        let glob = if template.needs_context() { None } else { template.toks(&Context::new()).map(Glob::new) };
        Pattern { template, glob }
    }

    /// Whether `text` matches; `None` when a variable has no value.
    pub(super) fn matches(&self, text: &str, ctx: &Context) -> Option<bool> {
        if let Some(glob) = &self.glob {
            return Some(glob.is_match(text));
        }
        Some(Glob::new(self.template.toks(ctx)?).is_match(text))
    }
}

/// Three-valued "any": `Some(true)` if some item matches, else `None` if some item could
/// not be decided (a variable without a value), else `Some(false)`. Callers turn `None`
/// into "the statement does not apply", the reading of the IAM guide's "If AWS cannot
/// resolve a variable this might cause the entire statement to be invalid", so an
/// unresolved variable never widens a `NotResource` or a negated condition.
pub(super) fn any_of<T>(items: &[T], mut test: impl FnMut(&T) -> Option<bool>) -> Option<bool> {
    let mut unknown = false;
    for item in items {
        match test(item) {
            Some(true) => return Some(true),
            Some(false) => {}
            None => unknown = true,
        }
    }
    if unknown {
        None
    } else {
        Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::{Context, Glob, Pattern, Template};

    #[test]
    fn wildcards() {
        let cases = [
            ("*", "", true),
            ("*", "anything", true),
            ("a*", "a", true),
            ("a*", "ba", false),
            ("*a", "ba", true),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aéc", true),
            ("?", "", false),
            ("*?", "", false),
            ("*?", "é", true),
            ("a*a", "a", false),
            ("a*a", "aa", true),
            ("*ab*ab*", "xabyab", true),
            ("*ab*ab*", "xab", false),
            ("ab**cd", "abcd", true),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("", "", true),
            ("", "x", false),
            ("*?b?*", "xxbx", true),
            ("日本*語", "日本の語", true),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(Glob::parse(pattern).is_match(text), want, "{pattern:?} vs {text:?}");
        }
    }

    #[test]
    fn variables() {
        let mut ctx = Context::new();
        ctx.insert("aws:username", "alice");
        ctx.insert("aws:TagKeys", "a");
        ctx.insert("aws:TagKeys", "b");
        let text = |src: &str| Template::new(src, true).text(&ctx).map(std::borrow::Cow::into_owned);
        assert_eq!(text("home/${aws:username}/"), Some("home/alice/".into()));
        assert_eq!(text("home/${AWS:UserName}/"), Some("home/alice/".into()));
        assert_eq!(text("${ aws:username }"), Some("alice".into()));
        assert_eq!(text("${aws:userid}"), None);
        assert_eq!(text("${aws:userid, 'anonymous'}"), Some("anonymous".into()));
        assert_eq!(text("${aws:userid, 'it''s}'}"), Some("it's}".into()));
        assert_eq!(text("${aws:tagkeys}"), Some("a".into()));
        assert_eq!(text("${*}${?}${$}"), Some("*?$".into()));
        assert_eq!(text("a${b"), Some("a${b".into()));
        assert_eq!(text("${aws:userid, anonymous}"), None);
        assert_eq!(Template::new("${aws:username}", false).text(&ctx).as_deref(), Some("${aws:username}"));
        // Escapes and values are literal, not wildcards.
        let like = |src: &str, value: &str| Pattern::new(src, true).matches(value, &ctx);
        assert_eq!(like("a${*}", "a*"), Some(true));
        assert_eq!(like("a${*}", "ab"), Some(false));
        assert_eq!(like("${?}*", "?x"), Some(true));
        assert_eq!(like("${aws:userid}*", "x"), None);
        assert_eq!(like("home/${aws:username}/*", "home/alice/x"), Some(true));
        assert_eq!(like("home/${aws:username}/*", "home/bob/x"), Some(false));
    }
}
