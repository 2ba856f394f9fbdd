// Command pharos is the Pharos CDN: edge, control plane and router in one
// binary, plus the client verbs that drive them.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "pharos",
		Short:         "Pharos: a self-hosted CDN in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newUpCommand(), newControlCommand(), newEdgeCommand(), newRouterCommand(), newDistCommand(), newEdgesCommand(), newInvalidateCommand(), newPurgeCommand(), newApplyCommand(), newSignCommand(), newVersionCommand())
	root.AddCommand(newCertCommand()) // cert.go
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "pharos:", err)
		os.Exit(1)
	}
}
