//! The `Condition` block (IAM User Guide: "Condition", "Condition operators",
//! "Conditions with multiple context keys or values", "Single-valued vs. multivalued
//! context keys").
//!
//! - Operators AND, keys within an operator AND, values of one key OR; for a negated
//!   operator (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`…) the values NOR: the
//!   request value must match none of them.
//! - A key absent from the request: "the values do not match and the condition is false.
//!   If the policy condition requires that the key is not matched, such as StringNotLike
//!   or ArnNotLike, and the right key is not present, the condition is true" — except
//!   `...IfExists` (absent → true) and `Null`.
//! - `ForAllValues:`: every request value must match (negated: match no policy value);
//!   true when the key is absent or empty. `ForAnyValue:`: some request value must; false
//!   when absent or empty.
//! - No set operator and several request values: a positive operator holds when any
//!   request value matches; a negated one when none does (the negation of the positive).
//! - Condition key names ignore case; repeated operators in one block all apply (AND).
//! - A request value that cannot be read as the operator's type (a number, date, IP
//!   address, base64), or a policy value whose variable has no value, cannot be compared:
//!   that comparison is neither a match nor a non-match, so it never makes a negated
//!   operator (or `ForAllValues`) true. This keeps a bad value from ever granting or
//!   dodging access through negation.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::json::Json;
use super::pattern::{any_of, Glob, Template, Tok};
use super::values::{parse_date, parse_ip, Cidr, Decimal};
use super::{Context, PolicyError};

/// How a key's several request values combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SetOperator {
    /// No qualifier.
    Single,
    /// `ForAllValues:`.
    ForAll,
    /// `ForAnyValue:`.
    ForAny,
}

/// An ordering test of the numeric and date operators (their `Not` form is `Eq` negated).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    /// Whether `request.cmp(policy)` passes.
    fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            Cmp::Eq => ord == Equal,
            Cmp::Lt => ord == Less,
            Cmp::Le => ord != Greater,
            Cmp::Gt => ord == Greater,
            Cmp::Ge => ord != Less,
        }
    }
}

/// The operator families, before values are attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// Every operator name (lowercase; names are matched ignoring case), its family, and
/// whether it is the negated form.
const OPERATORS: &[(&str, Family, bool)] = &[
    ("stringequals", Family::StringEquals, false),
    ("stringnotequals", Family::StringEquals, true),
    ("stringequalsignorecase", Family::StringEqualsIgnoreCase, false),
    ("stringnotequalsignorecase", Family::StringEqualsIgnoreCase, true),
    ("stringlike", Family::StringLike, false),
    ("stringnotlike", Family::StringLike, true),
    ("numericequals", Family::Numeric(Cmp::Eq), false),
    ("numericnotequals", Family::Numeric(Cmp::Eq), true),
    ("numericlessthan", Family::Numeric(Cmp::Lt), false),
    ("numericlessthanequals", Family::Numeric(Cmp::Le), false),
    ("numericgreaterthan", Family::Numeric(Cmp::Gt), false),
    ("numericgreaterthanequals", Family::Numeric(Cmp::Ge), false),
    ("dateequals", Family::Date(Cmp::Eq), false),
    ("datenotequals", Family::Date(Cmp::Eq), true),
    ("datelessthan", Family::Date(Cmp::Lt), false),
    ("datelessthanequals", Family::Date(Cmp::Le), false),
    ("dategreaterthan", Family::Date(Cmp::Gt), false),
    ("dategreaterthanequals", Family::Date(Cmp::Ge), false),
    ("bool", Family::Bool, false),
    ("binaryequals", Family::Binary, false),
    ("ipaddress", Family::Ip, false),
    ("notipaddress", Family::Ip, true),
    ("arnequals", Family::Arn, false),
    ("arnlike", Family::Arn, false),
    ("arnnotequals", Family::Arn, true),
    ("arnnotlike", Family::Arn, true),
    ("null", Family::Null, false),
];

