//! Removal of headers, signature blocks and quoted replies from news posts.
//!
//! These follow scikit-learn's `fetch_20newsgroups(remove=...)` character for
//! character, including Python's string semantics: `str.strip()` trims every
//! character for which `str.isspace()` holds (see [`is_py_space`]), which is a
//! different set from Rust's [`char::is_whitespace`] (Python counts the
//! separators U+001C..U+001F as space and Rust does not; Rust counts U+200E/U+200F,
//! Python does not).

/// `true` for exactly the characters where Python 3's `str.isspace()` is true.
///
/// That is `\t \n \x0b \x0c \r`, the four information separators U+001C..U+001F,
/// the space, U+0085 (next line), U+00A0 (no-break space) and the Unicode space
/// separators above U+00FF.
///
/// ```
/// use topicmod::corpus::is_py_space;
/// assert!(is_py_space('\x1c') && is_py_space('\u{a0}') && is_py_space('\u{85}'));
/// assert!(!is_py_space('\u{200b}') && !is_py_space('x'));
/// ```
pub fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Python's `s.strip()`: trims [`is_py_space`] characters from both ends.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Drops the header block: everything up to and including the first blank line
/// (the first `"\n\n"`).
///
/// A post with no blank line is all header, so the result is empty (Python's
/// `text.partition("\n\n")[2]`).
///
/// ```
/// use topicmod::corpus::strip_newsgroup_header;
/// assert_eq!(strip_newsgroup_header("From: a\nSubject: b\n\nHello\n\nBye"), "Hello\n\nBye");
/// assert_eq!(strip_newsgroup_header("no blank line here\n"), "");
/// ```
pub fn strip_newsgroup_header(text: &str) -> &str {
    match text.find("\n\n") {
        Some(i) => &text[i + 2..],
        None => "",
    }
}

/// `true` when a line looks like a quote or a quote introduction.
///
/// A line is dropped when it contains `writes in`, `writes:`, `wrote:`, `says:`
/// or `said:` anywhere, or when it starts with `In article`, `Quoted from`, `|`
/// or `>`. (scikit-learn's regular expression anchors `^` at the start of each
/// line because it is searched line by line.)
pub fn is_quote_line(line: &str) -> bool {
    line.starts_with('>')
        || line.starts_with('|')
        || line.starts_with("In article")
        || line.starts_with("Quoted from")
        || ["writes in", "writes:", "wrote:", "says:", "said:"]
            .iter()
            .any(|m| line.contains(m))
}

/// Drops every line (split on `'\n'`) for which [`is_quote_line`] holds and joins
/// the rest with `'\n'`.
///
/// ```
/// use topicmod::corpus::strip_newsgroup_quoting;
/// let post = "In article <1@x>, bob writes:\n> old text\nmy answer\n| more old\nok";
/// assert_eq!(strip_newsgroup_quoting(post), "my answer\nok");
/// ```
pub fn strip_newsgroup_quoting(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut first = true;
    for line in text.split('\n') {
        if is_quote_line(line) {
            continue;
        }
        if !first {
            out.push('\n');
        }
        out.push_str(line);
        first = false;
    }
    out
}

