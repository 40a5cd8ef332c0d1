package cloudtest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type bundle struct {
	fake *Fake
	conn cloud.Connection
	want []cloud.Resource
}

func setup(t *testing.T) bundle {
	t.Helper()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(valdrix.AWS, valdrix.ClockFunc(func() time.Time { return now }))
	f.BatchSize = 2
	conn := cloud.Connection{ID: "c1", TenantID: "t1", Provider: valdrix.AWS, Name: "prod"}
	want := []cloud.Resource{
		{Provider: valdrix.AWS, AccountID: "111111111111", Region: "us-east-1", Type: "aws.ec2.instance", ID: "i-1", BillingID: "i-1"},
		{Provider: valdrix.AWS, AccountID: "111111111111", Region: "us-east-1", Type: "aws.ec2.volume", ID: "vol-1", BillingID: "vol-1"},
		{Provider: valdrix.AWS, AccountID: "111111111111", Region: "eu-west-1", Type: "aws.ec2.volume", ID: "vol-2", BillingID: "vol-2"},
		{Provider: valdrix.AWS, AccountID: "111111111111", Region: "eu-west-1", Type: "aws.rds.db_instance", ID: "arn:aws:rds:eu-west-1:111111111111:db:a", BillingID: "arn:aws:rds:eu-west-1:111111111111:db:a"},
	}
	f.AddResources(conn.ID, want...)
	return bundle{fake: f, conn: conn, want: want}
}

func TestFakeExercise(t *testing.T) {
	t.Parallel()
	b := setup(t)
	denied := b.conn
	denied.ID = "c2"
	b.fake.Deny("c2")
	q := cloud.MetricQuery{ID: "q1", Region: "us-east-1", Namespace: "AWS/EC2", Metric: "CPUUtilization", Stat: "Average",
		Dimensions: []cloud.Dimension{{Name: "InstanceId", Value: "i-1"}}, Period: time.Hour,
		Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	b.fake.AddMetric(q, cloud.MetricPoint{Time: q.Start.Add(time.Hour), Value: 1.5})
	q2 := q
	q2.ID = "q2"
	q2.Dimensions = []cloud.Dimension{{Name: "InstanceId", Value: "i-none"}}
	b.fake.AddBillingPeriod(b.conn.ID, cloud.BillingPeriod{Period: valdrix.NewMonth(2026, 10), Format: cloud.FormatCUR2},
		[]byte(`{}`), map[string][]byte{"part-0.parquet": []byte("PAR1")})
	Exercise(t, Subject{
		Provider: valdrix.AWS, Inventory: b.fake, Tester: b.fake, Metrics: b.fake, CostSource: b.fake,
		Conn: b.conn, DeniedConn: denied, Want: b.want, MetricQueries: []cloud.MetricQuery{q, q2},
	})
}

func TestFakeFailureInjection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.FailService("eu-west-1", "rds", valdrix.Errorf(valdrix.EFORBIDDEN, "access denied"))
	got, rep, err := Collect(t.Context(), b.fake, b.conn, cloud.DiscoverOpts{})
	require.NoError(t, err)
	require.False(t, rep.Complete, "a partial scan is never complete")
	require.Len(t, got, 3)
	failed := rep.Failed()
	require.Len(t, failed, 1)
	require.Equal(t, valdrix.EFORBIDDEN, failed[0].Code)

	b.fake.DiscoverFunc = func(context.Context, cloud.Connection, cloud.DiscoverOpts, cloud.Sink) (cloud.DiscoveryReport, error) {
		return cloud.DiscoveryReport{}, valdrix.Errorf(valdrix.EUNAVAILABLE, "down")
	}
	_, _, err = Collect(t.Context(), b.fake, b.conn, cloud.DiscoverOpts{})
	require.Equal(t, valdrix.EUNAVAILABLE, valdrix.ErrorCode(err))
}

func TestServiceOf(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, typ, want string }{
		{name: "aws", typ: "aws.ec2.volume", want: "ec2"},
		{name: "azure", typ: "azure.compute.disk", want: "compute"},
		{name: "bare", typ: "weird", want: "weird"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, ServiceOf(tt.typ))
		})
	}
}
