package cloudsim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

var (
	ec2CurrentTypes = []string{"t3.micro", "t3.medium", "t3.large", "m5.large", "m5.xlarge", "m5.2xlarge", "m6i.large", "m6i.xlarge", "m7g.large", "c5.large", "c5.xlarge", "c6g.large", "r5.large", "r5.xlarge", "r6g.large", "g4dn.xlarge"}
	ec2PrevGenTypes = []string{"t2.micro", "t2.medium", "m4.large", "m4.xlarge", "c4.large", "r4.large", "m3.medium"}
	rdsClasses      = []string{"db.t3.micro", "db.t3.medium", "db.m5.large", "db.m5.xlarge", "db.r5.large", "db.m6g.large"}
	rdsCurrent      = []string{"mysql|8.0.39", "postgres|16.4", "postgres|15.8", "mysql|8.4.3"}
	rdsExtended     = []string{"mysql|5.7.44", "postgres|11.22", "postgres|12.20"}
	redshiftTypes   = []string{"dc2.large", "ra3.xlplus", "ra3.4xlarge"}
	sagemakerTypes  = []string{"ml.m5.large", "ml.c5.xlarge", "ml.g4dn.xlarge"}
	lambdaRuntimes  = []string{"python3.12", "nodejs20.x", "java21", "provided.al2023", "python3.11", "nodejs18.x"}
	publicAMIs      = []string{"ami-0c02fb55956c7d316", "ami-0a3c3a20c09d6f377", "ami-053b0d53c279acc90"}
)

