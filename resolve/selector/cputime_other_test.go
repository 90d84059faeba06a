//go:build !unix

package selector

func cpuNs() int64 { return 0 }
