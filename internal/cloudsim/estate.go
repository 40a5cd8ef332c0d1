package cloudsim

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// EstateConfig says what estate to generate. The same config always gives
// the same estate.
type EstateConfig struct {
	Seed int64
	// Resources is the total number of resources over all clouds
	// (default 2000).
	Resources int
	// Now is the estate's "as of" time: ages, stop times and metric windows
	// are relative to it (default 2026-11-01T00:00:00Z).
	Now time.Time
	// Mix is each cloud's share of the resources (default aws 0.6, azure
	// 0.25, gcp 0.15). A cloud with share 0 has no resources but keeps its
	// accounts.
	Mix map[valdrix.Provider]float64
	// AWSAccounts, AzureSubscriptions and GCPProjects default to a number
	// that grows slowly with Resources.
	AWSAccounts, AzureSubscriptions, GCPProjects int
	// AWSRegions, AzureRegions and GCPRegions are how many of each cloud's
	// regions hold resources (defaults 6, 5 and 5; at most 21, 16 and 15).
	AWSRegions, AzureRegions, GCPRegions int
	// Waste overrides the share of each waste code (see DefaultWaste).
	Waste map[Code]float64
	// NearMiss is the share of each kind's resources that are near-miss
	// negatives (almost, but not, waste); default 0.03.
	NearMiss float64
	// Company names accounts and resources (default "acme").
	Company string
}

func (c EstateConfig) withDefaults() EstateConfig {
	c.Resources = cmp.Or(c.Resources, 2000)
	if c.Now.IsZero() {
		c.Now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	}
	c.Now = c.Now.UTC().Truncate(time.Second)
	if c.Mix == nil {
		c.Mix = map[valdrix.Provider]float64{valdrix.AWS: 0.6, valdrix.Azure: 0.25, valdrix.GCP: 0.15}
	}
	scale := int(math.Log10(float64(max(c.Resources, 10))))
	c.AWSAccounts = cmp.Or(c.AWSAccounts, 1+scale*2)
	c.AzureSubscriptions = cmp.Or(c.AzureSubscriptions, scale)
	c.GCPProjects = cmp.Or(c.GCPProjects, scale)
	c.AWSRegions = min(cmp.Or(c.AWSRegions, 6), len(awsRegions))
	c.AzureRegions = min(cmp.Or(c.AzureRegions, 5), len(azureRegions))
	c.GCPRegions = min(cmp.Or(c.GCPRegions, 5), len(gcpRegions))
	w := DefaultWaste()
	for k, v := range c.Waste {
		w[k] = v
	}
	c.Waste = w
	if c.NearMiss == 0 {
		c.NearMiss = 0.03
	}
	c.Company = cmp.Or(c.Company, "acme")
	return c
}

// Estate is a generated cloud estate. It is read-only after Generate except
// through the simulator's own bookkeeping, and safe for concurrent reads.
type Estate struct {
	Config EstateConfig
	Now    time.Time

	// AWS organisation.
	AWSOrgID        string
	AWSPayerAccount string
	// Azure directory and billing account.
	AzureTenantID       string
	AzureBillingAccount string
	// GCP billing account.
	GCPBillingAccount string

	Accounts    []Account
	Cells       []Cell
	Resources   []Resource
	Commitments []Commitment

	// links holds many-to-many relations: target group or classic load
	// balancer → registered instances.
	links map[int32][]int32
	// truth is the ground truth, computed once at generation.
	truth []Truth
	idx   index
}

// Account is an AWS account, an Azure subscription or a GCP project.
type Account struct {
	Provider valdrix.Provider
	ID       string // 12-digit AWS account id, Azure subscription GUID, GCP project id
	Name     string
	Number   string // GCP project number
	Payer    bool   // the AWS organisation's management (payer) account
	Cells    []int32
}

// Cell is one (account, region) of the estate. Its resources are contiguous
// in Estate.Resources, grouped by kind.
type Cell struct {
	Provider valdrix.Provider
	Account  int32
	Region   string
	region   regionInfo
	spans    [numKinds]span
}

type span struct{ lo, hi int32 }

// Span returns the index range [lo, hi) of the cell's resources of kind k.
func (c *Cell) Span(k Kind) (lo, hi int) { return int(c.spans[k].lo), int(c.spans[k].hi) }

