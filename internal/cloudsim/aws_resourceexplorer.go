package cloudsim

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Resource Explorer 2: every account has an aggregator index and a default
// view in the estate's first AWS region, unless DisableResourceExplorer
// turned it off for the account.

var resourceExplorerHandlers = map[string]awsHandler{
	"ListIndexes":    (*Sim).reListIndexes,
	"GetIndex":       (*Sim).reGetIndex,
	"GetDefaultView": (*Sim).reGetDefaultView,
	"ListViews":      (*Sim).reListViews,
	"ListResources":  (*Sim).reListResources,
	"Search":         (*Sim).reSearch,
}

// DisableResourceExplorer removes the account's Resource Explorer index and
// views, so that inventory must fall back to describe calls.
func (s *Sim) DisableResourceExplorer(accountID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reDisabled == nil {
		s.reDisabled = map[string]bool{}
	}
	s.reDisabled[accountID] = true
}

func (s *Sim) reEnabled(q *awsReq) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.reDisabled[s.accountID(q)]
}

func (s *Sim) aggregatorRegion() string {
	if r := s.estate.Regions(valdrix.AWS); len(r) > 0 {
		return r[0]
	}
	return "us-east-1"
}

func (s *Sim) indexARN(acct, region string) string {
	return fmt.Sprintf("arn:aws:resource-explorer-2:%s:%s:index/%s", region, acct, guid(newRand(acct+region)))
}

func (s *Sim) viewARN(acct string) string {
	return fmt.Sprintf("arn:aws:resource-explorer-2:%s:%s:view/all-resources/%s", s.aggregatorRegion(), acct, guid(newRand(acct+"view")))
}

func (s *Sim) reNoIndex(q *awsReq) error {
	return apiError{404, "ResourceNotFoundException", "Resource Explorer is not turned on in " + q.region + " for account " + s.accountID(q)}
}

func (s *Sim) reListIndexes(q *awsReq) error {
	var in struct {
		Type string `json:"Type"`
	}
	if err := decodeJSON(q, &in); err != nil {
		return err
	}
	var idx []map[string]string
	if s.reEnabled(q) {
		agg := s.aggregatorRegion()
		for _, r := range s.estate.Regions(valdrix.AWS) {
			t := "LOCAL"
			if r == agg {
				t = "AGGREGATOR"
			}
			if in.Type == "" || in.Type == t {
				idx = append(idx, map[string]string{"Arn": s.indexARN(s.accountID(q), r), "Region": r, "Type": t})
			}
		}
	}
	writeJSON(q.w, "application/json", map[string]any{"Indexes": idx})
	return nil
}

func (s *Sim) reGetIndex(q *awsReq) error {
	if !s.reEnabled(q) || !containsStr(s.estate.Regions(valdrix.AWS), q.region) {
		return s.reNoIndex(q)
	}
	t := "LOCAL"
	if q.region == s.aggregatorRegion() {
		t = "AGGREGATOR"
	}
	writeJSON(q.w, "application/json", map[string]any{
		"Arn": s.indexARN(s.accountID(q), q.region), "State": "ACTIVE", "Type": t,
		"CreatedAt": s.estate.Now.AddDate(-1, 0, 0).Format(time.RFC3339), "LastUpdatedAt": s.estate.Now.Format(time.RFC3339),
	})
	return nil
}

func (s *Sim) reGetDefaultView(q *awsReq) error {
	if !s.reEnabled(q) || q.region != s.aggregatorRegion() {
		return s.reNoIndex(q)
	}
	writeJSON(q.w, "application/json", map[string]string{"ViewArn": s.viewARN(s.accountID(q))})
	return nil
}

func (s *Sim) reListViews(q *awsReq) error {
	views := []string{}
	if s.reEnabled(q) && q.region == s.aggregatorRegion() {
		views = append(views, s.viewARN(s.accountID(q)))
	}
	writeJSON(q.w, "application/json", map[string]any{"Views": views})
	return nil
}

