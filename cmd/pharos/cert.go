package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pharos-cdn/pharos/internal/control"
	"github.com/pharos-cdn/pharos/internal/model"
)

func newCertCommand() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "cert", Short: "Import, list and delete the TLS certificates edges present by SNI"}
	cf.register(cmd)
	cmd.AddCommand(newCertImport(&cf), newCertList(&cf), newCertDelete(&cf))
	return cmd
}

func newCertImport(cf *clientFlags) *cobra.Command {
	var certFile, keyFile, comment string
	cmd := &cobra.Command{
		Use:     "import --cert FILE --key FILE",
		Short:   "Import a PEM certificate chain (leaf first) and its private key; edges serve it for its names at once",
		Example: `  pharos cert import --cert fullchain.pem --key privkey.pem --comment "www.example.com"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client(cmd)
			if err != nil {
				return err
			}
			in := control.CertificateImport{Comment: comment}
			if in.Certificate, err = readPEM("--cert", certFile); err != nil {
				return err
			}
			if in.PrivateKey, err = readPEM("--key", keyFile); err != nil {
				return err
			}
			var out model.Certificate
			if _, err := c.Do(cmd.Context(), http.MethodPost, "/v1/certificates", in, &out, ""); err != nil {
				return err
			}
			return printCerts(cmd, cf, out, []model.Certificate{out})
		},
	}
	cmd.Flags().StringVar(&certFile, "cert", "", "PEM file with the certificate chain, leaf first")
	cmd.Flags().StringVar(&keyFile, "key", "", "PEM file with the leaf's private key")
	cmd.Flags().StringVar(&comment, "comment", "", "a note kept with the certificate")
	return cmd
}

func newCertList(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List imported certificates (never their keys)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client(cmd)
			if err != nil {
				return err
			}
			var out struct {
				Items []model.Certificate `json:"items"`
			}
			if _, err := c.Do(cmd.Context(), http.MethodGet, "/v1/certificates", nil, &out, ""); err != nil {
				return err
			}
			return printCerts(cmd, cf, out, out.Items)
		},
	}
}

func newCertDelete(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete an imported certificate no distribution names; edges stop presenting it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client(cmd)
			if err != nil {
				return err
			}
			if _, err := c.Do(cmd.Context(), http.MethodDelete, "/v1/certificates/"+args[0], nil, nil, ""); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[0])
			return nil
		},
	}
}

func readPEM(flag, path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%s FILE is required", flag)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	return string(b), nil
}

func printCerts(cmd *cobra.Command, cf *clientFlags, v any, list []model.Certificate) error {
	return cf.print(cmd.OutOrStdout(), v, func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "ID\tNAMES\tNOT AFTER\tCOMMENT")
		for _, c := range list {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.ID, strings.Join(c.Names, ","), c.NotAfter.Format(time.RFC3339), c.Comment)
		}
	})
}
