package cloudsim

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// azureStore is a storage account's blob service.
type azureStore struct {
	subscription string
	containers   map[string]*azureContainer
}

type azureContainer struct {
	created time.Time
	blobs   map[string]*azureBlob
}

type azureBlob struct {
	data        []byte
	created     time.Time
	modified    time.Time
	etag        string
	contentType string
}

// CreateAzureStorage creates a storage account (in subscription, an estate
// subscription id) and a container in it; it is idempotent.
func (s *Sim) CreateAzureStorage(subscription, account, container string) error {
	if _, ok := s.estate.azureAccountOfSub(subscription); !ok {
		return fmt.Errorf("cloudsim: no Azure subscription %s in the estate", subscription)
	}
	switch account {
	case "", "subscriptions", "providers":
		return fmt.Errorf("cloudsim: storage account name %q is reserved", account)
	}
	a := s.azure
	a.mu.Lock()
	defer a.mu.Unlock()
	st, ok := a.accounts[account]
	if !ok {
		st = &azureStore{subscription: strings.ToLower(subscription), containers: map[string]*azureContainer{}}
		a.accounts[account] = st
	}
	if _, ok := st.containers[container]; !ok {
		st.containers[container] = &azureContainer{created: s.clock.Now(), blobs: map[string]*azureBlob{}}
	}
	return nil
}

// PutAzureBlob stores a blob in a container made with CreateAzureStorage.
func (s *Sim) PutAzureBlob(account, container, name, contentType string, data []byte) error {
	a := s.azure
	a.mu.Lock()
	defer a.mu.Unlock()
	st, ok := a.accounts[account]
	if !ok {
		return fmt.Errorf("cloudsim: no storage account %s", account)
	}
	c, ok := st.containers[container]
	if !ok {
		return fmt.Errorf("cloudsim: no container %s in storage account %s", container, account)
	}
	now := s.clock.Now().UTC()
	b := &azureBlob{data: data, created: now, modified: now, contentType: contentType}
	if old, ok := c.blobs[name]; ok {
		b.created = old.created
	}
	b.etag = fmt.Sprintf("\"0x8D%013X\"", splitmix(uint64(now.UnixNano())^uint64(len(data))^uint64(len(name)))>>12)
	c.blobs[name] = b
	return nil
}

