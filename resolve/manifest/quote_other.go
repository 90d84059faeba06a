//go:build !wasm

package manifest

import "bytes"

// closingQuote is the offset of the quote that closes the string opened at
// open, or -1. Natively IndexByte (vector instructions) finds each quote;
// one preceded by an odd run of backslashes is escaped.
func closingQuote(data []byte, open int) int {
	i := open + 1
	for {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return -1
		}
		q := i + j
		if !escapedQuote(data, open, q) {
			return q
		}
		i = q + 1
	}
}