// reType returns Resource Explorer's service and resource type of kind k.
func reType(k Kind, sku string) (service, typ string) {
	switch k {
	case AWSInstance:
		return "ec2", "ec2:instance"
	case AWSVolume:
		return "ec2", "ec2:volume"
	case AWSSnapshot:
		return "ec2", "ec2:snapshot"
	case AWSAddress:
		return "ec2", "ec2:elastic-ip"
	case AWSNatGateway:
		return "ec2", "ec2:natgateway"
	case AWSImage:
		return "ec2", "ec2:image"
	case AWSClassicLoadBalancer:
		return "elasticloadbalancing", "elasticloadbalancing:loadbalancer"
	case AWSLoadBalancer:
		if sku == "network" {
			return "elasticloadbalancing", "elasticloadbalancing:loadbalancer/net"
		}
		return "elasticloadbalancing", "elasticloadbalancing:loadbalancer/app"
	case AWSTargetGroup:
		return "elasticloadbalancing", "elasticloadbalancing:targetgroup"
	case AWSDBInstance:
		return "rds", "rds:db"
	case AWSDBSnapshot:
		return "rds", "rds:snapshot"
	case AWSBucket:
		return "s3", "s3:bucket"
	case AWSRepository:
		return "ecr", "ecr:repository"
	case AWSRedshiftCluster:
		return "redshift", "redshift:cluster"
	case AWSSageMakerEndpoint:
		return "sagemaker", "sagemaker:endpoint"
	case AWSFunction:
		return "lambda", "lambda:function"
	case AWSTable:
		return "dynamodb", "dynamodb:table"
	case AWSLogGroup:
		return "logs", "logs:log-group"
	}
	return "", ""
}

