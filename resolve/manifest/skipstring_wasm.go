//go:build wasm

package manifest

import "encoding/binary"

// skipString returns the offset just past the string whose opening quote is
// at open. In wasm, bytes.IndexByte is a call into a byte-at-a-time memchr;
// reading eight bytes at a time and testing them for a quote with word
// arithmetic scans strings several times faster there.
func skipString(data []byte, open int) (end int, ok bool) {
	const ones, highs, quotes = 0x0101010101010101, 0x8080808080808080, 0x2222222222222222
	i := open + 1
	for {
		for i+8 <= len(data) {
			x := binary.LittleEndian.Uint64(data[i:]) ^ quotes // a quote byte becomes 0
			if z := (x - ones) &^ x & highs; z != 0 {
				// The lowest flagged byte is a real zero byte (borrows only
				// carry upwards), so it is the first quote in the word.
				i += trailingZeroBytes(z)
				break
			}
			i += 8
		}
		for i < len(data) && data[i] != '"' {
			i++
		}
		if i >= len(data) {
			return len(data), false
		}
		if escapedQuote(data, open, i) {
			i++
			continue
		}
		return i + 1, true
	}
}

func trailingZeroBytes(z uint64) int {
	n := 0
	for z&0xff == 0 {
		z >>= 8
		n++
	}
	return n
}
