package router

import (
	"cmp"
	"math"
	"net/netip"
	"slices"
)

// Edge is an edge as the router sees it.
type Edge struct {
	ID, POP string
	// HTTP is the address the edge serves HTTP on (host:port): probed,
	// and the port used by redirects.
	HTTP string
	// Addrs are the public addresses handed out for this edge.
	Addrs []netip.Addr
	// Lat and Lon place the edge when Located.
	Lat, Lon float64
	Located  bool
	// Load is the request rate the edge reports; Capacity the most it
	// should take (0: no limit). An edge at or past its capacity is used
	// only after every edge that is not.
	Load, Capacity float64
	Healthy        bool
}

// Client is where a query comes from, as far as the router can tell.
type Client struct {
	Addr     netip.Addr
	Country  string
	Lat, Lon float64
	Located  bool
	// POP is the coverage zone's point of presence for the client's
	// network ("" when no zone covers it): its edges come first.
	POP string
}

// overloaded reports whether e is at or past its capacity.
func (e *Edge) overloaded() bool { return e.Capacity > 0 && e.Load >= e.Capacity }

// Rank returns up to max edges for c, best first: healthy edges only (all
// edges when none is healthy: a router that cannot reach any edge may be
// the one cut off, and an answer is better than none); among them those
// under capacity before those over it; then edges of the client's coverage
// zone POP; then the nearest by great-circle distance (edges without a
// location after those with one); then the less loaded; then by id, so
// equal answers are stable. dst is reused for the result.
func Rank(dst []*Edge, edges []Edge, c Client, max int) []*Edge {
	dst = dst[:0]
	for i := range edges {
		if edges[i].Healthy {
			dst = append(dst, &edges[i])
		}
	}
	if len(dst) == 0 {
		for i := range edges {
			dst = append(dst, &edges[i])
		}
	}
	slices.SortFunc(dst, func(a, b *Edge) int { return compareEdges(a, b, c) })
	if max > 0 && len(dst) > max {
		dst = dst[:max]
	}
	return dst
}

func compareEdges(a, b *Edge, c Client) int {
	if x := cmpBool(a.overloaded(), b.overloaded()); x != 0 {
		return x
	}
	if c.POP != "" {
		if x := cmpBool(a.POP != c.POP, b.POP != c.POP); x != 0 {
			return x
		}
	}
	if c.Located {
		if x := cmpBool(!a.Located, !b.Located); x != 0 {
			return x
		}
		if a.Located && b.Located {
			da := Distance(c.Lat, c.Lon, a.Lat, a.Lon)
			db := Distance(c.Lat, c.Lon, b.Lat, b.Lon)
			// Within a kilometre is a tie: let load decide.
			if math.Abs(da-db) >= 1 {
				return cmp.Compare(da, db)
			}
		}
	}
	if x := cmp.Compare(loadRatio(a), loadRatio(b)); x != 0 {
		return x
	}
	return cmp.Compare(a.ID, b.ID)
}

// loadRatio is how full an edge is; without a capacity, its raw load.
func loadRatio(e *Edge) float64 {
	if e.Capacity > 0 {
		return e.Load / e.Capacity
	}
	return e.Load
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// earthRadiusKm is the mean radius of the Earth.
const earthRadiusKm = 6371.0

// Distance is the great-circle distance in kilometres between two points
// given in degrees (haversine formula).
func Distance(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(math.Min(1, h)))
}
