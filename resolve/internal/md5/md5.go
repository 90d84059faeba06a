// Package md5 computes MD5 digests (RFC 1321) for the two places dbt uses
// them: dbt's local_md5() context function and package-name hashes in
// manifests. It exists so the wasm builds do not link crypto/md5, which
// brings Go's whole FIPS 140 module (AES, SHA-2/3, DRBG and their self
// tests) into the binary: about 100 KB of brotli for one small hash.
// MD5 is not used for anything security-related here.
package md5

import (
	"encoding/binary"
	"math/bits"
)

// Size is the length of a digest in bytes.
const Size = 16

// shifts are the per-round rotation amounts, four per round.
var shifts = [4][4]int{{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}}

// table is floor(abs(sin(i+1)) * 2^32), the constants of RFC 1321 §3.4.
var table = [64]uint32{
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
}

// Sum returns the MD5 digest of data.
func Sum(data []byte) [Size]byte {
	s := [4]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}
	// Padding: a 1 bit, zeros to 56 mod 64 bytes, then the bit length.
	n := len(data)
	tail := make([]byte, 0, 128)
	full := n &^ 63
	tail = append(tail, data[full:]...)
	tail = append(tail, 0x80)
	for len(tail)%64 != 56 {
		tail = append(tail, 0)
	}
	tail = binary.LittleEndian.AppendUint64(tail, uint64(n)<<3)
	blocks(&s, data[:full])
	blocks(&s, tail)
	var out [Size]byte
	for i, v := range s {
		binary.LittleEndian.PutUint32(out[4*i:], v)
	}
	return out
}

// blocks runs the compression function over whole 64-byte blocks.
func blocks(s *[4]uint32, p []byte) {
	var x [16]uint32
	for ; len(p) >= 64; p = p[64:] {
		for i := range x {
			x[i] = binary.LittleEndian.Uint32(p[4*i:])
		}
		a, b, c, d := s[0], s[1], s[2], s[3]
		for i := 0; i < 64; i++ {
			var f uint32
			var g int
			switch i / 16 {
			case 0:
				f, g = (b&c)|(^b&d), i
			case 1:
				f, g = (b&d)|(c&^d), (5*i+1)%16
			case 2:
				f, g = b^c^d, (3*i+5)%16
			default:
				f, g = c^(b|^d), (7*i)%16
			}
			f += a + table[i] + x[g]
			a, d, c = d, c, b
			b += bits.RotateLeft32(f, shifts[i/16][i%4])
		}
		s[0] += a
		s[1] += b
		s[2] += c
		s[3] += d
	}
}