type reQuery struct {
	MaxResults int    `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
	ViewArn    string `json:"ViewArn"`
	Filters    *struct {
		FilterString string `json:"FilterString"`
	} `json:"Filters"`
	QueryString string `json:"QueryString"`
}

// reFilter is a parsed filter string: "region:us-east-1 service:ec2
// resourcetype:ec2:volume" (terms AND-ed; the same key OR-ed).
type reFilter map[string][]string

func parseREFilter(s string) (reFilter, error) {
	f := reFilter{}
	for _, term := range strings.Fields(s) {
		k, v, ok := strings.Cut(term, ":")
		if !ok || (k != "region" && k != "service" && k != "resourcetype") {
			return nil, apiError{400, "ValidationException", "The simulator supports only region:, service: and resourcetype: filters, not " + term}
		}
		f[k] = append(f[k], v)
	}
	return f, nil
}

func (f reFilter) match(region, service, typ string) bool {
	ok := func(k, v string) bool { return len(f[k]) == 0 || containsStr(f[k], v) }
	return ok("region", region) && ok("service", service) && ok("resourcetype", typ)
}

// reWalk calls fn for the account's resources that match f, starting at
// position pos (cell position in the account, offset in the cell), until fn
// returns false; it returns the position to resume at, or -1 at the end.
func (s *Sim) reWalk(acct int, f reFilter, posCell, posOff int, fn func(i int) bool) (int, int) {
	e := s.estate
	cells := e.Accounts[acct].Cells
	for ci := posCell; ci < len(cells); ci++ {
		c := &e.Cells[cells[ci]]
		if len(f["region"]) > 0 && !containsStr(f["region"], c.Region) {
			posOff = 0
			continue
		}
		lo, hi := cellRange(c)
		for i := lo + posOff; i < hi; i++ {
			svc, typ := reType(e.Resources[i].Kind, e.Resources[i].SKU)
			if typ == "" || !f.match(c.Region, svc, typ) {
				continue
			}
			if !fn(i) {
				return ci, i - lo
			}
		}
		posOff = 0
	}
	return -1, 0
}

func cellRange(c *Cell) (lo, hi int) {
	lo, hi = -1, -1
	for k := Kind(1); k < numKinds; k++ {
		l, h := c.Span(k)
		if h > l {
			if lo < 0 || l < lo {
				lo = l
			}
			hi = max(hi, h)
		}
	}
	if lo < 0 {
		return 0, 0
	}
	return lo, hi
}

func (s *Sim) reResource(i int) map[string]any {
	e := s.estate
	x := &e.Resources[i]
	svc, typ := reType(x.Kind, x.SKU)
	c := e.CellOfResource(i)
	tags := e.Tags(i)
	data := make([]map[string]string, 0, len(tags))
	for _, k := range sortedKeys(tags) {
		data = append(data, map[string]string{"Key": k, "Value": tags[k]})
	}
	reported := e.Now.Add(-time.Duration(e.hash(i, 9)%3600) * time.Second).Format(time.RFC3339)
	return map[string]any{
		"Arn": e.ARN(i), "LastReportedAt": reported, "OwningAccountId": e.Accounts[c.Account].ID,
		"Region": c.Region, "ResourceType": typ, "Service": svc,
		"Properties": []map[string]any{{"Name": "tags", "LastReportedAt": reported, "Data": data}},
	}
}

// reCheckView validates the view and region of a ListResources or Search.
func (s *Sim) reCheckView(q *awsReq, view string) error {
	if !s.reEnabled(q) || q.region != s.aggregatorRegion() {
		return s.reNoIndex(q)
	}
	if view != "" && view != s.viewARN(s.accountID(q)) {
		return apiError{401, "UnauthorizedException", "The view " + view + " does not exist or you may not use it"}
	}
	return nil
}

// reRequest decodes a ListResources or Search request, checks its view and
// returns its page size.
func (s *Sim) reRequest(q *awsReq) (reQuery, int, error) {
	var in reQuery
	if err := decodeJSON(q, &in); err != nil {
		return in, 0, err
	}
	if err := s.reCheckView(q, in.ViewArn); err != nil {
		return in, 0, err
	}
	size := cmp.Or(in.MaxResults, 1000)
	if size < 1 || size > 1000 {
		return in, 0, apiError{400, "ValidationException", "MaxResults must be between 1 and 1000"}
	}
	return in, size, nil
}

func (s *Sim) reListResources(q *awsReq) error {
	in, size, err := s.reRequest(q)
	if err != nil {
		return err
	}
	var fs string
	if in.Filters != nil {
		fs = in.Filters.FilterString
	}
	f, err := parseREFilter(fs)
	if err != nil {
		return err
	}
	pc, po := 0, 0
	if in.NextToken != "" {
		a, b, ok := strings.Cut(in.NextToken, ".")
		var e1, e2 error
		pc, e1 = strconv.Atoi(a)
		po, e2 = strconv.Atoi(b)
		if !ok || e1 != nil || e2 != nil || pc < 0 || po < 0 {
			return apiError{400, "ValidationException", "The NextToken is invalid."}
		}
	}
	out := make([]map[string]any, 0, min(size, 1000))
	nc, no := s.reWalk(q.sess.account, f, pc, po, func(i int) bool {
		if len(out) == size {
			return false
		}
		out = append(out, s.reResource(i))
		return true
	})
	resp := map[string]any{"Resources": out, "ViewArn": s.viewARN(s.accountID(q))}
	if nc >= 0 {
		resp["NextToken"] = strconv.Itoa(nc) + "." + strconv.Itoa(no)
	}
	writeJSON(q.w, "application/json", resp)
	return nil
}

// reSearch answers at most 1000 results in all, as Search does.
func (s *Sim) reSearch(q *awsReq) error {
	in, size, err := s.reRequest(q)
	if err != nil {
		return err
	}
	f, err := parseREFilter(in.QueryString)
	if err != nil {
		return err
	}
	skip := 0
	if in.NextToken != "" {
		if skip, err = strconv.Atoi(in.NextToken); err != nil || skip < 0 || skip > 1000 {
			return apiError{400, "ValidationException", "The NextToken is invalid."}
		}
	}
	var out []map[string]any
	total, n := 0, 0
	s.reWalk(q.sess.account, f, 0, 0, func(i int) bool {
		total++
		if total > skip && n < size && total <= 1000 {
			out = append(out, s.reResource(i))
			n++
		}
		return total <= 1000
	})
	resp := map[string]any{"Resources": out, "ViewArn": s.viewARN(s.accountID(q)),
		"Count": map[string]any{"Complete": total <= 1000, "TotalResources": min(total, 1000)}}
	if skip+n < min(total, 1000) {
		resp["NextToken"] = strconv.Itoa(skip + n)
	}
	writeJSON(q.w, "application/json", resp)
	return nil
}
