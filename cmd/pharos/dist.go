package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pharos-cdn/pharos/internal/apiclient"
	"github.com/pharos-cdn/pharos/internal/model"
)

// distribution is the API's JSON for one distribution.
type distribution struct {
	model.Distribution
	ETag   string `json:"etag"`
	Status string `json:"status"`
}

func newDistCommand() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "dist", Short: "Create, list, show, change and delete distributions"}
	cf.register(cmd)
	cmd.AddCommand(newDistCreate(&cf), newDistList(&cf), newDistGet(&cf), newDistUpdate(&cf), newDistDelete(&cf))
	return cmd
}

// distEdit holds the flags that shape a distribution on create and update.
type distEdit struct {
	origin                     string
	aliases                    []string
	minTTL, defaultTTL, maxTTL int64
	comment                    string
	wait                       bool
	timeout                    time.Duration
}

func (e *distEdit) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&e.origin, "origin", "", "origin URL, e.g. http://127.0.0.1:3000 or https://example.com/prefix")
	f.StringSliceVar(&e.aliases, "alias", nil, "alternate domain name (repeatable; replaces the list on update)")
	f.Int64Var(&e.minTTL, "min-ttl", 0, "minimum TTL in seconds")
	f.Int64Var(&e.defaultTTL, "default-ttl", 86400, "TTL in seconds when the origin gives none")
	f.Int64Var(&e.maxTTL, "max-ttl", 31536000, "maximum TTL in seconds")
	f.StringVar(&e.comment, "comment", "", "a comment")
	f.BoolVar(&e.wait, "wait", false, "wait until the change is Deployed on every live edge")
	f.DurationVar(&e.timeout, "timeout", 2*time.Minute, "how long --wait waits")
}

// apply writes the flags the user gave onto d.
func (e *distEdit) apply(cmd *cobra.Command, d *model.Distribution) error {
	f := cmd.Flags()
	if f.Changed("origin") {
		o, err := model.OriginFromURL(e.origin)
		if err != nil {
			return err
		}
		d.Origins = []model.Origin{o}
		d.DefaultBehavior.TargetOriginID = o.ID
		for i := range d.Behaviors {
			d.Behaviors[i].TargetOriginID = o.ID
		}
	}
	if f.Changed("alias") {
		d.Aliases = e.aliases
	}
	if f.Changed("comment") {
		d.Comment = e.comment
	}
	if f.Changed("min-ttl") || f.Changed("default-ttl") || f.Changed("max-ttl") {
		p := d.DefaultBehavior.CachePolicy
		if p == nil || d.DefaultBehavior.CachePolicyID != "" {
			dp := model.DefaultCachePolicy()
			p = &dp
			d.DefaultBehavior.CachePolicyID = ""
		}
		if f.Changed("min-ttl") {
			p.MinTTL = e.minTTL
		}
		if f.Changed("default-ttl") {
			p.DefaultTTL = e.defaultTTL
		}
		if f.Changed("max-ttl") {
			p.MaxTTL = e.maxTTL
		}
		d.DefaultBehavior.CachePolicy = p
	}
	return nil
}

func newDistCreate(cf *clientFlags) *cobra.Command {
	var e distEdit
	var isDefault bool
	cmd := &cobra.Command{
		Use:   "create --origin URL [--alias HOST]...",
		Short: "Create a distribution",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client(cmd)
			if err != nil {
				return err
			}
			if e.origin == "" {
				return fmt.Errorf("--origin is required")
			}
			d := model.Distribution{Enabled: true, Default: isDefault}
			if err := e.apply(cmd, &d); err != nil {
				return err
			}
			var out distribution
			if _, err := c.Do(cmd.Context(), http.MethodPost, "/v1/distributions", d, &out, ""); err != nil {
				return err
			}
			return cf.finish(cmd, c, out, e.wait, e.timeout)
		},
	}
	e.register(cmd)
	cmd.Flags().BoolVar(&isDefault, "default", false, "answer every Host no other distribution claims")
	return cmd
}

func newDistList(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List distributions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client(cmd)
			if err != nil {
				return err
			}
			var out struct {
				Items []distribution `json:"items"`
			}
			if _, err := c.Do(cmd.Context(), http.MethodGet, "/v1/distributions", nil, &out, ""); err != nil {
				return err
			}
			return cf.print(cmd.OutOrStdout(), out.Items, func(w *tabwriter.Writer) {
				fmt.Fprintln(w, "ID\tDOMAIN\tSTATUS\tENABLED\tORIGIN\tALIASES")
				for _, d := range out.Items {
					fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%s\t%s\n", d.ID, d.DomainName, d.Status, d.Enabled, originOf(d), strings.Join(d.Aliases, ","))
				}
			})
		},
	}
}

func newDistGet(cf *clientFlags) *cobra.Command {
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Show a distribution (--wait: until it is Deployed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client(cmd)
			if err != nil {
				return err
			}
			out, err := getDistribution(cmd, c, args[0])
			if err != nil {
				return err
			}
			return cf.finish(cmd, c, out, wait, timeout)
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until it is Deployed on every live edge")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long --wait waits")
	return cmd
}

