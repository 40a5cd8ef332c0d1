package ingestion

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Format is a billing export format.
type Format string

// Formats. FormatAuto asks Detect to choose.
const (
	FormatAuto  Format = "auto"
	FormatCUR2  Format = "cur2"  // AWS CUR 2.0 (Data Exports)
	FormatCUR   Format = "cur"   // AWS legacy Cost and Usage Report
	FormatAzure Format = "azure" // Azure Cost Management exports (EA, MCA, legacy, FocusCost)
	FormatGCP   Format = "gcp"   // GCP Cloud Billing export (standard and resource-level)
	FormatFOCUS Format = "focus" // FOCUS 1.0–1.2 from any provider
)

// ParseFormat parses a format name; field names the input for errors.
func ParseFormat(field, s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	switch f {
	case FormatAuto, FormatCUR2, FormatCUR, FormatAzure, FormatGCP, FormatFOCUS:
		return f, nil
	case "":
		return FormatAuto, nil
	}
	return "", valdrix.FieldError(field, "unknown billing format %q (want auto, cur2, cur, azure, gcp or focus)", s)
}
