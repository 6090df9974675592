// Command temporal is the Temporal CLI v1.5.1, built from its module (see go.mod).
package main

import (
	"context"

	"github.com/temporalio/cli/temporalcli"

	_ "modernc.org/sqlite"
	_ "time/tzdata"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	temporalcli.Execute(ctx, temporalcli.CommandOptions{})
}
