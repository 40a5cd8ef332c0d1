package cli

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/alecthomas/kong"
	"go.yaml.in/yaml/v3"
)

// yamlResolver reads settings from a YAML file whose keys are flag names
// (database_url or database-url).
type yamlResolver struct {
	path   string
	values map[string]any
}

func newYAMLResolver(path string) (*yamlResolver, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	values := map[string]any{}
	if err := yaml.Unmarshal(b, &values); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	norm := map[string]any{}
	for k, v := range values {
		norm[strings.ReplaceAll(strings.ToLower(k), "_", "-")] = v
	}
	return &yamlResolver{path: path, values: norm}, nil
}

// Validate rejects keys that are not settings.
func (r *yamlResolver) Validate(app *kong.Application) error {
	known := map[string]bool{"config": true}
	for _, f := range app.Flags {
		if len(f.Envs) > 0 {
			known[f.Name] = true
		}
	}
	var unknown []string
	for k := range r.values {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		return fmt.Errorf("config file %s: unknown setting(s) %s", r.path, strings.Join(unknown, ", "))
	}
	return nil
}

// Resolve returns the file's value for a setting flag.
func (r *yamlResolver) Resolve(_ *kong.Context, _ *kong.Path, f *kong.Flag) (any, error) {
	if len(f.Envs) == 0 {
		return nil, nil // only settings, never command flags
	}
	v, ok := r.values[f.Name]
	if !ok || v == nil {
		return nil, nil
	}
	switch t := v.(type) {
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ","), nil
	case map[string]any:
		return nil, fmt.Errorf("config file %s: %s must be a value, not a map", r.path, f.Name)
	default:
		return fmt.Sprint(t), nil
	}
}