func writeBlobError(w http.ResponseWriter, status int, code, msg string) {
	body := `<?xml version="1.0" encoding="utf-8"?><Error><Code>` + code + `</Code><Message>` + xmlEscape(msg) +
		"\nRequestId:" + requestID + "\nTime:2026-01-01T00:00:00.0000000Z</Message></Error>"
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-ms-error-code", code)
	w.Header().Set("x-ms-request-id", requestID)
	w.Header().Set("x-ms-version", "2025-01-05")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func xmlEscape(s string) string {
	var b xw
	b.leaf("x", s)
	out := b.String()
	return out[3 : len(out)-4]
}

// blobOperation names a blob request.
func blobOperation(r *http.Request, container, blob string) string {
	qs := r.URL.Query()
	switch {
	case container == "" && qs.Get("comp") == "list":
		return "ListContainers"
	case blob == "" && qs.Get("comp") == "list":
		return "ListBlobs"
	case blob == "" && r.Method == http.MethodPut:
		return "CreateContainer"
	case blob == "":
		return "GetContainerProperties"
	case r.Method == http.MethodHead:
		return "GetBlobProperties"
	case r.Method == http.MethodGet:
		return "GetBlob"
	case r.Method == http.MethodPut:
		return "PutBlob"
	}
	return r.Method + "Blob"
}

// serveBlob answers the Blob service calls azblob makes to list
// containers and blobs and to read and write block blobs.
func (a *azureServer) serveBlob(q *azureReq) {
	account := q.parts[0]
	container, blob := "", ""
	if len(q.parts) > 1 {
		container = q.parts[1]
	}
	if len(q.parts) > 2 {
		blob = strings.Join(q.parts[2:], "/")
	}
	op := blobOperation(q.r, container, blob)
	if a.azureFault(q, "blob", "", op, account, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", account) {
		return
	}
	a.mu.Lock()
	st, ok := a.accounts[account]
	a.mu.Unlock()
	if !ok {
		// A real client would not even resolve the account's host name.
		writeBlobError(q.w, http.StatusNotFound, "AccountNotFound", "The storage account "+account+" does not exist.")
		return
	}
	write := op == "PutBlob" || op == "CreateContainer"
	if !q.app.canReadBlobs(account) || (write && !q.app.BlobContributor) {
		writeBlobError(q.w, http.StatusForbidden, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.")
		return
	}
	switch op {
	case "ListContainers":
		a.listContainers(q, account, st)
		return
	case "CreateContainer":
		a.mu.Lock()
		if _, ok := st.containers[container]; !ok {
			st.containers[container] = &azureContainer{created: a.s.clock.Now(), blobs: map[string]*azureBlob{}}
		}
		a.mu.Unlock()
		q.w.WriteHeader(http.StatusCreated)
		return
	}
	a.mu.Lock()
	c, ok := st.containers[container]
	a.mu.Unlock()
	if !ok {
		writeBlobError(q.w, http.StatusNotFound, "ContainerNotFound", "The specified container does not exist.")
		return
	}
	switch op {
	case "ListBlobs":
		a.listBlobs(q, account, container, c)
	case "GetContainerProperties":
		q.w.Header().Set("Last-Modified", c.created.UTC().Format(http.TimeFormat))
		q.w.Header().Set("ETag", `"0x8D000000000000"`)
		q.w.Header().Set("x-ms-request-id", requestID)
		q.w.WriteHeader(http.StatusOK)
	case "PutBlob":
		data, err := io.ReadAll(io.LimitReader(q.r.Body, 256<<20))
		if err != nil || q.r.Header.Get("x-ms-blob-type") != "BlockBlob" {
			writeBlobError(q.w, http.StatusBadRequest, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct format (x-ms-blob-type must be BlockBlob).")
			return
		}
		if err := a.s.PutAzureBlob(account, container, blob, q.r.Header.Get("x-ms-blob-content-type"), data); err != nil {
			writeBlobError(q.w, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		q.w.Header().Set("x-ms-request-server-encrypted", "true")
		q.w.WriteHeader(http.StatusCreated)
	case "GetBlob", "GetBlobProperties":
		a.mu.Lock()
		b, ok := c.blobs[blob]
		a.mu.Unlock()
		if !ok {
			writeBlobError(q.w, http.StatusNotFound, "BlobNotFound", "The specified blob does not exist.")
			return
		}
		a.getBlob(q, b, op == "GetBlobProperties")
	default:
		writeBlobError(q.w, http.StatusBadRequest, "UnsupportedHttpVerb", "The cloud simulator does not implement "+op+".")
	}
}

func (a *azureServer) getBlob(q *azureReq, b *azureBlob, head bool) {
	h := q.w.Header()
	h.Set("Content-Type", cmpOr(b.contentType, "application/octet-stream"))
	h.Set("ETag", b.etag)
	h.Set("Last-Modified", b.modified.Format(http.TimeFormat))
	h.Set("x-ms-creation-time", b.created.Format(http.TimeFormat))
	h.Set("x-ms-blob-type", "BlockBlob")
	h.Set("x-ms-lease-state", "available")
	h.Set("x-ms-lease-status", "unlocked")
	h.Set("x-ms-server-encrypted", "true")
	h.Set("x-ms-request-id", requestID)
	h.Set("x-ms-version", "2025-01-05")
	h.Set("Accept-Ranges", "bytes")
	data, status := b.data, http.StatusOK
	rng := cmpOr(q.r.Header.Get("x-ms-range"), q.r.Header.Get("Range"))
	if spec, ok := strings.CutPrefix(rng, "bytes="); ok && !head {
		from, to, _ := strings.Cut(spec, "-")
		lo, err1 := strconv.Atoi(from)
		hi, err2 := strconv.Atoi(to)
		if to == "" {
			hi, err2 = len(b.data)-1, nil
		}
		if err1 != nil || err2 != nil || lo < 0 || lo >= len(b.data) || hi < lo {
			writeBlobError(q.w, http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The range specified is invalid for the current size of the resource.")
			return
		}
		hi = min(hi, len(b.data)-1)
		data, status = b.data[lo:hi+1], http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", lo, hi, len(b.data)))
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	q.w.WriteHeader(status)
	if !head {
		_, _ = q.w.Write(data)
	}
}

// page of names for the list calls: markers are opaque (the next name).
func namePage(names []string, prefix, marker, maxResults string) (out []string, next string, err error) {
	n := 5000
	if maxResults != "" {
		v, perr := strconv.Atoi(maxResults)
		if perr != nil || v < 1 || v > 5000 {
			return nil, "", fmt.Errorf("maxresults must be between 1 and 5000")
		}
		n = v
	}
	from := ""
	if marker != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(marker)
		if derr != nil {
			return nil, "", fmt.Errorf("the marker is invalid")
		}
		from = string(raw)
	}
	slices.Sort(names)
	for _, name := range names {
		if !strings.HasPrefix(name, prefix) || name < from {
			continue
		}
		if len(out) == n {
			return out, base64.RawURLEncoding.EncodeToString([]byte(name)), nil
		}
		out = append(out, name)
	}
	return out, "", nil
}

// listPage starts a list answer: the page of names (map keys) the query
// asks for, and the EnumerationResults element with its echoed
// parameters; ok is false when the parameters were refused.
func listPage[V any](a *azureServer, q *azureReq, m map[string]V, attrs string) (b *xw, page []string, next string, ok bool) {
	qs := q.r.URL.Query()
	a.mu.Lock()
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	a.mu.Unlock()
	page, next, err := namePage(names, qs.Get("prefix"), qs.Get("marker"), qs.Get("maxresults"))
	if err != nil {
		writeBlobError(q.w, http.StatusBadRequest, "OutOfRangeQueryParameterValue", err.Error())
		return nil, nil, "", false
	}
	b = &xw{}
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults ` + attrs + `>`)
	b.opt("Prefix", qs.Get("prefix"))
	b.opt("Marker", qs.Get("marker"))
	b.opt("MaxResults", qs.Get("maxresults"))
	return b, page, next, true
}

func (a *azureServer) listContainers(q *azureReq, account string, st *azureStore) {
	b, page, next, ok := listPage(a, q, st.containers, `ServiceEndpoint="`+a.base+"/"+account+`/"`)
	if !ok {
		return
	}
	b.open("Containers")
	a.mu.Lock()
	for _, n := range page {
		c := st.containers[n]
		b.open("Container")
		b.leaf("Name", n)
		b.open("Properties")
		b.leaf("Last-Modified", c.created.UTC().Format(http.TimeFormat))
		b.leaf("Etag", `"0x8D000000000000"`)
		b.leaf("LeaseStatus", "unlocked")
		b.leaf("LeaseState", "available")
		b.close("Properties")
		b.close("Container")
	}
	a.mu.Unlock()
	b.close("Containers")
	b.leaf("NextMarker", next)
	b.close("EnumerationResults")
	writeBlobXML(q.w, b.Bytes())
}

func (a *azureServer) listBlobs(q *azureReq, account, container string, c *azureContainer) {
	qs := q.r.URL.Query()
	if qs.Get("delimiter") != "" {
		writeBlobError(q.w, http.StatusBadRequest, "UnsupportedQueryParameter", "The cloud simulator lists blobs flat only (no delimiter).")
		return
	}
	b, page, next, ok := listPage(a, q, c.blobs, `ServiceEndpoint="`+a.base+"/"+account+`/" ContainerName="`+container+`"`)
	if !ok {
		return
	}
	b.open("Blobs")
	a.mu.Lock()
	for _, n := range page {
		bl := c.blobs[n]
		b.open("Blob")
		b.leaf("Name", n)
		b.open("Properties")
		b.leaf("Creation-Time", bl.created.Format(http.TimeFormat))
		b.leaf("Last-Modified", bl.modified.Format(http.TimeFormat))
		b.leaf("Etag", bl.etag)
		b.int("Content-Length", int64(len(bl.data)))
		b.leaf("Content-Type", cmpOr(bl.contentType, "application/octet-stream"))
		b.leaf("BlobType", "BlockBlob")
		b.leaf("AccessTier", "Hot")
		b.leaf("AccessTierInferred", "true")
		b.leaf("LeaseStatus", "unlocked")
		b.leaf("LeaseState", "available")
		b.leaf("ServerEncrypted", "true")
		b.close("Properties")
		b.WriteString("<OrMetadata />")
		b.close("Blob")
	}
	a.mu.Unlock()
	b.close("Blobs")
	b.leaf("NextMarker", next)
	b.close("EnumerationResults")
	writeBlobXML(q.w, b.Bytes())
}

func writeBlobXML(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-ms-request-id", requestID)
	w.Header().Set("x-ms-version", "2025-01-05")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
