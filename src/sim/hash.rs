//! Deterministic pseudo-randomness: every value of the scenario is a pure function of
//! (seed, tag, index, day, ...) through these mixers, so nothing is materialised and two
//! runs with the same seed agree bit for bit.

/// SplitMix64 finaliser: a good 64-bit mixer.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a seed and a list of parts (tags, indices, days).
pub(crate) fn h(seed: u64, parts: &[u64]) -> u64 {
    let mut x = mix(seed ^ 0x05EE_D0FC_1555_u64);
    for p in parts {
        x = mix(x ^ p.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    }
    x
}

/// Uniform float in [0, 1) from a hash.
pub(crate) fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Uniform integer in [lo, hi] (inclusive) from a hash.
pub(crate) fn range(x: u64, lo: i64, hi: i64) -> i64 {
    if hi <= lo {
        return lo;
    }
    lo + (x % ((hi - lo + 1) as u64)) as i64
}

/// Signed day numbers as hash parts.
pub(crate) fn d(day: i32) -> u64 {
    day as i64 as u64
}

/// A small sequential generator for places that need several draws.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64, parts: &[u64]) -> Self {
        Rng(h(seed, parts))
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
    pub(crate) fn unit(&mut self) -> f64 {
        unit(self.next())
    }
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        range(self.next(), lo, hi)
    }
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let n = items.len().max(1);
        &items[(self.next() % n as u64) as usize]
    }
}

/// Hash tags (arbitrary distinct constants).
pub(crate) mod tag {
    pub const ROLE: u64 = 1;
    pub const NAME: u64 = 2;
    pub const STATUS: u64 = 3;
    pub const MFA: u64 = 4;
    pub const PWD: u64 = 5;
    pub const SIGNIN: u64 = 6;
    pub const RULE: u64 = 7;
    pub const FWD: u64 = 8;
    pub const GROUP: u64 = 9;
    pub const REGISTER: u64 = 10;
    pub const MISUSE: u64 = 11;
    pub const FAULT: u64 = 12;
    pub const LATENCY: u64 = 13;
    pub const REQID: u64 = 14;
    pub const TOKEN: u64 = 16;
    pub const CREATED: u64 = 17;
    pub const BATCH: u64 = 18;
    pub const MISC: u64 = 19;
    pub const ACTIVITY: u64 = 20;
    pub const ETAB: u64 = 21;
}

/// Formats 128 bits as a version-4 GUID.
pub(crate) fn guid(a: u64, b: u64) -> String {
    let hi = (a & !0xF000) | 0x4000;
    let lo = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    fmt_guid(hi, lo)
}

fn fmt_guid(hi: u64, lo: u64) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

fn parse_guid(s: &str) -> Option<(u64, u64)> {
    let s = s.trim();
    if s.len() != 36 {
        return None;
    }
    let b = s.as_bytes();
    if b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let hi = u64::from_str_radix(&hex[..16], 16).ok()?;
    let lo = u64::from_str_radix(&hex[16..], 16).ok()?;
    Some((hi, lo))
}

const MASK30: u64 = (1 << 30) - 1;

fn feistel(seed: u64, x: u64, decrypt: bool) -> u64 {
    let mut l = (x >> 30) & MASK30;
    let mut r = x & MASK30;
    if !decrypt {
        for round in 0..4u64 {
            let f = h(seed, &[0xFE15, round, r]) & MASK30;
            let nl = r;
            r = l ^ f;
            l = nl;
        }
    } else {
        for round in (0..4u64).rev() {
            let f = h(seed, &[0xFE15, round, l]) & MASK30;
            let nr = l;
            l = r ^ f;
            r = nr;
        }
    }
    (l << 30) | r
}

/// Kinds of objects whose ids can be decoded back to an index.
pub(crate) mod kind {
    pub const USER: u8 = 1;
    pub const GROUP: u8 = 2;
    pub const POLICY: u8 = 3;
    pub const LOCATION: u8 = 4;
    pub const TENANT: u8 = 5;
    pub const APP: u8 = 6;
    pub const ADMIN_UNIT: u8 = 7;
}

