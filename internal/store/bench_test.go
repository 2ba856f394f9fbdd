package store

import (
	"context"
	"fmt"
	"io"
	"testing"
)

// BenchmarkGetHit looks up stored keys from all Ps at once: the hit path
// must take no exclusive lock and allocate nothing.
func BenchmarkGetHit(b *testing.B) {
	const n = 4096
	m := NewMemory(1<<30, 0)
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "https://example.com/assets/%08d.js", i)
		m.Put(string(keys[i]), object(1024))
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if m.Get(keys[i%n]) == nil {
				b.Error("miss")
				return
			}
			i += 7
		}
	})
}

// BenchmarkPut inserts new keys into a full store, so each Put also evicts.
func BenchmarkPut(b *testing.B) {
	const n = 1 << 16
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("https://example.com/assets/%08d.js", i)
	}
	body := CompleteBody(make([]byte, 1024))
	m := NewMemory(int64(n/4)*cost(keys[0], 1024, 0), 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.Put(keys[i%n], NewObjectWithBody(nil, 0, body)) // sharing one complete body
	}
}

// BenchmarkBodyRead reads a complete 1 MiB body of 64 KiB chunks from the
// start, as each hit on a stored object does.
func BenchmarkBodyRead(b *testing.B) {
	const chunk, chunks = 64 << 10, 16
	body := NewBody()
	p := make([]byte, chunk)
	for range chunks {
		body.Write(p)
	}
	body.Close(nil)
	ctx := context.Background()
	b.SetBytes(chunk * chunks)
	b.ReportAllocs()
	for b.Loop() {
		r, err := body.NewReader()
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			p, err := r.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += len(p)
		}
		r.Close()
		if n != chunk*chunks {
			b.Fatalf("read %d bytes", n)
		}
	}
}

// BenchmarkBodyStream has one writer and four readers following it, the
// request-collapsing case: readers park in Next and wake on each Write.
func BenchmarkBodyStream(b *testing.B) {
	const chunk, chunks, readers = 16 << 10, 64, 4
	p := make([]byte, chunk)
	ctx := context.Background()
	b.SetBytes(chunk * chunks)
	b.ReportAllocs()
	for b.Loop() {
		body := NewBody()
		done := make(chan int, readers)
		for range readers {
			r, _ := body.NewReader()
			go func() {
				defer r.Close()
				n := 0
				for {
					p, err := r.Next(ctx)
					if err != nil {
						done <- n
						return
					}
					n += len(p)
				}
			}()
		}
		for range chunks {
			body.Write(p)
		}
		body.Close(nil)
		for range readers {
			if n := <-done; n != chunk*chunks {
				b.Fatalf("reader got %d bytes", n)
			}
		}
	}
}
