package md5

import (
	stdmd5 "crypto/md5"
	"encoding/hex"
	"strings"
	"testing"
)

// TestVectors: RFC 1321 appendix A.5, and every length around the padding
// boundaries against the standard library.
func TestVectors(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "d41d8cd98f00b204e9800998ecf8427e",
		"a":                          "0cc175b9c0f1b6a831c399e269772661",
		"abc":                        "900150983cd24fb0d6963f7d28e17f72",
		"message digest":             "f96b697d7cb7938d525a2f31aaf161d0",
		"abcdefghijklmnopqrstuvwxyz": "c3fcd3d76192e4007dfb496cca67e13b",
		"12345678901234567890123456789012345678901234567890123456789012345678901234567890": "57edf4a22be3c955ac49da2e2107b67a",
	} {
		if got := Sum([]byte(in)); hex.EncodeToString(got[:]) != want {
			t.Errorf("Sum(%q) = %x, want %s", in, got, want)
		}
	}
	for n := 0; n < 300; n++ {
		b := []byte(strings.Repeat("dbt", n)[:n])
		if got, want := Sum(b), stdmd5.Sum(b); got != want {
			t.Fatalf("length %d: %x, want %x", n, got, want)
		}
	}
}
