//! Salesforce record ids: the 15-character case-sensitive form, the 18-character case-safe form
//! with its checksum, and the generator that issues new ids with real key prefixes.
//!
//! Clients compare, store and log ids; an emulator that hands out ids of the wrong shape (or
//! accepts ids Salesforce would refuse) hides bugs. The checksum algorithm is the documented
//! one: three 5-character chunks, bit *i* set when character *i* is an upper-case letter, each
//! 5-bit number mapped through `A–Z0–5`.

/// Maps a 5-bit chunk value to its checksum character.
const CHECKSUM_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// Digits of the counter part of generated ids, in ASCII order so that string order of ids
/// issued by one generator is their issue order.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The two characters after the key prefix: the pod (instance) the org lives on.
pub const POD: &str = "Hs";

/// The 3-character checksum of a 15-character id.
pub fn checksum(id15: &str) -> String {
    id15.as_bytes()
        .chunks(5)
        .map(|chunk| {
            let bits = chunk
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_ascii_uppercase())
                .fold(0usize, |acc, (i, _)| acc | (1 << i));
            CHECKSUM_ALPHABET[bits] as char
        })
        .collect()
}

/// Why an id was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdProblem {
    /// Not 15 or 18 alphanumeric characters.
    Shape,
    /// 18 characters whose last three do not match the first fifteen.
    Checksum,
}

/// Normalizes a 15- or 18-character id to its 18-character form.
pub fn to18(id: &str) -> Result<String, IdProblem> {
    if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(IdProblem::Shape);
    }
    match id.len() {
        15 => Ok(format!("{id}{}", checksum(id))),
        18 => {
            let (head, tail) = id.split_at(15);
            if checksum(head).eq_ignore_ascii_case(tail) {
                Ok(format!("{head}{}", checksum(head)))
            } else {
                Err(IdProblem::Checksum)
            }
        }
        _ => Err(IdProblem::Shape),
    }
}

/// The key prefix (first three characters) of an id.
pub fn prefix(id: &str) -> &str {
    id.get(..3).unwrap_or("")
}

/// Builds the 18-character id for `key_prefix` and a counter value.
pub fn make(key_prefix: &str, counter: u64) -> String {
    let mut digits = [b'0'; 9];
    let mut n = counter;
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    let id15 = format!(
        "{key_prefix}{POD}0{}",
        String::from_utf8_lossy(&digits).into_owned()
    );
    format!("{id15}{}", checksum(&id15))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_test_vectors_get_their_checksums() {
        assert_eq!(to18("001D000000IqhSL").unwrap(), "001D000000IqhSLIAZ");
        assert_eq!(checksum("003R00000025R22"), "IAE");
        assert_eq!(checksum("001xx000003DGb2"), "AAG");
        assert_eq!(checksum("a00R0000000iN4g"), "IAE");
        assert_eq!(checksum("5009O00000DKLC5"), "QAP");
        assert_eq!(checksum("012000000000000"), "AAA");
    }

    #[test]
    fn eighteen_character_ids_are_checked_and_bad_shapes_refused() {
        assert_eq!(to18("001D000000IqhSLIAZ").unwrap(), "001D000000IqhSLIAZ");
        assert_eq!(to18("001D000000IqhSLiaz").unwrap(), "001D000000IqhSLIAZ");
        assert_eq!(to18("001D000000IqhSLAAA"), Err(IdProblem::Checksum));
        assert_eq!(to18("001D000000IqhS"), Err(IdProblem::Shape));
        assert_eq!(to18("001D000000Iqh-L"), Err(IdProblem::Shape));
    }

    #[test]
    fn generated_ids_are_valid_and_sort_in_issue_order() {
        let a = make("500", 1_000);
        let b = make("500", 1_001);
        let c = make("500", 62 * 62 * 62);
        assert_eq!(a.len(), 18);
        assert!(a.starts_with("500Hs0"));
        assert_eq!(to18(&a[..15]).unwrap(), a);
        assert!(a < b && b < c);
    }
}
