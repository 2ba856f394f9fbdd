package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/pharos-cdn/pharos/internal/apiclient"
	"github.com/pharos-cdn/pharos/internal/model"
)

// applyFile is the declarative form: every distribution the file manages,
// each named by its callerReference.
type applyFile struct {
	Distributions []model.Distribution `json:"distributions"`
}

type applyResult struct {
	Name   string `json:"name"`
	ID     string `json:"id"`
	Action string `json:"action"` // created, updated, unchanged, deleted
	Status string `json:"status,omitempty"`
}

func newApplyCommand() *cobra.Command {
	var cf clientFlags
	var file string
	var prune, wait, dryRun bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Make the distributions match a YAML or JSON file (each named by its callerReference)",
		Example: `  pharos apply -f cdn.yaml --wait
  pharos apply -f cdn.yaml --prune --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client(cmd)
			if err != nil {
				return err
			}
			want, err := readApplyFile(file)
			if err != nil {
				return err
			}
			results, err := applyDistributions(cmd.Context(), c, want, prune, dryRun)
			if err != nil {
				return err
			}
			if wait && !dryRun {
				if err := waitDeployed(cmd, c, results, timeout); err != nil {
					return err
				}
			}
			return cf.print(cmd.OutOrStdout(), results, func(w *tabwriter.Writer) {
				fmt.Fprintln(w, "NAME\tID\tACTION\tSTATUS")
				for _, r := range results {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Name, r.ID, r.Action, r.Status)
				}
			})
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVarP(&file, "file", "f", "", "the file (YAML or JSON) with a distributions: list")
	cmd.Flags().BoolVar(&prune, "prune", false, "delete distributions with a callerReference that the file no longer lists")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would change, change nothing")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until every change is Deployed")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long --wait waits")
	cmd.MarkFlagRequired("file")
	return cmd
}

// readApplyFile reads YAML or JSON (YAML is a superset) strictly: an
// unknown field is an error naming it, and every distribution needs a
// unique callerReference.
func readApplyFile(path string) ([]model.Distribution, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var f applyFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// A distribution is enabled unless the file says otherwise.
	var present struct {
		Distributions []map[string]json.RawMessage `json:"distributions"`
	}
	json.Unmarshal(js, &present)
	for i := range f.Distributions {
		if _, set := present.Distributions[i]["enabled"]; !set {
			f.Distributions[i].Enabled = true
		}
	}
	seen := map[string]bool{}
	for i, d := range f.Distributions {
		if d.CallerReference == "" {
			return nil, fmt.Errorf("%s: distributions[%d].callerReference: required (it names the distribution)", path, i)
		}
		if seen[d.CallerReference] {
			return nil, fmt.Errorf("%s: distributions[%d].callerReference: %q is listed twice", path, i, d.CallerReference)
		}
		seen[d.CallerReference] = true
	}
	return f.Distributions, nil
}

// applyDistributions creates, updates and (with prune) deletes so that the
// API holds want.
func applyDistributions(ctx context.Context, c *apiclient.Client, want []model.Distribution, prune, dryRun bool) ([]applyResult, error) {
	var list struct {
		Items []distribution `json:"items"`
	}
	if _, err := c.Do(ctx, http.MethodGet, "/v1/distributions", nil, &list, ""); err != nil {
		return nil, err
	}
	have := map[string]distribution{}
	for _, d := range list.Items {
		if d.CallerReference != "" {
			have[d.CallerReference] = d
		}
	}
	var results []applyResult
	for _, d := range want {
		name := d.CallerReference
		cur, exists := have[name]
		delete(have, name)
		switch {
		case !exists:
			r := applyResult{Name: name, Action: "created"}
			if !dryRun {
				var out distribution
				if _, err := c.Do(ctx, http.MethodPost, "/v1/distributions", d, &out, ""); err != nil {
					return results, fmt.Errorf("%s: %w", name, err)
				}
				r.ID, r.Status = out.ID, out.Status
			}
			results = append(results, r)
		case sameConfig(cur.Distribution, d):
			results = append(results, applyResult{Name: name, ID: cur.ID, Action: "unchanged", Status: cur.Status})
		default:
			r := applyResult{Name: name, ID: cur.ID, Action: "updated"}
			if !dryRun {
				var out distribution
				if _, err := c.Do(ctx, http.MethodPut, "/v1/distributions/"+cur.ID, d, &out, cur.ETag); err != nil {
					return results, fmt.Errorf("%s: %w", name, err)
				}
				r.Status = out.Status
			}
			results = append(results, r)
		}
	}
	if prune {
		for name, d := range have {
			if !dryRun {
				if _, err := c.Do(ctx, http.MethodDelete, "/v1/distributions/"+d.ID, nil, nil, d.ETag); err != nil {
					return results, fmt.Errorf("%s: %w", name, err)
				}
			}
			results = append(results, applyResult{Name: name, ID: d.ID, Action: "deleted"})
		}
	}
	return results, nil
}

// sameConfig compares what a user configures, after defaults, ignoring
// what the API assigns.
func sameConfig(a, b model.Distribution) bool {
	norm := func(d model.Distribution) []byte {
		d.ApplyDefaults()
		d.StripResolved() // policy content and keys the control plane filled in
		d.ID, d.DomainName, d.LastModified = "", "", time.Time{}
		j, _ := json.Marshal(d)
		return j
	}
	return bytes.Equal(norm(a), norm(b))
}

func waitDeployed(cmd *cobra.Command, c *apiclient.Client, results []applyResult, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	defer cancel()
	for i := range results {
		r := &results[i]
		for r.Action != "deleted" && r.Status != "Deployed" {
			var d distribution
			if _, err := c.Do(ctx, http.MethodGet, "/v1/distributions/"+r.ID, nil, &d, ""); err != nil {
				return err
			}
			if r.Status = d.Status; r.Status == "Deployed" {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s is still %s after %s", r.Name, r.Status, timeout)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}
