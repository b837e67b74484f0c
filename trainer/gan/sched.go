package gan

import "runtime"

// OneGoProcessor sets GOMAXPROCS to 1 and returns the function that restores
// the previous value; the trainer calls it around a CPU training epoch. While
// libtorch's OpenMP threads keep every core busy, a second Go processor only
// lets the Go runtime wake threads of its own (garbage collection, timers,
// idle processors looking for work) that preempt them, and a parallel region
// waits for its slowest thread: on 2 cores, BenchmarkStep ran at 124-160
// img/s with GOMAXPROCS=2 and 147-197 with 1 (six alternating runs each,
// medians 135 and 164). The data loader's goroutines still run, on the one
// processor, while the training goroutine waits in libtorch.
func OneGoProcessor() (restore func()) {
	prev := runtime.GOMAXPROCS(1)
	return func() { runtime.GOMAXPROCS(prev) }
}
