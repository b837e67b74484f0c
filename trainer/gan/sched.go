package gan

import (
	"fmt"
	"runtime"
	"sync"
)

// OneGoProcessor sets GOMAXPROCS to 1 and returns the function that restores
// the previous value; the trainer calls it around a CPU training epoch, so
// that the Go runtime's own work (garbage collection, the data loader's
// goroutines) takes at most one core from libtorch's OpenMP threads, whose
// parallel regions wait for the slowest of them. The data loader still runs
// while the training goroutine waits in libtorch. With every libtorch call
// on the torch thread (OnTorchThread) the effect is small (measurements in
// docs/trainer.md, "Speed").
func OneGoProcessor() (restore func()) {
	prev := runtime.GOMAXPROCS(1)
	return func() { runtime.GOMAXPROCS(prev) }
}

// The torch thread: one OS thread, for the life of the process, that makes
// every libtorch call.
//
// libtorch parallelises with OpenMP (GNU libgomp), and libgomp gives every
// OS thread that opens a parallel region a pool of worker threads of its own,
// kept until that thread exits. A goroutine moves between OS threads whenever
// it blocks (a channel receive from the data loader is enough), and even a
// goroutine locked with runtime.LockOSThread is a new goroutine, on another
// thread, in the next benchmark run or the next Runner. Each move leaves one
// more pool behind. Once libgomp manages more threads than there are CPUs it
// stops spin-waiting at its barriers (100 spins instead of 300,000 when
// OMP_WAIT_POLICY is unset) and puts its threads to sleep on a futex
// instead, and training slows down markedly (docs/trainer.md, "Speed"). A
// single pool, as in a Python process that calls libtorch from its one
// thread, never sleeps.
var torch struct {
	once  sync.Once
	calls chan func()
}

// OnTorchThread runs fn on the torch thread and returns when it is done.
// Calls from several goroutines are served one after the other; fn must not
// call OnTorchThread itself. A panic in fn is raised again in the caller, and
// so is runtime.Goexit (a test's t.Fatal inside fn ends the test as usual;
// the torch thread is then replaced).
func OnTorchThread(fn func()) {
	torch.once.Do(func() {
		torch.calls = make(chan func())
		go serveTorch()
	})
	type outcome struct {
		panicked any
		exited   bool
	}
	done := make(chan outcome, 1)
	torch.calls <- func() {
		returned := false
		defer func() {
			p := recover()
			if p == nil && !returned { // runtime.Goexit: this goroutine and its thread end
				go serveTorch()
			}
			done <- outcome{p, p == nil && !returned}
		}()
		fn()
		returned = true
	}
	switch o := <-done; {
	case o.panicked != nil:
		panic(fmt.Sprintf("on the torch thread: %v", o.panicked))
	case o.exited:
		runtime.Goexit()
	}
}

func serveTorch() {
	runtime.LockOSThread() // never unlocked: the thread and its OpenMP pool live as long as the process
	for call := range torch.calls {
		call()
	}
}
