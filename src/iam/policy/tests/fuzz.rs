//! Property test without new crates: 20,000 random JSON-ish documents built from the
//! policy vocabulary (element names, operators, wildcards, `${`, unicode, long strings),
//! some of them then corrupted byte-wise, parsed as every kind; those that parse are
//! evaluated on random requests. The only property: nothing panics.

use super::super::{Context, Policy, PolicyKind, PrincipalInfo, Request};

/// xorshift64*: small, deterministic, good enough to pick from lists.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }
}

const ELEMENTS: &[&str] = &[
    "Version",
    "Id",
    "Statement",
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "AWS",
    "CanonicalUser",
    "Federated",
    "Service",
    "Extra",
];

const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnNotEquals",
    "ArnLike",
    "ArnNotLike",
    "Null",
    "StringLikeIfExists",
    "NullIfExists",
    "ForAllValues:StringEquals",
    "ForAnyValue:StringNotLike",
    "ForAnyValue:NumericLessThanIfExists",
    "ForAllValues:ArnLike",
    "Bogus",
];

const KEYS: &[&str] = &[
    "aws:username",
    "aws:SourceIp",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:SecureTransport",
    "s3:prefix",
    "s3:max-keys",
    "aws:TagKeys",
    "aws:PrincipalArn",
    "aws:userid",
    "test:bin",
    "AWS:USERNAME",
    "nokey",
];

const STRINGS: &[&str] = &[
    "*",
    "?",
    "",
    "s3:*",
    "s3:Get*",
    "s3:GetObject",
    "iam:?etUser",
    "sts:AssumeRole",
    "GetObject",
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:s3:::${*}${?}${$}",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:role/Ops",
    "arn:aws:sts::111122223333:assumed-role/Ops/s1",
    "arn:*:*:*:*:*",
    "arn:",
    "arn:::::::::",
    "111122223333",
    "Allow",
    "Deny",
    "2012-10-17",
    "2008-10-17",
    "2019-07-16T12:00:00Z",
    "2019-07-16",
    "1563278400",
    "9999-99-99",
    "10.0.0.0/8",
    "::/0",
    "2001:DB8::/129",
    "1.2.3.4",
    "true",
    "10",
    "3600",
    "false",
    "QmluYQ==",
    "${",
    "${aws:username",
    "${aws:username}",
    "${aws:userid, 'anon''ymous'}",
    "${ , ''}",
    "${}",
    "}",
    "'",
    "日本語*",
    "é?",
    "🦀",
    "\u{0}",
    "a\\b\"c",
    "-0.000",
    "1e400",
    "accounts.google.com",
    "ec2.amazonaws.com",
];

const ACTIONS: &[&str] = &["*", "s3:*", "s3:Get*", "s3:GetObject", "S3:LIST?UCKET", "iam:*User*", "sts:AssumeRole", "*:*", "日本:*"];

const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:s3:::${aws:userid, 'x'}*",
    "arn:*",
    "arn:aws:s3:::b/${*}",
];

/// A JSON string literal from the vocabulary, sometimes glued, sometimes very long.
fn string(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..=rng.below(3) {
        s.push_str(rng.pick(STRINGS));
    }
    if rng.chance(3) {
        let unit = rng.pick(&["*a", "?", "a", "${*}", "é", "*"]);
        s = unit.repeat(1 + rng.below(1500)) + &s;
    }
    quote(&s)
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// Any JSON value, biased toward policy shapes.
fn value(rng: &mut Rng, depth: usize) -> String {
    let roll = if depth > 4 { rng.below(4) } else { rng.below(9) };
    match roll {
        0 | 1 => string(rng),
        2 => rng.pick(&["0", "10", "-1.5", "3600", "1e3", "true", "false", "null", "123456789012"]).to_owned(),
        3 => quote(rng.pick(KEYS)),
        4 | 5 => {
            let items: Vec<String> = (0..rng.below(4)).map(|_| value(rng, depth + 1)).collect();
            format!("[{}]", items.join(","))
        }
        _ => {
            let names: &[&str] = match rng.below(3) {
                0 => ELEMENTS,
                1 => OPERATORS,
                _ => KEYS,
            };
            let fields: Vec<String> = (0..rng.below(5)).map(|_| format!("{}:{}", quote(rng.pick(names)), value(rng, depth + 1))).collect();
            format!("{{{}}}", fields.join(","))
        }
    }
}

/// Values that an operator of this name accepts (mostly).
fn typed_values(op: &str) -> &'static [&'static str] {
    if op.contains("Numeric") {
        &["10", "-1.5", "3600", "0"]
    } else if op.contains("Date") {
        &["2019-07-16T12:00:00Z", "1563278400", "2019-07-16"]
    } else if op.contains("IpAddress") {
        &["10.0.0.0/8", "::/0", "1.2.3.4"]
    } else if op.contains("Binary") {
        &["QmluYQ==", ""]
    } else if op.contains("Null") {
        &["true", "false"]
    } else {
        STRINGS
    }
}

