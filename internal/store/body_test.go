package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// waitLimit bounds every wait for something that should happen; a test that
// hits it has found a reader that never wakes.
const waitLimit = 5 * time.Second

// blockedFor is how long a call must stay blocked to count as blocked.
const blockedFor = 30 * time.Millisecond

// readAll follows r to its end and returns the bytes and the final error
// (io.EOF for a clean end, context.DeadlineExceeded for a reader stuck for
// waitLimit). It may run on any goroutine.
func readAll(r *Reader) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	var out []byte
	for {
		p, err := r.Next(ctx)
		if err != nil {
			return out, err
		}
		out = append(out, p...)
	}
}

func newReader(t *testing.T, b *Body) *Reader {
	t.Helper()
	r, err := b.NewReader()
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	t.Cleanup(r.Close)
	return r
}

func write(t *testing.T, b *Body, s string) {
	t.Helper()
	if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
		t.Fatalf("Write(%q) = %d, %v", s, n, err)
	}
}

func TestReaderSeesBytesWrittenBeforeAndAfterStart(t *testing.T) {
	tests := []struct {
		name          string
		before, after []string
	}{
		{"empty", nil, nil},
		{"all before", []string{"ab", "cd", "e"}, nil},
		{"all after", nil, []string{"ab", "cd", "e"}},
		{"both", []string{"hello, "}, []string{"wor", "ld"}},
		{"empty writes ignored", []string{"", "x", ""}, []string{"", "y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBody()
			var want string
			for _, s := range tt.before {
				write(t, b, s)
				want += s
			}
			r := newReader(t, b)
			done := make(chan struct{})
			var got []byte
			var err error
			go func() {
				defer close(done)
				got, err = readAll(r)
			}()
			for _, s := range tt.after {
				write(t, b, s)
				want += s
			}
			b.Close(nil)
			<-done
			if err != io.EOF {
				t.Fatalf("final error = %v, want io.EOF", err)
			}
			if string(got) != want {
				t.Fatalf("read %q, want %q", got, want)
			}
			if size, complete, cerr := b.State(); size != int64(len(want)) || !complete || cerr != nil {
				t.Fatalf("State() = %d, %v, %v; want %d, true, nil", size, complete, cerr, len(want))
			}
			// A reader opened after the end still gets everything.
			late, err := readAll(newReader(t, b))
			if err != io.EOF || string(late) != want {
				t.Fatalf("late reader got %q, %v; want %q, EOF", late, err, want)
			}
		})
	}
}

func TestWriteCopies(t *testing.T) {
	b := NewBody()
	p := []byte("abc")
	write(t, b, string(p))
	b.Write(p)
	p[0] = 'X'
	b.Close(nil)
	got, _ := readAll(newReader(t, b))
	if string(got) != "abcabc" {
		t.Fatalf("read %q, want %q: Write kept the caller's buffer", got, "abcabc")
	}
}

func TestCompleteBody(t *testing.T) {
	for _, s := range []string{"", "x", "some bytes"} {
		b := CompleteBody([]byte(s))
		size, done, err := b.State()
		if size != int64(len(s)) || !done || err != nil {
			t.Fatalf("CompleteBody(%q).State() = %d, %v, %v", s, size, done, err)
		}
		got, err := readAll(newReader(t, b))
		if err != io.EOF || string(got) != s {
			t.Fatalf("CompleteBody(%q) read %q, %v", s, got, err)
		}
	}
}

