package cloud

import (
	"strconv"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Resource is one discovered cloud resource.
type Resource struct {
	Provider  valdrix.Provider `json:"provider"`
	AccountID string           `json:"account_id"` // AWS account id, Azure subscription id, GCP project id
	Region    string           `json:"region"`     // provider region name ("us-east-1", "westeurope", "europe-west1"); "global" when none
	// Type is the canonical resource type, "<provider>.<service>.<kind>", e.g.
	// "aws.ec2.instance", "aws.ec2.volume", "azure.compute.disk", "gcp.compute.address".
	Type string `json:"type"`
	// ID is the provider-native identifier: "i-0abc…", an ARN, an Azure resource
	// id (lower-cased), a GCP self link or full resource name.
	ID string `json:"id"`
	// BillingID is the identifier the resource has in billing exports (CUR
	// line_item_resource_id, Azure ResourceId, GCP resource.global_name), used to
	// join inventory to the ledger. Lower-cased for Azure.
	BillingID string            `json:"billing_id"`
	Name      string            `json:"name"`
	State     string            `json:"state"` // provider state, lower-case ("running", "stopped", "available", "in-use", "deallocated")
	CreatedAt time.Time         `json:"created_at,omitzero"`
	Tags      map[string]string `json:"tags"`
	// Attrs carries the attributes the waste rules need, as text. Keys and
	// value formats are listed in docs/resources.md; numbers are decimal text,
	// times RFC 3339, lists comma-separated.
	Attrs map[string]string `json:"attrs"`
}

// Attr returns the attribute value and whether it is present.
func (r Resource) Attr(key string) (string, bool) {
	v, ok := r.Attrs[key]
	return v, ok
}

// AttrInt returns an integer attribute; ok is false when absent or malformed.
func (r Resource) AttrInt(key string) (int64, bool) {
	v, ok := r.Attrs[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// AttrBool returns a boolean attribute; ok is false when absent or malformed.
func (r Resource) AttrBool(key string) (bool, bool) {
	v, ok := r.Attrs[key]
	if !ok {
		return false, false
	}
	b, err := strconv.ParseBool(v)
	return b, err == nil
}

// AttrTime returns an RFC 3339 time attribute; ok is false when absent or malformed.
func (r Resource) AttrTime(key string) (time.Time, bool) {
	v, ok := r.Attrs[key]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil
}

// AttrList returns a comma-separated list attribute (empty elements dropped).
func (r Resource) AttrList(key string) []string {
	v := r.Attrs[key]
	if v == "" {
		return nil
	}
	parts := strings.Split(v, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