/// A statement that is often valid, with random parts.
fn statement(rng: &mut Rng) -> String {
    let mut fields = vec![format!(r#""Effect":{}"#, quote(if rng.chance(97) { rng.pick(&["Allow", "Deny"]) } else { "allow" }))];
    if rng.chance(50) {
        let principal = match rng.below(5) {
            0 | 4 => quote("*"),
            1 => format!(r#"{{"AWS":{}}}"#, string(rng)),
            2 => format!(r#"{{"AWS":["111122223333",{}]}}"#, quote(rng.pick(STRINGS))),
            _ => format!("{{{}:{}}}", quote(rng.pick(ELEMENTS)), string(rng)),
        };
        fields.push(format!("{}:{principal}", quote(rng.pick(&["Principal", "NotPrincipal"]))));
    }
    // Mostly valid entries, so that evaluation is reached; sometimes anything.
    let list = |rng: &mut Rng, valid: &[&str]| {
        let items: Vec<String> = (0..=rng.below(3)).map(|_| if rng.chance(90) { quote(rng.pick(valid)) } else { string(rng) }).collect();
        format!("[{}]", items.join(","))
    };
    fields.push(format!("{}:{}", quote(rng.pick(&["Action", "NotAction"])), list(rng, ACTIONS)));
    if rng.chance(70) {
        fields.push(format!("{}:{}", quote(rng.pick(&["Resource", "NotResource"])), list(rng, RESOURCES)));
    }
    if rng.chance(50) {
        let ops: Vec<String> = (0..=rng.below(2))
            .map(|_| {
                let op = rng.pick(OPERATORS);
                let keys: Vec<String> = (0..=rng.below(2))
                    .map(|_| {
                        let values = if rng.chance(80) { list(rng, typed_values(op)) } else { value(rng, 3) };
                        format!("{}:{values}", quote(rng.pick(KEYS)))
                    })
                    .collect();
                format!("{}:{{{}}}", quote(op), keys.join(","))
            })
            .collect();
        fields.push(format!(r#""Condition":{{{}}}"#, ops.join(",")));
    }
    if rng.chance(5) {
        fields.push(format!("{}:{}", quote(rng.pick(ELEMENTS)), value(rng, 2)));
    }
    format!("{{{}}}", fields.join(","))
}

fn document(rng: &mut Rng) -> String {
    if rng.chance(15) {
        return value(rng, 0);
    }
    let statements: Vec<String> = (0..=rng.below(3)).map(|_| statement(rng)).collect();
    let version = if rng.chance(80) {
        format!(r#""Version":{},"#, quote(if rng.chance(95) { rng.pick(&["2012-10-17", "2008-10-17"]) } else { "2012" }))
    } else {
        String::new()
    };
    format!(r#"{{{version}"Statement":[{}]}}"#, statements.join(","))
}

/// Cuts, duplicates or replaces a byte range (on char boundaries).
fn corrupt(rng: &mut Rng, doc: &str) -> String {
    let bounds: Vec<usize> = doc.char_indices().map(|(i, _)| i).chain([doc.len()]).collect();
    let a = bounds.get(rng.below(bounds.len())).copied().unwrap_or(0);
    let b = bounds.get(rng.below(bounds.len())).copied().unwrap_or(0);
    let (a, b) = (a.min(b), a.max(b));
    let (head, rest) = doc.split_at(a);
    let (middle, tail) = rest.split_at(b - a);
    match rng.below(3) {
        0 => format!("{head}{tail}"),
        1 => format!("{head}{middle}{middle}{tail}"),
        _ => format!("{head}{}{tail}", rng.pick(&["{", "}", "[", "]", ",", ":", "\"", "${", "*", "null", "\\u0000"])),
    }
}

fn principal(rng: &mut Rng) -> Option<PrincipalInfo> {
    let account = rng.pick(&["111122223333", "444455556666", ""]).to_owned();
    let arn = rng.pick(STRINGS).to_owned();
    match rng.below(4) {
        0 => None,
        1 => Some(PrincipalInfo { arn, account, canonical_id: "0".repeat(64), role_arn: None, federated: None, service: None }),
        2 => Some(PrincipalInfo {
            arn,
            account,
            canonical_id: String::new(),
            role_arn: Some(rng.pick(STRINGS).to_owned()),
            federated: None,
            service: None,
        }),
        _ => Some(PrincipalInfo {
            arn,
            account,
            canonical_id: "é".into(),
            role_arn: None,
            federated: Some(rng.pick(STRINGS).to_owned()),
            service: None,
        }),
    }
}

fn context(rng: &mut Rng) -> Context {
    let mut ctx = Context::new();
    for _ in 0..rng.below(6) {
        let key = rng.pick(KEYS);
        if rng.chance(10) {
            ctx.set(key, Vec::new());
        }
        for _ in 0..=rng.below(2) {
            let value = if rng.chance(3) { "a*".repeat(rng.below(2000)) } else { rng.pick(STRINGS).to_owned() };
            ctx.insert(key, value);
        }
    }
    ctx
}

#[test]
fn random_documents_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let kinds = [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust, PolicyKind::Session];
    let (mut parsed, mut applied) = (0usize, 0usize);
    for round in 0..20_000 {
        let mut doc = document(&mut rng);
        if round % 4 == 3 {
            doc = corrupt(&mut rng, &doc);
        }
        for kind in kinds {
            let Ok(policy) = Policy::parse(&doc, kind) else { continue };
            parsed += 1;
            for _ in 0..3 {
                let who = principal(&mut rng);
                let ctx = context(&mut rng);
                let (action, resource) = (rng.pick(STRINGS), rng.pick(STRINGS));
                let outcome = policy.clone().evaluate(&Request { action, resource, principal: who.as_ref(), context: &ctx });
                if outcome != super::super::Outcome::NotApplicable {
                    applied += 1;
                }
            }
        }
    }
    // The generator must reach evaluation, not only the parse errors.
    assert!(parsed > 2_000, "only {parsed} documents parsed");
    assert!(applied > 1_000, "only {applied} evaluations applied");
}
