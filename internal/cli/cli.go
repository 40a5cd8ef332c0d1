// Package cli is the valdrix command line: one file per command, parsed with
// kong. Settings come from flags, then VALDRIX_* environment variables, then
// an optional YAML file (--config / VALDRIX_CONFIG), then defaults. Only cmd
// imports cli.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/alecthomas/kong"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/telemetry"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Build-time information, set by main through ldflags.
var (
	version = ""
	commit  = ""
	date    = ""
)

// Env is the process environment the CLI runs in; tests supply their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) (string, bool)
	// Options tune the core (tests use fast password hashing).
	Options app.Options
	// Ready, when set, is called with the server's URL once serve listens.
	Ready func(url string)
}

// OSEnv is the real process environment.
func OSEnv() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.LookupEnv}
}

// root is the command tree.
type root struct {
	ConfigFile string `name:"config" env:"VALDRIX_CONFIG" type:"path" help:"YAML file of settings (keys are the flag names, e.g. database_url)."`
	app.Config `embed:""`

	Serve     serveCmd      `cmd:"" help:"Run the API server (and, unless --no-workers, the background workers)."`
	Worker    workerCmd     `cmd:"" help:"Work background jobs only, without the API (scale-out on PostgreSQL)."`
	Jobs      jobsCmd       `cmd:"" help:"List, inspect, cancel and retry background jobs; list stuck-job alerts."`
	Migrate   migrateCmd    `cmd:"" help:"Apply or inspect database migrations."`
	Tenant    tenantCmd     `cmd:"" help:"Create and list tenants."`
	User      userCmd       `cmd:"" help:"Create and list users."`
	Apikey    apikeyCmd     `cmd:"" name:"apikey" help:"Create, list and revoke API keys."`
	Ingest    ingestCmd     `cmd:"" help:"Import billing files (CUR 2.0, legacy CUR, Azure, GCP, FOCUS) into the ledger."`
	Costs     costsCmd      `cmd:"" help:"Query and export the ledger."`
	Carbon    carbonCmd     `cmd:"" help:"Estimate the ledger's carbon footprint (kgCO2e, kWh) by provider, account, service, region, month."`
	Conn      connectionCmd `cmd:"" name:"connection" help:"Manage cloud connections."`
	Inventory inventoryCmd  `cmd:"" help:"Discover a connection's resources now and print counts by type and region."`
	Scan      scanCmd       `cmd:"" help:"Scan a connection: import its billing export, discover resources, detect waste (--async: enqueue it)."`
	Findings  findingsCmd   `cmd:"" help:"List and act on waste findings (snooze, dismiss, reopen)."`
	Rules     rulesCmd      `cmd:"" help:"List the waste rules and set a tenant's thresholds and switches."`
	Demo      demoCmd       `cmd:"" help:"Start a demo: a simulated AWS, Azure and GCP estate scanned through the job system, served with a demo login."`
	Sim       simCmd        `cmd:"" help:"Run the cloud simulator."`
	Keys      keysCmd       `cmd:"" help:"Manage the encryption keys for secrets at rest."`
	Audit     auditCmd      `cmd:"" help:"Check the audit log."`
	Settings  configCmd     `cmd:"" name:"config" help:"Inspect the effective settings."`
	Version   versionCmd    `cmd:"" help:"Print the version."`
}

// runCtx is handed to every command's Run.
type runCtx struct {
	context.Context
	env   Env
	cfg   app.Config
	build telemetry.Build
}

