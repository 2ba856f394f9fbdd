package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"
)

// placement checks an edge's --lat, --lon and --public-addr: coordinates
// count only when given (so 0,0 is a place, not "unset"), and every public
// address must be an IP address.
func placement(cmd *cobra.Command, lat, lon *float64, located *bool, publicAddr string, addrs *[]string) error {
	f := cmd.Flags()
	if f.Changed("lat") != f.Changed("lon") {
		return fmt.Errorf("give both --lat and --lon, or neither")
	}
	if f.Changed("lat") {
		if *lat < -90 || *lat > 90 {
			return fmt.Errorf("--lat %v: must be between -90 and 90", *lat)
		}
		if *lon < -180 || *lon > 180 {
			return fmt.Errorf("--lon %v: must be between -180 and 180", *lon)
		}
		*located = true
	}
	if publicAddr == "" {
		return nil
	}
	for _, s := range strings.Split(publicAddr, ",") {
		s = strings.TrimSpace(s)
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("--public-addr %q: not an IP address", s)
		}
		*addrs = append(*addrs, ip.String())
	}
	return nil
}
