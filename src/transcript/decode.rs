//! Bytes to text. A transcript is UTF-8 (with or without a byte-order mark) or UTF-16
//! with a byte-order mark (Teams exports it). Line ends become `\n` (CRLF and lone CR
//! are read as line ends). A NUL byte in a file without a UTF-16 mark means binary data.

use std::borrow::Cow;

/// Why bytes are not transcript text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Binary {
        offset: usize,
    },
    Encoding {
        encoding: &'static str,
        line: usize,
        offset: usize,
    },
}

/// Decodes `bytes` and normalises line ends.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, DecodeError> {
    let text: Cow<'_, str> = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Cow::Borrowed(utf8(rest, 3)?)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        Cow::Owned(utf16(rest, u16::from_le_bytes, "UTF-16LE")?)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        Cow::Owned(utf16(rest, u16::from_be_bytes, "UTF-16BE")?)
    } else {
        if let Some(offset) = bytes.iter().position(|&b| b == 0) {
            return Err(DecodeError::Binary { offset });
        }
        Cow::Borrowed(utf8(bytes, 0)?)
    };
    Ok(normalize_line_ends(text))
}

fn utf8(bytes: &[u8], skipped: usize) -> Result<&str, DecodeError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        DecodeError::Encoding {
            encoding: "UTF-8",
            line: line_of(&bytes[..offset]),
            offset: skipped + offset,
        }
    })
}

fn line_of(before: &[u8]) -> usize {
    before.iter().filter(|&&b| b == b'\n').count() + 1
}

fn utf16(
    bytes: &[u8],
    unit: fn([u8; 2]) -> u16,
    encoding: &'static str,
) -> Result<String, DecodeError> {
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(bytes.len() / 2);
    let mut line = 1;
    let mut index = 0;
    for c in char::decode_utf16(units) {
        let Ok(c) = c else {
            return Err(DecodeError::Encoding {
                encoding,
                line,
                offset: 2 + 2 * index,
            });
        };
        index += c.len_utf16();
        line += usize::from(c == '\n');
        text.push(c);
    }
    if bytes.len() % 2 == 1 {
        return Err(DecodeError::Encoding {
            encoding,
            line,
            offset: 2 + bytes.len() - 1,
        });
    }
    Ok(text)
}

/// CRLF and lone CR become LF; a leading U+FEFF left by a double mark is dropped.
fn normalize_line_ends(text: Cow<'_, str>) -> Cow<'_, str> {
    let text = match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.strip_prefix('\u{feff}').unwrap_or(s)),
        Cow::Owned(s) => match s.strip_prefix('\u{feff}') {
            Some(rest) => Cow::Owned(rest.to_string()),
            None => Cow::Owned(s),
        },
    };
    if !text.contains('\r') {
        return text;
    }
    Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    #[test]
    fn reads_utf8_with_and_without_mark_and_utf16_with_mark() {
        assert_eq!(decode(b"A: hi\r\nB: yo\r").unwrap(), "A: hi\nB: yo\n");
        assert_eq!(decode(b"\xEF\xBB\xBFWEBVTT").unwrap(), "WEBVTT");
        assert_eq!(
            decode(&utf16le("WEBVTT\r\n\r\nÄnn: hé")).unwrap(),
            "WEBVTT\n\nÄnn: hé"
        );
        let mut be = vec![0xFE, 0xFF];
        be.extend("Ann: 😀".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be).unwrap(), "Ann: 😀");
    }

    #[test]
    fn reports_binary_and_bad_encodings_with_offsets() {
        assert_eq!(decode(b"ab\0c"), Err(DecodeError::Binary { offset: 2 }));
        assert_eq!(
            decode(b"ok\nbad \xFF here"),
            Err(DecodeError::Encoding {
                encoding: "UTF-8",
                line: 2,
                offset: 7
            })
        );
        let mut lone = utf16le("a\nb");
        lone.extend([0x00, 0xD8]);
        assert_eq!(
            decode(&lone),
            Err(DecodeError::Encoding {
                encoding: "UTF-16LE",
                line: 2,
                offset: 8
            })
        );
        let mut odd = utf16le("ab");
        odd.push(0x41);
        assert_eq!(
            decode(&odd),
            Err(DecodeError::Encoding {
                encoding: "UTF-16LE",
                line: 1,
                offset: 6
            })
        );
    }
}
