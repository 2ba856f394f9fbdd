package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

type invalidation struct {
	ID              string    `json:"id"`
	DistributionID  string    `json:"distributionId"`
	Paths           []string  `json:"paths"`
	CallerReference string    `json:"callerReference,omitempty"`
	CreateTime      time.Time `json:"createTime"`
	Sequence        uint64    `json:"sequence"`
	Status          string    `json:"status"`
}

func newInvalidateCommand() *cobra.Command {
	var cf clientFlags
	var wait bool
	var timeout time.Duration
	var callerRef string
	cmd := &cobra.Command{
		Use:   "invalidate DISTRIBUTION-ID PATH...",
		Short: "Remove paths from every edge's cache (exact, or a prefix ending in *)",
		Example: `  pharos invalidate E1234567890ABC /index.html '/images/*' --wait
  pharos invalidate E1234567890ABC '/*'`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client(cmd)
			if err != nil {
				return err
			}
			body := map[string]any{"paths": args[1:], "callerReference": callerRef}
			var inv invalidation
			path := "/v1/distributions/" + args[0] + "/invalidations"
			if _, err := c.Do(cmd.Context(), http.MethodPost, path, body, &inv, ""); err != nil {
				return err
			}
			if wait {
				ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
				defer cancel()
				for inv.Status != "Completed" {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", inv.ID, inv.Status)
					select {
					case <-ctx.Done():
						return fmt.Errorf("%s is still %s after %s", inv.ID, inv.Status, timeout)
					case <-time.After(100 * time.Millisecond):
					}
					if _, err := c.Do(ctx, http.MethodGet, path+"/"+inv.ID, nil, &inv, ""); err != nil {
						return err
					}
				}
			}
			return cf.print(cmd.OutOrStdout(), inv, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "ID\t%s\nDISTRIBUTION\t%s\nSTATUS\t%s\nPATHS\t%s\nCREATED\t%s\n",
					inv.ID, inv.DistributionID, inv.Status, strings.Join(inv.Paths, " "), inv.CreateTime.Format(time.RFC3339))
			})
		},
	}
	cf.register(cmd)
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until every live edge has applied it")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "how long --wait waits")
	cmd.Flags().StringVar(&callerRef, "caller-reference", "", "an idempotency token: repeating it returns the first invalidation")
	return cmd
}