// Resource is one simulated resource. Fields whose meaning depends on the
// kind are documented in docs/simulator.md.
type Resource struct {
	Kind    Kind
	Profile Profile // metric profile
	Zone    uint8   // availability zone index (a, b, c)
	Flags   Flag
	Cell    int32
	// Ref and Ref2 point at related resources (-1 for none): volume →
	// instance, snapshot → volume, address → instance, target group → load
	// balancer, RDS snapshot → DB instance, image → snapshot, disk → VM,
	// NIC → VM, public IP → NIC or load balancer, any Azure resource (Ref2)
	// → resource group, instance (Ref2) → image.
	Ref, Ref2 int32
	Size      int32 // GiB, or the kind's main quantity
	Size2     int32 // IOPS, node count, memory MB, retention days, backends …
	Created   int64 // Unix seconds
	Changed   int64 // Unix seconds of the last state change (stopped, detached); 0 if never
	State     string
	SKU       string // instance type, volume type, SKU, class
	Extra     string // engine/version, runtime, public IP …
	ID        string
	Name      string
	waste     uint64 // bit set of Codes
}

// Profile is a resource's metric behaviour.
type Profile uint8

// Metric profiles.
const (
	ProfileBusy     Profile = iota // normal utilisation
	ProfileIdle                    // idle: metric rules should flag it
	ProfileNearIdle                // low on one metric, not the other: must not be flagged
	ProfileZero                    // no traffic at all (NAT gateways)
)

// Flag is a bit of resource state.
type Flag uint16

// Flags.
const (
	FlagReserved  Flag = 1 << iota // covered by a reservation
	FlagLifecycle                  // ECR repository has a lifecycle policy
	FlagRetention                  // log group has a retention period
	FlagOrphan                     // snapshot's source is deleted
	FlagNearMiss                   // generated as a near-miss negative
	FlagOSDisk                     // the VM's OS disk
	FlagEncrypted
)

// Commitment is a reservation, capacity reservation or committed-use
// discount. It appears in billing only.
type Commitment struct {
	Provider valdrix.Provider
	Account  int32
	Region   string
	Kind     string // "ec2_ri", "rds_ri", "redshift_ri", "odcr", "azure_reservation", "gcp_reservation", "gcp_cud"
	ID       string // billing id: RI or reservation ARN, ODCR id, reservation id
	SKU      string // instance type / VM size / machine type
	Units    int    // reserved instances or vCPUs
	Unused   int    // units not used by any resource
	Start    time.Time
	End      time.Time
	waste    Code
	factor   int64 // region price factor
}

// Generate builds the estate for cfg. It is deterministic and fast: a
// million resources generate in a few seconds.
func Generate(cfg EstateConfig) *Estate {
	cfg = cfg.withDefaults()
	e := &Estate{Config: cfg, Now: cfg.Now, links: map[int32][]int32{}}
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x76616c6472697831)) //nolint:gosec // simulation, not security
	e.makeAccounts(r)

	var totalMix float64
	for _, p := range valdrix.Providers {
		totalMix += cfg.Mix[p]
	}
	perProvider := allocate(cfg.Resources, []float64{cfg.Mix[valdrix.AWS] / totalMix, cfg.Mix[valdrix.Azure] / totalMix, cfg.Mix[valdrix.GCP] / totalMix})
	e.Resources = make([]Resource, 0, cfg.Resources)
	for pi, p := range valdrix.Providers {
		e.makeCells(p, perProvider[pi])
	}
	e.makeCommitments(r)
	e.evaluate()
	return e
}

// makeCells generates provider p's n resources, cell by cell.
func (e *Estate) makeCells(p valdrix.Provider, n int) {
	var regions []regionInfo
	switch p {
	case valdrix.AWS:
		regions = awsRegions[:e.Config.AWSRegions]
	case valdrix.Azure:
		regions = azureRegions[:e.Config.AzureRegions]
	default:
		regions = gcpRegions[:e.Config.GCPRegions]
	}
	var accts []int32
	for i, a := range e.Accounts {
		if a.Provider == p {
			accts = append(accts, int32(i))
		}
	}
	// Cell weights: regions fall off by popularity, accounts vary.
	var weights []float64
	type pos struct {
		acct int32
		reg  regionInfo
		ri   int
	}
	var cells []pos
	for ai, a := range accts {
		aw := 1.0 / float64(ai%4+1)
		if e.Accounts[a].Payer {
			aw = 0.1
		}
		for ri, reg := range regions {
			weights = append(weights, aw/math.Pow(float64(ri+1), 0.8))
			cells = append(cells, pos{a, reg, ri})
		}
	}
	counts := allocate(n, normalize(weights))
	for ci, c := range cells {
		idx := int32(len(e.Cells))
		e.Cells = append(e.Cells, Cell{Provider: p, Account: c.acct, Region: c.reg.Name, region: c.reg})
		e.Accounts[c.acct].Cells = append(e.Accounts[c.acct].Cells, idx)
		seed := uint64(e.Config.Seed)*1_000_003 + uint64(idx)
		r := rand.New(rand.NewPCG(seed, 0x63656c6c)) //nolint:gosec // simulation
		g := &cellGen{e: e, r: r, cell: idx, c: &e.Cells[idx]}
		switch p {
		case valdrix.AWS:
			g.aws(counts[ci])
		case valdrix.Azure:
			g.azure(counts[ci])
		default:
			g.gcp(counts[ci])
		}
	}
}

