package router

import (
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics counts the router's answers: per edge and client country (which
// edge was answered first), and per response code. It is a Prometheus
// collector over its own counters, so there is one set of numbers for
// /metrics and for the stats published to the engine.
type metrics struct {
	mu      sync.Mutex
	byEdge  map[string]map[string]uint64 // edge → country → answers
	rcodes  [24]atomic.Uint64
	edges   *Edges
	answerD *prometheus.Desc
	rcodeD  *prometheus.Desc
	healthD *prometheus.Desc
}

func newMetrics(edges *Edges) *metrics {
	return &metrics{
		byEdge: map[string]map[string]uint64{},
		edges:  edges,
		answerD: prometheus.NewDesc("pharos_router_answers_total",
			"DNS and redirect answers, by the edge answered first and the client's country (-- when unknown).",
			[]string{"edge", "country"}, nil),
		rcodeD: prometheus.NewDesc("pharos_router_dns_responses_total",
			"DNS responses by response code.", []string{"rcode"}, nil),
		healthD: prometheus.NewDesc("pharos_router_edge_healthy",
			"1 when the router's probes reach the edge, else 0.", []string{"edge", "pop"}, nil),
	}
}

// unknownCountry stands for a client the GeoIP database does not place.
const unknownCountry = "--"

func (m *metrics) answered(edge, country string) {
	if country == "" {
		country = unknownCountry
	}
	m.mu.Lock()
	c := m.byEdge[edge]
	if c == nil {
		c = map[string]uint64{}
		m.byEdge[edge] = c
	}
	c[country]++
	m.mu.Unlock()
}

func (m *metrics) responses(rcode int) {
	if rcode >= 0 && rcode < len(m.rcodes) {
		m.rcodes[rcode].Add(1)
	}
}

// Answers returns a copy of the answer counts: edge → country → count.
func (m *metrics) Answers() map[string]map[string]uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]map[string]uint64, len(m.byEdge))
	for e, byCountry := range m.byEdge {
		c := make(map[string]uint64, len(byCountry))
		for k, v := range byCountry {
			c[k] = v
		}
		out[e] = c
	}
	return out
}

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.answerD
	ch <- m.rcodeD
	ch <- m.healthD
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	for e, byCountry := range m.Answers() {
		for country, n := range byCountry {
			ch <- prometheus.MustNewConstMetric(m.answerD, prometheus.CounterValue, float64(n), e, country)
		}
	}
	for rc := range m.rcodes {
		if n := m.rcodes[rc].Load(); n > 0 {
			ch <- prometheus.MustNewConstMetric(m.rcodeD, prometheus.CounterValue, float64(n), dns.RcodeToString[rc])
		}
	}
	for _, e := range m.edges.Snapshot() {
		v := 0.0
		if e.Healthy {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(m.healthD, prometheus.GaugeValue, v, e.ID, e.POP)
	}
}

// Answers returns how many answers named each edge first, by country.
func (r *Router) Answers() map[string]map[string]uint64 { return r.metrics.Answers() }

// MetricsHandler serves the router's metrics in Prometheus's format.
func (r *Router) MetricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(r.metrics)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
