package router

import (
	"math"
	"slices"
	"testing"
)

// Cities used across the router's tests (degrees).
var (
	london    = [2]float64{51.5074, -0.1278}
	paris     = [2]float64{48.8566, 2.3522}
	frankfurt = [2]float64{50.1109, 8.6821}
	newYork   = [2]float64{40.7128, -74.0060}
	losAng    = [2]float64{34.0522, -118.2437}
	sydney    = [2]float64{-33.8688, 151.2093}
	tokyo     = [2]float64{35.6762, 139.6503}
)

func TestDistanceKnownCityPairs(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b [2]float64
		km   float64
	}{
		{"London–New York", london, newYork, 5570},
		{"London–Paris", london, paris, 344},
		{"New York–Los Angeles", newYork, losAng, 3936},
		{"Sydney–Tokyo", sydney, tokyo, 7826},
		{"pole to pole", [2]float64{90, 0}, [2]float64{-90, 0}, math.Pi * earthRadiusKm},
		{"antipodes on the equator", [2]float64{0, 0}, [2]float64{0, 180}, math.Pi * earthRadiusKm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Distance(tc.a[0], tc.a[1], tc.b[0], tc.b[1])
			if math.Abs(got-tc.km) > tc.km/100 {
				t.Errorf("Distance = %.0f km, want %.0f km ±1%%", got, tc.km)
			}
			if back := Distance(tc.b[0], tc.b[1], tc.a[0], tc.a[1]); math.Abs(back-got) > 1e-6 {
				t.Errorf("Distance is not symmetric: %.3f and %.3f", got, back)
			}
		})
	}
	if d := Distance(paris[0], paris[1], paris[0], paris[1]); d != 0 {
		t.Errorf("Distance from a point to itself = %v, want 0", d)
	}
}

// located returns an edge at city, healthy, with no load.
func located(id, pop string, city [2]float64) Edge {
	return Edge{ID: id, POP: pop, Lat: city[0], Lon: city[1], Located: true, Healthy: true}
}

func with(e Edge, f func(*Edge)) Edge { f(&e); return e }

func ids(es []*Edge) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func TestRank(t *testing.T) {
	lon := located("lon", "lhr", london)
	fra := located("fra", "fra", frankfurt)
	nyc := located("nyc", "jfk", newYork)
	inParis := Client{Lat: paris[0], Lon: paris[1], Located: true}
	unhealthy := func(e *Edge) { e.Healthy = false }
	for _, tc := range []struct {
		name  string
		edges []Edge
		c     Client
		max   int
		want  []string
	}{
		{"nearest first", []Edge{nyc, fra, lon}, inParis, 0,
			[]string{"lon", "fra", "nyc"}},
		{"nearest from New York", []Edge{lon, fra, nyc}, Client{Lat: newYork[0], Lon: newYork[1], Located: true}, 0,
			[]string{"nyc", "lon", "fra"}},
		{"coverage zone POP beats distance", []Edge{lon, fra, nyc}, with1(inParis, "jfk"), 0,
			[]string{"nyc", "lon", "fra"}},
		{"a POP with no edge changes nothing", []Edge{lon, fra, nyc}, with1(inParis, "sin"), 0,
			[]string{"lon", "fra", "nyc"}},
		{"an edge at capacity goes last but is listed",
			[]Edge{with(lon, func(e *Edge) { e.Load, e.Capacity = 100, 100 }), fra, nyc}, inParis, 0,
			[]string{"fra", "nyc", "lon"}},
		{"an edge past capacity goes after the POP's other edges",
			[]Edge{with(nyc, func(e *Edge) { e.Load, e.Capacity = 150, 100 }), lon, fra}, with1(inParis, "jfk"), 0,
			[]string{"lon", "fra", "nyc"}},
		{"under capacity is not overloaded",
			[]Edge{with(lon, func(e *Edge) { e.Load, e.Capacity = 99, 100 }), fra, nyc}, inParis, 0,
			[]string{"lon", "fra", "nyc"}},
		{"no capacity means no limit",
			[]Edge{with(lon, func(e *Edge) { e.Load = 1e9 }), fra, nyc}, inParis, 0,
			[]string{"lon", "fra", "nyc"}},
		{"unhealthy edges are left out", []Edge{with(lon, unhealthy), fra, nyc}, inParis, 0,
			[]string{"fra", "nyc"}},
		{"all unhealthy: all of them, ranked",
			[]Edge{with(nyc, unhealthy), with(lon, unhealthy), with(fra, unhealthy)}, inParis, 0,
			[]string{"lon", "fra", "nyc"}},
		{"unlocated edges after located ones",
			[]Edge{{ID: "aaa", Healthy: true}, nyc, lon}, inParis, 0,
			[]string{"lon", "nyc", "aaa"}},
		{"unplaced client: load ratio, then id",
			[]Edge{with(lon, func(e *Edge) { e.Load, e.Capacity = 50, 100 }),
				with(fra, func(e *Edge) { e.Load, e.Capacity = 10, 100 }),
				with(nyc, func(e *Edge) { e.Load, e.Capacity = 10, 100 })}, Client{}, 0,
			[]string{"fra", "nyc", "lon"}},
		{"same place: the lower load ratio wins",
			[]Edge{located("a", "", paris), with(located("b", "", paris), func(e *Edge) { e.Load, e.Capacity = 3, 10 }),
				with(located("c", "", paris), func(e *Edge) { e.Load, e.Capacity = 50, 1000 })}, inParis, 0,
			[]string{"a", "c", "b"}},
		{"within a kilometre is a tie broken by load",
			[]Edge{with(located("near", "", paris), func(e *Edge) { e.Load = 5 }),
				located("farther", "", [2]float64{paris[0] + 0.005, paris[1]})}, inParis, 0,
			[]string{"farther", "near"}},
		{"equal in everything: by id", []Edge{located("b", "", paris), located("c", "", paris), located("a", "", paris)},
			inParis, 0, []string{"a", "b", "c"}},
		{"max", []Edge{nyc, fra, lon}, inParis, 2, []string{"lon", "fra"}},
		{"max larger than the set", []Edge{nyc, lon}, inParis, 5, []string{"lon", "nyc"}},
		{"no edges", nil, inParis, 3, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.edges)
			got := ids(Rank(nil, tc.edges, tc.c, tc.max))
			if !slices.Equal(got, tc.want) {
				t.Errorf("Rank = %v, want %v", got, tc.want)
			}
			for i := range before {
				if before[i].ID != tc.edges[i].ID {
					t.Fatalf("Rank reordered its input: %v", tc.edges)
				}
			}
		})
	}
}

// with1 puts the client in a coverage zone's POP.
func with1(c Client, pop string) Client { c.POP = pop; return c }

func TestRankReusesDst(t *testing.T) {
	edges := []Edge{located("lon", "", london), located("fra", "", frankfurt)}
	dst := make([]*Edge, 0, 8)
	got := Rank(dst, edges, Client{Lat: paris[0], Lon: paris[1], Located: true}, 0)
	if &got[:1][0] != &dst[:1][0] {
		t.Error("Rank did not reuse dst's array")
	}
	if got[0] != &edges[0] {
		t.Error("Rank should point into edges, not copy them")
	}
}
