package cloudsim

import (
	"io"
	"net/http"
	"net/url"
	"strings"
)

// awsReq is one decoded AWS API request.
type awsReq struct {
	w       http.ResponseWriter
	r       *http.Request
	proto   string
	service string // SigV4 signing name
	region  string
	op      string
	akid    string
	sess    session
	form    url.Values
	body    []byte
}

// platformAccount is the account the platform's own credentials belong to.
const platformAccount = "999900001111"

// awsHandler serves one operation.
type awsHandler func(s *Sim, q *awsReq) error

// serveAWS authenticates an AWS request, applies faults and dispatches it.
func (s *Sim) serveAWS(w http.ResponseWriter, r *http.Request) {
	q := &awsReq{w: w, r: r}
	q.akid, q.region, q.service = parseSigV4(r.Header.Get("Authorization"))
	q.proto = protocolOf(q.service)
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		writeError(w, q.proto, apiError{400, "IncompleteBody", "could not read the request body"})
		return
	}
	q.body = body
	q.op = s.operationOf(q)
	if q.akid == "" {
		writeError(w, q.proto, apiError{403, "MissingAuthenticationToken", "Request is missing Authentication Token"})
		return
	}
	if aerr := s.authenticate(q); aerr != nil {
		writeError(w, q.proto, *aerr)
		return
	}
	acct := platformAccount
	if !q.sess.platform {
		acct = s.estate.Accounts[q.sess.account].ID
	}
	if f, ok := s.faults.match(q.service, q.region, q.op, acct); ok {
		if s.applyFault(q, f, acct) {
			return
		}
	}
	h := awsHandlers(q.service, q.op, q.form.Get("Version"))
	if h == nil {
		writeError(w, q.proto, apiError{400, "InvalidAction", "The simulator does not implement " + q.service + ":" + q.op})
		return
	}
	if err := h(s, q); err != nil {
		if ae, ok := err.(apiError); ok { //nolint:errorlint // handlers return apiError values directly
			writeError(w, q.proto, ae)
			return
		}
		s.log.ErrorContext(r.Context(), "cloudsim: handler failed", "service", q.service, "op", q.op, "error", err)
		writeError(w, q.proto, apiError{500, "InternalFailure", "internal error"})
	}
}

// parseSigV4 extracts the access key, region and service from an
// Authorization header: "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, …".
func parseSigV4(h string) (akid, region, service string) {
	_, rest, ok := strings.Cut(h, "Credential=")
	if !ok {
		return "", "", ""
	}
	cred, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return "", "", ""
	}
	return parts[0], parts[2], parts[3]
}

func protocolOf(service string) string {
	switch service {
	case "ec2":
		return protoEC2
	case "sts", "elasticloadbalancing", "rds", "redshift":
		return protoQuery
	case "ecr", "sagemaker", "dynamodb", "logs", "api.ecr":
		return protoJSON
	case "lambda", "resource-explorer-2":
		return protoREST
	case "monitoring":
		return protoCBOR
	case "s3":
		return protoS3
	}
	return protoJSON
}

// operationOf names the operation of a request.
func (s *Sim) operationOf(q *awsReq) string {
	r := q.r
	switch q.proto {
	case protoQuery, protoEC2:
		form, err := url.ParseQuery(string(q.body))
		if err != nil {
			form = url.Values{}
		}
		for k, v := range r.URL.Query() {
			form[k] = v
		}
		q.form = form
		return form.Get("Action")
	case protoJSON:
		t := r.Header.Get("X-Amz-Target")
		_, op, _ := strings.Cut(t, ".")
		return op
	case protoCBOR:
		return r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	case protoREST:
		p := strings.TrimSuffix(r.URL.Path, "/")
		if q.service == "lambda" {
			if strings.HasSuffix(p, "/functions") {
				return "ListFunctions"
			}
			return "Unknown"
		}
		return strings.TrimPrefix(p, "/")
	case protoS3:
		return s3Operation(r)
	}
	return ""
}

// authenticate checks the access key: the platform key for STS, or a key
// issued by AssumeRole that has not expired.
func (s *Sim) authenticate(q *awsReq) *apiError {
	if q.akid == s.cfg.PlatformAccessKeyID {
		if q.service != "sts" {
			return &apiError{403, "AccessDenied", "The platform credentials may only call STS; assume the customer's role first."}
		}
		q.sess = session{platform: true}
		return nil
	}
	s.mu.Lock()
	ss, ok := s.sessions[q.akid]
	s.mu.Unlock()
	if !ok {
		code := "InvalidClientTokenId"
		switch q.proto {
		case protoJSON, protoREST:
			code = "UnrecognizedClientException"
		case protoEC2:
			code = "AuthFailure"
		case protoS3:
			code = "InvalidAccessKeyId"
		}
		return &apiError{403, code, "The security token included in the request is invalid."}
	}
	if !s.clock.Now().Before(ss.expires) {
		return &apiError{400, "ExpiredToken", "The security token included in the request is expired"}
	}
	if tok := q.r.Header.Get("X-Amz-Security-Token"); tok != ss.token {
		return &apiError{403, "InvalidClientTokenId", "The security token included in the request is invalid."}
	}
	q.sess = ss
	return nil
}

