//! Percent-decoding, for request paths and for `application/x-www-form-urlencoded` bodies.

/// Decodes `%XX` escapes (and, for form bodies, `+` as a space). A `%` not followed by two
/// hex digits is an error: the client sent something no browser would.
pub fn percent_decode(input: &[u8], plus_is_space: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' => {
                let hi = hex_value(*input.get(i + 1)?)?;
                let lo = hex_value(*input.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    Some(out)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

// ANCHOR: parse_form
/// Decodes a form body such as `title=whatever&body=beep+boop%21` into its fields, in
/// order. A field without `=` has an empty value; bytes that are not UTF-8 are shown as
/// U+FFFD. `None` for a broken `%` escape.
pub fn parse_form(body: &[u8]) -> Option<Vec<(String, String)>> {
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &[][..]),
            };
            let text = |raw| {
                let bytes = percent_decode(raw, true)?;
                Some(String::from_utf8_lossy(&bytes).into_owned())
            };
            Some((text(name)?, text(value)?))
        })
        .collect()
}
// ANCHOR_END: parse_form

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_from_the_notes_decodes() {
        let fields = parse_form(b"title=whatever&date=1421044443&body=beep+boop%21%0A").unwrap();
        assert_eq!(
            fields,
            [
                ("title".into(), "whatever".into()),
                ("date".into(), "1421044443".into()),
                ("body".into(), "beep boop!\n".into()),
            ]
        );
    }

    #[test]
    fn odd_but_legal_forms_decode() {
        assert_eq!(parse_form(b"").unwrap(), []);
        assert_eq!(
            parse_form(b"a&&b=&=c&%C3%A9=%e2%82%ac").unwrap(),
            [
                ("a".into(), "".into()),
                ("b".into(), "".into()),
                ("".into(), "c".into()),
                ("é".into(), "€".into()),
            ]
        );
        assert_eq!(
            parse_form(b"x=%ff").unwrap(),
            [("x".into(), "\u{fffd}".into())]
        );
    }

    #[test]
    fn broken_escapes_are_refused() {
        for bad in [&b"a=%"[..], b"a=%4", b"a=%zz", b"%g0=1"] {
            assert_eq!(parse_form(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn every_escape_decodes_to_its_byte() {
        for byte in 0..=255u8 {
            for encoded in [format!("%{byte:02x}"), format!("%{byte:02X}")] {
                assert_eq!(percent_decode(encoded.as_bytes(), false), Some(vec![byte]));
            }
        }
        assert_eq!(percent_decode(b"a+b", false), Some(b"a+b".to_vec()));
    }
}