/// Drops a trailing signature block.
///
/// The text is stripped (Python `strip`) and split on `'\n'`; scanning from the
/// last line upwards, the first line that is empty once spaces and then hyphens
/// are trimmed from its ends marks the start of the signature, and everything from
/// that line on is dropped. When that marker is the very first line, or there is
/// none, the text is returned unchanged (not even stripped).
///
/// ```
/// use topicmod::corpus::strip_newsgroup_footer;
/// assert_eq!(strip_newsgroup_footer("body\nmore\n-- \nJohn\n"), "body\nmore");
/// assert_eq!(strip_newsgroup_footer("  one paragraph only \n"), "  one paragraph only \n");
/// ```
pub fn strip_newsgroup_footer(text: &str) -> String {
    let lines: Vec<&str> = py_strip(text).split('\n').collect();
    let mut line_num = 0;
    for i in (0..lines.len()).rev() {
        if py_strip(lines[i]).trim_matches('-').is_empty() {
            line_num = i;
            break;
        }
    }
    if line_num > 0 {
        lines[..line_num].join("\n")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_whitespace_set() {
        // The complete list printed by CPython 3.11: [c for c in range(0x110000) if chr(c).isspace()].
        let expected: Vec<u32> = vec![
            0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000,
            0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
            0x2029, 0x202f, 0x205f, 0x3000,
        ];
        let got: Vec<u32> = (0u32..0x11_0000)
            .filter_map(char::from_u32)
            .filter(|&c| is_py_space(c))
            .map(|c| c as u32)
            .collect();
        assert_eq!(got, expected);
        assert_eq!(py_strip("\x1c\u{a0} a b \u{85}\x1f"), "a b");
        assert_eq!(py_strip("\u{200b}a"), "\u{200b}a");
    }

    #[test]
    fn header_edge_cases() {
        assert_eq!(strip_newsgroup_header(""), "");
        assert_eq!(strip_newsgroup_header("\n\n"), "");
        assert_eq!(strip_newsgroup_header("\n\nbody"), "body");
        assert_eq!(strip_newsgroup_header("h\n\n\nbody"), "\nbody");
        // "\r\n\r\n" is not a blank line for this rule.
        assert_eq!(strip_newsgroup_header("h\r\n\r\nbody"), "");
        assert_eq!(strip_newsgroup_header("a: 1\nb: 2\n\nx\n\ny"), "x\n\ny");
    }

    #[test]
    fn footer_edge_cases() {
        // No separator: unchanged, including surrounding space.
        assert_eq!(
            strip_newsgroup_footer("\n  abc\ndef  \n\n"),
            "\n  abc\ndef  \n\n"
        );
        // Separator as the first line after stripping: unchanged.
        assert_eq!(strip_newsgroup_footer("---\nsig"), "---\nsig");
        // Blank line separator, trailing blank lines ignored by the strip.
        assert_eq!(strip_newsgroup_footer("\n a\n\nsig\n\n\n"), "a");
        // Line of hyphens with surrounding spaces.
        assert_eq!(strip_newsgroup_footer("a\nb\n  ----  \nsig"), "a\nb");
        // Hyphens and spaces mixed inside do not count.
        assert_eq!(strip_newsgroup_footer("a\n- -\nsig"), "a\n- -\nsig");
        // The LAST separator wins.
        assert_eq!(strip_newsgroup_footer("a\n\nb\n--\nc"), "a\n\nb");
        // Python whitespace the Rust trim would not remove makes a blank line.
        assert_eq!(strip_newsgroup_footer("a\n\x1c\nsig"), "a");
        assert_eq!(strip_newsgroup_footer("a\n\u{a0}\nsig"), "a");
        // Empty and all-space texts come back as they were.
        assert_eq!(strip_newsgroup_footer(""), "");
        assert_eq!(strip_newsgroup_footer(" \n "), " \n ");
        // "\r" counts as space for the strip.
        assert_eq!(strip_newsgroup_footer("a\r\n\r\nsig"), "a\r");
    }

    #[test]
    fn quoting_edge_cases() {
        assert_eq!(strip_newsgroup_quoting(""), "");
        assert_eq!(strip_newsgroup_quoting(">"), "");
        assert_eq!(strip_newsgroup_quoting("a\n>b\nc"), "a\nc");
        assert_eq!(
            strip_newsgroup_quoting(" > indented quote"),
            " > indented quote"
        );
        assert_eq!(strip_newsgroup_quoting(" In article"), " In article");
        assert_eq!(strip_newsgroup_quoting("x\nhe said: yes\ny"), "x\ny");
        assert_eq!(strip_newsgroup_quoting("Smith writes in alt.x\nz"), "z");
        assert_eq!(
            strip_newsgroup_quoting("Quoted from memo\n|pipe\nkeep"),
            "keep"
        );
        assert_eq!(
            strip_newsgroup_quoting("wrote : no\nwrote: yes"),
            "wrote : no"
        );
        // Blank lines survive, trailing newline kept as an empty last line.
        assert_eq!(strip_newsgroup_quoting("a\n\nb\n"), "a\n\nb\n");
        assert_eq!(strip_newsgroup_quoting("a\n> q\n"), "a\n");
        // Case matters, as in the regular expression.
        assert_eq!(
            strip_newsgroup_quoting("WROTE: x\nin article"),
            "WROTE: x\nin article"
        );
    }
}
