package gan

// #include <malloc.h>
import "C"

import "log/slog"

// libtorch allocates every activation, gradient and workspace with malloc and
// frees it within the step, tens of megabytes per step. glibc hands such
// blocks back to the kernel (munmap, heap trimming) and the next step faults
// them in again, page by page: the Go trainer, whose libtorch calls run on a
// thread of its own (a per-thread malloc arena with 64 MB heaps), took 17,900
// minor page faults and 68 ms of kernel time per training step at batch 64,
// isize 32, against 1,100 and 7 ms for the original in PyTorch on the main
// thread. Fixing glibc's thresholds keeps the memory of one step for the next
// (about 300 faults and 10 ms of kernel time per step), as glibc's own
// adaptive thresholds do for a single-threaded program. Memory above the
// peak of a step is still returned.
func init() {
	const (
		mmapThreshold = 32 << 20 // glibc's largest allowed value (HEAP_MAX_SIZE/2 on 64-bit)
		trimThreshold = 1 << 30
	)
	if C.mallopt(C.M_MMAP_THRESHOLD, mmapThreshold) != 1 || C.mallopt(C.M_TRIM_THRESHOLD, trimThreshold) != 1 {
		slog.Debug("mallopt refused the heap thresholds; training runs with the C library's defaults")
	}
}