func newDistUpdate(cf *clientFlags) *cobra.Command {
	var e distEdit
	var enable, disable bool
	cmd := &cobra.Command{
		Use:   "update ID [flags]",
		Short: "Change a distribution",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client(cmd)
			if err != nil {
				return err
			}
			cur, err := getDistribution(cmd, c, args[0])
			if err != nil {
				return err
			}
			d := cur.Distribution
			if err := e.apply(cmd, &d); err != nil {
				return err
			}
			if enable && disable {
				return fmt.Errorf("--enable and --disable together")
			}
			if enable || disable {
				d.Enabled = enable
			}
			var out distribution
			// If-Match: refuse to overwrite a change made since we read it.
			if _, err := c.Do(cmd.Context(), http.MethodPut, "/v1/distributions/"+args[0], d, &out, cur.ETag); err != nil {
				return err
			}
			return cf.finish(cmd, c, out, e.wait, e.timeout)
		},
	}
	e.register(cmd)
	cmd.Flags().BoolVar(&enable, "enable", false, "enable the distribution")
	cmd.Flags().BoolVar(&disable, "disable", false, "disable the distribution")
	return cmd
}

func newDistDelete(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a distribution",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client(cmd)
			if err != nil {
				return err
			}
			cur, err := getDistribution(cmd, c, args[0])
			if err != nil {
				return err
			}
			if _, err := c.Do(cmd.Context(), http.MethodDelete, "/v1/distributions/"+args[0], nil, nil, cur.ETag); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[0])
			return nil
		},
	}
}

// finish waits for Deployed when asked, then prints the distribution.
func (cf *clientFlags) finish(cmd *cobra.Command, c *apiclient.Client, d distribution, wait bool, timeout time.Duration) error {
	if wait {
		ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
		defer cancel()
		for d.Status != "Deployed" {
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", d.ID, d.Status)
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s is still %s after %s", d.ID, d.Status, timeout)
			case <-time.After(200 * time.Millisecond):
			}
			if _, err := c.Do(ctx, http.MethodGet, "/v1/distributions/"+d.ID, nil, &d, ""); err != nil {
				return err
			}
		}
	}
	return cf.print(cmd.OutOrStdout(), d, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "ID\t%s\nDOMAIN\t%s\nSTATUS\t%s\nETAG\t%s\nENABLED\t%v\nORIGIN\t%s\nALIASES\t%s\n",
			d.ID, d.DomainName, d.Status, d.ETag, d.Enabled, originOf(d), strings.Join(d.Aliases, ","))
	})
}

// getDistribution reads one distribution (with its ETag) from the API.
func getDistribution(cmd *cobra.Command, c *apiclient.Client, id string) (distribution, error) {
	var d distribution
	_, err := c.Do(cmd.Context(), http.MethodGet, "/v1/distributions/"+id, nil, &d, "")
	return d, err
}

func originOf(d distribution) string {
	if len(d.Origins) == 0 {
		return ""
	}
	o := d.Origins[0]
	scheme, port := "http", o.HTTPPort
	if o.Protocol == "https-only" {
		scheme, port = "https", o.HTTPSPort
	}
	return fmt.Sprintf("%s://%s:%d%s", scheme, o.DomainName, port, o.OriginPath)
}

func newEdgesCommand() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "edges",
		Short: "List the edges, their health and the configuration revision they applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client(cmd)
			if err != nil {
				return err
			}
			var out struct {
				Items []struct {
					ID           string    `json:"id"`
					POP          string    `json:"pop"`
					HTTP         string    `json:"http"`
					Revision     uint64    `json:"revision"`
					Lag          uint64    `json:"lag"`
					Invalidation uint64    `json:"invalidation"`
					Healthy      bool      `json:"healthy"`
					LastSeen     time.Time `json:"lastSeen"`
					Lat          float64   `json:"lat,omitempty"`
					Lon          float64   `json:"lon,omitempty"`
					Located      bool      `json:"located,omitempty"`
					PublicAddrs  []string  `json:"publicAddrs,omitempty"`
					Load         float64   `json:"load"`
					Capacity     float64   `json:"capacity,omitempty"`
					// Queries: the routers' answers naming this edge
					// first, by client country.
					Queries map[string]uint64 `json:"queries,omitempty"`
				} `json:"items"`
			}
			if _, err := c.Do(cmd.Context(), http.MethodGet, "/v1/edges", nil, &out, ""); err != nil {
				return err
			}
			return cf.print(cmd.OutOrStdout(), out.Items, func(w *tabwriter.Writer) {
				fmt.Fprintln(w, "ID\tPOP\tHTTP\tHEALTHY\tREVISION\tLAG\tINVALIDATION\tLOAD\tANSWERS\tLAST SEEN")
				for _, e := range out.Items {
					load := fmt.Sprintf("%.0f/s", e.Load)
					if e.Capacity > 0 {
						load += fmt.Sprintf(" of %.0f", e.Capacity)
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%d\t%d\t%d\t%s\t%s\t%s ago\n", e.ID, e.POP, e.HTTP, e.Healthy, e.Revision,
						e.Lag, e.Invalidation, load, answersByCountry(e.Queries), time.Since(e.LastSeen).Round(100*time.Millisecond))
				}
			})
		},
	}
	cf.register(cmd)
	return cmd
}

// answersByCountry formats routers' answer counts as "JP:12 US:3", most
// first; "-" when there are none.
func answersByCountry(q map[string]uint64) string {
	if len(q) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if q[keys[i]] != q[keys[j]] {
			return q[keys[i]] > q[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, q[k])
	}
	return strings.Join(parts, " ")
}
