//go:build !wasm

package manifest

import "bytes"

// skipString returns the offset just past the string whose opening quote is
// at open. Skipping values never needs to know about escapes, so it looks at
// each byte once. Natively bytes.IndexByte is vectorised; wasm has its own
// version (skipstring_wasm.go).
func skipString(data []byte, open int) (end int, ok bool) {
	i := open + 1
	for {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return len(data), false
		}
		q := i + j
		if escapedQuote(data, open, q) {
			i = q + 1
			continue
		}
		return q + 1, true
	}
}
