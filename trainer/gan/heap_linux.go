package gan

// #include <malloc.h>
//
// // Runs when the program is loaded, before the Go runtime starts its threads,
// // so that every thread shares glibc's main arena (see below).
// __attribute__((constructor)) static void ganomaly_keep_heap_warm(void) {
//   mallopt(M_ARENA_MAX, 1);
//   mallopt(M_MMAP_THRESHOLD, 32 << 20); // glibc's largest value (HEAP_MAX_SIZE/2 on 64-bit)
//   mallopt(M_TRIM_THRESHOLD, 1 << 30);
// }
import "C"

// libtorch allocates every activation, gradient and workspace with malloc and
// frees it within the step, tens of megabytes per step. With glibc's defaults
// those blocks go back to the kernel and the next step faults them in again,
// page by page: the Go trainer's libtorch calls run on a Go thread, whose
// per-thread malloc arena is made of 64 MB heaps that glibc unmaps as soon as
// they are empty, whatever the trim threshold (PyTorch's calls run on the
// process's main thread and do not pay this; figures in docs/trainer.md,
// "Speed"). The constructor above makes every thread use the main arena and
// fixes its thresholds, so that the memory of one step serves the next;
// memory beyond 1 GB of free heap is still returned.
