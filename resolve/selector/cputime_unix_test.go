//go:build unix

package selector

import "syscall"

// cpuNs is the process's user+system CPU time, for benchmarks on a shared
// machine where wall time depends on other load.
func cpuNs() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