// allocate splits n into len(weights) integers proportional to weights
// (which sum to 1), by largest remainder.
func allocate(n int, weights []float64) []int {
	out := make([]int, len(weights))
	type rem struct {
		i int
		f float64
	}
	rems := make([]rem, len(weights))
	used := 0
	for i, w := range weights {
		x := float64(n) * w
		out[i] = int(x)
		used += out[i]
		rems[i] = rem{i, x - float64(out[i])}
	}
	slices.SortStableFunc(rems, func(a, b rem) int { return cmp.Compare(b.f, a.f) })
	for k := 0; used < n && len(rems) > 0; k = (k + 1) % len(rems) {
		out[rems[k].i]++
		used++
	}
	return out
}

func normalize(ws []float64) []float64 {
	var s float64
	for _, w := range ws {
		s += w
	}
	out := make([]float64, len(ws))
	for i, w := range ws {
		out[i] = w / s
	}
	return out
}

// Account returns the account of provider p with id, if any.
func (e *Estate) Account(p valdrix.Provider, id string) (int, bool) {
	for i, a := range e.Accounts {
		if a.Provider == p && a.ID == id {
			return i, true
		}
	}
	return -1, false
}

// AccountsOf returns the indices of provider p's accounts.
func (e *Estate) AccountsOf(p valdrix.Provider) []int {
	var out []int
	for i, a := range e.Accounts {
		if a.Provider == p {
			out = append(out, i)
		}
	}
	return out
}

// CellOf returns the cell of account index acct in region, if any.
func (e *Estate) CellOf(acct int, region string) (*Cell, bool) {
	for _, ci := range e.Accounts[acct].Cells {
		if e.Cells[ci].Region == region {
			return &e.Cells[ci], true
		}
	}
	return nil, false
}

// Regions returns the regions provider p uses in this estate, most used first.
func (e *Estate) Regions(p valdrix.Provider) []string {
	var out []string
	for _, c := range e.Cells {
		if c.Provider == p && !slices.Contains(out, c.Region) {
			out = append(out, c.Region)
		}
	}
	return out
}

// AllRegions returns every region the simulator knows for provider p
// (enabled regions; the estate uses the first few).
func AllRegions(p valdrix.Provider) []string {
	var src []regionInfo
	switch p {
	case valdrix.AWS:
		src = awsRegions
	case valdrix.Azure:
		src = azureRegions
	default:
		src = gcpRegions
	}
	out := make([]string, len(src))
	for i, r := range src {
		out[i] = r.Name
	}
	return out
}

// Linked returns the instances registered with target group or classic load
// balancer i.
func (e *Estate) Linked(i int) []int32 { return e.links[int32(i)] }

// AccountOf returns the account of resource i.
func (e *Estate) AccountOf(i int) *Account { return &e.Accounts[e.Cells[e.Resources[i].Cell].Account] }

// CellOfResource returns the cell of resource i.
func (e *Estate) CellOfResource(i int) *Cell { return &e.Cells[e.Resources[i].Cell] }

// Count returns how many resources of kind k the estate has.
func (e *Estate) Count(k Kind) int {
	n := 0
	for i := range e.Cells {
		lo, hi := e.Cells[i].Span(k)
		n += hi - lo
	}
	return n
}

// CreatedAt returns resource i's creation time.
func (e *Estate) CreatedAt(i int) time.Time { return time.Unix(e.Resources[i].Created, 0).UTC() }

// ChangedAt returns when resource i last changed state, or the zero time.
func (e *Estate) ChangedAt(i int) time.Time {
	if e.Resources[i].Changed == 0 {
		return time.Time{}
	}
	return time.Unix(e.Resources[i].Changed, 0).UTC()
}
