package aws

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// simProcess is what the simulator subprocess tells the benchmark.
type simProcess struct {
	Endpoint, AccessKey, SecretKey, Account string
	Regions                                 []string
	Resources                               int
}

// TestSimulatorProcess is not a test: run with VALDRIX_SIM_PROCESS=<resources>
// it serves a simulated AWS estate of that many resources in 20 regions and
// one account, prints one JSON line describing it, and serves until its
// standard input closes. BenchmarkInventory uses it to keep the simulator's
// memory and CPU out of the adapter's measurement.
func TestSimulatorProcess(t *testing.T) {
	t.Parallel()
	n, err := strconv.Atoi(os.Getenv("VALDRIX_SIM_PROCESS"))
	if err != nil {
		t.Skip("set VALDRIX_SIM_PROCESS=<resources> to run the simulator as a process")
	}
	sim, err := cloudsim.New(cloudsim.Config{TrustAll: true, EstateConfig: cloudsim.EstateConfig{
		Seed: 1, Resources: n, AWSAccounts: 1, AWSRegions: 20, Mix: map[valdrix.Provider]float64{valdrix.AWS: 1},
	}})
	require.NoError(t, err)
	require.NoError(t, sim.Start(context.Background()))
	defer sim.Close()
	e := sim.Estate()
	ak, sk := sim.PlatformCredentials()
	line, _ := json.Marshal(simProcess{Endpoint: sim.Endpoints().AWS, AccessKey: ak, SecretKey: sk,
		Account: e.Accounts[e.AccountsOf(valdrix.AWS)[0]].ID, Regions: e.Regions(valdrix.AWS), Resources: len(e.Resources)})
	_, _ = os.Stdout.Write(append(line, '\n'))
	_, _ = bufio.NewReader(os.Stdin).ReadString(0) // until stdin closes
}

// BenchmarkInventory inventories a simulated estate of VALDRIX_BENCH_RESOURCES
// resources (default 1,000,000) in 20 regions, the simulator running in a
// subprocess, and reports the adapter process's peak RSS.
//
//	VALDRIX_BENCH_RESOURCES=1000000 go test ./internal/cloud/aws -run '^$' -bench Inventory -benchtime 1x
func BenchmarkInventory(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("VALDRIX_BENCH_RESOURCES")); err == nil {
		n = v
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestSimulatorProcess$", "-test.v=false") //nolint:gosec // our own test binary
	cmd.Env = append(os.Environ(), "VALDRIX_SIM_PROCESS="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	require.NoError(b, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(b, err)
	cmd.Stderr = os.Stderr
	require.NoError(b, cmd.Start())
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	var sp simProcess
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(b, err)
	require.NoError(b, json.Unmarshal([]byte(line), &sp))

	p, err := New(Config{AccessKeyID: sp.AccessKey, SecretAccessKey: sp.SecretKey, Endpoint: sp.Endpoint,
		RegionConcurrency: 10, ServiceConcurrency: 11, DetailConcurrency: 16, DefaultRateLimit: 100000, ScanTimeout: 10 * time.Minute, RetryMaxAttempts: benchRetries()})
	require.NoError(b, err)
	conn := cloud.Connection{ID: "bench", TenantID: "bench", Provider: valdrix.AWS, Name: "bench", AWS: &cloud.AWSConnection{
		AccountID: sp.Account, RoleARN: cloudsim.RoleARN(sp.Account), ExternalID: "bench-external-id", Regions: sp.Regions}}
	for b.Loop() {
		var count atomic.Int64
		start := time.Now()
		rep, err := p.Discover(b.Context(), conn, cloud.DiscoverOpts{}, func(_ context.Context, rs []cloud.Resource) error {
			count.Add(int64(len(rs)))
			return nil
		})
		require.NoError(b, err)
		require.True(b, rep.Complete, "%+v", rep.Failed())
		require.Equal(b, int64(sp.Resources), count.Load())
		b.ReportMetric(time.Since(start).Seconds(), "s/scan")
		if os.Getenv("VALDRIX_BENCH_VERBOSE") != "" {
			items := slices.Clone(rep.Items)
			slices.SortFunc(items, func(x, y cloud.DiscoveryItem) int { return int(y.Duration - x.Duration) })
			for _, it := range items[:min(8, len(items))] {
				b.Logf("%s %s %d %v", it.Region, it.Service, it.Resources, it.Duration)
			}
		}
		b.ReportMetric(float64(count.Load()), "resources")
	}
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

// peakRSSMiB returns the process's peak resident set (VmHWM) in MiB.
func peakRSSMiB() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return -1
}

func benchRetries() int {
	if v, err := strconv.Atoi(os.Getenv("VALDRIX_BENCH_RETRIES")); err == nil {
		return v
	}
	return 5
}
