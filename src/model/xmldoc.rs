//! XML request documents: which element is the document element. serde ignores the
//! root's name, so every parser checks it here (S3 answers MalformedXML otherwise).

use quick_xml::events::Event;
use quick_xml::Reader;

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

#[cfg(test)]
mod tests {
    use super::root_is;

    #[test]
    fn checks_the_document_element() {
        assert!(root_is("<?xml version=\"1.0\"?>\n<!-- c --><Delete xmlns=\"x\"><Object/></Delete>", "Delete"));
        assert!(root_is("<Delete/>", "Delete"));
        assert!(!root_is("<Other><Delete/></Other>", "Delete"));
        assert!(!root_is("not xml", "Delete"));
        assert!(!root_is("", "Delete"));
    }
}
