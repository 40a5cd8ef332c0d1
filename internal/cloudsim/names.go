package cloudsim

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// awsRegions are the AWS regions the simulator knows, most used first, with
// their CUR usage-type prefixes and price multipliers relative to us-east-1
// (rounded from the public price lists).
var awsRegions = []regionInfo{
	{"us-east-1", "USE1", 100}, {"us-west-2", "USW2", 100}, {"eu-west-1", "EU", 111}, {"us-east-2", "USE2", 100},
	{"eu-central-1", "EUC1", 119}, {"ap-southeast-1", "APS1", 125}, {"ap-northeast-1", "APN1", 129}, {"eu-west-2", "EUW2", 116},
	{"ap-southeast-2", "APS2", 125}, {"ca-central-1", "CAN1", 110}, {"ap-south-1", "APS3", 105}, {"us-west-1", "USW1", 117},
	{"eu-north-1", "EUN1", 106}, {"eu-west-3", "EUW3", 116}, {"sa-east-1", "SAE1", 159}, {"ap-northeast-2", "APN2", 121},
	{"ap-northeast-3", "APN3", 129}, {"eu-south-1", "EUS1", 117}, {"ap-east-1", "APE1", 138}, {"me-south-1", "MES1", 122},
	{"af-south-1", "AFS1", 134},
}

// azureRegions are Azure regions, most used first.
var azureRegions = []regionInfo{
	{"eastus", "US East", 100}, {"westeurope", "EU West", 112}, {"eastus2", "US East 2", 100}, {"northeurope", "EU North", 106},
	{"westus2", "US West 2", 100}, {"uksouth", "UK South", 111}, {"centralus", "US Central", 108}, {"germanywestcentral", "DE West Central", 118},
	{"francecentral", "FR Central", 116}, {"swedencentral", "SE Central", 104}, {"southeastasia", "AP Southeast", 121}, {"japaneast", "JA East", 126},
	{"australiaeast", "AU East", 127}, {"canadacentral", "CA Central", 109}, {"westus3", "US West 3", 100}, {"brazilsouth", "BR South", 158},
}

// gcpRegions are GCP regions, most used first.
var gcpRegions = []regionInfo{
	{"us-central1", "Iowa", 100}, {"europe-west1", "Belgium", 110}, {"us-east1", "South Carolina", 100}, {"europe-west4", "Netherlands", 110},
	{"us-east4", "Northern Virginia", 113}, {"asia-southeast1", "Singapore", 123}, {"europe-west2", "London", 129}, {"us-west1", "Oregon", 100},
	{"europe-west3", "Frankfurt", 129}, {"asia-northeast1", "Tokyo", 129}, {"europe-north1", "Finland", 110}, {"australia-southeast1", "Sydney", 141},
	{"northamerica-northeast1", "Montreal", 110}, {"southamerica-east1", "Sao Paulo", 159}, {"asia-east1", "Taiwan", 116},
}

type regionInfo struct {
	Name   string
	Code   string // AWS usage-type prefix, Azure meter region, GCP location name
	Factor int64  // price multiplier in percent of the cheapest region
}

// Vocabulary for realistic names.
var (
	apps     = []string{"checkout", "payments", "search", "catalog", "auth", "orders", "inventory", "billing", "analytics", "etl", "reporting", "notifications", "gateway", "ml-train", "recommender", "media", "ledger", "crm", "support", "identity"}
	roles    = []string{"web", "api", "worker", "batch", "cache", "db", "queue", "cron", "proxy", "ingest"}
	teams    = []string{"platform", "payments", "growth", "data", "ml", "core", "mobile", "security", "sre", "finance"}
	owners   = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar", "peggy", "trent", "victor", "wendy"}
	costCtrs = []string{"CC-1001", "CC-1002", "CC-2040", "CC-3100", "CC-4200", "CC-5150"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// hexID returns n lower-case hex digits.
func hexID(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(digits[r.IntN(16)])
	}
	return b.String()
}

func guid(r *rand.Rand) string {
	h := hexID(r, 32)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

func digits(r *rand.Rand, n int) string {
	var b strings.Builder
	b.Grow(n)
	b.WriteByte(byte('1' + r.IntN(9)))
	for range n - 1 {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	return b.String()
}

func shortRegion(region string) string {
	// "us-east-1" → "use1", "westeurope" → "weu", "europe-west1" → "euw1"
	parts := strings.Split(region, "-")
	if len(parts) == 1 {
		if len(region) > 4 {
			return region[:4]
		}
		return region
	}
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if p[0] >= '0' && p[0] <= '9' {
			b.WriteString(p)
		} else {
			b.WriteByte(p[0])
		}
	}
	return b.String()
}

func resourceName(r *rand.Rand, env, region string, seq int) string {
	return fmt.Sprintf("%s-%s-%s-%s-%d", pick(r, apps), pick(r, roles), env, shortRegion(region), seq)
}

// newRand returns a generator seeded from s.
func newRand(s string) *rand.Rand {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return rand.New(rand.NewPCG(h, h>>7)) //nolint:gosec // simulation
}
