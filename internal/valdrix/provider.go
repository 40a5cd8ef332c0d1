package valdrix

import "strings"

// Provider is a cloud provider.
type Provider string

// Providers.
const (
	AWS   Provider = "aws"
	Azure Provider = "azure"
	GCP   Provider = "gcp"
)

// Providers lists the supported providers.
var Providers = []Provider{AWS, Azure, GCP}

// Valid reports whether p is a supported provider.
func (p Provider) Valid() bool { return p == AWS || p == Azure || p == GCP }

// ParseProvider parses a provider name; field names the input for errors.
func ParseProvider(field, s string) (Provider, error) {
	p := Provider(strings.ToLower(strings.TrimSpace(s)))
	if !p.Valid() {
		return "", FieldError(field, "unknown provider %q (want aws, azure or gcp)", s)
	}
	return p, nil
}
