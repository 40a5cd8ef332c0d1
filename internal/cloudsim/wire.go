package cloudsim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Wire protocols of the AWS APIs the simulator speaks.
const (
	protoQuery = "query"    // awsQuery: STS, ELB, ELBv2, RDS, Redshift
	protoEC2   = "ec2"      // ec2Query
	protoJSON  = "json"     // awsJson1.0/1.1: ECR, SageMaker, DynamoDB, Logs
	protoREST  = "restjson" // REST-JSON: Lambda, Resource Explorer
	protoCBOR  = "cbor"     // Smithy RPCv2 CBOR: CloudWatch
	protoS3    = "s3"       // REST-XML: S3
)

// xw writes XML elements into a buffer without reflection.
type xw struct{ bytes.Buffer }

func (w *xw) open(name string)  { w.WriteByte('<'); w.WriteString(name); w.WriteByte('>') }
func (w *xw) close(name string) { w.WriteString("</"); w.WriteString(name); w.WriteByte('>') }

// leaf writes <name>escaped value</name>.
func (w *xw) leaf(name, value string) {
	w.open(name)
	_ = xml.EscapeText(w, []byte(value))
	w.close(name)
}

// opt writes a leaf only when value is not empty.
func (w *xw) opt(name, value string) {
	if value != "" {
		w.leaf(name, value)
	}
}

func (w *xw) int(name string, v int64) { w.leaf(name, strconv.FormatInt(v, 10)) }

func (w *xw) bool(name string, v bool) { w.leaf(name, strconv.FormatBool(v)) }

// time writes an ISO 8601 timestamp as AWS XML APIs do.
func (w *xw) time(name string, unix int64) {
	w.leaf(name, time.Unix(unix, 0).UTC().Format("2006-01-02T15:04:05.000Z"))
}

func (w *xw) tags(setName string, tags map[string]string, keyName, valueName, item string) {
	w.open(setName)
	for _, k := range sortedKeys(tags) {
		w.open(item)
		w.leaf(keyName, k)
		w.leaf(valueName, tags[k])
		w.close(item)
	}
	w.close(setName)
}

// apiError is an error an AWS API returns.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e apiError) Error() string { return e.code + ": " + e.msg }

func errInvalid(msg string) apiError {
	return apiError{http.StatusBadRequest, "InvalidParameterValue", msg}
}

const requestID = "c0ffee00-0000-4000-8000-000000000001"

// writeError writes e in protocol proto.
func writeError(w http.ResponseWriter, proto string, e apiError) {
	switch proto {
	case protoEC2:
		var b xw
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
		b.open("Response")
		b.open("Errors")
		b.open("Error")
		b.leaf("Code", e.code)
		b.leaf("Message", e.msg)
		b.close("Error")
		b.close("Errors")
		b.leaf("RequestID", requestID)
		b.close("Response")
		writeBody(w, "text/xml", e.status, b.Bytes())
	case protoQuery:
		var b xw
		b.WriteString(`<ErrorResponse>`)
		b.open("Error")
		b.leaf("Type", faultType(e.status))
		b.leaf("Code", e.code)
		b.leaf("Message", e.msg)
		b.close("Error")
		b.leaf("RequestId", requestID)
		b.close("ErrorResponse")
		writeBody(w, "text/xml", e.status, b.Bytes())
	case protoS3:
		var b xw
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
		b.open("Error")
		b.leaf("Code", e.code)
		b.leaf("Message", e.msg)
		b.leaf("RequestId", requestID)
		b.close("Error")
		writeBody(w, "application/xml", e.status, b.Bytes())
	case protoCBOR:
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("X-Amzn-Query-Error", e.code+";"+faultType(e.status))
		body := cbor.Encode(cbor.Map{"__type": cbor.String(e.code), "message": cbor.String(e.msg)})
		writeBody(w, "application/cbor", e.status, body)
	default:
		w.Header().Set("X-Amzn-ErrorType", e.code)
		body, _ := json.Marshal(map[string]string{"__type": e.code, "message": e.msg, "Message": e.msg})
		writeBody(w, "application/x-amz-json-1.1", e.status, body)
	}
}

func faultType(status int) string {
	if status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

func writeBody(w http.ResponseWriter, contentType string, status int, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeQuery wraps result XML in the awsQuery envelope of op.
func writeQuery(w http.ResponseWriter, op, xmlns string, result []byte) {
	var b xw
	b.WriteString(`<` + op + `Response xmlns="` + xmlns + `">`)
	b.open(op + "Result")
	b.Write(result)
	b.close(op + "Result")
	b.open("ResponseMetadata")
	b.leaf("RequestId", requestID)
	b.close("ResponseMetadata")
	b.close(op + "Response")
	writeBody(w, "text/xml", http.StatusOK, b.Bytes())
}

// writeEC2 wraps body XML in the ec2Query envelope of op.
func writeEC2(w http.ResponseWriter, op string, body []byte) {
	var b xw
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	b.WriteString(`<` + op + `Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">`)
	b.leaf("requestId", requestID)
	b.Write(body)
	b.close(op + "Response")
	writeBody(w, "text/xml;charset=UTF-8", http.StatusOK, b.Bytes())
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, protoJSON, apiError{500, "InternalFailure", "encode response"})
		return
	}
	writeBody(w, contentType, http.StatusOK, body)
}

// page returns the [from, to) window of n items for a pagination token and
// page size, and the next token ("" at the end).
func page(token string, size, n int) (from, to int, next string, err error) {
	if token != "" {
		v, perr := strconv.Atoi(token)
		if perr != nil || v < 0 || v > n {
			return 0, 0, "", errInvalid("The pagination token is invalid.")
		}
		from = v
	}
	to = min(n, from+size)
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, next, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