// TestNextWakes checks that a reader parked in Next, with nothing left to
// read, wakes for each thing the writer can do.
func TestNextWakes(t *testing.T) {
	errCut := errors.New("origin went away")
	tests := []struct {
		name    string
		act     func(b *Body)
		want    string
		wantErr error
	}{
		{"write", func(b *Body) { b.Write([]byte("late")) }, "late", nil},
		{"close", func(b *Body) { b.Close(nil) }, "", io.EOF},
		{"close with error", func(b *Body) { b.Close(errCut) }, "", errCut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBody()
			write(t, b, "early")
			r := newReader(t, b)
			if p, err := r.Next(context.Background()); string(p) != "early" || err != nil {
				t.Fatalf("first Next = %q, %v", p, err)
			}
			type result struct {
				p   []byte
				err error
			}
			res := make(chan result, 1)
			go func() {
				p, err := r.Next(context.Background())
				res <- result{p, err}
			}()
			select {
			case got := <-res:
				t.Fatalf("Next returned %q, %v before the writer did anything", got.p, got.err)
			case <-time.After(blockedFor):
			}
			tt.act(b)
			select {
			case got := <-res:
				if string(got.p) != tt.want || got.err != tt.wantErr {
					t.Fatalf("Next = %q, %v; want %q, %v", got.p, got.err, tt.want, tt.wantErr)
				}
			case <-time.After(waitLimit):
				t.Fatalf("Next still blocked %v after %s", waitLimit, tt.name)
			}
		})
	}
}

func TestCloseErrorComesAfterBytes(t *testing.T) {
	errCut := errors.New("truncated")
	tests := []struct {
		name    string
		err     error
		wantErr error
	}{
		{"clean", nil, io.EOF},
		{"truncated", errCut, errCut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBody()
			early := newReader(t, b)
			write(t, b, "abc")
			write(t, b, "def")
			b.Close(tt.err)
			b.Close(errors.New("second close must not count"))
			for name, r := range map[string]*Reader{"early": early, "late": newReader(t, b)} {
				got, err := readAll(r)
				if string(got) != "abcdef" || err != tt.wantErr {
					t.Fatalf("%s reader: %q, %v; want %q, %v", name, got, err, "abcdef", tt.wantErr)
				}
				// The end is sticky.
				if p, err := r.Next(context.Background()); p != nil || err != tt.wantErr {
					t.Fatalf("%s reader: Next after end = %q, %v; want nil, %v", name, p, err, tt.wantErr)
				}
			}
			if _, done, err := b.State(); !done || err != tt.err {
				t.Fatalf("State() = done %v, err %v; want true, %v", done, err, tt.err)
			}
		})
	}
}

func TestNextHonoursContext(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		cancel  bool // cancel while Next waits
		wantErr error
	}{
		{"cancel while waiting", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, true, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), blockedFor)
		}, false, context.DeadlineExceeded},
		{"already cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, false, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBody()
			r := newReader(t, b)
			ctx, cancel := tt.ctx()
			defer cancel()
			res := make(chan error, 1)
			go func() {
				_, err := r.Next(ctx)
				res <- err
			}()
			if tt.cancel {
				select {
				case err := <-res:
					t.Fatalf("Next returned %v before cancel", err)
				case <-time.After(blockedFor):
				}
				cancel()
			}
			select {
			case err := <-res:
				if err != tt.wantErr {
					t.Fatalf("Next = %v, want %v", err, tt.wantErr)
				}
			case <-time.After(waitLimit):
				t.Fatal("Next ignored its context")
			}
			// The reader stays usable with a live context.
			write(t, b, "after")
			b.Close(nil)
			if got, err := readAll(r); string(got) != "after" || err != io.EOF {
				t.Fatalf("after cancel read %q, %v", got, err)
			}
		})
	}
}

func TestDetach(t *testing.T) {
	b := NewBody()
	r := newReader(t, b)
	write(t, b, "first ")
	b.Detach()
	if nr, err := b.NewReader(); err != ErrDetached || nr != nil {
		t.Fatalf("NewReader after Detach = %v, %v; want nil, ErrDetached", nr, err)
	}
	write(t, b, "second ")
	done := make(chan struct{})
	var got []byte
	var err error
	go func() {
		defer close(done)
		got, err = readAll(r)
	}()
	write(t, b, "third")
	b.Close(nil)
	<-done
	if string(got) != "first second third" || err != io.EOF {
		t.Fatalf("reader opened before Detach read %q, %v", got, err)
	}
	if _, ok := b.Chunks(nil); ok {
		t.Fatal("Chunks of a detached body reported ok")
	}
	if b.Size() != int64(len("first second third")) {
		t.Fatalf("Size = %d", b.Size())
	}
}