// Main runs the CLI with args (without the program name) and returns the
// process exit code: 0 success, 1 failure, 2 bad usage.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) (string, bool) { return "", false }
	}
	var cli root
	exit := -1
	// The config file is needed before parsing (its values feed flags), so
	// find it by hand. Resolvers run in order and the last value wins:
	// environment over file.
	resolvers := []kong.Resolver{}
	if cfgPath := configPath(args, env.Getenv); cfgPath != "" {
		res, err := newYAMLResolver(cfgPath)
		if err != nil {
			fmt.Fprintf(env.Stderr, "valdrix: %v\n", err)
			return 2
		}
		resolvers = append(resolvers, res)
	}
	resolvers = append(resolvers, envResolver{getenv: env.Getenv})
	parser, err := kong.New(&cli,
		kong.Name("valdrix"),
		kong.Description("Valdrix finds cloud waste in your billing and inventory, with the real dollars and CO2e behind each finding."),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true}),
		kong.Writers(env.Stdout, env.Stderr),
		kong.Exit(func(code int) { exit = code }),
		kong.Resolvers(resolvers...),
	)
	if err != nil {
		fmt.Fprintf(env.Stderr, "valdrix: %v\n", err)
		return 1
	}
	kctx, err := parser.Parse(args)
	if exit >= 0 {
		return exit
	}
	if err != nil {
		var pe *kong.ParseError
		if errors.As(err, &pe) {
			fmt.Fprintf(env.Stderr, "valdrix: %v\n", err)
			_ = pe.Context.PrintUsage(true)
			return 2
		}
		fmt.Fprintf(env.Stderr, "valdrix: %v\n", err)
		return 2
	}
	if !cli.Tracing {
		// The OpenTelemetry convention: an exporter endpoint turns tracing on.
		for _, v := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
			if e, ok := env.Getenv(v); ok && e != "" {
				cli.Tracing = true
			}
		}
	}
	rc := &runCtx{Context: ctx, env: env, cfg: cli.Config, build: telemetry.ReadBuild(version, commit, date)}
	if err := kctx.Run(rc); err != nil {
		printError(env.Stderr, err)
		return 1
	}
	return 0
}

func printError(w io.Writer, err error) {
	var ve *valdrix.Error
	if errors.As(err, &ve) {
		fmt.Fprintf(w, "valdrix: %s\n", valdrix.ErrorMessage(err))
		if ve.Err != nil {
			fmt.Fprintf(w, "  cause: %v\n", ve.Err)
		}
		return
	}
	fmt.Fprintf(w, "valdrix: %v\n", err)
}

func configPath(args []string, getenv func(string) (string, bool)) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			return v
		}
		if a == "--config" && i+1 < len(args) {
			return args[i+1]
		}
	}
	v, _ := getenv("VALDRIX_CONFIG")
	return v
}

// envResolver gives VALDRIX_* variables precedence over the config file.
type envResolver struct {
	getenv func(string) (string, bool)
}

func (envResolver) Validate(*kong.Application) error { return nil }

func (r envResolver) Resolve(_ *kong.Context, _ *kong.Path, f *kong.Flag) (any, error) {
	for _, e := range f.Envs {
		if v, ok := r.getenv(e); ok {
			return v, nil
		}
	}
	return nil, nil
}

// logger builds the CLI's logger (always on stderr: stdout carries results).
func (rc *runCtx) logger() (*slog.Logger, error) {
	return telemetry.NewLogger(rc.env.Stderr, rc.cfg.LogFormat, rc.cfg.LogLevel)
}

// core opens the store, governance and the job runtime (not working jobs)
// for an admin command.
func (rc *runCtx) core() (*app.Core, error) { return rc.openCore(false) }

// openCore opens the core; work makes the job runtime work jobs.
func (rc *runCtx) openCore(work bool) (*app.Core, error) { return rc.openCoreWith(rc.cfg, work) }

// openCoreWith opens a core on settings cfg.
func (rc *runCtx) openCoreWith(cfg app.Config, work bool) (*app.Core, error) {
	log, err := rc.logger()
	if err != nil {
		return nil, err
	}
	opts := rc.env.Options
	opts.Build = rc.build
	opts.Work = work
	return app.OpenCore(rc, cfg, log, opts)
}

// clock is the clock the core will use.
func (rc *runCtx) clock() valdrix.Clock {
	if rc.env.Options.Clock != nil {
		return rc.env.Options.Clock
	}
	return valdrix.SystemClock{}
}

// output is the --output flag of listing commands.
type output struct {
	Output string `name:"output" short:"o" default:"table" enum:"table,json" help:"Output format: table or json."`
}

func (o output) json() bool { return o.Output == "json" }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}
