package edge

import (
	"encoding/json"
	"sync"

	"github.com/pharos-cdn/pharos/internal/model"
	"github.com/pharos-cdn/pharos/internal/origin"
)

// originPool keeps one client (and its connection pool) per distinct origin
// configuration across table compiles.
type originPool struct {
	mu      sync.Mutex
	clients map[string]*origin.Client
	used    map[string]bool
}

func newOriginPool() *originPool {
	return &originPool{clients: map[string]*origin.Client{}}
}

func (p *originPool) begin() {
	p.mu.Lock()
	p.used = map[string]bool{}
	p.mu.Unlock()
}

func (p *originPool) get(o model.Origin) *origin.Client {
	k, _ := json.Marshal(o)
	key := string(k)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.used[key] = true
	if c := p.clients[key]; c != nil {
		return c
	}
	c := origin.New(o)
	p.clients[key] = c
	return c
}

// end closes the clients the newest table no longer uses.
func (p *originPool) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, c := range p.clients {
		if !p.used[k] {
			c.Close()
			delete(p.clients, k)
		}
	}
}
