// Package heap measures what a piece of code leaves on the Go heap, for the
// benchmarks that report memory retained beyond the input.
package heap

import "runtime"

// Retained returns the heap still live after fn beyond what was live before
// it. It collects twice on each side: a sync.Pool (the manifest reader keeps
// one of parsers) holds what it references until the second collection.
func Retained(fn func()) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}