// aws generates an AWS cell of n resources.
func (g *cellGen) aws(n int) {
	ks, ws := g.kindWeights(valdrix.AWS)
	g.reserve(ks, allocate(n, ws))
	acct := g.acct().ID
	region := g.c.Region
	arn := func(svc, rest string) string { return "arn:aws:" + svc + ":" + region + ":" + acct + ":" + rest }

	// Instances.
	ilo, ihi := g.span(AWSInstance)
	for i := ilo; i < ihi; i++ {
		x := g.res(i)
		x.ID, x.Name, x.Zone, x.State = "i-"+hexID(g.r, 17), g.name(), g.zone(), "running"
		g.stopOrIdle(x, "stopped", A13, A11)
		if g.r.Float64() < g.share(A14) {
			x.SKU = pick(g.r, ec2PrevGenTypes)
		} else {
			x.SKU = pick(g.r, ec2CurrentTypes)
		}
	}
	running := func(i int) bool { return g.e.Resources[i].State == "running" }

	// Images: the first ones are used by instances, the rest are not.
	alo, ahi := g.span(AWSImage)
	var used []int32
	for i := alo; i < ahi; i++ {
		x := g.res(i)
		x.ID, x.Name, x.State = "ami-"+hexID(g.r, 17), g.name()+"-image", "available"
		x.Created = g.ago(8, 700)
		x.Extra = "x86_64"
		if g.r.Float64() >= g.share(A10) {
			used = append(used, int32(i))
		}
	}
	for j, i := 0, ilo; i < ihi; i, j = i+1, j+1 {
		x := g.res(i)
		switch {
		case j < len(used):
			x.Ref2 = used[j]
		case len(used) > 0 && g.r.IntN(2) == 0:
			x.Ref2 = used[g.r.IntN(len(used))]
		}
		if x.Ref2 >= 0 && g.e.Resources[x.Ref2].Created > x.Created {
			g.e.Resources[x.Ref2].Created = g.before(x.Created, 1, 30)
		}
	}

	// Volumes: a root volume per instance, then data volumes; some unattached.
	vlo, vhi := g.span(AWSVolume)
	next := ilo
	for i := vlo; i < vhi; i++ {
		x := g.res(i)
		x.ID, x.Name, x.Zone = "vol-"+hexID(g.r, 17), g.name()+"-vol", g.zone()
		x.Created, x.State = g.ago(1, 900), "in-use"
		if g.r.Float64() < 0.3 {
			x.Flags |= FlagEncrypted
		}
		if g.r.Float64() < g.share(A4) || ihi == ilo {
			x.State, x.Changed = "available", g.ago(2, 200)
			x.Created = g.before(x.Changed, 1, 300)
		} else {
			if next < ihi {
				x.Ref = int32(next)
				next++
			} else {
				x.Ref = g.pickIn(ilo, ihi)
			}
			inst := g.res(int(x.Ref))
			x.Zone, x.Created = inst.Zone, inst.Created
		}
		switch {
		case g.r.Float64() < g.share(A7):
			x.SKU = pick(g.r, []string{"gp2", "gp2", "gp2", "io1"})
		case g.r.IntN(10) == 0:
			x.SKU = pick(g.r, []string{"io2", "st1", "sc1"})
		default:
			x.SKU = "gp3"
		}
		x.Size = int32(pick(g.r, []int{8, 20, 30, 50, 100, 200, 500, 1000}))
		switch x.SKU {
		case "io1", "io2":
			x.Size2 = int32(1000 * (1 + g.r.IntN(16)))
		case "gp3":
			x.Size2 = 3000
		case "gp2":
			x.Size2 = max(100, 3*x.Size)
		case "st1", "sc1":
			x.Size = max(x.Size, 125)
		}
	}

	// Snapshots: the first back the images, the rest are backups.
	slo, shi := g.span(AWSSnapshot)
	for i := slo; i < shi; i++ {
		x := g.res(i)
		x.ID, x.State = "snap-"+hexID(g.r, 17), "completed"
		img := alo + (i - slo)
		if img < ahi {
			im := g.res(img)
			x.Ref2, im.Ref = int32(img), int32(i)
			x.Created = im.Created
			x.Extra = "Created by CreateImage for " + im.ID
		} else {
			switch g.roll(g.share(A9), g.near()) {
			case 0:
				x.Created = g.ago(91, 800)
			case 1:
				x.Created, x.Flags = g.ago(60, 88), x.Flags|FlagNearMiss
			default:
				x.Created = g.ago(1, 85)
			}
			x.Extra = "backup " + g.env
		}
		if vhi > vlo && g.r.IntN(10) < 7 {
			x.Ref = g.pickIn(vlo, vhi)
			x.Size = g.res(int(x.Ref)).Size
		} else {
			x.Flags |= FlagOrphan
			x.Size = int32(pick(g.r, []int{8, 30, 100, 500}))
		}
		x.Name = g.name() + "-snap"
	}

	// Elastic IPs.
	hasEIP := map[int32]bool{}
	elo, ehi := g.span(AWSAddress)
	for i := elo; i < ehi; i++ {
		x := g.res(i)
		x.ID, x.Name, x.State = "eipalloc-"+hexID(g.r, 17), g.name()+"-eip", "allocated"
		x.Extra = fmt.Sprintf("%d.%d.%d.%d", pick(g.r, []int{3, 18, 34, 44, 52, 54}), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
		x.Created = g.ago(1, 800)
		if g.r.Float64() >= g.share(A1) {
			x.Ref = g.pickWhere(ilo, ihi, func(i int) bool { return running(i) && !hasEIP[int32(i)] })
			if x.Ref >= 0 {
				hasEIP[x.Ref] = true
				x.State = "associated"
			}
		}
	}

	// NAT gateways.
	nlo, nhi := g.span(AWSNatGateway)
	for i := nlo; i < nhi; i++ {
		x := g.res(i)
		x.ID, x.Name, x.State, x.Zone = "nat-"+hexID(g.r, 17), g.name()+"-nat", "available", g.zone()
		x.Created = g.ago(35, 900)
		switch g.roll(g.share(A2), g.near()) {
		case 0:
			x.Profile = ProfileZero
		case 1:
			x.Profile, x.Flags = ProfileNearIdle, x.Flags|FlagNearMiss
		}
		x.Extra = fmt.Sprintf("%d.%d.%d.%d", pick(g.r, []int{3, 18, 52}), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	}

	// Classic load balancers.
	clo, chi := g.span(AWSClassicLoadBalancer)
	for i := clo; i < chi; i++ {
		x := g.res(i)
		x.Name = trim(strings.ReplaceAll(g.name(), ".", "-"), 32)
		x.ID, x.State, x.Created = x.Name, "active", g.ago(30, 1200)
		if g.r.Float64() >= g.share(A3) {
			g.linkInstances(i, ilo, ihi, running)
		}
	}

	// Application and network load balancers, and target groups.
	blo, bhi := g.span(AWSLoadBalancer)
	empty := map[int]bool{}
	for i := blo; i < bhi; i++ {
		x := g.res(i)
		x.Name = trim(g.name(), 32)
		x.SKU = pick(g.r, []string{"application", "application", "application", "network"})
		x.State, x.Created = "active", g.ago(30, 1000)
		short := "app"
		if x.SKU == "network" {
			short = "net"
		}
		x.ID = arn("elasticloadbalancing", "loadbalancer/"+short+"/"+x.Name+"/"+hexID(g.r, 16))
		empty[i] = g.r.Float64() < g.share(A3)
	}
	tlo, thi := g.span(AWSTargetGroup)
	nextLB := blo
	for i := tlo; i < thi; i++ {
		x := g.res(i)
		x.Name = trim(g.name()+"-tg", 32)
		x.ID = arn("elasticloadbalancing", "targetgroup/"+x.Name+"/"+hexID(g.r, 16))
		x.State, x.Created = "active", g.ago(30, 1000)
		x.Size2 = int32(pick(g.r, []int{80, 443, 8080}))
		for nextLB < bhi && empty[nextLB] {
			nextLB++
		}
		switch {
		case nextLB < bhi:
			x.Ref = int32(nextLB)
			nextLB++
		case g.r.IntN(10) == 0 || bhi == blo:
			// A target group no load balancer uses.
		default:
			x.Ref = g.pickIn(blo, bhi)
		}
		if x.Ref >= 0 && !empty[int(x.Ref)] {
			g.linkInstances(i, ilo, ihi, running)
		}
	}

	// RDS.
	dlo, dhi := g.span(AWSDBInstance)
	for i := dlo; i < dhi; i++ {
		x := g.res(i)
		x.Name = trim(strings.ReplaceAll(g.name(), ".", "-"), 63)
		x.ID = arn("rds", "db:"+x.Name)
		x.State, x.Zone = "available", g.zone()
		x.SKU = pick(g.r, rdsClasses)
		x.Size = int32(pick(g.r, []int{20, 100, 200, 500, 1000}))
		if g.r.Float64() < g.share(A19) {
			x.Extra = pick(g.r, rdsExtended)
		} else {
			x.Extra = pick(g.r, rdsCurrent)
		}
		switch g.roll(g.share(A16), g.near()) {
		case 0:
			x.Profile = ProfileIdle
		case 1:
			x.Profile, x.Flags = ProfileNearIdle, x.Flags|FlagNearMiss
		}
		g.ageOrReserve(x, A21)
		if x.Profile != ProfileBusy {
			// Idle and near-idle databases are old enough for the 7-day
			// connections window, as idle VMs are for their 14 days.
			x.Created = min(x.Created, g.ago(8, 30))
		}
	}
	rlo, rhi := g.span(AWSDBSnapshot)
	for i := rlo; i < rhi; i++ {
		x := g.res(i)
		x.State, x.Extra = "available", "manual"
		x.Name = trim(g.name()+"-final", 63)
		x.ID = arn("rds", "snapshot:"+x.Name)
		switch g.roll(g.share(A18), g.near()) {
		case 0:
			x.Flags |= FlagOrphan
			x.Created = g.ago(31, 400)
		case 1:
			x.Flags |= FlagOrphan | FlagNearMiss
			x.Created = g.ago(2, 25)
		default:
			x.Ref = g.pickIn(dlo, dhi)
			x.Created = g.ago(1, 400)
			if x.Ref < 0 {
				x.Flags |= FlagOrphan
				x.Created = g.ago(1, 25)
			}
		}
		x.Size = int32(pick(g.r, []int{20, 100, 200, 500}))
		if x.Ref >= 0 {
			x.Size = g.res(int(x.Ref)).Size
		}
	}

	// S3 buckets.
	for i := range g.rangeOf(AWSBucket) {
		x := g.res(i)
		x.Name = trim(fmt.Sprintf("%s-%s-%s-%s-%s", g.e.Config.Company, pick(g.r, apps), g.env, region, hexID(g.r, 6)), 63)
		x.ID, x.State, x.Created = x.Name, "active", g.ago(1, 2000)
		x.Size = int32(1 + g.r.IntN(5000)) // GiB stored
	}
	// ECR repositories.
	for i := range g.rangeOf(AWSRepository) {
		x := g.res(i)
		x.Name = fmt.Sprintf("%s/%s-%d", pick(g.r, apps), pick(g.r, roles), i%1000)
		x.ID, x.State, x.Created = arn("ecr", "repository/"+x.Name), "active", g.ago(1, 1500)
		x.Size = int32(1 + g.r.IntN(200)) // GiB of images
		if g.r.Float64() >= g.share(A27) {
			x.Flags |= FlagLifecycle
		}
	}
	// Redshift.
	for i := range g.rangeOf(AWSRedshiftCluster) {
		x := g.res(i)
		x.Name = trim(g.name()+"-dw", 63)
		x.ID, x.State = arn("redshift", "cluster:"+x.Name), "available"
		x.SKU, x.Size2 = pick(g.r, redshiftTypes), int32(1+g.r.IntN(4))
		g.ageOrReserve(x, A21)
	}
	// SageMaker endpoints.
	for i := range g.rangeOf(AWSSageMakerEndpoint) {
		x := g.res(i)
		x.Name = trim(g.name()+"-endpoint", 63)
		x.ID, x.State, x.Created = arn("sagemaker", "endpoint/"+strings.ToLower(x.Name)), "InService", g.ago(1, 600)
		x.SKU, x.Size2 = pick(g.r, sagemakerTypes), 1
	}
	// Lambda functions.
	for i := range g.rangeOf(AWSFunction) {
		x := g.res(i)
		x.Name = trim(g.name()+"-fn", 64)
		x.ID, x.State, x.Created = arn("lambda", "function:"+x.Name), "Active", g.ago(1, 1200)
		x.Extra = pick(g.r, lambdaRuntimes)
		x.Size2 = int32(pick(g.r, []int{128, 256, 512, 1024, 2048, 3008}))
		x.Size = int32(1 + g.r.IntN(50000)) // code size, KiB
	}
	// DynamoDB tables.
	for i := range g.rangeOf(AWSTable) {
		x := g.res(i)
		x.Name = trim(g.name()+"-table", 255)
		x.ID, x.State, x.Created = arn("dynamodb", "table/"+x.Name), "ACTIVE", g.ago(1, 1500)
		x.SKU = pick(g.r, []string{"PAY_PER_REQUEST", "PAY_PER_REQUEST", "PROVISIONED"})
		x.Size = int32(g.r.IntN(100000)) // MiB
		if x.SKU == "PROVISIONED" {
			x.Size2 = int32(pick(g.r, []int{5, 25, 100, 500}))
		}
	}
	// CloudWatch log groups.
	for i := range g.rangeOf(AWSLogGroup) {
		x := g.res(i)
		x.Name = "/aws/" + pick(g.r, []string{"lambda", "ecs", "rds", "apigateway", "eks"}) + "/" + g.name()
		x.ID, x.State, x.Created = arn("logs", "log-group:"+x.Name), "active", g.ago(1, 1500)
		x.Size = int32(1 + g.r.IntN(500000)) // MiB stored
		if g.r.Float64() >= g.share(A26) {
			x.Flags |= FlagRetention
			x.Size2 = int32(pick(g.r, []int{7, 14, 30, 90, 365, 3653}))
		}
	}
}

// rangeOf returns the indices of the cell's resources of kind k as a
// sequence for range-over-func.
func (g *cellGen) rangeOf(k Kind) func(func(int) bool) {
	lo, hi := g.span(k)
	return func(yield func(int) bool) {
		for i := lo; i < hi; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

// ageOrReserve makes x an old on-demand resource (the given waste), or a
// young one, or an old one covered by a reservation.
func (g *cellGen) ageOrReserve(x *Resource, c Code) {
	switch {
	case g.r.Float64() < g.share(c):
		x.Created = g.ago(91, 1200)
	case g.r.IntN(2) == 0:
		x.Created = g.ago(5, 85)
	default:
		x.Created = g.ago(91, 1200)
		x.Flags |= FlagReserved
	}
}

// linkInstances registers 1–4 instances (that pass ok) with resource i.
func (g *cellGen) linkInstances(i, ilo, ihi int, ok func(int) bool) {
	n := 1 + g.r.IntN(4)
	for range n {
		t := g.pickWhere(ilo, ihi, ok)
		if t < 0 {
			return
		}
		if !slices.Contains(g.e.links[int32(i)], t) {
			g.e.links[int32(i)] = append(g.e.links[int32(i)], t)
		}
	}
}

func trim(s string, n int) string {
	if len(s) > n {
		return strings.TrimRight(s[:n], "-.")
	}
	return s
}
