package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// beginMany calls Begin for key from n goroutines at once and returns the
// fills they got and how many led.
func beginMany(m *Memory, key string, n int) (fills []*Fill, leaders []*Fill) {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for range n {
		wg.Go(func() {
			<-start
			f, lead := m.Begin([]byte(key))
			mu.Lock()
			fills = append(fills, f)
			if lead {
				leaders = append(leaders, f)
			}
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return fills, leaders
}

func TestBeginOneLeader(t *testing.T) {
	const n = 64
	m := NewMemory(1<<20, 0)
	fills, leaders := beginMany(m, "k", n)
	if len(leaders) != 1 {
		t.Fatalf("%d concurrent Begin: %d leaders, want 1", n, len(leaders))
	}
	for _, f := range fills {
		if f != leaders[0] {
			t.Fatal("a waiter joined a fill other than the leader's")
		}
	}
	if c := m.Stats().Collapsed.Load(); c != n-1 {
		t.Fatalf("Collapsed = %d, want %d", c, n-1)
	}
	// Another key has its own fill.
	if f, lead := m.Begin([]byte("other")); !lead || f == leaders[0] {
		t.Fatal("Begin for another key did not lead its own fill")
	}
}

// TestFillOutcomes runs a leader and waiters through each way a fill ends.
func TestFillOutcomes(t *testing.T) {
	errOrigin := errors.New("origin: 502")
	obj := object(3)
	tests := []struct {
		name    string
		lead    func(m *Memory, f *Fill)
		wantObj *Object
		wantErr error
	}{
		{"publish object", func(m *Memory, f *Fill) { m.Publish(f, obj, nil); m.Finish(f) }, obj, nil},
		{"publish nil", func(m *Memory, f *Fill) { m.Publish(f, nil, nil); m.Finish(f) }, nil, nil},
		{"publish nil with error", func(m *Memory, f *Fill) { m.Publish(f, nil, errOrigin); m.Finish(f) }, nil, errOrigin},
		{"finish without publish", func(m *Memory, f *Fill) { m.Finish(f) }, nil, nil},
		{"first publish wins", func(m *Memory, f *Fill) {
			m.Publish(f, obj, nil)
			m.Publish(f, nil, errOrigin)
			m.Finish(f)
		}, obj, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const waiters = 16
			m := NewMemory(1<<20, 0)
			leader, lead := m.Begin([]byte("k"))
			if !lead {
				t.Fatal("first Begin did not lead")
			}
			type result struct {
				obj *Object
				err error
			}
			results := make(chan result, waiters)
			joined := make(chan struct{}, waiters)
			for range waiters {
				go func() {
					f, lead := m.Begin([]byte("k"))
					if lead || f != leader {
						results <- result{nil, errors.New("waiter led or joined another fill")}
						return
					}
					joined <- struct{}{}
					ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
					defer cancel()
					o, err := f.Wait(ctx)
					results <- result{o, err}
				}()
			}
			for range waiters {
				select {
				case <-joined:
				case r := <-results:
					t.Fatal(r.err)
				}
			}
			if leader.Published() {
				t.Fatal("Published before the leader did anything")
			}
			select {
			case r := <-results:
				t.Fatalf("a waiter returned %v, %v before the leader published", r.obj, r.err)
			case <-time.After(blockedFor):
			}
			tt.lead(m, leader)
			if !leader.Published() {
				t.Fatal("not Published after Finish")
			}
			for range waiters {
				r := <-results
				if r.obj != tt.wantObj || r.err != tt.wantErr {
					t.Fatalf("waiter got %p, %v; want %p, %v", r.obj, r.err, tt.wantObj, tt.wantErr)
				}
			}
			// The fill is over: the next request leads a new one, and the
			// old fill keeps its outcome.
			f, lead := m.Begin([]byte("k"))
			if !lead || f == leader {
				t.Fatal("Begin after Finish did not lead a new fill")
			}
			if f.Published() {
				t.Fatal("new fill starts published")
			}
			if o, err := leader.Wait(context.Background()); o != tt.wantObj || err != tt.wantErr {
				t.Fatalf("old fill's Wait = %p, %v after the new Begin", o, err)
			}
		})
	}
}

// TestJoinAfterPublish: between Publish and Finish a newcomer joins the fill
// and gets the object at once, without waiting for the body to complete.
func TestJoinAfterPublish(t *testing.T) {
	m := NewMemory(1<<20, 0)
	leader, _ := m.Begin([]byte("k"))
	obj := NewObject("meta", 4) // body still open
	m.Publish(leader, obj, nil)
	f, lead := m.Begin([]byte("k"))
	if lead || f != leader {
		t.Fatal("Begin between Publish and Finish did not join the fill")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if o, err := f.Wait(ctx); o != obj || err != nil {
		t.Fatalf("Wait = %p, %v; want the published object", o, err)
	}
	m.Finish(leader)
	m.Finish(leader) // a second Finish must not end a newer fill
	f2, lead := m.Begin([]byte("k"))
	if !lead {
		t.Fatal("no new leader after Finish")
	}
	m.Finish(leader)
	if f3, lead := m.Begin([]byte("k")); lead || f3 != f2 {
		t.Fatal("Finish of an old fill ended the newer one")
	}
}

func TestWaitHonoursContext(t *testing.T) {
	m := NewMemory(1<<20, 0)
	f, _ := m.Begin([]byte("k"))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		cancel  bool // cancel while Wait waits
		wantErr error
	}{
		{"already cancelled", func() (context.Context, context.CancelFunc) {
			return cancelled, func() {}
		}, false, context.Canceled},
		{"cancel while waiting", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, true, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), blockedFor)
		}, false, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			type result struct {
				obj *Object
				err error
			}
			res := make(chan result, 1)
			go func() {
				o, err := f.Wait(ctx)
				res <- result{o, err}
			}()
			if tt.cancel {
				select {
				case r := <-res:
					t.Fatalf("Wait returned %v, %v with nothing published", r.obj, r.err)
				case <-time.After(blockedFor):
				}
				cancel()
			}
			select {
			case r := <-res:
				if r.obj != nil || r.err != tt.wantErr {
					t.Fatalf("Wait = %v, %v; want nil, %v", r.obj, r.err, tt.wantErr)
				}
			case <-time.After(waitLimit):
				t.Fatal("Wait ignored its context")
			}
		})
	}
	// Giving up does not end the fill for others.
	obj := object(1)
	m.Publish(f, obj, nil)
	if o, err := f.Wait(context.Background()); o != obj || err != nil {
		t.Fatalf("Wait after publish = %p, %v", o, err)
	}
}

// TestCollapseUnderLoad has many goroutines ask for a few keys over and
// over: per round of a key, exactly one leads, and every waiter gets what
// that leader published.
func TestCollapseUnderLoad(t *testing.T) {
	m := NewMemory(1<<20, 0)
	rounds := 200
	if raceEnabled {
		rounds = 50
	}
	keys := []string{"a", "b", "c"}
	for round := range rounds {
		for _, key := range keys {
			fills, leaders := beginMany(m, key, 8)
			if len(leaders) != 1 {
				t.Fatalf("round %d key %s: %d leaders", round, key, len(leaders))
			}
			obj := object(round)
			var wg sync.WaitGroup
			errs := make(chan error, len(fills))
			for _, f := range fills {
				wg.Go(func() {
					if o, _ := f.Wait(context.Background()); o != obj {
						errs <- errors.New("waiter got another object")
					}
				})
			}
			m.Publish(leaders[0], obj, nil)
			m.Finish(leaders[0])
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		}
	}
}
