package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pharos-cdn/pharos/internal/control"
)

// invalidation is the API's answer for one invalidation.
type invalidation = control.InvalidationRecord

func newInvalidateCommand() *cobra.Command {
	var iv invalidateFlags
	cmd := &cobra.Command{
		Use:   "invalidate DISTRIBUTION-ID PATH...",
		Short: "Remove paths from every edge's cache (exact, or a prefix ending in *)",
		Example: `  pharos invalidate E1234567890ABC /index.html '/images/*' --wait
  pharos invalidate E1234567890ABC '/*'`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return iv.send(cmd, args[0], map[string]any{"paths": args[1:]})
		},
	}
	iv.register(cmd)
	return cmd
}

func newPurgeCommand() *cobra.Command {
	var iv invalidateFlags
	var tags []string
	cmd := &cobra.Command{
		Use:   "purge DISTRIBUTION-ID --tag TAG...",
		Short: "Remove (or with --soft, mark stale) every object carrying a Surrogate-Key or Cache-Tag, on every edge",
		Example: `  pharos purge E1234567890ABC --tag product-42 --wait
  pharos purge E1234567890ABC --tag catalog --soft`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(tags) == 0 {
				return fmt.Errorf("give at least one --tag")
			}
			return iv.send(cmd, args[0], map[string]any{"tags": tags})
		},
	}
	iv.register(cmd)
	cmd.Flags().StringSliceVar(&tags, "tag", nil, "a tag (repeatable)")
	return cmd
}

// invalidateFlags are the flags invalidate and purge share.
type invalidateFlags struct {
	cf        clientFlags
	wait      bool
	soft      bool
	timeout   time.Duration
	callerRef string
}

func (iv *invalidateFlags) register(cmd *cobra.Command) {
	iv.cf.register(cmd)
	cmd.Flags().BoolVar(&iv.wait, "wait", false, "wait until every live edge has applied it")
	cmd.Flags().BoolVar(&iv.soft, "soft", false, "mark objects stale instead of removing them (stale-while-revalidate and stale-if-error still apply)")
	cmd.Flags().DurationVar(&iv.timeout, "timeout", time.Minute, "how long --wait waits")
	cmd.Flags().StringVar(&iv.callerRef, "caller-reference", "", "an idempotency token: repeating it returns the first invalidation")
}

// send creates the invalidation, waits when asked, and prints it.
func (iv *invalidateFlags) send(cmd *cobra.Command, distID string, body map[string]any) error {
	c, err := iv.cf.client(cmd)
	if err != nil {
		return err
	}
	body["soft"], body["callerReference"] = iv.soft, iv.callerRef
	var inv invalidation
	path := "/v1/distributions/" + distID + "/invalidations"
	if _, err := c.Do(cmd.Context(), http.MethodPost, path, body, &inv, ""); err != nil {
		return err
	}
	if iv.wait {
		ctx, cancel := context.WithTimeout(cmd.Context(), iv.timeout)
		defer cancel()
		for inv.Status != "Completed" {
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", inv.ID, inv.Status)
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s is still %s after %s", inv.ID, inv.Status, iv.timeout)
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := c.Do(ctx, http.MethodGet, path+"/"+inv.ID, nil, &inv, ""); err != nil {
				return err
			}
		}
	}
	return iv.cf.print(cmd.OutOrStdout(), inv, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "ID\t%s\nDISTRIBUTION\t%s\nSTATUS\t%s\nPATHS\t%s\nTAGS\t%s\nSOFT\t%v\nCREATED\t%s\n",
			inv.ID, inv.DistributionID, inv.Status, strings.Join(inv.Paths, " "), strings.Join(inv.Tags, " "), inv.Soft,
			inv.CreateTime.Format(time.RFC3339))
	})
}
