package gan

import (
	"strings"
	"syscall"
	"testing"
)

func torchThreadID() (tid int) {
	OnTorchThread(func() { tid = syscall.Gettid() })
	return tid
}

// TestOnTorchThread: every call runs on the same OS thread, whichever
// goroutine makes it; a panic reaches the caller; runtime.Goexit (here
// t.SkipNow) ends the caller's test and a new torch thread takes over.
func TestOnTorchThread(t *testing.T) {
	first := torchThreadID()
	done := make(chan int)
	for range 4 {
		go func() { done <- torchThreadID() }()
	}
	for range 4 {
		if tid := <-done; tid != first {
			t.Fatalf("a call from another goroutine ran on thread %d, the torch thread is %d", tid, first)
		}
	}

	func() {
		defer func() {
			p := recover()
			if p == nil || !strings.Contains(p.(string), "boom") {
				t.Errorf("recovered %v, want the panic of fn", p)
			}
		}()
		OnTorchThread(func() { panic("boom") })
	}()
	if tid := torchThreadID(); tid != first {
		t.Errorf("after a panic: thread %d, want %d", tid, first)
	}

	t.Run("skip inside", func(t *testing.T) {
		OnTorchThread(func() { t.SkipNow() })
		t.Error("OnTorchThread returned after runtime.Goexit")
	})
	if tid := torchThreadID(); tid == first || tid == 0 {
		t.Errorf("after runtime.Goexit: thread %d, want a new torch thread (the old one was %d)", tid, first)
	}
}