/// An object id that looks like a random GUID but decodes back to (kind, index): the
/// simulator never needs a table to find an account from its id.
pub(crate) fn object_id(seed: u64, kind: u8, index: u32) -> String {
    let plain = ((kind as u64 & 0xF) << 56) | ((index as u64 & 0xFF_FFFF) << 32);
    let c = feistel(seed, plain, false);
    let hi = ((c >> 12) << 16) | 0x4000 | (c & 0xFFF);
    let lo = (h(seed, &[0x1D, c]) & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    fmt_guid(hi, lo)
}

/// Inverse of [`object_id`]; `None` for anything the simulator did not issue.
pub(crate) fn decode_object_id(seed: u64, s: &str) -> Option<(u8, u32)> {
    let (hi, lo) = parse_guid(&s.to_ascii_lowercase())?;
    if (hi >> 12) & 0xF != 4 {
        return None;
    }
    let c = ((hi >> 16) << 12) | (hi & 0xFFF);
    let expect = (h(seed, &[0x1D, c]) & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    if expect != lo {
        return None;
    }
    let plain = feistel(seed, c, true);
    if plain & 0xFFFF_FFFF != 0 {
        return None;
    }
    Some((
        ((plain >> 56) & 0xF) as u8,
        ((plain >> 32) & 0xFF_FFFF) as u32,
    ))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding.
pub(crate) fn b64url(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 4 / 3 + 3);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = ((b[0] as u32) << 16) | ((b[1] as u32) << 8) | b[2] as u32;
        let chars = chunk.len() + 1;
        for k in 0..chars {
            out.push(B64[((n >> (18 - 6 * k)) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes base64url (padding and standard alphabet tolerated).
pub(crate) fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A short keyed checksum for opaque tokens.
pub(crate) fn check(seed: u64, data: &[u8]) -> u32 {
    let mut x = h(seed, &[0xC4EC]);
    for chunk in data.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        x = mix(x ^ u64::from_le_bytes(w));
    }
    (x >> 32) as u32
}

/// Opaque token: payload words, checksummed, base64url.
pub(crate) fn seal(seed: u64, words: &[i64]) -> String {
    let mut bytes = Vec::with_capacity(words.len() * 8 + 4);
    for w in words {
        bytes.extend_from_slice(&w.to_le_bytes());
    }
    let c = check(seed, &bytes);
    bytes.extend_from_slice(&c.to_le_bytes());
    b64url(&bytes)
}

/// Inverse of [`seal`]; `None` when tampered with.
pub(crate) fn unseal(seed: u64, s: &str) -> Option<Vec<i64>> {
    let bytes = b64url_decode(s)?;
    if bytes.len() < 4 || (bytes.len() - 4) % 8 != 0 {
        return None;
    }
    let (payload, sum) = bytes.split_at(bytes.len() - 4);
    let c = u32::from_le_bytes([sum[0], sum[1], sum[2], sum[3]]);
    if c != check(seed, payload) {
        return None;
    }
    Some(
        payload
            .chunks(8)
            .map(|w| {
                let mut a = [0u8; 8];
                a.copy_from_slice(w);
                i64::from_le_bytes(a)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_round_trip() {
        for i in [0u32, 1, 2, 299, 123_456, 399_999] {
            let id = object_id(42, kind::USER, i);
            assert_eq!(decode_object_id(42, &id), Some((kind::USER, i)));
            assert_eq!(decode_object_id(43, &id), None);
            assert_eq!(&id[14..15], "4");
        }
        assert_eq!(decode_object_id(42, "not-a-guid"), None);
    }

    #[test]
    fn seal_round_trip() {
        let t = seal(7, &[1, -2, 300]);
        assert_eq!(unseal(7, &t), Some(vec![1, -2, 300]));
        assert_eq!(unseal(8, &t), None);
        assert_eq!(
            b64url_decode(&b64url(b"hello!?")).as_deref(),
            Some(&b"hello!?"[..])
        );
    }
}
