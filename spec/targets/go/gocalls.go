// gocalls: Go calls for go_spec. Worker goroutines call Add, (*Counter).Bump,
// Greet and Nine, and a recursion (Deep) whose 512-byte frames make each
// goroutine's stack grow from 8 KB and move several times. Every figure the
// spec checks is printed here: the calls made, the values returned, and
// each worker's goroutine id (from runtime.Stack, "goroutine N [running]").
//
// `gocalls hop DEPTH` moves one goroutine to another thread in the middle
// of a recursion (Hop): with one P, it blocks in read(2) at the bottom;
// the runtime hands the P to another thread, which runs the writer, and
// the goroutine, back from read, must wait for that thread: the returns
// of every Hop frame run on a thread other than their calls.
//
//   gocalls [WORKERS [ADDS [DEPTH]]]    defaults 4 1000 1000
//   gocalls hop [DEPTH]                 default 10
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

type Counter struct{ n int }

//go:noinline
func Add(a, b int) int { return a + b }

//go:noinline
func (c *Counter) Bump(k int) int {
	c.n += k
	return c.n
}

//go:noinline
func Greet(s string, times int) int { return len(s) * times }

//go:noinline
func Nine(a, b, c, d, e, f, g, h, i int) int {
	return a + 2*b + 3*c + 4*d + 5*e + 6*f + 7*g + 8*h + 9*i
}

// Deep(n) returns n: each level adds one to what the level below returned.
// Its frames (over 512 bytes) make the stack grow and move: the runtime
// copies it to a block twice the size, 8 KB to 1 MB for DEPTH 1000.
//
//go:noinline
func Deep(n int) int {
	var pad [64]int
	pad[n%64] = n
	if n == 0 {
		return pad[0]
	}
	if n%100 == 0 {
		runtime.Gosched() // another thread may take the goroutine on
	}
	return Deep(n-1) + 1 + pad[(n+1)%64]*0
}

// Huge(n) returns n; its frame (over 8 KB) takes the huge form of the
// stack check, and every level outgrows the stack it starts on.
//
//go:noinline
func Huge(n int) int {
	var pad [1100]int
	pad[n%1100] = n
	if n == 0 {
		return pad[0]
	}
	return Huge(n-1) + 1 + pad[(n+1)%1100]*0
}

var (
	pipe            [2]int
	inRead, resumed atomic.Bool
	tidBefore       int
	tidAfter        int
)

// Hop(n) returns n, from the thread the goroutine ends on.
//
//go:noinline
func Hop(n int) int {
	if n == 0 {
		tidBefore = syscall.Gettid()
		inRead.Store(true)
		var b [1]byte
		syscall.Read(pipe[0], b[:]) // a blocking fd: the thread waits in the kernel
		tidAfter = syscall.Gettid()
		resumed.Store(true)
		return 0
	}
	return Hop(n-1) + 1
}

func hop(depth int) {
	runtime.GOMAXPROCS(1)
	if err := syscall.Pipe(pipe[:]); err != nil {
		panic(err)
	}
	done := make(chan int)
	go func() { done <- Hop(depth) }()
	go func() { // runs once the reader's thread has given up the P
		// On the reader's own thread it got the P by preempting the
		// reader before its read: let the reader block first.
		for !inRead.Load() || syscall.Gettid() == tidBefore {
			runtime.Gosched()
		}
		// A raw write: with syscall.Write this thread would give up the
		// P for the call, and the reader's thread could take it back.
		one := []byte{1}
		syscall.RawSyscall(syscall.SYS_WRITE, uintptr(pipe[1]), uintptr(unsafe.Pointer(&one[0])), 1)
		for !resumed.Load() { // keep the P: the reader goes to another thread
			runtime.Gosched()
		}
	}()
	h := <-done
	fmt.Printf("hop %d tid %d -> %d\n", h, tidBefore, tidAfter)
}

func goid() int64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	id, _ := strconv.ParseInt(string(buf[:bytes.IndexByte(buf, ' ')]), 10, 64)
	return id
}

func arg(i int, def int) int {
	if len(os.Args) > i {
		if v, err := strconv.Atoi(os.Args[i]); err == nil {
			return v
		}
	}
	return def
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "hop" {
		hop(arg(2, 10))
		return
	}
	workers, adds, depth := arg(1, 4), arg(2, 1000), arg(3, 1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	c := &Counter{}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			sum := 0
			for i := 0; i < adds; i++ {
				sum = Add(sum, i)
				if i%100 == 99 {
					runtime.Gosched() // let the goroutines change threads
				}
			}
			d := Deep(depth)
			mu.Lock()
			b := c.Bump(w + 1)
			fmt.Printf("worker %d goroutine %d sum %d deep %d bump %d\n", w, goid(), sum, d, b)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	h := Huge(3)
	g := Greet("gopher", 7)
	n := Nine(1, 2, 3, 4, 5, 6, 7, 8, 9)
	fmt.Printf("main goroutine %d greet %d nine %d adds %d deeps %d huge %d\n", goid(), g, n, workers*adds, workers*(depth+1), h)
}
