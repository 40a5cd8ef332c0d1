package ingestion

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"
	"sync"

	"github.com/valdrix/valdrix/internal/valdrix"
)

//go:embed service_catalog.csv
var serviceCatalogCSV string

//go:embed currency_codes.txt
var currencyCodesTxt string

// serviceInfo is one entry of the embedded service catalog.
type serviceInfo struct {
	Name     string
	Category string
}

// catalogs holds the embedded lookups, parsed once on first use.
type catalogs struct {
	services   map[valdrix.Provider]map[string]serviceInfo // keys lower-cased
	exact      map[valdrix.Provider]map[string]serviceInfo // keys as written
	currencies map[string]bool
}

var loadCatalogs = sync.OnceValues(func() (*catalogs, error) {
	c := &catalogs{services: map[valdrix.Provider]map[string]serviceInfo{}, exact: map[valdrix.Provider]map[string]serviceInfo{}, currencies: map[string]bool{}}
	r := csv.NewReader(strings.NewReader(serviceCatalogCSV))
	r.Comment = '#'
	r.FieldsPerRecord = 4
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("embedded service catalog: %w", err)
	}
	for _, rec := range recs {
		p := valdrix.Provider(rec[0])
		if c.services[p] == nil {
			c.services[p], c.exact[p] = map[string]serviceInfo{}, map[string]serviceInfo{}
		}
		info := serviceInfo{Name: rec[2], Category: rec[3]}
		// Keys and names both find the entry: FOCUS files carry names.
		for _, k := range []string{rec[2], rec[1]} {
			c.services[p][strings.ToLower(k)] = info
			c.exact[p][k] = info
		}
	}
	for _, line := range strings.Split(currencyCodesTxt, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, code := range strings.Fields(line) {
			c.currencies[code] = true
		}
	}
	return c, nil
})

// lookupService returns the service name and FOCUS ServiceCategory for a
// provider's product key (AWS product code, Azure meter category, GCP service
// description). Unknown keys give ok=false; callers use "Other".
func lookupService(p valdrix.Provider, key string) (serviceInfo, bool) {
	c, err := loadCatalogs()
	if err != nil || key == "" {
		return serviceInfo{}, false
	}
	if s, ok := c.exact[p][key]; ok {
		return s, true
	}
	s, ok := c.services[p][strings.ToLower(key)]
	return s, ok
}

// serviceCategory returns the FOCUS ServiceCategory for key, "Other" when unknown.
func serviceCategory(p valdrix.Provider, key string) string {
	if s, ok := lookupService(p, key); ok {
		return s.Category
	}
	return "Other"
}

// ValidCurrency reports whether code is an active ISO 4217 currency code.
func ValidCurrency(code string) bool {
	c, err := loadCatalogs()
	return err == nil && c.currencies[code]
}

// checkCurrency validates a billing currency; empty is an error too, since
// every cost needs one.
func checkCurrency(code string) error {
	if code == "" {
		return errorf("billing currency is empty")
	}
	if !ValidCurrency(code) {
		return errorf("unknown currency %q (want an ISO 4217 code such as USD)", code)
	}
	return nil
}