// applyFault carries out f; it reports false when the request should go on.
func (s *Sim) applyFault(q *awsReq, f Fault, acct string) bool {
	w := q.w
	switch f.Kind {
	case FaultThrottle:
		writeError(w, q.proto, throttleError(q.proto, q.service))
	case FaultDeny:
		action := iamAction(q.service, q.op)
		who := "arn:aws:sts::" + acct + ":assumed-role/ValdrixReadOnly/" + q.sess.name
		msg := "User: " + who + " is not authorized to perform: " + action + " because no identity-based policy allows the " + action + " action"
		code, status := "AccessDenied", 403
		switch q.proto {
		case protoEC2:
			code = "UnauthorizedOperation"
			msg = "You are not authorized to perform this operation. " + msg
		case protoJSON, protoREST:
			code = "AccessDeniedException"
			if q.service == "dynamodb" || q.service == "ecr" {
				status = 400
			}
		}
		writeError(w, q.proto, apiError{status, code, msg})
	case FaultTimeout:
		select {
		case <-q.r.Context().Done():
		case <-s.closing:
		}
	case FaultDown:
		writeError(w, q.proto, apiError{503, "ServiceUnavailable", "The service is unavailable in " + q.region + ". Please try again later."})
	case FaultRefuse:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		writeError(w, q.proto, apiError{503, "ServiceUnavailable", "connection refused"})
	case FaultMalformed:
		writeBody(w, "text/xml", http.StatusOK, []byte("<<<this is not a valid page{{{\x00"))
	default:
		return false
	}
	return true
}

func throttleError(proto, service string) apiError {
	switch {
	case proto == protoEC2:
		return apiError{503, "RequestLimitExceeded", "Request limit exceeded."}
	case proto == protoS3:
		return apiError{503, "SlowDown", "Please reduce your request rate."}
	case service == "lambda":
		return apiError{429, "TooManyRequestsException", "Rate exceeded"}
	case proto == protoJSON, proto == protoREST:
		return apiError{400, "ThrottlingException", "Rate exceeded"}
	}
	return apiError{400, "Throttling", "Rate exceeded"}
}

// iamAction returns the IAM action an operation needs.
func iamAction(service, op string) string {
	switch service {
	case "monitoring":
		return "cloudwatch:" + op
	case "s3":
		switch op {
		case "ListBuckets":
			return "s3:ListAllMyBuckets"
		case "ListObjectsV2", "ListObjects":
			return "s3:ListBucket"
		}
		return "s3:" + op
	case "api.ecr":
		return "ecr:" + op
	}
	return service + ":" + op
}

// awsHandlers returns the handler of an operation, or nil.
func awsHandlers(service, op, version string) awsHandler {
	switch service {
	case "sts":
		return stsHandlers[op]
	case "ec2":
		return ec2Handlers[op]
	case "elasticloadbalancing":
		if version == "2012-06-01" {
			return elbHandlers[op]
		}
		return elbv2Handlers[op]
	case "rds":
		return rdsHandlers[op]
	case "redshift":
		return redshiftHandlers[op]
	case "ecr", "api.ecr":
		return ecrHandlers[op]
	case "sagemaker":
		return sagemakerHandlers[op]
	case "dynamodb":
		return dynamodbHandlers[op]
	case "logs":
		return logsHandlers[op]
	case "lambda":
		return lambdaHandlers[op]
	case "resource-explorer-2":
		return resourceExplorerHandlers[op]
	case "monitoring":
		return cloudwatchHandlers[op]
	case "s3":
		return s3Handler
	}
	return nil
}

// cell returns the caller's cell in the request region, or nil.
func (s *Sim) cell(q *awsReq) *Cell {
	c, ok := s.estate.CellOf(q.sess.account, q.region)
	if !ok {
		return nil
	}
	return c
}

// kindRange returns the caller's resources of kind k in the request region.
func (s *Sim) kindRange(q *awsReq, k Kind) (lo, hi int) {
	c := s.cell(q)
	if c == nil {
		return 0, 0
	}
	return c.Span(k)
}

func (s *Sim) accountID(q *awsReq) string { return s.estate.Accounts[q.sess.account].ID }
