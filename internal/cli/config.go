package cli

import (
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"

	"github.com/valdrix/valdrix/internal/app"
)

type configCmd struct {
	Show configShowCmd `cmd:"" help:"Print the effective settings (after flags, environment, file and defaults), secrets redacted."`
}

type configShowCmd struct {
	output
}

func (c configShowCmd) Run(rc *runCtx) error {
	settings := effectiveSettings(rc.cfg)
	if err := rc.cfg.Validate(); err != nil {
		fmt.Fprintf(rc.env.Stderr, "warning: the settings are not valid:\n%v\n", err)
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, settings)
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := make([][]string, len(keys))
	for i, k := range keys {
		rows[i] = []string{k, settings[k]}
	}
	return writeTable(rc.env.Stdout, []string{"SETTING", "VALUE"}, rows)
}

// secretSettings are shown redacted.
var secretSettings = map[string]bool{"encryption-keys": true, "jwt-hs256-secret": true}

// effectiveSettings maps each setting's flag name to its value as text.
func effectiveSettings(cfg app.Config) map[string]string {
	out := map[string]string{}
	v := reflect.ValueOf(cfg)
	t := v.Type()
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("name")
		if name == "" {
			continue
		}
		f := v.Field(i)
		var s string
		if f.Kind() == reflect.Slice {
			parts := make([]string, f.Len())
			for j := range f.Len() {
				parts[j] = fmt.Sprint(f.Index(j).Interface())
			}
			s = strings.Join(parts, ",")
		} else {
			s = fmt.Sprint(f.Interface())
		}
		switch {
		case secretSettings[name] && s != "":
			s = "[redacted]"
		case strings.HasSuffix(name, "database-url"):
			s = redactURL(s)
		}
		out[name] = s
	}
	return out
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	return u.String()
}
