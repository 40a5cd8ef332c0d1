package cloudsim

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func startSim(t *testing.T) *Sim {
	t.Helper()
	s, err := New(Config{EstateConfig: EstateConfig{Seed: 1, Resources: 300, Mix: map[valdrix.Provider]float64{valdrix.AWS: 1}}})
	require.NoError(t, err)
	require.Empty(t, s.Endpoints().AWS, "no endpoint before Start")
	require.NoError(t, s.Start(t.Context()))
	require.Error(t, s.Start(t.Context()), "Start twice")
	t.Cleanup(func() { require.NoError(t, s.Close()); require.NoError(t, s.Close()) })
	return s
}

func post(t *testing.T, s *Sim, auth, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.Endpoints().AWS+"/", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != "" {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+auth+", SignedHeaders=host, Signature=0")
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestSimAuthentication(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	ak, _ := s.PlatformCredentials()
	acct := s.Estate().Accounts[s.Estate().AccountsOf(valdrix.AWS)[0]].ID
	tests := []struct {
		name, auth, body string
		status           int
		contains         string
	}{
		{name: "no authorization", body: "Action=DescribeVolumes&Version=2016-11-15", status: 403, contains: "MissingAuthenticationToken"},
		{name: "unknown key", auth: "AKIAUNKNOWN/20261101/us-east-1/ec2/aws4_request", body: "Action=DescribeVolumes&Version=2016-11-15", status: 403, contains: "AuthFailure"},
		{name: "platform key outside sts", auth: ak + "/20261101/us-east-1/ec2/aws4_request", body: "Action=DescribeVolumes&Version=2016-11-15", status: 403, contains: "AccessDenied"},
		{name: "untrusted role", auth: ak + "/20261101/us-east-1/sts/aws4_request",
			body: "Action=AssumeRole&Version=2011-06-15&RoleSessionName=x&ExternalId=e1&RoleArn=" + RoleARN(acct), status: 403, contains: "not authorized to perform: sts:AssumeRole"},
		{name: "caller identity", auth: ak + "/20261101/us-east-1/sts/aws4_request", body: "Action=GetCallerIdentity&Version=2011-06-15", status: 200, contains: "<Account>" + platformAccount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := post(t, s, tt.auth, tt.body)
			require.Equal(t, tt.status, status, body)
			require.Contains(t, body, tt.contains)
		})
	}
}

func TestSimTrustRole(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	ak, _ := s.PlatformCredentials()
	acct := s.Estate().Accounts[s.Estate().AccountsOf(valdrix.AWS)[0]].ID
	s.TrustRole(RoleARN(acct), "e1")
	status, body := post(t, s, ak+"/20261101/us-east-1/sts/aws4_request", "Action=AssumeRole&Version=2011-06-15&RoleSessionName=x&ExternalId=wrong&RoleArn="+RoleARN(acct))
	require.Equal(t, 403, status, "the external id must match")
	require.Contains(t, body, "AccessDenied")
	status, body = post(t, s, ak+"/20261101/us-east-1/sts/aws4_request", "Action=AssumeRole&Version=2011-06-15&RoleSessionName=x&ExternalId=e1&RoleArn="+RoleARN(acct))
	require.Equal(t, 200, status, body)
	require.Contains(t, body, "<AccessKeyId>ASIA")
	require.Equal(t, 1, s.AssumeRoleCount())
}

func TestFaultMatching(t *testing.T) {
	t.Parallel()
	f := newFaults()
	a := f.Add(Fault{Kind: FaultThrottle, Service: "ec2", Operation: "DescribeVolumes", Times: 2})
	b := f.Add(Fault{Kind: FaultDeny, Region: "eu-west-1"})
	tests := []struct {
		name                string
		service, region, op string
		want                FaultKind
		ok                  bool
	}{
		{name: "first match", service: "ec2", region: "us-east-1", op: "DescribeVolumes", want: FaultThrottle, ok: true},
		{name: "other op", service: "ec2", region: "us-east-1", op: "DescribeInstances"},
		{name: "region fault", service: "rds", region: "eu-west-1", op: "DescribeDBInstances", want: FaultDeny, ok: true},
	}
	for _, tt := range tests {
		got, ok := f.match(tt.service, tt.region, tt.op, "1")
		require.Equal(t, tt.ok, ok, tt.name)
		require.Equal(t, tt.want, got.Kind, tt.name)
	}
	_, ok := f.match("ec2", "us-east-1", "DescribeVolumes", "1")
	require.True(t, ok, "second of two")
	_, ok = f.match("ec2", "us-east-1", "DescribeVolumes", "1")
	require.False(t, ok, "Times is used up")
	require.Equal(t, 2, f.Hits(a))
	f.Remove(b)
	_, ok = f.match("rds", "eu-west-1", "X", "1")
	require.False(t, ok)
	f.Add(Fault{Kind: FaultDown})
	f.Clear()
	_, ok = f.match("rds", "eu-west-1", "X", "1")
	require.False(t, ok)
}

func TestPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		token    string
		size, n  int
		from, to int
		next     string
		err      bool
	}{
		{name: "first", size: 10, n: 25, from: 0, to: 10, next: "10"},
		{name: "middle", token: "10", size: 10, n: 25, from: 10, to: 20, next: "20"},
		{name: "last", token: "20", size: 10, n: 25, from: 20, to: 25},
		{name: "empty", size: 10, n: 0},
		{name: "bad token", token: "x", size: 10, n: 5, err: true},
		{name: "token past end", token: "9", size: 10, n: 5, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			from, to, next, err := page(tt.token, tt.size, tt.n)
			if tt.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, []any{tt.from, tt.to, tt.next}, []any{from, to, next})
		})
	}
}
