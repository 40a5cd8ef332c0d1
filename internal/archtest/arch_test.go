package archtest

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/valdrix/valdrix"

type pkg struct {
	ImportPath string
	Doc        string
	Imports    []string
	Standard   bool
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	require.NoError(t, err)
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	require.NotEmpty(t, pkgs)
	return pkgs
}

// allowed lists, for every package, the Valdrix packages it may import
// (non-test code). A new package must be added here, which makes its place in
// the layering a reviewed decision. The order of the layers is documented in
// ARCHITECTURE.md.
var allowed = map[string][]string{
	"cmd/valdrix": {"cli"},

	"internal/cli": {"app", "governance", "keyring", "store", "telemetry", "valdrix", "*"},
	"internal/app": {"*"},
	"internal/api": {"governance", "jwtauth", "telemetry", "valdrix", "*modules"},

	"internal/store":           {"store/sqlite", "store/postgres", "valdrix", "*modules"},
	"internal/store/sqlite":    {},
	"internal/store/postgres":  {},
	"internal/store/storetest": {"store", "store/postgres", "governance", "valdrix", "*modules"},

	"internal/governance":          {"keyring", "valdrix"},
	"internal/inventory":           {"cloud", "governance", "valdrix"},
	"internal/scan":                {"inventory", "ingestion", "optimization", "reporting/carbon", "cloud", "governance", "jobs", "valdrix"},
	"internal/ingestion":           {"cloud", "valdrix"},
	"internal/reporting":           {"ingestion", "reporting/carbon", "cloud", "valdrix"},
	"internal/reporting/carbon":    {"ingestion", "valdrix"},
	"internal/optimization":        {"optimization/zombie", "reporting/carbon", "ingestion", "cloud", "governance", "valdrix"},
	"internal/optimization/zombie": {"reporting/carbon", "ingestion", "cloud", "valdrix"},
	"internal/jobs":                {"valdrix"},
	"internal/cloud":               {"valdrix"},
	"internal/cloud/cloudtest":     {"cloud", "valdrix"},
	"internal/cloud/aws":           {"cloud", "valdrix"},
	"internal/cloud/azure":         {"cloud", "valdrix"},
	"internal/cloud/gcp":           {"cloud", "ingestion", "valdrix"}, // fills ingestion.GCPRecord from BigQuery rows
	"internal/cloudsim":            {"cloud", "ingestion", "valdrix"},

	"internal/keyring":   {},
	"internal/jwtauth":   {"valdrix"},
	"internal/telemetry": {},
	"internal/valdrix":   {},
	"internal/archtest":  {},
}

// modules are the business modules and seams that store and api may import;
// "*modules" in a rule expands to them.
var modules = []string{"governance", "inventory", "scan", "ingestion", "reporting", "reporting/carbon", "optimization", "optimization/zombie", "jobs", "cloud"}

// edges are the composition roots: nothing may import them but their parent.
var roots = map[string]string{"internal/app": "internal/cli", "internal/cli": "cmd/valdrix", "internal/api": "internal/app"}

func rel(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, module), "/") }

func TestImportGraph(t *testing.T) {
	t.Parallel()
	for _, p := range listPackages(t) {
		from := rel(p.ImportPath)
		rules, known := allowed[from]
		require.True(t, known, "package %s is not placed in the layering: add it to archtest.allowed", from)
		ok := map[string]bool{}
		wildcard := false
		for _, r := range rules {
			switch r {
			case "*":
				wildcard = true
			case "*modules":
				for _, m := range modules {
					ok["internal/"+m] = true
				}
			default:
				ok["internal/"+r] = true
			}
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			to := rel(imp)
			if parent, isRoot := roots[to]; isRoot {
				require.Equal(t, parent, from, "%s imports %s; only %s may", from, to, parent)
				continue
			}
			require.True(t, wildcard || ok[to], "%s may not import %s (see archtest.allowed and ARCHITECTURE.md)", from, to)
		}
	}
}

// TestCloudSDKsStayInAdapters checks the whole dependency closure: only the
// cloud adapters, the simulator and the ingestion readers may pull in cloud
// SDKs, so modules stay testable with fakes and the binary's layers stay clear.
func TestCloudSDKsStayInAdapters(t *testing.T) {
	t.Parallel()
	sdk := []string{"github.com/aws/aws-sdk-go-v2", "github.com/Azure/azure-sdk-for-go", "cloud.google.com/go", "google.golang.org/api"}
	mayUse := []string{"internal/cloud/aws", "internal/cloud/azure", "internal/cloud/gcp", "internal/cloudsim", "internal/ingestion"}
	for _, p := range listPackages(t) {
		from := rel(p.ImportPath)
		if hasPrefixAny(from, mayUse) {
			continue
		}
		for _, imp := range p.Imports {
			require.False(t, hasPrefixAny(imp, sdk), "%s imports the cloud SDK package %s directly", from, imp)
		}
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", module+"/internal/valdrix").Output()
	require.NoError(t, err)
	for _, dep := range strings.Fields(string(out)) {
		if dep != module+"/internal/valdrix" {
			t.Errorf("internal/valdrix must depend on the standard library only, but pulls in %s", dep)
		}
	}
}

func hasPrefixAny(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if s == p || strings.HasPrefix(s, p+"/") {
			return true
		}
	}
	return false
}

func TestEveryPackageIsDocumented(t *testing.T) {
	t.Parallel()
	for _, p := range listPackages(t) {
		require.NotEmpty(t, p.Doc, "package %s needs a package comment saying what it is for", rel(p.ImportPath))
	}
}
