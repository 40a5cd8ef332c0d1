// Command valdrix is the Valdrix server and command line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/valdrix/valdrix/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
