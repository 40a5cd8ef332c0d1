package ingestion

import (
	"cmp"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// PeriodFiles is one billing period's files found on disk: the files a
// manifest lists, or data files that no manifest claims, grouped by the
// period their path names.
type PeriodFiles struct {
	Period   valdrix.Month // 0 when neither a manifest nor the path says
	Format   Format        // the manifest's format, else FormatAuto
	Manifest *Manifest     // nil for files without a manifest
	Files    []File
	Bytes    int64 // total size, for progress bars
}

// FindLocal walks the given files and directories for billing data files
// (.csv, .csv.gz, .gz, .parquet, .json, .jsonl) and manifests, and groups
// them into billing periods. A manifest's listed files must all be present;
// when several deliveries of one period exist (legacy CUR keeps older
// assemblies, Azure one folder per run), the top-level manifest, else the
// latest run, wins and the others' files are ignored.
func FindLocal(ctx context.Context, paths []string) ([]PeriodFiles, error) {
	var data []string
	var manifests []*Manifest
	sizes := map[string]int64{}
	for _, root := range paths {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return valdrix.Wrap(valdrix.EINVALID, err, "cannot read %s", p)
			}
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			name := d.Name()
			if d.IsDir() {
				if strings.HasPrefix(name, ".") && p != root {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(name, ".") {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return valdrix.Wrap(valdrix.EINVALID, err, "cannot read %s", p)
			}
			switch {
			case IsManifestName(name):
				b, err := os.ReadFile(p)
				if err != nil {
					return valdrix.Wrap(valdrix.EINVALID, err, "cannot read %s", p)
				}
				m, err := ParseManifest(p, b)
				if err != nil {
					return err
				}
				manifests = append(manifests, m)
			case isDataName(name):
				data = append(data, p)
				sizes[p] = info.Size()
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return groupFiles(manifests, data, sizes)
}

func isDataName(name string) bool {
	l := strings.ToLower(name)
	for _, ext := range [...]string{".csv", ".csv.gz", ".gz", ".parquet", ".json", ".jsonl", ".ndjson"} {
		if strings.HasSuffix(l, ext) {
			return true
		}
	}
	return false
}

// groupFiles matches manifests to data files and groups the rest.
func groupFiles(manifests []*Manifest, data []string, sizes map[string]int64) ([]PeriodFiles, error) {
	slices.Sort(data)
	// Resolve each manifest's files and keep one manifest per (format, period).
	type candidate struct {
		m     *Manifest
		files []string
		depth int
	}
	best := map[[2]string]candidate{}
	claimed := map[string]bool{}
	for _, m := range manifests {
		var files []string
		for _, key := range m.DataFiles {
			local := matchKey(key, data)
			if local == "" {
				return nil, parseErr(m.Name, 0, 0, "", errorf("the manifest lists %s, which is not among the files given (an incomplete delivery)", key))
			}
			files = append(files, local)
			claimed[local] = true
		}
		c := candidate{m: m, files: files, depth: strings.Count(filepath.ToSlash(m.Name), "/")}
		k := [2]string{string(m.Format), m.BillingPeriod.String()}
		old, ok := best[k]
		switch {
		case !ok:
			best[k] = c
		case old.m.ID == m.ID && old.m.ID != "":
			if c.depth < old.depth {
				best[k] = c
			}
		case c.depth < old.depth || (c.depth == old.depth && m.Name > old.m.Name):
			best[k] = c
		}
	}
	var out []PeriodFiles
	for _, c := range best {
		pf := PeriodFiles{Period: c.m.BillingPeriod, Format: c.m.Format, Manifest: c.m}
		for _, f := range c.files {
			pf.Files = append(pf.Files, LocalFile(f))
			pf.Bytes += sizes[f]
		}
		out = append(out, pf)
	}
	loose := map[valdrix.Month]*PeriodFiles{}
	for _, f := range data {
		if claimed[f] {
			continue
		}
		p := pathPeriod(f)
		pf := loose[p]
		if pf == nil {
			pf = &PeriodFiles{Period: p, Format: FormatAuto}
			loose[p] = pf
		}
		pf.Files = append(pf.Files, LocalFile(f))
		pf.Bytes += sizes[f]
	}
	for _, pf := range loose {
		out = append(out, *pf)
	}
	slices.SortFunc(out, func(a, b PeriodFiles) int {
		return cmp.Or(cmp.Compare(a.Period, b.Period), cmp.Compare(a.Format, b.Format), cmp.Compare(a.Files[0].Name, b.Files[0].Name))
	})
	if len(out) == 0 {
		return nil, valdrix.Errorf(valdrix.EINVALID, "no billing files found (looked for .csv, .csv.gz, .parquet, .json and .jsonl files and export manifests)")
	}
	return out, nil
}

// matchKey finds the local file for a manifest's key or blob name: the one
// sharing the longest run of trailing path components (at least the name).
func matchKey(key string, data []string) string {
	k := strings.Split(strings.TrimPrefix(strings.TrimPrefix(filepath.ToSlash(key), "s3://"), "/"), "/")
	bestN, best := 0, ""
	for _, f := range data {
		p := strings.Split(filepath.ToSlash(f), "/")
		n := 0
		for n < len(k) && n < len(p) && k[len(k)-1-n] == p[len(p)-1-n] {
			n++
		}
		if n > bestN {
			bestN, best = n, f
		}
	}
	return best
}

// pathPeriod reads a billing period from a path: CUR 2.0's
// BILLING_PERIOD=2024-09, the legacy CUR and Azure 20240901-20241001 folders,
// or Hive-style year=2024/month=9.
func pathPeriod(p string) valdrix.Month {
	s := filepath.ToSlash(p)
	for _, re := range pathPeriodPatterns() {
		if m := re.FindStringSubmatch(s); m != nil {
			y, _ := atoiN(m[1])
			mo, _ := atoiN(m[2])
			if y >= 2000 && y < 2200 && mo >= 1 && mo <= 12 {
				return valdrix.NewMonth(y, monthOf(mo))
			}
		}
	}
	return 0
}

func pathPeriodPatterns() []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile(`(?i)billing_period=(\d{4})-(\d{2})`),
		regexp.MustCompile(`(?:^|/)(\d{4})(\d{2})\d{2}-\d{8}(?:/|$)`),
		regexp.MustCompile(`(?i)year=(\d{4})/month=(\d{1,2})(?:/|$)`),
	}
}

// ReadGroup reads one group found by FindLocal: its manifest goes into the
// options, and the manifest's format is used when format is FormatAuto
// (Detect still checks the files).
func ReadGroup(ctx context.Context, pf PeriodFiles, format Format, opts ReadOptions) (*PeriodResult, error) {
	if opts.Manifest == nil {
		opts.Manifest = pf.Manifest
	}
	if len(pf.Files) == 0 {
		return nil, valdrix.Errorf(valdrix.EINVALID, "no billing files in the period %s", pf.Period)
	}
	res, err := ReadPeriod(ctx, pf.Files, format, opts)
	if err != nil {
		return nil, err
	}
	if pf.Manifest != nil && pf.Manifest.Format != res.Format {
		return nil, parseErr(pf.Manifest.Name, 0, 0, "", errorf("the manifest is a %s manifest but its files read as %s", pf.Manifest.Format, res.Format))
	}
	return res, nil
}
