package cloudsim

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// objectStore holds the S3 objects of the simulator (the billing export
// buckets) in gofakes3; the estate's own buckets are listed but hold no
// objects.
type objectStore struct {
	backend *s3mem.Backend
	handler http.Handler

	mu     sync.Mutex
	owners map[string]string // bucket → AWS account id
}

func newObjectStore() *objectStore {
	b := s3mem.New()
	g := gofakes3.New(b, gofakes3.WithTimeSkewLimit(0), gofakes3.WithoutVersioning())
	return &objectStore{backend: b, handler: g.Server(), owners: map[string]string{}}
}

// CreateBucket creates an object bucket owned by an estate AWS account.
func (s *Sim) CreateBucket(accountID, bucket string) error {
	if _, ok := s.estate.Account(valdrix.AWS, accountID); !ok {
		return fmt.Errorf("cloudsim: no AWS account %s in the estate", accountID)
	}
	s.objects.mu.Lock()
	defer s.objects.mu.Unlock()
	if owner, ok := s.objects.owners[bucket]; ok {
		if owner != accountID {
			return fmt.Errorf("cloudsim: bucket %s belongs to account %s", bucket, owner)
		}
		return nil
	}
	if err := s.objects.backend.CreateBucket(bucket); err != nil {
		return fmt.Errorf("cloudsim: create bucket %s: %w", bucket, err)
	}
	s.objects.owners[bucket] = accountID
	return nil
}

// PutObject stores an object in a bucket made with CreateBucket.
func (s *Sim) PutObject(bucket, key string, data []byte) error {
	_, err := s.objects.backend.PutObject(bucket, key, map[string]string{"Content-Type": "application/octet-stream"},
		bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		return fmt.Errorf("cloudsim: put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// s3Operation names an S3 request (path-style addressing).
func s3Operation(r *http.Request) string {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	qs := r.URL.Query()
	switch {
	case bucket == "" && r.Method == http.MethodGet:
		return "ListBuckets"
	case key == "" && r.Method == http.MethodGet && qs.Has("location"):
		return "GetBucketLocation"
	case key == "" && r.Method == http.MethodGet && qs.Get("list-type") == "2":
		return "ListObjectsV2"
	case key == "" && r.Method == http.MethodGet:
		return "ListObjects"
	case key == "" && r.Method == http.MethodHead:
		return "HeadBucket"
	case r.Method == http.MethodGet:
		return "GetObject"
	case r.Method == http.MethodHead:
		return "HeadObject"
	case r.Method == http.MethodPut:
		return "PutObject"
	case r.Method == http.MethodDelete:
		return "DeleteObject"
	}
	return r.Method
}

// s3Handler answers ListBuckets from the estate and passes object requests
// to gofakes3 after checking the bucket belongs to the caller's account.
func s3Handler(s *Sim, q *awsReq) error {
	if q.op == "ListBuckets" {
		return s.s3ListBuckets(q)
	}
	bucket, _, _ := strings.Cut(strings.TrimPrefix(q.r.URL.Path, "/"), "/")
	s.objects.mu.Lock()
	owner, ok := s.objects.owners[bucket]
	s.objects.mu.Unlock()
	switch {
	case !ok:
		return apiError{404, "NoSuchBucket", "The specified bucket does not exist"}
	case owner != s.accountID(q):
		return apiError{403, "AccessDenied", "Access Denied"}
	case q.op == "PutObject" || q.op == "DeleteObject":
		return apiError{403, "AccessDenied", "User is not authorized to perform: s3:" + q.op + " (the export bucket is read-only for Valdrix)"}
	}
	q.r.Body = io.NopCloser(bytes.NewReader(q.body))
	s.objects.handler.ServeHTTP(q.w, q.r)
	return nil
}

func (s *Sim) s3ListBuckets(q *awsReq) error {
	e := s.estate
	acct := q.sess.account
	size := 10000
	if v := q.r.URL.Query().Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return apiError{400, "InvalidArgument", "max-buckets must be between 1 and 10000"}
		}
		size = n
	}
	type bucket struct {
		name, region string
		created      int64
	}
	var all []bucket
	for _, ci := range e.Accounts[acct].Cells {
		lo, hi := e.Cells[ci].Span(AWSBucket)
		for i := lo; i < hi; i++ {
			all = append(all, bucket{e.Resources[i].Name, e.Cells[ci].Region, e.Resources[i].Created})
		}
	}
	s.objects.mu.Lock()
	for name, owner := range s.objects.owners {
		if owner == e.Accounts[acct].ID {
			all = append(all, bucket{name, s.aggregatorRegion(), e.Now.AddDate(-1, 0, 0).Unix()})
		}
	}
	s.objects.mu.Unlock()
	from, to, next, err := page(q.r.URL.Query().Get("continuation-token"), size, len(all))
	if err != nil {
		return apiError{400, "InvalidArgument", "The continuation token is invalid."}
	}
	var b xw
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	b.open("Owner")
	b.leaf("ID", hexID(newRand(e.Accounts[acct].ID), 64))
	b.close("Owner")
	b.open("Buckets")
	for _, bk := range all[from:to] {
		b.open("Bucket")
		b.leaf("Name", bk.name)
		b.time("CreationDate", bk.created)
		b.leaf("BucketRegion", bk.region)
		b.close("Bucket")
	}
	b.close("Buckets")
	b.opt("ContinuationToken", next)
	b.close("ListAllMyBucketsResult")
	writeBody(q.w, "application/xml", http.StatusOK, b.Bytes())
	return nil
}