func TestChunks(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		close  bool
		err    error
		wantOK bool
	}{
		{"open", []string{"a", "b"}, false, nil, false},
		{"open empty", nil, false, nil, false},
		{"complete", []string{"a", "bc", "def"}, true, nil, true},
		{"complete empty", nil, true, nil, true},
		{"truncated", []string{"a"}, true, errors.New("cut"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBody()
			for _, s := range tt.writes {
				write(t, b, s)
			}
			if tt.close {
				b.Close(tt.err)
			}
			prefix := []byte("kept")
			dst := [][]byte{prefix}
			got, ok := b.Chunks(dst)
			if ok != tt.wantOK {
				t.Fatalf("Chunks ok = %v, want %v", ok, tt.wantOK)
			}
			if !ok {
				if len(got) != 1 {
					t.Fatalf("Chunks returned %d pieces when not ok", len(got))
				}
				return
			}
			if len(got) != 1+len(tt.writes) || !bytes.Equal(got[0], prefix) {
				t.Fatalf("Chunks = %q; want the prefix then %q", got, tt.writes)
			}
			for i, s := range tt.writes {
				if string(got[i+1]) != s {
					t.Fatalf("chunk %d = %q, want %q", i, got[i+1], s)
				}
			}
		})
	}
}

func TestReadersCount(t *testing.T) {
	b := NewBody()
	r1, _ := b.NewReader()
	r2, _ := b.NewReader()
	if n := b.Readers(); n != 2 {
		t.Fatalf("Readers = %d, want 2", n)
	}
	r1.Close()
	r1.Close() // idempotent
	if n := b.Readers(); n != 1 {
		t.Fatalf("Readers after one Close (twice) = %d, want 1", n)
	}
	r2.Close()
	if n := b.Readers(); n != 0 {
		t.Fatalf("Readers = %d, want 0", n)
	}
}

// TestConcurrentReaders has one writer and many readers, joining before,
// during and after the writing, and checks they all see the same bytes.
func TestConcurrentReaders(t *testing.T) {
	const readers = 32
	total := 1 << 20
	if raceEnabled || testing.Short() {
		total = 1 << 17
	}
	rng := rand.New(rand.NewPCG(7, 7))
	src := make([]byte, total)
	for i := range src {
		src[i] = byte(rng.Uint32())
	}
	b := NewBody()
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	start := func(i int) {
		r, err := b.NewReader()
		if err != nil {
			errs <- err
			return
		}
		wg.Go(func() {
			defer r.Close()
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			var got []byte
			for {
				p, err := r.Next(ctx)
				if err == io.EOF {
					break
				}
				if err != nil {
					errs <- fmt.Errorf("reader %d: %v after %d bytes", i, err, len(got))
					return
				}
				got = append(got, p...)
				if i%4 == 0 && rand.N(8) == 0 { // some slow readers
					time.Sleep(time.Microsecond)
				}
			}
			if !bytes.Equal(got, src) {
				errs <- fmt.Errorf("reader %d: read %d bytes differing from the %d written", i, len(got), len(src))
			}
		})
	}
	next := 0
	for off := 0; off < len(src); {
		if next < readers && off >= next*len(src)/readers {
			start(next)
			next++
		}
		n := 1 + int(rng.Uint32()%8192)
		if off+n > len(src) {
			n = len(src) - off
		}
		b.Write(src[off : off+n])
		off += n
	}
	b.Close(nil)
	for ; next < readers; next++ {
		start(next)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := b.Readers(); n != 0 {
		t.Fatalf("Readers after all closed = %d", n)
	}
}
