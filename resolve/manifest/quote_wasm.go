//go:build wasm

package manifest

import (
	"math/bits"
	"unsafe"
)

// closingQuote is the offset of the quote that closes the string opened at
// open, or -1. In wasm it reads eight bytes a step and finds the first quote
// or backslash among them with bit arithmetic (no call: a call per string
// into IndexByte was the largest part of opening, most strings being short);
// a backslash skips the byte after it.
func closingQuote(data []byte, open int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := open + 1
	for i+8 <= len(data) {
		v := *(*uint64)(unsafe.Pointer(&data[i])) // in bounds: i+8 <= len(data)
		q, b := v^('"'*lo), v^('\\'*lo)
		m := ((q-lo)&^q | (b-lo)&^b) & hi // the lowest set bit is the first quote or backslash
		if m == 0 {
			i += 8
			continue
		}
		j := i + bits.TrailingZeros64(m)/8
		if data[j] == '"' {
			return j
		}
		i = j + 2
	}
	for ; i < len(data); i++ {
		switch data[i] {
		case '"':
			return i
		case '\\':
			i++
		}
	}
	return -1
}