/// A parsed operator name such as `ForAnyValue:StringNotLikeIfExists`.
#[derive(Clone, Copy, Debug)]
struct Operator {
    family: Family,
    negated: bool,
    set: SetOperator,
    if_exists: bool,
}

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        let lower = name.to_ascii_lowercase();
        let (set, rest) = if let Some(rest) = lower.strip_prefix("forallvalues:") {
            (SetOperator::ForAll, rest)
        } else if let Some(rest) = lower.strip_prefix("foranyvalue:") {
            (SetOperator::ForAny, rest)
        } else {
            (SetOperator::Single, lower.as_str())
        };
        let (if_exists, base) = match rest.strip_suffix("ifexists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let &(_, family, negated) = OPERATORS.iter().find(|(op, _, _)| *op == base)?;
        // "You can add IfExists to the end of any condition operator name except the Null
        // condition".
        if family == Family::Null && if_exists {
            return None;
        }
        Some(Operator { family, negated, set, if_exists })
    }
}

/// An `ArnLike` value: "Each of the six colon-delimited components of the ARN is checked
/// separately and each can include multi-character match wildcards (*) or
/// single-character match wildcards (?)"; the sixth component is the rest, colons
/// included.
#[derive(Clone, Debug)]
pub(super) struct ArnPattern {
    pub(super) template: Template,
    /// The compiled pattern, when the value has no variable.
    compiled: Option<ArnGlob>,
}

#[derive(Clone, Debug)]
enum ArnGlob {
    /// One pattern per component.
    Components(Vec<Glob>),
    /// A value with fewer than six components (such as `*`) is matched as a whole string
    /// (the guide does not say; refusing `*` would reject working policies).
    Whole(Glob),
}

impl ArnGlob {
    fn new(toks: &[Tok]) -> ArnGlob {
        let mut components: Vec<Vec<Tok>> = vec![Vec::new()];
        for &tok in toks {
            if tok == Tok::Lit(':') && components.len() < 6 {
                components.push(Vec::new());
            } else if let Some(component) = components.last_mut() {
                component.push(tok);
            }
        }
        if components.len() == 6 {
            ArnGlob::Components(components.into_iter().map(Glob::new).collect())
        } else {
            ArnGlob::Whole(Glob::new(toks.iter().copied()))
        }
    }

    fn is_match(&self, value: &str) -> bool {
        match self {
            ArnGlob::Components(globs) => {
                let mut pieces = value.splitn(6, ':');
                globs.iter().all(|glob| pieces.next().is_some_and(|piece| glob.is_match(piece)))
            }
            ArnGlob::Whole(glob) => glob.is_match(value),
        }
    }
}

impl ArnPattern {
    fn new(src: &str, variables: bool) -> ArnPattern {
        let template = Template::new(src, variables);
        let compiled = if template.needs_context() { None } else { template.toks(&Context::new()).map(|toks| ArnGlob::new(&toks)) };
        ArnPattern { template, compiled }
    }

    fn matches(&self, value: &str, ctx: &Context) -> Option<bool> {
        if let Some(compiled) = &self.compiled {
            return Some(compiled.is_match(value));
        }
        Some(ArnGlob::new(&self.template.toks(ctx)?).is_match(value))
    }
}

/// The policy values of one key, typed by the operator. Variables are allowed where the
/// guide allows them: string, ARN (and `Bool`) values.
#[derive(Clone, Debug)]
pub(super) enum Test {
    /// `Null`: for each value, whether the key must be absent (`true`) or present; any
    /// one may hold.
    Null(Vec<bool>),
    Equals(Vec<Template>),
    EqualsIgnoreCase(Vec<Template>),
    Like(Vec<super::pattern::Pattern>),
    Numeric(Cmp, Vec<Decimal>),
    Date(Cmp, Vec<i128>),
    Bool(Vec<Template>),
    Binary(Vec<Vec<u8>>),
    Ip(Vec<Cidr>),
    Arn(Vec<ArnPattern>),
}

