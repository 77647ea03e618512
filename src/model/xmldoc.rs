//! XML request documents: which element is the document element (serde ignores the
//! root's name, so every parser checks it here), and two ways of reading one:
//!
//! - [`parse_strict`] for documents a client submits: S3 validates them against its
//!   schema, so an element it does not know is MalformedXML, never silently dropped
//!   (every element serde skips is reported through `serde_ignored`);
//! - [`parse_lenient`] for documents stored before strict parsing existed, which must
//!   keep working after an upgrade.
//!
//! Before serde sees the document, attributes are removed (S3's request documents that
//! coffer parses carry data only in elements; quick-xml would hand `xmlns` to serde as
//! a field), and the text of a leaf element that begins or ends with whitespace is
//! passed as CDATA, which quick-xml keeps as is: `<Key>a </Key>` names the key `a `,
//! not `a` (quick-xml trims plain text).

use quick_xml::events::{BytesCData, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};
use serde::de::DeserializeOwned;

/// Whether the document element of `text` is named `name` (namespace prefix ignored).
pub fn root_is(text: &str, name: &str) -> bool {
    let mut reader = Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => return e.local_name().as_ref() == name.as_bytes(),
            Ok(Event::Eof) | Err(_) => return false,
            Ok(_) => {}
        }
    }
}

/// Parses `text`, whose document element must be `root`, into `T`; any element `T`
/// does not define is an error. The error says what is wrong, for MalformedXML.
pub fn parse_strict<T: DeserializeOwned>(text: &str, root: &str) -> Result<T, String> {
    let mut unknown: Vec<String> = Vec::new();
    let value = parse_with(text, root, |path| unknown.push(path.to_string()))?;
    match unknown.first() {
        None => Ok(value),
        Some(path) => Err(format!("The XML you provided did not validate against our published schema: unexpected element {path}")),
    }
}

/// Parses `text` (document element `root`) into `T`, skipping elements `T` does not
/// define: for documents stored by earlier releases.
pub fn parse_lenient<T: DeserializeOwned>(text: &str, root: &str) -> Result<T, String> {
    parse_with(text, root, |_| {})
}

