package aws

import (
	"context"
	"slices"
	"strconv"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// maxQueriesPerCall is GetMetricData's limit.
const maxQueriesPerCall = 500

// BudgetAPI is the budget key of CloudWatch GetMetricData calls.
const BudgetAPI = "cloudwatch:GetMetricData"

// QueryMetrics implements cloud.Metrics with batched GetMetricData calls (up
// to 500 queries each) per region, each call first reserved from the
// tenant's daily budget. Throttled, denied, over-budget and empty results
// are unknown, never zero.
func (p *Provider) QueryMetrics(ctx context.Context, conn cloud.Connection, queries []cloud.MetricQuery) ([]cloud.MetricResult, error) {
	if _, err := p.connection(conn); err != nil {
		return nil, err
	}
	results := make([]cloud.MetricResult, len(queries))
	for i, q := range queries {
		results[i] = cloud.Unknown(q.ID, cloud.ReasonFailed, "not queried")
	}
	if len(queries) == 0 {
		return results, nil
	}
	if err := p.assume(ctx, conn); err != nil {
		for i := range results {
			results[i] = unknownFrom(queries[i].ID, err)
		}
		return results, nil
	}
	byRegion := map[string][]int{}
	var regions []string
	for i, q := range queries {
		if _, ok := byRegion[q.Region]; !ok {
			regions = append(regions, q.Region)
		}
		byRegion[q.Region] = append(byRegion[q.Region], i)
	}
	for _, region := range regions {
		idx := byRegion[region]
		client := cloudwatch.NewFromConfig(p.config(conn, region))
		for len(idx) > 0 {
			chunk := idx[:min(maxQueriesPerCall, len(idx))]
			idx = idx[len(chunk):]
			if p.cfg.Budget != nil {
				granted, err := p.cfg.Budget.Reserve(ctx, conn.TenantID, BudgetAPI, 1)
				if err != nil || granted == 0 {
					for _, i := range chunk {
						results[i] = cloud.Unknown(queries[i].ID, cloud.ReasonOverBudget, "the tenant's daily CloudWatch budget is spent")
					}
					continue
				}
			}
			p.getMetricData(ctx, client, queries, chunk, results)
		}
	}
	return results, nil
}

// getMetricData runs one batch (following NextToken pages) and fills results.
func (p *Provider) getMetricData(ctx context.Context, client *cloudwatch.Client, queries []cloud.MetricQuery, chunk []int, results []cloud.MetricResult) {
	in := &cloudwatch.GetMetricDataInput{ScanBy: cwtypes.ScanByTimestampAscending}
	start, end := queries[chunk[0]].Start, queries[chunk[0]].End
	for k, i := range chunk {
		q := queries[i]
		start, end = minTime(start, q.Start), maxTime(end, q.End)
		dims := make([]cwtypes.Dimension, len(q.Dimensions))
		for j, d := range q.Dimensions {
			dims[j] = cwtypes.Dimension{Name: awssdk.String(d.Name), Value: awssdk.String(d.Value)}
		}
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
			Id: awssdk.String("q" + strconv.Itoa(k)),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: awssdk.String(q.Namespace), MetricName: awssdk.String(q.Metric), Dimensions: dims},
				Period: awssdk.Int32(int32(max(q.Period, time.Minute) / time.Second)), Stat: awssdk.String(q.Stat),
			},
			ReturnData: awssdk.Bool(true),
		})
	}
	in.StartTime, in.EndTime = awssdk.Time(start), awssdk.Time(end)
	points := make([][]cloud.MetricPoint, len(chunk))
	pg := cloudwatch.NewGetMetricDataPaginator(client, in)
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			err = translate(err, "cloudwatch:GetMetricData", "read CloudWatch metrics")
			for _, i := range chunk {
				results[i] = unknownFrom(queries[i].ID, err)
			}
			return
		}
		for _, r := range out.MetricDataResults {
			k, perr := strconv.Atoi(awssdk.ToString(r.Id)[1:])
			if perr != nil || k < 0 || k >= len(chunk) {
				continue
			}
			for j := range min(len(r.Timestamps), len(r.Values)) {
				points[k] = append(points[k], cloud.MetricPoint{Time: r.Timestamps[j].UTC(), Value: r.Values[j]})
			}
		}
	}
	for k, i := range chunk {
		q := queries[i]
		var pts []cloud.MetricPoint
		for _, pt := range points[k] {
			if !pt.Time.Before(q.Start) && pt.Time.Before(q.End) {
				pts = append(pts, pt)
			}
		}
		slices.SortFunc(pts, func(a, b cloud.MetricPoint) int { return a.Time.Compare(b.Time) })
		if len(pts) == 0 {
			results[i] = cloud.Unknown(q.ID, cloud.ReasonNoData, "CloudWatch has no datapoints for this metric in the window")
			continue
		}
		results[i] = cloud.MetricResult{ID: q.ID, Status: cloud.MetricOK, Points: pts}
	}
}

// unknownFrom turns an error into an unknown result with the right reason.
func unknownFrom(id string, err error) cloud.MetricResult {
	switch valdrix.ErrorCode(err) {
	case valdrix.EFORBIDDEN, valdrix.EUNAUTHORIZED:
		return cloud.Unknown(id, cloud.ReasonDenied, valdrix.ErrorMessage(err))
	case valdrix.EUNAVAILABLE:
		return cloud.Unknown(id, cloud.ReasonThrottled, valdrix.ErrorMessage(err))
	}
	return cloud.Unknown(id, cloud.ReasonFailed, valdrix.ErrorMessage(err))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