impl Test {
    fn new(family: Family, values: &[String], variables: bool) -> Result<Test, PolicyError> {
        let typed = |what: &str, read: &dyn Fn(&str) -> bool| -> Result<(), PolicyError> {
            match values.iter().find(|v| !read(v)) {
                Some(bad) => Err(PolicyError::new(format!("Invalid {what} value in Condition: {bad}"))),
                None => Ok(()),
            }
        };
        let templates = || values.iter().map(|v| Template::new(v, variables)).collect();
        Ok(match family {
            Family::Null => {
                typed("Null (true or false)", &|v| v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false"))?;
                Test::Null(values.iter().map(|v| v.eq_ignore_ascii_case("true")).collect())
            }
            Family::StringEquals => Test::Equals(templates()),
            Family::StringEqualsIgnoreCase => Test::EqualsIgnoreCase(templates()),
            Family::StringLike => Test::Like(values.iter().map(|v| super::pattern::Pattern::new(v, variables)).collect()),
            Family::Numeric(cmp) => {
                typed("numeric", &|v| Decimal::parse(v).is_some())?;
                Test::Numeric(cmp, values.iter().filter_map(|v| Decimal::parse(v)).collect())
            }
            Family::Date(cmp) => {
                typed("date", &|v| parse_date(v).is_some())?;
                Test::Date(cmp, values.iter().filter_map(|v| parse_date(v)).collect())
            }
            Family::Bool => Test::Bool(templates()),
            Family::Binary => {
                typed("base64", &|v| STANDARD.decode(v).is_ok())?;
                Test::Binary(values.iter().filter_map(|v| STANDARD.decode(v).ok()).collect())
            }
            Family::Ip => {
                typed("IP address", &|v| Cidr::parse(v).is_some())?;
                Test::Ip(values.iter().filter_map(|v| Cidr::parse(v)).collect())
            }
            Family::Arn => Test::Arn(values.iter().map(|v| ArnPattern::new(v, variables)).collect()),
        })
    }

    /// Whether one request value matches any policy value (positive sense); `None` when
    /// it cannot be compared.
    fn matches(&self, value: &str, ctx: &Context) -> Option<bool> {
        match self {
            Test::Null(_) => Some(false),
            Test::Equals(ts) => any_of(ts, |t| t.text(ctx).map(|p| p == value)),
            Test::EqualsIgnoreCase(ts) => any_of(ts, |t| t.text(ctx).map(|p| eq_ignore_case(&p, value))),
            Test::Like(ps) => any_of(ps, |p| p.matches(value, ctx)),
            Test::Numeric(cmp, ds) => {
                let x = Decimal::parse(value)?;
                Some(ds.iter().any(|d| cmp.holds(x.cmp(d))))
            }
            Test::Date(cmp, ds) => {
                let x = parse_date(value)?;
                Some(ds.iter().any(|d| cmp.holds(x.cmp(d))))
            }
            Test::Bool(ts) => any_of(ts, |t| t.text(ctx).map(|p| p.eq_ignore_ascii_case(value))),
            Test::Binary(bs) => {
                // Request values are strings, so binary keys carry base64 too.
                let x = STANDARD.decode(value).ok()?;
                Some(bs.contains(&x))
            }
            Test::Ip(cs) => {
                let ip = parse_ip(value)?;
                Some(cs.iter().any(|c| c.contains(ip)))
            }
            Test::Arn(ps) => any_of(ps, |p| p.matches(value, ctx)),
        }
    }
}

/// Unicode case-insensitive equality without allocating.
fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars().flat_map(char::to_lowercase).eq(b.chars().flat_map(char::to_lowercase))
}