fn parse_with<T: DeserializeOwned>(text: &str, root: &str, on_ignored: impl FnMut(serde_ignored::Path<'_>)) -> Result<T, String> {
    if !root_is(text, root) {
        return Err(format!("The XML you provided was not a <{root}> document."));
    }
    let prepared = prepare(text)?;
    let mut de = quick_xml::de::Deserializer::from_str(&prepared);
    serde_ignored::deserialize(&mut de, on_ignored)
        .map_err(|e| format!("The XML you provided was not well-formed or did not validate against our published schema: {e}"))
}

/// `text` with every attribute removed, and leaf text with leading or trailing
/// whitespace written as CDATA.
fn prepare(text: &str) -> Result<String, String> {
    let malformed = |e: &dyn std::fmt::Display| format!("The XML you provided was not well-formed: {e}");
    let mut reader = Reader::from_str(text);
    let mut writer = Writer::new(Vec::with_capacity(text.len()));
    // Text read since the last start tag, not yet written: it is a leaf's value if the
    // element's end tag comes next.
    let mut pending: Option<String> = None;
    loop {
        let event = reader.read_event().map_err(|e| malformed(&e))?;
        match event {
            Event::Eof => break,
            Event::Text(t) if pending.is_some() => {
                let t = t.unescape().map_err(|e| malformed(&e))?;
                pending.get_or_insert_with(String::new).push_str(&t);
            }
            Event::CData(c) if pending.is_some() => {
                pending.get_or_insert_with(String::new).push_str(&String::from_utf8_lossy(&c));
            }
            Event::End(e) => {
                if let Some(value) = pending.take() {
                    write_leaf(&mut writer, &value).map_err(|e| malformed(&e))?;
                }
                writer.write_event(Event::End(e)).map_err(|e| malformed(&e))?;
            }
            Event::Start(e) => {
                flush_text(&mut writer, pending.take()).map_err(|e| malformed(&e))?;
                writer.write_event(Event::Start(bare(&e))).map_err(|e| malformed(&e))?;
                pending = Some(String::new());
            }
            Event::Empty(e) => {
                flush_text(&mut writer, pending.take()).map_err(|e| malformed(&e))?;
                writer.write_event(Event::Empty(bare(&e))).map_err(|e| malformed(&e))?;
            }
            other => {
                flush_text(&mut writer, pending.take()).map_err(|e| malformed(&e))?;
                writer.write_event(other).map_err(|e| malformed(&e))?;
            }
        }
    }
    String::from_utf8(writer.into_inner()).map_err(|e| e.to_string())
}

/// A leaf's value: plain text, or CDATA when its edges are whitespace (split around any
/// `]]>` it holds).
fn write_leaf(writer: &mut Writer<Vec<u8>>, value: &str) -> std::io::Result<()> {
    if value.trim() == value {
        return writer.write_event(Event::Text(BytesText::new(value)));
    }
    let mut rest = value;
    while let Some(i) = rest.find("]]>") {
        writer.write_event(Event::CData(BytesCData::new(&rest[..i + 2])))?;
        rest = &rest[i + 2..];
    }
    writer.write_event(Event::CData(BytesCData::new(rest)))
}

/// Text between tags that is not a leaf's value (whitespace between elements).
fn flush_text(writer: &mut Writer<Vec<u8>>, text: Option<String>) -> std::io::Result<()> {
    match text {
        Some(t) if !t.is_empty() => writer.write_event(Event::Text(BytesText::new(&t))),
        _ => Ok(()),
    }
}

fn bare(e: &BytesStart<'_>) -> BytesStart<'static> {
    BytesStart::new(String::from_utf8_lossy(e.name().as_ref()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Doc {
        #[serde(rename = "A")]
        a: Option<String>,
        #[serde(rename = "B", default)]
        b: Vec<u32>,
    }

    #[test]
    fn strict_parsing() {
        let ok = parse_strict::<Doc>(
            "<?xml version=\"1.0\"?><Doc xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><A>x&amp;y</A><B>1</B><B>2</B></Doc>",
            "Doc",
        );
        assert_eq!(ok.unwrap(), Doc { a: Some("x&y".into()), b: vec![1, 2] });
        let pretty = parse_strict::<Doc>("<Doc>\n  <A>x</A>\n  <B>1</B>\n</Doc>\n", "Doc");
        assert_eq!(pretty.unwrap(), Doc { a: Some("x".into()), b: vec![1] });
        assert!(parse_strict::<Doc>("<Doc><A>x</A><Bogus>1</Bogus></Doc>", "Doc").unwrap_err().contains("Bogus"));
        assert!(parse_strict::<Doc>("<Doc><Bogus/></Doc>", "Doc").is_err());
        assert!(parse_strict::<Doc>("<Other><A>x</A></Other>", "Doc").is_err());
        assert!(parse_strict::<Doc>("<Doc><A>x</Doc>", "Doc").is_err());
        assert_eq!(parse_lenient::<Doc>("<Doc><A>x</A><Bogus>1</Bogus></Doc>", "Doc").unwrap().a.as_deref(), Some("x"));
    }

    #[test]
    fn leaf_whitespace_is_kept() {
        let a = |xml: &str| parse_strict::<Doc>(xml, "Doc").unwrap().a;
        assert_eq!(a("<Doc><A>a </A></Doc>").as_deref(), Some("a "));
        assert_eq!(a("<Doc><A> </A></Doc>").as_deref(), Some(" "));
        assert_eq!(a("<Doc><A>\tx&amp; ]]&gt; y </A></Doc>").as_deref(), Some("\tx& ]]> y "));
        assert_eq!(a("<Doc><A><![CDATA[ c ]]></A></Doc>").as_deref(), Some(" c "));
    }
}
