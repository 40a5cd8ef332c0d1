package governance

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// TenantSettings are a tenant's own settings. In an update, a nil field is
// left as it is; an empty list clears one.
type TenantSettings struct {
	// ReconciliationThresholdPercent is the relative change of a billing
	// period's totals between imports (or against the export's own figures)
	// that raises a reconciliation alert. Default 2.
	ReconciliationThresholdPercent *valdrix.Decimal `json:"reconciliation_threshold_percent,omitempty" doc:"Percent change that raises a reconciliation alert (default 2)"`
	// DetectionWindowDays is the ledger window waste rules read. Default 30.
	DetectionWindowDays *int `json:"detection_window_days,omitempty" doc:"Days of billing the waste rules read (1-90, default 30)"`
	// ExcludeTags excludes resources carrying a tag from waste detection:
	// "key" (any value) or "key=value". The tag valdrix:ignore always does.
	ExcludeTags *[]string `json:"exclude_tags,omitempty" doc:"Resources with one of these tags (key or key=value) are not checked for waste; valdrix:ignore always excludes"`
	// ExcludeAccounts and ExcludeRegions exclude every resource of an
	// account (AWS account, Azure subscription, GCP project) or region.
	ExcludeAccounts *[]string `json:"exclude_accounts,omitempty" doc:"Accounts, subscriptions or projects not checked for waste"`
	ExcludeRegions  *[]string `json:"exclude_regions,omitempty" doc:"Regions not checked for waste"`
}

// Limits of the settings.
const (
	maxDetectionWindowDays = 90
	maxExclusions          = 200
	maxExclusionLen        = 256
)

// Settings returns tenant's settings.
func (s *Service) Settings(ctx context.Context, actor Actor, tenant valdrix.TenantID) (TenantSettings, error) {
	if err := actor.Require(tenant, valdrix.RoleViewer); err != nil {
		return TenantSettings{}, err
	}
	raw, err := s.store.TenantSettings(ctx, tenant)
	if err != nil {
		return TenantSettings{}, err
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return TenantSettings{}, fmt.Errorf("stored settings: %w", err)
	}
	var out TenantSettings
	if err := json.Unmarshal(b, &out); err != nil {
		return TenantSettings{}, fmt.Errorf("stored settings: %w", err)
	}
	return out, nil
}

// UpdateSettings changes the settings that are set in update (admins).
func (s *Service) UpdateSettings(ctx context.Context, actor Actor, tenant valdrix.TenantID, update TenantSettings) (TenantSettings, error) {
	if err := actor.Require(tenant, valdrix.RoleAdmin); err != nil {
		return TenantSettings{}, err
	}
	if err := update.validate(); err != nil {
		return TenantSettings{}, err
	}
	// Each set field replaces its key in the stored object.
	b, err := json.Marshal(update)
	if err != nil {
		return TenantSettings{}, err
	}
	var set map[string]any
	if err := json.Unmarshal(b, &set); err != nil {
		return TenantSettings{}, err
	}
	err = s.store.Atomic(ctx, tenant, func(ctx context.Context) error {
		raw, err := s.store.TenantSettings(ctx, tenant)
		if err != nil {
			return err
		}
		changed := make([]string, 0, len(set))
		for k, v := range set {
			raw[k] = v
			changed = append(changed, k)
		}
		slices.Sort(changed)
		if err := s.store.PutTenantSettings(ctx, tenant, raw); err != nil {
			return err
		}
		return s.audit(ctx, tenant, actor.Principal, actor.IP, "settings.update", string(tenant), map[string]any{"changed": strings.Join(changed, ",")})
	})
	if err != nil {
		return TenantSettings{}, err
	}
	return s.Settings(ctx, actor, tenant)
}

func (u *TenantSettings) validate() error {
	if p := u.ReconciliationThresholdPercent; p != nil && (*p <= 0 || *p > valdrix.NewDecimal(1000, 0)) {
		return valdrix.FieldError("reconciliation_threshold_percent", "must be above 0 and at most 1000")
	}
	if d := u.DetectionWindowDays; d != nil && (*d < 1 || *d > maxDetectionWindowDays) {
		return valdrix.FieldError("detection_window_days", "must be 1 to %d days (got %d)", maxDetectionWindowDays, *d)
	}
	for _, l := range []struct {
		field string
		list  *[]string
	}{{"exclude_tags", u.ExcludeTags}, {"exclude_accounts", u.ExcludeAccounts}, {"exclude_regions", u.ExcludeRegions}} {
		if l.list == nil {
			continue
		}
		if len(*l.list) > maxExclusions {
			return valdrix.FieldError(l.field, "at most %d entries (got %d)", maxExclusions, len(*l.list))
		}
		clean := make([]string, 0, len(*l.list))
		for i, v := range *l.list {
			v = strings.TrimSpace(v)
			switch {
			case v == "" || len(v) > maxExclusionLen:
				return valdrix.FieldError(fmt.Sprintf("%s[%d]", l.field, i), "must be 1 to %d characters", maxExclusionLen)
			case l.field == "exclude_tags" && strings.HasPrefix(v, "="):
				return valdrix.FieldError(fmt.Sprintf("%s[%d]", l.field, i), "%q has no tag key (want key or key=value)", v)
			}
			if !slices.Contains(clean, v) {
				clean = append(clean, v)
			}
		}
		*l.list = clean
	}
	return nil
}
