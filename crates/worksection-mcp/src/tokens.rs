//! How many tokens a text costs an assistant, estimated conservatively.
//!
//! Assistants count their context in tokens, not bytes (Claude Code refuses
//! a tool result over 25,000 tokens by default), and a token is worth
//! fewer characters in Cyrillic or emoji than in English. The tokenizers
//! themselves are not public, so [`estimate`] errs on the high side, by the
//! UTF-8 width of each character:
//!
//! | character | example | tokens each |
//! |---|---|---|
//! | ASCII (1 byte) | `a`, `{`, `7` | 0.4 (2.5 characters a token; English prose is about 4, dense JSON about 3) |
//! | 2 bytes | Cyrillic, Greek, accented Latin | 1 |
//! | 3 bytes | Chinese, Japanese, most symbols | 1.5 |
//! | 4 bytes | emoji, rare scripts | 2.5 |
//!
//! The sum is rounded up. Budgets compare against this figure, so an answer
//! that fits by the estimate fits the assistant's own count.

/// Tenths of a token for one character of `width` UTF-8 bytes.
const fn tenths(width: usize) -> usize {
    match width {
        1 => 4,
        2 => 10,
        3 => 15,
        _ => 25,
    }
}

/// The estimated token count of `text`.
pub fn estimate(text: &str) -> usize {
    // ASCII is by far the most common: count it by bytes, and only decode
    // the rest.
    let ascii = text.bytes().filter(u8::is_ascii).count();
    let rest: usize = if ascii == text.len() {
        0
    } else {
        text.chars()
            .filter(|c| !c.is_ascii())
            .map(|c| tenths(c.len_utf8()))
            .sum()
    };
    (ascii * tenths(1) + rest).div_ceil(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_strings() {
        assert_eq!(estimate(""), 0);
        // 11 ASCII characters: 4.4, rounded up.
        assert_eq!(estimate("hello world"), 5);
        assert_eq!(estimate(r#"{"id":"1234","name":"Landing page"}"#), 14);
        // Cyrillic: one token a letter, the space 0.4.
        assert_eq!(estimate("Привет мир"), 10);
        // Chinese: 1.5 a character.
        assert_eq!(estimate("任务"), 3);
        // Emoji: 2.5 each, even the ones joined into one picture.
        assert_eq!(estimate("🚀"), 3);
        assert_eq!(estimate("👍🏽"), 5);
    }

    #[test]
    fn wider_scripts_cost_more_than_ascii_of_the_same_bytes() {
        let ascii = "a".repeat(12);
        let cyrillic = "я".repeat(6);
        let emoji = "😀".repeat(3);
        assert_eq!(ascii.len(), cyrillic.len());
        assert_eq!(ascii.len(), emoji.len());
        assert!(estimate(&ascii) < estimate(&cyrillic));
        assert!(estimate(&ascii) < estimate(&emoji));
    }

    #[test]
    fn estimate_is_additive_up_to_rounding() {
        let a = "Задача: landing page 🚀";
        let b = r#"{"price":"1 200,00"}"#;
        let whole = estimate(&format!("{a}{b}"));
        assert!(whole <= estimate(a) + estimate(b));
        assert!(whole + 2 >= estimate(a) + estimate(b));
    }
}
