//! Lower-casing and tokenizing exactly as scikit-learn's default word analyzer does.
//!
//! scikit-learn lower-cases a document with Python's `str.lower()` and then takes every
//! match of `(?u)\b\w\w+\b`: maximal runs of at least two *word characters*. In a
//! Python `str` pattern a word character is one for which `ch.isalnum() or ch == '_'`
//! holds, that is a letter (general categories Lu, Ll, Lt, Lm, Lo), a number (Nd, Nl,
//! No, so `²` and `½` count), or the underscore. Combining marks (Mn, Mc) do **not**
//! count, so they split words. Rust's `regex` crate defines `\w` differently, which is
//! why we scan characters by hand.
//!
//! Our category data follow the Unicode version of `unicode-general-category`, which
//! can be newer than the Python's; the two agree on every character that both know
//! (checked by `tests/text_unicode.rs` against fixtures written by Python).

use std::borrow::Cow;
use unicode_general_category::{get_general_category, GeneralCategory};

/// Word bytes of ASCII: `[0-9A-Za-z_]` (256 entries so that any byte indexes it).
const ASCII_WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    t
};

/// ASCII byte classes for the fused lower-casing tokenizer: 0 not a word byte,
/// 1 a word byte that lower-casing keeps, 2 an upper-case letter.
const ASCII_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_uppercase() {
            2
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            1
        } else {
            0
        };
        b += 1;
    }
    t
};

/// Whether Python's `re` treats `c` as `\w` in a `str` pattern (`c.isalnum() or c == '_'`).
///
/// ```
/// use topicmod::text::is_word_char;
/// assert!(is_word_char('é') && is_word_char('²') && is_word_char('½') && is_word_char('_'));
/// assert!(!is_word_char('-') && !is_word_char('\u{301}')); // combining acute accent
/// ```
#[inline]
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return ASCII_WORD[c as usize];
    }
    use GeneralCategory::*;
    matches!(
        get_general_category(c),
        UppercaseLetter
            | LowercaseLetter
            | TitlecaseLetter
            | ModifierLetter
            | OtherLetter
            | DecimalNumber
            | LetterNumber
            | OtherNumber
    )
}

/// `text.lower()` with Python's semantics: full case mapping (`'İ'` becomes `"i\u{307}"`)
/// and the context-dependent final sigma (`"ΟΔΟΣ"` becomes `"οδος"`). Borrows when
/// nothing changes in an ASCII text.
///
/// ```
/// use topicmod::text::python_lower;
/// assert_eq!(python_lower("ΟΔΟΣ Straße"), "οδος straße");
/// ```
pub fn python_lower(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        }
    } else {
        // std's `to_lowercase` implements the same rules as CPython's `str.lower`
        // (SpecialCasing's unconditional mappings plus Final_Sigma).
        Cow::Owned(text.to_lowercase())
    }
}

/// Calls `f` on every token of `text`: each maximal run of two or more word characters
/// (see [`is_word_char`]). `text` is not lower-cased here.
#[inline]
pub fn for_each_token<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    if text.is_ascii() {
        let mut i = 0;
        while i < n {
            while i < n && !ASCII_WORD[bytes[i] as usize] {
                i += 1;
            }
            let start = i;
            while i < n && ASCII_WORD[bytes[i] as usize] {
                i += 1;
            }
            if i - start >= 2 {
                f(&text[start..i]);
            }
        }
        return;
    }
    // General case: `start` is the byte offset of the current run, `len` its length in chars.
    let mut start = 0;
    let mut len = 0usize;
    for (pos, c) in text.char_indices() {
        if is_word_char(c) {
            if len == 0 {
                start = pos;
            }
            len += 1;
        } else {
            if len >= 2 {
                f(&text[start..pos]);
            }
            len = 0;
        }
    }
    if len >= 2 {
        f(&text[start..]);
    }
}

/// Calls `f` on every token of the ASCII text `doc`, lower-cased: the same tokens as
/// `for_each_token(&doc.to_ascii_lowercase(), f)`, without copying the document. Only
/// tokens holding capitals are copied (into `buf`). `doc` must be ASCII.
#[inline]
pub(crate) fn for_each_lowercase_ascii_token(doc: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    debug_assert!(doc.is_ascii());
    let bytes = doc.as_bytes();
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        while i < n && ASCII_CLASS[bytes[i] as usize] == 0 {
            i += 1;
        }
        let start = i;
        let mut classes = 0;
        while i < n {
            let c = ASCII_CLASS[bytes[i] as usize];
            if c == 0 {
                break;
            }
            classes |= c;
            i += 1;
        }
        if i - start >= 2 {
            let tok = &doc[start..i];
            if classes & 2 != 0 {
                buf.clear();
                buf.push_str(tok);
                buf.make_ascii_lowercase();
                f(buf);
            } else {
                f(tok);
            }
        }
    }
}

/// The tokens of `text` (no lower-casing, no stop words), in order.
///
/// ```
/// use topicmod::text::tokens;
/// assert_eq!(tokens("x² + y_2 = 3½, a b cd"), vec!["x²", "y_2", "3½", "cd"]);
/// ```
pub fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for_each_token(text, |t| out.push(t));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_word_chars() {
        // Latin-1 characters that Python counts as word characters.
        let words: Vec<u32> = (0x80u32..=0xff)
            .filter(|&c| is_word_char(char::from_u32(c).unwrap()))
            .collect();
        let mut expected = vec![0xaa, 0xb2, 0xb3, 0xb5, 0xb9, 0xba, 0xbc, 0xbd, 0xbe];
        expected.extend((0xc0..=0xff).filter(|&c| c != 0xd7 && c != 0xf7));
        assert_eq!(words, expected);
    }

    #[test]
    fn fused_ascii_lowercasing_matches() {
        let doc = "Hello WORLD, the_Quick brown FOX; x Y zZ 42nd";
        let mut buf = String::new();
        let mut got = Vec::new();
        for_each_lowercase_ascii_token(doc, &mut buf, |t| got.push(t.to_string()));
        let lowered = doc.to_ascii_lowercase();
        assert_eq!(got, tokens(&lowered));
    }

    #[test]
    fn marks_split_words() {
        assert_eq!(tokens("cafe\u{301}s ab\u{301}cd"), vec!["cafe", "ab", "cd"]);
        assert_eq!(tokens("İstanbul").len(), 1);
        assert_eq!(tokens(&python_lower("İstanbul")), vec!["stanbul"]);
    }

    #[test]
    fn ascii_and_unicode_paths_agree() {
        let s = "Hello, world_42! a bb -- x1 ";
        let u = format!("{s}é");
        assert_eq!(tokens(s), vec!["Hello", "world_42", "bb", "x1"]);
        assert_eq!(tokens(s), tokens(&u));
        assert_eq!(tokens("ab\u{e9}cd"), vec!["ab\u{e9}cd"]);
    }
}
