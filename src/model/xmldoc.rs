//! XML request documents: which element is the document element (serde ignores the
//! root's name, so every parser checks it here), and strict parsing: S3 validates
//! request documents against its schema, so an element it does not know is
//! MalformedXML, never silently dropped.
//!
//! Strictness comes from `#[serde(deny_unknown_fields)]` on every request type.
//! quick-xml hands attributes to serde as `@name` fields, and S3's request documents
//! (those coffer parses) carry data only in elements, so attributes — the namespace
//! declaration above all — are removed before the document reaches serde.

use quick_xml::events::{BytesStart, Event};
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

/// Parses `text`, whose document element must be `root`, into `T` (a type with
/// `deny_unknown_fields` throughout). The error says what is wrong, for MalformedXML.
pub fn parse_strict<T: DeserializeOwned>(text: &str, root: &str) -> Result<T, String> {
    if !root_is(text, root) {
        return Err(format!("The XML you provided was not a <{root}> document."));
    }
    let bare = without_attributes(text)?;
    quick_xml::de::from_str(&bare)
        .map_err(|e| format!("The XML you provided was not well-formed or did not validate against our published schema: {e}"))
}

/// `text` with every attribute removed from every element.
fn without_attributes(text: &str) -> Result<String, String> {
    let mut reader = Reader::from_str(text);
    let mut writer = Writer::new(Vec::with_capacity(text.len()));
    loop {
        let event = reader.read_event().map_err(|e| format!("The XML you provided was not well-formed: {e}"))?;
        let event = match event {
            Event::Eof => break,
            Event::Start(e) => Event::Start(bare(&e)),
            Event::Empty(e) => Event::Empty(bare(&e)),
            other => other,
        };
        writer.write_event(event).map_err(|e| e.to_string())?;
    }
    String::from_utf8(writer.into_inner()).map_err(|e| e.to_string())
}

fn bare(e: &BytesStart<'_>) -> BytesStart<'static> {
    BytesStart::new(String::from_utf8_lossy(e.name().as_ref()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
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
        assert!(parse_strict::<Doc>("<Doc><A>x</A><Bogus>1</Bogus></Doc>", "Doc").is_err());
        assert!(parse_strict::<Doc>("<Doc><Bogus/></Doc>", "Doc").is_err());
        assert!(parse_strict::<Doc>("<Other><A>x</A></Other>", "Doc").is_err());
        assert!(parse_strict::<Doc>("<Doc><A>x</Doc>", "Doc").is_err());
    }

    #[test]
    fn checks_the_document_element() {
        assert!(root_is("<?xml version=\"1.0\"?>\n<!-- c --><Delete xmlns=\"x\"><Object/></Delete>", "Delete"));
        assert!(root_is("<Delete/>", "Delete"));
        assert!(!root_is("<Other><Delete/></Other>", "Delete"));
        assert!(!root_is("not xml", "Delete"));
        assert!(!root_is("", "Delete"));
    }
}
