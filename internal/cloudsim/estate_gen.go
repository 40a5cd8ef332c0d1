package cloudsim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

const day = int64(24 * time.Hour / time.Second)

// cellGen generates one cell's resources.
type cellGen struct {
	e    *Estate
	r    *rand.Rand
	cell int32
	c    *Cell
	env  string
	seq  int
}

// reserve appends the cell's resources, counts[i] of kinds[i], and sets the
// cell's spans.
func (g *cellGen) reserve(ks []Kind, counts []int) {
	for i, k := range ks {
		lo := int32(len(g.e.Resources))
		for range counts[i] {
			g.e.Resources = append(g.e.Resources, Resource{Kind: k, Cell: g.cell, Ref: -1, Ref2: -1})
		}
		g.c.spans[k] = span{lo, int32(len(g.e.Resources))}
	}
	g.env = envOf(g.e.Accounts[g.c.Account].Name)
}

func (g *cellGen) kindWeights(p valdrix.Provider) ([]Kind, []float64) {
	ks := Kinds(p)
	ws := make([]float64, len(ks))
	for i, k := range ks {
		ws[i] = kinds[k].weight
	}
	return ks, normalize(ws)
}

func (g *cellGen) res(i int) *Resource { return &g.e.Resources[i] }

func (g *cellGen) span(k Kind) (int, int) { return g.c.Span(k) }

// roll returns which of the shares (in order) a uniform draw falls in, or
// len(shares) for none.
func (g *cellGen) roll(shares ...float64) int {
	x := g.r.Float64()
	for i, s := range shares {
		if x < s {
			return i
		}
		x -= s
	}
	return len(shares)
}

func (g *cellGen) share(c Code) float64 { return g.e.Config.Waste[c] }

func (g *cellGen) near() float64 { return g.e.Config.NearMiss }

// ago returns the Unix time between minDays and maxDays days before now.
func (g *cellGen) ago(minDays, maxDays int) int64 {
	d := int64(minDays)*day + g.r.Int64N(int64(maxDays-minDays+1)*day-1) + 1
	return g.e.Now.Unix() - d
}

// before returns a time between minDays and maxDays days before t.
func (g *cellGen) before(t int64, minDays, maxDays int) int64 {
	return t - int64(minDays)*day - g.r.Int64N(int64(maxDays-minDays+1)*day)
}

func (g *cellGen) name() string {
	g.seq++
	return resourceName(g.r, g.env, g.c.Region, g.seq)
}

func (g *cellGen) acct() *Account { return &g.e.Accounts[g.c.Account] }

func (g *cellGen) zone() uint8 { return uint8(g.r.IntN(3)) }

// pickIn returns a random index in [lo, hi) or -1 when empty.
func (g *cellGen) pickIn(lo, hi int) int32 {
	if hi <= lo {
		return -1
	}
	return int32(lo + g.r.IntN(hi-lo))
}

// pickWhere returns a random index in [lo, hi) satisfying ok, trying a few
// times and then scanning; -1 when none does.
func (g *cellGen) pickWhere(lo, hi int, ok func(i int) bool) int32 {
	if hi <= lo {
		return -1
	}
	for range 8 {
		i := lo + g.r.IntN(hi-lo)
		if ok(i) {
			return int32(i)
		}
	}
	start := lo + g.r.IntN(hi-lo)
	for k := range hi - lo {
		i := lo + (start-lo+k)%(hi-lo)
		if ok(i) {
			return int32(i)
		}
	}
	return -1
}

// zoneName returns an availability zone name: "us-east-1a" on AWS,
// "us-central1-a" on GCP.
func zoneName(region string, z uint8) string {
	if !strings.Contains(region, "-") || region[len(region)-2] != '-' {
		return fmt.Sprintf("%s-%c", region, 'a'+z)
	}
	return fmt.Sprintf("%s%c", region, 'a'+z)
}

// stopOrIdle makes VM x stopped for long (the stopped code's share), stopped
// recently (a near miss), or running with an idle (idle code's share) or
// near-idle metric profile. Idle VMs are old enough for a 14-day window.
func (g *cellGen) stopOrIdle(x *Resource, stoppedState string, stopped, idle Code) {
	x.Created = g.ago(1, 900)
	switch g.roll(g.share(stopped), g.near()) {
	case 0:
		x.State, x.Changed = stoppedState, g.ago(31, 300)
		x.Created = g.before(x.Changed, 1, 400)
	case 1:
		x.State, x.Changed, x.Flags = stoppedState, g.ago(1, 20), x.Flags|FlagNearMiss
		x.Created = g.before(x.Changed, 1, 400)
	default:
		switch g.roll(g.share(idle), g.near()) {
		case 0:
			x.Profile = ProfileIdle
			x.Created = min(x.Created, g.ago(15, 30))
		case 1:
			x.Profile, x.Flags = ProfileNearIdle, x.Flags|FlagNearMiss
			x.Created = min(x.Created, g.ago(15, 30))
		}
	}
}