/// One operator applied to one key.
#[derive(Clone, Debug)]
pub(super) struct Condition {
    /// The condition key, case-folded.
    pub(super) key: String,
    pub(super) set: SetOperator,
    pub(super) if_exists: bool,
    pub(super) negated: bool,
    pub(super) test: Test,
}

impl Condition {
    /// Whether the condition holds for the request.
    pub(super) fn holds(&self, ctx: &Context) -> bool {
        let values = ctx.get_folded(&self.key).filter(|v| !v.is_empty());
        if let Test::Null(wanted) = &self.test {
            let absent = values.is_none();
            return wanted.contains(&absent);
        }
        let Some(values) = values else {
            return self.if_exists
                || match self.set {
                    SetOperator::ForAll => true,
                    SetOperator::ForAny => false,
                    SetOperator::Single => self.negated,
                };
        };
        let test = |v: &String| self.test.matches(v, ctx);
        match self.set {
            SetOperator::ForAll => values.iter().all(|v| test(v).is_some_and(|m| m != self.negated)),
            SetOperator::ForAny => values.iter().any(|v| test(v).is_some_and(|m| m != self.negated)),
            SetOperator::Single if self.negated => values.iter().all(|v| test(v) == Some(false)),
            SetOperator::Single => values.iter().any(|v| test(v) == Some(true)),
        }
    }
}

/// Reads a statement's `Condition` block.
pub(super) fn parse_block(block: &Json, variables: bool) -> Result<Vec<Condition>, PolicyError> {
    let Json::Object(operators) = block else {
        return Err(PolicyError::new("Condition must be a JSON object"));
    };
    let mut out = Vec::new();
    for (name, keys) in operators {
        let op = Operator::parse(name).ok_or_else(|| PolicyError::new(format!("Invalid Condition type : {name}")))?;
        for (key, values) in keys.fields(&format!("Condition {name}"))? {
            if !has_vendor(key) {
                return Err(PolicyError::new(VENDOR_MESSAGE));
            }
            let values = values.scalars().ok_or_else(|| {
                PolicyError::new(format!("Condition {name} {key} must be a string, number or boolean, or an array of them"))
            })?;
            let test = Test::new(op.family, &values, variables)?;
            out.push(Condition { key: key.to_lowercase(), set: op.set, if_exists: op.if_exists, negated: op.negated, test });
        }
    }
    Ok(out)
}

/// Whether an action or condition key starts with `vendor:`.
pub(super) fn has_vendor(name: &str) -> bool {
    name.split_once(':').is_some_and(|(vendor, _)| !vendor.is_empty())
}

/// IAM's message for an action or condition key without a `vendor:` prefix.
pub(super) const VENDOR_MESSAGE: &str = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";

#[cfg(test)]
mod tests {
    use super::{ArnPattern, Context, Operator, SetOperator};

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAnyValue:StringNotLikeIfExists").unwrap();
        assert!(op.negated && op.if_exists && op.set == SetOperator::ForAny);
        assert!(Operator::parse("forallvalues:stringequals").is_some());
        for bad in
            ["NullIfExists", "StringEqual", "ForAllValues:", "IfExists", "ForSomeValues:StringEquals", "StringEqualsIfExistsIfExists", ""]
        {
            assert!(Operator::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn arn_components() {
        let ctx = Context::new();
        let m = |p: &str, v: &str| ArnPattern::new(p, true).matches(v, &ctx).unwrap();
        // The guide's example: StringLike would match, ArnLike does not.
        let value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        assert!(!m("arn:aws:someservice:*:111122223333:finance/*", value));
        assert!(m("arn:aws:someservice:*:999999999999:store/*", value));
        assert!(m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a:b"));
        assert!(!m("arn:aws:s3:::bucket/*", "arn:aws:s3:::other/a"));
        assert!(!m("arn:aws:s3:::bucket", "arn:aws:s3"));
        assert!(m("arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:role/x"));
        assert!(m("*", "anything"));
    }
}
