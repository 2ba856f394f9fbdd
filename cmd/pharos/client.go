package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pharos-cdn/pharos/internal/apiclient"
)

// clientFlags are the flags of the verbs that talk to the API.
type clientFlags struct {
	apiURL      string
	credentials string
	output      string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.apiURL, "api-url", "http://127.0.0.1:9000", "the API's URL (env PHAROS_API_URL)")
	cmd.PersistentFlags().StringVar(&f.credentials, "credentials", "./pharos-data/credentials.json",
		"credentials file, used when PHAROS_SECRET_ACCESS_KEY is not set")
	cmd.PersistentFlags().StringVarP(&f.output, "output", "o", "table", "output: table or json")
}

// client builds the API client from flags and environment.
func (f *clientFlags) client(cmd *cobra.Command) (*apiclient.Client, error) {
	if v := os.Getenv("PHAROS_API_URL"); v != "" && !cmd.Flags().Changed("api-url") {
		f.apiURL = v
	}
	if f.output != "table" && f.output != "json" {
		return nil, fmt.Errorf("-o %q: want table or json", f.output)
	}
	secret := os.Getenv("PHAROS_SECRET_ACCESS_KEY")
	if secret == "" {
		b, err := os.ReadFile(f.credentials)
		if err != nil {
			return nil, fmt.Errorf("no credentials: set PHAROS_SECRET_ACCESS_KEY or point --credentials at the file pharos printed (%w)", err)
		}
		var c struct{ SecretAccessKey string }
		if err := json.Unmarshal(b, &c); err != nil || c.SecretAccessKey == "" {
			return nil, fmt.Errorf("credentials file %s: no secretAccessKey", f.credentials)
		}
		secret = c.SecretAccessKey
	}
	return &apiclient.Client{URL: f.apiURL, Secret: secret}, nil
}

// print writes v as JSON, or as a table made by table.
func (f *clientFlags) print(w io.Writer, v any, table func(*tabwriter.Writer)) error {
	if f.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}
