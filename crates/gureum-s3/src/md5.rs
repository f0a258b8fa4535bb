//! MD5 (RFC 1321), for S3's ETags and Content-MD5: the workspace has no MD5 crate.

/// An MD5 computation fed chunk by chunk.
#[derive(Clone)]
pub struct Md5 {
    state: [u32; 4],
    buffer: [u8; 64],
    buffered: usize,
    length: u64,
}

const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
    14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15,
    21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];

/// The message word each step adds.
const MSG: [usize; 64] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1, 6, 11, 0, 5, 10, 15, 4, 9, 14, 3, 8,
    13, 2, 7, 12, 5, 8, 11, 14, 1, 4, 7, 10, 13, 0, 3, 6, 9, 12, 15, 2, 0, 7, 14, 5, 12, 3, 10, 1,
    8, 15, 6, 13, 4, 11, 2, 9,
];

const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

impl Default for Md5 {
    fn default() -> Self {
        Self::new()
    }
}

impl Md5 {
    pub fn new() -> Self {
        Md5 {
            state: [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476],
            buffer: [0; 64],
            buffered: 0,
            length: 0,
        }
    }

    pub fn update(&mut self, mut data: &[u8]) {
        self.length = self.length.wrapping_add(data.len() as u64);
        if self.buffered > 0 {
            let take = (64 - self.buffered).min(data.len());
            self.buffer[self.buffered..self.buffered + take].copy_from_slice(&data[..take]);
            self.buffered += take;
            data = &data[take..];
            if self.buffered < 64 {
                return;
            }
            let block = self.buffer;
            self.block(&block);
            self.buffered = 0;
        }
        let mut chunks = data.chunks_exact(64);
        for chunk in &mut chunks {
            self.block(chunk.try_into().expect("64 bytes"));
        }
        let rest = chunks.remainder();
        self.buffer[..rest.len()].copy_from_slice(rest);
        self.buffered = rest.len();
    }

    pub fn finish(mut self) -> [u8; 16] {
        let bits = self.length.wrapping_mul(8);
        let pad_len = if self.buffered < 56 {
            56 - self.buffered
        } else {
            120 - self.buffered
        };
        let mut padding = [0u8; 72];
        padding[0] = 0x80;
        // `update` would count the padding in the length; restore it afterwards.
        let length = self.length;
        self.update(&padding[..pad_len]);
        self.update(&bits.to_le_bytes());
        self.length = length;
        let mut out = [0u8; 16];
        for (i, word) in self.state.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    fn block(&mut self, block: &[u8; 64]) {
        let mut m = [0u32; 16];
        for (i, word) in m.iter_mut().enumerate() {
            *word = u32::from_le_bytes([
                block[i * 4],
                block[i * 4 + 1],
                block[i * 4 + 2],
                block[i * 4 + 3],
            ]);
        }
        let [mut a, mut b, mut c, mut d] = self.state;
        // The 64 steps unrolled, each with its message word, constant and shift as literals
        // (a loop indexing S, K and the word schedule ran at a third of this speed). Each step
        // adds what does not depend on `b` (the previous step's result) first, so only the last
        // operations of the round function, the rotation and one addition wait for it.
        macro_rules! step {
            (F, $a:ident, $b:ident, $c:ident, $d:ident, $i:expr) => {
                $a = $b.wrapping_add(
                    $a.wrapping_add(K[$i])
                        .wrapping_add(m[MSG[$i]])
                        .wrapping_add($d ^ ($b & ($c ^ $d)))
                        .rotate_left(S[$i]),
                );
            };
            // G(b, c, d) = (b & d) | (c & !d): the two halves never share a bit, so they may be
            // added apart, the one without `b` early.
            (G, $a:ident, $b:ident, $c:ident, $d:ident, $i:expr) => {
                $a = $b.wrapping_add(
                    $a.wrapping_add(K[$i])
                        .wrapping_add(m[MSG[$i]])
                        .wrapping_add($c & !$d)
                        .wrapping_add($b & $d)
                        .rotate_left(S[$i]),
                );
            };
            (H, $a:ident, $b:ident, $c:ident, $d:ident, $i:expr) => {
                $a = $b.wrapping_add(
                    $a.wrapping_add(K[$i])
                        .wrapping_add(m[MSG[$i]])
                        .wrapping_add($b ^ ($c ^ $d))
                        .rotate_left(S[$i]),
                );
            };
            (I, $a:ident, $b:ident, $c:ident, $d:ident, $i:expr) => {
                $a = $b.wrapping_add(
                    $a.wrapping_add(K[$i])
                        .wrapping_add(m[MSG[$i]])
                        .wrapping_add($c ^ ($b | !$d))
                        .rotate_left(S[$i]),
                );
            };
        }
        macro_rules! round {
            ($f:ident, $base:expr) => {
                step!($f, a, b, c, d, $base);
                step!($f, d, a, b, c, $base + 1);
                step!($f, c, d, a, b, $base + 2);
                step!($f, b, c, d, a, $base + 3);
                step!($f, a, b, c, d, $base + 4);
                step!($f, d, a, b, c, $base + 5);
                step!($f, c, d, a, b, $base + 6);
                step!($f, b, c, d, a, $base + 7);
                step!($f, a, b, c, d, $base + 8);
                step!($f, d, a, b, c, $base + 9);
                step!($f, c, d, a, b, $base + 10);
                step!($f, b, c, d, a, $base + 11);
                step!($f, a, b, c, d, $base + 12);
                step!($f, d, a, b, c, $base + 13);
                step!($f, c, d, a, b, $base + 14);
                step!($f, b, c, d, a, $base + 15);
            };
        }
        round!(F, 0);
        round!(G, 16);
        round!(H, 32);
        round!(I, 48);
        self.state[0] = self.state[0].wrapping_add(a);
        self.state[1] = self.state[1].wrapping_add(b);
        self.state[2] = self.state[2].wrapping_add(c);
        self.state[3] = self.state[3].wrapping_add(d);
    }
}

/// The MD5 digest of `data`.
pub fn md5(data: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(data);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1321_test_suite() {
        let cases: [(&str, &str); 7] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(hex::encode(md5(input.as_bytes())), want, "{input:?}");
        }
    }

    #[test]
    fn long_inputs_match_known_digests() {
        // Digests from Python's hashlib.
        assert_eq!(
            hex::encode(md5(&[b'a'; 1_000_000])),
            "7707d6ae4e027c70eea2a935c2296f21"
        );
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut h = Md5::new();
        for piece in data.chunks(999) {
            h.update(piece);
        }
        assert_eq!(hex::encode(h.finish()), "c260642229888763c0fa2a4843f50a36");
    }

    #[test]
    fn chunked_updates_match_one_shot() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        for split in [0, 1, 55, 56, 63, 64, 65, 128, 999] {
            let mut h = Md5::new();
            h.update(&data[..split]);
            h.update(&data[split..]);
            assert_eq!(h.finish(), md5(&data), "split at {split}");
        }
    }
}
